/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <jetfreeze-sqlite.h>: a SQLite VFS on libjetfreeze's engine API.
 *
 * Every database opened through the "jetfreeze" VFS becomes a libjetfreeze
 * instance (named after the database's absolute path) with the database
 * file registered as JETFREEZE_FILE_DATABASE and its WAL or rollback
 * journal as JETFREEZE_FILE_LOG.  Their reads, writes, syncs and truncates
 * go through the library, so JetOSSnapshotFreeze drains and holds them and
 * freezes the block devices under them; locking and the WAL index (-shm)
 * stay with the VFS underneath (the default one, "unix").
 *
 * JetOSSnapshotTruncateLog checkpoints the WAL into the database and
 * truncates it (PRAGMA wal_checkpoint(TRUNCATE)); a completed snapshot adds
 * a row to the table jetfreeze_backup of the database, and PRAGMA jetfreeze
 * shows the instance's counters.  Documentation/sqlite.md has the details.
 *
 * Linked into a program: call jetfreeze_sqlite_register() once, then open
 * databases with the VFS ("file:db?vfs=jetfreeze", sqlite3_open_v2's last
 * argument, or make it the default).  As a loadable extension of the
 * sqlite3 shell: ".load jetfreeze-sqlite" registers it as the default VFS
 * and adds the SQL function jetfreeze_snapshot().
 */
#ifndef JETFREEZE_SQLITE_H
#define JETFREEZE_SQLITE_H

#include <stdint.h>

#include <sqlite3.h>
#include <jetfreeze.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JETFREEZE_SQLITE_VFS	"jetfreeze"

/*
 * Register the VFS, and make it the default one when @make_default.  It
 * wraps the default VFS of the moment of the first call; a later call with
 * @make_default makes it the default again, one without changes nothing
 * (sqlite3_vfs_register() picks another default).  Returns a SQLite
 * result code.
 */
int jetfreeze_sqlite_register(int make_default);

/*
 * Add the SQL functions to a connection: jetfreeze_snapshot(COMMAND [,
 * MODE]) takes a whole snapshot of every running instance of the process
 * (Prepare, Freeze, COMMAND run by /bin/sh while frozen, Thaw,
 * TruncateLog, End) and returns a line saying what happened; MODE
 * 'kernel' or 'userspace' sets jetfreeze_set_mode() first.  It is
 * SQLITE_DIRECTONLY: not usable from triggers or views.
 */
int jetfreeze_sqlite_functions(sqlite3 *db);

/* What the VFS saw of one database's instance. */
struct jetfreeze_sqlite_stats {
	JET_INSTANCE instance;
	int frozen;			/* a snapshot holds its writes now */
	uint64_t freezes;		/* snapshots that froze it */
	uint64_t thaws;			/* ... and ended in a good thaw */
	uint64_t broken;		/* ... timed out or failed after freezing */
	uint64_t completed;		/* snapshots ended successfully (End) */
	uint64_t held;			/* writes, syncs, truncates issued frozen */
	uint64_t checkpoints;		/* TruncateLog: WAL checkpointed, truncated */
	uint64_t checkpoints_busy;	/* TruncateLog: the checkpoint was busy */
	uint64_t records;		/* rows added to jetfreeze_backup */
	uint64_t log_position;		/* WAL bytes at the last freeze */
};

/*
 * The counters of the instance behind @schema ("main" when NULL) of @db.
 * SQLITE_NOTFOUND when that database is not opened through the VFS.
 */
int jetfreeze_sqlite_stats(sqlite3 *db, const char *schema,
			   struct jetfreeze_sqlite_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_SQLITE_H */
