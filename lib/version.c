// SPDX-License-Identifier: LGPL-2.1-or-later
/* The package version, for logs and `jetfreeze version`. */
#include <jetfreeze.h>

#include "internal.h"

JF_EXPORT const char *jetfreeze_library_version(void)
{
	return JETFREEZE_VERSION;
}
