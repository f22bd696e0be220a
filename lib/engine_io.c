// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Engine file I/O on io_uring, and the gate a snapshot closes on it.
 *
 * Every request passes the instance's gate.  Reads always pass.  While a
 * snapshot holds the instance, writes, fsyncs and truncates the gate stops
 * are queued
 * in submission order and go down when the gate opens; the engine sees
 * them as accepted and completing late.  Counters let Freeze wait for the
 * writes already in flight, and keep files from closing under their I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jetfreeze/engine.h>

/* The kernel fills read buffers behind valgrind's back (io_uring is no
 * syscall it can follow); say so, or every engine read looks undefined. */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define mark_defined(buf, len)	VALGRIND_MAKE_MEM_DEFINED(buf, len)
#else
#define mark_defined(buf, len)	((void)(buf), (void)(len))
#endif

#include "global.h"
#include "instance.h"
#include "internal.h"
#include "log.h"

/* Entries of each instance's ring; the CQ is twice that. */
#define JF_RING_ENTRIES		256

enum jf_opcode {
	JF_OP_READ,
	JF_OP_WRITE,
	JF_OP_FSYNC,
	JF_OP_TRUNCATE,		/* ftruncate(2), off is the new size */
};

struct jf_req {
	struct jf_uring_op op;
	struct jf_req *next;		/* in inst->held */
	struct jetfreeze_file *file;
	enum jf_opcode opcode;
	void *buf;
	unsigned int len;
	uint64_t off;
	unsigned int fsync_flags;
	jetfreeze_io_done done;
	void *arg;
};

static bool is_write(const struct jf_req *req)
{
	return req->opcode != JF_OP_READ;
}

/* Does @gate stop @req?  inst->lock held. */
static bool gate_stops(enum jf_gate gate, const struct jf_req *req)
{
	return gate == JF_GATE_HOLD && req->opcode != JF_OP_READ &&
	       jf_kind_frozen(req->file->kind);
}

static void req_finish(struct jf_req *req, int res)
{
	struct jetfreeze_file *file = req->file;
	struct jf_instance *inst = file->inst;

	if (req->opcode == JF_OP_READ && res > 0)
		mark_defined(req->buf, (size_t)res);
	/* The engine hears first: a drain or a close that sees the counters
	 * drop may rely on the completion having been delivered. */
	req->done(file, req->arg, res);

	pthread_mutex_lock(&inst->lock);
	if (is_write(req))
		inst->writes_inflight--;
	inst->ops--;
	file->ops--;
	pthread_cond_broadcast(&inst->io_cond);
	pthread_mutex_unlock(&inst->lock);
	free(req);
}

static void req_complete(struct jf_uring_op *op, int res)
{
	req_finish((struct jf_req *)op, res);
}

/*
 * io_uring has no ftruncate before Linux 6.9: a truncate runs on the
 * thread that issues it, the engine's own thread (jetfreeze_truncate) or,
 * when the gate held it, the thread that opens the gate.  It completes
 * there, never on the reaper.
 */
static int truncate_now(struct jf_req *req)
{
	int res = 0;

	while (ftruncate(req->file->fd, (off_t)req->off) < 0) {
		if (errno != EINTR) {
			res = -errno;
			break;
		}
	}
	req_finish(req, res);
	return 0;
}

/* Hand to io_uring a request already counted as in flight. */
static int req_issue(struct jf_req *req)
{
	struct jf_ring *ring = &req->file->inst->ring;
	int fd = req->file->fd;

	switch (req->opcode) {
	case JF_OP_TRUNCATE:
		return truncate_now(req);
	case JF_OP_READ:
		return jf_ring_read(ring, &req->op, fd, req->buf, req->len,
				    req->off);
	case JF_OP_WRITE:
		return jf_ring_write(ring, &req->op, fd, req->buf, req->len,
				     req->off);
	case JF_OP_FSYNC:
		return jf_ring_fsync(ring, &req->op, fd,
				     req->fsync_flags & JETFREEZE_FSYNC_DATA);
	}
	return -EINVAL;
}

static void uncount(struct jf_req *req)
{
	struct jf_instance *inst = req->file->inst;

	pthread_mutex_lock(&inst->lock);
	if (is_write(req))
		inst->writes_inflight--;
	inst->ops--;
	req->file->ops--;
	pthread_cond_broadcast(&inst->io_cond);
	pthread_mutex_unlock(&inst->lock);
}

static int req_submit(struct jf_req *req)
{
	struct jf_instance *inst = req->file->inst;
	int err;

	req->op.complete = req_complete;
	pthread_mutex_lock(&inst->lock);
	inst->ops++;
	req->file->ops++;
	if (gate_stops(inst->gate, req)) {
		req->next = NULL;
		*inst->held_tail = req;
		inst->held_tail = &req->next;
		pthread_mutex_unlock(&inst->lock);
		return 0;
	}
	/* Counted before the gate can close behind us: a Freeze that closes
	 * it next waits for this write. */
	if (is_write(req))
		inst->writes_inflight++;
	pthread_mutex_unlock(&inst->lock);

	err = req_issue(req);
	if (err) {
		uncount(req);
		free(req);
	}
	return err;
}

void jf_gate_set(struct jf_instance *inst, enum jf_gate gate)
{
	struct jf_req *go = NULL, **go_tail = &go, *req, **pp;

	pthread_mutex_lock(&inst->lock);
	inst->gate = gate;
	/* Take, in order, every held request the new gate lets through. */
	for (pp = &inst->held; (req = *pp);) {
		if (gate_stops(gate, req)) {
			pp = &req->next;
			continue;
		}
		*pp = req->next;
		req->next = NULL;
		*go_tail = req;
		go_tail = &req->next;
		inst->writes_inflight++;
	}
	inst->held_tail = pp;
	pthread_mutex_unlock(&inst->lock);

	while ((req = go)) {
		int err;

		go = req->next;
		err = req_issue(req);
		if (err) {
			/* Accepted long ago: the engine learns through @done. */
			req_finish(req, err);
		}
	}
}

int jf_instance_drain(struct jf_instance *inst, unsigned int timeout_ms)
{
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&inst->lock);
	while (inst->writes_inflight && !err) {
		err = pthread_cond_timedwait(&inst->io_cond, &inst->lock,
					     &deadline);
		if (err == ETIMEDOUT && !inst->writes_inflight)
			err = 0;
	}
	pthread_mutex_unlock(&inst->lock);
	return -err;
}

int jf_instance_sync_files(struct jf_instance *inst)
{
	struct jetfreeze_file *f;

	for (f = inst->files; f; f = f->next) {
		if (!jf_kind_frozen(f->kind))
			continue;
		if (fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS)
			return -errno;	/* EINVAL/EROFS: nothing to make durable */
	}
	return 0;
}

int jf_instance_io_init(struct jf_instance *inst)
{
	pthread_condattr_t attr;
	int err;

	pthread_mutex_init(&inst->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&inst->io_cond, &attr);
	pthread_condattr_destroy(&attr);
	inst->gate = JF_GATE_OPEN;
	inst->held_tail = &inst->held;
	err = jf_ring_init(&inst->ring, JF_RING_ENTRIES);
	if (err) {
		pthread_cond_destroy(&inst->io_cond);
		pthread_mutex_destroy(&inst->lock);
	}
	return err;
}

void jf_instance_io_exit(struct jf_instance *inst)
{
	struct jetfreeze_file *f;

	pthread_mutex_lock(&inst->lock);
	while (inst->ops)
		pthread_cond_wait(&inst->io_cond, &inst->lock);
	pthread_mutex_unlock(&inst->lock);
	jf_ring_exit(&inst->ring);
	while ((f = inst->files)) {
		inst->files = f->next;
		close(f->fd);
		free(f->path);
		free(f);
	}
	pthread_cond_destroy(&inst->io_cond);
	pthread_mutex_destroy(&inst->lock);
}

static bool valid_kind(unsigned int kind)
{
	return kind >= JETFREEZE_FILE_DATABASE && kind <= JETFREEZE_FILE_TEMP;
}

JF_EXPORT int jetfreeze_file_open(JET_INSTANCE id, const char *path, int flags,
				  mode_t mode, unsigned int kind,
				  struct jetfreeze_file **out)
{
	struct jetfreeze_file *f, **tail;
	struct jf_instance *inst;
	int err;

	if (!path || !*path || !out || !valid_kind(kind))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = kind;
	f->fd = open(path, flags | O_CLOEXEC, mode);
	if (f->fd < 0) {
		err = -errno;
		free(f);
		return err;
	}
	f->path = realpath(path, NULL);
	if (!f->path) {
		err = -errno;
		goto fail;
	}

	if (!jf_lock_engine()) {
		err = -EAGAIN;
		goto fail;
	}
	inst = jf_instance_find(id);
	if (!inst) {
		err = -ENOENT;
	} else if (inst->backup_in_progress && !inst->in_freeze_begin &&
		   jf_kind_frozen(kind)) {
		err = -EBUSY;	/* ESE: attach during a snapshot */
	} else {
		f->inst = inst;
		for (tail = &inst->files; *tail; tail = &(*tail)->next)
			;
		*tail = f;
		err = 0;
	}
	jf_unlock();
	if (err)
		goto fail;
	*out = f;
	return 0;
fail:
	close(f->fd);
	free(f->path);
	free(f);
	return err;
}

JF_EXPORT int jetfreeze_file_close(struct jetfreeze_file *f)
{
	struct jf_instance *inst;
	struct jetfreeze_file **pp;
	int err;

	if (!f)
		return -EINVAL;
	inst = f->inst;
	if (!jf_lock_engine())
		return -EAGAIN;
	if (inst->backup_in_progress && !inst->in_freeze_begin &&
	    jf_kind_frozen(f->kind)) {
		jf_unlock();
		return -EBUSY;	/* ESE: detach during a snapshot */
	}
	if (jf_ring_on_reaper(&inst->ring)) {
		/* A completion callback cannot wait for completions. */
		pthread_mutex_lock(&inst->lock);
		err = f->ops ? -EDEADLK : 0;
		pthread_mutex_unlock(&inst->lock);
		if (err) {
			jf_unlock();
			return err;
		}
	}
	for (pp = &inst->files; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	jf_unlock();

	/* I/O still in flight (its callback included) finishes first. */
	pthread_mutex_lock(&inst->lock);
	while (f->ops)
		pthread_cond_wait(&inst->io_cond, &inst->lock);
	pthread_mutex_unlock(&inst->lock);
	err = close(f->fd) < 0 ? -errno : 0;
	free(f->path);
	free(f);
	return err;
}

JF_EXPORT int jetfreeze_file_fd(const struct jetfreeze_file *f)
{
	return f ? f->fd : -EINVAL;
}

JF_EXPORT const char *jetfreeze_file_path(const struct jetfreeze_file *f)
{
	return f ? f->path : NULL;
}

static int submit_rw(struct jetfreeze_file *f, enum jf_opcode opcode,
		     void *buf, size_t len, uint64_t off,
		     jetfreeze_io_done done, void *arg)
{
	struct jf_req *req;

	if (!f || !done || (!buf && len) || len > INT_MAX ||
	    off > (uint64_t)LLONG_MAX)
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->file = f;
	req->opcode = opcode;
	req->buf = buf;
	req->len = (unsigned int)len;
	req->off = off;
	req->done = done;
	req->arg = arg;
	return req_submit(req);
}

JF_EXPORT int jetfreeze_read(struct jetfreeze_file *f, void *buf, size_t len,
			     uint64_t off, jetfreeze_io_done done, void *arg)
{
	return submit_rw(f, JF_OP_READ, buf, len, off, done, arg);
}

JF_EXPORT int jetfreeze_write(struct jetfreeze_file *f, const void *buf,
			      size_t len, uint64_t off, jetfreeze_io_done done,
			      void *arg)
{
	/* io_uring only reads @buf for a write; the cast drops nothing. */
	return submit_rw(f, JF_OP_WRITE, (void *)buf, len, off, done, arg);
}

JF_EXPORT int jetfreeze_fsync(struct jetfreeze_file *f, unsigned int flags,
			      jetfreeze_io_done done, void *arg)
{
	struct jf_req *req;

	if (!f || !done || (flags & ~JETFREEZE_FSYNC_DATA))
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->file = f;
	req->opcode = JF_OP_FSYNC;
	req->fsync_flags = flags;
	req->done = done;
	req->arg = arg;
	return req_submit(req);
}

/* The synchronous helpers wait on one of these per request. */
struct sync_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int res;
};

static void sync_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct sync_wait *w = arg;

	pthread_mutex_lock(&w->lock);
	w->res = res;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int sync_op(struct jetfreeze_file *f, enum jf_opcode opcode, void *buf,
		   size_t len, uint64_t off, unsigned int fsync_flags)
{
	struct sync_wait w = { .done = false };
	int err;

	if (!f)
		return -EINVAL;
	/* The completion thread would wait for itself. */
	if (jf_ring_on_reaper(&f->inst->ring))
		return -EDEADLK;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	if (opcode == JF_OP_FSYNC)
		err = jetfreeze_fsync(f, fsync_flags, sync_done, &w);
	else if (opcode == JF_OP_TRUNCATE)
		err = submit_rw(f, opcode, NULL, 0, off, sync_done, &w);
	else
		err = submit_rw(f, opcode, buf, len, off, sync_done, &w);
	if (!err) {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
		err = w.res;
	}
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return err;
}

static ssize_t sync_rw(struct jetfreeze_file *f, enum jf_opcode opcode,
		       void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (len > SSIZE_MAX)
		return -EINVAL;
	while (done < len) {
		size_t chunk = len - done > (1U << 30) ? 1U << 30 : len - done;
		int res = sync_op(f, opcode, (char *)buf + done, chunk,
				  off + done, 0);

		if (res < 0)
			return res;
		if (res == 0) {
			if (opcode == JF_OP_READ)
				break;		/* end of file */
			return -EIO;		/* a write that writes nothing */
		}
		done += (size_t)res;
	}
	return (ssize_t)done;
}

JF_EXPORT ssize_t jetfreeze_pread(struct jetfreeze_file *f, void *buf,
				  size_t len, uint64_t off)
{
	return sync_rw(f, JF_OP_READ, buf, len, off);
}

JF_EXPORT ssize_t jetfreeze_pwrite(struct jetfreeze_file *f, const void *buf,
				   size_t len, uint64_t off)
{
	return sync_rw(f, JF_OP_WRITE, (void *)buf, len, off);
}

JF_EXPORT int jetfreeze_sync(struct jetfreeze_file *f, unsigned int flags)
{
	if (flags & ~JETFREEZE_FSYNC_DATA)
		return -EINVAL;
	return sync_op(f, JF_OP_FSYNC, NULL, 0, 0, flags);
}

JF_EXPORT int jetfreeze_truncate(struct jetfreeze_file *f, uint64_t size)
{
	if (!f || size > (uint64_t)LLONG_MAX)
		return -EINVAL;
	return sync_op(f, JF_OP_TRUNCATE, NULL, 0, size, 0);
}

JF_EXPORT int jetfreeze_instance_wait_io(JET_INSTANCE id)
{
	struct jf_instance *inst;

	if (!jf_lock_engine())
		return -EAGAIN;
	inst = jf_instance_find(id);
	jf_unlock();
	if (!inst)
		return -ENOENT;
	if (jf_ring_on_reaper(&inst->ring))
		return -EDEADLK;
	/* The instance stays valid: destroying it while waiting on it is
	 * the caller's bug, as with any handle. */
	pthread_mutex_lock(&inst->lock);
	while (inst->ops)
		pthread_cond_wait(&inst->io_cond, &inst->lock);
	pthread_mutex_unlock(&inst->lock);
	return 0;
}
