// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What JetOSSnapshotFreeze does, and the freeze thread that ends a hold.
 *
 * Freeze, for the session's instances (jf_g.lock held throughout, as ESE
 * holds its snapshot lock):
 *   1. mark them backup-in-progress (attach/detach/stop now refused);
 *   2. let the engine record its log position (freeze_begin);
 *   3. close the I/O gate: new writes and fsyncs wait in the library
 *      until the thaw (see instance.h for why even with a kernel hold);
 *   4. wait for the writes already in flight, fsync every file;
 *   5. kernel mode: resolve the block devices under every file, with
 *      their stacks, and freeze their union in one kernel session, which
 *      holds everybody else's writes; userspace mode: nothing more.
 * Any failure undoes all of it and releases every instance (ESE: the
 * session stays in Prepare with no instances).
 *
 * The freeze thread is ESE's: it waits for Thaw, the timeout, or (kernel
 * mode) the kernel breaking the hold early, then thaws.  A timeout also
 * releases the instances and leaves the session in TimeOut.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <jetfreeze/engine.h>

#include "devmap.h"
#include "global.h"
#include "instance.h"
#include "jeterr.h"
#include "jfctl.h"
#include "kops.h"
#include "log.h"
#include "params.h"
#include "session.h"

/* How long Freeze waits for the engine's writes already in flight. */
#define JF_DRAIN_TIMEOUT_MS	60000U
/* How often the freeze thread asks the kernel whether the hold still holds. */
#define JF_POLL_MS		250U

#define for_each_session_instance(inst, s) \
	for ((inst) = jf_g.instances; (inst); (inst) = (inst)->next) \
		if ((inst)->session == (s))

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timespec ms_to_ts(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	return ts;
}

static const char *inst_name(const struct jf_instance *inst)
{
	return inst->name ? inst->name : "";
}

/* Open the gates and tell the engine how its freeze ended. */
static void unfreeze_instances(struct jf_session *s, int status)
{
	struct jf_instance *inst;

	for_each_session_instance(inst, s)
		jf_gate_set(inst, JF_GATE_OPEN);
	for_each_session_instance(inst, s) {
		if (!inst->frozen)
			continue;
		inst->frozen = false;
		if (inst->cb.freeze_end)
			inst->cb.freeze_end(inst->id, inst->ctx, status);
	}
}

/*
 * End the hold.  @timed_out: the timeout passed or the kernel said the hold
 * ended.  Leaves the session in Thaw, or in TimeOut with its instances
 * released.
 */
static void thaw_hold(struct jf_session *s, bool timed_out)
{
	uint32_t broken = timed_out ? JETFREEZE_BROKEN_TIMEOUT
				    : JETFREEZE_BROKEN_NONE;
	void *priv;
	const struct jf_kernel_ops *ops = jf_kops(&priv);

	if (s->kfd >= 0) {
		struct jetfreeze_thaw t;
		int err = ops->thaw(priv, s->kfd, &t);

		if (err) {
			jf_log(LOG_ERR, "snapshot %llu: THAW of kernel hold %llu failed (%s); the hold is gone, the snapshot is unusable",
			       (unsigned long long)s->id,
			       (unsigned long long)s->hold_id, strerror(-err));
			broken = JETFREEZE_BROKEN_HOLDER_GONE;
		} else {
			if (t.broken != JETFREEZE_BROKEN_NONE)
				broken = t.broken;
			jf_log(LOG_INFO, "snapshot %llu: kernel hold %llu released after %llu ms: %llu writes (%llu bytes) were held, %s",
			       (unsigned long long)s->id,
			       (unsigned long long)s->hold_id,
			       (unsigned long long)(t.frozen_ns / 1000000),
			       (unsigned long long)t.held_bios,
			       (unsigned long long)t.held_bytes,
			       t.broken ? jfctl_broken_str(t.broken)
					: "not broken");
		}
		ops->close(priv, s->kfd);
		s->kfd = -1;
	}
	s->broken = broken;
	unfreeze_instances(s, broken ? -ETIMEDOUT : 0);
	if (broken) {
		jf_session_release_instances(s);
		s->state = JF_SNAP_TIMEOUT;
		jf_event(LOG_ERR, JF_EV_TIME_OUT, s->id,
			 "the freeze ended before thaw (%s, timeout %u ms); the snapshot must be discarded",
			 jfctl_broken_str(broken), s->timeout_ms);
	} else {
		s->state = JF_SNAP_THAW;
		jf_event(LOG_INFO, JF_EV_FREEZE_STOP, s->id, "freeze stopped");
	}
}

static void *freeze_thread(void *arg)
{
	struct jf_session *s = arg;
	bool timed_out = false, poll = true;
	const struct jf_kernel_ops *ops;
	uint64_t deadline;
	void *priv;

	jf_lock();
	while (!s->thread_go && !s->thread_cancel)
		pthread_cond_wait(&s->cond, &jf_g.lock);
	if (s->thread_cancel)
		goto out;
	ops = jf_kops(&priv);

	/*
	 * As in ESE the clock started when the freeze was established, and a
	 * deadline that has passed wins over a Thaw that arrives after it.
	 */
	deadline = s->deadline_ms;
	for (;;) {
		uint64_t now = now_ms(), wake = deadline;
		struct timespec ts;

		if (now >= deadline) {
			timed_out = true;
			break;
		}
		if (s->thaw_requested)
			break;
		if (s->kfd >= 0 && poll && now + JF_POLL_MS < deadline)
			wake = now + JF_POLL_MS;
		ts = ms_to_ts(wake);
		pthread_cond_timedwait(&s->cond, &jf_g.lock, &ts);
		if (s->thaw_requested || s->kfd < 0 || !poll)
			continue;
		/* Hold limits and device removal end holds early; notice it
		 * now, as ESE's thread notices its timeout, not at Thaw. */
		switch (ops->hold_active(priv, s->kfd, s->hold_id)) {
		case 1:
			break;
		case 0:
			timed_out = true;
			goto thaw;
		default:
			poll = false;	/* no STATUS: learn it at thaw */
		}
	}
thaw:
	thaw_hold(s, timed_out);
out:
	s->thread_alive = false;
	pthread_cond_broadcast(&s->cond);
	jf_session_put(s);
	jf_unlock();
	return NULL;
}

void jf_session_thaw_wait(struct jf_session *s)
{
	if (!s->thread_alive)
		return;
	s->thaw_requested = true;
	pthread_cond_broadcast(&s->cond);
	while (s->thread_alive)
		pthread_cond_wait(&s->cond, &jf_g.lock);
}

static int start_thread(struct jf_session *s)
{
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	/* a thread cancelled by an earlier failed Freeze is gone by now */
	while (s->thread_alive)
		pthread_cond_wait(&s->cond, &jf_g.lock);
	s->thread_go = false;
	s->thread_cancel = false;
	s->thaw_requested = false;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	jf_session_get(s);
	s->thread_alive = true;
	err = pthread_create(&tid, &attr, freeze_thread, s);
	pthread_attr_destroy(&attr);
	if (err) {
		s->thread_alive = false;
		jf_session_put(s);
	}
	return -err;
}

/* "vdb1:1 dm-0:0" for the log. */
static void describe_devices(const struct jetfreeze_device *d, unsigned int nr,
			     char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < nr && used + 1 < len; i++) {
		char name[64];
		int n;

		if (jf_dev_name(makedev(d[i].major, d[i].minor), name,
				sizeof(name)))
			snprintf(name, sizeof(name), "%u:%u", d[i].major,
				 d[i].minor);
		n = snprintf(buf + used, len - used, "%s%s(stage %u)",
			     i ? " " : "", name, d[i].stage);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static JET_ERR resolve_devices(struct jf_session *s, struct jf_devset *set)
{
	const struct jf_kernel_ops *ops;
	struct jetfreeze_file *f;
	struct jf_instance *inst;
	void *priv;
	int err;

	ops = jf_kops(&priv);
	for_each_session_instance(inst, s) {
		for (f = inst->files; f; f = f->next) {
			if (!jf_kind_frozen(f->kind))
				continue;
			err = ops->resolve(priv, f->path, set);
			if (err) {
				jf_log(LOG_ERR, "snapshot %llu: no block device to freeze under %s: %s",
				       (unsigned long long)s->id, f->path,
				       strerror(-err));
				return jf_jet_err(err, JF_CTX_FREEZE_IO);
			}
		}
	}
	return JET_errSuccess;
}

/* The effective kernel timeout: ESE's 0 is "right after the freeze",
 * and the module caps holds at max_timeout_ms. */
static uint32_t kernel_timeout(struct jf_session *s, uint32_t max)
{
	uint32_t t = jf_param_timeout_ms();

	if (t == 0)
		return 1;
	if (max && t > max) {
		jf_log(LOG_NOTICE, "snapshot %llu: JET_paramOSSnapshotTimeout %u ms is above the module's limit; the freeze times out after %u ms",
		       (unsigned long long)s->id, t, max);
		return max;
	}
	return t;
}

static JET_ERR kernel_freeze(struct jf_session *s)
{
	const struct jf_kernel_ops *ops;
	struct jetfreeze_version v;
	struct jetfreeze_freeze out;
	struct jf_devset *set;
	char names[512];
	void *priv;
	JET_ERR jerr;
	int fd = -1, err;
	unsigned int nr;

	ops = jf_kops(&priv);
	set = jf_devset_new();
	if (!set)
		return JET_errOutOfMemory;
	jerr = resolve_devices(s, set);
	if (jerr)
		goto out;
	nr = jf_devset_count(set);
	if (!nr) {
		/* No files: nothing under the instances to freeze. */
		s->timeout_ms = jf_param_timeout_ms();
		goto out;
	}

	fd = ops->open(priv);
	if (fd < 0) {
		jf_log(LOG_ERR, "snapshot %llu: cannot open the jetfreeze control node: %s%s",
		       (unsigned long long)s->id, strerror(-fd),
		       fd == -ENOENT || fd == -ENODEV || fd == -ENXIO ?
		       " (is the jetfreeze module loaded? JETFREEZE_MODE_USERSPACE needs none)" :
		       fd == -EACCES || fd == -EPERM ?
		       " (freezing block devices needs root)" : "");
		jerr = jf_jet_err(fd, JF_CTX_KERNEL_OPEN);
		goto out;
	}
	err = ops->version(priv, fd, &v);
	if (!err && (v.abi_major != JETFREEZE_ABI_MAJOR ||
		     !(v.features & JETFREEZE_FEAT_FREEZE)))
		err = -EPROTO;
	if (err) {
		jf_log(LOG_ERR, "snapshot %llu: the jetfreeze module does not speak ABI %u: %s",
		       (unsigned long long)s->id, JETFREEZE_ABI_MAJOR,
		       strerror(-err));
		jerr = jf_jet_err(err, JF_CTX_KERNEL_OPEN);
		goto out;
	}
	if (v.max_devices && nr > v.max_devices) {
		jf_log(LOG_ERR, "snapshot %llu: %u block devices to freeze, the module takes at most %u",
		       (unsigned long long)s->id, nr, v.max_devices);
		jerr = JET_errOSSnapshotNotAllowed;
		goto out;
	}

	s->timeout_ms = kernel_timeout(s, v.max_timeout_ms);
	memset(&out, 0, sizeof(out));
	out.failed_index = ~0U;
	describe_devices(jf_devset_devices(set), nr, names, sizeof(names));
	err = ops->freeze(priv, fd, jf_devset_devices(set), nr, s->timeout_ms,
			  &out);
	if (err) {
		char failed[64] = "";

		if (out.failed_index < nr)
			describe_devices(jf_devset_devices(set) +
					 out.failed_index, 1, failed,
					 sizeof(failed));
		jf_log(LOG_ERR, "snapshot %llu: the kernel could not freeze %s: %s%s%s",
		       (unsigned long long)s->id, names, strerror(-err),
		       failed[0] ? "; device at fault: " : "", failed);
		jerr = jf_jet_err(err, JF_CTX_KERNEL_FREEZE);
		goto out;
	}
	s->kfd = fd;
	fd = -1;
	s->hold_id = out.session_id;
	jf_log(LOG_INFO, "snapshot %llu: kernel hold %llu froze %s (drained and flushed in %llu us), timeout %u ms",
	       (unsigned long long)s->id, (unsigned long long)s->hold_id,
	       names, (unsigned long long)(out.drain_ns / 1000), s->timeout_ms);
out:
	if (fd >= 0)
		ops->close(priv, fd);
	jf_devset_free(set);
	return jerr;
}

/* ESE's SetBackupInProgress: every instance must still be able to join. */
static JET_ERR set_backup_in_progress(struct jf_session *s)
{
	struct jf_instance *inst, *next;

	for (inst = jf_g.instances; inst; inst = next) {
		next = inst->next;
		if (inst->session != s)
			continue;
		jf_event(LOG_INFO, JF_EV_FREEZE_START, s->id,
			 "freeze started for instance %lu '%s'",
			 (unsigned long)inst->id, inst_name(inst));
		if ((inst->flags & JETFREEZE_INST_BACKUP_RUNNING) ||
		    inst->state != JF_INST_RUNNING) {
			jf_log(LOG_ERR, "snapshot %llu: instance %lu '%s' %s",
			       (unsigned long long)s->id,
			       (unsigned long)inst->id, inst_name(inst),
			       inst->state != JF_INST_RUNNING ?
			       "is not running" : "runs a backup of its own");
			jf_instance_release(inst);
			return JET_errOSSnapshotNotAllowed;
		}
		inst->backup_in_progress = true;
	}
	return JET_errSuccess;
}

static JET_ERR begin_instances(struct jf_session *s)
{
	unsigned int kind = jf_session_kind(s);
	struct jf_instance *inst;
	int err;

	for_each_session_instance(inst, s) {
		if ((kind & JETFREEZE_BACKUP_INCREMENTAL) && inst->circular_log) {
			jf_log(LOG_ERR, "snapshot %llu: instance %lu '%s' uses circular logging: no incremental snapshot",
			       (unsigned long long)s->id,
			       (unsigned long)inst->id, inst_name(inst));
			return JET_errInvalidBackup;
		}
		inst->log_position = 0;
		if (inst->cb.freeze_begin) {
			inst->in_freeze_begin = true;
			err = inst->cb.freeze_begin(inst->id, inst->ctx, kind,
						    &inst->log_position);
			inst->in_freeze_begin = false;
			if (err) {
				jf_log(LOG_ERR, "snapshot %llu: instance %lu '%s' refused the freeze: %s",
				       (unsigned long long)s->id,
				       (unsigned long)inst->id,
				       inst_name(inst), strerror(-err));
				return jf_jet_err(err, JF_CTX_FREEZE_CB);
			}
		}
		inst->frozen = true;
		inst->truncate_pending = true;
	}
	return JET_errSuccess;
}

static JET_ERR quiesce_instances(struct jf_session *s)
{
	struct jf_instance *inst;
	int err;

	for_each_session_instance(inst, s)
		jf_gate_set(inst, JF_GATE_HOLD);
	for_each_session_instance(inst, s) {
		err = jf_instance_drain(inst, JF_DRAIN_TIMEOUT_MS);
		if (err) {
			jf_log(LOG_ERR, "snapshot %llu: writes of instance %lu '%s' did not complete within %u ms",
			       (unsigned long long)s->id,
			       (unsigned long)inst->id, inst_name(inst),
			       JF_DRAIN_TIMEOUT_MS);
			return jf_jet_err(err, JF_CTX_FREEZE_IO);
		}
	}
	for_each_session_instance(inst, s) {
		err = jf_instance_sync_files(inst);
		if (err) {
			jf_log(LOG_ERR, "snapshot %llu: cannot make the files of instance %lu '%s' durable: %s",
			       (unsigned long long)s->id,
			       (unsigned long)inst->id, inst_name(inst),
			       strerror(-err));
			return jf_jet_err(err, JF_CTX_FREEZE_IO);
		}
	}
	return JET_errSuccess;
}

JET_ERR jf_session_freeze(struct jf_session *s)
{
	struct jf_instance *inst;
	unsigned int nr_inst = 0;
	JET_ERR jerr;
	int err;

	/* ESE starts the freeze thread first; it is the only step whose
	 * failure leaves the instances claimed. */
	err = start_thread(s);
	if (err) {
		jf_event(LOG_ERR, JF_EV_FREEZE_START_ERROR, s->id,
			 "cannot start the freeze thread: %s", strerror(-err));
		return jf_jet_err(err, JF_CTX_THREAD);
	}
	if (!jf_instances_any_running()) {
		jerr = JET_errNotInitialized;
		jf_event(LOG_ERR, JF_EV_FREEZE_START_ERROR, s->id,
			 "freeze failed: no instance is running (error %d)",
			 (int)jerr);
		goto cancel;
	}

	s->userspace = jf_param_mode() == JETFREEZE_MODE_USERSPACE;
	s->broken = JETFREEZE_BROKEN_NONE;
	jf_event(LOG_INFO, JF_EV_FREEZE_START, s->id, "freeze started (%s)",
		 s->userspace ? "userspace-only mode" : "kernel mode");

	jerr = set_backup_in_progress(s);
	if (!jerr)
		jerr = begin_instances(s);
	if (!jerr)
		jerr = quiesce_instances(s);
	if (!jerr && !s->userspace)
		jerr = kernel_freeze(s);
	if (jerr)
		goto fail;
	if (s->userspace)
		s->timeout_ms = jf_param_timeout_ms();

	/* Established; the gates stay closed until the thaw. */
	for_each_session_instance(inst, s)
		nr_inst++;
	s->state = JF_SNAP_FREEZE;
	/* a timeout of 0 has passed the moment the freeze is established */
	s->deadline_ms = now_ms() +
			 (jf_param_timeout_ms() ? s->timeout_ms : 0);
	s->thread_go = true;
	pthread_cond_broadcast(&s->cond);
	jf_log(LOG_INFO, "snapshot %llu: frozen, %u instance(s), timeout %u ms",
	       (unsigned long long)s->id, nr_inst, s->timeout_ms);
	return JET_errSuccess;

fail:
	unfreeze_instances(s, -ECANCELED);
	jf_session_release_instances(s);
	jf_event(LOG_ERR, JF_EV_FREEZE_START_ERROR, s->id,
		 "freeze failed with error %d", (int)jerr);
cancel:
	/* wait for it: a retried Freeze starts a thread of its own */
	s->thread_cancel = true;
	pthread_cond_broadcast(&s->cond);
	while (s->thread_alive)
		pthread_cond_wait(&s->cond, &jf_g.lock);
	return jerr;
}
