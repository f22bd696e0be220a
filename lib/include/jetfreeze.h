/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <jetfreeze.h>: Microsoft ESE's JetOSSnapshot* API on Linux.
 * (The API arrives with the ESE layer; for now only the version.)
 */
#ifndef JETFREEZE_H
#define JETFREEZE_H

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0": the package version this library was built from. */
const char *jetfreeze_library_version(void);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_H */
