// SPDX-License-Identifier: GPL-2.0-only
/*
 * devmap against a fake sysfs tree and a fake mountinfo
 * (JETFREEZE_SYSFS, JETFREEZE_MOUNTINFO):
 *
 *   sda (8:0), sda1 (8:1), sdb (8:16)
 *   dm-0 (253:0) on sda1 + sdb      dm-1 (253:1) on dm-0
 *   dm-2 (253:2) on sdb             dm-3 <-> dm-4 (253:3/4): a cycle
 *   loop0 (7:0) backed by a file of the temporary directory, whose
 *   device ("the host disk", its real st_dev) sits on sdb
 *   sdc (8:32) with partitions sdc1, sdc2 (8:33/34); dm-5 (253:5) on sdc1
 *   md0 (9:0) on sdd + sde (8:48/64), with partitions md0p1, md0p2
 *   (259:0/1)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devmap.h"
#include "helpers.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

static char root[PATH_MAX];	/* the temporary directory */
static char sys[PATH_MAX + 8];
static char mountinfo[PATH_MAX + 16];
static dev_t host_dev;		/* st_dev of files in root */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* A device directory with dev and (optionally) uevent. */
static void fake_dev(unsigned int maj, unsigned int min, const char *name,
		     bool uevent)
{
	char dir[PATH_MAX * 2], path[PATH_MAX * 3], text[128];

	snprintf(dir, sizeof(dir), "%s/devices/virtual/%s", sys, name);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/dev", dir);
	snprintf(text, sizeof(text), "%u:%u\n", maj, min);
	write_file(path, text);
	if (uevent) {
		snprintf(path, sizeof(path), "%s/uevent", dir);
		snprintf(text, sizeof(text), "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=disk\n",
			 maj, min, name);
		write_file(path, text);
	}
	/* /sys/dev/block/M:m is a link to the device directory. */
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sys, maj, min);
	assert_int_equal(symlink(dir, path), 0);
}

/* A partition: its directory inside its disk's, with a partition file. */
static void fake_part(unsigned int maj, unsigned int min, const char *name,
		      const char *disk, unsigned int nr)
{
	char dir[PATH_MAX * 2], path[PATH_MAX * 3], text[128];

	snprintf(dir, sizeof(dir), "%s/devices/virtual/%s/%s", sys, disk, name);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/dev", dir);
	snprintf(text, sizeof(text), "%u:%u\n", maj, min);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/partition", dir);
	snprintf(text, sizeof(text), "%u\n", nr);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sys, maj, min);
	assert_int_equal(symlink(dir, path), 0);
}

/* @lower: the path of its directory under devices/virtual ("sdc/sdc1") */
static void fake_slave(const char *upper, const char *lower)
{
	char dir[PATH_MAX * 2], link[PATH_MAX * 3], target[PATH_MAX * 2];
	const char *name = strrchr(lower, '/') ? strrchr(lower, '/') + 1 : lower;

	snprintf(dir, sizeof(dir), "%s/devices/virtual/%s/slaves", sys, upper);
	mkdirs(dir);
	snprintf(link, sizeof(link), "%s/%s", dir, name);
	snprintf(target, sizeof(target), "../../%s", lower);
	assert_int_equal(symlink(target, link), 0);
}

static int setup(void **state)
{
	char path[PATH_MAX * 2], text[PATH_MAX + 64], backing[PATH_MAX + 16];
	struct stat st;

	snprintf(root, sizeof(root), "%s", tmpdir_create());
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(mountinfo, sizeof(mountinfo), "%s/mountinfo", root);
	snprintf(path, sizeof(path), "%s/dev/block", sys);
	mkdirs(path);
	assert_int_equal(stat(root, &st), 0);
	host_dev = st.st_dev;

	fake_dev(8, 0, "sda", true);
	fake_dev(8, 1, "sda1", true);
	fake_dev(8, 16, "sdb", false);		/* no uevent: named by link */
	fake_dev(253, 0, "dm-0", true);
	fake_dev(253, 1, "dm-1", true);
	fake_dev(253, 2, "dm-2", true);
	fake_dev(253, 3, "dm-3", true);
	fake_dev(253, 4, "dm-4", true);
	fake_dev(7, 0, "loop0", true);
	fake_dev(major(host_dev), minor(host_dev), "hostdisk", true);
	fake_slave("dm-0", "sda1");
	fake_slave("dm-0", "sdb");
	fake_slave("dm-1", "dm-0");
	fake_slave("dm-2", "sdb");
	fake_slave("dm-3", "dm-4");
	fake_slave("dm-4", "dm-3");
	fake_slave("hostdisk", "sdb");
	fake_dev(8, 32, "sdc", true);
	fake_part(8, 33, "sdc1", "sdc", 1);
	fake_part(8, 34, "sdc2", "sdc", 2);
	fake_dev(253, 5, "dm-5", true);
	fake_dev(9, 0, "md0", true);
	fake_dev(8, 48, "sdd", true);
	fake_dev(8, 64, "sde", true);
	fake_part(259, 0, "md0p1", "md0", 1);
	fake_part(259, 1, "md0p2", "md0", 2);
	fake_slave("dm-5", "sdc/sdc1");
	fake_slave("md0", "sdd");
	fake_slave("md0", "sde");

	snprintf(backing, sizeof(backing), "%s/loop0.img", root);
	write_file(backing, "image");
	snprintf(path, sizeof(path), "%s/devices/virtual/loop0/loop", sys);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/devices/virtual/loop0/loop/backing_file",
		 sys);
	snprintf(text, sizeof(text), "%s\n", backing);
	write_file(path, text);

	setenv("JETFREEZE_SYSFS", sys, 1);
	setenv("JETFREEZE_MOUNTINFO", mountinfo, 1);
	return 0;
}

static int teardown(void **state)
{
	unsetenv("JETFREEZE_SYSFS");
	unsetenv("JETFREEZE_MOUNTINFO");
	tmpdir_remove();
	return 0;
}

struct want {
	unsigned int major, minor, stage;
};

static void assert_set(struct jf_devset *set, const struct want *w,
		       unsigned int n)
{
	const struct jetfreeze_device *d = jf_devset_devices(set);
	unsigned int i;

	assert_int_equal(jf_devset_count(set), n);
	for (i = 0; i < n; i++) {
		if (d[i].major != w[i].major || d[i].minor != w[i].minor ||
		    d[i].stage != w[i].stage)
			fail_msg("entry %u: %u:%u stage %u, want %u:%u stage %u",
				 i, d[i].major, d[i].minor, d[i].stage,
				 w[i].major, w[i].minor, w[i].stage);
		assert_int_equal(d[i].reserved, 0);
	}
}

static void names(void **state)
{
	char buf[32];

	assert_int_equal(jf_dev_name(makedev(8, 1), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sda1");
	assert_int_equal(jf_dev_name(makedev(253, 0), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "dm-0");
	/* No uevent: the name of the directory the link points to. */
	assert_int_equal(jf_dev_name(makedev(8, 16), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "sdb");
	assert_int_equal(jf_dev_name(makedev(8, 1), buf, 4), -ERANGE);
	assert_int_equal(jf_dev_name(makedev(8, 1), buf, 5), 0);
	assert_int_equal(jf_dev_name(makedev(9, 9), buf, sizeof(buf)), -ENODEV);
	assert_int_equal(jf_dev_name(makedev(8, 1), NULL, 0), -EINVAL);
}

static void stack_stages(void **state)
{
	static const struct want w[] = {
		{ 253, 1, 0 }, { 253, 0, 1 }, { 8, 1, 2 }, { 8, 16, 2 },
	};
	struct jf_devset *set = jf_devset_new();

	assert_int_equal(jf_devset_add(set, makedev(253, 1), JF_DEVSET_STACK), 0);
	assert_set(set, w, 4);
	/* Adding again changes nothing. */
	assert_int_equal(jf_devset_add(set, makedev(253, 0), JF_DEVSET_STACK), 0);
	assert_int_equal(jf_devset_add(set, makedev(8, 1), 0), 0);
	assert_set(set, w, 4);
	jf_devset_free(set);
}

/* A device reached along paths of different lengths: the deepest wins,
 * whatever the order of the adds. */
static void deepest_stage_wins(void **state)
{
	static const struct want first[] = { { 8, 16, 0 } };
	static const struct want second[] = { { 253, 2, 0 }, { 8, 16, 1 } };
	static const struct want third[] = {
		{ 253, 1, 0 }, { 253, 2, 0 }, { 253, 0, 1 }, { 8, 1, 2 },
		{ 8, 16, 2 },
	};
	struct jf_devset *set = jf_devset_new();

	assert_int_equal(jf_devset_add(set, makedev(8, 16), JF_DEVSET_STACK), 0);
	assert_set(set, first, 1);
	assert_int_equal(jf_devset_add(set, makedev(253, 2), JF_DEVSET_STACK), 0);
	assert_set(set, second, 2);
	assert_int_equal(jf_devset_add(set, makedev(253, 1), JF_DEVSET_STACK), 0);
	assert_set(set, third, 5);
	jf_devset_free(set);
}

static void loop_backing_file(void **state)
{
	const struct want w[] = {
		{ 7, 0, 0 }, { major(host_dev), minor(host_dev), 1 }, { 8, 16, 2 },
	};
	struct jf_devset *set = jf_devset_new();
	char path[PATH_MAX * 2];

	assert_int_equal(jf_devset_add(set, makedev(7, 0), JF_DEVSET_STACK), 0);
	assert_set(set, w, 3);
	jf_devset_free(set);

	/* A backing file that is gone cannot be ordered: an error. */
	snprintf(path, sizeof(path), "%s/loop0.img", root);
	assert_int_equal(unlink(path), 0);
	set = jf_devset_new();
	assert_int_equal(jf_devset_add(set, makedev(7, 0), JF_DEVSET_STACK),
			 -ENOENT);
	jf_devset_free(set);
}

/*
 * A loop device whose file lies on a filesystem without a block device
 * (tmpfs, NFS...): nothing under it can be frozen, and the stack ends at
 * the loop device, which holds what is written to the file.
 */
static void loop_on_no_block_device(void **state)
{
	const struct want w[] = { { 7, 0, 0 } };
	struct jf_devset *set = jf_devset_new();
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/devices/virtual/loop0/loop/backing_file",
		 sys);
	write_file(path, "/proc/version\n");
	write_file(mountinfo, "");
	assert_int_equal(jf_devset_add(set, makedev(7, 0), JF_DEVSET_STACK), 0);
	assert_set(set, w, 1);
	jf_devset_free(set);
}

static void odd_sets(void **state)
{
	struct jf_devset *set = jf_devset_new();

	/* Without STACK, sysfs is not consulted at all. */
	assert_int_equal(jf_devset_add(set, makedev(9, 9), 0), 0);
	assert_int_equal(jf_devset_count(set), 1);
	/* With it, an unknown device is an error. */
	assert_int_equal(jf_devset_add(set, makedev(9, 10), JF_DEVSET_STACK),
			 -ENODEV);
	assert_int_equal(jf_devset_add(set, makedev(253, 3), JF_DEVSET_STACK),
			 -ELOOP);
	assert_int_equal(jf_devset_add(set, makedev(8, 0), 2), -EINVAL);
	assert_int_equal(jf_devset_add(NULL, makedev(8, 0), 0), -EINVAL);
	assert_int_equal(jf_devset_count(NULL), 0);
	assert_null(jf_devset_devices(NULL));
	jf_devset_free(set);
	jf_devset_free(NULL);

	/* Many devices: the set grows. */
	set = jf_devset_new();
	for (unsigned int i = 0; i < 100; i++)
		assert_int_equal(jf_devset_add(set, makedev(100, i), 0), 0);
	assert_int_equal(jf_devset_count(set), 100);
	assert_int_equal(jf_devset_devices(set)[99].minor, 99);
	jf_devset_free(set);
}

static void path_of_a_file(void **state)
{
	char path[PATH_MAX * 2];
	dev_t dev;

	snprintf(path, sizeof(path), "%s/mountinfo-free", root);
	write_file(path, "x");
	/* st_dev is a device sysfs knows. */
	assert_int_equal(jf_path_to_dev(path, &dev), 0);
	assert_int_equal(dev, host_dev);
	assert_int_equal(jf_path_to_dev(root, &dev), 0);
	assert_int_equal(dev, host_dev);
	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(jf_path_to_dev(path, &dev), -ENOENT);
	assert_int_equal(jf_path_to_dev(NULL, &dev), -EINVAL);
	assert_int_equal(jf_path_to_dev("", &dev), -EINVAL);
	assert_int_equal(jf_path_to_dev(path, NULL), -EINVAL);
}

/* A block device node in the temporary directory (root only). */
static bool make_node(const char *name, unsigned int maj, unsigned int min,
		      char *path, size_t len)
{
	snprintf(path, len, "%s/%s", root, name);
	return mknod(path, S_IFBLK | 0600, makedev(maj, min)) == 0;
}

/* st_dev that sysfs does not know: the mount's source decides. */
static void path_through_mountinfo(void **state)
{
	char node[PATH_MAX * 2], sub[PATH_MAX * 2], upper[PATH_MAX * 2],
	     ovl[PATH_MAX * 2], spaced[PATH_MAX * 2], file[PATH_MAX * 3],
	     text[PATH_MAX * 24], link[PATH_MAX * 2];
	unsigned int M = major(host_dev), m = minor(host_dev);
	dev_t dev;

	/* Hide the host disk from the fake sysfs. */
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sys, M, m);
	assert_int_equal(unlink(link), 0);
	if (!make_node("sdb-node", 8, 16, node, sizeof(node))) {
		skip();	/* mknod needs CAP_MKNOD */
		return;
	}
	snprintf(sub, sizeof(sub), "%s/ext4", root);
	snprintf(upper, sizeof(upper), "%s/upper", root);
	snprintf(ovl, sizeof(ovl), "%s/ovl", root);
	snprintf(spaced, sizeof(spaced), "%s/with space", root);
	mkdirs(sub);
	mkdirs(upper);
	mkdirs(ovl);
	mkdirs(spaced);
	snprintf(text, sizeof(text),
		 "22 1 0:21 / /proc rw - proc proc rw\n"
		 "30 1 %u:%u / %s rw shared:1 - ext4 %s rw\n"
		 "31 1 %u:%u / %s rw - ext4 /dev/null rw\n"
		 "32 1 %u:%u / %s rw - overlay overlay rw,lowerdir=/a:/b,upperdir=%s/upper,workdir=/w\n"
		 "33 1 %u:%u / %s/with\\040space rw master:3 - btrfs UUID=00000000-dead-beef-0000-000000000000 rw\n"
		 "34 1 %u:%u / %s/upper rw - ext4 %s rw\n"
		 "broken line\n",
		 M, m, sub, node, 7, 7, root, M, m, ovl, root, M, m, root,
		 M, m, root, node);
	write_file(mountinfo, text);

	/* ext4 on a device node. */
	snprintf(file, sizeof(file), "%s/db", sub);
	write_file(file, "x");
	assert_int_equal(jf_path_to_dev(file, &dev), 0);
	assert_int_equal(dev, makedev(8, 16));
	/* overlay: the upper directory's device. */
	snprintf(file, sizeof(file), "%s/db", ovl);
	write_file(file, "x");
	assert_int_equal(jf_path_to_dev(file, &dev), 0);
	assert_int_equal(dev, makedev(8, 16));
	/* A tag libblkid cannot find, and an unescaped mount point. */
	snprintf(file, sizeof(file), "%s/db", spaced);
	write_file(file, "x");
	assert_int_equal(jf_path_to_dev(file, &dev), -ENOTBLK);
	/* The longest matching mount point is the temporary directory
	 * itself, whose line has another st_dev: nothing matches. */
	snprintf(file, sizeof(file), "%s/plain", root);
	write_file(file, "x");
	assert_int_equal(jf_path_to_dev(file, &dev), -ENOTBLK);

	/* tmpfs: no block device under it. */
	snprintf(text, sizeof(text), "40 1 %u:%u / %s rw - tmpfs tmpfs rw\n",
		 M, m, root);
	write_file(mountinfo, text);
	assert_int_equal(jf_path_to_dev(file, &dev), -ENOTBLK);
	/* A source that is a file, not a block device. */
	snprintf(text, sizeof(text), "40 1 %u:%u / %s rw - ext4 %s rw\n",
		 M, m, root, file);
	write_file(mountinfo, text);
	assert_int_equal(jf_path_to_dev(file, &dev), -ENOTBLK);
	/* No mountinfo at all. */
	unlink(mountinfo);
	assert_int_equal(jf_path_to_dev(file, &dev), -ENOENT);
	/* A block node is its own device, sysfs or not. */
	assert_int_equal(jf_path_to_dev(node, &dev), 0);
	assert_int_equal(dev, makedev(8, 16));
}

static void whole_disk(void **state)
{
	dev_t disk;

	assert_int_equal(jf_dev_whole_disk(makedev(8, 33), &disk), 0);
	assert_int_equal(disk, makedev(8, 32));
	assert_int_equal(jf_dev_whole_disk(makedev(259, 1), &disk), 0);
	assert_int_equal(disk, makedev(9, 0));
	assert_int_equal(jf_dev_whole_disk(makedev(8, 32), &disk), 0);
	assert_int_equal(disk, makedev(8, 32));
	assert_int_equal(jf_dev_whole_disk(makedev(253, 5), &disk), 0);
	assert_int_equal(disk, makedev(253, 5));
	assert_int_equal(jf_dev_whole_disk(makedev(9, 9), &disk), -ENODEV);
}

/* jf_dev_lies_on(@dev, the devices in @want...) */
static int lies_on(unsigned int maj, unsigned int min, unsigned int *index,
		   unsigned int nr, ...)
{
	struct jetfreeze_device devs[8];
	unsigned int i;
	va_list ap;

	memset(devs, 0, sizeof(devs));
	va_start(ap, nr);
	for (i = 0; i < nr; i++) {
		devs[i].major = va_arg(ap, unsigned int);
		devs[i].minor = va_arg(ap, unsigned int);
	}
	va_end(ap);
	return jf_dev_lies_on(makedev(maj, min), devs, nr, index);
}

static void lies_on_partitions(void **state)
{
	unsigned int index = 77;

	/* sdc1: itself and its disk; not the other partition */
	assert_int_equal(lies_on(8, 33, NULL, 1, 8, 34), 0);
	assert_int_equal(lies_on(8, 33, &index, 2, 8, 34, 8, 32), -EXDEV);
	assert_int_equal(index, 1);
	assert_int_equal(lies_on(8, 33, &index, 3, 8, 16, 7, 0, 8, 33),
			 -EXDEV);
	assert_int_equal(index, 2);
	/* the whole disk: every partition of it */
	assert_int_equal(lies_on(8, 32, &index, 1, 8, 34), -EXDEV);
	assert_int_equal(index, 0);
	assert_int_equal(lies_on(8, 32, NULL, 1, 8, 33), -EXDEV);
	/* nothing shared */
	index = 77;
	assert_int_equal(lies_on(8, 32, &index, 2, 8, 16, 253, 5), 0);
	assert_int_equal(index, 77);
	assert_int_equal(lies_on(8, 32, NULL, 0), 0);
}

static void lies_on_stacks(void **state)
{
	unsigned int index;

	/* dm-5 on sdc1: sdc1 and sdc, not sdc2 */
	assert_int_equal(lies_on(253, 5, &index, 1, 8, 33), -EXDEV);
	assert_int_equal(lies_on(253, 5, &index, 1, 8, 32), -EXDEV);
	assert_int_equal(lies_on(253, 5, &index, 1, 8, 34), 0);
	/* md0p1: md0 and so its members, not md0p2 */
	assert_int_equal(lies_on(259, 0, &index, 1, 9, 0), -EXDEV);
	assert_int_equal(lies_on(259, 0, &index, 1, 8, 48), -EXDEV);
	assert_int_equal(lies_on(259, 0, &index, 2, 259, 1, 8, 64), -EXDEV);
	assert_int_equal(index, 1);
	assert_int_equal(lies_on(259, 0, &index, 1, 259, 1), 0);
	assert_int_equal(lies_on(9, 0, &index, 1, 259, 1), -EXDEV);
	/* dm-1 on dm-0 on sda1 + sdb */
	assert_int_equal(lies_on(253, 1, &index, 1, 8, 16), -EXDEV);
	assert_int_equal(lies_on(253, 1, &index, 1, 8, 1), -EXDEV);
	/* dm-2 shares sdb with dm-1 but lies under neither: allowed, as
	 * two volumes of one volume group are */
	assert_int_equal(lies_on(253, 1, &index, 1, 253, 2), 0);
	/* what is stacked on a device is not under it */
	assert_int_equal(lies_on(8, 16, &index, 1, 253, 2), 0);
	/* a loop device: its file's device and what that sits on */
	assert_int_equal(lies_on(7, 0, &index, 1, major(host_dev),
				 minor(host_dev)), -EXDEV);
	assert_int_equal(lies_on(7, 0, &index, 1, 8, 16), -EXDEV);
	/* a file of the host disk (its st_dev), as a diff storage file is */
	assert_int_equal(lies_on(major(host_dev), minor(host_dev), &index, 1,
				 8, 16), -EXDEV);
	/* unknown to sysfs, or a cycle: cannot tell */
	assert_int_equal(lies_on(9, 9, &index, 1, 8, 16), -ENODEV);
	assert_int_equal(lies_on(253, 3, &index, 1, 8, 16), -ELOOP);
	assert_int_equal(jf_dev_lies_on(makedev(8, 32), NULL, 1, NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(names, setup, teardown),
		cmocka_unit_test_setup_teardown(stack_stages, setup, teardown),
		cmocka_unit_test_setup_teardown(deepest_stage_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(loop_backing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(loop_on_no_block_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(odd_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(path_of_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(path_through_mountinfo, setup, teardown),
		cmocka_unit_test_setup_teardown(whole_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(lies_on_partitions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lies_on_stacks, setup, teardown),
	};

	return run_group(tests);
}
