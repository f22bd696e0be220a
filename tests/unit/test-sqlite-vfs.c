// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SQLite VFS (sqlite/) on the host, in the library's userspace-only
 * mode: databases become instances, their writes wait while frozen and
 * the files do not change, reads go on, TruncateLog checkpoints and
 * truncates the WAL, End records the snapshot in jetfreeze_backup (also
 * while a writer holds the lock it needs), a rollback journal created
 * during a snapshot, closing and reopening
 * during one, copy and incremental snapshots, pass-through files, and a
 * bank under load whose every copy taken while frozen is consistent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "helpers.h"
#include "jetfreeze-sqlite.h"

/* A CTE n(i) of 1..N for the statement that follows. */
#define SERIES(n) \
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " #n ") "

static char dir[512];
static char dbpath[600];

/*
 * The VFS underneath the jetfreeze VFS in these tests: unix, except that
 * it counts the syncs of rollback journals made through it, and says its
 * databases can write in atomic batches (as on F2FS).
 */
static sqlite3_vfs counting_vfs;
static sqlite3_io_methods counting_methods, batch_methods;
static const sqlite3_io_methods *unix_methods;
static int journal_syncs;

static int batch_characteristics(sqlite3_file *file)
{
	return unix_methods->xDeviceCharacteristics(file) |
	       SQLITE_IOCAP_BATCH_ATOMIC;
}

static int counting_sync(sqlite3_file *file, int flags)
{
	__atomic_add_fetch(&journal_syncs, 1, __ATOMIC_SEQ_CST);
	return unix_methods->xSync(file, flags);
}

static int counting_open(sqlite3_vfs *vfs, const char *name,
			 sqlite3_file *file, int flags, int *out)
{
	sqlite3_vfs *unix_vfs = vfs->pAppData;
	int rc = unix_vfs->xOpen(unix_vfs, name, file, flags, out);

	if (rc != SQLITE_OK || !file->pMethods)
		return rc;
	unix_methods = file->pMethods;
	if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
		counting_methods = *file->pMethods;
		counting_methods.xSync = counting_sync;
		file->pMethods = &counting_methods;
	} else if (flags & SQLITE_OPEN_MAIN_DB) {
		batch_methods = *file->pMethods;
		batch_methods.xDeviceCharacteristics = batch_characteristics;
		file->pMethods = &batch_methods;
	}
	return rc;
}

/* Before the jetfreeze VFS first registers: it wraps the default one. */
static int counting_vfs_register(void)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");

	if (!unix_vfs)
		return SQLITE_ERROR;
	counting_vfs = *unix_vfs;
	counting_vfs.zName = "counting";
	counting_vfs.pAppData = unix_vfs;
	counting_vfs.xOpen = counting_open;
	return sqlite3_vfs_register(&counting_vfs, 1);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_create());
	snprintf(dbpath, sizeof(dbpath), "%s/bank.db", dir);
	assert_int_equal(jetfreeze_sqlite_register(0), SQLITE_OK);
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE), 0);
	return 0;
}

/* No instance is left running: Prepare finds none. */
static void assert_no_instances(void)
{
	JET_OSSNAPID id;
	JET_ERR err = JetOSSnapshotPrepare(&id, 0);

	if (err == JET_errSuccess)
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
	assert_int_equal(err, JET_errNotInitialized);
}

static int teardown(void **state)
{
	assert_no_sessions();
	assert_no_instances();
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_KERNEL), 0);
	tmpdir_remove();
	return 0;
}

static sqlite3 *open_db(const char *path, const char *journal_mode)
{
	sqlite3 *db = NULL;
	char sql[64];

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
					 SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
					 JETFREEZE_SQLITE_VFS), SQLITE_OK);
	sqlite3_busy_timeout(db, 30000);
	if (journal_mode) {
		snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", journal_mode);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
				 SQLITE_OK);
	}
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

static sqlite3_int64 query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_int64 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row, as text (caller frees). */
static char *query_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_non_null(v);
	return v;
}

static off_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static off_t fsize_suffix(const char *suffix)
{
	char path[700];

	snprintf(path, sizeof(path), "%s%s", dbpath, suffix);
	return fsize(path);
}

static struct jetfreeze_sqlite_stats stats(sqlite3 *db)
{
	struct jetfreeze_sqlite_stats st;

	assert_int_equal(jetfreeze_sqlite_stats(db, NULL, &st), SQLITE_OK);
	return st;
}

/* Prepare and Freeze; returns the id, checks the instances frozen. */
static JET_OSSNAPID freeze(JET_GRBIT grbit, unsigned long want)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, grbit), JET_errSuccess);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), JET_errSuccess);
	assert_int_equal(n, want);
	JetFreeBuffer((char *)info);
	return id;
}

static void thaw_end(JET_OSSNAPID id)
{
	assert_int_equal(JetOSSnapshotThaw(id, 0), JET_errSuccess);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot),
			 JET_errSuccess);
	assert_int_equal(JetOSSnapshotEnd(id, 0), JET_errSuccess);
}

/* ---- tests ------------------------------------------------------------------ */

/* A database opened through the VFS is an instance listing the database. */
static void database_is_an_instance(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL"), *plain;
	struct jetfreeze_sqlite_stats st;
	JET_INSTANCE_INFO_A *info;
	char real[PATH_MAX], *s;
	sqlite3_file *file;
	unsigned long n;
	JET_OSSNAPID id;

	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	st = stats(db);
	assert_true(st.instance != 0 && st.instance != JET_instanceNil);
	assert_int_equal(st.frozen, 0);

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, st.instance);
	assert_int_equal(info[0].cDatabases, 1);
	assert_non_null(realpath(dbpath, real));
	assert_string_equal(info[0].szDatabaseFileName[0], real);
	assert_string_equal(info[0].szInstanceName, real);
	JetFreeBuffer((char *)info);
	assert_int_equal(stats(db).frozen, 1);
	thaw_end(id);

	s = query_text(db, "PRAGMA jetfreeze");
	assert_non_null(strstr(s, "userspace mode"));
	assert_non_null(strstr(s, "1 completed"));
	free(s);
	assert_int_not_equal(sqlite3_exec(db, "PRAGMA jetfreeze=1", NULL, NULL,
					  NULL), SQLITE_OK);
	assert_int_equal(sqlite3_file_control(db, NULL, SQLITE_FCNTL_VFSNAME,
					      &s), SQLITE_OK);
	assert_string_equal(s, "jetfreeze/unix");
	sqlite3_free(s);
	/* Atomic batches would be ioctls on the descriptor underneath, while
	 * the writes go through the library's: never offered. */
	assert_int_equal(sqlite3_file_control(db, NULL, SQLITE_FCNTL_FILE_POINTER,
					      &file), SQLITE_OK);
	assert_int_equal(file->pMethods->xDeviceCharacteristics(file) &
			 SQLITE_IOCAP_BATCH_ATOMIC, 0);
	/* The VFS never maps the database: reads go through the library. */
	exec(db, "PRAGMA mmap_size=1048576");
	assert_int_equal(query(db, "PRAGMA mmap_size"), 0);

	/* The default VFS's connections are not the VFS's business. */
	assert_int_equal(sqlite3_open(dbpath, &plain), SQLITE_OK);
	assert_int_equal(jetfreeze_sqlite_stats(plain, NULL, &st),
			 SQLITE_NOTFOUND);
	assert_int_equal(sqlite3_file_control(plain, NULL,
					      SQLITE_FCNTL_FILE_POINTER, &file),
			 SQLITE_OK);
	sqlite3_close(plain);
	assert_int_equal(jetfreeze_sqlite_stats(db, "nosuch", &st), SQLITE_ERROR);
	sqlite3_close(db);
}

struct writer {
	const char *sql;
	int rc;
	bool done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	sqlite3 *db = open_db(dbpath, NULL);

	w->rc = sqlite3_exec(db, w->sql, NULL, NULL, NULL);
	sqlite3_close(db);
	__atomic_store_n(&w->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool writer_done(struct writer *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

/* WAL: a transaction during the freeze waits; the files do not change;
 * readers go on; after Thaw it commits. */
static void writes_wait_while_frozen(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL");
	struct writer w = {
		.sql = "BEGIN IMMEDIATE; INSERT INTO t VALUES(2); INSERT INTO t VALUES(3); COMMIT",
	};
	off_t wal, main;
	JET_OSSNAPID id;
	pthread_t t;

	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	wal = fsize_suffix("-wal");
	main = fsize(dbpath);
	id = freeze(JET_bitContinueAfterThaw, 1);
	t = thread_start(writer_main, &w);
	msleep(300);
	assert_false(writer_done(&w));
	assert_int_equal(fsize_suffix("-wal"), wal);
	assert_int_equal(fsize(dbpath), main);
	assert_int_equal(query(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, SQLITE_OK);
	assert_int_equal(query(db, "SELECT count(*) FROM t"), 3);
	assert_true(stats(db).held >= 1);
	assert_int_equal(stats(db).thaws, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	sqlite3_close(db);
}

/* TruncateLog empties the WAL; End records the snapshot. */
static void truncate_log_and_record(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL");
	struct jetfreeze_sqlite_stats st;
	JET_OSSNAPID id;
	off_t wal;
	char *s;

	exec(db, "CREATE TABLE t(x);" SERIES(50) "INSERT INTO t SELECT randomblob(1000) FROM n");
	wal = fsize_suffix("-wal");
	assert_true(wal > 50000);
	id = freeze(JET_bitContinueAfterThaw, 1);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(fsize_suffix("-wal"), wal);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(fsize_suffix("-wal"), 0);
	assert_int_equal(query(db, "SELECT count(*) FROM t"), 50);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);

	st = stats(db);
	assert_int_equal(st.freezes, 1);
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(st.checkpoints_busy, 0);
	assert_int_equal(st.completed, 1);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.log_position, wal);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup"), 1);
	assert_int_equal(query(db, "SELECT log_position FROM jetfreeze_backup"), wal);
	s = query_text(db, "SELECT kind || ' ' || length(completed) FROM jetfreeze_backup");
	assert_string_equal(s, "full 24");
	free(s);
	exec(db, "PRAGMA integrity_check");

	id = freeze(JET_bitContinueAfterThaw, 1);
	thaw_end(id);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup"), 2);
	sqlite3_close(db);
}

struct ender {
	JET_OSSNAPID id;
	JET_ERR err;
};

static void *end_main(void *arg)
{
	struct ender *e = arg;

	e->err = JetOSSnapshotEnd(e->id, 0);
	return NULL;
}

/*
 * On a rollback-journal database with one row: a snapshot thawed, a
 * writer that holds RESERVED (returned), and End running on *@t, its
 * record already waiting for that lock under the snapshot lock.
 */
static sqlite3 *end_waits_for_writer(sqlite3 *db, struct ender *e,
				     pthread_t *t)
{
	sqlite3 *w;

	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	w = open_db(dbpath, NULL);
	e->id = freeze(JET_bitContinueAfterThaw, 1);
	assert_int_equal(JetOSSnapshotThaw(e->id, 0), 0);
	exec(w, "BEGIN IMMEDIATE");
	*t = thread_start(end_main, e);
	/* counted as the callback starts, under the snapshot lock */
	while (stats(db).completed == 0)
		msleep(5);
	return w;
}

/*
 * End's record waits for a writer's lock while End holds the library's
 * snapshot lock; the writer, holding that lock, opens and writes its
 * rollback journal through the VFS.  Were the VFS to wait for the library
 * there, both would wait until the record's busy timeout and the record
 * would be lost.
 */
static void writer_during_end(void **state)
{
	sqlite3 *db = open_db(dbpath, "DELETE"), *w;
	struct ender e = { 0, -1 };
	pthread_t t;

	w = end_waits_for_writer(db, &e, &t);
	msleep(100);
	exec(w, "INSERT INTO t VALUES(2); COMMIT");
	pthread_join(t, NULL);
	assert_int_equal(e.err, JET_errSuccess);
	assert_int_equal(stats(db).records, 1);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup"), 1);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 3);
	exec(db, "PRAGMA integrity_check");
	sqlite3_close(w);
	sqlite3_close(db);
}

/*
 * A reader that keeps its transaction open keeps the WAL busy: TruncateLog
 * gives up after the VFS's busy time in all (the busy handler's waits
 * included), counts it, and the snapshot still ends.
 */
static void truncate_log_busy_reader(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL"), *reader;
	JET_OSSNAPID id;
	time_t t0;

	exec(db, "CREATE TABLE t(x);" SERIES(20) "INSERT INTO t SELECT randomblob(1000) FROM n");
	reader = open_db(dbpath, NULL);
	exec(reader, "BEGIN");
	assert_int_equal(query(reader, "SELECT count(*) FROM t"), 20);
	id = freeze(JET_bitContinueAfterThaw, 1);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	t0 = time(NULL);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	/* 5 s of busy time; the bug this guards against took tens of minutes */
	assert_true(time(NULL) - t0 < 60);
	assert_int_equal(stats(db).checkpoints_busy, 1);
	assert_int_equal(stats(db).checkpoints, 0);
	exec(reader, "COMMIT");
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(stats(db).records, 1);
	sqlite3_close(reader);
	sqlite3_close(db);
}

static void *open_other_main(void *arg)
{
	char *path = arg;
	sqlite3 *db = open_db(path, NULL);

	sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS u(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

/*
 * As writer_during_end, and meanwhile another thread opens a database
 * for the first time, which makes an instance and so waits for End: it
 * must not hold the VFS's own lock while it waits, or the writer could
 * not even open its journal.
 */
static void open_during_end(void **state)
{
	sqlite3 *db = open_db(dbpath, "DELETE"), *w;
	struct ender e = { 0, -1 };
	char other[700];
	pthread_t t, o;

	snprintf(other, sizeof(other), "%s/other.db", dir);
	w = end_waits_for_writer(db, &e, &t);
	o = thread_start(open_other_main, other);
	msleep(200);
	exec(w, "INSERT INTO t VALUES(2); COMMIT");
	pthread_join(t, NULL);
	pthread_join(o, NULL);
	assert_int_equal(e.err, JET_errSuccess);
	assert_int_equal(stats(db).records, 1);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 3);
	sqlite3_close(w);
	sqlite3_close(db);
}

/*
 * A journal opened while a snapshot holds the instance cannot be
 * registered: its writes go through the VFS underneath, and each is
 * synced there, since a Freeze syncs only the files it knows.  Once the
 * snapshot ended, the next journal goes through the library and, with
 * synchronous=OFF, nothing syncs it.
 */
static void direct_writes_synced(void **state)
{
	sqlite3 *db = open_db(dbpath, "DELETE");
	JET_OSSNAPID id;

	exec(db, "PRAGMA synchronous=OFF; CREATE TABLE t(x)");
	id = freeze(JET_bitContinueAfterThaw, 1);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	__atomic_store_n(&journal_syncs, 0, __ATOMIC_SEQ_CST);
	exec(db, "INSERT INTO t VALUES(1)");
	assert_true(__atomic_load_n(&journal_syncs, __ATOMIC_SEQ_CST) > 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);

	__atomic_store_n(&journal_syncs, 0, __ATOMIC_SEQ_CST);
	exec(db, "INSERT INTO t VALUES(2)");
	assert_int_equal(__atomic_load_n(&journal_syncs, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 3);
	sqlite3_close(db);
}

/* A copy snapshot keeps the WAL; an incremental one is refused. */
static void copy_and_incremental(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL");
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;
	off_t wal;

	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(randomblob(5000))");
	wal = fsize_suffix("-wal");
	id = freeze(JET_bitCopySnapshot | JET_bitContinueAfterThaw, 1);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot),
			 JET_errOSSnapshotInvalidSequence);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_true(fsize_suffix("-wal") >= wal);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup WHERE kind = 'copy'"), 1);

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitIncrementalSnapshot), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0),
			 JET_errInvalidBackup);
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot), 0);
	assert_int_equal(stats(db).broken, 0);	/* it never froze */
	assert_int_equal(stats(db).frozen, 0);
	assert_int_equal(query(db, "SELECT count(*) FROM t"), 1);
	sqlite3_close(db);
}

/*
 * Rollback journal: every transaction creates its journal.  One created
 * while frozen cannot be registered before End: its writes wait for the
 * thaw only, and the next freeze would wait for them.
 */
static void rollback_journal(void **state)
{
	sqlite3 *db = open_db(dbpath, "DELETE");
	struct writer w = {
		.sql = "BEGIN IMMEDIATE; UPDATE t SET x = x + 1; INSERT INTO t VALUES(10); COMMIT",
	};
	struct jetfreeze_sqlite_stats st;
	JET_OSSNAPID id;
	off_t main;
	pthread_t t;

	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	main = fsize(dbpath);
	id = freeze(JET_bitContinueAfterThaw, 1);
	t = thread_start(writer_main, &w);
	msleep(300);
	assert_false(writer_done(&w));
	assert_true(fsize_suffix("-journal") <= 0);
	assert_int_equal(fsize(dbpath), main);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	/* Committed before End: it waited for the thaw only. */
	pthread_join(t, NULL);
	assert_int_equal(w.rc, SQLITE_OK);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 12);
	st = stats(db);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.checkpoints, 0);	/* no WAL */

	/* TRUNCATE journals are truncated through the library. */
	exec(db, "PRAGMA journal_mode=TRUNCATE");
	exec(db, "INSERT INTO t VALUES(100)");
	assert_int_equal(fsize_suffix("-journal"), 0);
	id = freeze(JET_bitContinueAfterThaw, 1);
	thaw_end(id);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup"), 2);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 112);
	exec(db, "PRAGMA integrity_check");
	sqlite3_close(db);
}

struct closer {
	sqlite3 *db;
	bool done;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;

	sqlite3_close(c->db);
	__atomic_store_n(&c->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Closing the last connection during a snapshot: while frozen it waits
 * (SQLite checkpoints the WAL on the last close); the files stay
 * registered (parked) until the snapshot has ended, and a new connection
 * meanwhile reuses them or, for a new WAL, writes past the library.
 */
static void close_during_snapshot(void **state)
{
	struct closer c = { .db = open_db(dbpath, "WAL") };
	JET_OSSNAPID id;
	sqlite3 *db;
	pthread_t t;

	exec(c.db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	id = freeze(JET_bitContinueAfterThaw, 1);
	t = thread_start(closer_main, &c);
	msleep(200);
	assert_false(__atomic_load_n(&c.done, __ATOMIC_SEQ_CST));
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	pthread_join(t, NULL);
	assert_int_equal(fsize_suffix("-wal"), -1);	/* checkpointed, deleted */

	db = open_db(dbpath, NULL);
	exec(db, "INSERT INTO t VALUES(2)");		/* a new WAL */
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 3);
	sqlite3_close(db);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	/* The next open through the VFS ends what was parked, and the
	 * database is an instance again, a new one. */
	db = open_db(dbpath, NULL);
	assert_int_equal(query(db, "SELECT count(*) FROM jetfreeze_backup"), 1);
	assert_int_equal(query(db, "SELECT sum(x) FROM t"), 3);
	assert_int_equal(stats(db).freezes, 0);
	id = freeze(JET_bitContinueAfterThaw, 1);
	thaw_end(id);
	assert_int_equal(stats(db).completed, 1);
	sqlite3_close(db);
}

/* Temporary files pass through; VACUUM shrinks the database through the
 * library; an attached database is an instance of its own; the record can
 * be turned off. */
static void passthrough_vacuum_attach(void **state)
{
	char uri[800], other[700], sql[900];
	sqlite3 *db = open_db(dbpath, "DELETE");
	JET_OSSNAPID id;
	off_t big;

	exec(db, "CREATE TABLE t(x);" SERIES(200) "INSERT INTO t SELECT randomblob(2000) FROM n");
	exec(db, "CREATE TEMP TABLE tmp(y); INSERT INTO tmp SELECT x FROM t");
	big = fsize(dbpath);
	exec(db, "DELETE FROM t WHERE rowid > 10; VACUUM");
	assert_true(fsize(dbpath) < big / 4);
	assert_int_equal(query(db, "SELECT count(*) FROM tmp"), 200);

	snprintf(other, sizeof(other), "%s/other.db", dir);
	snprintf(uri, sizeof(uri), "file:%s?jetfreeze_record=0", other);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS other", uri);
	exec(db, sql);
	exec(db, "CREATE TABLE other.u(z); INSERT INTO other.u VALUES(1)");
	id = freeze(JET_bitContinueAfterThaw, 2);
	thaw_end(id);
	assert_int_equal(query(db, "SELECT count(*) FROM main.jetfreeze_backup"), 1);
	assert_int_equal(query(db, "SELECT count(*) FROM other.sqlite_schema WHERE name = 'jetfreeze_backup'"), 0);
	sqlite3_close(db);
}

/* ---- a bank under load --------------------------------------------------------- */

#define ACCOUNTS	100
#define WORKERS		4
#define SNAPSHOTS	10

static volatile bool stop_bank;

static void *bank_worker(void *arg)
{
	sqlite3 *db = open_db(dbpath, NULL);
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	char sql[200];

	while (!stop_bank) {
		int a = rand_r(&seed) % ACCOUNTS + 1, b = rand_r(&seed) % ACCOUNTS + 1;

		snprintf(sql, sizeof(sql),
			 "BEGIN IMMEDIATE; UPDATE acct SET bal = bal - 7 WHERE id = %d;"
			 "UPDATE acct SET bal = bal + 7 WHERE id = %d; COMMIT", a, b);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_close(db);
			return (void *)1;
		}
	}
	sqlite3_close(db);
	return NULL;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return;		/* no WAL at that moment */
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* Do the two files hold the same bytes (both missing counts as same)? */
static bool same_file(const char *a, const char *b)
{
	char ba[65536], bb[65536];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	bool same = fa < 0 && fb < 0;
	ssize_t na, nb;

	if (fa >= 0 && fb >= 0) {
		do {
			na = read(fa, ba, sizeof(ba));
			nb = read(fb, bb, sizeof(bb));
			same = na == nb && na >= 0 && !memcmp(ba, bb, (size_t)na);
		} while (same && na > 0);
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/*
 * Copies of the files taken while frozen are consistent, every time, and
 * the files do not change while frozen although the workers keep writing.
 */
static void bank_under_load(void **state)
{
	sqlite3 *db = open_db(dbpath, "WAL");
	pthread_t t[WORKERS];
	char from[700], to[800], to2[800];
	JET_OSSNAPID id;
	void *ret;
	int i;

	exec(db, "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER);"
		 SERIES(100) "INSERT INTO acct SELECT i, 1000 FROM n");
	stop_bank = false;
	for (i = 0; i < WORKERS; i++)
		t[i] = thread_start(bank_worker, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < SNAPSHOTS; i++) {
		msleep(30);
		id = freeze(JET_bitContinueAfterThaw, 1);
		snprintf(to, sizeof(to), "%s/copy%d.db", dir, i);
		copy_file(dbpath, to);
		snprintf(from, sizeof(from), "%s-wal", dbpath);
		snprintf(to2, sizeof(to2), "%s/copy%d.db-wal", dir, i);
		copy_file(from, to2);
		msleep(20);
		assert_true(same_file(dbpath, to));
		assert_true(same_file(from, to2));
		thaw_end(id);
	}
	stop_bank = true;
	for (i = 0; i < WORKERS; i++) {
		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	assert_int_equal(query(db, "SELECT sum(bal) FROM acct"), 100000);
	assert_int_equal(stats(db).completed, SNAPSHOTS);
	sqlite3_close(db);

	for (i = 0; i < SNAPSHOTS; i++) {
		sqlite3 *c;
		char *s;

		snprintf(to, sizeof(to), "%s/copy%d.db", dir, i);
		assert_int_equal(sqlite3_open(to, &c), SQLITE_OK);
		s = query_text(c, "PRAGMA integrity_check");
		assert_string_equal(s, "ok");
		free(s);
		assert_int_equal(query(c, "SELECT sum(bal) FROM acct"), 100000);
		/* Snapshot i holds the records of the i before it. */
		assert_int_equal(query(c, i ? "SELECT count(*) FROM jetfreeze_backup"
					    : "SELECT count(*) FROM sqlite_schema WHERE name = 'jetfreeze_backup'"),
				 i);
		sqlite3_close(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(database_is_an_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_wait_while_frozen, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_log_and_record, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_log_busy_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_and_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_during_end, setup, teardown),
		cmocka_unit_test_setup_teardown(open_during_end, setup, teardown),
		cmocka_unit_test_setup_teardown(direct_writes_synced, setup, teardown),
		cmocka_unit_test_setup_teardown(close_during_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(passthrough_vacuum_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(bank_under_load, setup, teardown),
	};
	int ret;

	if (counting_vfs_register() != SQLITE_OK) {
		fprintf(stderr, "cannot register the counting VFS\n");
		return 1;
	}
	ret = run_group(tests);

	tmpdir_remove();
	sqlite3_shutdown();
	return ret;
}
