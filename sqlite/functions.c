// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SQL functions of the VFS: jetfreeze_snapshot(COMMAND [, MODE]), a whole
 * JetOSSnapshot* sequence around a shell command, for the sqlite3 shell
 * and for scripts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jetfreeze/engine.h>

#include "internal.h"

/* Exit status of system(3), or -1 when the command did not exit. */
static int exit_status(int status)
{
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void fail(sqlite3_context *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(sqlite3_context *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (msg)
		sqlite3_result_error(ctx, msg, -1);
	else
		sqlite3_result_error_nomem(ctx);
	sqlite3_free(msg);
}

/*
 * jetfreeze_snapshot(COMMAND [, MODE]): Prepare (ContinueAfterThaw),
 * Freeze, COMMAND (NULL: none) by /bin/sh while frozen, Thaw, TruncateLog,
 * End.  A failing command or a freeze that did not hold aborts the
 * snapshot and raises an error; the result is a line saying what was
 * frozen and for how long, and what TruncateLog and End did to this
 * connection's database (from the VFS's counters).
 */
static void fn_snapshot(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *cmd = (const char *)sqlite3_value_text(argv[0]);
	unsigned long n = 0, i, dbs = 0;
	JET_INSTANCE_INFO_A *info = NULL;
	struct jetfreeze_sqlite_stats before, after;
	sqlite3 *conn = sqlite3_context_db_handle(ctx);
	const char *logs, *record;
	int status = 0, trunc, ours;
	long long t0, t1;
	JET_OSSNAPID id;
	JET_ERR err;
	char *res;

	if (argc > 1) {
		const char *mode = (const char *)sqlite3_value_text(argv[1]);

		if (mode && !strcmp(mode, "userspace")) {
			jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE);
		} else if (mode && !strcmp(mode, "kernel")) {
			jetfreeze_set_mode(JETFREEZE_MODE_KERNEL);
		} else {
			fail(ctx, "jetfreeze_snapshot: MODE is 'kernel' or 'userspace'");
			return;
		}
	}
	ours = jetfreeze_sqlite_stats(conn, "main", &before) == SQLITE_OK;
	err = JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw);
	if (err) {
		fail(ctx, "jetfreeze_snapshot: JetOSSnapshotPrepare: JET error %d",
		     (int)err);
		return;
	}
	t0 = jfs_now_ms();
	err = JetOSSnapshotFreezeA(id, &n, &info, 0);
	if (err) {
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
		fail(ctx, "jetfreeze_snapshot: JetOSSnapshotFreeze: JET error %d (the library's syslog lines say why)",
		     (int)err);
		return;
	}
	for (i = 0; i < n; i++)
		dbs += info[i].cDatabases;
	JetFreeBuffer((char *)info);
	if (cmd)
		status = exit_status(system(cmd));
	t1 = jfs_now_ms();
	err = JetOSSnapshotThaw(id, 0);
	if (err) {
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
		fail(ctx, "jetfreeze_snapshot: the freeze did not hold (JET error %d): discard the copy",
		     (int)err);
		return;
	}
	if (status) {
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
		fail(ctx, "jetfreeze_snapshot: the command failed (exit %d): snapshot aborted",
		     status);
		return;
	}
	trunc = JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot);
	err = JetOSSnapshotEnd(id, 0);
	if (err) {
		fail(ctx, "jetfreeze_snapshot: JetOSSnapshotEnd: JET error %d",
		     (int)err);
		return;
	}
	logs = trunc ? "logs not truncated (JET error)" : "logs truncated";
	record = "";
	if (ours && jetfreeze_sqlite_stats(conn, "main", &after) == SQLITE_OK) {
		if (after.checkpoints_busy > before.checkpoints_busy)
			logs = "WAL busy, not truncated";
		else if (after.checkpoints > before.checkpoints)
			logs = "WAL checkpointed and truncated";
		else if (!trunc)
			logs = "no WAL to truncate";
		record = after.records > before.records ?
			"; recorded in jetfreeze_backup" :
			"; not recorded in jetfreeze_backup";
	}
	res = sqlite3_mprintf("snapshot %lu: %lu instance(s), %lu database(s) frozen for %lld ms%s; %s%s",
			      (unsigned long)id, n, dbs, t1 - t0,
			      cmd ? ", command exit 0" : "", logs, record);
	if (res)
		sqlite3_result_text(ctx, res, -1, sqlite3_free);
	else
		sqlite3_result_error_nomem(ctx);
}

int jetfreeze_sqlite_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
	int rc;

	rc = sqlite3_create_function_v2(db, "jetfreeze_snapshot", 1, flags,
					NULL, fn_snapshot, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "jetfreeze_snapshot", 2,
						flags, NULL, fn_snapshot, NULL,
						NULL, NULL);
	return rc;
}
