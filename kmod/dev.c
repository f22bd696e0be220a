// SPDX-License-Identifier: GPL-2.0-only
/*
 * Held devices: the table the submit path searches, the hold itself, and
 * the release of what was held.
 *
 * The table is an array of RCU pointers read under jf_srcu by every bio
 * while anything is frozen.  A slot is cleared without allocating, so a
 * thaw can never fail; the array only grows, during a freeze.
 */
#include "jetfreeze.h"

#include <linux/sched/mm.h>
#include <linux/slab.h>

struct jf_table {
	struct rcu_head rcu;
	unsigned int size;
	struct jf_dev __rcu *slot[];
};

static struct jf_table __rcu *jf_table;
/* nonzero while any slot is used: the only cost of an idle module */
static atomic_t jf_nr_devs = ATOMIC_INIT(0);
static atomic64_t jf_total_bios = ATOMIC64_INIT(0);
static atomic64_t jf_total_bytes = ATOMIC64_INIT(0);

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

/* ---- submit path ------------------------------------------------------ */

/* A write through the whole-disk node that lands in a frozen partition. */
static bool jf_bio_crosses(const struct bio *bio, const struct jf_dev *d)
{
	sector_t first = bio->bi_iter.bi_sector;
	sector_t len = bio_sectors(bio);

	return len && first < d->start + d->nr_sects && first + len > d->start;
}

static struct jf_dev *jf_table_match(struct jf_table *t, const struct bio *bio)
{
	struct block_device *bdev = bio->bi_bdev;
	unsigned int i;

	for (i = 0; i < t->size; i++) {
		struct jf_dev *d = srcu_dereference(t->slot[i], &jf_srcu);

		if (!d || d->disk != bdev->bd_disk)
			continue;
		if (d->whole || d->bdev == bdev)
			return d;
		if (!bdev_is_partition(bdev) && jf_bio_crosses(bio, d))
			return d;
	}
	return NULL;
}

/* Called with d->lock held, after the bio was counted. */
static u32 jf_dev_limit_crossed(struct jf_dev *d, unsigned int bytes)
{
	u64 all_bytes = atomic64_add_return(bytes, &jf_total_bytes);
	u64 all_bios = atomic64_inc_return(&jf_total_bios);

	if ((d->limit_bios && d->nr_held > d->limit_bios) ||
	    all_bios > jf_param_max_held_bios())
		return JETFREEZE_BROKEN_HELD_BIOS;
	if ((d->limit_bytes && d->bytes_held > d->limit_bytes) ||
	    all_bytes > jf_param_max_held_bytes())
		return JETFREEZE_BROKEN_HELD_BYTES;
	return JETFREEZE_BROKEN_NONE;
}

static bool jf_dev_hold(struct jf_dev *d, struct bio *bio)
{
	unsigned int bytes = bio->bi_iter.bi_size;
	unsigned long flags;
	u32 crossed;

	spin_lock_irqsave(&d->lock, flags);
	if (d->state == JF_DEV_PASS) {
		spin_unlock_irqrestore(&d->lock, flags);
		return false;
	}
	if (jf_bio_nowait(bio)) {
		/* as dm does while suspended: the submitter retries blocking */
		spin_unlock_irqrestore(&d->lock, flags);
		bio_wouldblock_error(bio);
		return true;
	}
	bio_list_add(&d->held, bio);
	d->nr_held++;
	d->bytes_held += bytes;
	d->total_bios++;
	d->total_bytes += bytes;
	crossed = jf_dev_limit_crossed(d, bytes);
	/*
	 * Only while holding: once releasing, jf_dev_put() may already have
	 * cancelled the work and the device be on its way out.
	 */
	if (crossed && !d->limit_crossed && d->state == JF_DEV_HOLD) {
		d->limit_crossed = crossed;
		queue_work(jf_wq, &d->limit_work);
	}
	spin_unlock_irqrestore(&d->lock, flags);
	return true;
}

/*
 * Under jf_srcu, for every write-class bio.  Returns true when the bio was
 * taken (held, or failed for REQ_NOWAIT); never sleeps, never allocates.
 */
bool notrace jf_hold_bio(struct bio *bio)
{
	struct jf_table *t;
	struct jf_dev *d;

	if (likely(!atomic_read(&jf_nr_devs)))
		return false;
	if (bio->bi_end_io == jf_flush_endio)
		return false;

	t = srcu_dereference(jf_table, &jf_srcu);
	if (!t)
		return false;
	d = jf_table_match(t, bio);
	/* a disk being removed gets its writes now, to finish or fail */
	if (!d || !disk_live(d->disk))
		return false;
	return jf_dev_hold(d, bio);
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
	 * Under jf_lock, which every thaw needs: reclaim must not wait for
	 * writeback that we may be holding.
	 */
	noio = memalloc_noio_save();
	t = kzalloc(struct_size(t, slot, size), GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!t)
		return -ENOMEM;
	t->size = size;
	for (i = 0; old && i < old->size; i++) {
		struct jf_dev *d = jf_slot_locked(old, i);

		RCU_INIT_POINTER(t->slot[i], d);
	}
	rcu_assign_pointer(jf_table, t);
	if (old)
		call_srcu(&jf_srcu, &old->rcu, jf_table_free_rcu);
	return 0;
}

static void jf_table_insert(struct jf_dev *d)
{
	struct jf_table *t = jf_table_locked();
	unsigned int i;

	for (i = 0; i < t->size; i++) {
		if (!jf_slot_locked(t, i)) {
			d->slot = i;
			rcu_assign_pointer(t->slot[i], d);
			/* after the slot: see jf_hold_bio()'s fast path */
			atomic_inc(&jf_nr_devs);
			return;
		}
	}
	WARN_ON_ONCE(1);	/* jf_table_reserve() made room */
}

static void jf_table_remove(struct jf_dev *d)
{
	struct jf_table *t = jf_table_locked();

	RCU_INIT_POINTER(t->slot[d->slot], NULL);
	atomic_dec(&jf_nr_devs);
}

static struct jf_dev *jf_table_find(dev_t devt)
{
	struct jf_table *t = jf_table_locked();
	unsigned int i;

	for (i = 0; t && i < t->size; i++) {
		struct jf_dev *d = jf_slot_locked(t, i);

		if (d && d->devt == devt)
			return d;
	}
	return NULL;
}

/* ---- holders ---------------------------------------------------------- */

static void jf_dev_limit_work(struct work_struct *work)
{
	struct jf_dev *d = container_of(work, struct jf_dev, limit_work);
	struct jf_hold *h;
	u32 reason;

	mutex_lock(&jf_lock);
	reason = READ_ONCE(d->limit_crossed);
	pr_warn("%pg: too many writes held (%s limit); breaking its holds\n",
		d->bdev, reason == JETFREEZE_BROKEN_HELD_BIOS ? "bio" : "byte");
	list_for_each_entry(h, &d->holds, dev_node)
		jf_session_kick(h->session, reason);
	mutex_unlock(&jf_lock);
}

/* The smallest limit any holder asked for; under jf_lock. */
static void jf_dev_update_limits(struct jf_dev *d)
{
	u64 bios = 0, bytes = 0;
	struct jf_hold *h;

	list_for_each_entry(h, &d->holds, dev_node) {
		u64 b = h->session->limit_bios, y = h->session->limit_bytes;

		if (b && (!bios || b < bios))
			bios = b;
		if (y && (!bytes || y < bytes))
			bytes = y;
	}
	spin_lock_irq(&d->lock);
	d->limit_bios = bios;
	d->limit_bytes = bytes;
	spin_unlock_irq(&d->lock);
}

static void jf_dev_init(struct jf_dev *d, struct jf_hold *h)
{
	struct block_device *bdev = h->ref.bdev;

	d->ref = h->ref;
	h->ref.bdev = NULL;
	h->ref.handle = NULL;
	d->bdev = bdev;
	d->disk = bdev->bd_disk;
	d->devt = h->devt;
	d->whole = !bdev_is_partition(bdev);
	d->start = get_start_sect(bdev);
	d->nr_sects = bdev_nr_sectors(bdev);
	spin_lock_init(&d->lock);
	d->state = JF_DEV_HOLD;
	bio_list_init(&d->held);
	INIT_LIST_HEAD(&d->holds);
	INIT_WORK(&d->limit_work, jf_dev_limit_work);
	INIT_LIST_HEAD(&d->release_node);
}

/*
 * Start holding writes for @holds: a device another session already holds
 * is joined, any other gets a new jf_dev in HOLD state.  All or nothing.
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
		struct jf_dev *d = jf_table_find(h->devt);

		if (d) {
			h->joined = true;
		} else {
			d = fresh[i];
			fresh[i] = NULL;
			jf_dev_init(d, h);
			jf_table_insert(d);
		}
		h->dev = d;
		list_add_tail(&h->dev_node, &d->holds);
		d->nr_holders++;
		spin_lock_irq(&d->lock);
		h->base_bios = d->total_bios;
		h->base_bytes = d->total_bytes;
		spin_unlock_irq(&d->lock);
		jf_dev_update_limits(d);
		/* its holds are being broken for holding too much: this one too */
		if (READ_ONCE(d->limit_crossed))
			jf_session_kick(h->session, READ_ONCE(d->limit_crossed));
	}
	queue_delayed_work(jf_wq, &jf_watch, JF_WATCH_PERIOD);
	mutex_unlock(&jf_lock);

	/* a joined device is pinned by its jf_dev already */
	for (i = 0; i < nr; i++)
		if (holds[i]->joined)
			jf_bdev_close(&holds[i]->ref);
out:
	for (i = 0; i < nr; i++)
		kfree(fresh[i]);
	kfree(fresh);
	return ret;
}

/*
 * Let go of one hold; under jf_lock.  When it was the device's last
 * holder, the device leaves the table and goes on @to_release, for the
 * caller to release once jf_lock is dropped.
 */
void jf_dev_detach(struct jf_hold *h, struct list_head *to_release)
{
	struct jf_dev *d = h->dev;

	spin_lock_irq(&d->lock);
	h->held_bios = d->total_bios - h->base_bios;
	h->held_bytes = d->total_bytes - h->base_bytes;
	spin_unlock_irq(&d->lock);
	list_del_init(&h->dev_node);
	h->dev = NULL;

	if (--d->nr_holders) {
		jf_dev_update_limits(d);
		return;
	}
	jf_table_remove(d);
	spin_lock_irq(&d->lock);
	d->state = JF_DEV_RELEASING;
	spin_unlock_irq(&d->lock);
	list_add_tail(&d->release_node, to_release);
}

/*
 * Resubmit everything @d held, oldest first.  Each bio goes back through
 * jf_submit_bio(): another session may hold its device by now, and a bio
 * that arrives meanwhile from a submitter still looking at the old table
 * queues up behind the others and is released in the next round.
 */
void jf_dev_release(struct jf_dev *d)
{
	struct blk_plug plug;
	struct bio_list batch;
	struct bio *bio;

	for (;;) {
		spin_lock_irq(&d->lock);
		batch = d->held;
		bio_list_init(&d->held);
		if (bio_list_empty(&batch)) {
			d->state = JF_DEV_PASS;
			spin_unlock_irq(&d->lock);
			return;
		}
		atomic64_sub(d->nr_held, &jf_total_bios);
		atomic64_sub(d->bytes_held, &jf_total_bytes);
		d->nr_held = 0;
		d->bytes_held = 0;
		spin_unlock_irq(&d->lock);

		blk_start_plug(&plug);
		while ((bio = bio_list_pop(&batch))) {
			jf_submit_bio(bio);
			cond_resched();
		}
		blk_finish_plug(&plug);
	}
}

static void jf_dev_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct jf_dev, rcu));
}

/* After jf_dev_release(): drop the device; submitters may still see it. */
void jf_dev_put(struct jf_dev *d)
{
	cancel_work_sync(&d->limit_work);
	jf_bdev_close(&d->ref);
	call_srcu(&jf_srcu, &d->rcu, jf_dev_free_rcu);
}

/*
 * A frozen disk that goes away (hot unplug, null_blk power off) breaks
 * the holds on it, so that its held writes are released to finish or fail
 * now rather than at the timeout.  Polled: no exported notifier reaches a
 * non-exclusive opener on every kernel we support.
 */
static void jf_watch_fn(struct work_struct *work)
{
	struct jf_table *t;
	unsigned int i;

	mutex_lock(&jf_lock);
	t = jf_table_locked();
	for (i = 0; t && i < t->size; i++) {
		struct jf_dev *d = jf_slot_locked(t, i);
		struct jf_hold *h;

		if (!d || d->removed || disk_live(d->disk))
			continue;
		d->removed = true;
		pr_warn("%pg went away while frozen; breaking its holds\n",
			d->bdev);
		list_for_each_entry(h, &d->holds, dev_node)
			jf_session_kick(h->session,
					JETFREEZE_BROKEN_DEVICE_REMOVED);
	}
	if (atomic_read(&jf_nr_devs))
		queue_delayed_work(jf_wq, &jf_watch, JF_WATCH_PERIOD);
	mutex_unlock(&jf_lock);
}

void jf_devs_exit(void)
{
	cancel_delayed_work_sync(&jf_watch);
	srcu_barrier(&jf_srcu);
	kfree(rcu_dereference_protected(jf_table, 1));
	RCU_INIT_POINTER(jf_table, NULL);
}
