// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshots: taking one at a freeze point, its lifetime, and the list.
 *
 * A snapshot is made in three steps.  Everything that can fail without
 * touching the devices comes first: opening the origins and the diff
 * storage, checking them against each other and every other snapshot,
 * the chunk maps and the (not yet visible) image disks.  Then the origins
 * are frozen, by this FREEZE or by the session's hold, and copy-on-write
 * is armed on all of them under the session's lock, so the hold cannot
 * end in between: every origin's image is of that one point.  Last, the
 * hold ends (when the snapshot made its own) and the images appear.
 *
 * A snapshot belongs to the file that made it and goes with it, unless
 * PERSIST: then it stays until deleted, or until its maximum lifetime.  A
 * snapshot pins the module; nothing of it survives a reboot.
 */
#include "snapshot.h"

#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>

static DEFINE_MUTEX(jf_snap_lock);
static LIST_HEAD(jf_snaps);
static atomic64_t jf_snap_last_id = ATOMIC64_INIT(0);

#define JF_SNAP_WATCH_PERIOD	(HZ / 5)
static void jf_snap_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(jf_snap_watch, jf_snap_watch_fn);

/* ---- failure ---------------------------------------------------------- */

static void jf_snap_fail_fn(struct work_struct *work)
{
	struct jf_snap *snap = container_of(work, struct jf_snap, fail_work);

	jf_cow_wake_all(snap);
	jf_snap_io_done(snap);
}

/*
 * The snapshot can no longer be trusted: say so once, let every write
 * waiting for a copy go on (from a worker: we may be deep in a submit
 * path), and fail its images from now on.
 */
void jf_snap_fail(struct jf_snap *snap, int err, const char *why)
{
	if (atomic_cmpxchg(&snap->error, 0, err) != 0)
		return;
	if (!READ_ONCE(snap->dead))
		pr_warn("snapshot %s failed: %s (error %d); its origins' writes go on, its images fail with EIO from now on\n",
			snap->name, why, err);
	/* not behind the copies it lets go of: a queue of its own kind */
	atomic_inc(&snap->inflight);
	queue_work(jf_release_wq, &snap->fail_work);
}

/*
 * One of the snapshot's copies, waiting writes or image I/O is over.  Under
 * RCU: once the count is zero, a deleting thread may free the snapshot
 * (after a grace period) while we still wake it.
 */
void jf_snap_io_done(struct jf_snap *snap)
{
	rcu_read_lock();
	if (atomic_dec_and_test(&snap->inflight))
		wake_up_all(&snap->wait);
	rcu_read_unlock();
}

/* ---- teardown --------------------------------------------------------- */

static void jf_snap_free(struct jf_snap *snap)
{
	unsigned int i;

	for (i = 0; i < snap->nr_origins; i++) {
		struct jf_origin *o = &snap->origins[i];

		jf_image_put(o);
		jf_origin_map_free(o);
		jf_bdev_close(&o->ref);
	}
	for (i = 0; i < snap->nr_diff; i++)
		jf_diff_close(&snap->diff[i]);
	if (snap->buffers)
		mempool_destroy(snap->buffers);
	/* writers that found it may still look at it, until a grace period */
	kvfree_rcu(snap, rcu);
}

/*
 * Out of the list already: stop copy-on-write (waiting writes go on), take
 * the images away, wait for every copy and image I/O of ours, free.
 */
static void jf_snap_destroy(struct jf_snap *snap, bool cow_armed)
{
	unsigned int i;

	WRITE_ONCE(snap->dead, true);
	smp_mb();	/* dead, then the writers' count: see jf_cow_find() */
	if (cow_armed)
		jf_cow_disarm(snap);
	jf_cow_wake_all(snap);
	for (i = 0; i < snap->nr_origins; i++)
		jf_image_remove(&snap->origins[i]);
	wait_event(snap->wait, !atomic_read(&snap->inflight));
	/* made: it pinned the module */
	if (snap->armed) {
		pr_info("snapshot %s deleted%s\n", snap->name,
			jf_snap_error(snap) ? " (it had failed)" : "");
		module_put(THIS_MODULE);
	}
	jf_snap_free(snap);
}

/* ---- checks ----------------------------------------------------------- */

static bool jf_snap_name_ok(const char *name)
{
	size_t i, len = strnlen(name, JETFREEZE_SNAPSHOT_NAME_LEN);

	if (!len || len == JETFREEZE_SNAPSHOT_NAME_LEN ||
	    name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("._-", name[i]))
			return false;
	/* the bytes after the name are zero: one spelling per name */
	for (; i < JETFREEZE_SNAPSHOT_NAME_LEN; i++)
		if (name[i])
			return false;
	return true;
}

static bool jf_ranges_meet(struct block_device *a, sector_t a_start,
			   sector_t a_len, struct block_device *b,
			   sector_t b_start, sector_t b_len)
{
	return a && b && a->bd_disk == b->bd_disk &&
	       a_start < b_start + b_len && b_start < a_start + a_len;
}

static bool jf_origin_meets_diff(const struct jf_origin *o,
				 const struct jf_diff *d)
{
	return jf_ranges_meet(o->bdev, o->start, o->nr_sects,
			      d->bdev, d->start, d->nr_sects);
}

static bool jf_origins_meet(const struct jf_origin *x,
			    const struct jf_origin *y)
{
	return jf_ranges_meet(x->bdev, x->start, x->nr_sects,
			      y->bdev, y->start, y->nr_sects);
}

/*
 * Under jf_snap_lock: a snapshot's origins and diff storage must not meet
 * those of another: a device in two snapshots, or the diff storage of one
 * in another's origins, would chain copies into each other.
 */
static int jf_snap_check_others(struct jf_snap *snap, u32 *failed)
{
	struct jf_snap *other;
	unsigned int i, j, k;

	*failed = ~0U;
	list_for_each_entry(other, &jf_snaps, node) {
		if (!strcmp(other->name, snap->name))
			return -EEXIST;
		for (i = 0; i < snap->nr_origins; i++) {
			struct jf_origin *o = &snap->origins[i];

			*failed = i;
			for (j = 0; j < other->nr_origins; j++)
				if (jf_origins_meet(o, &other->origins[j]))
					return -EBUSY;
			for (k = 0; k < other->nr_diff; k++)
				if (jf_origin_meets_diff(o, &other->diff[k]))
					return -EBUSY;
		}
		for (k = 0; k < snap->nr_diff; k++) {
			*failed = JETFREEZE_SNAPSHOT_DIFF_INDEX | k;
			for (j = 0; j < other->nr_origins; j++)
				if (jf_origin_meets_diff(&other->origins[j],
							 &snap->diff[k]))
					return -EBUSY;
			/* two snapshots' slots in one file */
			for (j = 0; j < other->nr_diff; j++)
				if (other->diff[j].file->f_mapping->host ==
				    snap->diff[k].file->f_mapping->host)
					return -EBUSY;
		}
	}
	*failed = ~0U;
	return 0;
}

/* ---- building --------------------------------------------------------- */

static int jf_snap_open_origin(struct jf_snap *snap, unsigned int i,
			       dev_t devt)
{
	struct jf_origin *o = &snap->origins[i];
	int ret;

	o->snap = snap;
	o->index = i;
	o->devt = devt;
	INIT_LIST_HEAD(&o->node);
	atomic64_set(&o->chunks_preserved, 0);
	atomic64_set(&o->cow_bios, 0);
	atomic64_set(&o->cow_wait_ns, 0);
	ret = jf_bdev_open(devt, &o->ref);
	if (ret)
		return ret;
	o->bdev = o->ref.bdev;
	o->disk = o->bdev->bd_disk;
	o->start = get_start_sect(o->bdev);
	o->nr_sects = bdev_nr_sectors(o->bdev);
	snprintf(o->name, sizeof(o->name), "%pg", o->bdev);
	/* a zone's write pointer cannot be put back into an image */
	if (bdev_is_zoned(o->bdev))
		return -EOPNOTSUPP;
	if (!o->nr_sects)
		return -EINVAL;
	o->nr_chunks = DIV_ROUND_UP_ULL(o->nr_sects, 1ULL << snap->chunk_shift);
	ret = jf_origin_map_init(o);
	if (ret)
		return ret;
	return jf_image_alloc(o);
}

/* Is @fd's file (by its data: two nodes of one disk are one) ours already? */
static bool jf_diff_twice(struct jf_snap *snap, int fd)
{
	struct file *file = fget(fd);
	bool twice = false;
	unsigned int j;

	if (!file)
		return false;
	for (j = 0; j < snap->nr_diff; j++)
		twice |= snap->diff[j].file->f_mapping->host ==
			 file->f_mapping->host;
	fput(file);
	return twice;
}

static int jf_snap_build(struct jf_snap *snap,
			 struct jetfreeze_snapshot_create *req,
			 const struct jetfreeze_device *devs, const s32 *fds)
{
	unsigned int i, j;
	int ret;

	for (i = 0; i < snap->nr_origins; i++) {
		req->failed_index = i;
		ret = jf_snap_open_origin(snap, i,
					  MKDEV(devs[i].major, devs[i].minor));
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (jf_origins_meet(&snap->origins[j],
					    &snap->origins[i]))
				return -EINVAL;
	}

	for (i = 0; i < req->nr_diff; i++) {
		struct jf_diff *d = &snap->diff[i];

		req->failed_index = JETFREEZE_SNAPSHOT_DIFF_INDEX | i;
		/* before our exclusive open would say EBUSY to a twin */
		if (jf_diff_twice(snap, fds[i]))
			return -EINVAL;
		ret = jf_diff_open(snap, fds[i], d);
		if (ret)
			return ret;
		snap->nr_diff++;
		for (j = 0; j < snap->nr_origins; j++) {
			if (jf_origin_meets_diff(&snap->origins[j], d))
				return -EXDEV;
			/* image I/O goes to the diff in the origin's blocks */
			if (d->bdev && bdev_logical_block_size(d->bdev) >
			    bdev_logical_block_size(snap->origins[j].bdev))
				return -EINVAL;
		}
		if (!d->nr_slots)
			return -ENOSPC;
		d->first_slot = snap->nr_slots;
		snap->nr_slots += d->nr_slots;
	}
	req->failed_index = ~0U;
	if (snap->nr_slots < snap->nr_origins)
		return -ENOSPC;

	snap->buffers = mempool_create_page_pool(JF_COW_RESERVE,
				get_order(jf_snap_chunk_bytes(snap)));
	return snap->buffers ? 0 : -ENOMEM;
}

static struct jf_snap *jf_snap_alloc(struct jetfreeze_snapshot_create *req)
{
	unsigned int nr = req->nr_origins ?: req->nr_devices;
	u32 kib = req->chunk_kib ?: jf_param_snapshot_chunk_kib();
	struct jf_snap *snap;

	snap = kvzalloc(struct_size(snap, origins, nr), GFP_KERNEL);
	if (!snap)
		return NULL;
	snap->id = atomic64_inc_return(&jf_snap_last_id);
	snap->flags = req->flags;
	snap->nr_origins = nr;
	snap->chunk_shift = ilog2(kib) + 10 - SECTOR_SHIFT;
	atomic_set(&snap->error, 0);
	atomic_set(&snap->inflight, 0);
	atomic64_set(&snap->next_slot, 0);
	init_waitqueue_head(&snap->wait);
	INIT_WORK(&snap->fail_work, jf_snap_fail_fn);
	INIT_LIST_HEAD(&snap->node);
	if (req->name[0])
		memcpy(snap->name, req->name, sizeof(snap->name));
	else
		snprintf(snap->name, sizeof(snap->name), "snap%llu", snap->id);
	return snap;
}

/* ---- taking ----------------------------------------------------------- */

/*
 * Freeze the devices with the session (idle) or use its hold (frozen), and
 * arm copy-on-write while they hold.  Then end the hold we made.
 */
static int jf_snap_take(struct jf_snap *snap, struct jf_session *s,
			struct jetfreeze_snapshot_create *req,
			const struct jetfreeze_device *devs)
{
	struct jetfreeze_freeze freeze = {
		.size = sizeof(freeze),
		.timeout_ms = req->timeout_ms,
		.nr_devices = req->nr_devices,
		.failed_index = ~0U,
	};
	struct jetfreeze_thaw rep = { .size = sizeof(rep) };
	unsigned int i;
	int ret, thaw;

	ret = jf_session_lock_frozen(s);
	if (!ret) {
		/* the caller's hold: its freeze point is now */
		if (req->timeout_ms) {
			jf_session_unlock(s);
			return -EINVAL;
		}
		for (i = 0; i < snap->nr_origins; i++) {
			if (!jf_session_holds(s, snap->origins[i].devt)) {
				req->failed_index = i;
				jf_session_unlock(s);
				return -EINVAL;
			}
		}
		jf_cow_arm(snap);
		snap->created_ns = ktime_get_real_ns();
		jf_session_unlock(s);
		return 0;
	}
	/* ended, its report not collected: as FREEZE says */
	if (ret != -ENOENT)
		return -EBUSY;

	if (req->flags & JETFREEZE_SNAPSHOT_FS)
		freeze.flags |= JETFREEZE_FREEZE_FS;
	ret = jf_session_freeze(s, &freeze, devs);
	if (ret) {
		req->failed_index = freeze.failed_index;
		return ret;
	}
	req->drain_ns = freeze.drain_ns;
	ret = jf_session_lock_frozen(s);
	if (!ret) {
		jf_cow_arm(snap);
		snap->created_ns = ktime_get_real_ns();
		jf_session_unlock(s);
	}
	/* ours: end it now, and collect its report */
	thaw = jf_session_thaw(s, &rep);
	if (!thaw)
		jf_session_collect(s, rep.session_id);
	req->hold_ns = req->drain_ns + rep.frozen_ns;
	return ret;
}

int jf_snap_create(const void *owner, struct jf_session *s,
		   struct jetfreeze_snapshot_create *req,
		   const struct jetfreeze_device *devs, const s32 *fds,
		   struct jetfreeze_snapshot_image *images)
{
	struct jf_snap *snap;
	unsigned int i;
	bool listed = false, armed = false;
	u32 failed = ~0U;
	int ret;

	if (req->name[0] && !jf_snap_name_ok(req->name))
		return -EINVAL;
	snap = jf_snap_alloc(req);
	if (!snap)
		return -ENOMEM;
	ret = jf_snap_build(snap, req, devs, fds);
	if (ret)
		goto fail;

	mutex_lock(&jf_snap_lock);
	ret = jf_snap_check_others(snap, &failed);
	if (!ret) {
		list_add_tail(&snap->node, &jf_snaps);
		listed = true;
	} else {
		req->failed_index = failed;
	}
	mutex_unlock(&jf_snap_lock);
	if (ret)
		goto fail;

	ret = jf_snap_take(snap, s, req, devs);
	if (ret)
		goto fail;
	armed = true;
	snap->hold_ns = req->hold_ns;

	for (i = 0; i < snap->nr_origins; i++) {
		ret = jf_image_add(&snap->origins[i]);
		if (ret) {
			req->failed_index = i;
			goto fail;
		}
	}

	__module_get(THIS_MODULE);
	mutex_lock(&jf_snap_lock);
	snap->owner = (snap->flags & JETFREEZE_SNAPSHOT_PERSIST) ? NULL : owner;
	snap->expires = jiffies + jf_param_snapshot_max_lifetime();
	snap->armed = true;
	mutex_unlock(&jf_snap_lock);
	queue_delayed_work(jf_wait_wq, &jf_snap_watch, JF_SNAP_WATCH_PERIOD);

	for (i = 0; i < snap->nr_origins; i++) {
		struct jf_origin *o = &snap->origins[i];
		struct jetfreeze_snapshot_image *img = &images[i];

		img->origin_major = MAJOR(o->devt);
		img->origin_minor = MINOR(o->devt);
		img->image_major = MAJOR(disk_devt(o->image));
		img->image_minor = MINOR(disk_devt(o->image));
		strscpy(img->image_name, o->image_name,
			sizeof(img->image_name));
	}
	req->snapshot_id = snap->id;
	memcpy(req->name, snap->name, sizeof(req->name));
	req->failed_index = ~0U;
	pr_info("snapshot %s: %s[%d] took %u device%s (%s%s), writes held %llu us, %llu KiB chunks, %llu MiB of diff storage%s\n",
		snap->name, current->comm, task_tgid_nr(current),
		snap->nr_origins, snap->nr_origins == 1 ? "" : "s",
		snap->origins[0].name, snap->nr_origins > 1 ? ", ..." : "",
		div_u64(snap->hold_ns, NSEC_PER_USEC),
		jf_snap_chunk_bytes(snap) >> 10,
		(snap->nr_slots * jf_snap_chunk_bytes(snap)) >> 20,
		snap->owner ? "" : ", persistent");
	return 0;

fail:
	if (listed) {
		mutex_lock(&jf_snap_lock);
		list_del(&snap->node);
		mutex_unlock(&jf_snap_lock);
	}
	jf_snap_destroy(snap, armed);
	return ret;
}

/* ---- deleting --------------------------------------------------------- */

/* Snapshot @name, and only if it is snapshot @id when @id is not 0. */
static struct jf_snap *jf_snap_find(const char *name, u64 id)
{
	struct jf_snap *snap;

	list_for_each_entry(snap, &jf_snaps, node)
		if (snap->armed && (!id || snap->id == id) &&
		    !strncmp(snap->name, name, JETFREEZE_SNAPSHOT_NAME_LEN))
			return snap;
	return NULL;
}

int jf_snap_delete(const char *name, u64 id)
{
	struct jf_snap *snap;

	mutex_lock(&jf_snap_lock);
	snap = jf_snap_find(name, id);
	if (snap)
		list_del_init(&snap->node);
	mutex_unlock(&jf_snap_lock);
	if (!snap)
		return -ENOENT;
	jf_snap_destroy(snap, true);
	return 0;
}

/* The file @owner is closed: its snapshots go. */
void jf_snaps_close(const void *owner)
{
	struct jf_snap *snap, *next;
	LIST_HEAD(gone);

	mutex_lock(&jf_snap_lock);
	list_for_each_entry_safe(snap, next, &jf_snaps, node)
		if (snap->armed && snap->owner == owner)
			list_move_tail(&snap->node, &gone);
	mutex_unlock(&jf_snap_lock);
	list_for_each_entry_safe(snap, next, &gone, node) {
		list_del_init(&snap->node);
		jf_snap_destroy(snap, true);
	}
}

/*
 * Every fifth of a second while snapshots exist: fail those whose origin
 * went away or whose copies stopped moving, delete the PERSIST ones past
 * their lifetime.
 */
static void jf_snap_watch_fn(struct work_struct *work)
{
	struct jf_snap *snap, *next;
	LIST_HEAD(expired);
	bool any;
	unsigned int i;

	mutex_lock(&jf_snap_lock);
	list_for_each_entry_safe(snap, next, &jf_snaps, node) {
		if (!snap->armed)
			continue;
		for (i = 0; i < snap->nr_origins; i++)
			if (!disk_live(snap->origins[i].disk))
				jf_snap_fail(snap, -ENODEV,
					     "one of its origins was removed");
		/* a copy is a write in flight: bounded as a drain is */
		if (!jf_snap_error(snap) &&
		    jf_cow_overdue(snap, jf_param_drain_timeout()))
			jf_snap_fail(snap, -ETIMEDOUT,
				     "a copy to its diff storage took longer than drain_timeout_sec");
		if (!snap->owner && time_after_eq(jiffies, snap->expires)) {
			pr_warn("snapshot %s reached its maximum lifetime (snapshot_max_lifetime_sec): deleting it\n",
				snap->name);
			list_move_tail(&snap->node, &expired);
		}
	}
	any = !list_empty(&jf_snaps);
	mutex_unlock(&jf_snap_lock);

	list_for_each_entry_safe(snap, next, &expired, node) {
		list_del_init(&snap->node);
		jf_snap_destroy(snap, true);
	}
	if (any)
		queue_delayed_work(jf_wait_wq, &jf_snap_watch,
				   JF_SNAP_WATCH_PERIOD);
}

/* ---- the list --------------------------------------------------------- */

static void jf_snap_fill(struct jetfreeze_snapshot_entry *e,
			 struct jf_snap *snap, struct jf_origin *o,
			 size_t memory)
{
	u64 used = min_t(u64, atomic64_read(&snap->next_slot), snap->nr_slots);

	e->snapshot_id = snap->id;
	memcpy(e->name, snap->name, sizeof(e->name));
	e->error = -jf_snap_error(snap);
	e->state = e->error ? JETFREEZE_SNAPSHOT_FAILED :
		   JETFREEZE_SNAPSHOT_ACTIVE;
	if (snap->flags & JETFREEZE_SNAPSHOT_PERSIST)
		e->flags |= JETFREEZE_SNAPSHOT_E_PERSIST;
	if (snap->flags & JETFREEZE_SNAPSHOT_WRITABLE)
		e->flags |= JETFREEZE_SNAPSHOT_E_WRITABLE;
	if (snap->owner)
		e->flags |= JETFREEZE_SNAPSHOT_E_ATTACHED;
	e->index = o->index;
	e->nr_devices = snap->nr_origins;
	e->chunk_bytes = jf_snap_chunk_bytes(snap);
	e->origin.origin_major = MAJOR(o->devt);
	e->origin.origin_minor = MINOR(o->devt);
	e->origin.image_major = MAJOR(disk_devt(o->image));
	e->origin.image_minor = MINOR(disk_devt(o->image));
	strscpy(e->origin.image_name, o->image_name,
		sizeof(e->origin.image_name));
	e->created_ns = snap->created_ns;
	if (!snap->owner)
		e->expires_ms = jiffies_to_msecs(max_t(long, 1,
					(long)(snap->expires - jiffies)));
	e->diff_used = used * jf_snap_chunk_bytes(snap);
	e->diff_size = snap->nr_slots * jf_snap_chunk_bytes(snap);
	e->memory_bytes = memory;
	e->chunks_preserved = atomic64_read(&o->chunks_preserved);
	e->cow_bios = atomic64_read(&o->cow_bios);
	e->cow_wait_ns = atomic64_read(&o->cow_wait_ns);
	e->hold_ns = snap->hold_ns;
}

/* What a snapshot's kernel memory comes to: itself, maps, reserve. */
static size_t jf_snap_memory(struct jf_snap *snap)
{
	size_t bytes = struct_size(snap, origins, snap->nr_origins) +
		       JF_COW_RESERVE * jf_snap_chunk_bytes(snap);
	unsigned int i;

	for (i = 0; i < snap->nr_origins; i++)
		bytes += jf_origin_memory(&snap->origins[i]);
	return bytes;
}

/*
 * Up to @capacity entries into a new array; the number that exist in
 * *@total.  Returns the number filled.
 */
int jf_snaps_list(struct jetfreeze_snapshot_entry **entries, u32 capacity,
		  u32 *total)
{
	struct jetfreeze_snapshot_entry *e = NULL;
	struct jf_snap *snap;
	u32 n = 0, nr = 0;
	unsigned int i;

	mutex_lock(&jf_snap_lock);
	list_for_each_entry(snap, &jf_snaps, node)
		if (snap->armed)
			nr += snap->nr_origins;
	capacity = min(capacity, nr);
	if (capacity) {
		e = kvcalloc(capacity, sizeof(*e), GFP_KERNEL);
		if (!e) {
			mutex_unlock(&jf_snap_lock);
			return -ENOMEM;
		}
	}
	list_for_each_entry(snap, &jf_snaps, node) {
		size_t memory;

		if (!snap->armed || n >= capacity)
			continue;
		memory = jf_snap_memory(snap);
		for (i = 0; i < snap->nr_origins && n < capacity; i++)
			jf_snap_fill(&e[n++], snap, &snap->origins[i], memory);
	}
	mutex_unlock(&jf_snap_lock);
	*entries = e;
	*total = nr;
	return n;
}

int jf_snaps_init(void)
{
	int ret = jf_cow_init();

	if (ret)
		return ret;
	ret = jf_image_init();
	if (ret)
		jf_cow_exit();
	return ret;
}

/* Every snapshot pinned the module: none is left. */
void jf_snaps_exit(void)
{
	cancel_delayed_work_sync(&jf_snap_watch);
	jf_image_exit();
	jf_cow_exit();
}
