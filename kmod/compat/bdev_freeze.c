// SPDX-License-Identifier: GPL-2.0-only
/* 6.8: freeze_bdev()/thaw_bdev() renamed bdev_freeze()/bdev_thaw() */
#include <linux/blkdev.h>

int jf_probe(struct block_device *bdev);
int jf_probe(struct block_device *bdev)
{
	return bdev_freeze(bdev) ?: bdev_thaw(bdev);
}
