// SPDX-License-Identifier: GPL-2.0-only
/* 6.7: struct bdev_handle, released with bdev_release() */
#include <linux/blkdev.h>

void jf_probe(dev_t devt);
void jf_probe(dev_t devt)
{
	struct bdev_handle *handle = bdev_open_by_dev(devt, BLK_OPEN_READ,
						      NULL, NULL);

	bdev_release(handle);
}
