// SPDX-License-Identifier: GPL-2.0-only
/* 6.9: block devices are opened as files */
#include <linux/blkdev.h>
#include <linux/fs.h>

struct block_device *jf_probe(dev_t devt);
struct block_device *jf_probe(dev_t devt)
{
	struct file *file = bdev_file_open_by_dev(devt, BLK_OPEN_READ, NULL,
						  NULL);

	return file_bdev(file);
}
