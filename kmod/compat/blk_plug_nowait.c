// SPDX-License-Identifier: GPL-2.0-only
/* before 6.5: a plug may ask for REQ_NOWAIT on every bio under it */
#include <linux/blkdev.h>

bool jf_probe(struct blk_plug *plug);
bool jf_probe(struct blk_plug *plug)
{
	return plug->nowait;
}
