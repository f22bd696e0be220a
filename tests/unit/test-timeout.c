// SPDX-License-Identifier: GPL-2.0-only
/*
 * The timeout paths (ese-ossnapshot.md §3.4, §4): what the kernel is told,
 * what the freeze thread does when the time is up or when the kernel broke
 * the hold early, and what every call returns afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "global.h"
#include "helpers.h"
#include "log.h"
#include "session.h"

static struct fake_kernel fk;
static struct test_instance ti;

static int setup(void **state)
{
	fake_kernel_install(&fk);
	instance_setup(&ti, "timeout", true);
	events_start();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						70000, NULL), 0);
	jetfreeze_set_mode(JETFREEZE_MODE_KERNEL);
	instance_teardown(&ti);
	fake_kernel_remove();
	events_stop();
	assert_no_sessions();
	return 0;
}

static void set_timeout(JET_API_PTR ms)
{
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout, ms,
						NULL), 0);
}

static bool timed_out(JET_OSSNAPID id)
{
	struct jf_session *s;
	bool t;

	pthread_mutex_lock(&jf_g.lock);
	s = jf_session_find(id);
	t = s && s->state == JF_SNAP_TIMEOUT;
	pthread_mutex_unlock(&jf_g.lock);
	return t;
}

static void wait_timed_out(JET_OSSNAPID id, unsigned int max_ms)
{
	unsigned int waited = 0;

	while (!timed_out(id) && waited < max_ms) {
		msleep(5);
		waited += 5;
	}
	assert_true(timed_out(id));
}

static JET_OSSNAPID frozen(JET_GRBIT grbit)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, grbit), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
	return id;
}

/* The kernel gets the parameter, capped by the module, 0 made 1 ms. */
static void kernel_timeout_mapping(void **state)
{
	static const struct {
		JET_API_PTR param;
		uint32_t kernel;
	} cases[] = {
		{ 70000, 70000 },	/* ESE's default is the module's cap */
		{ 5000, 5000 },
		{ 1, 1 },
		{ 0, 1 },		/* "right after the freeze" */
		{ 70001, 70000 },
		{ 2147483647, 70000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		JET_OSSNAPID id;

		set_timeout(cases[i].param);
		id = frozen(JET_bitContinueAfterThaw);
		assert_int_equal(fk.timeout_ms, cases[i].kernel);
		assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	}
	assert_true(events_saw("above the module's limit"));
	/* A module with a smaller cap. */
	fk.version.max_timeout_ms = 30000;
	set_timeout(70000);
	assert_int_equal(JetOSSnapshotAbort(frozen(0), 0), 0);
	assert_int_equal(fk.timeout_ms, 30000);
}

/* The library's own timer thaws at the timeout, like ESE's thread. */
static void library_timer_thaws(void **state)
{
	JET_OSSNAPID id;

	set_timeout(150);
	id = frozen(JET_bitContinueAfterThaw);
	assert_true(fk.holding);
	msleep(50);
	assert_false(timed_out(id));
	wait_timed_out(id, 2000);
	/* Released: the hold, the engine, the instance. */
	assert_false(fk.holding);
	assert_int_equal(fk.open_fds, 0);
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(ti.cb.last_end_status, -ETIMEDOUT);
	assert_int_equal(events_count(JF_EV_TIME_OUT), 1);
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), 0);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
	/* Only Thaw reports the timeout (ESE bug 1634256, never fixed). */
	assert_int_equal(JetOSSnapshotTruncateLog(id, 1), -2401);
	assert_int_equal(JetOSSnapshotEnd(id, 0), -2401);
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot), 0);
	assert_int_equal(events_count(JF_EV_ABORT), 1);
	assert_int_equal(ti.cb.completed, 0);
}

static void timeout_zero_without_cat(void **state)
{
	JET_OSSNAPID id;

	set_timeout(0);
	id = frozen(0);
	wait_timed_out(id, 2000);
	/* The session waits in TimeOut for the client, CAT or not. */
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotThaw(id, 0), JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(events_count(JF_EV_ABORT), 1);
}

/*
 * A timeout of 0 has passed when Freeze returns: a Thaw right after it
 * reports the timeout every time (ESE decides before Freeze returns).
 */
static void timeout_zero_beats_an_immediate_thaw(void **state)
{
	int round;

	set_timeout(0);
	for (round = 0; round < 100; round++) {
		JET_OSSNAPID id = frozen(JET_bitContinueAfterThaw);

		assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
		assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	}
}

/* A hold limit broke the hold: the STATUS poll notices before Thaw. */
static void kernel_break_noticed_by_poll(void **state)
{
	JET_OSSNAPID id;

	set_timeout(60000);
	id = frozen(JET_bitContinueAfterThaw);
	pthread_mutex_lock(&fk.lock);
	fk.hold_broken = true;
	pthread_mutex_unlock(&fk.lock);
	wait_timed_out(id, 3000);
	assert_true(fk.hold_polls >= 1);
	assert_true(events_saw("held-bytes"));
	assert_int_equal(ti.cb.last_end_status, -ETIMEDOUT);
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
}

/* No STATUS: the break is learnt from THAW, and still -2402. */
static void kernel_break_reported_by_thaw(void **state)
{
	JET_OSSNAPID id;

	fk.hold_active_err = -ENOTTY;
	id = frozen(0);
	msleep(300);	/* the thread tried STATUS once and gave up */
	fk.thaw_broken = JETFREEZE_BROKEN_DEVICE_REMOVED;
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_true(events_saw("device-removed"));
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), JET_errOSSnapshotInvalidSnapId);
}

/* THAW itself failing means the hold is gone: treated as broken. */
static void thaw_ioctl_failure(void **state)
{
	JET_OSSNAPID id;

	id = frozen(JET_bitContinueAfterThaw);
	fk.thaw_err = -ENOENT;
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(fk.open_fds, 0);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
}

static void held_write_done(struct jetfreeze_file *f, void *arg, int res)
{
	__atomic_store_n((int *)arg, res, __ATOMIC_SEQ_CST);
}

/* Userspace mode: the library's timer lets the held writes go. */
static void userspace_timeout_releases_writes(void **state)
{
	static const char data[] = "written during the freeze";
	int res = -1000;
	char buf[sizeof(data)];
	JET_OSSNAPID id;
	int fd;

	assert_int_equal(jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE), 0);
	set_timeout(200);
	id = frozen(JET_bitContinueAfterThaw);
	assert_int_equal(fk.opens, 0);
	assert_int_equal(jetfreeze_write(ti.db, data, sizeof(data), 0,
					 held_write_done, &res), 0);
	msleep(50);
	assert_int_equal(__atomic_load_n(&res, __ATOMIC_SEQ_CST), -1000);
	wait_timed_out(id, 2000);
	assert_int_equal(jetfreeze_instance_wait_io(ti.id), 0);
	assert_int_equal(res, sizeof(data));
	fd = open(ti.dbpath, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), sizeof(buf));
	close(fd);
	assert_string_equal(buf, data);
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kernel_timeout_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(library_timer_thaws, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_zero_without_cat, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_zero_beats_an_immediate_thaw, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_break_noticed_by_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(kernel_break_reported_by_thaw, setup, teardown),
		cmocka_unit_test_setup_teardown(thaw_ioctl_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(userspace_timeout_releases_writes, setup, teardown),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
