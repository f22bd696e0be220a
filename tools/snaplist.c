// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze snapshot list: every snapshot, from the module's entries (one
 * per origin) grouped by snapshot.  The table comes from libsmartcols, as
 * status's does; the JSON nests the devices inside their snapshot, which
 * libsmartcols cannot, so json.c writes it (with real booleans too).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jetfreeze.h"
#include "json.h"

/* One snapshot: its entries, in the order of their index. */
struct jf_snap_group {
	const struct jetfreeze_snapshot_entry **e;
	unsigned int n;
};

static const struct {
	const char *name;
	double whint;
	int flags;
} jf_snap_cols[] = {
	{ "NAME", 8, 0 },
	{ "STATE", 6, 0 },
	{ "ERROR", 6, 0 },
	{ "ORIGIN", 10, 0 },
	{ "IMAGE", 14, 0 },
	{ "PRESERVED", 6, SCOLS_FL_RIGHT },
	{ "USED", 6, SCOLS_FL_RIGHT },
	{ "SIZE", 6, SCOLS_FL_RIGHT },
	{ "CREATED", 19, 0 },
	{ "EXPIRES", 6, SCOLS_FL_RIGHT },
	{ "PERSIST", 1, 0 },
};

/* Why a snapshot failed, in words. */
const char *jf_snap_error_str(int error)
{
	switch (error) {
	case 0:
		return "none";
	case ENOSPC:
		return "the diff storage is full";
	case EIO:
		return "an I/O error";
	case ENODEV:
		return "an origin went away";
	}
	return strerror(error);
}

/* The errno's name for JSON: "ENOSPC". */
static const char *jf_errno_name(int error, char *buf, size_t len)
{
	const char *name = strerrorname_np(error);

	if (name)
		return name;
	snprintf(buf, len, "%d", error);
	return buf;
}

static void jf_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double v = bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

static void jf_time_str(uint64_t ns, char *buf, size_t len)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* The snapshots, in the order the module lists them. */
struct jf_snap_groups {
	struct jf_snap_group *g;
	unsigned int n;
	const struct jetfreeze_snapshot_entry **all;	/* g[].e point here */
};

static void jf_snap_group(const struct jetfreeze_snapshot_entry *e,
			  unsigned int n, struct jf_snap_groups *out)
{
	struct jf_snap_group *g = calloc(n ? n : 1, sizeof(*g));
	const struct jetfreeze_snapshot_entry **all = calloc(n ? n : 1,
							     sizeof(*all));
	bool *taken = calloc(n ? n : 1, sizeof(*taken));
	unsigned int i, j, k, ng = 0, used = 0;

	if (!g || !all || !taken)
		err(JF_EXIT_FAILURE, "out of memory");
	for (i = 0; i < n; i++) {
		if (taken[i])
			continue;
		g[ng].e = all + used;
		for (j = i; j < n; j++) {
			if (taken[j] || e[j].snapshot_id != e[i].snapshot_id)
				continue;
			taken[j] = true;
			/* insert by index */
			for (k = g[ng].n; k > 0 &&
			     g[ng].e[k - 1]->index > e[j].index; k--)
				g[ng].e[k] = g[ng].e[k - 1];
			g[ng].e[k] = &e[j];
			g[ng].n++;
			used++;
		}
		ng++;
	}
	free(taken);
	out->g = g;
	out->n = ng;
	out->all = all;
}

static void jf_set(struct libscols_line *ln, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void jf_set(struct libscols_line *ln, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		err(JF_EXIT_FAILURE, "out of memory");
	va_end(ap);
	if (scols_line_refer_data(ln, col, s))
		err(JF_EXIT_FAILURE, "out of memory");
}

static void jf_snap_table(const struct jf_snap_group *g, unsigned int ng,
			  bool noheadings, bool raw)
{
	struct libscols_table *tb = scols_new_table();
	unsigned int i, k;

	if (!tb)
		err(JF_EXIT_FAILURE, "out of memory");
	scols_table_enable_noheadings(tb, noheadings);
	scols_table_enable_raw(tb, raw);
	for (i = 0; i < sizeof(jf_snap_cols) / sizeof(jf_snap_cols[0]); i++)
		if (!scols_table_new_column(tb, jf_snap_cols[i].name,
					    jf_snap_cols[i].whint,
					    jf_snap_cols[i].flags))
			err(JF_EXIT_FAILURE, "out of memory");
	for (i = 0; i < ng; i++) {
		for (k = 0; k < g[i].n; k++) {
			const struct jetfreeze_snapshot_entry *e = g[i].e[k];
			struct libscols_line *ln = scols_table_new_line(tb, NULL);
			char buf[PATH_MAX];

			if (!ln)
				err(JF_EXIT_FAILURE, "out of memory");
			jf_set(ln, 0, "%s", e->name);
			jf_set(ln, 1, "%s", e->state == JETFREEZE_SNAPSHOT_FAILED ?
			       "failed" : "active");
			jf_set(ln, 2, "%s", e->error ?
			       jf_snap_error_str(e->error) : "-");
			jf_origin_path(&e->origin, buf, sizeof(buf));
			jf_set(ln, 3, "%s", buf);
			jf_image_path(&e->origin, buf, sizeof(buf));
			jf_set(ln, 4, "%s", buf);
			jf_set(ln, 5, "%" PRIu64, (uint64_t)e->chunks_preserved);
			jf_size_str(e->diff_used, buf, sizeof(buf));
			jf_set(ln, 6, "%s", buf);
			jf_size_str(e->diff_size, buf, sizeof(buf));
			jf_set(ln, 7, "%s", buf);
			jf_time_str(e->created_ns, buf, sizeof(buf));
			jf_set(ln, 8, "%s", buf);
			if (e->expires_ms)
				jf_set(ln, 9, "%" PRIu64 "s",
				       (uint64_t)(e->expires_ms + 999) / 1000);
			else
				jf_set(ln, 9, "-");
			jf_set(ln, 10, "%s", e->flags & JETFREEZE_SNAPSHOT_E_PERSIST ?
			       "yes" : "no");
		}
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void jf_snap_json(const struct jf_snap_group *g, unsigned int ng)
{
	struct jf_json j;
	unsigned int i, k;

	jf_json_begin(&j, stdout);
	jf_json_array(&j, "snapshots");
	for (i = 0; i < ng; i++) {
		const struct jetfreeze_snapshot_entry *e = g[i].e[0];
		char buf[PATH_MAX];

		jf_json_object(&j, NULL);
		jf_json_string(&j, "name", e->name);
		jf_json_u64(&j, "id", e->snapshot_id);
		jf_json_string(&j, "state",
			       e->state == JETFREEZE_SNAPSHOT_FAILED ?
			       "failed" : "active");
		jf_json_string(&j, "error", e->error ?
			       jf_errno_name(e->error, buf, sizeof(buf)) : NULL);
		jf_json_bool(&j, "persist",
			     e->flags & JETFREEZE_SNAPSHOT_E_PERSIST);
		jf_json_bool(&j, "writable",
			     e->flags & JETFREEZE_SNAPSHOT_E_WRITABLE);
		jf_json_bool(&j, "attached",
			     e->flags & JETFREEZE_SNAPSHOT_E_ATTACHED);
		jf_time_str(e->created_ns, buf, sizeof(buf));
		jf_json_string(&j, "created", buf);
		jf_json_u64(&j, "created_ns", e->created_ns);
		jf_json_u64(&j, "expires_ms", e->expires_ms);
		jf_json_u64(&j, "chunk_bytes", e->chunk_bytes);
		jf_json_u64(&j, "diff_used", e->diff_used);
		jf_json_u64(&j, "diff_size", e->diff_size);
		jf_json_u64(&j, "memory_bytes", e->memory_bytes);
		jf_json_u64(&j, "hold_ns", e->hold_ns);
		jf_json_array(&j, "devices");
		for (k = 0; k < g[i].n; k++) {
			e = g[i].e[k];
			jf_json_object(&j, NULL);
			jf_origin_path(&e->origin, buf, sizeof(buf));
			jf_json_string(&j, "origin", buf);
			jf_image_path(&e->origin, buf, sizeof(buf));
			jf_json_string(&j, "image", buf);
			jf_json_u64(&j, "chunks_preserved", e->chunks_preserved);
			jf_json_u64(&j, "cow_bios", e->cow_bios);
			jf_json_u64(&j, "cow_wait_ns", e->cow_wait_ns);
			jf_json_end_object(&j);
		}
		jf_json_end_array(&j);
		jf_json_end_object(&j);
	}
	jf_json_end_array(&j);
	jf_json_finish(&j);
}

int jf_snap_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct jetfreeze_snapshot_entry *e = NULL;
	bool json = false, noheadings = false, raw = false, failed = false;
	const struct jf_snap_group *show;
	struct jf_snap_groups g;
	const char *want = NULL;
	unsigned int i, n = 0, nshow;
	int c, node, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "Jnrh", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'n':
			noheadings = true;
			break;
		case 'r':
			raw = true;
			break;
		case 'h':
			printf("Usage: %s snapshot list [--json] [--noheadings] [--raw] [<name>]\n"
			       "See jetfreeze(8).\n",
			       program_invocation_short_name);
			return JF_EXIT_OK;
		default:
			jf_try_help();
		}
	}
	if (optind < argc)
		want = argv[optind++];
	if (optind < argc)
		errx(JF_EXIT_FAILURE, "unexpected argument '%s'", argv[optind]);

	node = jf_snap_node(0);
	ret = jfctl_snapshot_list(node, &e, &n);
	if (ret)
		jf_fail_errno(-ret, "snapshot list");
	close(node);

	jf_snap_group(e, n, &g);
	show = g.g;
	nshow = g.n;
	if (want) {
		for (i = 0; i < g.n && strcmp(g.g[i].e[0]->name, want); i++)
			;
		if (i == g.n)
			errx(JF_EXIT_FAILURE, "no snapshot named '%s'", want);
		show = &g.g[i];
		nshow = 1;
		failed = show->e[0]->state == JETFREEZE_SNAPSHOT_FAILED;
	}
	if (json)
		jf_snap_json(show, nshow);
	else if (nshow)
		jf_snap_table(show, nshow, noheadings, raw);
	else if (!noheadings)
		printf("no snapshots\n");
	if (failed)
		warnx("snapshot %s failed: %s; its images cannot be read",
		      want, jf_snap_error_str(show->e[0]->error));
	free(g.all);
	free(g.g);
	free(e);
	return failed ? JF_EXIT_BROKEN : JF_EXIT_OK;
}
