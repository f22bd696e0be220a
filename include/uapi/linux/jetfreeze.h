/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * jetfreeze: drain and hold the writes of a set of block devices.
 *
 * This is the only header shared by the kernel module and userspace.
 *
 * Control node: /dev/jetfreeze (misc device, mode 0600).  A session is one
 * open file of the node.  Every command below takes a pointer to a struct
 * whose first member is its size.
 *
 * Extension rules (the copy_struct_from_user() contract):
 *  - A struct only ever grows at its end.  The command numbers encode the
 *    size of the first version (*_SIZE_VER0) and never change.
 *  - The caller sets @size to the size of the struct it was built with.
 *    A smaller (older) size is accepted: the kernel treats the missing tail
 *    as zero.  A larger (newer) size is accepted only if every byte the
 *    kernel does not know is zero, else E2BIG.  Sizes below VER0 give
 *    EINVAL.
 *  - Output is written up to min(@size, kernel size).
 *  - Every flags word and every field named reserved* must be zero on
 *    input, else EINVAL.  Unknown flag bits give EINVAL.
 *  - All fields are fixed width and naturally aligned with explicit
 *    padding, so 32-bit and 64-bit callers share one layout.  User
 *    pointers travel as __u64.
 *
 * Compatibility comes from adding commands, flags and fields, never from
 * changing old ones; JETFREEZE_ABI_MAJOR changes only if that promise is
 * ever broken.  JETFREEZE_IOC_VERSION reports the module's ABI and its
 * feature bits; test a feature bit before using what it names.
 */
#ifndef _UAPI_LINUX_JETFREEZE_H
#define _UAPI_LINUX_JETFREEZE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define JETFREEZE_NODE		"/dev/jetfreeze"
#define JETFREEZE_ABI_MAJOR	1
#define JETFREEZE_ABI_MINOR	2

/*
 * 0xB9 is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst;
 * we use numbers 0x00-0x1F.
 */
#define JETFREEZE_IOC_MAGIC	0xB9

/* Feature bits reported in jetfreeze_version.features. */
#define JETFREEZE_FEAT_FREEZE		(1ULL << 0)
#define JETFREEZE_FEAT_STATUS		(1ULL << 1)
#define JETFREEZE_FEAT_PERSIST		(1ULL << 2)	/* FREEZE_PERSIST + ADOPT */
#define JETFREEZE_FEAT_STAGES		(1ULL << 3)	/* jetfreeze_device.stage */
#define JETFREEZE_FEAT_HOLD_LIMITS	(1ULL << 4)
#define JETFREEZE_FEAT_FS_FREEZE	(1ULL << 5)	/* FREEZE_FS (ABI 1.1) */
#define JETFREEZE_FEAT_SNAPSHOT		(1ULL << 6)	/* SNAPSHOT_* (ABI 1.2) */

/**
 * struct jetfreeze_version - JETFREEZE_IOC_VERSION: ABI and limits
 * @size: in, sizeof(struct jetfreeze_version) as the caller knows it
 * @abi_major: out, JETFREEZE_ABI_MAJOR of the module
 * @abi_minor: out, JETFREEZE_ABI_MINOR of the module
 * @max_devices: out, most devices one FREEZE accepts
 * @features: out, JETFREEZE_FEAT_* bits
 * @default_timeout_ms: out, hold timeout when FREEZE passes 0
 * @max_timeout_ms: out, largest timeout FREEZE accepts
 * @max_held_bytes: out, module-wide cap on payload bytes held at once, all
 *	devices together; the device whose hold crosses it has its holds
 *	broken
 * @max_held_bios: out, the same for the number of held bios
 * @module_version: out, NUL-terminated module version string
 *
 * Needs no privilege beyond opening the node.
 */
struct jetfreeze_version {
	__u32 size;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 max_devices;
	__u64 features;
	__u32 default_timeout_ms;
	__u32 max_timeout_ms;
	__u64 max_held_bytes;
	__u64 max_held_bios;
	char module_version[32];
};
#define JETFREEZE_VERSION_SIZE_VER0	80

/**
 * struct jetfreeze_device - one block device of a FREEZE
 * @major: device number, major part
 * @minor: device number, minor part
 * @stage: freeze order.  Devices are frozen stage by stage in ascending
 *	order and thawed in descending order; put devices stacked on top of
 *	others (dm, md, loop) in a lower stage than the devices below them,
 *	so their in-flight writes can reach the lower devices and complete.
 *	Within a stage the module freezes bio-based devices before blk-mq
 *	ones.  All zero is fine for unrelated devices.
 * @reserved: must be zero
 */
struct jetfreeze_device {
	__u32 major;
	__u32 minor;
	__u32 stage;
	__u32 reserved;
};

/* FREEZE flags */
/*
 * The hold survives closing the file: it ends at its timeout, or when a
 * session that ADOPTed it thaws it or is closed.
 */
#define JETFREEZE_FREEZE_PERSIST	(1U << 0)
/*
 * Filesystem-consistent: before draining, freeze the filesystem on each
 * device as FIFREEZE does (it syncs and blocks new changes); thaw it as
 * soon as the devices hold.  The held image is then a cleanly frozen
 * filesystem that mounts without journal replay.  A device without a
 * filesystem is only synced.  EBUSY when a device is held by another
 * session already (its filesystem could not sync).  A filesystem whose
 * thaw writes (ext4 writes its superblock) finishes thawing only once the
 * hold ends: until then its writers wait at the filesystem, not below it.
 * Test JETFREEZE_FEAT_FS_FREEZE first.
 */
#define JETFREEZE_FREEZE_FS		(1U << 1)
#define JETFREEZE_FREEZE_FLAGS		(JETFREEZE_FREEZE_PERSIST | \
					 JETFREEZE_FREEZE_FS)

/**
 * struct jetfreeze_freeze - JETFREEZE_IOC_FREEZE: drain, flush and hold
 * @size: in, sizeof(struct jetfreeze_freeze) as the caller knows it
 * @flags: in, JETFREEZE_FREEZE_*
 * @timeout_ms: in, the hold ends (broken, JETFREEZE_BROKEN_TIMEOUT) this
 *	long after the freeze completed; 0 means the module default; more
 *	than jetfreeze_version.max_timeout_ms is EINVAL
 * @nr_devices: in, number of entries at @devices, 1..max_devices
 * @devices: in, user pointer to @nr_devices struct jetfreeze_device
 * @max_held_bytes: in, break this hold (JETFREEZE_BROKEN_HELD_BYTES) when
 *	one of its devices has held more bytes of payload since this hold
 *	began on it (what discards and the like name carries none); 0 means
 *	no limit of its own (the module-wide cap of jetfreeze_version still
 *	applies).  Only the hold whose own limit was crossed breaks.
 * @max_held_bios: in, the same for the number of held bios
 * @session_id: out, system-wide id of this hold (never 0, never reused
 *	while the module stays loaded)
 * @drain_ns: out, time spent draining in-flight writes and flushing
 * @failed_index: out, on failure the index of the device at fault, or
 *	~0U when the failure is not about one device
 * @reserved: must be zero
 *
 * Needs CAP_SYS_ADMIN.  All or nothing: on error nothing stays frozen.
 * On success every write submitted to the devices before the call has
 * completed and each device's write cache was flushed; from then on every
 * write, discard, write-zeroes, secure erase and zone command to them is
 * held (REQ_NOWAIT ones fail with EAGAIN) while reads pass.  Flushes that
 * carry no data pass (they cannot change what the devices hold), and so
 * do swap writes (swap is in no image).  Before anything is held, each
 * device's own page cache is written back.  A device another hold holds
 * already is joined; a device another FREEZE is still draining is joined
 * once that drain ends (or drained by this FREEZE, if that one failed).
 * Freezes of unrelated devices do not wait for each other.  A stacked
 * bio-based device whose driver counts a write only once it passes it
 * down (dm-crypt, dm-thin) is stable only with the devices below it frozen
 * in later stages; without any of them the kernel log warns.
 *
 * Errors: EPERM no CAP_SYS_ADMIN; EBUSY this session already holds, or
 * holds an ended hold not yet collected by THAW, or (FREEZE_FS) a device
 * another hold holds; EINVAL bad flags, reserved fields, timeout,
 * nr_devices 0, duplicate device; E2BIG too many devices; ENXIO/ENODEV no
 * such block device; EFAULT bad pointer; ETIMEDOUT in-flight writes did not
 * drain in time; EOPNOTSUPP a bio-based device that does not count its
 * writes in flight (I/O accounting off: queue/iostats 0), which cannot be
 * drained whatever else the freeze holds; EIO the cache flush failed;
 * EINTR fatal signal; ENOMEM.
 *
 * No write waits at a device more than 110 s (module parameter
 * hold_ceiling_sec, at most 110), counted from when the oldest hold on its
 * disk began (from the filesystem freeze with FREEZE_FS): a hold ends at
 * the earlier of that and its own timeout, so a hold that joins a device
 * held before it may end before its timeout.
 */
struct jetfreeze_freeze {
	__u32 size;
	__u32 flags;
	__u32 timeout_ms;
	__u32 nr_devices;
	__u64 devices;
	__u64 max_held_bytes;
	__u64 max_held_bios;
	__u64 session_id;
	__u64 drain_ns;
	__u32 failed_index;
	__u32 reserved;
};
#define JETFREEZE_FREEZE_SIZE_VER0	64

/* Why a hold ended before THAW (jetfreeze_thaw.broken, status entries). */
#define JETFREEZE_BROKEN_NONE		0
#define JETFREEZE_BROKEN_TIMEOUT	1	/* timeout_ms passed */
#define JETFREEZE_BROKEN_HELD_BYTES	2	/* a device held too many bytes */
#define JETFREEZE_BROKEN_HELD_BIOS	3	/* a device held too many bios */
#define JETFREEZE_BROKEN_DEVICE_REMOVED	4	/* a frozen device went away */
#define JETFREEZE_BROKEN_HOLDER_GONE	5	/* the holding file was closed */

/**
 * struct jetfreeze_thaw - JETFREEZE_IOC_THAW: end the hold, get its report
 * @size: in, sizeof(struct jetfreeze_thaw) as the caller knows it
 * @flags: in, must be zero
 * @session_id: out, the hold's id
 * @broken: out, JETFREEZE_BROKEN_*: anything but NONE means the devices
 *	were released before this call and a snapshot taken meanwhile must
 *	be discarded
 * @nr_devices: out, devices of the hold
 * @held_bios: out, write-class bios held on those devices during the hold
 * @held_bytes: out, their payload in bytes (discards and the like carry
 *	none)
 * @frozen_ns: out, from the end of FREEZE to the end of the hold
 * @release_ns: out, from the end of the hold until its devices had
 *	resubmitted what they held for it; if that takes longer than
 *	drain_timeout_sec, THAW returns then and this is the time so far
 *
 * Needs CAP_SYS_ADMIN.  Held bios are resubmitted in the order they were
 * submitted, each device on its own; a device keeps queueing new writes
 * behind the held ones until its queue is empty, so none overtakes them.  A hold that ended early (broken) is reported here once; the
 * session is then free for a new FREEZE.  ENOENT when the session holds
 * nothing and has no report pending.
 */
struct jetfreeze_thaw {
	__u32 size;
	__u32 flags;
	__u64 session_id;
	__u32 broken;
	__u32 nr_devices;
	__u64 held_bios;
	__u64 held_bytes;
	__u64 frozen_ns;
	__u64 release_ns;
};
#define JETFREEZE_THAW_SIZE_VER0	56

/* status entry flags */
#define JETFREEZE_STATUS_PERSIST	(1U << 0)	/* FREEZE_PERSIST hold */
#define JETFREEZE_STATUS_ATTACHED	(1U << 1)	/* a file owns the hold */

/* status entry states */
#define JETFREEZE_STATE_FROZEN		1	/* writes are held */
#define JETFREEZE_STATE_ENDED		2	/* released; report not collected */

/**
 * struct jetfreeze_status_entry - one device of one hold
 * @session_id: the hold's id
 * @major: device number, major part
 * @minor: device number, minor part
 * @holder_pid: pid (in the caller's pid namespace) of the process that
 *	froze, 0 when it is not visible there or has exited
 * @flags: JETFREEZE_STATUS_*
 * @state: JETFREEZE_STATE_*
 * @broken: JETFREEZE_BROKEN_* for an ended hold, else NONE
 * @frozen_since_ns: CLOCK_REALTIME when the freeze completed
 * @timeout_left_ms: time until the hold times out, 0 once ended
 * @held_bios: bios held on this device right now
 * @held_bytes: payload bytes held on this device right now
 * @holder_comm: NUL-terminated command name of the freezing process
 * @stage: the stage the device was frozen in
 * @reserved: zero
 */
struct jetfreeze_status_entry {
	__u64 session_id;
	__u32 major;
	__u32 minor;
	__s32 holder_pid;
	__u32 flags;
	__u32 state;
	__u32 broken;
	__u64 frozen_since_ns;
	__u64 timeout_left_ms;
	__u64 held_bios;
	__u64 held_bytes;
	char holder_comm[16];
	__u32 stage;
	__u32 reserved;
};
#define JETFREEZE_STATUS_ENTRY_SIZE_VER0	88

/**
 * struct jetfreeze_status - JETFREEZE_IOC_STATUS: every hold system-wide
 * @size: in, sizeof(struct jetfreeze_status) as the caller knows it
 * @flags: in, must be zero
 * @nr_entries: in, capacity of @entries; out, number of entries that
 *	exist (more than the capacity means the output was cut short)
 * @entry_size: in, sizeof(struct jetfreeze_status_entry) as the caller
 *	knows it (at least JETFREEZE_STATUS_ENTRY_SIZE_VER0); entries are
 *	written with that stride
 * @entries: in, user pointer to the entry array (may be 0 with capacity 0
 *	to ask for the count)
 *
 * Needs no privilege beyond opening the node.  Lists one entry per device
 * of every frozen hold and of every ended PERSIST hold whose report has
 * not been collected.
 */
struct jetfreeze_status {
	__u32 size;
	__u32 flags;
	__u32 nr_entries;
	__u32 entry_size;
	__u64 entries;
};
#define JETFREEZE_STATUS_SIZE_VER0	24

/**
 * struct jetfreeze_adopt - JETFREEZE_IOC_ADOPT: take over a PERSIST hold
 * @size: in, sizeof(struct jetfreeze_adopt) as the caller knows it
 * @flags: in, must be zero
 * @session_id: in, id of a PERSIST hold that no file owns
 *
 * Needs CAP_SYS_ADMIN.  The hold (frozen, or ended with a report pending)
 * moves to this file, which then THAWs it like its own; closing the file
 * ends it.  ENOENT no such hold; EBUSY another file owns it, or this
 * session already holds or has a report pending.
 */
struct jetfreeze_adopt {
	__u32 size;
	__u32 flags;
	__u64 session_id;
};
#define JETFREEZE_ADOPT_SIZE_VER0	16

/*
 * Copy-on-write snapshots (ABI 1.2, JETFREEZE_FEAT_SNAPSHOT).
 *
 * A snapshot covers a set of block devices (origins), taken at the freeze
 * point of one freeze: once their writes are drained, flushed and held,
 * copy-on-write is armed on all of them at once and the hold can end.
 * From then on a write-class bio (write, discard, write-zeroes) that
 * changes a chunk of an origin whose old content was not yet preserved
 * waits until that content was copied to the diff storage; reads of the
 * origin never wait.  Each origin gets an image block device that reads
 * back its content at the freeze point.
 *
 * Failure is loud and harmless: when the diff storage is full or fails, or
 * reading old content fails, the snapshot becomes FAILED; origin writes go
 * on unharmed and image reads fail with EIO.  An image is never silently
 * wrong.  Nothing survives a reboot.
 */
#define JETFREEZE_SNAPSHOT_NAME_LEN	32

/* SNAPSHOT_CREATE flags */
/*
 * The snapshot outlives the file that created it, until SNAPSHOT_DELETE
 * or its maximum lifetime (module parameter snapshot_max_lifetime_sec).
 * Without it, closing the file deletes the snapshot.
 */
#define JETFREEZE_SNAPSHOT_PERSIST	(1U << 0)
/*
 * Images accept writes, kept in the diff storage (a journal can be
 * replayed and the image mounted and checked).  Without it images are
 * read-only.
 */
#define JETFREEZE_SNAPSHOT_WRITABLE	(1U << 1)
/* The freeze that takes it also freezes the filesystems (FREEZE_FS). */
#define JETFREEZE_SNAPSHOT_FS		(1U << 2)
#define JETFREEZE_SNAPSHOT_FLAGS	(JETFREEZE_SNAPSHOT_PERSIST | \
					 JETFREEZE_SNAPSHOT_WRITABLE | \
					 JETFREEZE_SNAPSHOT_FS)

/**
 * struct jetfreeze_snapshot_image - one origin of a snapshot and its image
 * @origin_major: out, the origin's device number, major part
 * @origin_minor: out, minor part
 * @image_major: out, the image block device's number, major part
 * @image_minor: out, minor part
 * @image_name: out, NUL-terminated kernel name of the image (its node is
 *	/dev/<image_name> under udev)
 */
struct jetfreeze_snapshot_image {
	__u32 origin_major;
	__u32 origin_minor;
	__u32 image_major;
	__u32 image_minor;
	char image_name[32];
};
#define JETFREEZE_SNAPSHOT_IMAGE_SIZE_VER0	48

/**
 * struct jetfreeze_snapshot_create - JETFREEZE_IOC_SNAPSHOT_CREATE
 * @size: in, sizeof(struct jetfreeze_snapshot_create) as the caller knows it
 * @flags: in, JETFREEZE_SNAPSHOT_*
 * @nr_devices: in, entries at @devices, 1..max_devices
 * @nr_diff: in, file descriptors at @diff_fds, 1..16
 * @devices: in, user pointer to @nr_devices struct jetfreeze_device, with
 *	stages as FREEZE takes them: the first @nr_origins are the origins,
 *	the rest are only frozen with them (devices below a stacked origin
 *	that keep it stable while it drains) and get no image.  Writes of
 *	one device issued below an origin (to the disk under a dm origin)
 *	bypass it: snapshot the device that is written to
 * @diff_fds: in, user pointer to @nr_diff __s32 file descriptors of the
 *	diff storage, opened for reading and writing: block devices (claimed
 *	exclusively while the snapshot lives) or regular files (allocated to
 *	their size as they are)
 * @images: in, user pointer to room for one struct jetfreeze_snapshot_image
 *	per origin, written with stride @image_size
 * @image_size: in, sizeof(struct jetfreeze_snapshot_image) as the caller
 *	knows it, at least JETFREEZE_SNAPSHOT_IMAGE_SIZE_VER0
 * @chunk_kib: in, copy-on-write granule in KiB, a power of two from 4 to
 *	1024; 0: the module's default (parameter snapshot_chunk_kib)
 * @timeout_ms: in, on an idle session, the timeout of the freeze that takes
 *	the snapshot (as FREEZE's); must be 0 on a frozen session
 * @nr_origins: in, how many of @devices are origins, 0: all of them
 * @name: in/out, NUL-terminated name of up to 31 characters from
 *	[A-Za-z0-9._-], not starting with '.' or '-', unique system-wide;
 *	empty: the module names it "snap<id>"
 * @snapshot_id: out, system-wide id, never reused while the module stays
 *	loaded
 * @drain_ns: out, on an idle session the freeze's time to hold, as
 *	FREEZE's drain_ns (page-cache sync, filesystem freeze, drain, flush)
 * @hold_ns: out, on an idle session how long writes could wait: drain_ns
 *	plus the time from the end of the freeze to the end of the hold
 * @failed_index: out, on failure the index of the device (or, with
 *	JETFREEZE_SNAPSHOT_DIFF_INDEX set, of the diff storage) at fault,
 *	else ~0U
 * @reserved: must be zero
 *
 * Needs CAP_SYS_ADMIN.  On an idle session: freeze the devices (drain,
 * flush, hold), arm copy-on-write on every origin, end the hold, and add
 * the images.  On a frozen session: arm copy-on-write at its freeze point
 * on the origins, each of which must be one of the hold's devices (the
 * other entries are ignored); the hold stays until THAW.  The snapshot belongs to this file (closing
 * it deletes the snapshot) unless PERSIST.
 *
 * Errors: EPERM no CAP_SYS_ADMIN; EINVAL bad flags, reserved fields, name,
 * chunk size, counts, duplicate device or diff storage, a device the
 * frozen session does not hold; EEXIST a snapshot of that name exists;
 * EBUSY a device is in another snapshot, or is the diff storage of one, or
 * a diff storage is in use (an origin or the diff storage of another
 * snapshot, a block device claimed by another), or the session has an
 * ended hold whose report THAW has not collected; EXDEV a diff storage
 * lies on one of the origins' ranges (the module sees partitions of one
 * disk; a diff storage stacked on an origin, through dm, md or loop, is
 * the caller's to refuse, and fails the snapshot when its copy meets an
 * origin of the same snapshot); ETIMEDOUT, ENOBUFS, ENODEV the hold this
 * call made ended (timeout, limits, a removed device) before the snapshot
 * was armed; EFBIG an origin of 2^32 chunks or more;
 * EBADF a bad descriptor; ENOTBLK a diff storage is neither a block device
 * nor a regular file; ENOSPC a diff storage is smaller than one chunk, or
 * all of it than one chunk per origin; EOPNOTSUPP a zoned origin or diff
 * storage, or a diff storage file that cannot take direct I/O; EROFS a
 * diff storage not open for reading and writing; EINVAL also a diff
 * storage with larger logical blocks than an origin's;
 * and FREEZE's errors.  All or nothing: on error no snapshot exists and
 * nothing stays frozen that was not before.
 */
struct jetfreeze_snapshot_create {
	__u32 size;
	__u32 flags;
	__u32 nr_devices;
	__u32 nr_diff;
	__u64 devices;
	__u64 diff_fds;
	__u64 images;
	__u32 image_size;
	__u32 chunk_kib;
	__u32 timeout_ms;
	__u32 nr_origins;
	char name[JETFREEZE_SNAPSHOT_NAME_LEN];
	__u64 snapshot_id;
	__u64 drain_ns;
	__u64 hold_ns;
	__u32 failed_index;
	__u32 reserved;
};
#define JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0	120
/* in failed_index: the index is one of the diff storage, not a device */
#define JETFREEZE_SNAPSHOT_DIFF_INDEX	(1U << 31)

/**
 * struct jetfreeze_snapshot_delete - JETFREEZE_IOC_SNAPSHOT_DELETE
 * @size: in, sizeof(struct jetfreeze_snapshot_delete) as the caller knows it
 * @flags: in, must be zero
 * @name: in, the snapshot's name
 *
 * Needs CAP_SYS_ADMIN.  Deletes any snapshot, owned by a file or PERSIST:
 * its images go away (a mounted image fails its I/O from then on, as an
 * unplugged disk does) and everything it held is released.  ENOENT no
 * such snapshot.
 */
struct jetfreeze_snapshot_delete {
	__u32 size;
	__u32 flags;
	char name[JETFREEZE_SNAPSHOT_NAME_LEN];
};
#define JETFREEZE_SNAPSHOT_DELETE_SIZE_VER0	40

/* snapshot states */
#define JETFREEZE_SNAPSHOT_ACTIVE	1
#define JETFREEZE_SNAPSHOT_FAILED	2

/* snapshot entry flags */
#define JETFREEZE_SNAPSHOT_E_PERSIST	(1U << 0)
#define JETFREEZE_SNAPSHOT_E_WRITABLE	(1U << 1)
#define JETFREEZE_SNAPSHOT_E_ATTACHED	(1U << 2)	/* a file owns it */

/**
 * struct jetfreeze_snapshot_entry - one origin of one snapshot
 * @snapshot_id: the snapshot's id
 * @name: its name
 * @state: JETFREEZE_SNAPSHOT_ACTIVE or _FAILED
 * @error: for a failed snapshot the errno that failed it, else 0: ENOSPC
 *	the diff storage is full; EIO an origin read failed (or a diff write,
 *	which may also give the diff file's own errno: EDQUOT, ...); ENODEV
 *	an origin went away; ETIMEDOUT a copy took longer than the module's
 *	drain_timeout_sec; ETXTBSY swap was written to an origin; EXDEV the
 *	diff storage lies on an origin; EBUSY the diff storage's filesystem
 *	was frozen; ENOMEM
 * @flags: JETFREEZE_SNAPSHOT_E_*
 * @index: this origin's index in the snapshot
 * @nr_devices: origins in the snapshot
 * @chunk_bytes: the copy-on-write granule
 * @origin: the origin and its image, as SNAPSHOT_CREATE gives them
 * @created_ns: CLOCK_REALTIME when copy-on-write was armed, at the freeze
 *	point
 * @expires_ms: a PERSIST snapshot not owned by a file is deleted in this
 *	many ms; 0 for one owned by a file
 * @diff_used: bytes of diff storage in use, all origins together
 * @diff_size: bytes of diff storage, all origins together
 * @memory_bytes: kernel memory the snapshot uses, all origins together
 * @chunks_preserved: chunks of this origin copied to the diff storage
 * @cow_bios: writes to this origin that waited for a copy
 * @cow_wait_ns: the time they waited, summed
 * @hold_ns: how long writes were held to take the snapshot (0 when taken
 *	on a frozen session)
 */
struct jetfreeze_snapshot_entry {
	__u64 snapshot_id;
	char name[JETFREEZE_SNAPSHOT_NAME_LEN];
	__u32 state;
	__s32 error;
	__u32 flags;
	__u32 index;
	__u32 nr_devices;
	__u32 chunk_bytes;
	struct jetfreeze_snapshot_image origin;
	__u64 created_ns;
	__u64 expires_ms;
	__u64 diff_used;
	__u64 diff_size;
	__u64 memory_bytes;
	__u64 chunks_preserved;
	__u64 cow_bios;
	__u64 cow_wait_ns;
	__u64 hold_ns;
};
#define JETFREEZE_SNAPSHOT_ENTRY_SIZE_VER0	184

/**
 * struct jetfreeze_snapshot_list - JETFREEZE_IOC_SNAPSHOT_LIST
 * @size: in, sizeof(struct jetfreeze_snapshot_list) as the caller knows it
 * @flags: in, must be zero
 * @nr_entries: in, capacity of @entries; out, entries that exist (more than
 *	the capacity means the output was cut short)
 * @entry_size: in, sizeof(struct jetfreeze_snapshot_entry) as the caller
 *	knows it (at least JETFREEZE_SNAPSHOT_ENTRY_SIZE_VER0)
 * @entries: in, user pointer to the entry array (0 with capacity 0 asks for
 *	the count)
 *
 * Needs no privilege beyond opening the node.  One entry per origin of
 * every snapshot, snapshots in creation order.
 */
struct jetfreeze_snapshot_list {
	__u32 size;
	__u32 flags;
	__u32 nr_entries;
	__u32 entry_size;
	__u64 entries;
};
#define JETFREEZE_SNAPSHOT_LIST_SIZE_VER0	24

#define JETFREEZE_IOC_RW(nr, size) \
	_IOC(_IOC_READ | _IOC_WRITE, JETFREEZE_IOC_MAGIC, (nr), (size))

#define JETFREEZE_IOC_VERSION \
	JETFREEZE_IOC_RW(0x00, JETFREEZE_VERSION_SIZE_VER0)
#define JETFREEZE_IOC_FREEZE \
	JETFREEZE_IOC_RW(0x01, JETFREEZE_FREEZE_SIZE_VER0)
#define JETFREEZE_IOC_THAW \
	JETFREEZE_IOC_RW(0x02, JETFREEZE_THAW_SIZE_VER0)
#define JETFREEZE_IOC_STATUS \
	JETFREEZE_IOC_RW(0x03, JETFREEZE_STATUS_SIZE_VER0)
#define JETFREEZE_IOC_ADOPT \
	_IOC(_IOC_WRITE, JETFREEZE_IOC_MAGIC, 0x04, JETFREEZE_ADOPT_SIZE_VER0)
#define JETFREEZE_IOC_SNAPSHOT_CREATE \
	JETFREEZE_IOC_RW(0x05, JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0)
#define JETFREEZE_IOC_SNAPSHOT_DELETE \
	_IOC(_IOC_WRITE, JETFREEZE_IOC_MAGIC, 0x06, \
	     JETFREEZE_SNAPSHOT_DELETE_SIZE_VER0)
#define JETFREEZE_IOC_SNAPSHOT_LIST \
	JETFREEZE_IOC_RW(0x07, JETFREEZE_SNAPSHOT_LIST_SIZE_VER0)

#endif /* _UAPI_LINUX_JETFREEZE_H */
