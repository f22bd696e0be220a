/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Snapshot sessions: ESE's CESESnapshotSession.
 */
#ifndef JETFREEZE_SESSION_H
#define JETFREEZE_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jetfreeze.h>

/* ESE's states, same order.  Start, End and Abort are never observed. */
enum jf_snap_state {
	JF_SNAP_START,
	JF_SNAP_PREPARE,
	JF_SNAP_FREEZE,
	JF_SNAP_THAW,		/* transient: the thread thawed, Thaw not back */
	JF_SNAP_TIMEOUT,
	JF_SNAP_ALLOW_TRUNCATE,
	JF_SNAP_LOG_TRUNCATED,
	JF_SNAP_END,
	JF_SNAP_ABORT,
};

struct jf_session {
	/* All under jf_g.lock. */
	struct jf_session *next;
	JET_OSSNAPID id;
	enum jf_snap_state state;
	JET_GRBIT grbit;		/* the Prepare flags */
	unsigned int refs;		/* list + freeze thread + waiters */

	/* The freeze thread (freeze.c), one per successful freeze. */
	pthread_cond_t cond;
	bool thread_alive;
	bool thread_go;			/* freeze established: start timing */
	bool thread_cancel;		/* freeze failed: leave */
	bool thaw_requested;
	uint64_t deadline_ms;		/* CLOCK_MONOTONIC, set when established */

	/* The hold. */
	bool userspace;			/* JETFREEZE_MODE_USERSPACE at Freeze */
	int kfd;			/* kernel session, -1 when none */
	uint64_t hold_id;
	uint32_t timeout_ms;		/* as enforced */
	uint32_t broken;		/* JETFREEZE_BROKEN_* once known */
};

/* jf_g.lock held for all of these. */
struct jf_session *jf_session_find(JET_OSSNAPID id);
struct jf_session *jf_session_new(JET_GRBIT grbit);
/* Remove from the list (-> End or Abort) and drop the list's reference. */
void jf_session_remove(struct jf_session *s, enum jf_snap_state final);
void jf_session_get(struct jf_session *s);
void jf_session_put(struct jf_session *s);
/* JETFREEZE_BACKUP_* of the session. */
unsigned int jf_session_kind(const struct jf_session *s);
/* Release every instance of @s (ESE's ResetBackupInProgress(NULL)). */
void jf_session_release_instances(struct jf_session *s);

/*
 * freeze.c.  jf_session_freeze() does Freeze's work in state Prepare and
 * leaves the session in Freeze on success, in Prepare on failure.
 * jf_session_thaw_wait() asks the freeze thread to thaw and waits for it
 * (dropping jf_g.lock meanwhile); the state is then Thaw or TimeOut.
 */
JET_ERR jf_session_freeze(struct jf_session *s);
void jf_session_thaw_wait(struct jf_session *s);

#endif /* JETFREEZE_SESSION_H */
