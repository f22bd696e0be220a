// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process-global list of snapshot sessions.  A session stays in memory
 * while anyone holds a reference: the list, its freeze thread, and API
 * calls that wait with jf_g.lock dropped.
 */
#include <stdlib.h>
#include <time.h>

#include <jetfreeze/engine.h>

#include "global.h"
#include "instance.h"
#include "session.h"

struct jf_session *jf_session_find(JET_OSSNAPID id)
{
	struct jf_session *s;

	for (s = jf_g.sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

struct jf_session *jf_session_new(JET_GRBIT grbit)
{
	struct jf_session *s = calloc(1, sizeof(*s));
	pthread_condattr_t attr;

	if (!s)
		return NULL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	s->id = ++jf_g.last_snap_id;
	s->state = JF_SNAP_START;
	s->grbit = grbit;
	s->kfd = -1;
	s->refs = 1;
	s->next = jf_g.sessions;
	jf_g.sessions = s;
	return s;
}

void jf_session_get(struct jf_session *s)
{
	s->refs++;
}

void jf_session_put(struct jf_session *s)
{
	if (--s->refs)
		return;
	pthread_cond_destroy(&s->cond);
	free(s);
}

void jf_session_remove(struct jf_session *s, enum jf_snap_state final)
{
	struct jf_session **pp;

	for (pp = &jf_g.sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->state = final;
	/* Wake API calls waiting on the session: it is gone. */
	pthread_cond_broadcast(&s->cond);
	jf_session_put(s);
}

unsigned int jf_session_kind(const struct jf_session *s)
{
	unsigned int kind = 0;

	if (s->grbit & JET_bitIncrementalSnapshot)
		kind |= JETFREEZE_BACKUP_INCREMENTAL;
	if (s->grbit & JET_bitCopySnapshot)
		kind |= JETFREEZE_BACKUP_COPY;
	return kind;
}

void jf_session_release_instances(struct jf_session *s)
{
	struct jf_instance *inst;

	for (inst = jf_g.instances; inst; inst = inst->next)
		if (inst->session == s)
			jf_instance_release(inst);
}
