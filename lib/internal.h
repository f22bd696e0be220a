/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by every file of libjetfreeze.  Nothing here is exported:
 * the library builds with -fvisibility=hidden and only JF_EXPORT symbols
 * listed in libjetfreeze.map leave it.
 */
#ifndef JETFREEZE_INTERNAL_H
#define JETFREEZE_INTERNAL_H

#include <stddef.h>

#define JF_EXPORT	__attribute__((visibility("default")))

#define JF_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* JETFREEZE_INTERNAL_H */
