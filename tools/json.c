// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze(8): the JSON writer of json.h.  The nesting is the program's
 * own, so a misuse is a bug: it aborts.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "json.h"

static void jf_json_indent(struct jf_json *j)
{
	fprintf(j->f, "\n%*s", (int)(2 * j->depth), "");
}

static void jf_json_put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The separator and key before a value at the current depth. */
static void jf_json_key(struct jf_json *j, const char *key)
{
	if (j->depth == 0)
		abort();
	if (j->items[j->depth - 1])
		fputc(',', j->f);
	j->items[j->depth - 1] = true;
	jf_json_indent(j);
	if (key) {
		jf_json_put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void jf_json_open(struct jf_json *j, char c)
{
	if (j->depth >= JF_JSON_MAX_DEPTH)
		abort();
	fputc(c, j->f);
	j->items[j->depth++] = false;
}

static void jf_json_close(struct jf_json *j, char c)
{
	if (j->depth == 0)
		abort();
	j->depth--;
	if (j->items[j->depth])
		jf_json_indent(j);
	fputc(c, j->f);
}

void jf_json_begin(struct jf_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	jf_json_open(j, '{');
}

void jf_json_finish(struct jf_json *j)
{
	jf_json_close(j, '}');
	if (j->depth)
		abort();
	fputc('\n', j->f);
}

void jf_json_object(struct jf_json *j, const char *key)
{
	jf_json_key(j, key);
	jf_json_open(j, '{');
}

void jf_json_array(struct jf_json *j, const char *key)
{
	jf_json_key(j, key);
	jf_json_open(j, '[');
}

void jf_json_end_object(struct jf_json *j)
{
	jf_json_close(j, '}');
}

void jf_json_end_array(struct jf_json *j)
{
	jf_json_close(j, ']');
}

void jf_json_string(struct jf_json *j, const char *key, const char *s)
{
	if (!s) {
		jf_json_null(j, key);
		return;
	}
	jf_json_key(j, key);
	jf_json_put_string(j->f, s);
}

void jf_json_u64(struct jf_json *j, const char *key, uint64_t v)
{
	jf_json_key(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void jf_json_bool(struct jf_json *j, const char *key, bool v)
{
	jf_json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void jf_json_null(struct jf_json *j, const char *key)
{
	jf_json_key(j, key);
	fputs("null", j->f);
}
