// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test builds only (JF_TESTING, set by kmod/build for the VM suite; DKMS
 * and packages never build this file): debugfs knobs that widen a race
 * window or make one step fail, so that the VM suite can reproduce races
 * on purpose instead of by luck.
 *
 *   /sys/kernel/debug/jetfreeze/delay_<point>_ms   sleep this long there
 *   /sys/kernel/debug/jetfreeze/fail_<point>       fail the next N times
 *   /sys/kernel/debug/jetfreeze/no_redirect        1: the ftrace callback
 *                                   runs but redirects nothing (to tell
 *                                   the hook's effect from the module's)
 *
 * Every knob is zero at load, and a zero knob costs one read.
 */
#include "jetfreeze.h"

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>

static const char * const jf_test_names[JF_TEST_NR_POINTS] = {
	[JF_TEST_FREEZE_ARM] = "freeze_arm",
	[JF_TEST_ATTACH] = "attach",
	[JF_TEST_EXPIRE] = "expire",
	[JF_TEST_UNHOOK] = "unhook",
	[JF_TEST_RELEASE] = "release",
};

static u32 jf_test_delays[JF_TEST_NR_POINTS];
u32 jf_test_no_redirect;
static atomic_t jf_test_failures[JF_TEST_NR_POINTS];
static struct dentry *jf_test_dir;

void jf_test_delay(enum jf_test_point point)
{
	u32 ms = READ_ONCE(jf_test_delays[point]);

	if (ms)
		msleep(ms);
}

bool jf_test_fail(enum jf_test_point point)
{
	return atomic_add_unless(&jf_test_failures[point], -1, 0);
}

int jf_testing_init(void)
{
	char name[32];
	unsigned int i;

	jf_test_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	for (i = 0; i < JF_TEST_NR_POINTS; i++) {
		snprintf(name, sizeof(name), "delay_%s_ms", jf_test_names[i]);
		debugfs_create_u32(name, 0600, jf_test_dir,
				   &jf_test_delays[i]);
		snprintf(name, sizeof(name), "fail_%s", jf_test_names[i]);
		debugfs_create_u32(name, 0600, jf_test_dir,
				   (u32 *)&jf_test_failures[i].counter);
	}
	debugfs_create_u32("no_redirect", 0600, jf_test_dir,
			   &jf_test_no_redirect);
	pr_notice("test build: fault and delay injection in debugfs\n");
	return 0;
}

void jf_testing_exit(void)
{
	debugfs_remove_recursive(jf_test_dir);
}
