/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copy-on-write snapshots: what snapshot.c (lifetime, ioctls), cow.c (the
 * write path and the copies), diff.c (the diff storage) and image.c (the
 * image block devices) share.
 *
 * Lock order, outermost first:
 *   jf_file.lock -> jf_session.lock -> jf_snap_lock -> jf_lock
 *   jf_origin.lock (spinlock) nests inside nothing but RCU.
 */
#ifndef JETFREEZE_SNAPSHOT_H
#define JETFREEZE_SNAPSHOT_H

#include "jetfreeze.h"

#include <linux/hashtable.h>
#include <linux/mempool.h>

#define JF_SNAP_MAX_DIFF	16
/* map entries per page of the chunk map */
#define JF_MAP_PER_PAGE		(PAGE_SIZE / sizeof(u32))
/* copies started ahead of the chunk a write waits for */
#define JF_COW_WINDOW		32
/* chunk buffers each snapshot keeps for copies under memory pressure */
#define JF_COW_RESERVE		4

struct jf_snap;

/* One diff storage file: a block device or a regular file. */
struct jf_diff {
	struct file *file;
	struct block_device *bdev;	/* the device its data lands on */
	sector_t start, nr_sects;	/* of that device, on its disk */
	u64 first_slot;			/* its first chunk slot */
	u64 nr_slots;
	bool regular;
	char name[BDEVNAME_SIZE];
};

/*
 * One origin device of a snapshot and its image.  The chunk map says, for
 * each chunk, where its content at the freeze point lives: 0 on the origin
 * still, n: in diff slot n - 1.  Entries only ever go from 0 to a slot, so
 * a nonzero entry is read without a lock.  Map pages are allocated when a
 * chunk of theirs is first copied: memory follows what changed.
 */
struct jf_origin {
	struct jf_snap *snap;
	struct list_head node;		/* jf_origins, under RCU */
	unsigned int index;
	struct jf_bdev ref;
	struct block_device *bdev;
	struct gendisk *disk;
	dev_t devt;
	sector_t start;			/* on its disk */
	sector_t nr_sects;
	u64 nr_chunks;
	char name[BDEVNAME_SIZE];

	spinlock_t lock;		/* map pages, ops */
	u32 **map;			/* nr_chunks / JF_MAP_PER_PAGE pages */
	unsigned long nr_map_pages;
	DECLARE_HASHTABLE(ops, 7);	/* chunks being copied */

	atomic64_t chunks_preserved;
	atomic64_t cow_bios;
	atomic64_t cow_wait_ns;

	struct gendisk *image;
	bool image_added;
	char image_name[DISK_NAME_LEN];
};

enum jf_snap_state {
	JF_SNAP_ACTIVE,
	JF_SNAP_FAILED,
};

struct jf_snap {
	struct list_head node;		/* jf_snaps, under jf_snap_lock */
	u64 id;
	char name[JETFREEZE_SNAPSHOT_NAME_LEN];
	u32 flags;			/* JETFREEZE_SNAPSHOT_* */
	const void *owner;		/* the file that deletes it on close */

	/* set once; the first error wins and stays */
	atomic_t error;
	/* deleting: writes pass, copies stop, images fail */
	bool dead;
	/* copies and waiting writes of this snapshot, and image I/O */
	atomic_t inflight;
	wait_queue_head_t wait;		/* inflight, map entries, failure */

	unsigned int chunk_shift;	/* in sectors */
	unsigned int nr_diff;
	struct jf_diff diff[JF_SNAP_MAX_DIFF];
	u64 nr_slots;
	atomic64_t next_slot;
	mempool_t *buffers;		/* chunk-sized, for copies */

	u64 created_ns;			/* CLOCK_REALTIME */
	unsigned long expires;		/* jiffies, PERSIST */
	u64 hold_ns;
	bool armed;			/* under jf_snap_lock: listed, deletable */
	struct work_struct fail_work;
	struct rcu_head rcu;
	unsigned int nr_origins;
	struct jf_origin origins[];	/* freed with it, after RCU */
};

static inline u64 jf_snap_chunk_bytes(const struct jf_snap *snap)
{
	return (u64)SECTOR_SIZE << snap->chunk_shift;
}

/* The length of chunk @chunk of @o in bytes: the last one may be short. */
static inline u32 jf_chunk_len(const struct jf_origin *o, u64 chunk)
{
	sector_t first = chunk << o->snap->chunk_shift;

	return min_t(sector_t, o->nr_sects - first,
		     (sector_t)1 << o->snap->chunk_shift) << SECTOR_SHIFT;
}

static inline int jf_snap_error(const struct jf_snap *snap)
{
	return atomic_read(&snap->error);
}

/* snapshot.c */
void jf_snap_fail(struct jf_snap *snap, int err, const char *why);
void jf_snap_io_done(struct jf_snap *snap);

/* cow.c */
bool jf_cow_bio(struct bio *bio, struct jf_track *t, struct jf_dev *skip);
void jf_cow_arm(struct jf_snap *snap);
void jf_cow_disarm(struct jf_snap *snap);
void jf_cow_wake_all(struct jf_snap *snap);
bool jf_cow_overdue(struct jf_snap *snap, unsigned long limit);
int jf_cow_preserve(struct jf_origin *o, u64 chunk, u64 *slot);
u64 jf_map_get(struct jf_origin *o, u64 chunk);
bool jf_cow_copying(struct jf_origin *o, u64 chunk);
int jf_origin_map_init(struct jf_origin *o);
void jf_origin_map_free(struct jf_origin *o);
size_t jf_origin_memory(struct jf_origin *o);
int jf_cow_init(void);
void jf_cow_exit(void);

/* diff.c */
int jf_diff_open(struct jf_snap *snap, int fd, struct jf_diff *diff);
void jf_diff_close(struct jf_diff *diff);
int jf_diff_alloc(struct jf_snap *snap, u64 *slot);
int jf_diff_io(struct jf_snap *snap, u64 slot, u32 offset,
	       struct iov_iter *iter, bool write);
struct jf_snap *jf_diff_io_current(void);

/* image.c */
int jf_image_alloc(struct jf_origin *o);
int jf_image_add(struct jf_origin *o);
void jf_image_remove(struct jf_origin *o);
void jf_image_put(struct jf_origin *o);
int jf_image_init(void);
void jf_image_exit(void);

/* the workqueue of copies and image I/O: they sleep in two devices' I/O */
extern struct workqueue_struct *jf_cow_wq;

#endif /* JETFREEZE_SNAPSHOT_H */
