// SPDX-License-Identifier: GPL-2.0-only
/*
 * Draining: once a group of devices holds new writes, wait until every
 * write that got past us before has completed, then flush each device's
 * write cache.  Each device is drained by the freeze that armed it; a
 * freeze that joined a device another one armed waits for that drain.
 *
 *  0. A device re-armed while it released an ended hold: wait until that
 *     hold's bios are all submitted, so that the steps below cover them.
 *  1. Writes on their way (track.c): every write to these disks that we
 *     let through has left submit_bio_noacct(), so it is inside its
 *     driver: a blk-mq request holding a queue reference, or a bio a
 *     bio-based driver has taken.  Writes to other devices are not waited
 *     for.
 *  2. blk-mq: one queue freeze cycle waits for every request to finish.
 *     bio-based: poll the per-cpu in-flight write counters to zero, as dm
 *     suspend does.  Drivers that complete every bio inside ->submit_bio
 *     are done after step 1.  A bio-based device that counts nothing
 *     cannot be drained and is refused before anything is held
 *     (jf_drain_check()).  Some bio-based drivers count a write only once
 *     they pass it down (dm-crypt, dm-thin, NVMe multipath), so such a
 *     device is only stable when the devices below it are frozen too,
 *     later in the same freeze, where whatever it still sends down waits.
 *  3. A flush bio of our own.  It carries no data, so the hook lets it
 *     and the flushes a stacked driver makes of it pass, also to devices
 *     another session holds.
 *
 * Every wait is bounded by the caller's deadline and ends on a fatal
 * signal.  Queues are never frozen while we wait for writes in step 1: a
 * submitter blocked in bio_queue_enter() would stall it.
 */
#include "jetfreeze.h"

#include <linux/delay.h>
#include <linux/kernfs.h>
#include <linux/sysfs.h>
#include <linux/module.h>
#include <linux/part_stat.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#define JF_WAIT_SLICE	(HZ / 10)

/* Bio-based drivers that finish every bio before ->submit_bio returns. */
static const char * const jf_sync_drivers[] = { "brd", "zram", "nd_pmem" };

static bool jf_driver_is_sync(struct gendisk *disk)
{
	struct module *owner = disk->fops->owner;
	unsigned int i;

	for (i = 0; owner && i < ARRAY_SIZE(jf_sync_drivers); i++)
		if (!strcmp(module_name(owner), jf_sync_drivers[i]))
			return true;
	return false;
}

/* Wait status: 0 go on, -EINTR fatal signal, -ETIMEDOUT past @deadline. */
static int jf_wait_check(unsigned long deadline)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	if (time_after_eq(jiffies, deadline))
		return -ETIMEDOUT;
	return 0;
}

static unsigned long jf_slice(unsigned long deadline)
{
	long left = (long)(deadline - jiffies);

	return clamp_t(long, left, 1, JF_WAIT_SLICE);
}

static int jf_drain_mq(struct jf_hold **holds, unsigned int nr,
		       unsigned long deadline, struct jf_hold **failed)
{
	struct request_queue **queues;
	unsigned int i, j, nq = 0;
	int ret = 0;

	queues = kcalloc(nr, sizeof(*queues), GFP_KERNEL);
	if (!queues)
		return -ENOMEM;

	/* a partition shares its disk's queue: freeze each queue once */
	for (i = 0; i < nr; i++) {
		struct request_queue *q;

		if (!holds[i]->drains || !holds[i]->mq)
			continue;
		q = bdev_get_queue(holds[i]->dev->bdev);
		for (j = 0; j < nq && queues[j] != q; j++)
			;
		if (j == nq) {
			queues[nq++] = q;
			blk_freeze_queue_start(q);
		}
	}

	for (j = 0; j < nq && !ret; j++) {
		while (!blk_mq_freeze_queue_wait_timeout(queues[j],
							 jf_slice(deadline))) {
			ret = jf_wait_check(deadline);
			if (ret)
				break;
		}
		if (ret) {
			for (i = 0; i < nr; i++)
				if (holds[i]->mq && holds[i]->drains &&
				    bdev_get_queue(holds[i]->dev->bdev) ==
				    queues[j])
					*failed = holds[i];
		}
	}

	for (j = 0; j < nq; j++)
		blk_mq_unfreeze_queue(queues[j]);
	kfree(queues);
	return ret;
}

static long jf_writes_in_flight(struct gendisk *disk)
{
	struct block_device *part;
	unsigned long idx;
	long sum = 0;
	int cpu;

	rcu_read_lock();
	xa_for_each(&disk->part_tbl, idx, part)
		for_each_possible_cpu(cpu)
			sum += part_stat_local_read_cpu(part, in_flight[WRITE],
							cpu);
	rcu_read_unlock();
	return sum;
}

/*
 * Before anything is held: a device a freeze could not drain is refused,
 * saying how to make it drainable.  Only bio-based devices can be so.
 */
int jf_drain_check(struct jf_hold *h)
{
	struct block_device *bdev = h->ref.bdev;

	if (h->mq || jf_driver_is_sync(bdev->bd_disk) ||
	    jf_bio_based_accounts(bdev))
		return 0;
	pr_warn("%s: bio-based and does not count its writes in flight, so it cannot be drained; make it count them (echo 1 > /sys/block/%s/queue/iostats) or freeze only the devices below it\n",
		h->name, bdev->bd_disk->disk_name);
	return -EOPNOTSUPP;
}

/* Is @lower one of @h's slaves (its sysfs "slaves" directory names it)? */
static bool jf_is_below(struct jf_hold *h, struct jf_hold *lower)
{
	struct kobject *slaves = h->ref.bdev->bd_disk->slave_dir;
	struct kernfs_node *kn;

	if (!slaves)
		return false;
	kn = sysfs_get_dirent(slaves->sd, lower->name);
	kernfs_put(kn);
	return kn;
}

/*
 * Before anything is held, with the holds in freeze order: a bio-based
 * device that counts a write only once it passes it down (dm-crypt,
 * dm-thin, dm-cache, NVMe multipath) and has none of the devices below it
 * in this freeze may see a write it took before the freeze land on them
 * during the hold.  Say so: a stable image needs them frozen too.
 */
void jf_drain_check_below(struct jf_hold **order, unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		struct jf_hold *h = order[i];
		bool below = false;

		if (h->mq || jf_driver_is_sync(h->ref.bdev->bd_disk))
			continue;
		for (j = i + 1; j < nr && !below; j++)
			below = order[j]->stage > h->stage &&
				jf_is_below(h, order[j]);
		if (!below)
			pr_warn("%s: frozen without any of the devices below it; a write its driver took but passes down later (dm-crypt, dm-thin, dm-cache...) can still reach them during the hold: freeze them too, in a later stage\n",
				h->name);
	}
}

static int jf_drain_bio_based(struct jf_hold *h, unsigned long deadline)
{
	struct block_device *bdev = h->dev->bdev;
	int ret;

	if (jf_driver_is_sync(bdev->bd_disk))
		return 0;
	while (jf_writes_in_flight(bdev->bd_disk) > 0) {
		ret = jf_wait_check(deadline);
		if (ret)
			return ret;
		/* not msleep(): at HZ=250 it sleeps 8 ms, writers waiting */
		usleep_range(200, 400);
	}
	return 0;
}

struct jf_flush {
	struct completion done;
	refcount_t ref;
	blk_status_t status;
};

static void jf_flush_put(struct jf_flush *f)
{
	if (refcount_dec_and_test(&f->ref))
		kfree(f);
}

static void jf_flush_endio(struct bio *bio)
{
	struct jf_flush *f = bio->bi_private;

	f->status = bio->bi_status;
	complete(&f->done);
	bio_put(bio);
	jf_flush_put(f);
	/* a flush we gave up on may end long after the freeze returned */
	module_put(THIS_MODULE);
}

/* Flush every new device of the group, all at once. */
static int jf_flush(struct jf_hold **holds, unsigned int nr,
		    unsigned long deadline, struct jf_hold **failed)
{
	struct jf_flush **flushes;
	unsigned int i;
	int ret = 0;

	flushes = kcalloc(nr, sizeof(*flushes), GFP_KERNEL);
	if (!flushes)
		return -ENOMEM;

	for (i = 0; i < nr; i++) {
		struct jf_flush *f;
		struct bio *bio;

		if (!holds[i]->drains)
			continue;
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f) {
			ret = -ENOMEM;
			break;
		}
		init_completion(&f->done);
		refcount_set(&f->ref, 2);	/* ours and the bio's */
		bio = bio_alloc(holds[i]->dev->bdev, 0,
				REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);
		bio->bi_end_io = jf_flush_endio;
		bio->bi_private = f;
		flushes[i] = f;
		__module_get(THIS_MODULE);
		submit_bio(bio);
	}

	for (i = 0; i < nr; i++) {
		struct jf_flush *f = flushes[i];

		if (!f)
			continue;
		while (!ret && !wait_for_completion_io_timeout(&f->done,
							jf_slice(deadline)))
			ret = jf_wait_check(deadline);
		if (!ret && f->status) {
			pr_warn("%s: cache flush failed\n", holds[i]->name);
			ret = blk_status_to_errno(f->status);
		}
		if (ret && !*failed)
			*failed = holds[i];
		jf_flush_put(f);
	}
	kfree(flushes);
	return ret;
}

/* The distinct disks of the devices this freeze drains. */
static unsigned int jf_drain_disks(struct jf_hold **holds, unsigned int nr,
				   struct gendisk **disks)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < nr; i++) {
		struct gendisk *disk;

		if (!holds[i]->drains)
			continue;
		disk = holds[i]->dev->disk;
		for (j = 0; j < n && disks[j] != disk; j++)
			;
		if (j == n)
			disks[n++] = disk;
	}
	return n;
}

/* Steps 0 to 3 for the devices this freeze armed. */
static int jf_drain_own(struct jf_hold **holds, unsigned int nr,
			unsigned long deadline, struct jf_hold **failed)
{
	struct gendisk **disks;
	unsigned int i, n;
	int ret = 0;

	for (i = 0; i < nr && !ret; i++) {
		if (!holds[i]->drains)
			continue;
		ret = jf_dev_wait_rearmed(holds[i]->dev, deadline);
		if (ret)
			*failed = holds[i];
	}
	if (ret)
		return ret;

	disks = kcalloc(nr, sizeof(*disks), GFP_KERNEL);
	if (!disks)
		return -ENOMEM;
	n = jf_drain_disks(holds, nr, disks);
	ret = n ? jf_track_wait(disks, n, deadline) : 0;
	kfree(disks);
	if (ret)
		return ret;

	ret = jf_drain_mq(holds, nr, deadline, failed);
	for (i = 0; i < nr && !ret; i++) {
		if (!holds[i]->drains || holds[i]->mq)
			continue;
		ret = jf_drain_bio_based(holds[i], deadline);
		if (ret)
			*failed = holds[i];
	}
	if (!ret)
		ret = jf_flush(holds, nr, deadline, failed);
	return ret;
}

/*
 * Drain a group of devices that are all holding by now: those this freeze
 * armed itself, then wait for the drains of those other freezes armed.  On
 * failure *@failed names the device at fault (or stays NULL).
 */
int jf_drain(struct jf_hold **holds, unsigned int nr, unsigned long deadline,
	     struct jf_hold **failed)
{
	unsigned int i;
	int ret;

	ret = jf_drain_own(holds, nr, deadline, failed);
	for (i = 0; i < nr; i++)
		if (holds[i]->drains)
			jf_dev_drained(holds[i]->dev, ret);
	for (i = 0; i < nr && !ret; i++) {
		if (holds[i]->drains)
			continue;
		ret = jf_dev_wait_drained(holds[i]->dev, deadline);
		if (ret == -EAGAIN) {
			/* its drain failed: ours now */
			holds[i]->drains = true;
			ret = jf_drain_own(&holds[i], 1, deadline, failed);
			jf_dev_drained(holds[i]->dev, ret);
		}
		if (ret && !*failed)
			*failed = holds[i];
	}
	return ret;
}
