// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JetSetSystemParameter / JetGetSystemParameter for the two parameters a
 * snapshot needs, and jetfreeze_set_mode().
 *
 * As in ESE: a global parameter is set globally whatever instance is named;
 * a per-instance one (JET_paramCircularLog) is set on the named instance,
 * or on the global default that instances copy when created; it cannot
 * change once the instance started (JET_errAlreadyInitialized).  Unknown
 * ids and out-of-range values give JET_errInvalidParameter.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include <jetfreeze/engine.h>

#include "global.h"
#include "instance.h"
#include "internal.h"
#include "params.h"

static pthread_mutex_t param_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t timeout_ms = JF_TIMEOUT_DEFAULT_MS;
static bool circular_log;
static int mode = JETFREEZE_MODE_KERNEL;

uint32_t jf_param_timeout_ms(void)
{
	uint32_t v;

	pthread_mutex_lock(&param_lock);
	v = timeout_ms;
	pthread_mutex_unlock(&param_lock);
	return v;
}

bool jf_param_circular_log(void)
{
	bool v;

	pthread_mutex_lock(&param_lock);
	v = circular_log;
	pthread_mutex_unlock(&param_lock);
	return v;
}

int jf_param_mode(void)
{
	int v;

	pthread_mutex_lock(&param_lock);
	v = mode;
	pthread_mutex_unlock(&param_lock);
	return v;
}

JF_EXPORT int jetfreeze_set_mode(int m)
{
	if (m != JETFREEZE_MODE_KERNEL && m != JETFREEZE_MODE_USERSPACE)
		return -EINVAL;
	pthread_mutex_lock(&param_lock);
	mode = m;
	pthread_mutex_unlock(&param_lock);
	return 0;
}

JF_EXPORT int jetfreeze_get_mode(void)
{
	return jf_param_mode();
}

static bool nil_sesid(JET_SESID sesid)
{
	return sesid == 0 || sesid == JET_sesidNil;
}

static bool nil_instance(JET_INSTANCE inst)
{
	return inst == 0 || inst == JET_instanceNil;
}

/*
 * The instance a call names, after ESE's checks: an unknown handle is
 * JET_errInvalidInstance; one being torn down or restored cannot be
 * entered.  jf_g.lock held.
 */
static JET_ERR lookup_instance(JET_INSTANCE h, struct jf_instance **out)
{
	struct jf_instance *inst;

	*out = NULL;
	if (nil_instance(h))
		return JET_errSuccess;
	inst = jf_instance_find(h);
	if (!inst)
		return JET_errInvalidInstance;
	if (inst->state == JF_INST_STOPPING)
		return JET_errTermInProgress;
	if (inst->flags & JETFREEZE_INST_RESTORING)
		return JET_errRestoreInProgress;
	*out = inst;
	return JET_errSuccess;
}

static JET_ERR set_param(JET_INSTANCE *pinstance, JET_SESID sesid,
			 unsigned long paramid, JET_API_PTR value)
{
	struct jf_instance *inst;
	JET_ERR err;

	if (!nil_sesid(sesid))
		return JET_errInvalidSesid;	/* this library has no sessions */
	jf_lock();
	err = lookup_instance(pinstance ? *pinstance : 0, &inst);
	if (err)
		goto out;
	switch (paramid) {
	case JET_paramOSSnapshotTimeout:
		if (value > JF_TIMEOUT_MAX_MS) {
			err = JET_errInvalidParameter;
			break;
		}
		pthread_mutex_lock(&param_lock);
		timeout_ms = (uint32_t)value;
		pthread_mutex_unlock(&param_lock);
		break;
	case JET_paramCircularLog:
		if (!inst) {
			pthread_mutex_lock(&param_lock);
			circular_log = value != 0;
			pthread_mutex_unlock(&param_lock);
		} else if (inst->circular_log != (value != 0)) {
			if (inst->state != JF_INST_CREATED)
				err = JET_errAlreadyInitialized;
			else
				inst->circular_log = value != 0;
		}
		break;
	default:
		err = JET_errInvalidParameter;
	}
out:
	jf_unlock();
	return err;
}

static JET_ERR get_param(JET_INSTANCE instance, JET_SESID sesid,
			 unsigned long paramid, JET_API_PTR *value)
{
	struct jf_instance *inst;
	JET_ERR err;

	if (!nil_sesid(sesid))
		return JET_errInvalidSesid;
	jf_lock();
	err = lookup_instance(instance, &inst);
	if (err)
		goto out;
	switch (paramid) {
	case JET_paramOSSnapshotTimeout:
		if (!value)
			err = JET_errInvalidParameter;
		else
			*value = jf_param_timeout_ms();
		break;
	case JET_paramCircularLog:
		if (!value)
			err = JET_errInvalidParameter;
		else
			*value = inst ? inst->circular_log : jf_param_circular_log();
		break;
	default:
		err = JET_errInvalidParameter;
	}
out:
	jf_unlock();
	return err;
}

/* The string argument is unused by both parameters. */
JF_EXPORT JET_ERR JetSetSystemParameterA(JET_INSTANCE *pinstance,
					 JET_SESID sesid, unsigned long paramid,
					 JET_API_PTR lParam, JET_PCSTR szParam)
{
	return set_param(pinstance, sesid, paramid, lParam);
}

JF_EXPORT JET_ERR JetSetSystemParameterW(JET_INSTANCE *pinstance,
					 JET_SESID sesid, unsigned long paramid,
					 JET_API_PTR lParam, JET_PCWSTR szParam)
{
	return set_param(pinstance, sesid, paramid, lParam);
}

JF_EXPORT JET_ERR JetGetSystemParameterA(JET_INSTANCE instance,
					 JET_SESID sesid, unsigned long paramid,
					 JET_API_PTR *plParam, JET_PSTR szParam,
					 unsigned long cbMax)
{
	return get_param(instance, sesid, paramid, plParam);
}

JF_EXPORT JET_ERR JetGetSystemParameterW(JET_INSTANCE instance,
					 JET_SESID sesid, unsigned long paramid,
					 JET_API_PTR *plParam, JET_PWSTR szParam,
					 unsigned long cbMax)
{
	return get_param(instance, sesid, paramid, plParam);
}

/* esent.def exports the unsuffixed names as the A variants. */
#undef JetSetSystemParameter
#undef JetGetSystemParameter
JF_EXPORT JET_ERR JetSetSystemParameter(JET_INSTANCE *pinstance,
					JET_SESID sesid, unsigned long paramid,
					JET_API_PTR lParam, JET_PCSTR szParam)
	__attribute__((alias("JetSetSystemParameterA")));
JF_EXPORT JET_ERR JetGetSystemParameter(JET_INSTANCE instance,
					JET_SESID sesid, unsigned long paramid,
					JET_API_PTR *plParam, JET_PSTR szParam,
					unsigned long cbMax)
	__attribute__((alias("JetGetSystemParameterA")));
