// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copy-on-write: the write path of a snapshot's origins, and the copies.
 *
 * Every write-class bio the hold lets through comes here (submit.c).  When
 * it changes a chunk of an armed origin whose content at the freeze point
 * still lives only on the origin, the bio is taken: a copy of each such
 * chunk (an op) reads it from the origin and writes it to a diff slot, on
 * jf_cow_wq; the bio goes back into the submit path once every chunk it
 * touches is preserved.  A write to chunks already preserved goes straight
 * through, and reads never come here.
 *
 * The submitter is not blocked: like a held write, the bio waits in the
 * module, and its submitter goes on.  While it waits, a record in the
 * table of writes on their way (track.c) stands for it, with the age of
 * its submission, so that a freeze of the origin drains it like any write
 * in flight.
 *
 * Failure never harms the origin: when a copy cannot be made (diff storage
 * full or failing, origin read failing, no memory) the snapshot fails, and
 * every waiting write goes on at once (jf_cow_wake_all()).
 */
#include "snapshot.h"

#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

struct workqueue_struct *jf_cow_wq;

/* armed origins, searched by every write-class bio while any exists */
static LIST_HEAD(jf_origins);
static DEFINE_SPINLOCK(jf_origins_lock);
static atomic_t jf_nr_origins = ATOMIC_INIT(0);

/* One chunk being copied; the writes waiting for it hang on it. */
struct jf_cow_op {
	struct hlist_node node;		/* origin->ops */
	struct jf_origin *o;
	u64 chunk;
	unsigned long started;		/* jiffies: writes wait since */
	struct list_head waiters;	/* jf_cow_io.link */
	struct work_struct work;
};

/* One origin write waiting for its chunks, first to last. */
struct jf_cow_io {
	struct bio *bio;
	struct jf_origin *o;
	struct jf_dev *skip;		/* the hold that released it, if any */
	u64 cursor;			/* chunks before it are preserved */
	u64 last;
	struct list_head link;
	ktime_t start;
	struct jf_track track;		/* drains wait for it (track.c) */
};

static bool jf_snap_stopped(const struct jf_snap *snap)
{
	return jf_snap_error(snap) || READ_ONCE(snap->dead);
}

/* ---- the chunk map ------------------------------------------------------ */

static u32 jf_map_entry(struct jf_origin *o, u64 chunk)
{
	u32 *page = smp_load_acquire(&o->map[chunk / JF_MAP_PER_PAGE]);

	return page ? smp_load_acquire(&page[chunk % JF_MAP_PER_PAGE]) : 0;
}

/* The diff slot + 1 holding @chunk, or 0 while the origin holds it. */
u64 jf_map_get(struct jf_origin *o, u64 chunk)
{
	return jf_map_entry(o, chunk);
}

/* Under o->lock, the page allocated: @chunk is in slot @slot from now. */
static void jf_map_set(struct jf_origin *o, u64 chunk, u64 slot)
{
	u32 *page = o->map[chunk / JF_MAP_PER_PAGE];

	smp_store_release(&page[chunk % JF_MAP_PER_PAGE], (u32)(slot + 1));
}

static int jf_map_page_ensure(struct jf_origin *o, u64 chunk)
{
	u32 **slot = &o->map[chunk / JF_MAP_PER_PAGE];
	unsigned long flags;
	u32 *page;

	if (smp_load_acquire(slot))
		return 0;
	page = (u32 *)get_zeroed_page(GFP_NOIO | __GFP_NOWARN);
	if (!page)
		return -ENOMEM;
	spin_lock_irqsave(&o->lock, flags);
	if (!*slot) {
		smp_store_release(slot, page);
		o->nr_map_pages++;
		page = NULL;
	}
	spin_unlock_irqrestore(&o->lock, flags);
	if (page)
		free_page((unsigned long)page);
	return 0;
}

int jf_origin_map_init(struct jf_origin *o)
{
	unsigned long nr = DIV_ROUND_UP_ULL(o->nr_chunks, JF_MAP_PER_PAGE);

	spin_lock_init(&o->lock);
	hash_init(o->ops);
	/* slots are u32 entries: more chunks than that is not a snapshot */
	if (o->nr_chunks >= U32_MAX)
		return -EFBIG;
	o->map = kvcalloc(nr, sizeof(*o->map), GFP_KERNEL);
	return o->map ? 0 : -ENOMEM;
}

void jf_origin_map_free(struct jf_origin *o)
{
	unsigned long i, nr = DIV_ROUND_UP_ULL(o->nr_chunks, JF_MAP_PER_PAGE);

	if (!o->map)
		return;
	for (i = 0; i < nr; i++)
		if (o->map[i])
			free_page((unsigned long)o->map[i]);
	kvfree(o->map);
	o->map = NULL;
}

/* What the map of @o takes: the directory and the pages filled so far. */
size_t jf_origin_memory(struct jf_origin *o)
{
	unsigned long nr = DIV_ROUND_UP_ULL(o->nr_chunks, JF_MAP_PER_PAGE);

	return nr * sizeof(*o->map) + READ_ONCE(o->nr_map_pages) * PAGE_SIZE;
}

/* ---- copies --------------------------------------------------------------- */

static struct jf_cow_op *jf_op_find(struct jf_origin *o, u64 chunk)
{
	struct jf_cow_op *op;

	hash_for_each_possible(o->ops, op, node, chunk)
		if (op->chunk == chunk)
			return op;
	return NULL;
}

bool jf_cow_copying(struct jf_origin *o, u64 chunk)
{
	unsigned long flags;
	bool copying;

	spin_lock_irqsave(&o->lock, flags);
	copying = jf_op_find(o, chunk);
	spin_unlock_irqrestore(&o->lock, flags);
	return copying;
}

static void jf_cow_op_fn(struct work_struct *work);

/* Under o->lock: copy @chunk with @op. */
static void jf_op_start(struct jf_origin *o, struct jf_cow_op *op, u64 chunk)
{
	op->o = o;
	op->chunk = chunk;
	op->started = jiffies;
	INIT_LIST_HEAD(&op->waiters);
	INIT_WORK(&op->work, jf_cow_op_fn);
	hash_add(o->ops, &op->node, chunk);
	atomic_inc(&o->snap->inflight);
	queue_work(jf_cow_wq, &op->work);
}

/* Read @chunk of @o and write it to a new diff slot. */
static int jf_cow_copy(struct jf_origin *o, u64 chunk, u64 *slot)
{
	struct jf_snap *snap = o->snap;
	u32 len = jf_chunk_len(o, chunk);
	struct iov_iter iter;
	struct bio_vec bv;
	struct page *page;
	struct bio *bio;
	int ret;

	ret = jf_map_page_ensure(o, chunk);
	if (ret) {
		jf_snap_fail(snap, ret, "no memory for its chunk map");
		return ret;
	}
	ret = jf_diff_alloc(snap, slot);
	if (ret) {
		jf_snap_fail(snap, ret, "its diff storage is full");
		return ret;
	}

	/* the reserve: a copy always gets a buffer, if not at once */
	page = mempool_alloc(snap->buffers, GFP_NOIO);
	bio = bio_alloc(o->bdev, 1, REQ_OP_READ | REQ_SYNC, GFP_NOIO);
	bio->bi_iter.bi_sector = chunk << snap->chunk_shift;
	__bio_add_page(bio, page, len, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (ret) {
		jf_snap_fail(snap, -EIO, "reading its origin failed");
		goto out;
	}
	bvec_set_page(&bv, page, len, 0);
	iov_iter_bvec(&iter, ITER_SOURCE, &bv, 1, len);
	ret = jf_diff_io(snap, *slot, 0, &iter, true);
	if (ret)
		jf_snap_fail(snap, ret, "writing its diff storage failed");
out:
	mempool_free(page, snap->buffers);
	return ret;
}

static void jf_cow_advance(struct jf_cow_io *io);

static void jf_cow_op_fn(struct work_struct *work)
{
	struct jf_cow_op *op = container_of(work, struct jf_cow_op, work);
	struct jf_origin *o = op->o;
	struct jf_snap *snap = o->snap;
	struct jf_cow_io *io, *next;
	unsigned long flags;
	unsigned int noio;
	LIST_HEAD(waiters);
	u64 slot = 0;
	int ret = -ECANCELED;

	/* its writes may be what reclaim waits for */
	noio = memalloc_noio_save();
	if (!jf_snap_stopped(snap))
		ret = jf_cow_copy(o, op->chunk, &slot);
	memalloc_noio_restore(noio);

	spin_lock_irqsave(&o->lock, flags);
	if (!ret) {
		jf_map_set(o, op->chunk, slot);
		atomic64_inc(&o->chunks_preserved);
	}
	hash_del(&op->node);
	list_splice_init(&op->waiters, &waiters);
	spin_unlock_irqrestore(&o->lock, flags);
	wake_up_all(&snap->wait);

	list_for_each_entry_safe(io, next, &waiters, link) {
		list_del_init(&io->link);
		jf_cow_advance(io);
	}
	kfree(op);
	jf_snap_io_done(snap);
}

/*
 * Under o->lock: start copies of the chunks after the one @io waits for,
 * up to JF_COW_WINDOW ahead, so that a write over many chunks has them
 * copied side by side.  Best effort: what is not started now is started
 * when @io gets there.
 */
static void jf_cow_window(struct jf_origin *o, struct jf_cow_io *io)
{
	u64 c, end = min(io->last, io->cursor + JF_COW_WINDOW);
	struct jf_cow_op *op;

	for (c = io->cursor + 1; c <= end; c++) {
		if (jf_map_entry(o, c) || jf_op_find(o, c))
			continue;
		op = kmalloc(sizeof(*op), GFP_NOWAIT | __GFP_NOWARN);
		if (!op)
			return;
		jf_op_start(o, op, c);
	}
}

/* Every chunk of @io is preserved, or the snapshot stopped: let it go. */
static void jf_cow_io_done(struct jf_cow_io *io)
{
	struct jf_origin *o = io->o;
	struct jf_snap *snap = o->snap;

	atomic64_add(ktime_to_ns(ktime_sub(ktime_get(), io->start)),
		     &o->cow_wait_ns);
	/* back through the holds; copy-on-write lets it pass now */
	jf_submit_released(io->bio, io->skip);
	jf_track_end(&io->track);
	if (io->skip)
		jf_dev_put(io->skip);
	kfree(io);
	jf_snap_io_done(snap);
}

/*
 * Move @io's cursor past the chunks preserved; hang it on the copy of the
 * first one that is not, starting that copy if nobody has; or, when none
 * is left, send it on.
 */
static void jf_cow_advance(struct jf_cow_io *io)
{
	struct jf_origin *o = io->o;
	struct jf_snap *snap = o->snap;
	struct jf_cow_op *op, *spare = NULL;
	unsigned long flags;

	spin_lock_irqsave(&o->lock, flags);
	while (io->cursor <= io->last && !jf_snap_stopped(snap)) {
		if (jf_map_entry(o, io->cursor)) {
			io->cursor++;
			continue;
		}
		op = jf_op_find(o, io->cursor);
		if (!op) {
			op = spare ?: kmalloc(sizeof(*op),
					      GFP_NOWAIT | __GFP_NOWARN);
			spare = NULL;
			if (!op) {
				spin_unlock_irqrestore(&o->lock, flags);
				spare = kmalloc(sizeof(*op), GFP_NOIO);
				if (!spare) {
					jf_snap_fail(snap, -ENOMEM,
						     "no memory for a copy");
					jf_cow_io_done(io);
					return;
				}
				spin_lock_irqsave(&o->lock, flags);
				continue;
			}
			jf_op_start(o, op, io->cursor);
		}
		list_add_tail(&io->link, &op->waiters);
		jf_cow_window(o, io);
		spin_unlock_irqrestore(&o->lock, flags);
		kfree(spare);
		return;
	}
	spin_unlock_irqrestore(&o->lock, flags);
	kfree(spare);
	jf_cow_io_done(io);
}

/*
 * The snapshot failed or is being deleted: every write waiting for a copy
 * goes on now, whatever the copies still running do.
 */
void jf_cow_wake_all(struct jf_snap *snap)
{
	struct jf_cow_io *io, *next;
	struct jf_cow_op *op;
	unsigned long flags;
	unsigned int i, b;

	for (i = 0; i < snap->nr_origins; i++) {
		struct jf_origin *o = &snap->origins[i];
		LIST_HEAD(waiters);

		if (!o->map)
			continue;
		spin_lock_irqsave(&o->lock, flags);
		hash_for_each(o->ops, b, op, node)
			list_splice_init(&op->waiters, &waiters);
		spin_unlock_irqrestore(&o->lock, flags);
		list_for_each_entry_safe(io, next, &waiters, link) {
			list_del_init(&io->link);
			jf_cow_io_done(io);
		}
	}
	wake_up_all(&snap->wait);
}

/*
 * Has a copy of @snap been on its way longer than @limit jiffies?  A
 * diff storage or origin that stopped answering (a suspended dm device, a
 * lost path) would otherwise keep the writes waiting for it forever.
 */
bool jf_cow_overdue(struct jf_snap *snap, unsigned long limit)
{
	struct jf_cow_op *op;
	unsigned long flags;
	unsigned int i, b;
	bool late = false;

	for (i = 0; i < snap->nr_origins && !late; i++) {
		struct jf_origin *o = &snap->origins[i];

		spin_lock_irqsave(&o->lock, flags);
		hash_for_each(o->ops, b, op, node) {
			if (time_after(jiffies, op->started + limit)) {
				late = true;
				break;
			}
		}
		spin_unlock_irqrestore(&o->lock, flags);
	}
	return late;
}

/*
 * For an image write: make sure @chunk of @o is in the diff storage,
 * copying it if nobody does yet, and say where.  Sleeps.
 */
int jf_cow_preserve(struct jf_origin *o, u64 chunk, u64 *slot)
{
	struct jf_snap *snap = o->snap;
	struct jf_cow_op *op = NULL;
	unsigned long flags;
	u32 e;

	for (;;) {
		if (jf_snap_stopped(snap))
			break;
		e = jf_map_entry(o, chunk);
		if (e) {
			*slot = e - 1;
			kfree(op);
			return 0;
		}
		if (!op)
			op = kmalloc(sizeof(*op), GFP_NOIO);
		if (!op) {
			jf_snap_fail(snap, -ENOMEM, "no memory for a copy");
			break;
		}
		spin_lock_irqsave(&o->lock, flags);
		if (!jf_map_entry(o, chunk) && !jf_op_find(o, chunk)) {
			jf_op_start(o, op, chunk);
			op = NULL;
		}
		spin_unlock_irqrestore(&o->lock, flags);
		wait_event(snap->wait, jf_map_entry(o, chunk) ||
			   jf_snap_stopped(snap) || !jf_cow_copying(o, chunk));
	}
	kfree(op);
	return jf_snap_error(snap) ?: -EIO;
}

/* ---- the write path ------------------------------------------------------- */

/*
 * Where @bio writes on its disk: the block layer turns a partition's
 * sector into the disk's only once, and marks it.
 */
static sector_t jf_bio_disk_sector(struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector;

	if (!bio_flagged(bio, BIO_REMAPPED))
		sector += get_start_sect(bio->bi_bdev);
	return sector;
}

/* The chunks of @o that @bio changes; false if none. */
static bool jf_bio_chunks(struct bio *bio, const struct jf_origin *o,
			  u64 *first, u64 *last)
{
	sector_t start = jf_bio_disk_sector(bio);
	sector_t end = start + bio_sectors(bio);
	unsigned int shift = o->snap->chunk_shift;

	start = max(start, o->start);
	end = min(end, o->start + o->nr_sects);
	if (start >= end)
		return false;
	*first = (start - o->start) >> shift;
	*last = (end - 1 - o->start) >> shift;
	return true;
}

static bool jf_chunks_preserved(struct jf_origin *o, u64 first, u64 last)
{
	u64 c;

	for (c = first; c <= last; c++)
		if (!jf_map_entry(o, c))
			return false;
	return true;
}

/*
 * Under rcu_read_lock(): the first armed origin with chunks @bio changes
 * that are not preserved yet, counted in its snapshot's inflight.
 */
static struct jf_origin *jf_cow_find(struct bio *bio, u64 *first, u64 *last)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;
	struct jf_origin *o;

	list_for_each_entry_rcu(o, &jf_origins, node) {
		struct jf_snap *snap = o->snap;

		if (o->disk != disk || jf_snap_stopped(snap) ||
		    !jf_bio_chunks(bio, o, first, last) ||
		    jf_chunks_preserved(o, *first, *last))
			continue;
		atomic_inc(&snap->inflight);
		/* pairs with the barrier after setting dead */
		smp_mb__after_atomic();
		if (READ_ONCE(snap->dead)) {
			jf_snap_io_done(snap);
			continue;
		}
		return o;
	}
	return NULL;
}

/*
 * For every write-class bio the holds let through: true when copy-on-write
 * took it (or failed it, REQ_NOWAIT).  @t is the record of the write on its
 * way; @skip the hold that released it, if any.
 */
bool jf_cow_bio(struct bio *bio, struct jf_track *t, struct jf_dev *skip)
{
	struct jf_cow_io *io;
	struct jf_origin *o;
	struct jf_snap *snap;
	u64 first, last;

	if (likely(!atomic_read(&jf_nr_origins)))
		return false;
	if (!jf_bio_is_held_class(bio) && !jf_bio_is_swap_out(bio))
		return false;

	rcu_read_lock();
	o = jf_cow_find(bio, &first, &last);
	rcu_read_unlock();
	if (!o)
		return false;
	snap = o->snap;

	/* reclaim writing swap must not wait for a copy's allocations */
	if (bio->bi_opf & REQ_SWAP) {
		jf_snap_fail(snap, -ETXTBSY,
			     "swap was written to one of its origins");
		goto pass;
	}

	/* our own copy landing on an origin of ours would wait for itself */
	if (jf_diff_io_current() == snap) {
		jf_snap_fail(snap, -EXDEV,
			     "its diff storage lies on one of its origins");
		goto pass;
	}
	if (jf_bio_nowait(bio)) {
		jf_snap_io_done(snap);
		bio_wouldblock_error(bio);
		return true;
	}
	io = kmalloc(sizeof(*io), GFP_NOIO | __GFP_NOWARN);
	if (!io) {
		jf_snap_fail(snap, -ENOMEM, "no memory for a write to wait");
		goto pass;
	}
	io->bio = bio;
	io->o = o;
	io->skip = skip;
	if (skip)
		kref_get(&skip->kref);
	io->cursor = first;
	io->last = last;
	INIT_LIST_HEAD(&io->link);
	io->start = ktime_get();
	jf_track_keep(&io->track, t);
	atomic64_inc(&o->cow_bios);
	jf_cow_advance(io);
	return true;
pass:
	jf_snap_io_done(snap);
	return false;
}

/* ---- arming --------------------------------------------------------------- */

bool notrace jf_cow_armed(void)
{
	return atomic_read(&jf_nr_origins);
}

/*
 * The devices hold (their writes drained and queued): from now on every
 * write to an origin meets copy-on-write.  Nothing fails here.
 */
void jf_cow_arm(struct jf_snap *snap)
{
	unsigned int i;

	spin_lock(&jf_origins_lock);
	for (i = 0; i < snap->nr_origins; i++) {
		list_add_tail_rcu(&snap->origins[i].node, &jf_origins);
		atomic_inc(&jf_nr_origins);
	}
	spin_unlock(&jf_origins_lock);
}

/* No new write finds the origins once this returns. */
void jf_cow_disarm(struct jf_snap *snap)
{
	unsigned int i;

	spin_lock(&jf_origins_lock);
	for (i = 0; i < snap->nr_origins; i++) {
		list_del_rcu(&snap->origins[i].node);
		atomic_dec(&jf_nr_origins);
	}
	spin_unlock(&jf_origins_lock);
	synchronize_rcu();
}

int jf_cow_init(void)
{
	/*
	 * The writes waiting for copies may be the writeback reclaim waits
	 * for: a rescuer keeps the copies going when workers cannot be made.
	 */
	jf_cow_wq = alloc_workqueue("jetfreeze_cow",
				    WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_HIGHPRI,
				    0);
	return jf_cow_wq ? 0 : -ENOMEM;
}

void jf_cow_exit(void)
{
	destroy_workqueue(jf_cow_wq);
}
