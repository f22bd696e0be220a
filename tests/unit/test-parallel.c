// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parallel sessions (ese-ossnapshot.md §3.1): one process-global list, ids
 * from 1 never reused, an instance in at most one session, each frozen
 * session with its own kernel hold, and the API safe from many threads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define NR_THREADS	6
#define ROUNDS		25

static struct fake_kernel fk;
static struct test_instance a, b;

static int setup(void **state)
{
	fake_kernel_install(&fk);
	instance_setup(&a, "a", true);
	instance_setup(&b, "b", true);
	return 0;
}

static int teardown(void **state)
{
	instance_teardown(&b);
	instance_teardown(&a);
	fake_kernel_remove();
	assert_no_sessions();
	return 0;
}

static void freeze_ok(JET_OSSNAPID id, unsigned long want)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;

	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	assert_int_equal(n, want);
	JetFreeBuffer((char *)info);
}

/* Must run first in this process: ESE's counter starts at 0. */
static void ids_start_at_one_and_are_never_reused(void **state)
{
	JET_OSSNAPID id, last;
	int i;

	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(id, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	last = id;
	for (i = 0; i < 10; i++) {
		assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
		assert_int_equal(id, last + 1);
		last = id;
		assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	}
	/* Instance handles too: never 0, never Nil, never reused. */
	assert_true(a.id != 0 && a.id != JET_instanceNil && b.id != a.id);
}

static void two_frozen_sessions(void **state)
{
	JET_INSTANCE_INFO_A *info;
	JET_OSSNAPID s1, s2;
	unsigned long n;

	fk.map[0].prefix = a.dbpath;
	fk.map[0].major = 8;
	fk.map[0].minor = 16;
	assert_int_equal(JetOSSnapshotPrepare(&s1, JET_bitExplicitPrepare |
					      JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotPrepare(&s2, JET_bitExplicitPrepare), 0);
	assert_int_equal(s2, s1 + 1);
	assert_int_equal(JetOSSnapshotPrepareInstance(s1, a.id, 0), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(s2, b.id, 0), 0);
	/* An instance belongs to one session at a time. */
	assert_int_equal(JetOSSnapshotPrepareInstance(s2, a.id, 0), -2403);
	assert_int_equal(JetOSSnapshotPrepareInstance(s1, b.id, 0), -2403);

	freeze_ok(s1, 1);
	assert_int_equal(fk.nr_devs, 2);	/* a's db on 8:16, log on 254:16 */
	freeze_ok(s2, 1);
	assert_int_equal(fk.nr_devs, 1);
	assert_int_equal(fk.open_fds, 2);	/* one kernel session each */
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(s2, &n, &info, 0), 0);
	assert_int_equal(info[0].hInstanceId, b.id);
	JetFreeBuffer((char *)info);

	assert_int_equal(JetOSSnapshotThaw(s2, 0), 0);	/* no CAT: gone */
	assert_int_equal(fk.open_fds, 1);
	assert_int_equal(JetOSSnapshotThaw(s1, 0), 0);
	assert_int_equal(b.cb.completed, 1);
	assert_int_equal(a.cb.completed, 0);
	assert_int_equal(JetOSSnapshotEnd(s1, 0), 0);
	assert_int_equal(a.cb.completed, 1);
	assert_int_equal(fk.open_fds, 0);
}

/* A default Prepare skips instances another session holds. */
static void default_prepare_skips_claimed(void **state)
{
	JET_INSTANCE_INFO_A *info;
	JET_OSSNAPID s1, s2;
	unsigned long n;

	assert_int_equal(JetOSSnapshotPrepare(&s1, JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(s1, a.id, 0), 0);
	assert_int_equal(JetOSSnapshotPrepare(&s2, 0), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(s2, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, b.id);
	JetFreeBuffer((char *)info);
	freeze_ok(s1, 1);
	freeze_ok(s2, 1);
	assert_int_equal(JetOSSnapshotAbort(s2, 0), 0);
	assert_int_equal(JetOSSnapshotAbort(s1, 0), 0);
}

struct racer {
	JET_OSSNAPID id;
	JET_ERR err;
};

static void *thaw_racer(void *arg)
{
	struct racer *r = arg;

	r->err = JetOSSnapshotThaw(r->id, 0);
	return NULL;
}

/* Two threads thaw one session: exactly one of them does. */
static void concurrent_thaws(void **state)
{
	struct racer r[2];
	pthread_t t[2];
	JET_OSSNAPID id;
	int i, ok = 0;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	freeze_ok(id, 2);
	for (i = 0; i < 2; i++) {
		r[i].id = id;
		t[i] = thread_start(thaw_racer, &r[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		if (r[i].err == 0)
			ok++;
		else
			assert_int_equal(r[i].err, -2401);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

struct worker {
	struct test_instance ti;
	int failures;
	JET_ERR first_err;
	int step;
};

/* Each worker runs its own explicit sessions over its own instance. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		JET_INSTANCE_INFO_W *info;
		unsigned long n;
		JET_OSSNAPID id;
		JET_ERR err;

		err = JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare |
					   JET_bitContinueAfterThaw);
		if (!err)
			err = JetOSSnapshotPrepareInstance(id, w->ti.id, 0);
		if (!err) {
			err = JetOSSnapshotFreezeW(id, &n, &info, 0);
			if (!err && (n != 1 || info[0].hInstanceId != w->ti.id))
				err = 1;
			JetFreeBuffer((char *)info);
		}
		if (!err)
			err = JetOSSnapshotThaw(id, 0);
		if (!err)
			err = JetOSSnapshotTruncateLog(id, 1);
		if (!err)
			err = JetOSSnapshotEnd(id, 0);
		if (err) {
			if (!w->failures++) {
				w->first_err = err;
				w->step = i;
			}
			JetOSSnapshotAbort(id, 0);
		}
	}
	return NULL;
}

static void many_threads(void **state)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < NR_THREADS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "worker%d", i);
		instance_setup(&w[i].ti, name, true);
	}
	for (i = 0; i < NR_THREADS; i++)
		t[i] = thread_start(worker_main, &w[i]);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NR_THREADS; i++) {
		if (w[i].failures)
			fail_msg("worker %d: %d failures, first %d at round %d",
				 i, w[i].failures, w[i].first_err, w[i].step);
		assert_int_equal(w[i].ti.cb.completed, ROUNDS);
		assert_int_equal(w[i].ti.cb.truncate, ROUNDS);
		instance_teardown(&w[i].ti);
	}
	assert_int_equal(fk.open_fds, 0);
	assert_int_equal(fk.freezes, NR_THREADS * ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ids_start_at_one_and_are_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(two_frozen_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(default_prepare_skips_claimed, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_thaws, setup, teardown),
		cmocka_unit_test_setup_teardown(many_threads, setup, teardown),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
