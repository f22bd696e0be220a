// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The JetOSSnapshot* entry points: ESE's argument checks, in ESE's order,
 * and ESE's session state machine (ese-ossnapshot.md §3.2, §3.3, §5).
 * The work itself is in freeze.c; JET errors derived from -errno come from
 * jeterr.c.
 */
#include <stdlib.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>

#include "global.h"
#include "instance.h"
#include "instinfo.h"
#include "internal.h"
#include "jeterr.h"
#include "log.h"
#include "session.h"

#define JF_PREPARE_GRBITS	(JET_bitIncrementalSnapshot | \
				 JET_bitCopySnapshot | \
				 JET_bitContinueAfterThaw | \
				 JET_bitExplicitPrepare)

/*
 * Take the snapshot lock for an API call.  An engine callback already holds
 * it (the API is not re-entrant, as ESE's is not): such calls are refused.
 */
static bool api_lock(void)
{
	if (jf_lock_held())
		return false;
	jf_lock();
	return true;
}

static bool cat(const struct jf_session *s)
{
	return s->grbit & JET_bitContinueAfterThaw;
}

static bool gone(const struct jf_session *s)
{
	return s->state == JF_SNAP_END || s->state == JF_SNAP_ABORT;
}

/*
 * The checks ESE makes on an instance argument before anything else: the
 * handle (JET_VALIDATE, as Windows' esent.dll builds), the lookup, then the
 * instance's API-enter.  This library is always in multi-instance mode.
 */
static JET_ERR instance_checks(JET_INSTANCE h, struct jf_instance **out)
{
	struct jf_instance *inst;

	if (h == 0 || h == JET_instanceNil)
		return JET_errInvalidParameter;
	inst = jf_instance_find(h);
	if (!inst)
		return JET_errInvalidInstance;
	if (inst->flags & JETFREEZE_INST_STOP_REQUESTED)
		return JET_errClientRequestToStopJetService;
	if (inst->flags & JETFREEZE_INST_UNAVAILABLE)
		return JET_errInstanceUnavailable;
	if (inst->flags & JETFREEZE_INST_LOG_DISK_FULL)
		return JET_errInstanceUnavailableDueToFatalLogDiskFull;
	if (inst->state == JF_INST_STOPPING)
		return JET_errTermInProgress;
	if (inst->flags & JETFREEZE_INST_RESTORING)
		return JET_errRestoreInProgress;
	if (inst->state != JF_INST_RUNNING)
		return JET_errNotInitialized;
	*out = inst;
	return JET_errSuccess;
}

/* ESE stamps the database headers; we tell the engine. */
static void backup_completed(struct jf_session *s)
{
	unsigned int kind = jf_session_kind(s);
	struct jf_instance *inst;

	for (inst = jf_g.instances; inst; inst = inst->next)
		if (inst->session == s && inst->cb.backup_completed)
			inst->cb.backup_completed(inst->id, inst->ctx, kind,
						  inst->log_position);
}

/* Wait for the freeze thread to thaw; false when the session went away. */
static bool thaw_and_wait(struct jf_session *s)
{
	bool alive;

	jf_session_get(s);
	jf_session_thaw_wait(s);
	alive = !gone(s);
	jf_session_put(s);
	return alive;
}

/*
 * End (@abort false) or Abort a session whose state allows it; it leaves
 * the list.  Returns what End/Abort returns.
 */
static JET_ERR end_session(struct jf_session *s, bool abort)
{
	JET_ERR err = JET_errSuccess;

	if (s->state == JF_SNAP_FREEZE) {
		/* Only Abort gets here from Freeze: thaw first. */
		if (!thaw_and_wait(s))
			return JET_errOSSnapshotInvalidSnapId;
		if (!cat(s)) {
			/* ESE goes through Thaw, whose internal End is a
			 * normal one unless the freeze had timed out. */
			abort = s->state != JF_SNAP_THAW;
			if (abort)
				err = JET_errOSSnapshotTimeOut;
		}
	}
	if (!abort && (s->state == JF_SNAP_THAW ||
		       s->state == JF_SNAP_ALLOW_TRUNCATE ||
		       s->state == JF_SNAP_LOG_TRUNCATED))
		backup_completed(s);
	jf_session_release_instances(s);
	if (abort)
		jf_event(LOG_ERR, JF_EV_ABORT, s->id, "snapshot aborted");
	else
		jf_event(LOG_INFO, JF_EV_END, s->id, "snapshot completed successfully");
	jf_session_remove(s, abort ? JF_SNAP_ABORT : JF_SNAP_END);
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotPrepare(JET_OSSNAPID *psnapId,
				       const JET_GRBIT grbit)
{
	static const unsigned int events[] = {
		JF_EV_PREPARE_FULL, JF_EV_PREPARE_INCREMENTAL,
		JF_EV_PREPARE_COPY, JF_EV_PREPARE_DIFFERENTIAL,
	};
	static const char *const kinds[] = {
		"full", "incremental", "copy", "differential",
	};
	struct jf_instance *inst;
	struct jf_session *s;
	unsigned int kind;

	if (grbit & ~JF_PREPARE_GRBITS)
		return JET_errInvalidGrbit;
	if (!psnapId)
		return JET_errInvalidParameter;
	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	if (!jf_instances_any_running()) {
		jf_unlock();
		return JET_errNotInitialized;
	}
	s = jf_session_new(grbit);
	if (!s) {
		jf_unlock();
		return JET_errOutOfMemory;
	}
	s->state = JF_SNAP_PREPARE;
	*psnapId = s->id;
	kind = jf_session_kind(s);
	jf_event(LOG_INFO, events[kind], s->id, "%s snapshot prepared%s%s",
		 kinds[kind], cat(s) ? ", continues after thaw" : "",
		 grbit & JET_bitExplicitPrepare ? ", explicit instances" : "");
	/* Every running instance not in another session, unless the caller
	 * picks them itself; later starters are not claimed. */
	if (!(grbit & JET_bitExplicitPrepare))
		for (inst = jf_g.instances; inst; inst = inst->next)
			if (inst->state == JF_INST_RUNNING && !inst->session)
				inst->session = s;
	jf_unlock();
	return JET_errSuccess;
}

JF_EXPORT JET_ERR JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId,
					       JET_INSTANCE instance,
					       const JET_GRBIT grbit)
{
	struct jf_instance *inst = NULL;
	struct jf_session *s;
	JET_ERR err;

	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	err = instance_checks(instance, &inst);
	if (err)
		goto out;
	if (grbit) {
		err = JET_errInvalidGrbit;
		goto out;
	}
	s = jf_session_find(snapId);
	if (!s) {
		err = JET_errOSSnapshotInvalidSnapId;
		goto out;
	}
	if (s->state != JF_SNAP_PREPARE) {
		err = JET_errOSSnapshotInvalidSequence;
		goto out;
	}
	if (inst->session || inst->backup_in_progress ||
	    (inst->flags & JETFREEZE_INST_BACKUP_RUNNING)) {
		err = JET_errOSSnapshotNotAllowed;
		goto out;
	}
	inst->session = s;
	jf_debug("snapshot %llu: instance %lu prepared",
		 (unsigned long long)s->id, (unsigned long)inst->id);
out:
	jf_unlock();
	return err;
}

/*
 * Freeze, for both variants once their own checks are done.  On success
 * the outputs are written; on failure they are untouched.
 */
static JET_ERR freeze(JET_OSSNAPID snapId, unsigned long *pc, void **pa,
		      bool wide)
{
	struct jf_session *s;
	unsigned long count;
	void *array;
	JET_ERR err;
	int ret;

	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	s = jf_session_find(snapId);
	if (!s) {
		err = JET_errOSSnapshotInvalidSnapId;
		goto out;
	}
	if (s->state != JF_SNAP_PREPARE) {
		err = JET_errOSSnapshotInvalidSequence;
		goto out;
	}
	err = jf_session_freeze(s);
	if (err)
		goto out;
	ret = jf_instinfo_build(s, wide, &count, &array);
	if (ret) {
		/* ESE thaws and reports the allocation failure. */
		err = jf_jet_err(ret, JF_CTX_GENERIC);
		if (!thaw_and_wait(s))
			goto out;
		if (s->state == JF_SNAP_THAW)
			s->state = JF_SNAP_ALLOW_TRUNCATE;
		if (!cat(s))
			end_session(s, s->state != JF_SNAP_ALLOW_TRUNCATE);
		goto out;
	}
	*pc = count;
	*pa = array;
out:
	jf_unlock();
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotFreezeW(const JET_OSSNAPID snapId,
				       unsigned long *pcInstanceInfo,
				       JET_INSTANCE_INFO_W **paInstanceInfo,
				       const JET_GRBIT grbit)
{
	if (grbit)
		return JET_errInvalidGrbit;
	if (!pcInstanceInfo || !paInstanceInfo)
		return JET_errInvalidParameter;
	*pcInstanceInfo = 0;
	*paInstanceInfo = NULL;
	return freeze(snapId, pcInstanceInfo, (void **)paInstanceInfo, true);
}

JF_EXPORT JET_ERR JetOSSnapshotFreezeA(const JET_OSSNAPID snapId,
				       unsigned long *pcInstanceInfo,
				       JET_INSTANCE_INFO_A **paInstanceInfo,
				       const JET_GRBIT grbit)
{
	/* ESE fixed bug 1636877: FreezeA checks its pointers first. */
	if (!pcInstanceInfo || !paInstanceInfo)
		return JET_errInvalidParameter;
	if (grbit)
		return JET_errInvalidGrbit;
	return freeze(snapId, pcInstanceInfo, (void **)paInstanceInfo, false);
}

JF_EXPORT JET_ERR JetOSSnapshotThaw(const JET_OSSNAPID snapId,
				    const JET_GRBIT grbit)
{
	struct jf_session *s;
	JET_ERR err;

	if (grbit)
		return JET_errInvalidGrbit;
	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	s = jf_session_find(snapId);
	if (!s) {
		err = JET_errOSSnapshotInvalidSnapId;
		goto out;
	}
	if (s->state != JF_SNAP_FREEZE && s->state != JF_SNAP_TIMEOUT) {
		err = JET_errOSSnapshotInvalidSequence;
		goto out;
	}
	if (s->state == JF_SNAP_FREEZE && !thaw_and_wait(s)) {
		err = JET_errOSSnapshotInvalidSnapId;
		goto out;
	}
	if (s->state == JF_SNAP_THAW) {
		s->state = JF_SNAP_ALLOW_TRUNCATE;
		err = JET_errSuccess;
	} else if (s->state == JF_SNAP_TIMEOUT) {
		err = JET_errOSSnapshotTimeOut;
	} else {
		/* Another Thaw got there first while we waited. */
		err = JET_errOSSnapshotInvalidSequence;
		goto out;
	}
	/* Without ContinueAfterThaw the session ends here, whatever the
	 * result (ESE's internal End or End(Abort)). */
	if (!cat(s))
		end_session(s, err < 0);
out:
	jf_unlock();
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotEnd(const JET_OSSNAPID snapId,
				   const JET_GRBIT grbit)
{
	struct jf_session *s;
	bool abort = grbit & JET_bitAbortSnapshot;
	JET_ERR err;

	if (grbit & ~JET_bitAbortSnapshot)
		return JET_errInvalidGrbit;
	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	s = jf_session_find(snapId);
	if (!s) {
		err = JET_errOSSnapshotInvalidSnapId;
	} else if (!abort && s->state != JF_SNAP_ALLOW_TRUNCATE &&
		   s->state != JF_SNAP_LOG_TRUNCATED &&
		   s->state != JF_SNAP_PREPARE) {
		/* ESE's FCanSwitchTo(End): not from Freeze nor TimeOut. */
		err = JET_errOSSnapshotInvalidSequence;
	} else {
		err = end_session(s, abort);
	}
	jf_unlock();
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotAbort(const JET_OSSNAPID snapId,
				     const JET_GRBIT grbit)
{
	/* ESE fixed bug 1636979: Abort validates its grbit. */
	if (grbit)
		return JET_errInvalidGrbit;
	return JetOSSnapshotEnd(snapId, JET_bitAbortSnapshot);
}

/* One instance's share of TruncateLog (ESE's ErrBKOSSnapshotTruncateLog). */
static JET_ERR truncate_instance(struct jf_session *s, struct jf_instance *inst,
				 JET_GRBIT grbit)
{
	int err;

	if (!inst->truncate_pending)
		return JET_errSuccess;	/* already truncated */
	/* Whatever happens, this snapshot truncates an instance once. */
	inst->truncate_pending = false;
	if (grbit != JET_bitAllDatabasesSnapshot || inst->circular_log) {
		jf_event(LOG_INFO, JF_EV_NO_TRUNCATE_LOG_FILES, s->id,
			 "instance %lu: no log files can be truncated",
			 (unsigned long)inst->id);
		return JET_errSuccess;
	}
	jf_event(LOG_INFO, JF_EV_TRUNCATE_LOG_FILES, s->id,
		 "instance %lu: deleting the log files before position %llu",
		 (unsigned long)inst->id,
		 (unsigned long long)inst->log_position);
	if (!inst->cb.truncate_log)
		return JET_errSuccess;
	err = inst->cb.truncate_log(inst->id, inst->ctx, inst->log_position);
	if (err)
		jf_log(LOG_ERR, "snapshot %llu: instance %lu could not truncate its logs: error %d",
		       (unsigned long long)s->id, (unsigned long)inst->id, err);
	return jf_jet_err(err, JF_CTX_TRUNCATE);
}

/* TruncateLog (@only NULL) and TruncateLogInstance; jf_g.lock held. */
static JET_ERR truncate_log(JET_OSSNAPID snapId, struct jf_instance *only,
			    JET_GRBIT grbit)
{
	struct jf_instance *inst;
	struct jf_session *s;
	JET_ERR first = JET_errSuccess;

	s = jf_session_find(snapId);
	if (!s)
		return JET_errOSSnapshotInvalidSnapId;
	if (s->state != JF_SNAP_ALLOW_TRUNCATE &&
	    s->state != JF_SNAP_LOG_TRUNCATED)
		return JET_errOSSnapshotInvalidSequence;
	if (s->grbit & JET_bitCopySnapshot)
		return JET_errOSSnapshotInvalidSequence;
	if (only && only->session != s)
		return JET_wrnNyi;	/* ESE returns a raw -1 here */
	/* The first error is returned; every instance still gets its turn. */
	for (inst = jf_g.instances; inst; inst = inst->next) {
		JET_ERR err;

		if (inst->session != s || (only && inst != only))
			continue;
		err = truncate_instance(s, inst, grbit);
		if (err && !first)
			first = err;
	}
	if (first)
		return first;
	s->state = JF_SNAP_LOG_TRUNCATED;
	return JET_errSuccess;
}

JF_EXPORT JET_ERR JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId,
					   const JET_GRBIT grbit)
{
	JET_ERR err;

	if (grbit & ~JET_bitAllDatabasesSnapshot)
		return JET_errInvalidGrbit;
	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	err = truncate_log(snapId, NULL, grbit);
	jf_unlock();
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId,
						   JET_INSTANCE instance,
						   const JET_GRBIT grbit)
{
	struct jf_instance *inst = NULL;
	JET_ERR err;

	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	err = instance_checks(instance, &inst);
	if (!err && (grbit & ~JET_bitAllDatabasesSnapshot))
		err = JET_errInvalidGrbit;
	if (!err)
		err = truncate_log(snapId, inst, grbit);
	jf_unlock();
	return err;
}

/* GetFreezeInfo once the variant's checks are done; no state changes. */
static JET_ERR get_freeze_info(JET_OSSNAPID snapId, unsigned long *pc,
			       void **pa, bool wide)
{
	struct jf_session *s;
	JET_ERR err = JET_errSuccess;
	int ret;

	if (!api_lock())
		return JET_errOSSnapshotInvalidSequence;
	s = jf_session_find(snapId);
	if (!s) {
		err = JET_errOSSnapshotInvalidSnapId;
	} else if (s->state == JF_SNAP_START || gone(s)) {
		err = JET_errOSSnapshotInvalidSequence;
	} else {
		ret = jf_instinfo_build(s, wide, pc, pa);
		err = jf_jet_err(ret, JF_CTX_GENERIC);
	}
	jf_unlock();
	return err;
}

JF_EXPORT JET_ERR JetOSSnapshotGetFreezeInfoW(const JET_OSSNAPID snapId,
					      unsigned long *pcInstanceInfo,
					      JET_INSTANCE_INFO_W **paInstanceInfo,
					      const JET_GRBIT grbit)
{
	if (grbit)
		return JET_errInvalidGrbit;
	if (!pcInstanceInfo || !paInstanceInfo)
		return JET_errInvalidParameter;
	*pcInstanceInfo = 0;
	*paInstanceInfo = NULL;
	return get_freeze_info(snapId, pcInstanceInfo,
			       (void **)paInstanceInfo, true);
}

JF_EXPORT JET_ERR JetOSSnapshotGetFreezeInfoA(const JET_OSSNAPID snapId,
					      unsigned long *pcInstanceInfo,
					      JET_INSTANCE_INFO_A **paInstanceInfo,
					      const JET_GRBIT grbit)
{
	unsigned long count;
	void *array;
	JET_ERR err;

	/* ESE's A variant calls W with its own locals and checks the
	 * caller's pointers only when converting the result. */
	if (grbit)
		return JET_errInvalidGrbit;
	err = get_freeze_info(snapId, &count, &array, false);
	if (err)
		return err;
	if (!pcInstanceInfo || !paInstanceInfo) {
		free(array);
		return JET_errInvalidParameter;
	}
	*pcInstanceInfo = count;
	*paInstanceInfo = array;
	return JET_errSuccess;
}

JF_EXPORT JET_ERR JetFreeBuffer(char *pbBuf)
{
	/* One block per Freeze/GetFreezeInfo result; NULL is ignored. */
	free(pbBuf);
	return JET_errSuccess;
}

/* esent.def exports the unsuffixed names as the A variants. */
#undef JetOSSnapshotFreeze
#undef JetOSSnapshotGetFreezeInfo
JF_EXPORT JET_ERR JetOSSnapshotFreeze(const JET_OSSNAPID snapId,
				      unsigned long *pcInstanceInfo,
				      JET_INSTANCE_INFO_A **paInstanceInfo,
				      const JET_GRBIT grbit)
	__attribute__((alias("JetOSSnapshotFreezeA")));
JF_EXPORT JET_ERR JetOSSnapshotGetFreezeInfo(const JET_OSSNAPID snapId,
					     unsigned long *pcInstanceInfo,
					     JET_INSTANCE_INFO_A **paInstanceInfo,
					     const JET_GRBIT grbit)
	__attribute__((alias("JetOSSnapshotGetFreezeInfoA")));
