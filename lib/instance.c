// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Engine instances: the registry (ESE's instance table), their lifecycle
 * and the engine-reported conditions that snapshot calls check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jetfreeze/engine.h>

#include "global.h"
#include "instance.h"
#include "internal.h"
#include "log.h"
#include "params.h"
#include "session.h"

struct jf_global jf_g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.released = PTHREAD_COND_INITIALIZER,
};

static __thread unsigned int lock_depth;
static __thread bool engine_nowait;

void jf_lock(void)
{
	if (lock_depth++ == 0)
		pthread_mutex_lock(&jf_g.lock);
}

void jf_unlock(void)
{
	if (--lock_depth == 0)
		pthread_mutex_unlock(&jf_g.lock);
}

bool jf_lock_engine(void)
{
	if (lock_depth == 0 && engine_nowait) {
		if (pthread_mutex_trylock(&jf_g.lock))
			return false;
		lock_depth = 1;
		return true;
	}
	jf_lock();
	return true;
}

JF_EXPORT int jetfreeze_set_nowait(int nowait)
{
	bool was = engine_nowait;

	engine_nowait = nowait != 0;
	return was;
}

bool jf_lock_held(void)
{
	return lock_depth > 0;
}

bool jf_lock_nested(void)
{
	return lock_depth > 1;
}

#define JF_INST_FLAGS	(JETFREEZE_INST_STOP_REQUESTED | \
			 JETFREEZE_INST_UNAVAILABLE | \
			 JETFREEZE_INST_LOG_DISK_FULL | \
			 JETFREEZE_INST_RESTORING | \
			 JETFREEZE_INST_BACKUP_RUNNING)

struct jf_instance *jf_instance_find(JET_INSTANCE id)
{
	struct jf_instance *inst;

	for (inst = jf_g.instances; inst; inst = inst->next)
		if (inst->id == id)
			return inst;
	return NULL;
}

bool jf_instances_any_running(void)
{
	struct jf_instance *inst;

	for (inst = jf_g.instances; inst; inst = inst->next)
		if (inst->state == JF_INST_RUNNING)
			return true;
	return false;
}

void jf_instance_release(struct jf_instance *inst)
{
	inst->session = NULL;
	inst->backup_in_progress = false;
	inst->truncate_pending = false;
	pthread_cond_broadcast(&jf_g.released);
}

JF_EXPORT int jetfreeze_instance_create(JET_INSTANCE *out, const char *name,
					const struct jetfreeze_callbacks *cb,
					void *ctx)
{
	struct jf_instance *inst, **tail;
	int err;

	if (!out)
		return -EINVAL;
	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	if (name && !(inst->name = strdup(name))) {
		free(inst);
		return -ENOMEM;
	}
	if (cb)
		inst->cb = *cb;
	inst->ctx = ctx;
	inst->circular_log = jf_param_circular_log();
	err = jf_instance_io_init(inst);
	if (err) {
		free(inst->name);
		free(inst);
		return err;
	}

	if (!jf_lock_engine()) {
		jf_instance_io_exit(inst);
		free(inst->name);
		free(inst);
		return -EAGAIN;
	}
	/* Ids skip 0 and JET_instanceNil and are never reused. */
	inst->id = ++jf_g.last_instance_id;
	for (tail = &jf_g.instances; *tail; tail = &(*tail)->next)
		;
	*tail = inst;
	jf_unlock();

	*out = inst->id;
	jf_debug("instance %lu '%s' created", (unsigned long)inst->id,
		 name ? name : "");
	return 0;
}

JF_EXPORT int jetfreeze_instance_start(JET_INSTANCE id)
{
	struct jf_instance *inst;
	int err = 0;

	if (!jf_lock_engine())
		return -EAGAIN;
	inst = jf_instance_find(id);
	if (!inst)
		err = -ENOENT;
	else if (inst->state == JF_INST_RUNNING ||
		 inst->state == JF_INST_STOPPING)
		err = -EALREADY;
	else
		inst->state = JF_INST_RUNNING;
	jf_unlock();
	return err;
}

JF_EXPORT int jetfreeze_instance_stop(JET_INSTANCE id, unsigned int flags)
{
	struct jf_instance *inst;
	int err = 0;

	if (flags & ~JETFREEZE_STOP_ABRUPT)
		return -EINVAL;
	if (!jf_lock_engine())
		return -EAGAIN;
	inst = jf_instance_find(id);
	if (!inst) {
		err = -ENOENT;
		goto out;
	}
	if (inst->state != JF_INST_RUNNING) {
		err = inst->state == JF_INST_STOPPING ? -EALREADY : -EINVAL;
		goto out;
	}
	if (inst->backup_in_progress) {
		/* ESE: a clean JetTerm fails with JET_errBackupInProgress;
		 * an abrupt one polls until the snapshot releases it. */
		if (!(flags & JETFREEZE_STOP_ABRUPT)) {
			err = -EBUSY;
			goto out;
		}
		if (jf_lock_nested()) {
			err = -EDEADLK;	/* from a snapshot callback */
			goto out;
		}
		inst->state = JF_INST_STOPPING;
		while (inst->backup_in_progress)
			pthread_cond_wait(&jf_g.released, &jf_g.lock);
	}
	/* Prepared but not frozen: it silently drops out of the session. */
	if (inst->session)
		jf_instance_release(inst);
	inst->state = JF_INST_STOPPED;
out:
	jf_unlock();
	return err;
}

JF_EXPORT int jetfreeze_instance_destroy(JET_INSTANCE id)
{
	struct jf_instance *inst, **pp;

	if (!jf_lock_engine())
		return -EAGAIN;
	for (pp = &jf_g.instances; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	inst = *pp;
	if (!inst) {
		jf_unlock();
		return -ENOENT;
	}
	if (inst->state == JF_INST_RUNNING || inst->state == JF_INST_STOPPING) {
		jf_unlock();
		return -EBUSY;
	}
	*pp = inst->next;
	jf_unlock();

	jf_instance_io_exit(inst);
	free(inst->name);
	free(inst);
	return 0;
}

JF_EXPORT int jetfreeze_instance_set_flags(JET_INSTANCE id, unsigned int set,
					   unsigned int clear)
{
	struct jf_instance *inst;
	int err = 0;

	if ((set | clear) & ~JF_INST_FLAGS)
		return -EINVAL;
	if (!jf_lock_engine())
		return -EAGAIN;
	inst = jf_instance_find(id);
	if (!inst)
		err = -ENOENT;
	else if ((set & JETFREEZE_INST_BACKUP_RUNNING) &&
		 inst->backup_in_progress)
		err = -EBUSY;	/* ESE: JET_errBackupInProgress */
	else
		inst->flags = (inst->flags & ~clear) | set;
	jf_unlock();
	return err;
}
