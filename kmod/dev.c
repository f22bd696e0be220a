// SPDX-License-Identifier: GPL-2.0-only
/*
 * Held devices: the table the submit path searches, their holders, the
 * holders' limits, and the watch for removed disks.  The queue of each
 * device and its release are in hold.c.
 *
 * The table is an array of RCU pointers, read under rcu_read_lock() by
 * every write-class bio while anything is held.  A slot is cleared
 * without allocating, so a release can never fail; the array only grows,
 * during a freeze.
 */
#include "jetfreeze.h"

#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

struct jf_table {
	struct rcu_head rcu;
	unsigned int size;
	struct jf_dev __rcu *slot[];
};

static struct jf_table __rcu *jf_table;
/* nonzero while any slot is used: the only cost of an idle module */
static atomic_t jf_nr_devs = ATOMIC_INIT(0);

#define JF_WATCH_PERIOD		(HZ / 5)
static void jf_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(jf_watch, jf_watch_fn);

static struct jf_table *jf_table_locked(void)
{
	return rcu_dereference_protected(jf_table, lockdep_is_held(&jf_lock));
}

static struct jf_dev *jf_slot_locked(struct jf_table *t, unsigned int i)
{
	return rcu_dereference_protected(t->slot[i], lockdep_is_held(&jf_lock));
}

/* Every device @d in the table, slot @i of table @t; under jf_lock. */
#define jf_for_each_dev(t, i, d)					\
	for ((t) = jf_table_locked(), (i) = 0; (t) && (i) < (t)->size; (i)++) \
		if (!((d) = jf_slot_locked((t), (i)))) {} else

/* ---- submit path ------------------------------------------------------ */

/* Does @bio write to @d?  Its disk is @d's already. */
static bool jf_bio_hits(const struct bio *bio, const struct jf_dev *d)
{
	struct block_device *bdev = bio->bi_bdev;
	sector_t first, len;

	if (d->whole || d->bdev == bdev)
		return true;
	if (bdev_is_partition(bdev))
		return false;
	/* through the whole-disk node, into the held partition's range */
	first = bio->bi_iter.bi_sector;
	len = bio_sectors(bio);
	return len && first < d->start + d->nr_sects && first + len > d->start;
}

/*
 * For every bio the hook redirects: true when a held device took it (or
 * failed it for REQ_NOWAIT).  @skip is the device releasing it.  Never
 * sleeps, never allocates.
 */
bool notrace jf_hold_bio(struct bio *bio, struct jf_dev *skip)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;
	struct jf_table *t;
	bool held = false;
	unsigned int i;

	if (likely(!atomic_read(&jf_nr_devs)))
		return false;
	if (!jf_bio_is_held_class(bio))
		return false;

	rcu_read_lock();
	t = rcu_dereference(jf_table);
	for (i = 0; t && i < t->size; i++) {
		struct jf_dev *d = rcu_dereference(t->slot[i]);

		if (!d || d == skip || d->disk != disk || !jf_bio_hits(bio, d))
			continue;
		/* a disk being removed gets its writes now, to finish or fail */
		if (!disk_live(disk))
			break;
		/* false: it passes again; an overlapping device may be further on */
		held = jf_dev_hold(d, bio);
		if (held)
			break;
	}
	rcu_read_unlock();
	return held;
}

/* ---- table ------------------------------------------------------------ */

static void jf_table_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct jf_table, rcu));
}

/* Make room for @nr more devices; the only step of an attach that fails. */
static int jf_table_reserve(unsigned int nr)
{
	struct jf_table *old = jf_table_locked(), *t;
	unsigned int used = atomic_read(&jf_nr_devs), size, i, noio;

	if (old && old->size - used >= nr)
		return 0;
	size = max(16U, roundup_pow_of_two(used + nr));
	/*
	 * Under jf_lock, which every release needs: reclaim must not wait
	 * for writeback that we may be holding.
	 */
	noio = memalloc_noio_save();
	t = kzalloc(struct_size(t, slot, size), GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!t)
		return -ENOMEM;
	t->size = size;
	for (i = 0; old && i < old->size; i++)
		RCU_INIT_POINTER(t->slot[i], jf_slot_locked(old, i));
	rcu_assign_pointer(jf_table, t);
	if (old)
		call_rcu(&old->rcu, jf_table_free_rcu);
	return 0;
}

static void jf_table_insert(struct jf_dev *d)
{
	struct jf_table *t = jf_table_locked();
	unsigned int i;

	for (i = 0; i < t->size; i++) {
		if (!jf_slot_locked(t, i)) {
			d->slot = i;
			d->in_table = true;
			rcu_assign_pointer(t->slot[i], d);
			/* after the slot: see jf_hold_bio()'s fast path */
			atomic_inc(&jf_nr_devs);
			return;
		}
	}
	WARN_ON_ONCE(1);	/* jf_table_reserve() made room */
}

/* Under jf_lock, by the release worker once @d is empty and has no holder. */
void jf_dev_leave_table(struct jf_dev *d)
{
	struct jf_table *t = jf_table_locked();

	if (WARN_ON_ONCE(!d->in_table || jf_slot_locked(t, d->slot) != d))
		return;
	d->in_table = false;
	RCU_INIT_POINTER(t->slot[d->slot], NULL);
	atomic_dec(&jf_nr_devs);
}

/*
 * The entry of @devt on @disk.  A removed disk's entry can outlive it (its
 * holders not yet ended, its queue not yet let out) while a new disk gets
 * the same number: that entry is not the new disk's.  Our open of the old
 * disk keeps its gendisk, so the pointer is not reused meanwhile.
 */
static struct jf_dev *jf_table_find(dev_t devt, struct gendisk *disk)
{
	struct jf_table *t;
	struct jf_dev *d;
	unsigned int i;

	jf_for_each_dev(t, i, d)
		if (d->devt == devt && d->disk == disk)
			return d;
	return NULL;
}

/* Does any session hold a device of @disk now? */
bool jf_disk_held(struct gendisk *disk)
{
	struct jf_table *t;
	struct jf_dev *d;
	bool held = false;
	unsigned int i;

	mutex_lock(&jf_lock);
	jf_for_each_dev(t, i, d)
		held |= d->disk == disk && d->nr_holders;
	mutex_unlock(&jf_lock);
	return held;
}

/* ---- lifetime --------------------------------------------------------- */

static void jf_dev_free(struct kref *kref)
{
	struct jf_dev *d = container_of(kref, struct jf_dev, kref);

	cancel_work_sync(&d->limit_work);
	jf_bdev_close(&d->ref);
	/* submitters may still be looking at it */
	kfree_rcu(d, rcu);
	/* the table's reference pinned the module since the device came in */
	module_put(THIS_MODULE);
}

/* Never under jf_lock: the last put waits for the limit work. */
void jf_dev_put(struct jf_dev *d)
{
	kref_put(&d->kref, jf_dev_free);
}

/* ---- limits ----------------------------------------------------------- */

/* The limit of its own @h crossed, given the device's totals, or NONE. */
static u32 jf_hold_crossed(const struct jf_hold *h, u64 bios, u64 bytes)
{
	if (h->limit_bios && bios - h->base_bios > h->limit_bios)
		return JETFREEZE_BROKEN_HELD_BIOS;
	if (h->limit_bytes && bytes - h->base_bytes > h->limit_bytes)
		return JETFREEZE_BROKEN_HELD_BYTES;
	return JETFREEZE_BROKEN_NONE;
}

/*
 * Under jf_lock: the totals at which the limit work must look again, the
 * nearest limit of a holder not yet broken by its own.
 */
static void jf_dev_update_triggers(struct jf_dev *d)
{
	u64 bios = U64_MAX, bytes = U64_MAX;
	struct jf_hold *h;

	list_for_each_entry(h, &d->holds, dev_node) {
		u64 at;

		if (h->limit_hit)
			continue;
		/* a limit near U64_MAX means "none": past it, no trigger */
		if (h->limit_bios &&
		    !check_add_overflow(h->base_bios, h->limit_bios, &at))
			bios = min(bios, at);
		if (h->limit_bytes &&
		    !check_add_overflow(h->base_bytes, h->limit_bytes, &at))
			bytes = min(bytes, at);
	}
	spin_lock_irq(&d->lock);
	d->trigger_bios = bios;
	d->trigger_bytes = bytes;
	spin_unlock_irq(&d->lock);
}

static const char *jf_limit_name(u32 reason)
{
	return reason == JETFREEZE_BROKEN_HELD_BIOS ? "writes" : "bytes";
}

/* Break the holds whose own limit was crossed, or all on a module cap. */
static void jf_dev_limit_work(struct work_struct *work)
{
	struct jf_dev *d = container_of(work, struct jf_dev, limit_work);
	u64 bios, bytes;
	struct jf_hold *h;
	u32 cap;

	mutex_lock(&jf_lock);
	spin_lock_irq(&d->lock);
	d->limit_queued = false;
	bios = d->total_bios;
	bytes = d->total_bytes;
	cap = d->cap_crossed;
	spin_unlock_irq(&d->lock);

	list_for_each_entry(h, &d->holds, dev_node) {
		u32 reason = jf_hold_crossed(h, bios, bytes);

		if (h->limit_hit)
			continue;
		if (reason) {
			pr_warn("%s: session %llu held more %s than it allowed itself; breaking its hold\n",
				d->name, h->session->id, jf_limit_name(reason));
		} else if (cap) {
			reason = cap;
			pr_warn("%s: more %s held than the module allows (max_held_%s); breaking session %llu\n",
				d->name, jf_limit_name(reason),
				reason == JETFREEZE_BROKEN_HELD_BIOS ?
				"bios" : "mib", h->session->id);
		} else {
			continue;
		}
		h->limit_hit = true;
		jf_session_kick(h->session, reason);
	}
	jf_dev_update_triggers(d);
	mutex_unlock(&jf_lock);
}

/* ---- holders ---------------------------------------------------------- */

static void jf_dev_init(struct jf_dev *d, struct jf_hold *h)
{
	struct block_device *bdev = h->ref.bdev;

	kref_init(&d->kref);		/* the table's */
	d->ref = h->ref;
	h->ref.bdev = NULL;
	h->ref.handle = NULL;
	d->bdev = bdev;
	d->disk = bdev->bd_disk;
	d->devt = h->devt;
	d->whole = !bdev_is_partition(bdev);
	d->mq = h->mq;
	d->start = get_start_sect(bdev);
	d->nr_sects = bdev_nr_sectors(bdev);
	strscpy(d->name, h->name, sizeof(d->name));
	spin_lock_init(&d->lock);
	d->state = JF_DEV_HOLD;
	bio_list_init(&d->held);
	d->trigger_bios = U64_MAX;
	d->trigger_bytes = U64_MAX;
	INIT_LIST_HEAD(&d->holds);
	init_waitqueue_head(&d->wait);
	INIT_WORK(&d->limit_work, jf_dev_limit_work);
	INIT_WORK(&d->release_work, jf_dev_release_fn);
	/* writers wait from the session's start: at its filesystems first */
	d->hold_start = h->session->hold_start;
	d->drain_state = JF_DRAIN_PENDING;
	__module_get(THIS_MODULE);
}

/*
 * A device in the table that no longer holds (releasing, or empty and
 * leaving) holds again for a new freeze, which then drains it.  What the
 * ended hold queued goes out first.  Under jf_lock.
 */
static void jf_dev_rearm(struct jf_dev *d, struct jf_hold *h)
{
	spin_lock_irq(&d->lock);
	d->release_left = d->nr_held + d->release_batch;
	d->state = JF_DEV_HOLD;
	d->cap_crossed = JETFREEZE_BROKEN_NONE;
	/*
	 * The ended hold's writes, still queued, have waited since its
	 * start, and another device of the disk may hold them again once
	 * they go out: the ceiling counts from there until they are out
	 * (jf_dev_release_fn()), then from this freeze's start.
	 */
	d->rearm_start = h->session->hold_start;
	if (!d->release_left)
		d->hold_start = d->rearm_start;
	spin_unlock_irq(&d->lock);
	d->drain_state = JF_DRAIN_PENDING;
	d->drain_err = 0;
}

/* Under jf_lock: @h is a holder of @d from now on. */
static void jf_dev_add_holder(struct jf_dev *d, struct jf_hold *h)
{
	h->dev = d;
	list_add_tail(&h->dev_node, &d->holds);
	d->nr_holders++;
	spin_lock_irq(&d->lock);
	h->base_bios = d->total_bios;
	h->base_bytes = d->total_bytes;
	spin_unlock_irq(&d->lock);
	h->limit_hit = false;
	h->limit_bios = h->session->limit_bios;
	h->limit_bytes = h->session->limit_bytes;
	jf_dev_update_triggers(d);

	/* what breaks the holds already there breaks this one too */
	if (d->cap_crossed) {
		h->limit_hit = true;
		jf_session_kick(h->session, d->cap_crossed);
	}
	if (d->removed || !disk_live(d->disk))
		jf_session_kick(h->session, JETFREEZE_BROKEN_DEVICE_REMOVED);
}

/*
 * Start holding writes for @holds: a device no one holds gets a new entry,
 * or its releasing entry re-armed; both are then this freeze's to drain
 * (h->drains).  A device another session holds is joined.  All or nothing.
 */
int jf_devs_attach(struct jf_hold **holds, unsigned int nr)
{
	struct jf_dev **fresh;
	unsigned int i;
	int ret = 0;

	fresh = kcalloc(nr, sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		fresh[i] = kzalloc(sizeof(*fresh[i]), GFP_KERNEL);
		if (!fresh[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}

	mutex_lock(&jf_lock);
	ret = jf_table_reserve(nr);
	if (ret) {
		mutex_unlock(&jf_lock);
		goto out;
	}
	for (i = 0; i < nr; i++) {
		struct jf_hold *h = holds[i];
		struct jf_dev *d = jf_table_find(h->devt,
						 h->ref.bdev->bd_disk);

		if (!d) {
			d = fresh[i];
			fresh[i] = NULL;
			jf_dev_init(d, h);
			jf_table_insert(d);
			h->drains = true;
		} else if (!d->nr_holders) {
			jf_dev_rearm(d, h);
			h->drains = true;
		} else {
			h->drains = false;
		}
		jf_dev_add_holder(d, h);
	}
	queue_delayed_work(jf_wq, &jf_watch, JF_WATCH_PERIOD);
	mutex_unlock(&jf_lock);

	/* an entry that was there already keeps the device open */
	for (i = 0; i < nr; i++)
		jf_bdev_close(&holds[i]->ref);
out:
	for (i = 0; i < nr; i++)
		kfree(fresh[i]);
	kfree(fresh);
	return ret;
}

/*
 * Let go of one hold; under jf_lock.  When it was the device's last
 * holder, the device releases its queue, and @h keeps a reference to it
 * (h->released) for the report to wait on.
 */
void jf_dev_detach(struct jf_hold *h)
{
	struct jf_dev *d = h->dev;

	spin_lock_irq(&d->lock);
	h->held_bios = d->total_bios - h->base_bios;
	h->held_bytes = d->total_bytes - h->base_bytes;
	h->release_seq = d->queued_seq;
	spin_unlock_irq(&d->lock);
	list_del_init(&h->dev_node);
	h->dev = NULL;

	if (--d->nr_holders) {
		jf_dev_update_triggers(d);
		return;
	}
	/* a drain nobody finished: whoever re-arms it drains it again */
	if (d->drain_state == JF_DRAIN_PENDING)
		jf_dev_drained(d, -EAGAIN);
	kref_get(&d->kref);
	h->released = d;
	jf_dev_start_release(d);
}

/* ---- drains of shared devices ----------------------------------------- */

/* The freeze that armed @d drained it (@err 0) or failed to. */
void jf_dev_drained(struct jf_dev *d, int err)
{
	d->drain_err = err;
	/* release: a waiter that sees FAILED sees the error */
	smp_store_release(&d->drain_state,
			  err ? JF_DRAIN_FAILED : JF_DRAIN_DONE);
	wake_up_all(&d->wait);
}

/*
 * A freeze that joined @d, armed by another freeze still draining it:
 * wait for that drain, bounded by @deadline.  When that drain failed (the
 * other freeze timed out on another device, was killed, ran out of
 * memory), the first joiner to see it takes the drain over: -EAGAIN, and
 * @d is its to drain.  Never the other freeze's error.
 */
int jf_dev_wait_drained(struct jf_dev *d, unsigned long deadline)
{
	bool ours = false;
	long left;

	for (;;) {
		switch (smp_load_acquire(&d->drain_state)) {
		case JF_DRAIN_DONE:
			return 0;
		case JF_DRAIN_FAILED:
			mutex_lock(&jf_lock);
			if (d->drain_state == JF_DRAIN_FAILED) {
				d->drain_state = JF_DRAIN_PENDING;
				ours = true;
			}
			mutex_unlock(&jf_lock);
			if (ours)
				return -EAGAIN;
			break;
		default:
			break;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		if (wait_event_killable_timeout(d->wait,
			smp_load_acquire(&d->drain_state) != JF_DRAIN_PENDING,
			left) < 0)
			return -EINTR;
	}
}

/*
 * The earliest start among the devices of @disk in the table, holding or
 * still releasing writes, and @start: a write held by one of them may be
 * held again by another (a partition and its whole disk), and no write
 * waits longer than the ceiling counted from its first hold.
 */
unsigned long jf_disk_oldest_hold(struct gendisk *disk, unsigned long start)
{
	struct jf_table *t;
	struct jf_dev *d;
	unsigned int i;

	mutex_lock(&jf_lock);
	jf_for_each_dev(t, i, d) {
		bool waiting;

		if (d->disk != disk)
			continue;
		/*
		 * An entry on its way out holds nothing back; one still
		 * releasing may be sending its last batch, which another
		 * device of the disk can hold again.
		 */
		spin_lock_irq(&d->lock);
		waiting = d->nr_holders || d->nr_held ||
			  d->state == JF_DEV_RELEASING;
		if (waiting && time_before(d->hold_start, start))
			start = d->hold_start;
		spin_unlock_irq(&d->lock);
	}
	mutex_unlock(&jf_lock);
	return start;
}

/* ---- removal ---------------------------------------------------------- */

/*
 * A held disk that goes away (hot unplug, null_blk power off) breaks the
 * holds on it, so that its held writes are released to finish or fail now
 * rather than at the timeout; a hold that joins it later is broken as it
 * joins.  Polled: no exported notifier reaches a non-exclusive opener on
 * every kernel we support.
 */
static void jf_watch_fn(struct work_struct *work)
{
	struct jf_table *t;
	struct jf_dev *d;
	unsigned int i;

	mutex_lock(&jf_lock);
	jf_for_each_dev(t, i, d) {
		struct jf_hold *h;

		if (d->removed || disk_live(d->disk))
			continue;
		d->removed = true;
		if (!d->nr_holders)
			continue;
		pr_warn("%s went away while frozen; breaking its holds\n",
			d->name);
		list_for_each_entry(h, &d->holds, dev_node)
			jf_session_kick(h->session,
					JETFREEZE_BROKEN_DEVICE_REMOVED);
	}
	if (atomic_read(&jf_nr_devs))
		queue_delayed_work(jf_wq, &jf_watch, JF_WATCH_PERIOD);
	mutex_unlock(&jf_lock);
}

/*
 * Module exit: nothing is held (every device in the table pins the
 * module), the release workers are done.
 */
void jf_devs_exit(void)
{
	cancel_delayed_work_sync(&jf_watch);
	WARN_ON(atomic_read(&jf_nr_devs));
	/* the old tables' call_rcu() callbacks are ours */
	rcu_barrier();
	kfree(rcu_dereference_protected(jf_table, 1));
	RCU_INIT_POINTER(jf_table, NULL);
}
