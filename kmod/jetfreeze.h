/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jetfreeze internals shared by the module's files.
 *
 * Lock order, outermost first:
 *   jf_file.lock -> jf_freeze_mutex -> jf_session.lock -> jf_lock
 *     -> jf_dev.lock (spinlock)
 * jf_srcu read sections nest inside anything; nobody waits for an SRCU
 * grace period while holding a queue frozen.
 */
#ifndef JETFREEZE_INTERNAL_H
#define JETFREEZE_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/jetfreeze.h>

#include "compat.h"

/*
 * The hung-task detector reports after 120 s: a writer never waits longer
 * than this, counted from the moment the first device of a freeze holds.
 */
#define JF_TIMEOUT_CEILING_SEC		110
/* Ended PERSIST holds nobody adopted are kept this many at most. */
#define JF_MAX_ORPHANS			32
#define JF_MAX_DEVICES_CEILING		4096

/* module parameters, read through these so each use sees a sane value */
u32 jf_param_default_timeout_ms(void);
u32 jf_param_max_timeout_ms(void);
unsigned long jf_param_drain_timeout(void);	/* jiffies */
u64 jf_param_max_held_bytes(void);
u64 jf_param_max_held_bios(void);
u32 jf_param_max_devices(void);

extern struct srcu_struct jf_srcu;
extern struct mutex jf_lock;
extern struct workqueue_struct *jf_wq;

enum jf_dev_state {
	JF_DEV_HOLD,		/* write-class bios are queued */
	JF_DEV_RELEASING,	/* still queued, the queue is being drained */
	JF_DEV_PASS,		/* no longer holding; the object is going away */
};

/*
 * One held block device.  Shared by every session that freezes it; it
 * holds until its last holder lets go.
 */
struct jf_dev {
	struct jf_bdev ref;
	struct block_device *bdev;
	struct gendisk *disk;
	dev_t devt;
	sector_t start;		/* a partition's range on its disk */
	sector_t nr_sects;
	bool whole;

	spinlock_t lock;	/* the hold below; taken in the submit path */
	enum jf_dev_state state;
	struct bio_list held;
	u64 nr_held;
	u64 bytes_held;
	u64 total_bios;		/* ever held here, for per-session reports */
	u64 total_bytes;
	u64 limit_bios;		/* smallest limit among holders, 0: none */
	u64 limit_bytes;
	u32 limit_crossed;	/* JETFREEZE_BROKEN_HELD_* once crossed */

	/* under jf_lock */
	unsigned int nr_holders;
	struct list_head holds;
	unsigned int slot;
	bool removed;

	struct work_struct limit_work;
	struct list_head release_node;
	struct rcu_head rcu;
};

/* One device of one session. */
struct jf_hold {
	struct jf_session *session;
	struct jf_dev *dev;	/* while attached */
	struct jf_bdev ref;	/* our open, until handed to a new jf_dev */
	dev_t devt;
	u32 stage;
	u32 index;		/* in the caller's array */
	bool mq;
	bool joined;		/* another session already held the device */
	bool has_below;		/* devices later in the freeze order */
	u64 base_bios;
	u64 base_bytes;
	u64 held_bios;		/* set when detached */
	u64 held_bytes;
	struct list_head dev_node;
	char name[BDEVNAME_SIZE];
};

enum jf_session_state {
	JF_S_IDLE,
	JF_S_FROZEN,
	JF_S_ENDED,		/* released, report not yet collected */
};

struct jf_session {
	struct kref kref;
	struct mutex lock;
	struct list_head node;		/* jf_sessions, under jf_lock */
	u64 id;

	/* written under lock and jf_lock, read under either */
	enum jf_session_state state;
	bool persist;
	bool attached;			/* a file owns the session */
	unsigned int nr_holds;
	unsigned int nr_attached;
	struct jf_hold *holds;
	struct jf_hold **order;		/* holds in freeze order */
	unsigned long hold_start;	/* jiffies, first device held */
	unsigned long deadline;		/* jiffies */
	u64 frozen_since_ns;		/* CLOCK_REALTIME */
	struct pid *holder;
	char comm[TASK_COMM_LEN];

	atomic_t broken;		/* first JETFREEZE_BROKEN_* wins */
	u32 timeout_ms;
	u64 limit_bytes;
	u64 limit_bios;
	ktime_t frozen_at;
	ktime_t ended_at;
	u64 drain_ns;
	u64 release_ns;
	u64 ended_seq;			/* orders orphans by age */

	struct delayed_work expire_work;
	struct work_struct free_work;
};

static inline bool jf_bio_is_write_class(const struct bio *bio)
{
	return op_is_write(bio->bi_opf) || op_is_flush(bio->bi_opf) ||
	       op_is_zone_mgmt(bio_op(bio));
}

/* hook.c: the redirect of submit_bio_noacct() */
int jf_hook_init(void);
void jf_hook_exit(void);
void jf_submit_bio(struct bio *bio);

/* dev.c: the table of held devices and the hold itself */
bool jf_hold_bio(struct bio *bio);
int jf_devs_attach(struct jf_hold **holds, unsigned int nr);
void jf_dev_detach(struct jf_hold *hold, struct list_head *to_release);
void jf_dev_release(struct jf_dev *dev);
void jf_dev_put(struct jf_dev *dev);
void jf_devs_exit(void);

/* drain.c: wait for in-flight writes, then flush */
int jf_drain(struct jf_hold **holds, unsigned int nr, unsigned long deadline,
	     struct jf_hold **failed);
void jf_flush_endio(struct bio *bio);

/* session.c */
struct jf_session *jf_session_new(void);
void jf_session_put(struct jf_session *s);
int jf_session_freeze(struct jf_session *s, struct jetfreeze_freeze *req,
		      const struct jetfreeze_device *devs);
int jf_session_thaw(struct jf_session *s, struct jetfreeze_thaw *rep);
void jf_session_collect(struct jf_session *s, u64 id);
void jf_session_close(struct jf_session *s);
struct jf_session *jf_session_adopt(struct jf_session *cur, u64 id, int *err);
void jf_session_kick(struct jf_session *s, u32 reason);
int jf_sessions_status(struct jetfreeze_status_entry **entries,
		       u32 capacity, u32 *total);
void jf_sessions_exit(void);

/* ctl.c: the misc device */
int jf_ctl_init(void);
void jf_ctl_exit(void);

/*
 * testing.c, only in test builds (JF_TESTING): points where the VM suite
 * can widen a race window or make a step fail, through debugfs.
 */
enum jf_test_point {
	JF_TEST_FREEZE_ARM,	/* before the expiry is armed */
	JF_TEST_ATTACH,		/* after the opens, before holding */
	JF_TEST_EXPIRE,		/* before an expiry or kick ends a hold */
	JF_TEST_UNHOOK,		/* unregistering the ftrace ops */
	JF_TEST_NR_POINTS,
};

#ifdef JF_TESTING
int jf_testing_init(void);
void jf_testing_exit(void);
void jf_test_delay(enum jf_test_point point);
bool jf_test_fail(enum jf_test_point point);
#else
static inline int jf_testing_init(void) { return 0; }
static inline void jf_testing_exit(void) { }
static inline void jf_test_delay(enum jf_test_point point) { }
static inline bool jf_test_fail(enum jf_test_point point) { return false; }
#endif

#endif /* JETFREEZE_INTERNAL_H */
