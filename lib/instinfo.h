/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JET_INSTANCE_INFO arrays Freeze and GetFreezeInfo return.
 */
#ifndef JETFREEZE_INSTINFO_H
#define JETFREEZE_INSTINFO_H

#include <stdbool.h>

struct jf_session;

/*
 * The instances of @s, in instance order, each with its database files;
 * one allocation for JetFreeBuffer.  jf_g.lock held.  No instances: the W
 * array is NULL, the A array a zero-length allocation (ESE does both).
 * 0 or -ENOMEM.
 */
int jf_instinfo_build(struct jf_session *s, bool wide, unsigned long *count,
		      void **array);

#endif /* JETFREEZE_INSTINFO_H */
