/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process-global state ESE itself keeps process-global: the instance
 * table, the snapshot session list, the session id counter, and the one
 * lock over them (ESE's g_critOSSnapshot).  Every JetOSSnapshot* call runs
 * under it; Freeze holds it for the whole freeze set-up, Thaw drops it
 * while it waits for the freeze thread, as in ESE.
 *
 * Lock order: jf_g.lock, then an instance's lock, then a ring's sq_lock.
 * I/O completion paths take only the instance lock.
 */
#ifndef JETFREEZE_GLOBAL_H
#define JETFREEZE_GLOBAL_H

#include <pthread.h>
#include <stdbool.h>

#include <jetfreeze.h>

struct jf_instance;
struct jf_session;

struct jf_global {
	pthread_mutex_t lock;
	/* An instance left a snapshot (abrupt stops wait for that). */
	pthread_cond_t released;
	struct jf_instance *instances;	/* creation order: ESE's slot order */
	JET_INSTANCE last_instance_id;
	struct jf_session *sessions;
	JET_OSSNAPID last_snap_id;	/* ids start at 1, never reused */
};

extern struct jf_global jf_g;

/*
 * Take and drop jf_g.lock.  The engine's snapshot callbacks run with it
 * held and may call back into the library (open a log file, wait for
 * I/O): the lock nests per thread.  Nothing may wait on a condition of
 * jf_g.lock while nested (the wait would drop the outer holder's lock):
 * such calls check jf_lock_nested() and refuse.
 */
void jf_lock(void);
void jf_unlock(void);
/*
 * jf_lock() for the engine's instance and file calls: false, with the lock
 * not taken, when this thread asked not to wait (jetfreeze_set_nowait())
 * and another thread holds it.
 */
bool jf_lock_engine(void);
/* Does this thread hold jf_g.lock (before calling jf_lock)? */
bool jf_lock_held(void);
/* Does this thread hold it more than once (inside a callback)? */
bool jf_lock_nested(void);

#endif /* JETFREEZE_GLOBAL_H */
