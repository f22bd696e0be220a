// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every argument check of ese-ossnapshot.md §3.2, in ESE's order: each
 * test passes two bad arguments at once where the order matters, and
 * checks which error wins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define BOGUS_ID	((JET_OSSNAPID)0x7fff1234)
#define BOGUS_INST	((JET_INSTANCE)0x7fff5678)

static struct fake_kernel fk;
static struct test_instance ti;

static int setup(void **state)
{
	fake_kernel_install(&fk);
	instance_setup(&ti, "args", true);
	return 0;
}

static int teardown(void **state)
{
	instance_teardown(&ti);
	fake_kernel_remove();
	assert_no_sessions();
	return 0;
}

/* ---- Prepare ---- */

static void prepare_grbit_before_pointer(void **state)
{
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(NULL, 0x10), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0x10), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0xFFFFFFF0),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotPrepare(NULL, 0), JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotPrepare(NULL, 0xF),
			 JET_errInvalidParameter);
}

static void prepare_all_valid_grbits(void **state)
{
	JET_GRBIT g;

	for (g = 0; g <= 0xF; g++) {
		JET_OSSNAPID id = 0;

		assert_int_equal(JetOSSnapshotPrepare(&id, g), JET_errSuccess);
		assert_true(id != 0);
		assert_int_equal(JetOSSnapshotEnd(id, 0), JET_errSuccess);
	}
}

static void prepare_needs_a_running_instance(void **state)
{
	struct test_instance idle;
	JET_OSSNAPID id;

	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), 0);
	/* Created but never started does not count either. */
	instance_setup(&idle, "idle", false);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), JET_errNotInitialized);
	/* The pointer check still comes first. */
	assert_int_equal(JetOSSnapshotPrepare(NULL, 0), JET_errInvalidParameter);
	instance_teardown(&idle);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), JET_errSuccess);
	assert_int_equal(JetOSSnapshotEnd(id, 0), JET_errSuccess);
}

/* ---- PrepareInstance ---- */

static void prepare_instance_handle_checks(void **state)
{
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare), 0);
	/* The handle is checked before the grbit and the id. */
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, BOGUS_INST, 1),
			 JET_errInvalidInstance);
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, 0, 1),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, JET_instanceNil,
						      1),
			 JET_errInvalidParameter);
	/* Then the grbit before the id. */
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, ti.id, 1),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, ti.id, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* Each engine condition, in ESE's API-enter order. */
static void prepare_instance_api_enter(void **state)
{
	static const struct {
		unsigned int flags;
		JET_ERR err;
	} cases[] = {
		{ JETFREEZE_INST_STOP_REQUESTED | JETFREEZE_INST_UNAVAILABLE |
		  JETFREEZE_INST_RESTORING,
		  JET_errClientRequestToStopJetService },
		{ JETFREEZE_INST_UNAVAILABLE | JETFREEZE_INST_LOG_DISK_FULL,
		  JET_errInstanceUnavailable },
		{ JETFREEZE_INST_LOG_DISK_FULL | JETFREEZE_INST_RESTORING,
		  JET_errInstanceUnavailableDueToFatalLogDiskFull },
		{ JETFREEZE_INST_RESTORING, JET_errRestoreInProgress },
	};
	unsigned int all = JETFREEZE_INST_STOP_REQUESTED |
			   JETFREEZE_INST_UNAVAILABLE |
			   JETFREEZE_INST_LOG_DISK_FULL |
			   JETFREEZE_INST_RESTORING;
	JET_OSSNAPID id;
	size_t i;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(jetfreeze_instance_set_flags(ti.id,
							      cases[i].flags,
							      all), 0);
		/* Before the grbit and the id. */
		assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, ti.id, 1),
				 cases[i].err);
		assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID,
								  ti.id, 2),
				 cases[i].err);
	}
	assert_int_equal(jetfreeze_instance_set_flags(ti.id, 0, all), 0);

	/* Not started (or stopped): JET_errNotInitialized. */
	assert_int_equal(jetfreeze_instance_stop(ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, ti.id, 1),
			 JET_errNotInitialized);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID, ti.id, 2),
			 JET_errNotInitialized);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* A stop waiting for a snapshot makes the instance "terminating". */
static void *abrupt_stop(void *arg)
{
	intptr_t err = jetfreeze_instance_stop(*(JET_INSTANCE *)arg,
					       JETFREEZE_STOP_ABRUPT);

	return (void *)err;
}

static void prepare_instance_term_in_progress(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;
	pthread_t t;
	void *ret;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
	t = thread_start(abrupt_stop, &ti.id);
	msleep(100);
	assert_int_equal(JetOSSnapshotPrepareInstance(BOGUS_ID, ti.id, 1),
			 JET_errTermInProgress);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(id, ti.id, 1),
			 JET_errTermInProgress);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	pthread_join(t, &ret);
	assert_int_equal((intptr_t)ret, 0);
	assert_int_equal(jetfreeze_instance_start(ti.id), 0);
}

/* ---- Freeze ---- */

static void freezeA_pointers_before_grbit(void **state)
{
	JET_INSTANCE_INFO_A *info = (JET_INSTANCE_INFO_A *)0x1;
	unsigned long n = 77;

	assert_int_equal(JetOSSnapshotFreezeA(BOGUS_ID, NULL, &info, 1),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotFreezeA(BOGUS_ID, &n, NULL, 1),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotFreezeA(BOGUS_ID, &n, &info, 1),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotFreezeA(BOGUS_ID, &n, &info, 0),
			 JET_errOSSnapshotInvalidSnapId);
	/* The A outputs are only written on success. */
	assert_int_equal(n, 77);
	assert_ptr_equal(info, (JET_INSTANCE_INFO_A *)0x1);
}

static void freezeW_grbit_before_pointers(void **state)
{
	JET_INSTANCE_INFO_W *info = (JET_INSTANCE_INFO_W *)0x1;
	unsigned long n = 77;

	assert_int_equal(JetOSSnapshotFreezeW(BOGUS_ID, NULL, NULL, 1),
			 JET_errInvalidGrbit);
	assert_int_equal(n, 77);
	assert_int_equal(JetOSSnapshotFreezeW(BOGUS_ID, NULL, &info, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotFreezeW(BOGUS_ID, &n, NULL, 0),
			 JET_errInvalidParameter);
	/* Outputs are zeroed before the id lookup. */
	assert_int_equal(JetOSSnapshotFreezeW(BOGUS_ID, &n, &info, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(n, 0);
	assert_null(info);
}

static void freeze_unsuffixed_macro_is_A(void **state)
{
	unsigned long n;

	assert_int_equal(JetOSSnapshotFreeze(BOGUS_ID, NULL, NULL, 1),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotGetFreezeInfo(BOGUS_ID, &n, NULL, 0),
			 JET_errOSSnapshotInvalidSnapId);
}

/* ---- Thaw, TruncateLog, End, Abort ---- */

static void thaw_checks(void **state)
{
	assert_int_equal(JetOSSnapshotThaw(BOGUS_ID, 1), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotThaw(BOGUS_ID, 0x80000000),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotThaw(BOGUS_ID, 0),
			 JET_errOSSnapshotInvalidSnapId);
}

static void truncate_log_checks(void **state)
{
	assert_int_equal(JetOSSnapshotTruncateLog(BOGUS_ID, 2),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotTruncateLog(BOGUS_ID, 3),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotTruncateLog(BOGUS_ID, 1),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(JetOSSnapshotTruncateLog(BOGUS_ID, 0),
			 JET_errOSSnapshotInvalidSnapId);
}

static void truncate_log_instance_checks(void **state)
{
	/* Instance first, then grbit, then id. */
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID, BOGUS_INST,
							  2),
			 JET_errInvalidInstance);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID, 0, 2),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID,
							  JET_instanceNil, 2),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID, ti.id, 2),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(BOGUS_ID, ti.id, 1),
			 JET_errOSSnapshotInvalidSnapId);
}

static void end_checks(void **state)
{
	assert_int_equal(JetOSSnapshotEnd(BOGUS_ID, 2), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotEnd(BOGUS_ID, 0x101), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotEnd(BOGUS_ID, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(JetOSSnapshotEnd(BOGUS_ID, JET_bitAbortSnapshot),
			 JET_errOSSnapshotInvalidSnapId);
}

static void abort_checks(void **state)
{
	JET_OSSNAPID id;

	/* ESE bug 1636979, fixed: Abort validates its grbit. */
	assert_int_equal(JetOSSnapshotAbort(BOGUS_ID, 1), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotAbort(BOGUS_ID, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(JetOSSnapshotAbort(id, 1), JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	assert_int_equal(JetOSSnapshotAbort(id, 0),
			 JET_errOSSnapshotInvalidSnapId);
}

/* ---- GetFreezeInfo ---- */

static void get_freeze_info_W_checks(void **state)
{
	JET_INSTANCE_INFO_W *info = (JET_INSTANCE_INFO_W *)0x1;
	unsigned long n = 77;

	assert_int_equal(JetOSSnapshotGetFreezeInfoW(BOGUS_ID, NULL, NULL, 1),
			 JET_errInvalidGrbit);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(BOGUS_ID, NULL, &info, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(BOGUS_ID, &n, NULL, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(BOGUS_ID, &n, &info, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(n, 0);
	assert_null(info);
}

static void get_freeze_info_A_checks(void **state)
{
	JET_INSTANCE_INFO_A *info = (JET_INSTANCE_INFO_A *)0x1;
	unsigned long n = 77;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotGetFreezeInfoA(BOGUS_ID, NULL, NULL, 1),
			 JET_errInvalidGrbit);
	/* The A variant only looks at the caller's pointers after the
	 * lookup succeeded. */
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(BOGUS_ID, NULL, NULL, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(BOGUS_ID, &n, &info, 0),
			 JET_errOSSnapshotInvalidSnapId);
	assert_int_equal(n, 77);
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, NULL, &info, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, NULL, 0),
			 JET_errInvalidParameter);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* ---- allocation failures (-1011) ---- */

/* Fail the n-th calloc from now (1 = the next one); 0: never. */
static int calloc_fail_in;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail_in && --calloc_fail_in == 0)
		return NULL;
	return __real_calloc(n, size);
}

static void prepare_out_of_memory(void **state)
{
	JET_OSSNAPID id = 0, id2;

	calloc_fail_in = 1;
	assert_int_equal(JetOSSnapshotPrepare(&id, 0), JET_errOutOfMemory);
	assert_int_equal(id, 0);
	calloc_fail_in = 0;
	assert_int_equal(JetOSSnapshotPrepare(&id2, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id2, 0), 0);
}

/*
 * Building Freeze's instance list fails after the freeze took effect: ESE
 * thaws and returns the error; with ContinueAfterThaw the session is left
 * after the thaw (AllowLogTruncate), without it the session is gone.
 */
static void freeze_info_out_of_memory(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	/* Freeze's own callocs: the device set, then the instance list. */
	calloc_fail_in = 2;
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0),
			 JET_errOutOfMemory);
	calloc_fail_in = 0;
	assert_int_equal(fk.thaws, 1);
	assert_false(fk.holding);
	/* In AllowLogTruncate: Thaw is out of sequence, End works. */
	assert_int_equal(JetOSSnapshotThaw(id, 0), JET_errOSSnapshotInvalidSequence);
	assert_int_equal(JetOSSnapshotTruncateLog(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);

	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	calloc_fail_in = 2;
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0),
			 JET_errOutOfMemory);
	calloc_fail_in = 0;
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot),
			 JET_errOSSnapshotInvalidSnapId);
}

static void free_buffer_null(void **state)
{
	assert_int_equal(JetFreeBuffer(NULL), JET_errSuccess);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(prepare_grbit_before_pointer, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_all_valid_grbits, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_needs_a_running_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_instance_handle_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_instance_api_enter, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_instance_term_in_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(freezeA_pointers_before_grbit, setup, teardown),
		cmocka_unit_test_setup_teardown(freezeW_grbit_before_pointers, setup, teardown),
		cmocka_unit_test_setup_teardown(freeze_unsuffixed_macro_is_A, setup, teardown),
		cmocka_unit_test_setup_teardown(thaw_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_log_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_log_instance_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(end_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(get_freeze_info_W_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(get_freeze_info_A_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_out_of_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(freeze_info_out_of_memory, setup, teardown),
		cmocka_unit_test(free_buffer_null),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
