// SPDX-License-Identifier: GPL-2.0-only
/* 6.12: queue freeze variants outside lockdep's owner tracking */
#include <linux/blk-mq.h>

void jf_probe(struct request_queue *q)
{
	blk_freeze_queue_start_non_owner(q);
	blk_mq_unfreeze_queue_non_owner(q);
}
