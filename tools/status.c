// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze status | version: what is frozen, and which module answers.
 * The table comes from libsmartcols, so --json reads like lsblk's.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jetfreeze.h"

static const struct {
	const char *name;
	double whint;
	int flags;
	int json;
} jf_cols[] = {
	{ "HOLD", 4, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	{ "DEVICE", 8, 0, SCOLS_JSON_STRING },
	{ "MAJ:MIN", 6, 0, SCOLS_JSON_STRING },
	{ "STATE", 6, 0, SCOLS_JSON_STRING },
	{ "PID", 5, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	{ "COMMAND", 8, 0, SCOLS_JSON_STRING },
	{ "SINCE", 19, 0, SCOLS_JSON_STRING },
	{ "LEFT", 6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	{ "WRITES", 6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	{ "BYTES", 6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	{ "PERSIST", 1, 0, SCOLS_JSON_BOOLEAN },
	{ "BROKEN", 6, 0, SCOLS_JSON_STRING },
};

static const char *jf_state_str(uint32_t state)
{
	switch (state) {
	case JETFREEZE_STATE_FROZEN:	return "frozen";
	case JETFREEZE_STATE_ENDED:	return "ended";
	default:			return "unknown";
	}
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

static void jf_add_row(struct libscols_table *tb,
		       const struct jetfreeze_status_entry *e, bool json)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	char label[64], since[64];
	time_t t = e->frozen_since_ns / 1000000000ULL;
	struct tm tm;

	if (!ln)
		err(JF_EXIT_FAILURE, "out of memory");
	localtime_r(&t, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S%z", &tm);

	jf_set(ln, 0, "%" PRIu64, (uint64_t)e->session_id);
	jf_set(ln, 1, "%s", jf_dev_label(e->major, e->minor, label,
					 sizeof(label)));
	jf_set(ln, 2, "%u:%u", e->major, e->minor);
	jf_set(ln, 3, "%s", jf_state_str(e->state));
	jf_set(ln, 4, "%d", e->holder_pid);
	jf_set(ln, 5, "%.*s", (int)sizeof(e->holder_comm), e->holder_comm);
	jf_set(ln, 6, "%s", since);
	if (json)
		jf_set(ln, 7, "%.3f", e->timeout_left_ms / 1000.0);
	else
		jf_set(ln, 7, "%.1fs", e->timeout_left_ms / 1000.0);
	jf_set(ln, 8, "%" PRIu64, (uint64_t)e->held_bios);
	jf_set(ln, 9, "%" PRIu64, (uint64_t)e->held_bytes);
	/* libsmartcols prints a boolean as false only for "", "0" and "N...":
	 * the string "false" would come out true */
	jf_set(ln, 10, "%s", e->flags & JETFREEZE_STATUS_PERSIST ?
	       (json ? "1" : "yes") : (json ? "0" : "no"));
	jf_set(ln, 11, "%s", e->state == JETFREEZE_STATE_ENDED ?
	       jfctl_broken_str(e->broken) : (json ? "none" : "-"));
}

int jf_cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct jetfreeze_status_entry *e = NULL;
	bool json = false, noheadings = false, raw = false;
	struct libscols_table *tb;
	unsigned int i, n = 0;
	int c, fd, ret;

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
			printf("Usage: %s status [--json] [--noheadings] [--raw]\n"
			       "See jetfreeze(8).\n",
			       program_invocation_short_name);
			return JF_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n",
				program_invocation_short_name);
			return JF_EXIT_FAILURE;
		}
	}
	if (optind < argc)
		errx(JF_EXIT_FAILURE, "unexpected argument '%s'", argv[optind]);

	fd = jf_open_node();
	ret = jfctl_status(fd, &e, &n);
	if (ret)
		jf_fail_errno(-ret, "status");
	close(fd);

	tb = scols_new_table();
	if (!tb)
		err(JF_EXIT_FAILURE, "out of memory");
	scols_table_enable_json(tb, json);
	scols_table_set_name(tb, "holds");
	scols_table_enable_noheadings(tb, noheadings);
	scols_table_enable_raw(tb, raw);
	for (i = 0; i < sizeof(jf_cols) / sizeof(jf_cols[0]); i++) {
		struct libscols_column *cl;
		char name[32];
		size_t k;

		/* JSON keys in lower case, like lsblk */
		for (k = 0; jf_cols[i].name[k] && k < sizeof(name) - 1; k++)
			name[k] = json ? tolower(jf_cols[i].name[k]) :
					 jf_cols[i].name[k];
		name[k] = '\0';
		cl = scols_table_new_column(tb, name, jf_cols[i].whint,
					    jf_cols[i].flags);
		if (!cl)
			err(JF_EXIT_FAILURE, "out of memory");
		scols_column_set_json_type(cl, jf_cols[i].json);
	}
	for (i = 0; i < n; i++)
		jf_add_row(tb, &e[i], json);
	if (n || json)
		scols_print_table(tb);
	else if (!noheadings)
		printf("nothing is frozen\n");
	scols_unref_table(tb);
	free(e);
	return JF_EXIT_OK;
}

int jf_cmd_version(int argc, char **argv)
{
	struct jetfreeze_version v;
	int fd, ret;

	if (argc > 1)
		errx(JF_EXIT_FAILURE, "unexpected argument '%s'", argv[1]);
	printf("%s %s (ABI %u.%u)\n", program_invocation_short_name,
	       JETFREEZE_VERSION, JETFREEZE_ABI_MAJOR, JETFREEZE_ABI_MINOR);
	fflush(stdout);

	fd = jfctl_open();
	if (fd < 0)
		jf_fail_errno(-fd, JETFREEZE_NODE);
	ret = jfctl_version(fd, &v);
	close(fd);
	if (ret)
		jf_fail_errno(-ret, "version");
	printf("module %.*s (ABI %u.%u)\n", (int)sizeof(v.module_version),
	       v.module_version, v.abi_major, v.abi_minor);
	printf("  hold timeout %.0f s by default, %.0f s at most\n",
	       v.default_timeout_ms / 1000.0, v.max_timeout_ms / 1000.0);
	printf("  at most %u devices per freeze, %" PRIu64 " MiB and %" PRIu64 " writes held\n",
	       v.max_devices, (uint64_t)(v.max_held_bytes >> 20),
	       (uint64_t)v.max_held_bios);
	printf("  features:%s%s%s%s%s%s%s\n",
	       v.features & JETFREEZE_FEAT_FREEZE ? " freeze" : "",
	       v.features & JETFREEZE_FEAT_STATUS ? " status" : "",
	       v.features & JETFREEZE_FEAT_PERSIST ? " persist" : "",
	       v.features & JETFREEZE_FEAT_STAGES ? " stages" : "",
	       v.features & JETFREEZE_FEAT_HOLD_LIMITS ? " hold-limits" : "",
	       v.features & JETFREEZE_FEAT_FS_FREEZE ? " fs-freeze" : "",
	       v.features & JETFREEZE_FEAT_SNAPSHOT ? " snapshot" : "");
	if (v.abi_major != JETFREEZE_ABI_MAJOR) {
		warnx("the module's ABI %u is not this tool's %u",
		      v.abi_major, JETFREEZE_ABI_MAJOR);
		return JF_EXIT_NO_MODULE;
	}
	return JF_EXIT_OK;
}
