/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jfctl: thin wrappers around the /dev/jetfreeze ioctls.
 *
 * Internal to the project (installed nowhere).  tools/ uses it through
 * libjetfreeze-ctl.a with -I$(TOP)/lib -I$(TOP)/include/uapi; that archive
 * also holds devmap.o, which needs -lblkid.
 *
 * Every function returns 0 (jfctl_open: a file descriptor) on success and
 * -errno on failure; none of them touches errno's meaning for the caller
 * beyond that, and none of them knows anything about ESE.
 */
#ifndef JETFREEZE_JFCTL_H
#define JETFREEZE_JFCTL_H

#include <stdint.h>
#include <linux/jetfreeze.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Open the control node O_RDWR | O_CLOEXEC.  The environment variable
 * JETFREEZE_NODE overrides JETFREEZE_NODE (ignored in setuid programs).
 * A session is the returned file: closing it ends any hold it owns.
 */
int jfctl_open(void);

int jfctl_version(int fd, struct jetfreeze_version *out);

/*
 * Drain, flush and hold @devs.  @out may be NULL; when given it receives the
 * kernel's answer, on failure too (failed_index is ~0U unless the kernel
 * named a device).
 */
int jfctl_freeze(int fd, const struct jetfreeze_device *devs, unsigned int nr,
		 uint32_t flags, uint32_t timeout_ms, uint64_t max_held_bytes,
		 uint64_t max_held_bios, struct jetfreeze_freeze *out);

/* End the hold of @fd (or collect the report of a hold that ended early). */
int jfctl_thaw(int fd, struct jetfreeze_thaw *out);

/*
 * Every hold system-wide, one entry per device.  *entries is malloc'd (NULL
 * when there are none) and the caller frees it.  Holds come and go while we
 * ask, so the call retries until the kernel's count fits the buffer.
 */
int jfctl_status(int fd, struct jetfreeze_status_entry **entries,
		 unsigned int *nr);

/* Take over a PERSIST hold that no file owns. */
int jfctl_adopt(int fd, uint64_t session_id);

/*
 * What SNAPSHOT_CREATE takes.  @devs: the first @nr_origins are the
 * origins (0: all of them), the rest are only frozen with them; @diff_fds:
 * the diff storage, opened for reading and writing; @name: NULL or "" lets
 * the module name the snapshot.
 */
struct jfctl_snapshot_req {
	const struct jetfreeze_device *devs;
	unsigned int nr_devices;
	unsigned int nr_origins;
	const int *diff_fds;
	unsigned int nr_diff;
	uint32_t flags;			/* JETFREEZE_SNAPSHOT_* */
	uint32_t chunk_kib;		/* 0: the module's default */
	uint32_t timeout_ms;		/* of the freeze; 0: the default */
	const char *name;
};

/*
 * Take a copy-on-write snapshot.  @images has room for one entry per origin
 * and receives the origins' images.  @out may be NULL; when given it
 * receives the kernel's answer, on failure too (failed_index is ~0U unless
 * the kernel named a device or, with JETFREEZE_SNAPSHOT_DIFF_INDEX, a diff
 * storage), and its name is always terminated.  -ENAMETOOLONG for a name
 * that does not fit, before asking the kernel.
 */
int jfctl_snapshot_create(int fd, const struct jfctl_snapshot_req *req,
			  struct jetfreeze_snapshot_image *images,
			  struct jetfreeze_snapshot_create *out);

/* Delete snapshot @name, whoever owns it. */
int jfctl_snapshot_delete(int fd, const char *name);

/*
 * Every snapshot system-wide, one entry per origin, as jfctl_status lists
 * holds (malloc'd, NULL when there are none, retried until the count
 * fits).  Names in the entries are always terminated.
 */
int jfctl_snapshot_list(int fd, struct jetfreeze_snapshot_entry **entries,
			unsigned int *nr);

/* "none", "timeout", "held-bytes", "held-bios", "device-removed",
 * "holder-gone", or "unknown". */
const char *jfctl_broken_str(uint32_t broken);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_JFCTL_H */
