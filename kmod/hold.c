// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hold of one device: its queue of write-class bios, kept in
 * submission order, and the release of that queue.
 *
 * A device holds while it has holders.  When the last one lets go it
 * becomes RELEASING: it stays in the table and keeps queueing what
 * arrives, behind what it held, while a worker of its own lets the queue
 * out from the front, so a write submitted after the thaw never overtakes
 * a held one (on a zoned device it would land off the write pointer).
 * Once the queue is empty the device passes everything again and leaves
 * the table.
 *
 * A freeze that comes while the queue still empties re-arms the device:
 * it holds again, and the worker lets out only the bios the ended hold
 * had queued, which the new freeze then drains like any write in flight.
 * Released writes are never held a second time.
 */
#include "jetfreeze.h"

#include <linux/module.h>

/* Bios let out between two looks at the queue. */
#define JF_RELEASE_BATCH	256

static atomic64_t jf_held_bios = ATOMIC64_INIT(0);
static atomic64_t jf_held_bytes = ATOMIC64_INIT(0);

/*
 * What a held bio weighs against the byte limits: the data it carries.
 * A discard, write-zeroes or secure erase names a range but carries
 * nothing, and pins no memory while held.
 */
static unsigned int jf_bio_payload(struct bio *bio)
{
	return bio_has_data(bio) ? bio->bi_iter.bi_size : 0;
}

/*
 * Under d->lock, a bio just queued: the device's own holders' limits are
 * the limit work's business once a total passes its trigger; a module-wide
 * cap breaks every hold on the device that crossed it.
 */
static void jf_dev_check_limits(struct jf_dev *d, unsigned int bytes)
{
	u64 all_bytes = atomic64_add_return(bytes, &jf_held_bytes);
	u64 all_bios = atomic64_inc_return(&jf_held_bios);
	u32 cap = JETFREEZE_BROKEN_NONE;

	if (d->state != JF_DEV_HOLD || d->limit_queued)
		return;
	if (all_bios > jf_param_max_held_bios())
		cap = JETFREEZE_BROKEN_HELD_BIOS;
	else if (all_bytes > jf_param_max_held_bytes())
		cap = JETFREEZE_BROKEN_HELD_BYTES;
	if (cap && !d->cap_crossed)
		d->cap_crossed = cap;
	else if (d->total_bios <= d->trigger_bios &&
		 d->total_bytes <= d->trigger_bytes)
		return;
	d->limit_queued = true;
	queue_work(jf_wq, &d->limit_work);
}

/*
 * Under rcu_read_lock() in the submit path: queue @bio, or fail it at once
 * when its submitter must not wait.  Never sleeps, never allocates.
 * Returns false when the device passes everything again: the caller looks
 * further or lets the bio through.
 */
bool notrace jf_dev_hold(struct jf_dev *d, struct bio *bio)
{
	unsigned int bytes = jf_bio_payload(bio);
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	if (d->state == JF_DEV_PASS) {
		spin_unlock_irqrestore(&d->lock, flags);
		return false;
	}
	if (jf_bio_nowait(bio)) {
		/* as dm does while suspended; io_uring retries blocking */
		spin_unlock_irqrestore(&d->lock, flags);
		bio_wouldblock_error(bio);
		return true;
	}
	bio_list_add(&d->held, bio);
	d->nr_held++;
	d->bytes_held += bytes;
	d->total_bios++;
	d->total_bytes += bytes;
	d->queued_seq++;
	jf_dev_check_limits(d, bytes);
	spin_unlock_irqrestore(&d->lock, flags);
	return true;
}

/* Under jf_lock: the last holder let go. */
void jf_dev_start_release(struct jf_dev *d)
{
	spin_lock_irq(&d->lock);
	d->state = JF_DEV_RELEASING;
	spin_unlock_irq(&d->lock);
	/*
	 * The worker's reference.  A run already queued goes on; a run
	 * still running makes queue_work() queue another after it, which
	 * finds the queue empty, or leaves the table if the first did not.
	 */
	kref_get(&d->kref);
	if (!queue_work(jf_release_wq, &d->release_work))
		jf_dev_put(d);
}

/*
 * Up to JF_RELEASE_BATCH bios from the front of the queue: all of them
 * while releasing, only the ended hold's once re-armed.  Under d->lock.
 */
static u64 jf_dev_take_batch(struct jf_dev *d, struct bio_list *batch)
{
	u64 n = d->state == JF_DEV_HOLD ? d->release_left : d->nr_held;
	u64 bytes = 0, i;

	n = min_t(u64, n, JF_RELEASE_BATCH);
	for (i = 0; i < n; i++) {
		struct bio *bio = bio_list_pop(&d->held);

		bytes += jf_bio_payload(bio);
		bio_list_add(batch, bio);
	}
	d->nr_held -= n;
	d->bytes_held -= bytes;
	d->release_batch = n;
	atomic64_sub(n, &jf_held_bios);
	atomic64_sub(bytes, &jf_held_bytes);
	return n;
}

/* The worker of one device: let its queue out, in order. */
void jf_dev_release_fn(struct work_struct *work)
{
	struct jf_dev *d = container_of(work, struct jf_dev, release_work);
	struct bio_list batch;
	struct blk_plug plug;
	struct bio *bio;
	bool gone;
	u64 n;

	for (;;) {
		bio_list_init(&batch);
		spin_lock_irq(&d->lock);
		n = jf_dev_take_batch(d, &batch);
		if (!n) {
			if (d->state == JF_DEV_RELEASING)
				d->state = JF_DEV_PASS;
			spin_unlock_irq(&d->lock);
			break;
		}
		spin_unlock_irq(&d->lock);
		jf_test_delay(JF_TEST_RELEASE);

		blk_start_plug(&plug);
		while ((bio = bio_list_pop(&batch))) {
			jf_submit_released(bio, d);
			cond_resched();
		}
		blk_finish_plug(&plug);

		/* submitted: a re-arming freeze may drain them now */
		spin_lock_irq(&d->lock);
		d->release_batch = 0;
		d->released_seq += n;
		d->released_at = ktime_get();
		if (d->state == JF_DEV_HOLD && d->release_left) {
			d->release_left -= min(n, d->release_left);
			/* the ended hold's writes are out: the re-arm's clock */
			if (!d->release_left)
				d->hold_start = d->rearm_start;
		}
		spin_unlock_irq(&d->lock);
		wake_up_all(&d->wait);
	}

	mutex_lock(&jf_lock);
	spin_lock_irq(&d->lock);
	/* a freeze may have re-armed it since: then it stays; an earlier run
	 * may have taken it out already */
	gone = d->in_table && d->state == JF_DEV_PASS && !d->nr_holders;
	spin_unlock_irq(&d->lock);
	if (gone)
		jf_dev_leave_table(d);
	mutex_unlock(&jf_lock);
	wake_up_all(&d->wait);
	if (gone)
		jf_dev_put(d);		/* the table's */
	jf_dev_put(d);			/* ours */
}

static bool jf_dev_released_to(struct jf_dev *d, u64 seq, ktime_t *at)
{
	bool done;

	spin_lock_irq(&d->lock);
	done = d->released_seq >= seq || d->state == JF_DEV_PASS;
	if (done)
		*at = d->released_at;
	spin_unlock_irq(&d->lock);
	return done;
}

/*
 * Wait until every bio queued before position @seq was let out; *@at is
 * when that happened (or a little later, if more went out since).  Not a
 * hung task however long a slow device takes.
 */
void jf_dev_wait_released(struct jf_dev *d, u64 seq, ktime_t *at)
{
	wait_event_idle(d->wait, jf_dev_released_to(d, seq, at));
}

static bool jf_dev_rearm_done(struct jf_dev *d)
{
	bool done;

	spin_lock_irq(&d->lock);
	done = !d->release_left;
	spin_unlock_irq(&d->lock);
	return done;
}

/*
 * A freeze that re-armed @d: wait until the ended hold's bios are all
 * submitted, so that its drain covers them.
 */
int jf_dev_wait_rearmed(struct jf_dev *d, unsigned long deadline)
{
	long left;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return jf_dev_rearm_done(d) ? 0 : -ETIMEDOUT;
		left = wait_event_killable_timeout(d->wait,
						   jf_dev_rearm_done(d), left);
		if (left > 0)
			return 0;
		if (left < 0)
			return -EINTR;
	}
}
