// SPDX-License-Identifier: GPL-2.0-only
/* 6.5: blk_mode_t and holder ops; blkdev_put() takes the holder */
#include <linux/blkdev.h>

void jf_probe(dev_t devt);
void jf_probe(dev_t devt)
{
	struct block_device *bdev = blkdev_get_by_dev(devt, BLK_OPEN_READ,
						      NULL, NULL);

	blkdev_put(bdev, NULL);
}
