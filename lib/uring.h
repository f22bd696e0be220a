/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One io_uring with a completion thread.  Any thread may submit (a mutex
 * serialises the submission queue); one thread, the reaper, consumes
 * completions and runs each op's completion function.  Every liburing call
 * of the library is in uring.c.
 */
#ifndef JETFREEZE_URING_H
#define JETFREEZE_URING_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct jf_uring_op {
	/* Runs on the reaper thread with the CQE's result. */
	void (*complete)(struct jf_uring_op *op, int res);
};

struct jf_ring {
	struct io_uring ring;
	pthread_mutex_t sq_lock;
	pthread_cond_t sq_room;
	unsigned int inflight;	/* submitted, not yet completed */
	unsigned int limit;	/* cap on inflight; 0: none (NODROP kernels) */
	bool pending;		/* SQEs the kernel refused, to push again */
	pthread_t reaper;
	int efd;		/* signalled by the kernel per CQE */
	struct jf_uring_op stop;
};

int jf_ring_init(struct jf_ring *r, unsigned int entries);
/* Waits for every op in flight, stops the reaper, frees the ring. */
void jf_ring_exit(struct jf_ring *r);

bool jf_ring_on_reaper(const struct jf_ring *r);

int jf_ring_read(struct jf_ring *r, struct jf_uring_op *op, int fd, void *buf,
		 unsigned int len, uint64_t off);
int jf_ring_write(struct jf_ring *r, struct jf_uring_op *op, int fd,
		  const void *buf, unsigned int len, uint64_t off);
int jf_ring_fsync(struct jf_ring *r, struct jf_uring_op *op, int fd,
		  bool datasync);

#endif /* JETFREEZE_URING_H */
