/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jetfreeze internals shared by the module's files.
 *
 * Lock order, outermost first:
 *   jf_file.lock -> jf_session.lock -> jf_lock -> jf_dev.lock (spinlock)
 * A tracking bucket's spinlock (track.c) nests inside nothing and is never
 * held across anything but list work.
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
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/jetfreeze.h>

#include "compat.h"

/*
 * The hung-task detector reports after 120 s: by default no write waits
 * longer than this, counted from the moment its device started holding.
 * hold_ceiling_sec may lower it, never raise it.
 */
#define JF_TIMEOUT_CEILING_SEC		110
/* Ended PERSIST holds nobody adopted are kept this many at most. */
#define JF_MAX_ORPHANS			32
#define JF_MAX_DEVICES_CEILING		4096

/* module parameters, read through these so each use sees a sane value */
u32 jf_param_default_timeout_ms(void);
u32 jf_param_max_timeout_ms(void);
unsigned long jf_param_drain_timeout(void);	/* jiffies */
unsigned long jf_param_hold_ceiling(void);	/* jiffies */
u64 jf_param_max_held_bytes(void);
u64 jf_param_max_held_bios(void);
u32 jf_param_max_devices(void);

extern struct mutex jf_lock;
/* expiry, limits and the removal watcher: nothing on it waits for I/O */
extern struct workqueue_struct *jf_wq;
/* releases of held writes, one work item per device, in parallel */
extern struct workqueue_struct *jf_release_wq;
/*
 * waits for other work to progress (a release to end, a filesystem thaw
 * whose write a hold holds): never on a rescuer that releases depend on
 */
extern struct workqueue_struct *jf_wait_wq;
/* page-cache syncs before a hold, which a dead device may keep forever */
extern struct workqueue_struct *jf_sync_wq;

enum jf_dev_state {
	JF_DEV_HOLD,		/* write-class bios are queued */
	JF_DEV_RELEASING,	/* no holder left; still queued, in order, while
				 * the release worker empties the queue */
	JF_DEV_PASS,		/* empty and leaving the table */
};

enum jf_drain_state {
	JF_DRAIN_PENDING,	/* the freeze that armed the device drains it */
	JF_DRAIN_DONE,
	JF_DRAIN_FAILED,
};

/*
 * One device the module holds writes of.  Shared by every session that
 * freezes it; it holds until its last holder lets go, then releases its
 * queue in order and leaves the table once the queue is empty.
 */
struct jf_dev {
	struct kref kref;	/* the table's, and each waiter's */
	struct jf_bdev ref;
	struct block_device *bdev;
	struct gendisk *disk;
	dev_t devt;
	sector_t start;		/* a partition's range on its disk */
	sector_t nr_sects;
	bool whole;
	bool mq;
	char name[BDEVNAME_SIZE];

	spinlock_t lock;	/* the queue; taken in the submit path */
	enum jf_dev_state state;
	struct bio_list held;
	u64 nr_held;		/* in the queue now */
	u64 bytes_held;
	u64 total_bios;		/* ever queued, the base of holds' counts */
	u64 total_bytes;
	u64 trigger_bios;	/* the limit work runs past these totals */
	u64 trigger_bytes;
	u32 cap_crossed;	/* JETFREEZE_BROKEN_HELD_*: a module-wide cap */
	bool limit_queued;
	u64 release_left;	/* re-armed: bios of the last hold to let out */
	u64 release_batch;	/* taken off the queue, being submitted */
	u64 queued_seq;		/* bios queued, and bios released, ever */
	u64 released_seq;
	ktime_t released_at;	/* when released_seq last moved */

	/* under jf_lock */
	unsigned int nr_holders;
	struct list_head holds;
	unsigned int slot;
	bool in_table;
	bool removed;
	unsigned long hold_start;	/* jiffies: its oldest write began waiting */
	unsigned long rearm_start;	/* re-armed: hold_start once the ended
					 * hold's writes are out */
	enum jf_drain_state drain_state;
	int drain_err;

	wait_queue_head_t wait;	/* drain_state, release_left, released_seq */
	struct work_struct limit_work;
	struct work_struct release_work;
	struct rcu_head rcu;
};

/* One device of one session. */
struct jf_hold {
	struct jf_session *session;
	struct jf_dev *dev;	/* while attached */
	struct jf_dev *released;	/* we let it go last: its release is ours */
	struct jf_bdev ref;	/* our open, until handed to a new jf_dev */
	dev_t devt;
	u32 stage;
	u32 index;		/* in the caller's array */
	bool mq;
	bool drains;		/* this freeze armed the device: drain it */
	bool limit_hit;		/* broken by its own limit already */
	u64 base_bios;		/* the device's totals when we joined */
	u64 base_bytes;
	u64 limit_bios;		/* the session's limits, 0: none */
	u64 limit_bytes;
	u64 release_seq;	/* the queue position our release must reach */
	u64 held_bios;		/* set when detached */
	u64 held_bytes;
	struct list_head dev_node;
	char name[BDEVNAME_SIZE];
};

struct jf_release_watch;

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
	unsigned long hold_start;	/* jiffies, writers began to wait */
	unsigned long oldest_hold;	/* jiffies, earliest start among ours */
	unsigned long deadline;		/* jiffies */
	u64 frozen_since_ns;		/* CLOCK_REALTIME */
	struct pid *holder;
	char comm[TASK_COMM_LEN];

	atomic_t broken;		/* first JETFREEZE_BROKEN_* wins */
	u32 flags;			/* JETFREEZE_FREEZE_* */
	u32 timeout_ms;
	u64 limit_bytes;
	u64 limit_bios;
	ktime_t frozen_at;
	ktime_t ended_at;
	u64 drain_ns;
	u64 ended_seq;			/* orders orphans by age */

	struct jf_release_watch *watch;	/* the releases of the last hold */
	struct delayed_work expire_work;
	struct work_struct free_work;
};

/*
 * The bios a hold acts on: anything that can change a device's contents.
 * A flush without data cannot (it only makes durable what completed, and
 * nothing completes on a held device), and swap is in no image; both pass.
 */
static inline bool jf_bio_is_held_class(const struct bio *bio)
{
	if (bio->bi_opf & REQ_SWAP)
		return false;
	if (bio_op(bio) == REQ_OP_WRITE && !bio->bi_iter.bi_size)
		return false;
	return op_is_write(bio->bi_opf) || op_is_zone_mgmt(bio_op(bio));
}

/* cow.c: any snapshot origin armed; cheap, for the ftrace callback */
bool jf_cow_armed(void);

/*
 * A swap write while a snapshot exists: swap is in no image, but a swap
 * area on an origin changes it, so copy-on-write must see it (and fail
 * the snapshot, as a swap write cannot wait for a copy).
 */
static inline bool jf_bio_is_swap_out(const struct bio *bio)
{
	return (bio->bi_opf & REQ_SWAP) && op_is_write(bio->bi_opf) &&
	       jf_cow_armed();
}

/* hook.c: the redirect of submit_bio_noacct() */
int jf_hook_init(void);
void jf_hook_exit(void);

/* submit.c: where redirected bios land, and how held ones go back */
void jf_submit_bio(struct bio *bio);
void jf_submit_released(struct bio *bio, struct jf_dev *from);

/* track.c: writes on their way through submit_bio_noacct() */
#define JF_TRACK_DISKS		8
struct jf_track {			/* on the submitter's stack */
	struct hlist_node node;
	const void *key;		/* its task; a kept record: itself */
	struct jf_dev *skip;		/* the device releasing this bio */
	long gen;			/* the drains it predates are later */
	unsigned long since;		/* jiffies */
	bool pinned;			/* holds a module reference */
	unsigned int nr_disks;		/* > JF_TRACK_DISKS: any disk */
	struct gendisk *disks[JF_TRACK_DISKS];
};
struct jf_track *jf_track_begin(struct jf_track *self, struct gendisk *disk,
				struct jf_dev *skip);
void jf_track_end(struct jf_track *self);
void jf_track_keep(struct jf_track *kept, const struct jf_track *from);
int jf_track_init(void);
void jf_track_exit(void);
int jf_track_wait(struct gendisk **disks, unsigned int nr,
		  unsigned long deadline);

/* cow.c: copy-on-write of snapshot origins (snapshot.h) */
bool jf_cow_bio(struct bio *bio, struct jf_track *t, struct jf_dev *skip);

/* snapshot.c */
int jf_snaps_init(void);
void jf_snaps_exit(void);
struct jetfreeze_snapshot_create;
int jf_snap_create(const void *owner, struct jf_session *s,
		   struct jetfreeze_snapshot_create *req,
		   const struct jetfreeze_device *devs, const s32 *fds,
		   struct jetfreeze_snapshot_image *images);
int jf_snap_delete(const char *name, u64 id);
void jf_snaps_close(const void *owner);
int jf_snaps_list(struct jetfreeze_snapshot_entry **entries, u32 capacity,
		  u32 *total);
u32 jf_param_snapshot_chunk_kib(void);
unsigned long jf_param_snapshot_max_lifetime(void);

/* dev.c: the table of held devices, holders, limits, removal */
bool jf_hold_bio(struct bio *bio, struct jf_dev *skip);
int jf_devs_attach(struct jf_hold **holds, unsigned int nr);
void jf_dev_detach(struct jf_hold *hold);
bool jf_disk_held(struct gendisk *disk);
void jf_dev_put(struct jf_dev *dev);
void jf_dev_leave_table(struct jf_dev *dev);
void jf_dev_drained(struct jf_dev *dev, int err);
int jf_dev_wait_drained(struct jf_dev *dev, unsigned long deadline);
unsigned long jf_disk_oldest_hold(struct gendisk *disk, unsigned long start);
void jf_devs_exit(void);

/* hold.c: the queue of one device and its release */
bool jf_dev_hold(struct jf_dev *d, struct bio *bio);
void jf_dev_start_release(struct jf_dev *d);
void jf_dev_release_fn(struct work_struct *work);
void jf_dev_wait_released(struct jf_dev *d, u64 seq, ktime_t *at);
int jf_dev_wait_rearmed(struct jf_dev *d, unsigned long deadline);

/* drain.c: wait for in-flight writes, then flush */
int jf_drain(struct jf_hold **holds, unsigned int nr, unsigned long deadline,
	     struct jf_hold **failed);
int jf_drain_check(struct jf_hold *h);
void jf_drain_check_below(struct jf_hold **order, unsigned int nr);

/* writeback.c */
int jf_writeback_caches(struct jf_hold **holds, unsigned int nr,
			struct jf_hold **failed);

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
int jf_session_lock_frozen(struct jf_session *s);
void jf_session_unlock(struct jf_session *s);
bool jf_session_holds(struct jf_session *s, dev_t devt);

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
	JF_TEST_RELEASE,	/* a batch taken off the queue, not yet sent */
	JF_TEST_NR_POINTS,
};

/* test builds: the callback runs but never redirects (crash hunting) */
#ifdef JF_TESTING
extern u32 jf_test_no_redirect;
#else
#define jf_test_no_redirect 0
#endif

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
