// SPDX-License-Identifier: GPL-2.0-only
/*
 * The image of an origin: a bio-based block device that reads back the
 * origin's content at the freeze point.  A chunk already preserved is read
 * from the diff storage; any other from the origin itself, and checked
 * afterwards: if the chunk was preserved meanwhile (the origin may have
 * changed under the read), it is read again from the diff storage.  Once
 * the snapshot failed, every image I/O fails: an image is never silently
 * wrong.
 *
 * A writable image keeps what is written to it in the diff storage: the
 * chunk is preserved first, then changed in its slot.
 *
 * Image bios are served by workers (jf_image_wq), never in the submitter's
 * context: reading a file there could wait on bios our submitter holds.
 */
#include "snapshot.h"

#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

static struct workqueue_struct *jf_image_wq;

struct jf_image_io {
	struct bio *bio;
	struct jf_origin *o;
	struct work_struct work;
};

/* The bio's pages for the @len bytes at @iter, as a bvec array. */
static struct bio_vec *jf_image_bvecs(struct bio *bio, struct bvec_iter iter,
				      u32 len, struct bio_vec *small,
				      unsigned int nr_small, unsigned int *nr)
{
	struct bvec_iter it;
	struct bio_vec bv, *bvecs = small;
	unsigned int n = 0;

	iter.bi_size = len;
	__bio_for_each_segment(bv, bio, it, iter)
		n++;
	if (n > nr_small) {
		bvecs = kmalloc_array(n, sizeof(*bvecs), GFP_NOIO);
		if (!bvecs)
			return NULL;
	}
	n = 0;
	__bio_for_each_segment(bv, bio, it, iter)
		bvecs[n++] = bv;
	*nr = n;
	return bvecs;
}

static bool jf_image_stopped(struct jf_snap *snap)
{
	return jf_snap_error(snap) || READ_ONCE(snap->dead);
}

/*
 * Read the origin's bytes at @off of @chunk straight into @bvecs, in bios
 * of at most BIO_MAX_VECS vectors (a chunk may span more pages than that).
 */
static int jf_image_read_origin(struct jf_origin *o, u64 chunk, u32 off,
				struct bio_vec *bvecs, unsigned int nr)
{
	sector_t sector = (chunk << o->snap->chunk_shift) +
			  (off >> SECTOR_SHIFT);
	unsigned int i, n;
	struct bio *bio;
	int ret = 0;

	while (nr && !ret) {
		n = min(nr, BIO_MAX_VECS);
		bio = bio_alloc(o->bdev, n, REQ_OP_READ, GFP_NOIO);
		bio->bi_iter.bi_sector = sector;
		for (i = 0; i < n; i++)
			__bio_add_page(bio, bvecs[i].bv_page, bvecs[i].bv_len,
				       bvecs[i].bv_offset);
		sector += bio_sectors(bio);
		ret = submit_bio_wait(bio);
		bio_put(bio);
		bvecs += n;
		nr -= n;
	}
	return ret;
}

static int jf_image_read(struct jf_origin *o, u64 chunk, u32 off, u32 len,
			 struct bio_vec *bvecs, unsigned int nr)
{
	struct jf_snap *snap = o->snap;
	struct iov_iter iter;
	u64 e;

	for (;;) {
		if (jf_image_stopped(snap))
			return -EIO;
		e = jf_map_get(o, chunk);
		if (e) {
			iov_iter_bvec(&iter, ITER_DEST, bvecs, nr, len);
			if (jf_diff_io(snap, e - 1, off, &iter, false))
				return -EIO;
			/* a failure may have come from the slot's own copy */
			return jf_image_stopped(snap) ? -EIO : 0;
		}
		if (jf_image_read_origin(o, chunk, off, bvecs, nr))
			return -EIO;
		/*
		 * An origin write to this chunk goes out only once the map
		 * says where its old content went: if the map still says
		 * "origin" after our read completed, we read the old content.
		 * Once the snapshot failed, writes pass unchecked.
		 */
		if (!jf_map_get(o, chunk))
			return jf_image_stopped(snap) ? -EIO : 0;
	}
}

static int jf_image_write(struct jf_origin *o, u64 chunk, u32 off, u32 len,
			  struct bio_vec *bvecs, unsigned int nr)
{
	struct iov_iter iter;
	u64 slot;
	int ret;

	ret = jf_cow_preserve(o, chunk, &slot);
	if (ret)
		return ret;
	iov_iter_bvec(&iter, ITER_SOURCE, bvecs, nr, len);
	return jf_diff_io(o->snap, slot, off, &iter, true);
}

static void jf_image_io_fn(struct work_struct *work)
{
	struct jf_image_io *io = container_of(work, struct jf_image_io, work);
	struct jf_origin *o = io->o;
	struct jf_snap *snap = o->snap;
	struct bio *bio = io->bio;
	struct bvec_iter iter = bio->bi_iter;
	bool write = op_is_write(bio_op(bio));
	u64 mask = (1ULL << snap->chunk_shift) - 1;
	struct bio_vec small[16], *bvecs;
	unsigned int noio, nr;
	int ret = 0;

	noio = memalloc_noio_save();
	while (iter.bi_size && !ret) {
		u64 chunk = iter.bi_sector >> snap->chunk_shift;
		u32 off = (iter.bi_sector & mask) << SECTOR_SHIFT;
		u32 len = min_t(u32, iter.bi_size,
				jf_chunk_len(o, chunk) - off);

		bvecs = jf_image_bvecs(bio, iter, len, small,
				       ARRAY_SIZE(small), &nr);
		if (!bvecs) {
			ret = -ENOMEM;
			break;
		}
		ret = write ? jf_image_write(o, chunk, off, len, bvecs, nr) :
			      jf_image_read(o, chunk, off, len, bvecs, nr);
		if (bvecs != small)
			kfree(bvecs);
		bio_advance_iter(bio, &iter, len);
	}
	memalloc_noio_restore(noio);

	bio->bi_status = errno_to_blk_status(ret);
	bio_endio(bio);
	kfree(io);
	jf_snap_io_done(snap);
}

static void jf_image_submit_bio(struct bio *bio)
{
	struct jf_origin *o = bio->bi_bdev->bd_disk->private_data;
	struct jf_snap *snap = o->snap;
	struct jf_image_io *io;

	if (jf_image_stopped(snap)) {
		bio_io_error(bio);
		return;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		break;
	case REQ_OP_WRITE:
		/* the block layer only warns about writes to a read-only disk */
		if (!(snap->flags & JETFREEZE_SNAPSHOT_WRITABLE)) {
			bio_io_error(bio);
			return;
		}
		/* copies are written with direct I/O: nothing to flush */
		if (!bio_sectors(bio)) {
			bio_endio(bio);
			return;
		}
		break;
	case REQ_OP_FLUSH:
		bio_endio(bio);
		return;
	default:
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		return;
	}
	io = kmalloc(sizeof(*io), GFP_NOIO);
	if (!io) {
		bio->bi_status = BLK_STS_RESOURCE;
		bio_endio(bio);
		return;
	}
	io->bio = bio;
	io->o = o;
	INIT_WORK(&io->work, jf_image_io_fn);
	/* del_gendisk() waits for us to return: deleting then waits for it */
	atomic_inc(&snap->inflight);
	queue_work(jf_image_wq, &io->work);
}

static const struct block_device_operations jf_image_fops = {
	.owner = THIS_MODULE,
	.submit_bio = jf_image_submit_bio,
};

/* Before the freeze: the image, not yet visible. */
int jf_image_alloc(struct jf_origin *o)
{
	struct gendisk *disk;

	disk = jf_alloc_disk(bdev_logical_block_size(o->bdev),
			     bdev_physical_block_size(o->bdev));
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	/* major 0, no minors: numbers from the extended range, partitions too */
	disk->fops = &jf_image_fops;
	disk->private_data = o;
	snprintf(disk->disk_name, DISK_NAME_LEN, "jfsnap%llu-%u",
		 o->snap->id, o->index);
	strscpy(o->image_name, disk->disk_name, sizeof(o->image_name));
	set_capacity(disk, o->nr_sects);
	set_disk_ro(disk, !(o->snap->flags & JETFREEZE_SNAPSHOT_WRITABLE));
	o->image = disk;
	return 0;
}

/* Copy-on-write armed: the image may be read. */
int jf_image_add(struct jf_origin *o)
{
	int ret = add_disk(o->image);

	if (!ret)
		o->image_added = true;
	return ret;
}

/*
 * No new image I/O once this returns; what was queued before still runs
 * (the snapshot's inflight count waits for it).
 */
void jf_image_remove(struct jf_origin *o)
{
	if (!o->image)
		return;
	if (o->image_added)
		del_gendisk(o->image);
	o->image_added = false;
}

void jf_image_put(struct jf_origin *o)
{
	if (o->image)
		put_disk(o->image);
	o->image = NULL;
}

int jf_image_init(void)
{
	jf_image_wq = alloc_workqueue("jetfreeze_image", WQ_UNBOUND, 0);
	return jf_image_wq ? 0 : -ENOMEM;
}

void jf_image_exit(void)
{
	destroy_workqueue(jf_image_wq);
}
