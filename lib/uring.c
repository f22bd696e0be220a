// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * io_uring submission and the reaper thread.
 *
 * Submitting never waits for completions: callers may hold the snapshot
 * lock (the freeze thread releasing held writes) while the reaper runs an
 * engine callback that wants that lock.  So nothing caps the ops in flight
 * (the kernel keeps CQEs that do not fit, IORING_FEAT_NODROP, which every
 * kernel we support has; without it the CQ size caps them, as a fallback),
 * and a submission the kernel refuses for now (EAGAIN/EBUSY: the CQ is
 * backed up) stays queued in the SQ ring for the reaper to push once it
 * reaped.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "uring.h"

/* Submission -> kernel -> CQE orders memory, but race detectors cannot see
 * through the kernel: tell helgrind/drd, so they report real races only. */
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define op_published(op)	ANNOTATE_HAPPENS_BEFORE(op)
#define op_received(op)		ANNOTATE_HAPPENS_AFTER(op)
#else
#define op_published(op)	((void)(op))
#define op_received(op)		((void)(op))
#endif

/* Push SQEs the kernel refused earlier; true while some are still queued. */
static bool push_pending(struct jf_ring *r)
{
	bool pending;

	pthread_mutex_lock(&r->sq_lock);
	if (r->pending) {
		int ret = io_uring_submit(&r->ring);

		r->pending = (ret >= 0 || ret == -EAGAIN || ret == -EBUSY ||
			      ret == -EINTR) && io_uring_sq_ready(&r->ring);
	}
	pending = r->pending;
	pthread_mutex_unlock(&r->sq_lock);
	return pending;
}

/*
 * The reaper sleeps on an eventfd the kernel signals for every CQE and
 * reaps without entering the kernel: poll(2) and read(2) are blocking calls
 * every tool understands (valgrind 3.19 holds its lock across a waiting
 * io_uring_enter and deadlocks the process), and a completion posted
 * between the last peek and the wait still leaves the counter non-zero.
 * While refused submissions wait in the SQ it wakes every 10 ms to retry.
 */
static void *reaper_main(void *arg)
{
	struct jf_ring *r = arg;
	bool stop = false;

	while (!stop) {
		struct pollfd pfd = { .fd = r->efd, .events = POLLIN };
		struct io_uring_cqe *cqe;
		unsigned int reaped = 0;
		uint64_t count;

		while (!stop && io_uring_peek_cqe(&r->ring, &cqe) == 0) {
			struct jf_uring_op *op = io_uring_cqe_get_data(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&r->ring, cqe);
			if (!op)
				continue;	/* a cancelled submission's NOP */
			op_received(op);
			if (op == &r->stop)
				stop = true;
			else
				op->complete(op, res);
			reaped++;
		}
		/* once a batch, not once a completion: submitters take that lock */
		if (reaped) {
			pthread_mutex_lock(&r->sq_lock);
			r->inflight -= reaped;
			pthread_cond_broadcast(&r->sq_room);
			pthread_mutex_unlock(&r->sq_lock);
		}
		if (stop)
			break;
		/* refused submissions: retry them every 10 ms meanwhile */
		if (push_pending(r) && poll(&pfd, 1, 10) <= 0)
			continue;
		if (read(r->efd, &count, sizeof(count)) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			usleep(1000);	/* cannot happen; never spin */
	}
	return NULL;
}

int jf_ring_init(struct jf_ring *r, unsigned int entries)
{
	struct io_uring_params p;
	int err;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0)
		return -errno;
	err = io_uring_queue_init_params(entries, &r->ring, &p);
	if (err)
		goto fail_efd;
	err = io_uring_register_eventfd(&r->ring, r->efd);
	if (err)
		goto fail_ring;
	r->limit = (p.features & IORING_FEAT_NODROP) ? 0 : p.cq_entries;
	pthread_mutex_init(&r->sq_lock, NULL);
	pthread_cond_init(&r->sq_room, NULL);
	err = -pthread_create(&r->reaper, NULL, reaper_main, r);
	if (!err)
		return 0;
	pthread_cond_destroy(&r->sq_room);
	pthread_mutex_destroy(&r->sq_lock);
fail_ring:
	io_uring_queue_exit(&r->ring);
fail_efd:
	close(r->efd);
	return err;
}

bool jf_ring_on_reaper(const struct jf_ring *r)
{
	return pthread_equal(pthread_self(), r->reaper);
}

/*
 * Submit the SQE the caller filled; sq_lock held.  Refused for now (EAGAIN,
 * EBUSY), it stays published in the SQ ring and the reaper pushes it
 * later: the op is in flight either way.  Any other error consumed nothing
 * and will not go away, so the SQE becomes an anonymous NOP (the op must
 * never complete: its caller frees it on error).
 */
static int submit_locked(struct jf_ring *r, struct jf_uring_op *op,
			 struct io_uring_sqe *sqe)
{
	int ret;

	io_uring_sqe_set_data(sqe, op);
	op_published(op);
	do {
		ret = io_uring_submit(&r->ring);
	} while (ret == -EINTR);
	if (ret == -EAGAIN || ret == -EBUSY) {
		r->pending = true;
	} else if (ret < 0) {
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
		return ret;
	}
	r->inflight++;
	return 0;
}

static struct io_uring_sqe *get_sqe_locked(struct jf_ring *r)
{
	struct io_uring_sqe *sqe;

	while (r->limit && r->inflight >= r->limit && !jf_ring_on_reaper(r))
		pthread_cond_wait(&r->sq_room, &r->sq_lock);
	sqe = io_uring_get_sqe(&r->ring);
	if (!sqe) {
		/* SQ full of prepared entries: push them out first. */
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	return sqe;
}

int jf_ring_read(struct jf_ring *r, struct jf_uring_op *op, int fd, void *buf,
		 unsigned int len, uint64_t off)
{
	struct io_uring_sqe *sqe;
	int err = -EBUSY;

	pthread_mutex_lock(&r->sq_lock);
	sqe = get_sqe_locked(r);
	if (sqe) {
		io_uring_prep_read(sqe, fd, buf, len, off);
		err = submit_locked(r, op, sqe);
	}
	pthread_mutex_unlock(&r->sq_lock);
	return err;
}

int jf_ring_write(struct jf_ring *r, struct jf_uring_op *op, int fd,
		  const void *buf, unsigned int len, uint64_t off)
{
	struct io_uring_sqe *sqe;
	int err = -EBUSY;

	pthread_mutex_lock(&r->sq_lock);
	sqe = get_sqe_locked(r);
	if (sqe) {
		io_uring_prep_write(sqe, fd, buf, len, off);
		err = submit_locked(r, op, sqe);
	}
	pthread_mutex_unlock(&r->sq_lock);
	return err;
}

int jf_ring_fsync(struct jf_ring *r, struct jf_uring_op *op, int fd,
		  bool datasync)
{
	struct io_uring_sqe *sqe;
	int err = -EBUSY;

	pthread_mutex_lock(&r->sq_lock);
	sqe = get_sqe_locked(r);
	if (sqe) {
		io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
		err = submit_locked(r, op, sqe);
	}
	pthread_mutex_unlock(&r->sq_lock);
	return err;
}

void jf_ring_exit(struct jf_ring *r)
{
	struct io_uring_sqe *sqe;
	bool sent = false;

	pthread_mutex_lock(&r->sq_lock);
	while (r->inflight)
		pthread_cond_wait(&r->sq_room, &r->sq_lock);
	/* The NOP that tells the reaper to leave; a valid ring does not
	 * refuse one, but never leave the reaper behind if it does. */
	while (!sent) {
		sqe = get_sqe_locked(r);
		if (sqe) {
			io_uring_prep_nop(sqe);
			sent = !submit_locked(r, &r->stop, sqe);
		}
		if (!sent) {
			pthread_mutex_unlock(&r->sq_lock);
			usleep(1000);
			pthread_mutex_lock(&r->sq_lock);
		}
	}
	pthread_mutex_unlock(&r->sq_lock);
	pthread_join(r->reaper, NULL);
	io_uring_queue_exit(&r->ring);
	close(r->efd);
	pthread_cond_destroy(&r->sq_room);
	pthread_mutex_destroy(&r->sq_lock);
}
