/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every kernel API difference the module meets, in one place.
 *
 * The HAVE_* macros come from compat-config.h, written by probe.sh from
 * the compile probes in compat/ (one file per API, the file name is the
 * macro name).  Nothing outside this header tests a HAVE_* macro or a
 * kernel version.
 */
#ifndef JETFREEZE_COMPAT_H
#define JETFREEZE_COMPAT_H

#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/sched.h>

/*
 * Opening a block device by number, without claiming it: we only pin it so
 * it outlives our hold, whoever else has it open or mounted.
 *   6.9:  bdev_file_open_by_dev() returns a struct file, closed with fput()
 *   6.7:  bdev_open_by_dev() returns a struct bdev_handle
 *   6.5:  blkdev_get_by_dev() takes blk_mode_t and holder ops
 *   older: blkdev_get_by_dev(dev, fmode_t, holder)
 */
struct jf_bdev {
	struct block_device *bdev;
	void *handle;
};

static inline int jf_bdev_open(dev_t devt, struct jf_bdev *ref)
{
#if defined(HAVE_BDEV_FILE_OPEN_BY_DEV)
	struct file *file = bdev_file_open_by_dev(devt, BLK_OPEN_READ, NULL,
						  NULL);

	if (IS_ERR(file))
		return PTR_ERR(file);
	ref->handle = file;
	ref->bdev = file_bdev(file);
#elif defined(HAVE_BDEV_OPEN_BY_DEV)
	struct bdev_handle *handle = bdev_open_by_dev(devt, BLK_OPEN_READ,
						      NULL, NULL);

	if (IS_ERR(handle))
		return PTR_ERR(handle);
	ref->handle = handle;
	ref->bdev = handle->bdev;
#elif defined(HAVE_BLKDEV_GET_BY_DEV_HOLDER_OPS)
	struct block_device *bdev = blkdev_get_by_dev(devt, BLK_OPEN_READ,
						      NULL, NULL);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	ref->handle = NULL;
	ref->bdev = bdev;
#else
	struct block_device *bdev = blkdev_get_by_dev(devt, FMODE_READ, NULL);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	ref->handle = NULL;
	ref->bdev = bdev;
#endif
	return 0;
}

static inline void jf_bdev_close(struct jf_bdev *ref)
{
	if (!ref->bdev)
		return;
#if defined(HAVE_BDEV_FILE_OPEN_BY_DEV)
	fput(ref->handle);
#elif defined(HAVE_BDEV_OPEN_BY_DEV)
	bdev_release(ref->handle);
#elif defined(HAVE_BLKDEV_GET_BY_DEV_HOLDER_OPS)
	blkdev_put(ref->bdev, NULL);
#else
	blkdev_put(ref->bdev, FMODE_READ);
#endif
	ref->bdev = NULL;
	ref->handle = NULL;
}

/*
 * Freezing the filesystem on a block device (FIFREEZE's freeze), or only
 * syncing it when there is none.
 *   6.8:  bdev_freeze(), bdev_thaw()
 *   older: freeze_bdev(), thaw_bdev(), returning int since 5.11
 */
static inline int jf_fs_freeze(struct block_device *bdev)
{
#if defined(HAVE_BDEV_FREEZE)
	return bdev_freeze(bdev);
#else
	return freeze_bdev(bdev);
#endif
}

static inline int jf_fs_thaw(struct block_device *bdev)
{
#if defined(HAVE_BDEV_FREEZE)
	return bdev_thaw(bdev);
#else
	return thaw_bdev(bdev);
#endif
}

/*
 * Moving the traced function's return into our wrapper.
 *   6.2: renamed ftrace_regs_set_instruction_pointer()
 */
#if defined(HAVE_FTRACE_REGS_SET_INSTRUCTION_POINTER)
#define jf_ftrace_redirect(fregs, ip) \
	ftrace_regs_set_instruction_pointer(fregs, ip)
#else
#define jf_ftrace_redirect(fregs, ip) \
	ftrace_instruction_pointer_set(fregs, ip)
#endif

/*
 * The traced function's first argument, for the callback to look at the
 * bio before redirecting; NULL where it cannot be read, and then the
 * callback redirects every call.
 *   6.2: ftrace_regs_get_argument()
 *   older x86-64: struct ftrace_regs is a struct pt_regs, whose argument
 *          registers are saved in args mode too
 */
static inline void *jf_ftrace_first_arg(struct ftrace_regs *fregs)
{
#if defined(HAVE_FTRACE_REGS_GET_ARGUMENT)
	return (void *)ftrace_regs_get_argument(fregs, 0);
#elif defined(CONFIG_X86_64)
	return (void *)regs_get_kernel_argument(&fregs->regs, 0);
#else
	return NULL;
#endif
}

/* Livepatch's rule: full registers only where ftrace has no args mode. */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define JF_FTRACE_SAVE_REGS	0
#else
#define JF_FTRACE_SAVE_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

/*
 * A plug could carry "nowait" for every bio submitted under it; 6.1's
 * submit_bio_noacct() turns that into REQ_NOWAIT after our redirect ran.
 *   6.5: the plug flag is gone, REQ_NOWAIT is always on the bio
 */
static inline bool jf_bio_nowait(const struct bio *bio)
{
#if defined(HAVE_BLK_PLUG_NOWAIT)
	if (current->plug && current->plug->nowait)
		return true;
#endif
	return bio->bi_opf & REQ_NOWAIT;
}

/*
 * Whether a bio-based device counts its in-flight I/O per partition.
 *   6.11: BLK_FEAT_IO_STAT in the queue limits, honoured by dm and md
 *   older: the iostats queue flag, which md honours but dm ignores: dm
 *          always accounts there, with the flag clear
 */
static inline bool jf_bio_based_accounts(struct block_device *bdev)
{
	if (blk_queue_io_stat(bdev_get_queue(bdev)))
		return true;
#if defined(HAVE_BLK_FEAT_IO_STAT)
	return false;
#else
	{
		struct module *owner = bdev->bd_disk->fops->owner;

		return owner && !strcmp(module_name(owner), "dm_mod");
	}
#endif
}

/*
 * A bio-based disk of ours, with its block sizes; an ERR_PTR on failure.
 *   6.9:  blk_alloc_disk(limits, node), returning an ERR_PTR
 *   older: blk_alloc_disk(node), NULL on failure, limits set afterwards
 */
static inline struct gendisk *jf_alloc_disk(unsigned int logical,
					    unsigned int physical)
{
#if defined(HAVE_BLK_ALLOC_DISK_LIMITS)
	struct queue_limits lim = {
		.logical_block_size = logical,
		.physical_block_size = physical,
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);

	if (!disk)
		return ERR_PTR(-ENOMEM);
	blk_queue_logical_block_size(disk->queue, logical);
	blk_queue_physical_block_size(disk->queue, physical);
	return disk;
#endif
}

/* User pointers in our structs travel as __u64; s390 compat needs more. */
static inline void __user *jf_user_ptr(u64 v)
{
	if (in_compat_syscall())
		return compat_ptr((compat_uptr_t)v);
	return u64_to_user_ptr(v);
}

#endif /* JETFREEZE_COMPAT_H */
