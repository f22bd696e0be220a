/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * devmap: which block devices lie under a file, and in which order to
 * freeze them.
 *
 * Internal (installed nowhere); part of libjetfreeze-ctl.a for tools/.
 * All functions return 0 on success and -errno on failure.
 *
 * The environment variables JETFREEZE_SYSFS (default /sys) and
 * JETFREEZE_MOUNTINFO (default /proc/self/mountinfo) move the trees this
 * reads, so unit tests can run against fake ones.  Both are ignored in
 * setuid programs.
 */
#ifndef JETFREEZE_DEVMAP_H
#define JETFREEZE_DEVMAP_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/jetfreeze.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A block device node -> its dev_t; any other path -> the block device
 * holding the filesystem it lives on (st_dev; when st_dev is not a real
 * block device, e.g. btrfs or overlay, look the mount up in
 * /proc/self/mountinfo and resolve its source: a device path, a
 * UUID=/LABEL=/PARTUUID=/PARTLABEL= tag through libblkid, or an overlay's
 * upper directory); -ENOTBLK when no block device is under it (tmpfs, proc).
 * Multi-device filesystems (btrfs RAID) resolve to the device named in
 * mountinfo only.
 */
int jf_path_to_dev(const char *path, dev_t *out);

/* A growable set of devices with stages. */
struct jf_devset;

struct jf_devset *jf_devset_new(void);
void jf_devset_free(struct jf_devset *set);

/* Also add every device below @dev, each one stage deeper (see below). */
#define JF_DEVSET_STACK		(1U << 0)

/*
 * Add @dev.  With JF_DEVSET_STACK also every device below it (sysfs
 * slaves/, recursively; a loop device's backing file's device), each one
 * stage deeper than the device above it; when a device is reached along
 * several paths the deepest stage wins, so every device is frozen after
 * everything stacked on it.  Duplicates merge.
 */
int jf_devset_add(struct jf_devset *set, dev_t dev, unsigned int flags);

unsigned int jf_devset_count(const struct jf_devset *set);

/*
 * The devices, sorted by stage then device number; valid until the next
 * jf_devset_add() or jf_devset_free().
 */
const struct jetfreeze_device *jf_devset_devices(const struct jf_devset *set);

/*
 * The disk @dev is a partition of, from sysfs; @dev itself when it is not
 * a partition.  -ENODEV when sysfs does not know @dev.
 */
int jf_dev_whole_disk(dev_t dev, dev_t *whole);

/*
 * Does writing to @dev change what one of @devs holds?  It does when one
 * of them is @dev or lies under it: under a stacked device (sysfs slaves/,
 * recursively), under a loop device (its file's device), or the disk a
 * partition among those is on; and when one of them is a partition of a
 * disk found so, unless that disk was reached only through another of its
 * partitions (writing sda1 leaves sda2 alone).  0 no; -EXDEV yes, with
 * *index (may be NULL) the first such entry of @devs; -errno when the
 * stack under @dev cannot be walked.
 */
int jf_dev_lies_on(dev_t dev, const struct jetfreeze_device *devs,
		   unsigned int nr, unsigned int *index);

/*
 * The kernel name of @dev ("vdb1", "dm-0") from /sys/dev/block/M:m/uevent
 * DEVNAME.  -ERANGE when @len is too small.
 */
int jf_dev_name(dev_t dev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_DEVMAP_H */
