// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a kernel-mode Freeze does, with the kernel replaced: which devices
 * it freezes, that it waits for the engine's writes in flight, what the
 * engine's I/O does while frozen, how every failure is reported and
 * undone, and what the instance may do during the snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"

static struct fake_kernel fk;
static struct test_instance ti;

static int setup(void **state)
{
	fake_kernel_install(&fk);
	instance_setup(&ti, "flow", true);
	events_start();
	return 0;
}

static int teardown(void **state)
{
	instance_teardown(&ti);
	fake_kernel_remove();
	events_stop();
	assert_no_sessions();
	return 0;
}

static JET_ERR freeze(JET_OSSNAPID id)
{
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long n;
	JET_ERR err = JetOSSnapshotFreezeA(id, &n, &info, 0);

	JetFreeBuffer((char *)info);
	return err;
}

/* The union of the devices under every file, in one kernel session. */
static void freezes_the_union(void **state)
{
	struct test_instance other;
	JET_OSSNAPID id;

	instance_setup(&other, "other", true);
	fk.map[0].prefix = ti.dbpath;
	fk.map[0].major = 8;
	fk.map[0].minor = 1;
	fk.map[1].prefix = other.dbpath;
	fk.map[1].major = 8;
	fk.map[1].minor = 17;
	/* Both log files on the default 254:16. */
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(freeze(id), 0);
	assert_int_equal(fk.opens, 1);
	assert_int_equal(fk.freezes, 1);
	assert_int_equal(fk.resolves, 4);
	assert_int_equal(fk.nr_devs, 3);
	assert_int_equal(fk.devs[0].major, 8);
	assert_int_equal(fk.devs[0].minor, 1);
	assert_int_equal(fk.devs[1].minor, 17);
	assert_int_equal(fk.devs[2].major, 254);
	assert_true(fk.holding);
	assert_true(events_saw("froze"));
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_false(fk.holding);
	assert_int_equal(fk.open_fds, 0);
	instance_teardown(&other);
}

/* No files at all: nothing to freeze, no kernel session. */
static void no_files_no_kernel(void **state)
{
	JET_INSTANCE bare;
	JET_OSSNAPID id;

	assert_int_equal(jetfreeze_instance_create(&bare, "bare", NULL, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(bare), 0);
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, bare, 0), 0);
	assert_int_equal(freeze(id), 0);
	assert_int_equal(fk.opens, 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(bare, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(bare), 0);
}

struct freezer {
	JET_OSSNAPID id;
	JET_ERR err;
	int returned;
};

static void *freezer_main(void *arg)
{
	struct freezer *fz = arg;

	fz->err = freeze(fz->id);
	__atomic_store_n(&fz->returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void flag_done(struct jetfreeze_file *f, void *arg, int res)
{
	__atomic_store_n((int *)arg, res, __ATOMIC_SEQ_CST);
}

/* Freeze returns only after the engine's write in flight completed. */
static void drains_writes_in_flight(void **state)
{
	struct jetfreeze_file *pipe_file;
	struct freezer fz = { 0 };
	char path[600], chunk[4096] = { 0 }, sink[65536];
	int rd, wr, res = -1000;
	pthread_t t;

	snprintf(path, sizeof(path), "%s.fifo", ti.dbpath);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	wr = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(rd >= 0 && wr >= 0);
	while (write(wr, chunk, sizeof(chunk)) > 0)
		;
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_WRONLY, 0,
					     JETFREEZE_FILE_OTHER, &pipe_file), 0);
	/* This write cannot complete until someone reads the pipe. */
	assert_int_equal(jetfreeze_write(pipe_file, chunk, sizeof(chunk), 0,
					 flag_done, &res), 0);
	assert_int_equal(JetOSSnapshotPrepare(&fz.id, 0), 0);
	t = thread_start(freezer_main, &fz);
	msleep(300);
	assert_int_equal(__atomic_load_n(&fz.returned, __ATOMIC_SEQ_CST), 0);
	pthread_mutex_lock(&fk.lock);
	assert_int_equal(fk.freezes, 0);
	pthread_mutex_unlock(&fk.lock);
	while (__atomic_load_n(&res, __ATOMIC_SEQ_CST) == -1000) {
		if (read(rd, sink, sizeof(sink)) <= 0)
			msleep(1);
	}
	pthread_join(t, NULL);
	assert_int_equal(fz.err, 0);
	assert_int_equal(res, sizeof(chunk));
	assert_int_equal(fk.freezes, 1);
	assert_int_equal(JetOSSnapshotThaw(fz.id, 0), 0);
	assert_int_equal(jetfreeze_file_close(pipe_file), 0);
	close(rd);
	close(wr);
	unlink(path);
}

/*
 * With a kernel hold too, the engine's writes and fsyncs wait in the
 * library (submitting never blocks on a frozen filesystem); reads pass.
 */
static void kernel_mode_holds_engine_io(void **state)
{
	int wres = -1000, sres = -1000;
	char buf[16] = "while frozen", back[16];
	JET_OSSNAPID id;

	assert_int_equal(jetfreeze_pwrite(ti.db, "before", 7, 0), 7);
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(freeze(id), 0);
	assert_int_equal(jetfreeze_write(ti.db, buf, sizeof(buf), 0, flag_done,
					 &wres), 0);
	assert_int_equal(jetfreeze_fsync(ti.db, 0, flag_done, &sres), 0);
	msleep(100);
	assert_int_equal(__atomic_load_n(&wres, __ATOMIC_SEQ_CST), -1000);
	assert_int_equal(__atomic_load_n(&sres, __ATOMIC_SEQ_CST), -1000);
	assert_int_equal(jetfreeze_pread(ti.db, back, 7, 0), 7);
	assert_string_equal(back, "before");
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), 0);
	assert_int_equal(wres, sizeof(buf));
	assert_int_equal(sres, 0);
	assert_int_equal(jetfreeze_pread(ti.db, back, sizeof(back), 0),
			 sizeof(back));
	assert_string_equal(back, "while frozen");
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* Kernel failures: the JET error, the log line, and a clean undo. */
static void kernel_failures(void **state)
{
	static const struct {
		int open_err, version_err, freeze_err, resolve_err;
		uint32_t abi, max_devices;
		JET_ERR want;
		const char *log;
	} cases[] = {
		{ -ENOENT, 0, 0, 0, 1, 64, -2403, "is the jetfreeze module loaded?" },
		{ -EACCES, 0, 0, 0, 1, 64, -2403, "needs root" },
		{ 0, -ENOTTY, 0, 0, 1, 64, -2403, "does not speak ABI" },
		{ 0, 0, 0, 0, 2, 64, -2403, "does not speak ABI" },
		{ 0, 0, 0, 0, 1, 1, -2403, "takes at most 1" },
		{ 0, 0, -EBUSY, 0, 1, 64, -2403, "could not freeze" },
		{ 0, 0, -EPERM, 0, 1, 64, -2403, "could not freeze" },
		{ 0, 0, -EOPNOTSUPP, 0, 1, 64, -2403, "device at fault" },
		{ 0, 0, -ETIMEDOUT, 0, 1, 64, JET_errOSSnapshotTimeOut, "could not freeze" },
		{ 0, 0, -EIO, 0, 1, 64, JET_errDiskIO, "could not freeze" },
		{ 0, 0, -ENOMEM, 0, 1, 64, JET_errOutOfMemory, "could not freeze" },
		{ 0, 0, 0, -ENOTBLK, 1, 64, -2403, "no block device to freeze" },
		{ 0, 0, 0, -ENOENT, 1, 64, JET_errFileNotFound, "no block device" },
	};
	size_t i;

	fk.map[0].prefix = ti.logpath;
	fk.map[0].major = 8;
	fk.map[0].minor = 2;	/* two devices, for max_devices */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		JET_OSSNAPID id;

		events_start();
		fk.open_err = cases[i].open_err;
		fk.version_err = cases[i].version_err;
		fk.freeze_err = cases[i].freeze_err;
		fk.freeze_failed_index = 1;
		fk.resolve_err = cases[i].resolve_err;
		fk.version.abi_major = cases[i].abi;
		fk.version.max_devices = cases[i].max_devices;
		assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw),
				 0);
		if (freeze(id) != cases[i].want || !events_saw(cases[i].log))
			fail_msg("case %zu: got %d, want %d and a log line with '%s'",
				 i, freeze(id), cases[i].want, cases[i].log);
		assert_int_equal(events_count(2002), 1);
		assert_int_equal(fk.open_fds, 0);
		assert_false(fk.holding);
		/* Undone: the engine may write, the instance is released. */
		assert_int_equal(jetfreeze_pwrite(ti.db, "x", 1, 0), 1);
		assert_int_equal(ti.cb.last_end_status, -ECANCELED);
		assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
		assert_int_equal(ti.cb.completed, 0);
	}
}

/* The engine's freeze_begin decides some of ESE's incremental errors. */
static void engine_refusals(void **state)
{
	static const struct {
		int ret;
		JET_GRBIT grbit;
		JET_ERR want;
	} cases[] = {
		{ -ENODATA, JET_bitIncrementalSnapshot, JET_errMissingFullBackup },
		{ -ENOENT, JET_bitIncrementalSnapshot, JET_errMissingFileToBackup },
		{ -EINVAL, 0, JET_errInvalidBackup },
		{ -EBUSY, 0, JET_errOSSnapshotNotAllowed },
		{ -EIO, JET_bitCopySnapshot, JET_errDiskIO },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		JET_OSSNAPID id;

		ti.cb.freeze_begin_ret = cases[i].ret;
		assert_int_equal(JetOSSnapshotPrepare(&id, cases[i].grbit), 0);
		assert_int_equal(freeze(id), cases[i].want);
		assert_int_equal(fk.opens, 0);
		assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	}
	/* freeze_begin refused: nothing to end. */
	assert_int_equal(ti.cb.freeze_begin, 5);
	assert_int_equal(ti.cb.freeze_end, 0);
	ti.cb.freeze_begin_ret = 0;
}

static void incremental_needs_linear_logs(void **state)
{
	struct test_instance circ;
	JET_OSSNAPID id;

	instance_setup(&circ, "circ", false);
	assert_int_equal(JetSetSystemParameterA(&circ.id, 0,
						JET_paramCircularLog, 1, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(circ.id), 0);
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitIncrementalSnapshot), 0);
	assert_int_equal(freeze(id), JET_errInvalidBackup);
	assert_true(events_saw("circular logging"));
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	/* A full one is fine. */
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(freeze(id), 0);
	assert_int_equal(circ.cb.last_kind, JETFREEZE_BACKUP_FULL);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	instance_teardown(&circ);
}

static void kinds_reach_the_engine(void **state)
{
	static const struct {
		JET_GRBIT grbit;
		unsigned int kind;
	} cases[] = {
		{ 0, JETFREEZE_BACKUP_FULL },
		{ JET_bitIncrementalSnapshot, JETFREEZE_BACKUP_INCREMENTAL },
		{ JET_bitCopySnapshot, JETFREEZE_BACKUP_COPY },
		{ JET_bitCopySnapshot | JET_bitIncrementalSnapshot,
		  JETFREEZE_BACKUP_DIFFERENTIAL },
	};
	static const unsigned int events[] = { 2005, 2008, 2009, 2010 };
	size_t i;

	for (i = 0; i < 4; i++) {
		JET_OSSNAPID id;

		events_start();
		ti.cb.position = 100 + i;
		assert_int_equal(JetOSSnapshotPrepare(&id, cases[i].grbit), 0);
		assert_int_equal(events_count(events[i]), 1);
		assert_int_equal(freeze(id), 0);
		/* 2001 once for the session and once per instance. */
		assert_int_equal(events_count(2001), 2);
		assert_int_equal(ti.cb.last_kind, cases[i].kind);
		assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
		assert_int_equal(ti.cb.completed_kind, cases[i].kind);
		assert_int_equal(ti.cb.last_completed_pos, 100 + i);
	}
}

/* Conditions found at Freeze time (ESE's SetBackupInProgress). */
static void freeze_time_refusals(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	/* The engine started a backup of its own after Prepare. */
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(jetfreeze_instance_set_flags(ti.id,
				JETFREEZE_INST_BACKUP_RUNNING, 0), 0);
	assert_int_equal(freeze(id), JET_errOSSnapshotNotAllowed);
	assert_true(events_saw("runs a backup of its own"));
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 0);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	/* ... and it cannot join while that runs. */
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, ti.id, 0), -2403);
	assert_int_equal(jetfreeze_instance_set_flags(ti.id, 0,
				JETFREEZE_INST_BACKUP_RUNNING), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);

	/* The only running instance stopped: it left the session, and no
	 * instance runs at Freeze time. */
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), 0);
	assert_int_equal(freeze(id), JET_errNotInitialized);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
}

static void *abrupt_stop(void *arg)
{
	return (void *)(intptr_t)jetfreeze_instance_stop(ti.id,
							 JETFREEZE_STOP_ABRUPT);
}

/* ESE §5.10: what the engine may do while a snapshot holds it. */
static void backup_window(void **state)
{
	struct jetfreeze_file *f;
	JET_OSSNAPID id;
	char path[600];
	pthread_t t;
	void *ret;

	snprintf(path, sizeof(path), "%s.new", ti.dbpath);
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	/* Prepared only: files may come and go. */
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR | O_CREAT,
					     0600, JETFREEZE_FILE_DATABASE, &f), 0);
	assert_int_equal(jetfreeze_file_close(f), 0);
	assert_int_equal(freeze(id), 0);
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR, 0,
					     JETFREEZE_FILE_DATABASE, &f), -EBUSY);
	assert_int_equal(jetfreeze_file_close(ti.db), -EBUSY);
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), -EBUSY);
	assert_int_equal(jetfreeze_instance_set_flags(ti.id,
				JETFREEZE_INST_BACKUP_RUNNING, 0), -EBUSY);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	/* Still held after a thaw with ContinueAfterThaw, until End. */
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), -EBUSY);
	t = thread_start(abrupt_stop, NULL);
	msleep(100);
	assert_int_equal(pthread_tryjoin_np(t, &ret), EBUSY);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
	unlink(path);
}

/* What a freeze_begin may and may not do with the lock it runs under. */
struct reentry {
	JET_OSSNAPID snap;
	char path[600];
	JET_INSTANCE self;
	struct jetfreeze_file *added;
	int open_err, stop_err, wait_err, clean_stop_err;
	JET_ERR thaw_err, prepare_err;
	JET_API_PTR timeout;
	JET_ERR param_err;
};

static int reentrant_begin(JET_INSTANCE inst, void *ctx, unsigned int kind,
			   uint64_t *pos)
{
	struct reentry *r = ctx;
	JET_OSSNAPID other;

	r->open_err = jetfreeze_file_open(inst, r->path, O_RDWR | O_CREAT, 0600,
					  JETFREEZE_FILE_LOG, &r->added);
	r->wait_err = jetfreeze_instance_wait_io(inst);
	r->clean_stop_err = jetfreeze_instance_stop(inst, 0);
	r->stop_err = jetfreeze_instance_stop(inst, JETFREEZE_STOP_ABRUPT);
	r->thaw_err = JetOSSnapshotThaw(r->snap, 0);
	r->prepare_err = JetOSSnapshotPrepare(&other, 0);
	r->param_err = JetGetSystemParameterA(0, 0, JET_paramOSSnapshotTimeout,
					      &r->timeout, NULL, 0);
	return 0;
}

static void callbacks_reenter(void **state)
{
	static const struct jetfreeze_callbacks cb = {
		.freeze_begin = reentrant_begin,
	};
	struct reentry r = { 0 };
	JET_INSTANCE inst;

	snprintf(r.path, sizeof(r.path), "%s.added", ti.dbpath);
	assert_int_equal(jetfreeze_instance_create(&inst, "reentry", &cb, &r), 0);
	assert_int_equal(jetfreeze_instance_start(inst), 0);
	assert_int_equal(JetOSSnapshotPrepare(&r.snap, JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(r.snap, inst, 0), 0);
	assert_int_equal(freeze(r.snap), 0);
	/* The new file was registered, and frozen with the others. */
	assert_int_equal(r.open_err, 0);
	assert_int_equal(fk.resolves, 1);
	assert_int_equal(r.wait_err, 0);
	assert_int_equal(r.clean_stop_err, -EBUSY);
	assert_int_equal(r.stop_err, -EDEADLK);
	assert_int_equal(r.thaw_err, JET_errOSSnapshotInvalidSequence);
	assert_int_equal(r.prepare_err, JET_errOSSnapshotInvalidSequence);
	assert_int_equal(r.param_err, 0);
	assert_int_equal(r.timeout, 70000);
	assert_int_equal(JetOSSnapshotThaw(r.snap, 0), 0);
	assert_int_equal(jetfreeze_file_close(r.added), 0);
	assert_int_equal(jetfreeze_instance_stop(inst, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(inst), 0);
	unlink(r.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(freezes_the_union, setup, teardown),
		cmocka_unit_test_setup_teardown(no_files_no_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(drains_writes_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_mode_holds_engine_io, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(engine_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(incremental_needs_linear_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(kinds_reach_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(freeze_time_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(backup_window, setup, teardown),
		cmocka_unit_test_setup_teardown(callbacks_reenter, setup, teardown),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
