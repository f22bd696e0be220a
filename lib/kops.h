/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel seam: everything the ESE layer asks of the kernel (the
 * /dev/jetfreeze session and the sysfs walk that finds the devices under a
 * file) goes through one ops table.  The default table is jfctl + devmap;
 * unit tests install their own and run every state of the snapshot state
 * machine without the module.
 *
 * All ops return -errno on failure.
 */
#ifndef JETFREEZE_KOPS_H
#define JETFREEZE_KOPS_H

#include <stdint.h>
#include <linux/jetfreeze.h>

struct jf_devset;

struct jf_kernel_ops {
	/* Open a kernel session: a file descriptor (O_CLOEXEC). */
	int (*open)(void *priv);
	void (*close)(void *priv, int fd);
	int (*version)(void *priv, int fd, struct jetfreeze_version *out);
	int (*freeze)(void *priv, int fd, const struct jetfreeze_device *devs,
		      unsigned int nr, uint32_t timeout_ms,
		      struct jetfreeze_freeze *out);
	int (*thaw)(void *priv, int fd, struct jetfreeze_thaw *out);
	/*
	 * Is hold @hold_id still holding?  1 yes, 0 no (it ended early; the
	 * reason comes with THAW), -errno when the kernel cannot say.
	 */
	int (*hold_active)(void *priv, int fd, uint64_t hold_id);
	/* Add the devices under @path (with their stacks) to @set. */
	int (*resolve)(void *priv, const char *path, struct jf_devset *set);
};

/* The table in force and its private pointer. */
const struct jf_kernel_ops *jf_kops(void **priv);

/* Install @ops (NULL: back to the default).  For unit tests. */
void jf_kops_set(const struct jf_kernel_ops *ops, void *priv);

#endif /* JETFREEZE_KOPS_H */
