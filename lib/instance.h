/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Engine instances and their files, as the snapshot layer sees them.
 */
#ifndef JETFREEZE_INSTANCE_H
#define JETFREEZE_INSTANCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jetfreeze/engine.h>

#include "uring.h"

struct jf_session;
struct jf_req;

enum jf_inst_state {
	JF_INST_CREATED,	/* never started: JET_errNotInitialized */
	JF_INST_RUNNING,
	JF_INST_STOPPING,	/* abrupt stop waiting: JET_errTermInProgress */
	JF_INST_STOPPED,
};

/*
 * Whether a snapshot holds the instance's writes and fsyncs in the library.
 * It does from the start of Freeze to the thaw, in both modes: with a
 * kernel hold too, because a write handed to the kernel while its
 * filesystem is frozen can block the submitting thread (ext4 updating the
 * file's times waits for its held journal) and then io_uring's workers,
 * and the engine was promised that submitting never waits.
 */
enum jf_gate {
	JF_GATE_OPEN,
	JF_GATE_HOLD,
};

struct jetfreeze_file {
	struct jetfreeze_file *next;	/* instance's list: jf_g.lock */
	struct jf_instance *inst;
	int fd;
	unsigned int kind;		/* JETFREEZE_FILE_* */
	char *path;			/* canonical absolute path */
	unsigned int ops;		/* in flight or held: inst->lock */
};

struct jf_instance {
	/* Under jf_g.lock. */
	struct jf_instance *next;
	JET_INSTANCE id;
	char *name;
	enum jf_inst_state state;
	unsigned int flags;		/* JETFREEZE_INST_* */
	bool circular_log;		/* JET_paramCircularLog */
	struct jf_session *session;	/* ESE's m_pOSSnapshotSession */
	bool backup_in_progress;	/* from Freeze until release */
	bool in_freeze_begin;		/* its files may still change */
	bool frozen;			/* freeze_begin ran, freeze_end owed */
	bool truncate_pending;		/* TruncateLog has not run yet */
	uint64_t log_position;		/* recorded by freeze_begin */
	struct jetfreeze_file *files;
	struct jetfreeze_callbacks cb;
	void *ctx;

	/* I/O, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t io_cond;		/* an op finished */
	enum jf_gate gate;
	struct jf_req *held;		/* FIFO of requests the gate stopped */
	struct jf_req **held_tail;
	unsigned int writes_inflight;	/* submitted writes and fsyncs */
	unsigned int ops;		/* everything in flight or held */
	struct jf_ring ring;
};

/* Registry, jf_g.lock held. */
struct jf_instance *jf_instance_find(JET_INSTANCE id);
bool jf_instances_any_running(void);
/* The instance leaves its snapshot (ESE's ResetBackupInProgress, one). */
void jf_instance_release(struct jf_instance *inst);

/* I/O side (engine_io.c). */
void jf_gate_set(struct jf_instance *inst, enum jf_gate gate);
/* Wait until no write or fsync of @inst is in flight; -ETIMEDOUT. */
int jf_instance_drain(struct jf_instance *inst, unsigned int timeout_ms);
/* fsync every file a snapshot covers (all but TEMP), jf_g.lock held. */
int jf_instance_sync_files(struct jf_instance *inst);
/* Free the files and the ring; no I/O may be in flight. */
void jf_instance_io_exit(struct jf_instance *inst);
int jf_instance_io_init(struct jf_instance *inst);

/* Does the snapshot cover files of this kind? */
static inline bool jf_kind_frozen(unsigned int kind)
{
	return kind != JETFREEZE_FILE_TEMP;
}

#endif /* JETFREEZE_INSTANCE_H */
