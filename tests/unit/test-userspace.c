// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace-only mode end to end on the host (no module, no fake): the
 * engine keeps writing during a freeze; its writes and fsyncs are accepted
 * and held, the files on disk do not change, reads keep working, and after
 * Thaw every held write lands with the right data.  Also: without the
 * module, kernel mode refuses the Freeze and says why.  And a thread that
 * must not wait for a snapshot call's callbacks does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "log.h"

#define BLOCK		4096
#define NR_BLOCKS	64

static struct test_instance ti;

static int setup(void **state)
{
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE), 0);
	instance_setup(&ti, "userspace", true);
	return 0;
}

static int teardown(void **state)
{
	instance_teardown(&ti);
	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_KERNEL), 0);
	events_stop();
	assert_no_sessions();
	return 0;
}

/* The bytes on disk, read behind the library's back. */
static void read_disk(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	/* Dropping this fd's view of the page cache is not needed: held
	 * writes never reached the kernel at all. */
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void fill(char *buf, int gen, int block)
{
	memset(buf, 0, BLOCK);
	snprintf(buf, BLOCK, "generation %d block %d", gen, block);
	memset(buf + 64, 'a' + (gen + block) % 26, BLOCK - 64);
}

struct tally {
	pthread_mutex_t lock;
	int done;
	int bad;
};

static void count_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct tally *t = arg;

	pthread_mutex_lock(&t->lock);
	t->done++;
	if (res < 0 || (res != BLOCK && res != 0))
		t->bad++;
	pthread_mutex_unlock(&t->lock);
}

static int tally_done(struct tally *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->done;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* An engine thread that writes generation 1 with the sync helper. */
static void *sync_writer(void *arg)
{
	static char buf[BLOCK];
	intptr_t ret;

	fill(buf, 1, NR_BLOCKS);
	ret = jetfreeze_pwrite(ti.db, buf, BLOCK, (uint64_t)NR_BLOCKS * BLOCK);
	if (ret == BLOCK)
		ret = jetfreeze_sync(ti.db, 0);
	return (void *)ret;
}

static void writes_held_then_landed(void **state)
{
	static char gen0[NR_BLOCKS + 1][BLOCK], gen1[NR_BLOCKS][BLOCK];
	static char disk[BLOCK], via_lib[BLOCK];
	struct tally t = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;
	pthread_t writer;
	void *ret;
	int i;

	/* Generation 0 is on disk before the snapshot. */
	for (i = 0; i <= NR_BLOCKS; i++) {
		fill(gen0[i], 0, i);
		assert_int_equal(jetfreeze_pwrite(ti.db, gen0[i], BLOCK,
						  (uint64_t)i * BLOCK), BLOCK);
	}
	assert_int_equal(jetfreeze_pwrite(ti.log, gen0[0], BLOCK, 0), BLOCK);

	events_start();
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	JetFreeBuffer((char *)info);
	assert_true(events_saw("userspace-only mode"));

	/* The engine keeps writing: asynchronously, and from a thread that
	 * uses the synchronous helpers. */
	for (i = 0; i < NR_BLOCKS; i++) {
		fill(gen1[i], 1, i);
		assert_int_equal(jetfreeze_write(ti.db, gen1[i], BLOCK,
						 (uint64_t)i * BLOCK,
						 count_done, &t), 0);
	}
	assert_int_equal(jetfreeze_write(ti.log, gen1[0], BLOCK, 0, count_done,
					 &t), 0);
	assert_int_equal(jetfreeze_fsync(ti.db, 0, count_done, &t), 0);
	writer = thread_start(sync_writer, NULL);
	msleep(200);

	/* Nothing completed, nothing on disk changed. */
	assert_int_equal(tally_done(&t), 0);
	for (i = 0; i <= NR_BLOCKS; i++) {
		read_disk(ti.dbpath, disk, BLOCK, (off_t)i * BLOCK);
		assert_memory_equal(disk, gen0[i], BLOCK);
	}
	read_disk(ti.logpath, disk, BLOCK, 0);
	assert_memory_equal(disk, gen0[0], BLOCK);
	/* Reads keep working (the pre-freeze data). */
	assert_int_equal(jetfreeze_pread(ti.db, via_lib, BLOCK, 5 * BLOCK), BLOCK);
	assert_memory_equal(via_lib, gen0[5], BLOCK);
	/* Closing or adding a frozen file is refused; temp files are free. */
	assert_int_equal(jetfreeze_file_close(ti.log), -EBUSY);

	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	pthread_join(writer, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), 0);
	assert_int_equal(tally_done(&t), NR_BLOCKS + 2);
	assert_int_equal(t.bad, 0);
	for (i = 0; i < NR_BLOCKS; i++) {
		read_disk(ti.dbpath, disk, BLOCK, (off_t)i * BLOCK);
		assert_memory_equal(disk, gen1[i], BLOCK);
	}
	read_disk(ti.dbpath, disk, BLOCK, (off_t)NR_BLOCKS * BLOCK);
	fill(via_lib, 1, NR_BLOCKS);
	assert_memory_equal(disk, via_lib, BLOCK);
	read_disk(ti.logpath, disk, BLOCK, 0);
	assert_memory_equal(disk, gen1[0], BLOCK);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* Temporary files are never held (ESE's temporary database). */
static void temp_files_pass(void **state)
{
	struct tally t = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	struct jetfreeze_file *tmp;
	JET_INSTANCE_INFO_A *info;
	char path[600], buf[BLOCK];
	unsigned long n;
	JET_OSSNAPID id;

	snprintf(path, sizeof(path), "%s.tmp", ti.dbpath);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
	/* Temp files may even be opened during the freeze. */
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR | O_CREAT, 0600,
					     JETFREEZE_FILE_TEMP, &tmp), 0);
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR, 0,
					     JETFREEZE_FILE_DATABASE, &tmp),
			 -EBUSY);
	fill(buf, 7, 7);
	assert_int_equal(jetfreeze_pwrite(tmp, buf, BLOCK, 0), BLOCK);
	assert_int_equal(jetfreeze_fsync(tmp, 0, count_done, &t), 0);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), 0);
	assert_int_equal(t.done, 1);
	assert_int_equal(jetfreeze_file_close(tmp), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	unlink(path);
}

struct truncater {
	struct jetfreeze_file *f;
	uint64_t size;
	int ret;
	bool done;
};

static void *truncate_main(void *arg)
{
	struct truncater *tr = arg;

	tr->ret = jetfreeze_truncate(tr->f, tr->size);
	__atomic_store_n(&tr->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static off_t disk_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/*
 * A truncate is held like a write: it waits for the thaw and the file
 * keeps its size meanwhile; reads still pass.
 */
static void truncate_held(void **state)
{
	struct truncater tr = { .f = ti.log, .size = BLOCK };
	JET_INSTANCE_INFO_A *info;
	char buf[BLOCK], back[BLOCK];
	unsigned long n;
	JET_OSSNAPID id;
	pthread_t th;

	fill(buf, 3, 0);
	assert_int_equal(jetfreeze_pwrite(ti.log, buf, BLOCK, 0), BLOCK);
	assert_int_equal(jetfreeze_pwrite(ti.log, buf, BLOCK, 3 * BLOCK), BLOCK);
	assert_int_equal(disk_size(ti.logpath), 4 * BLOCK);

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
	th = thread_start(truncate_main, &tr);
	msleep(200);
	assert_false(__atomic_load_n(&tr.done, __ATOMIC_SEQ_CST));
	assert_int_equal(disk_size(ti.logpath), 4 * BLOCK);
	assert_int_equal(jetfreeze_pread(ti.log, back, BLOCK, 3 * BLOCK), BLOCK);
	assert_memory_equal(back, buf, BLOCK);

	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	pthread_join(th, NULL);
	assert_int_equal(tr.ret, 0);
	assert_int_equal(disk_size(ti.logpath), BLOCK);
	assert_int_equal(jetfreeze_pread(ti.log, back, BLOCK, 0), BLOCK);
	assert_memory_equal(back, buf, BLOCK);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* No module and kernel mode: Freeze says no, and says why. */
static void kernel_mode_without_module(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_KERNEL), 0);
	setenv("JETFREEZE_NODE", "/nonexistent/jetfreeze", 1);
	events_start();
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0),
			 JET_errOSSnapshotNotAllowed);
	assert_true(events_saw("is the jetfreeze module loaded?"));
	assert_int_equal(events_count(2002), 1);
	/* Nothing stays held: the engine writes at once. */
	assert_int_equal(jetfreeze_pwrite(ti.db, "x", 1, 0), 1);
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	unsetenv("JETFREEZE_NODE");
}

#define MANY	3000	/* more than an io_uring CQ holds (512) */

struct many {
	pthread_mutex_t lock;
	int done, bad;
};

/* A completion callback that takes the snapshot lock (briefly). */
static void locking_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct many *m = arg;

	jetfreeze_instance_set_flags(ti.id, 0, 0);
	pthread_mutex_lock(&m->lock);
	m->done++;
	m->bad += res != 8;
	pthread_mutex_unlock(&m->lock);
}

/*
 * Thousands of held writes go down at the thaw, from the freeze thread
 * that holds the snapshot lock, while their completion callbacks want
 * that lock: submitting must never wait for completions.
 */
static void many_held_writes(void **state)
{
	struct many m = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	static uint64_t vals[MANY];
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;
	int i;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
	for (i = 0; i < MANY; i++) {
		vals[i] = (uint64_t)i * 3;
		assert_int_equal(jetfreeze_write(ti.db, &vals[i], 8,
						 (uint64_t)i * 8, locking_done,
						 &m), 0);
	}
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), 0);
	assert_int_equal(m.done, MANY);
	assert_int_equal(m.bad, 0);
	for (i = 0; i < MANY; i += 499) {
		uint64_t v;

		assert_int_equal(jetfreeze_pread(ti.db, &v, 8, (uint64_t)i * 8), 8);
		assert_int_equal(v, (uint64_t)i * 3);
	}
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* A backup_completed callback that waits until the test lets it go. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool entered, release;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };

static void completed_waits(JET_INSTANCE inst, void *ctx, unsigned int kind,
			    uint64_t log_position)
{
	pthread_mutex_lock(&gate.lock);
	gate.entered = true;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.release)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void *snapshot_to_completion(void *arg)
{
	JET_ERR *err = arg;
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	*err = JetOSSnapshotPrepare(&id, 0);
	if (*err)
		return NULL;
	*err = JetOSSnapshotFreezeA(id, &n, &info, 0);
	if (*err) {
		JetOSSnapshotAbort(id, 0);
		return NULL;
	}
	JetFreeBuffer((char *)info);
	/* Thaw without ContinueAfterThaw ends the snapshot: backup_completed */
	*err = JetOSSnapshotThaw(id, 0);
	return NULL;
}

/*
 * While another thread's snapshot call runs a callback, a thread that set
 * jetfreeze_set_nowait() gets -EAGAIN from the instance and file calls at
 * once, with nothing done; a thread that did not would wait.
 */
static void nowait_during_callback(void **state)
{
	static const struct jetfreeze_callbacks cb = {
		.backup_completed = completed_waits,
	};
	struct jetfreeze_file *f = NULL;
	JET_INSTANCE blocker, other = 0;
	JET_ERR snap_err = -1;
	char path[600];
	pthread_t t;

	assert_int_equal(jetfreeze_instance_create(&blocker, "blocker", &cb, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(blocker), 0);
	snprintf(path, sizeof(path), "%s.other", ti.dbpath);
	gate.entered = gate.release = false;

	t = thread_start(snapshot_to_completion, &snap_err);
	pthread_mutex_lock(&gate.lock);
	while (!gate.entered)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);

	assert_int_equal(jetfreeze_set_nowait(1), 0);
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_TEMP, &f), -EAGAIN);
	assert_null(f);
	assert_int_equal(jetfreeze_file_close(ti.log), -EAGAIN);
	assert_int_equal(jetfreeze_instance_create(&other, "other", NULL, NULL), -EAGAIN);
	assert_int_equal(jetfreeze_instance_start(blocker), -EAGAIN);
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), -EAGAIN);
	assert_int_equal(jetfreeze_instance_destroy(blocker), -EAGAIN);
	assert_int_equal(jetfreeze_instance_set_flags(ti.id, 0, 0), -EAGAIN);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), -EAGAIN);
	/* I/O does not take the snapshot lock */
	assert_int_equal(jetfreeze_pwrite(ti.db, path, 8, 0), 8);

	pthread_mutex_lock(&gate.lock);
	gate.release = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	pthread_join(t, NULL);
	assert_int_equal(snap_err, JET_errSuccess);

	/* Nobody holds the lock now: the same calls go through. */
	assert_int_equal(jetfreeze_file_open(ti.id, path, O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_TEMP, &f), 0);
	assert_int_equal(jetfreeze_file_close(f), 0);
	assert_int_equal(jetfreeze_set_nowait(0), 1);
	assert_int_equal(jetfreeze_set_nowait(0), 0);
	assert_int_equal(jetfreeze_instance_stop(blocker, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(blocker), 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(writes_held_then_landed, setup, teardown),
		cmocka_unit_test_setup_teardown(temp_files_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(many_held_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_held, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_mode_without_module, setup, teardown),
		cmocka_unit_test_setup_teardown(nowait_during_callback, setup, teardown),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
