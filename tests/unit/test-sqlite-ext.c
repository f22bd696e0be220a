// SPDX-License-Identifier: GPL-2.0-only
/*
 * The loadable extension (build/lib/jetfreeze-sqlite.so), as the sqlite3
 * shell uses it: loading it makes the VFS the default, jetfreeze_snapshot()
 * takes a whole snapshot around a command (userspace-only mode here), a
 * failing command aborts the snapshot, and the function cannot be used
 * from a view or trigger.
 *
 * The extension brings its own libjetfreeze.so.1: this test calls the
 * library only through SQL.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "helpers.h"

#ifndef JFS_EXTENSION
#error "JFS_EXTENSION: the path of jetfreeze-sqlite.so"
#endif

static char dir[512];
static char dbpath[600];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_create());
	snprintf(dbpath, sizeof(dbpath), "%s/shell.db", dir);
	return 0;
}

static int teardown(void **state)
{
	tmpdir_remove();
	return 0;
}

/* Run one statement; the first column of its last row (malloc'd), or the
 * error message. */
static char *run(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st;
	char *out = NULL;

	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return strdup(sqlite3_errmsg(db));
	while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
		free(out);
		out = strdup(sqlite3_column_text(st, 0) ?
			     (const char *)sqlite3_column_text(st, 0) : "");
	}
	if (*rc == SQLITE_DONE) {
		*rc = SQLITE_OK;
	} else {
		free(out);
		out = strdup(sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return out ? out : strdup("");
}

static void expect_ok(sqlite3 *db, const char *sql, const char *want)
{
	int rc;
	char *got = run(db, sql, &rc);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, got);
	if (want && !strstr(got, want))
		fail_msg("%s: got '%s', want '%s' in it", sql, got, want);
	free(got);
}

static void expect_error(sqlite3 *db, const char *sql, const char *want)
{
	int rc;
	char *got = run(db, sql, &rc);

	if (rc == SQLITE_OK || !strstr(got, want))
		fail_msg("%s: got %d '%s', want an error with '%s'", sql, rc,
			 got, want);
	free(got);
}

static void shell_session(void **state)
{
	char *err = NULL, sql[3000], copy[700];
	sqlite3 *mem, *db, *c;
	struct stat st;

	/*
	 * The extension finds libjetfreeze.so.1 next to itself ($ORIGIN);
	 * load that first, so that ld.so's expansion of $ORIGIN (whose
	 * strncmp valgrind reports as reading too far) never runs here.
	 */
	snprintf(sql, sizeof(sql), "%s", JFS_EXTENSION);
	snprintf(copy, sizeof(copy), "%s/libjetfreeze.so.1", dirname(sql));
	assert_non_null(dlopen(copy, RTLD_NOW));

	/* As ".load": from a connection without a file. */
	assert_int_equal(sqlite3_open(":memory:", &mem), SQLITE_OK);
	assert_int_equal(sqlite3_enable_load_extension(mem, 1), SQLITE_OK);
	if (sqlite3_load_extension(mem, JFS_EXTENSION, NULL, &err) != SQLITE_OK)
		fail_msg("loading %s: %s", JFS_EXTENSION, err);
	assert_non_null(sqlite3_vfs_find(NULL));
	assert_string_equal(sqlite3_vfs_find(NULL)->zName, "jetfreeze");
	expect_ok(mem, "SELECT 1", "1");

	/* As ".open": the default VFS now, and the function is there. */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	expect_ok(db, "PRAGMA journal_mode=WAL", "wal");
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1), (2)",
				      NULL, NULL, NULL), SQLITE_OK);
	expect_ok(db, "PRAGMA jetfreeze", "not frozen");

	snprintf(copy, sizeof(copy), "%s/copy", dir);
	snprintf(sql, sizeof(sql),
		 "SELECT jetfreeze_snapshot('mkdir %s && cp %s %s-wal %s/', 'userspace')",
		 copy, dbpath, dbpath, copy);
	expect_ok(db, sql, "1 database(s) frozen");
	expect_ok(db, "SELECT jetfreeze_snapshot(NULL)",
		  "; WAL checkpointed and truncated; recorded in jetfreeze_backup");
	expect_ok(db, "SELECT count(*) || ' ' || min(kind) FROM jetfreeze_backup", "2 full");
	expect_ok(db, "PRAGMA jetfreeze", "2 completed");
	/* TruncateLog emptied the WAL (the record came after it). */
	snprintf(sql, sizeof(sql), "%s-wal", dbpath);
	assert_int_equal(stat(sql, &st), 0);
	assert_true(st.st_size < 10000);

	snprintf(sql, sizeof(sql), "%s/shell.db", copy);
	assert_int_equal(sqlite3_open_v2(sql, &c, SQLITE_OPEN_READWRITE, "unix"),
			 SQLITE_OK);
	expect_ok(c, "PRAGMA integrity_check", "ok");
	expect_ok(c, "SELECT sum(x) FROM t", "3");
	sqlite3_close(c);

	/* A failing command aborts: no record. */
	expect_error(db, "SELECT jetfreeze_snapshot('exit 3')", "exit 3");
	expect_error(db, "SELECT jetfreeze_snapshot(NULL, 'sideways')", "MODE");
	/* Without a WAL: nothing to truncate, and it says so. */
	expect_ok(db, "PRAGMA journal_mode=DELETE", "delete");
	expect_ok(db, "SELECT jetfreeze_snapshot(NULL)",
		  "; no WAL to truncate; recorded in jetfreeze_backup");
	expect_ok(db, "SELECT count(*) FROM jetfreeze_backup", "3");
	/* Not from a view (SQLITE_DIRECTONLY). */
	expect_ok(db, "CREATE VIEW v AS SELECT jetfreeze_snapshot('true') AS s", NULL);
	expect_error(db, "SELECT s FROM v", "unsafe use");

	sqlite3_close(db);
	sqlite3_close(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(shell_session, setup, teardown),
	};

	return run_group(tests);
}
