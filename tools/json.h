/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jetfreeze(8): a small JSON writer for output that nests, which
 * libsmartcols' tables cannot, with real booleans and nulls.  Indented by
 * two spaces, "key": value; strings are escaped, bytes from 0x80 up are
 * passed as they are (UTF-8).
 */
#ifndef JETFREEZE_TOOL_JSON_H
#define JETFREEZE_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JF_JSON_MAX_DEPTH	8

struct jf_json {
	FILE *f;
	unsigned int depth;
	bool items[JF_JSON_MAX_DEPTH];	/* something written at that depth */
};

/*
 * The document is one object: jf_json_begin() ... jf_json_finish().  Each
 * value takes a @key inside an object and NULL inside an array.
 */
void jf_json_begin(struct jf_json *j, FILE *f);
void jf_json_finish(struct jf_json *j);
void jf_json_object(struct jf_json *j, const char *key);
void jf_json_array(struct jf_json *j, const char *key);
void jf_json_end_object(struct jf_json *j);
void jf_json_end_array(struct jf_json *j);
/* @s NULL: null */
void jf_json_string(struct jf_json *j, const char *key, const char *s);
void jf_json_u64(struct jf_json *j, const char *key, uint64_t v);
void jf_json_bool(struct jf_json *j, const char *key, bool v);
void jf_json_null(struct jf_json *j, const char *key);

#endif /* JETFREEZE_TOOL_JSON_H */
