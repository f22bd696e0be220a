// SPDX-License-Identifier: GPL-2.0-only
/* 6.11: queue features in the limits; dm and md honour BLK_FEAT_IO_STAT */
#include <linux/blkdev.h>

blk_features_t jf_probe(void);
blk_features_t jf_probe(void)
{
	return BLK_FEAT_IO_STAT;
}
