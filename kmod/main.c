// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze: drain and hold the writes of a set of block devices while a
 * snapshot is taken, reads flowing, every hold bounded in time and memory.
 */
#include "jetfreeze.h"

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

DEFINE_MUTEX(jf_lock);
struct workqueue_struct *jf_wq;
struct workqueue_struct *jf_release_wq;
struct workqueue_struct *jf_wait_wq;
struct workqueue_struct *jf_sync_wq;

static unsigned int default_timeout_sec = 10;
static unsigned int max_timeout_sec = 70;
static unsigned int drain_timeout_sec = 30;
static unsigned int hold_ceiling_sec = JF_TIMEOUT_CEILING_SEC;
static unsigned int max_held_mib;
static unsigned int max_held_bios = 262144;
static unsigned int max_devices = 256;
static unsigned int snapshot_chunk_kib = 64;
static unsigned int snapshot_max_lifetime_sec = 86400;

static int jf_param_set_range(const char *val, const struct kernel_param *kp,
			      unsigned int lo, unsigned int hi)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < lo || v > hi)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int jf_param_set_seconds(const char *val, const struct kernel_param *kp)
{
	return jf_param_set_range(val, kp, 1, JF_TIMEOUT_CEILING_SEC);
}

static int jf_param_set_count(const char *val, const struct kernel_param *kp)
{
	return jf_param_set_range(val, kp, 0, UINT_MAX);
}

static int jf_param_set_bios(const char *val, const struct kernel_param *kp)
{
	return jf_param_set_range(val, kp, 1, UINT_MAX);
}

static int jf_param_set_devices(const char *val, const struct kernel_param *kp)
{
	return jf_param_set_range(val, kp, 1, JF_MAX_DEVICES_CEILING);
}

static int jf_param_set_chunk(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!is_power_of_2(v) || v < 4 || v > 1024)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static int jf_param_set_lifetime(const char *val,
				 const struct kernel_param *kp)
{
	/* a week at most: jiffies stay far from wrapping */
	return jf_param_set_range(val, kp, 1, 7 * 86400);
}

static const struct kernel_param_ops jf_chunk_ops = {
	.set = jf_param_set_chunk,
	.get = param_get_uint,
};

static const struct kernel_param_ops jf_lifetime_ops = {
	.set = jf_param_set_lifetime,
	.get = param_get_uint,
};

static const struct kernel_param_ops jf_seconds_ops = {
	.set = jf_param_set_seconds,
	.get = param_get_uint,
};

static const struct kernel_param_ops jf_count_ops = {
	.set = jf_param_set_count,
	.get = param_get_uint,
};

static const struct kernel_param_ops jf_bios_ops = {
	.set = jf_param_set_bios,
	.get = param_get_uint,
};

static const struct kernel_param_ops jf_devices_ops = {
	.set = jf_param_set_devices,
	.get = param_get_uint,
};

module_param_cb(default_timeout_sec, &jf_seconds_ops, &default_timeout_sec,
		0644);
MODULE_PARM_DESC(default_timeout_sec,
		 "Hold timeout when the caller gives none, in seconds (default 10, at most 110)");
module_param_cb(max_timeout_sec, &jf_seconds_ops, &max_timeout_sec, 0644);
MODULE_PARM_DESC(max_timeout_sec,
		 "Longest hold timeout a caller may ask for, in seconds (default 70, ESE's default; at most 110, below the 120 s hung-task limit)");
module_param_cb(drain_timeout_sec, &jf_seconds_ops, &drain_timeout_sec,
		0644);
MODULE_PARM_DESC(drain_timeout_sec,
		 "How long a freeze waits for in-flight writes to finish before it fails, in seconds (default 30)");
module_param_cb(hold_ceiling_sec, &jf_seconds_ops, &hold_ceiling_sec, 0644);
MODULE_PARM_DESC(hold_ceiling_sec,
		 "Longest a write waits at a held device, whatever the holds on it, counted from when its first hold began, in seconds (default and most 110, below the 120 s hung-task limit; lower it with a lower kernel.hung_task_timeout_secs)");
module_param_cb(max_held_mib, &jf_count_ops, &max_held_mib, 0644);
MODULE_PARM_DESC(max_held_mib,
		 "Most MiB of writes held at once, all devices together, before the holds that cross it break (default 0: an eighth of RAM, at most 1024)");
module_param_cb(max_held_bios, &jf_bios_ops, &max_held_bios, 0644);
MODULE_PARM_DESC(max_held_bios,
		 "Most write requests held at once, all devices together (default 262144, at least 1)");
module_param_cb(max_devices, &jf_devices_ops, &max_devices, 0644);
MODULE_PARM_DESC(max_devices,
		 "Most devices in one freeze (default 256, at most 4096)");

module_param_cb(snapshot_chunk_kib, &jf_chunk_ops, &snapshot_chunk_kib, 0644);
MODULE_PARM_DESC(snapshot_chunk_kib,
		 "Copy-on-write granule of a snapshot whose creator gives none, in KiB (default 64, a power of two from 4 to 1024)");
module_param_cb(snapshot_max_lifetime_sec, &jf_lifetime_ops,
		&snapshot_max_lifetime_sec, 0644);
MODULE_PARM_DESC(snapshot_max_lifetime_sec,
		 "A persistent snapshot is deleted this long after it was taken, in seconds (default 86400, at most a week)");

u32 jf_param_snapshot_chunk_kib(void)
{
	return READ_ONCE(snapshot_chunk_kib);
}

unsigned long jf_param_snapshot_max_lifetime(void)
{
	return READ_ONCE(snapshot_max_lifetime_sec) * (unsigned long)HZ;
}

u32 jf_param_max_timeout_ms(void)
{
	return READ_ONCE(max_timeout_sec) * 1000U;
}

u32 jf_param_default_timeout_ms(void)
{
	return min(READ_ONCE(default_timeout_sec) * 1000U,
		   jf_param_max_timeout_ms());
}

unsigned long jf_param_drain_timeout(void)
{
	return READ_ONCE(drain_timeout_sec) * HZ;
}

unsigned long jf_param_hold_ceiling(void)
{
	return READ_ONCE(hold_ceiling_sec) * HZ;
}

u64 jf_param_max_held_bytes(void)
{
	u64 mib = READ_ONCE(max_held_mib);

	if (!mib)
		mib = min_t(u64, 1024, (totalram_pages() << PAGE_SHIFT) >> 23);
	return mib << 20;
}

u64 jf_param_max_held_bios(void)
{
	return READ_ONCE(max_held_bios);
}

u32 jf_param_max_devices(void)
{
	return READ_ONCE(max_devices);
}

static int __init jf_init(void)
{
	int ret;

	/*
	 * Expiries, limits and the watchers must run even when memory is
	 * short because of what we hold; nothing on this queue waits for I/O.
	 */
	jf_wq = alloc_workqueue("jetfreeze", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	/* releases sleep in the devices' queues: each device gets a worker */
	jf_release_wq = alloc_workqueue("jetfreeze_release",
					WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	/*
	 * Waits on other work: on a shared rescuer they could sit in front
	 * of the very release they wait for.
	 */
	jf_wait_wq = alloc_workqueue("jetfreeze_wait", WQ_UNBOUND, 0);
	/*
	 * The page-cache syncs before a hold (writeback.c): one stuck on a
	 * dead device stays until the device comes back, and must not take
	 * the place of the filesystem thaws and release watches above.
	 */
	jf_sync_wq = alloc_workqueue("jetfreeze_sync",
				     WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!jf_wq || !jf_release_wq || !jf_wait_wq || !jf_sync_wq) {
		ret = -ENOMEM;
		goto err_wq;
	}
	ret = jf_track_init();
	if (ret)
		goto err_wq;
	ret = jf_snaps_init();
	if (ret)
		goto err_track;
	ret = jf_hook_init();
	if (ret)
		goto err_snaps;
	ret = jf_testing_init();
	if (ret)
		goto err_hook;
	ret = jf_ctl_init();
	if (ret) {
		pr_err("cannot register /dev/jetfreeze (error %d)\n", ret);
		goto err_testing;
	}
	pr_info("version %s (ABI %u.%u) ready: hold timeout %u s by default, %u s at most\n",
		JETFREEZE_VERSION, JETFREEZE_ABI_MAJOR, JETFREEZE_ABI_MINOR,
		jf_param_default_timeout_ms() / 1000U,
		jf_param_max_timeout_ms() / 1000U);
	return 0;

err_testing:
	jf_testing_exit();
err_hook:
	jf_hook_exit();
	jf_snaps_exit();
	goto err_wq;
err_snaps:
	jf_snaps_exit();
err_track:
	jf_track_exit();
err_wq:
	if (jf_sync_wq)
		destroy_workqueue(jf_sync_wq);
	if (jf_wait_wq)
		destroy_workqueue(jf_wait_wq);
	if (jf_release_wq)
		destroy_workqueue(jf_release_wq);
	if (jf_wq)
		destroy_workqueue(jf_wq);
	return ret;
}

/*
 * Only reachable with no file open, nothing held or releasing, no flush of
 * ours pending, no page-cache sync of a freeze still running and no write
 * stuck in the hook for long: each pins the module, so rmmod fails while
 * any is there.
 */
static void __exit jf_exit(void)
{
	jf_ctl_exit();
	jf_sessions_exit();
	jf_hook_exit();
	jf_snaps_exit();
	jf_devs_exit();
	jf_testing_exit();
	destroy_workqueue(jf_sync_wq);
	destroy_workqueue(jf_wait_wq);
	destroy_workqueue(jf_release_wq);
	destroy_workqueue(jf_wq);
	pr_info("unloaded\n");
}

module_init(jf_init);
module_exit(jf_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("jetfreeze developers");
MODULE_DESCRIPTION("Drain and hold the writes of block devices for application-consistent snapshots");
MODULE_VERSION(JETFREEZE_VERSION);
