// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every cell of the state x call table, ese-ossnapshot.md §3.3, with and
 * without JET_bitContinueAfterThaw where the row depends on it, then the
 * side effects each cell promises (engine callbacks, events, releases).
 *
 * The session's state is read from the library's own list, so "-> F"
 * means the library really is in Freeze, not that the call returned 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "global.h"
#include "helpers.h"
#include "log.h"
#include "session.h"

/* Observable states; GONE: the id is no longer in the list. */
enum st { P, F, T, A, L, G };

static const char *const st_name[] = { "P", "F", "T", "A", "L", "G" };

enum call {
	C_PI,		/* PrepareInstance(spare) */
	C_PI_MEMBER,	/* PrepareInstance(an instance of this session) */
	C_FREEZE,
	C_THAW,
	C_GFI_A,
	C_GFI_W,
	C_TL0,		/* TruncateLog(0) */
	C_TL1,		/* TruncateLog(AllDatabasesSnapshot) */
	C_TLI1,		/* TruncateLogInstance(member, AllDatabasesSnapshot) */
	C_TLI_OTHER,	/* TruncateLogInstance(spare, AllDatabasesSnapshot) */
	C_END0,
	C_END_ABORT,
	C_ABORT,
};

static const char *const call_name[] = {
	"PrepareInstance", "PrepareInstance(member)", "Freeze", "Thaw",
	"GetFreezeInfoA", "GetFreezeInfoW", "TruncateLog(0)",
	"TruncateLog(All)", "TruncateLogInstance", "TruncateLogInstance(other)",
	"End(0)", "End(Abort)", "Abort",
};

static struct fake_kernel fk;
static struct test_instance ti;		/* in every session */
static struct test_instance spare;	/* started after Prepare */

static int setup(void **state)
{
	fake_kernel_install(&fk);
	instance_setup(&ti, "member", true);
	instance_setup(&spare, "spare", false);
	assert_int_equal(JetSetSystemParameterA(NULL, 0,
						JET_paramOSSnapshotTimeout,
						70000, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	instance_teardown(&spare);
	instance_teardown(&ti);
	fake_kernel_remove();
	events_stop();
	assert_no_sessions();
	return 0;
}

static enum st snap_state(JET_OSSNAPID id)
{
	struct jf_session *s;
	enum st st = G;

	pthread_mutex_lock(&jf_g.lock);
	s = jf_session_find(id);
	if (s) {
		switch (s->state) {
		case JF_SNAP_PREPARE:
			st = P;
			break;
		case JF_SNAP_FREEZE:
			st = F;
			break;
		case JF_SNAP_TIMEOUT:
			st = T;
			break;
		case JF_SNAP_ALLOW_TRUNCATE:
			st = A;
			break;
		case JF_SNAP_LOG_TRUNCATED:
			st = L;
			break;
		default:
			fail_msg("unexpected internal state %d", s->state);
		}
	}
	pthread_mutex_unlock(&jf_g.lock);
	return st;
}

static void freeze_ok(JET_OSSNAPID id)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;

	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	JetFreeBuffer((char *)info);
}

/* Wait (up to 5 s) for the freeze thread to time the session out. */
static void wait_state(JET_OSSNAPID id, enum st want)
{
	int i;

	for (i = 0; i < 500 && snap_state(id) != want; i++)
		msleep(10);
	assert_int_equal(snap_state(id), want);
}

/* A session in state @st, prepared with @grbit; the spare runs. */
static JET_OSSNAPID make(enum st st, JET_GRBIT grbit)
{
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, grbit), 0);
	assert_int_equal(jetfreeze_instance_start(spare.id), 0);
	if (grbit & JET_bitExplicitPrepare)
		assert_int_equal(JetOSSnapshotPrepareInstance(id, ti.id, 0), 0);
	if (st == P)
		return id;
	if (st == T)
		assert_int_equal(JetSetSystemParameterA(NULL, 0,
					JET_paramOSSnapshotTimeout, 0, NULL), 0);
	freeze_ok(id);
	if (st == F)
		return id;
	if (st == T) {
		wait_state(id, T);
		assert_int_equal(JetSetSystemParameterA(NULL, 0,
					JET_paramOSSnapshotTimeout, 70000,
					NULL), 0);
		return id;
	}
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	if (st == L)
		assert_int_equal(JetOSSnapshotTruncateLog(id, 0), 0);
	return id;
}

static JET_ERR do_call(enum call c, JET_OSSNAPID id)
{
	JET_INSTANCE_INFO_A *a = NULL;
	JET_INSTANCE_INFO_W *w = NULL;
	unsigned long n;
	JET_ERR err;

	switch (c) {
	case C_PI:
		return JetOSSnapshotPrepareInstance(id, spare.id, 0);
	case C_PI_MEMBER:
		return JetOSSnapshotPrepareInstance(id, ti.id, 0);
	case C_FREEZE:
		err = JetOSSnapshotFreezeA(id, &n, &a, 0);
		if (!err)
			JetFreeBuffer((char *)a);
		return err;
	case C_THAW:
		return JetOSSnapshotThaw(id, 0);
	case C_GFI_A:
		err = JetOSSnapshotGetFreezeInfoA(id, &n, &a, 0);
		if (!err)
			JetFreeBuffer((char *)a);
		return err;
	case C_GFI_W:
		err = JetOSSnapshotGetFreezeInfoW(id, &n, &w, 0);
		JetFreeBuffer((char *)w);
		return err;
	case C_TL0:
		return JetOSSnapshotTruncateLog(id, 0);
	case C_TL1:
		return JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot);
	case C_TLI1:
		return JetOSSnapshotTruncateLogInstance(id, ti.id,
						JET_bitAllDatabasesSnapshot);
	case C_TLI_OTHER:
		return JetOSSnapshotTruncateLogInstance(id, spare.id,
						JET_bitAllDatabasesSnapshot);
	case C_END0:
		return JetOSSnapshotEnd(id, 0);
	case C_END_ABORT:
		return JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
	case C_ABORT:
		return JetOSSnapshotAbort(id, 0);
	}
	return 1;
}

struct cell {
	enum st from;
	JET_GRBIT grbit;
	enum call call;
	JET_ERR err;
	enum st to;
};

#define CAT	JET_bitContinueAfterThaw
#define EXPL	JET_bitExplicitPrepare
#define COPY	JET_bitCopySnapshot

static const struct cell table[] = {
	/* P: Prepare */
	{ P, 0,    C_PI,        0,     P },
	{ P, EXPL, C_PI,        0,     P },
	{ P, 0,    C_PI_MEMBER, -2403, P },	/* claimed by this Prepare */
	{ P, EXPL, C_PI_MEMBER, -2403, P },	/* already added */
	{ P, 0,    C_FREEZE,    0,     F },
	{ P, CAT,  C_FREEZE,    0,     F },
	{ P, 0,    C_THAW,      -2401, P },
	{ P, CAT,  C_THAW,      -2401, P },
	{ P, 0,    C_GFI_A,     0,     P },
	{ P, 0,    C_GFI_W,     0,     P },
	{ P, CAT,  C_TL0,       -2401, P },
	{ P, CAT,  C_TL1,       -2401, P },
	{ P, CAT,  C_TLI1,      -2401, P },
	{ P, 0,    C_END0,      0,     G },
	{ P, CAT,  C_END0,      0,     G },
	{ P, 0,    C_END_ABORT, 0,     G },
	{ P, CAT,  C_ABORT,     0,     G },

	/* F: Freeze */
	{ F, CAT,  C_PI,        -2401, F },
	{ F, CAT,  C_FREEZE,    -2401, F },
	{ F, 0,    C_FREEZE,    -2401, F },
	{ F, CAT,  C_THAW,      0,     A },
	{ F, 0,    C_THAW,      0,     G },
	{ F, CAT,  C_GFI_A,     0,     F },
	{ F, 0,    C_GFI_W,     0,     F },
	{ F, CAT,  C_TL0,       -2401, F },
	{ F, CAT,  C_TL1,       -2401, F },
	{ F, CAT,  C_TLI1,      -2401, F },
	{ F, CAT,  C_END0,      -2401, F },
	{ F, 0,    C_END0,      -2401, F },
	{ F, CAT,  C_END_ABORT, 0,     G },
	{ F, 0,    C_END_ABORT, 0,     G },
	{ F, CAT,  C_ABORT,     0,     G },
	{ F, 0,    C_ABORT,     0,     G },

	/* T: TimeOut */
	{ T, CAT,  C_PI,        -2401, T },
	{ T, CAT,  C_FREEZE,    -2401, T },
	{ T, CAT,  C_THAW,      -2402, T },
	{ T, 0,    C_THAW,      -2402, G },
	{ T, CAT,  C_GFI_A,     0,     T },
	{ T, 0,    C_GFI_W,     0,     T },
	{ T, CAT,  C_TL0,       -2401, T },
	{ T, CAT,  C_TL1,       -2401, T },
	{ T, CAT,  C_TLI1,      -2401, T },
	{ T, CAT,  C_END0,      -2401, T },
	{ T, 0,    C_END0,      -2401, T },
	{ T, CAT,  C_END_ABORT, 0,     G },
	{ T, 0,    C_END_ABORT, 0,     G },
	{ T, CAT,  C_ABORT,     0,     G },
	{ T, 0,    C_ABORT,     0,     G },

	/* A: AllowLogTruncate (only with ContinueAfterThaw) */
	{ A, CAT,  C_PI,        -2401, A },
	{ A, CAT,  C_FREEZE,    -2401, A },
	{ A, CAT,  C_THAW,      -2401, A },
	{ A, CAT,  C_GFI_A,     0,     A },
	{ A, CAT,  C_GFI_W,     0,     A },
	{ A, CAT,  C_TL0,       0,     L },
	{ A, CAT,  C_TL1,       0,     L },
	{ A, CAT,  C_TLI1,      0,     L },
	{ A, CAT,  C_TLI_OTHER, -1,    A },	/* ESE's raw -1 */
	{ A, CAT | COPY, C_TL1, -2401, A },
	{ A, CAT | COPY, C_TL0, -2401, A },
	{ A, CAT | COPY, C_TLI1, -2401, A },
	{ A, CAT,  C_END0,      0,     G },
	{ A, CAT,  C_END_ABORT, 0,     G },
	{ A, CAT,  C_ABORT,     0,     G },

	/* L: LogTruncated */
	{ L, CAT,  C_PI,        -2401, L },
	{ L, CAT,  C_FREEZE,    -2401, L },
	{ L, CAT,  C_THAW,      -2401, L },
	{ L, CAT,  C_GFI_A,     0,     L },
	{ L, CAT,  C_GFI_W,     0,     L },
	{ L, CAT,  C_TL0,       0,     L },
	{ L, CAT,  C_TL1,       0,     L },
	{ L, CAT,  C_TLI1,      0,     L },
	{ L, CAT,  C_TLI_OTHER, -1,    L },
	{ L, CAT,  C_END0,      0,     G },
	{ L, CAT,  C_END_ABORT, 0,     G },
	{ L, CAT,  C_ABORT,     0,     G },
};

static void every_cell(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct cell *c = &table[i];
		JET_OSSNAPID id = make(c->from, c->grbit);
		JET_ERR err = do_call(c->call, id);
		enum st to = snap_state(id);

		if (err != c->err || to != c->to)
			fail_msg("%s (grbit 0x%x) %s: got %d -> %s, want %d -> %s",
				 st_name[c->from], c->grbit,
				 call_name[c->call], err, st_name[to], c->err,
				 st_name[c->to]);
		if (to != G)
			assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
		assert_int_equal(snap_state(id), G);
		assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
		assert_false(fk.holding);
	}
}

/* Row G: an id that was never issued, and one that ended. */
static void gone_row(void **state)
{
	static const enum call calls[] = {
		C_PI, C_FREEZE, C_THAW, C_GFI_A, C_GFI_W, C_TL0, C_TL1, C_TLI1,
		C_END0, C_END_ABORT, C_ABORT,
	};
	JET_OSSNAPID ended = make(P, 0);
	size_t i;

	assert_int_equal(JetOSSnapshotEnd(ended, 0), 0);
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		assert_int_equal(do_call(calls[i], ended), -2404);
		assert_int_equal(do_call(calls[i], ended + 1000), -2404);
	}
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

/* ---- side effects of the cells ---- */

static void prepare_end_releases_without_stamping(void **state)
{
	JET_OSSNAPID id, id2;

	events_start();
	id = make(P, 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(events_count(JF_EV_END), 1);
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(ti.cb.freeze_begin, 0);
	/* The instance is free to join another session. */
	assert_int_equal(JetOSSnapshotPrepare(&id2, EXPL), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id2, ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotAbort(id2, 0), 0);
	assert_int_equal(events_count(JF_EV_ABORT), 1);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void prepare_lists_claimed_instances(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id, id2;

	/* Default: every running instance (the spare started later). */
	id = make(P, 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, ti.id);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);

	/* Explicit: none until PrepareInstance. */
	assert_int_equal(JetOSSnapshotPrepare(&id2, EXPL), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id2, &n, &info, 0), 0);
	assert_int_equal(n, 0);
	assert_non_null(info);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotPrepareInstance(id2, ti.id, 0), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id2, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotEnd(id2, 0), 0);
}

static void failed_freeze_stays_in_prepare_without_instances(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id = make(P, CAT);

	fk.freeze_err = -EBUSY;
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), -2403);
	assert_int_equal(snap_state(id), P);
	assert_int_equal(fk.open_fds, 0);
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(ti.cb.last_end_status, -ECANCELED);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 0);
	JetFreeBuffer((char *)info);
	/* A retry succeeds, with no instance left to freeze. */
	fk.freeze_err = 0;
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
	assert_int_equal(n, 0);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

/*
 * The thread of a failed Freeze must be gone before a retry starts its own:
 * a leftover one woke with the retry's and moved the state behind Thaw's
 * back.  Many rounds, since it was a race.
 */
static void retried_freeze_has_one_thread(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	int round;

	events_start();
	for (round = 0; round < 50; round++) {
		JET_OSSNAPID id = make(P, CAT);

		fk.freeze_err = -EBUSY;
		assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), -2403);
		fk.freeze_err = 0;
		assert_int_equal(JetOSSnapshotFreezeA(id, &n, &info, 0), 0);
		JetFreeBuffer((char *)info);
		assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
		assert_int_equal(snap_state(id), A);
		assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
		assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
	}
	/* one thaw per round: no leftover thread thawed again */
	assert_int_equal(events_count(JF_EV_FREEZE_STOP), 50);
}

static void thaw_without_cat_ends_normally(void **state)
{
	JET_OSSNAPID id;

	events_start();
	ti.cb.position = 1234;
	id = make(F, JET_bitIncrementalSnapshot);
	assert_int_equal(ti.cb.freeze_begin, 1);
	assert_int_equal(ti.cb.last_kind, JETFREEZE_BACKUP_INCREMENTAL);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(snap_state(id), G);
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(ti.cb.last_end_status, 0);
	/* The internal End is a normal one: the backup is recorded. */
	assert_int_equal(ti.cb.completed, 1);
	assert_int_equal(ti.cb.completed_kind, JETFREEZE_BACKUP_INCREMENTAL);
	assert_int_equal(ti.cb.last_completed_pos, 1234);
	assert_int_equal(events_count(JF_EV_FREEZE_STOP), 1);
	assert_int_equal(events_count(JF_EV_END), 1);
	assert_int_equal(events_count(JF_EV_ABORT), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

/* ESE quirk kept: Abort while frozen without CAT records a backup. */
static void abort_frozen_without_cat_is_a_normal_end(void **state)
{
	JET_OSSNAPID id;

	events_start();
	id = make(F, 0);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	assert_int_equal(ti.cb.completed, 1);
	assert_int_equal(events_count(JF_EV_END), 1);
	assert_int_equal(events_count(JF_EV_ABORT), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void abort_frozen_with_cat_is_an_abort(void **state)
{
	JET_OSSNAPID id;

	events_start();
	id = make(F, CAT);
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot), 0);
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(events_count(JF_EV_ABORT), 1);
	assert_int_equal(events_count(JF_EV_END), 0);
	assert_false(fk.holding);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

/*
 * The freeze thread had timed out (here: the kernel says so at THAW, the
 * STATUS poll being unavailable) when Abort came in without CAT: the
 * internal End is an abort and the call returns -2402.
 */
static void abort_frozen_after_kernel_timeout(void **state)
{
	JET_OSSNAPID id;

	events_start();
	fk.hold_active_err = -ENOTTY;
	id = make(F, 0);
	fk.thaw_broken = JETFREEZE_BROKEN_TIMEOUT;
	assert_int_equal(JetOSSnapshotAbort(id, 0), -2402);
	assert_int_equal(snap_state(id), G);
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(ti.cb.last_end_status, -ETIMEDOUT);
	assert_int_equal(events_count(JF_EV_TIME_OUT), 1);
	assert_int_equal(events_count(JF_EV_ABORT), 1);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void thaw_from_freeze_after_kernel_timeout(void **state)
{
	JET_OSSNAPID id;

	fk.hold_active_err = -ENOTTY;
	id = make(F, CAT);
	fk.thaw_broken = JETFREEZE_BROKEN_TIMEOUT;
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(snap_state(id), T);
	assert_int_equal(JetOSSnapshotThaw(id, 0), -2402);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void timeout_lists_no_instance(void **state)
{
	JET_INSTANCE_INFO_A *a;
	JET_INSTANCE_INFO_W *w = (JET_INSTANCE_INFO_W *)0x1;
	unsigned long n = 9;
	JET_OSSNAPID id = make(T, CAT);

	assert_int_equal(JetOSSnapshotGetFreezeInfoW(id, &n, &w, 0), 0);
	assert_int_equal(n, 0);
	assert_null(w);
	n = 9;
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &a, 0), 0);
	assert_int_equal(n, 0);
	assert_non_null(a);
	JetFreeBuffer((char *)a);
	/* Released at the timeout: free to stop, no backup recorded. */
	assert_int_equal(ti.cb.freeze_end, 1);
	assert_int_equal(ti.cb.last_end_status, -ETIMEDOUT);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	assert_int_equal(ti.cb.completed, 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void frozen_lists_frozen_instances(void **state)
{
	JET_INSTANCE_INFO_A *info;
	unsigned long n;
	JET_OSSNAPID id = make(F, CAT);

	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, ti.id);
	assert_int_equal(info[0].cDatabases, 1);
	assert_string_equal(info[0].szDatabaseFileName[0], ti.dbpath);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &info, 0), 0);
	assert_int_equal(n, 1);
	JetFreeBuffer((char *)info);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void end_after_thaw_stamps_abort_does_not(void **state)
{
	JET_OSSNAPID id;

	ti.cb.position = 77;
	id = make(A, CAT | COPY);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(ti.cb.completed, 1);
	assert_int_equal(ti.cb.completed_kind, JETFREEZE_BACKUP_COPY);
	assert_int_equal(ti.cb.last_completed_pos, 77);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);

	id = make(L, CAT);
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot), 0);
	assert_int_equal(ti.cb.completed, 1);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void truncate_rules(void **state)
{
	JET_OSSNAPID id;

	events_start();
	ti.cb.position = 555;
	id = make(A, CAT);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(ti.cb.truncate, 1);
	assert_int_equal(ti.cb.last_truncate_pos, 555);
	assert_int_equal(events_count(JF_EV_TRUNCATE_LOG_FILES), 1);
	/* Again: already truncated, nothing more to delete. */
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(id, ti.id, 1), 0);
	assert_int_equal(ti.cb.truncate, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);

	/* TruncateLog(0) deletes nothing and disables a later truncation. */
	id = make(A, CAT);
	assert_int_equal(JetOSSnapshotTruncateLog(id, 0), 0);
	assert_int_equal(events_count(JF_EV_NO_TRUNCATE_LOG_FILES), 1);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(ti.cb.truncate, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void truncate_error_keeps_state(void **state)
{
	JET_OSSNAPID id = make(A, CAT);

	ti.cb.truncate_ret = -EIO;
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot),
			 JET_errDiskIO);
	assert_int_equal(snap_state(id), A);
	/* The range is reset even so: the next call has nothing to do. */
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(ti.cb.truncate, 1);
	assert_int_equal(snap_state(id), L);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);

	id = make(A, CAT);
	ti.cb.truncate_ret = -ENOENT;
	assert_int_equal(JetOSSnapshotTruncateLogInstance(id, ti.id, 1),
			 JET_errRequiredLogFilesMissing);
	assert_int_equal(snap_state(id), A);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
}

static void circular_logging_never_truncates(void **state)
{
	struct test_instance circ;
	JET_OSSNAPID id;

	instance_setup(&circ, "circular", false);
	assert_int_equal(JetSetSystemParameterA(&circ.id, 0,
						JET_paramCircularLog, 1, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(circ.id), 0);
	id = make(A, CAT);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(circ.cb.truncate, 0);
	assert_int_equal(ti.cb.truncate, 1);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(spare.id, 0), 0);
	instance_teardown(&circ);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_cell, setup, teardown),
		cmocka_unit_test_setup_teardown(gone_row, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_end_releases_without_stamping, setup, teardown),
		cmocka_unit_test_setup_teardown(prepare_lists_claimed_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_freeze_stays_in_prepare_without_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(retried_freeze_has_one_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(thaw_without_cat_ends_normally, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_frozen_without_cat_is_a_normal_end, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_frozen_with_cat_is_an_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_frozen_after_kernel_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(thaw_from_freeze_after_kernel_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_lists_no_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(frozen_lists_frozen_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(end_after_thaw_stamps_abort_does_not, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_error_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(circular_logging_never_truncates, setup, teardown),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
