// SPDX-License-Identifier: GPL-2.0-only
/*
 * Before anything is held, each device's own page cache (metadata some
 * filesystems keep there, buffered writes to the node) is written back:
 * Linux writes dirty cached pages back before an O_DIRECT read of their
 * range, and during a hold that writeback would be held, making the read
 * wait for the thaw.
 *
 * sync_blockdev() waits, uninterruptibly and without limit, for pages
 * already under writeback.  On a device whose I/O is stuck (a dm device
 * suspended with --noflush, multipath queueing with no path) a freeze
 * would hang in D state; on a device another session holds, until that
 * hold ends.  So a worker syncs, with its own open of the device, and
 * the freeze waits for it within the drain's timeout and while it may be
 * killed.  A worker left behind finishes on its own, pinning the module
 * until then; on a device that never comes back it stays in D state, as
 * any sync of that device would.  A disk another session holds is not
 * synced at all: its writeback may be held there, and what it writes now
 * is held like any write.
 */
#include "jetfreeze.h"

#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/slab.h>

struct jf_cache_sync {
	struct work_struct work;
	struct completion done;
	struct kref kref;		/* the freeze's and the worker's */
	struct jf_bdev ref;
	int ret;
};

static void jf_cache_sync_free(struct kref *kref)
{
	struct jf_cache_sync *cs = container_of(kref, struct jf_cache_sync,
						kref);

	jf_bdev_close(&cs->ref);
	kfree(cs);
}

static void jf_cache_sync_fn(struct work_struct *work)
{
	struct jf_cache_sync *cs = container_of(work, struct jf_cache_sync,
						work);

	cs->ret = sync_blockdev(cs->ref.bdev);
	complete(&cs->done);
	kref_put(&cs->kref, jf_cache_sync_free);
	/* destroy_workqueue() at exit waits until we have returned */
	module_put(THIS_MODULE);
}

static struct jf_cache_sync *jf_cache_sync_start(struct jf_hold *h)
{
	struct jf_cache_sync *cs;

	if (jf_disk_held(h->ref.bdev->bd_disk))
		return NULL;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return ERR_PTR(-ENOMEM);
	/*
	 * By number: the device we have open may have been removed and its
	 * number given to a new disk since, which is not ours to sync.
	 */
	if (jf_bdev_open(h->devt, &cs->ref) ||
	    cs->ref.bdev != h->ref.bdev) {
		if (cs->ref.bdev)
			jf_bdev_close(&cs->ref);
		kfree(cs);
		return NULL;
	}
	INIT_WORK(&cs->work, jf_cache_sync_fn);
	init_completion(&cs->done);
	kref_init(&cs->kref);
	kref_get(&cs->kref);
	__module_get(THIS_MODULE);
	queue_work(jf_sync_wq, &cs->work);
	return cs;
}

/* Wait for one sync within @deadline: 0, -ETIMEDOUT or -EINTR. */
static int jf_cache_sync_wait(struct jf_cache_sync *cs, struct jf_hold *h,
			      unsigned long deadline)
{
	long left = max_t(long, 1, (long)(deadline - jiffies));

	left = wait_for_completion_killable_timeout(&cs->done, left);
	if (left < 0)
		return -EINTR;
	if (!left) {
		pr_warn("freeze by %s[%d]: writing back the page cache of %s did not finish in %u s; its writes do not complete\n",
			current->comm, task_tgid_nr(current), h->name,
			jiffies_to_msecs(jf_param_drain_timeout()) / 1000);
		return -ETIMEDOUT;
	}
	if (cs->ret)
		pr_info("%s: writing back its page cache before the hold failed (error %d); going on\n",
			h->name, cs->ret);
	return 0;
}

/*
 * Write back the page cache of @nr devices, all at once, within the
 * drain's timeout.  On failure *@failed is the device that failed, or
 * stays NULL when none did (no memory).
 */
int jf_writeback_caches(struct jf_hold **holds, unsigned int nr,
			struct jf_hold **failed)
{
	unsigned long deadline = jiffies + jf_param_drain_timeout();
	struct jf_cache_sync **cs;
	unsigned int i;
	int ret = 0;

	cs = kcalloc(nr, sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	for (i = 0; i < nr && !ret; i++) {
		cs[i] = jf_cache_sync_start(holds[i]);
		if (IS_ERR(cs[i])) {
			ret = PTR_ERR(cs[i]);
			cs[i] = NULL;
			*failed = holds[i];
		}
	}
	for (i = 0; i < nr; i++) {
		if (!cs[i])
			continue;
		if (!ret) {
			ret = jf_cache_sync_wait(cs[i], holds[i], deadline);
			if (ret)
				*failed = holds[i];
		}
		kref_put(&cs[i]->kref, jf_cache_sync_free);
	}
	kfree(cs);
	return ret;
}
