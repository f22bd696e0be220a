// SPDX-License-Identifier: GPL-2.0-only
/*
 * The diff storage of a snapshot: where the content of origin chunks at
 * the freeze point goes before the origin overwrites it.
 *
 * The caller gives open files: block devices, or regular files on a
 * filesystem that is not part of the snapshot.  We reopen each for direct
 * I/O (a block device exclusively, so nothing mounts it meanwhile), cut it
 * into chunk-sized slots, and hand slots out in order: the storage fills
 * from the front and is never reused while the snapshot lives, so a full
 * storage is simply the last slot given.  Going through the file (not
 * around the filesystem to its blocks) keeps a filesystem's own metadata,
 * reflinks and relocation its business.
 */
#include "snapshot.h"

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/uio.h>

/*
 * Copies writing their diff storage, by task: a write of ours that comes
 * back into copy-on-write for one of the same snapshot's origins would
 * wait for itself.  cow.c asks, and fails the snapshot instead.
 */
struct jf_diff_io_mark {
	struct hlist_node node;
	struct task_struct *task;
	struct jf_snap *snap;
};

#define JF_MARK_BITS	4
static struct hlist_head jf_marks[1 << JF_MARK_BITS];
static DEFINE_SPINLOCK(jf_marks_lock);

static struct jf_diff_io_mark *jf_mark_find(void)
{
	struct jf_diff_io_mark *m;

	hlist_for_each_entry(m, &jf_marks[hash_ptr(current, JF_MARK_BITS)],
			     node)
		if (m->task == current)
			return m;
	return NULL;
}

/* The snapshot whose diff storage the current task writes, or NULL. */
struct jf_snap *jf_diff_io_current(void)
{
	struct jf_diff_io_mark *m;
	struct jf_snap *snap;

	spin_lock(&jf_marks_lock);
	m = jf_mark_find();
	snap = m ? m->snap : NULL;
	spin_unlock(&jf_marks_lock);
	return snap;
}

/* ---- opening ---------------------------------------------------------- */

/*
 * Reopen the caller's @fd for our own direct I/O.  The caller's open proves
 * its right to the file; ours adds O_DIRECT (copies must not sit in a page
 * cache whose writeback error nobody would see) and, for a block device,
 * O_EXCL: no filesystem mounts it while it is ours.
 */
int jf_diff_open(struct jf_snap *snap, int fd, struct jf_diff *diff)
{
	unsigned int flags = O_RDWR | O_DIRECT | O_LARGEFILE | O_NOATIME;
	struct file *user, *file;
	struct inode *inode;
	u64 size;
	int ret;

	user = fget(fd);
	if (!user)
		return -EBADF;
	inode = file_inode(user);
	ret = -ENOTBLK;
	if (S_ISBLK(inode->i_mode))
		flags |= O_EXCL;
	else if (!S_ISREG(inode->i_mode))
		goto out;
	ret = -EROFS;
	if (!(user->f_mode & FMODE_WRITE) || !(user->f_mode & FMODE_READ))
		goto out;

	file = dentry_open(&user->f_path, flags, current_cred());
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		/* a filesystem without direct I/O refuses the open */
		if (ret == -EINVAL)
			ret = -EOPNOTSUPP;
		goto out;
	}
	diff->file = file;
	diff->regular = S_ISREG(inode->i_mode);
	if (diff->regular) {
		/* may be NULL (tmpfs): then it lies on no block device */
		diff->bdev = inode->i_sb->s_bdev;
		if (diff->bdev) {
			diff->start = get_start_sect(diff->bdev);
			diff->nr_sects = bdev_nr_sectors(diff->bdev);
		}
		snprintf(diff->name, sizeof(diff->name), "file on %s",
			 inode->i_sb->s_id);
	} else {
		diff->bdev = I_BDEV(file->f_mapping->host);
		diff->start = get_start_sect(diff->bdev);
		diff->nr_sects = bdev_nr_sectors(diff->bdev);
		snprintf(diff->name, sizeof(diff->name), "%pg", diff->bdev);
		/* slots are rewritten in place, and copies are 512 B-aligned */
		ret = -EOPNOTSUPP;
		if (bdev_is_zoned(diff->bdev))
			goto out;
	}
	size = i_size_read(file->f_mapping->host);
	diff->nr_slots = size >> (snap->chunk_shift + SECTOR_SHIFT);
	ret = 0;
out:
	fput(user);
	return ret;
}

void jf_diff_close(struct jf_diff *diff)
{
	if (diff->file)
		fput(diff->file);
	diff->file = NULL;
}

/* ---- slots ------------------------------------------------------------ */

/* The next free slot, or -ENOSPC once every one was given. */
int jf_diff_alloc(struct jf_snap *snap, u64 *slot)
{
	u64 n = atomic64_inc_return(&snap->next_slot) - 1;

	if (n >= snap->nr_slots) {
		/* stay at the end: diff_used never passes diff_size */
		atomic64_set(&snap->next_slot, snap->nr_slots);
		return -ENOSPC;
	}
	*slot = n;
	return 0;
}

/*
 * Read or write @iter at byte @offset of slot @slot.  Sleeps; never on a
 * frozen filesystem, where it fails instead (a copy that waited for a
 * thaw would hold the origin's writes).
 */
int jf_diff_io(struct jf_snap *snap, u64 slot, u32 offset,
	       struct iov_iter *iter, bool write)
{
	size_t len = iov_iter_count(iter);
	struct jf_diff_io_mark mark;
	struct jf_diff *diff = NULL;
	struct super_block *sb;
	struct kiocb kiocb;
	unsigned int i;
	ssize_t ret;

	for (i = 0; i < snap->nr_diff; i++) {
		if (slot < snap->diff[i].first_slot + snap->diff[i].nr_slots) {
			diff = &snap->diff[i];
			break;
		}
	}
	if (WARN_ON_ONCE(!diff))
		return -EIO;

	init_sync_kiocb(&kiocb, diff->file);
	kiocb.ki_pos = ((slot - diff->first_slot) <<
			(snap->chunk_shift + SECTOR_SHIFT)) + offset;
	if (!write)
		return diff->file->f_op->read_iter(&kiocb, iter) == len ?
			0 : -EIO;

	sb = file_inode(diff->file)->i_sb;
	if (diff->regular && !sb_start_write_trylock(sb))
		return -EBUSY;
	mark.task = current;
	mark.snap = snap;
	spin_lock(&jf_marks_lock);
	hlist_add_head(&mark.node,
		       &jf_marks[hash_ptr(current, JF_MARK_BITS)]);
	spin_unlock(&jf_marks_lock);

	ret = diff->file->f_op->write_iter(&kiocb, iter);

	spin_lock(&jf_marks_lock);
	hlist_del(&mark.node);
	spin_unlock(&jf_marks_lock);
	if (diff->regular)
		sb_end_write(sb);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}
