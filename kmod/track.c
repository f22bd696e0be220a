// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes on their way through submit_bio_noacct(), by device.
 *
 * Between our decision to let a write through and the moment a drain can
 * see it (a blk-mq request holding a queue reference, or a bio a bio-based
 * driver has counted), its submitter can sleep: in a mempool, in front of
 * a queue someone else froze.  A freeze must wait for such writes to the
 * devices it freezes, and only for those: a writer stuck on another device
 * must neither delay nor fail it.
 *
 * So every redirected write records itself, on its submitter's stack, in a
 * table hashed by task, with the disk it goes to.  A stacked driver (dm,
 * md) sends its bios down from inside the outermost call (current->bio_list
 * is set then), and that call dispatches them before it returns: those
 * nested calls add their disk to the outermost record instead of making
 * records of their own.  Past JF_TRACK_DISKS disks (a stripe over many)
 * the record stands for every disk.  A drain waits until no record older than the
 * drain names one of its disks.
 *
 * The records also keep module unload safe (a submitter sleeping in the
 * original function returns into our text), and a record older than two
 * seconds pins the module, so that rmmod is refused rather than left
 * waiting for a submitter that may never come back.
 */
#include "jetfreeze.h"

#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/sched/signal.h>

#define JF_TRACK_BITS		8
#define JF_TRACK_PIN_AFTER	(2 * HZ)
#define JF_TRACK_LOG_EVERY	(10 * HZ)

struct jf_track_bucket {
	spinlock_t lock;
	struct hlist_head head;
} ____cacheline_aligned_in_smp;

static struct jf_track_bucket jf_tracks[1 << JF_TRACK_BITS];
/* bumped by each drain: records older than a drain are the ones it waits on */
static atomic_long_t jf_track_gen = ATOMIC_LONG_INIT(0);

static void jf_track_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(jf_track_watch, jf_track_watch_fn);

static struct jf_track_bucket *jf_track_bucket(const void *key)
{
	return &jf_tracks[hash_ptr(key, JF_TRACK_BITS)];
}

/* Under the bucket lock. */
static void jf_track_note(struct jf_track *t, struct gendisk *disk)
{
	unsigned int i, n = min_t(unsigned int, t->nr_disks, JF_TRACK_DISKS);

	for (i = 0; i < n; i++)
		if (t->disks[i] == disk)
			return;
	if (t->nr_disks < JF_TRACK_DISKS)
		t->disks[t->nr_disks] = disk;
	/* past JF_TRACK_DISKS the record stands for every disk */
	if (t->nr_disks <= JF_TRACK_DISKS)
		t->nr_disks++;
}

/*
 * Record a write to @disk before deciding whether to hold it.  Returns the
 * record that covers it: @self when this is the outermost call of the task,
 * which must then call jf_track_end(), or the outer call's record.  @skip,
 * the device releasing the bio of an outermost call, stays with the record
 * for the calls nested in it: the pieces of a released bio the block layer
 * or a stacked driver resubmits keep its place.
 *
 * A drain publishes its hold before it scans the table under the bucket
 * locks, and we decide after taking our bucket's lock: either the scan
 * sees this record, or we see the hold.
 */
struct jf_track *jf_track_begin(struct jf_track *self, struct gendisk *disk,
				struct jf_dev *skip)
{
	struct jf_track_bucket *b = jf_track_bucket(current);
	struct jf_track *t;

	spin_lock(&b->lock);
	if (current->bio_list) {
		/* newest first: an inner outermost call shadows an outer one */
		hlist_for_each_entry(t, &b->head, node) {
			if (t->key == current) {
				jf_track_note(t, disk);
				spin_unlock(&b->lock);
				return t;
			}
		}
	}
	self->key = current;
	self->skip = skip;
	/* acquire: a drain's hold, published before its bump, is seen */
	self->gen = atomic_long_read_acquire(&jf_track_gen);
	self->since = jiffies;
	self->pinned = false;
	self->nr_disks = 1;
	self->disks[0] = disk;
	hlist_add_head(&self->node, &b->head);
	spin_unlock(&b->lock);
	return self;
}

/*
 * A write the module keeps after its submitter returned (copy-on-write
 * makes it wait for a copy): @kept, in the module's memory, goes on
 * standing for it with the age and disks of @from, the record of its
 * submission, until jf_track_end(@kept) once it was sent on.  No task
 * nests in it.
 */
void jf_track_keep(struct jf_track *kept, const struct jf_track *from)
{
	struct jf_track_bucket *b = jf_track_bucket(kept);

	kept->key = kept;
	kept->skip = NULL;
	kept->gen = from->gen;
	kept->since = from->since;
	kept->pinned = false;
	kept->nr_disks = from->nr_disks;
	memcpy(kept->disks, from->disks, sizeof(kept->disks));
	spin_lock(&b->lock);
	hlist_add_head(&kept->node, &b->head);
	spin_unlock(&b->lock);
}

void jf_track_end(struct jf_track *self)
{
	struct jf_track_bucket *b = jf_track_bucket(self->key);

	spin_lock(&b->lock);
	/* before the record goes: while it is there, unload waits for us */
	if (self->pinned)
		module_put(THIS_MODULE);
	hlist_del(&self->node);
	spin_unlock(&b->lock);
}

static bool jf_track_covers(const struct jf_track *t, struct gendisk **disks,
			    unsigned int nr)
{
	unsigned int i, j;

	if (t->nr_disks > JF_TRACK_DISKS)
		return true;
	for (i = 0; i < t->nr_disks; i++)
		for (j = 0; j < nr; j++)
			if (t->disks[i] == disks[j])
				return true;
	return false;
}

/* Is a record older than @gen still there for one of @disks? */
static bool jf_track_busy(struct gendisk **disks, unsigned int nr, long gen)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(jf_tracks); i++) {
		struct jf_track_bucket *b = &jf_tracks[i];
		struct jf_track *t;
		bool busy = false;

		spin_lock(&b->lock);
		hlist_for_each_entry(t, &b->head, node) {
			if ((long)(t->gen - gen) < 0 &&
			    jf_track_covers(t, disks, nr)) {
				busy = true;
				break;
			}
		}
		spin_unlock(&b->lock);
		if (busy)
			return true;
	}
	return false;
}

/*
 * Wait until every write to @disks that was on its way when this was
 * called has left submit_bio_noacct(); the disks hold already.  Bounded by
 * @deadline (-ETIMEDOUT) and by a fatal signal (-EINTR).
 */
int jf_track_wait(struct gendisk **disks, unsigned int nr,
		  unsigned long deadline)
{
	/* a full barrier: our holds, published before, are seen by newer records */
	long gen = atomic_long_inc_return(&jf_track_gen);

	while (jf_track_busy(disks, nr, gen)) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (time_after_eq(jiffies, deadline))
			return -ETIMEDOUT;
		/* not msleep(): writers wait behind a freeze */
		usleep_range(100, 200);
	}
	return 0;
}

/* Pin the module for records that stay: rmmod is refused while they do. */
static void jf_track_watch_fn(struct work_struct *work)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(jf_tracks); i++) {
		struct jf_track_bucket *b = &jf_tracks[i];
		struct jf_track *t;

		spin_lock(&b->lock);
		hlist_for_each_entry(t, &b->head, node) {
			if (t->pinned ||
			    time_before(jiffies, t->since + JF_TRACK_PIN_AFTER))
				continue;
			/* fails once unloading began: then unload waits */
			t->pinned = try_module_get(THIS_MODULE);
		}
		spin_unlock(&b->lock);
	}
	queue_delayed_work(jf_wq, &jf_track_watch, HZ);
}

int jf_track_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(jf_tracks); i++) {
		spin_lock_init(&jf_tracks[i].lock);
		INIT_HLIST_HEAD(&jf_tracks[i].head);
	}
	queue_delayed_work(jf_wq, &jf_track_watch, HZ);
	return 0;
}

/* Unpinned records left, and the name of one of their disks. */
static unsigned int jf_track_count(char *name, size_t len)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(jf_tracks); i++) {
		struct jf_track_bucket *b = &jf_tracks[i];
		struct jf_track *t;

		spin_lock(&b->lock);
		hlist_for_each_entry(t, &b->head, node) {
			if (!n++)
				strscpy(name, t->disks[0]->disk_name, len);
		}
		spin_unlock(&b->lock);
	}
	return n;
}

/*
 * Module unload, the hook gone and every task past its trampoline: wait
 * for the submitters still in submit_bio_noacct() under our frames.  Only
 * those that went in less than two seconds ago can be here (older ones pin
 * the module), so this normally ends at once; if one of them stays stuck,
 * say so now and then.
 */
void jf_track_exit(void)
{
	unsigned long next_log = jiffies + JF_TRACK_LOG_EVERY;
	char name[DISK_NAME_LEN];
	unsigned int n;

	cancel_delayed_work_sync(&jf_track_watch);
	while ((n = jf_track_count(name, sizeof(name)))) {
		if (time_after_eq(jiffies, next_log)) {
			pr_warn("unloading waits for %u write%s still being submitted (to %s, ...)\n",
				n, n == 1 ? "" : "s", name);
			next_log = jiffies + JF_TRACK_LOG_EVERY;
		}
		msleep(20);
	}
}
