// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * devmap: file -> block device -> the stack of block devices below it.
 *
 * Everything comes from stat(2), sysfs and mountinfo; libblkid only
 * resolves tag mount sources (UUID=...).  The kernel freezes stage 0 first,
 * so a device gets a higher stage than every device stacked on top of it:
 * the upper device drains into lower devices that still accept writes.
 */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devmap.h"

/* Deeper stacks than this are a loop (a loop device backed by itself). */
#define DEVMAP_MAX_DEPTH	16

struct jf_devset {
	struct jetfreeze_device *devs;
	unsigned int nr;
	unsigned int cap;
};

static const char *sysfs_root(void)
{
	const char *root = secure_getenv("JETFREEZE_SYSFS");

	return root && *root ? root : "/sys";
}

static const char *mountinfo_path(void)
{
	const char *path = secure_getenv("JETFREEZE_MOUNTINFO");

	return path && *path ? path : "/proc/self/mountinfo";
}

/* Read the first line of @path without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static int parse_devnum(const char *s, dev_t *out)
{
	unsigned int maj, min;
	char tail;

	if (sscanf(s, "%u:%u%c", &maj, &min, &tail) != 2)
		return -EINVAL;
	*out = makedev(maj, min);
	return 0;
}

static int sysfs_dev_path(char *buf, size_t len, dev_t dev, const char *rest)
{
	int n = snprintf(buf, len, "%s/dev/block/%u:%u%s%s", sysfs_root(),
			 major(dev), minor(dev), rest ? "/" : "", rest ? rest : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Is @dev a block device the kernel knows (not an anonymous st_dev)? */
static bool is_block_dev(dev_t dev)
{
	char path[PATH_MAX];

	if (major(dev) == 0 || sysfs_dev_path(path, sizeof(path), dev, NULL))
		return false;
	return access(path, F_OK) == 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

struct mount_entry {
	dev_t dev;
	char *mountpoint;
	char *fstype;
	char *source;
	char *options;		/* super options */
};

/* Split one mountinfo line in place; false when it is malformed. */
static bool parse_mountinfo_line(char *line, struct mount_entry *m)
{
	char *field[6], *save = NULL, *tok;
	int i;

	for (i = 0; i < 6; i++) {
		field[i] = strtok_r(i ? NULL : line, " \n", &save);
		if (!field[i])
			return false;
	}
	if (parse_devnum(field[2], &m->dev))
		return false;
	m->mountpoint = field[4];
	/* Optional fields end with a lone "-". */
	while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-"))
		;
	if (!tok)
		return false;
	m->fstype = strtok_r(NULL, " \n", &save);
	m->source = strtok_r(NULL, " \n", &save);
	m->options = strtok_r(NULL, " \n", &save);
	if (!m->fstype || !m->source)
		return false;
	if (!m->options)
		m->options = (char *)"";
	unescape(m->mountpoint);
	unescape(m->source);
	unescape(m->options);
	return true;
}

static size_t prefix_len(const char *mountpoint, const char *path)
{
	size_t n = strlen(mountpoint);

	if (n == 1 && mountpoint[0] == '/')
		return 1;
	if (strncmp(mountpoint, path, n) || (path[n] && path[n] != '/'))
		return 0;
	return n;
}

/* Value of "key=" in a comma-separated option string, malloc'd. */
static char *option_value(const char *options, const char *key)
{
	size_t klen = strlen(key);
	const char *p = options;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return strndup(p + klen + 1, n - klen - 1);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static int path_to_dev(const char *path, dev_t *out, int depth);

static int source_to_dev(const struct mount_entry *m, dev_t *out, int depth)
{
	struct stat st;
	char *dir, *devname;
	int err;

	if (!strcmp(m->fstype, "overlay")) {
		/* Writes land in the upper directory; a read-only overlay
		 * has none, and its first lower layer stands in. */
		dir = option_value(m->options, "upperdir");
		if (!dir) {
			dir = option_value(m->options, "lowerdir");
			if (dir)
				dir[strcspn(dir, ":")] = '\0';
		}
		if (!dir)
			return -ENOTBLK;
		err = path_to_dev(dir, out, depth + 1);
		free(dir);
		return err;
	}
	if (m->source[0] == '/') {
		if (stat(m->source, &st) < 0 || !S_ISBLK(st.st_mode))
			return -ENOTBLK;
		*out = st.st_rdev;
		return 0;
	}
	if (strncmp(m->source, "UUID=", 5) && strncmp(m->source, "LABEL=", 6) &&
	    strncmp(m->source, "PARTUUID=", 9) &&
	    strncmp(m->source, "PARTLABEL=", 10))
		return -ENOTBLK;	/* "tmpfs", "proc", "server:/export"... */
	devname = blkid_evaluate_tag(m->source, NULL, NULL);
	if (!devname)
		return -ENOTBLK;
	err = stat(devname, &st) < 0 || !S_ISBLK(st.st_mode) ? -ENOTBLK : 0;
	if (!err)
		*out = st.st_rdev;
	free(devname);
	return err;
}

/*
 * st_dev is anonymous (btrfs subvolumes, overlay, tmpfs): find the mount
 * with that st_dev whose mount point is the longest prefix of @path.
 */
static int mount_source_dev(const char *path, dev_t st_dev, dev_t *out,
			    int depth)
{
	char *real = realpath(path, NULL);
	const char *canon = real ? real : path;
	struct mount_entry best = { 0 };
	char *best_line = NULL, *line = NULL;
	size_t cap = 0, best_len = 0;
	FILE *f;
	int err;

	f = fopen(mountinfo_path(), "re");
	if (!f) {
		err = -errno;
		free(real);
		return err;
	}
	while (getline(&line, &cap, f) > 0) {
		struct mount_entry m;
		char *copy = strdup(line);
		size_t n;

		if (!copy) {
			err = -ENOMEM;
			goto out;
		}
		if (!parse_mountinfo_line(copy, &m) || m.dev != st_dev ||
		    (n = prefix_len(m.mountpoint, canon)) == 0 ||
		    n < best_len) {
			free(copy);
			continue;
		}
		free(best_line);
		best_line = copy;
		best = m;
		best_len = n;
	}
	err = best_line ? source_to_dev(&best, out, depth) : -ENOTBLK;
out:
	free(best_line);
	free(line);
	free(real);
	fclose(f);
	return err;
}

static int path_to_dev(const char *path, dev_t *out, int depth)
{
	struct stat st;

	if (depth > DEVMAP_MAX_DEPTH)
		return -ELOOP;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		*out = st.st_rdev;
		return 0;
	}
	if (is_block_dev(st.st_dev)) {
		*out = st.st_dev;
		return 0;
	}
	return mount_source_dev(path, st.st_dev, out, depth);
}

int jf_path_to_dev(const char *path, dev_t *out)
{
	if (!path || !*path || !out)
		return -EINVAL;
	return path_to_dev(path, out, 0);
}

struct jf_devset *jf_devset_new(void)
{
	return calloc(1, sizeof(struct jf_devset));
}

void jf_devset_free(struct jf_devset *set)
{
	if (!set)
		return;
	free(set->devs);
	free(set);
}

static int devset_put(struct jf_devset *set, dev_t dev, unsigned int stage)
{
	struct jetfreeze_device *d;
	unsigned int i;

	for (i = 0; i < set->nr; i++) {
		d = &set->devs[i];
		if (d->major == major(dev) && d->minor == minor(dev)) {
			if (stage > d->stage)
				d->stage = stage;
			return 0;
		}
	}
	if (set->nr == set->cap) {
		unsigned int cap = set->cap ? set->cap * 2 : 8;

		d = reallocarray(set->devs, cap, sizeof(*d));
		if (!d)
			return -ENOMEM;
		set->devs = d;
		set->cap = cap;
	}
	d = &set->devs[set->nr++];
	memset(d, 0, sizeof(*d));
	d->major = major(dev);
	d->minor = minor(dev);
	d->stage = stage;
	return 0;
}

static int devset_add_at(struct jf_devset *set, dev_t dev, unsigned int stage,
			 unsigned int flags);

static int add_slaves(struct jf_devset *set, dev_t dev, unsigned int stage,
		      unsigned int flags)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], buf[64];
	struct dirent *de;
	DIR *d;
	int err = 0;

	err = sysfs_dev_path(dir, sizeof(dir), dev, "slaves");
	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;	/* partitions have none */
	while (!err && (de = readdir(d))) {
		dev_t slave;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", dir, de->d_name);
		err = read_line(path, buf, sizeof(buf));
		if (!err)
			err = parse_devnum(buf, &slave);
		if (!err)
			err = devset_add_at(set, slave, stage + 1, flags);
	}
	closedir(d);
	return err;
}

static int add_loop_backing(struct jf_devset *set, dev_t dev,
			    unsigned int stage, unsigned int flags)
{
	char path[PATH_MAX], backing[PATH_MAX];
	dev_t under;
	int err;

	err = sysfs_dev_path(path, sizeof(path), dev, "loop/backing_file");
	if (err)
		return err;
	err = read_line(path, backing, sizeof(backing));
	if (err == -ENOENT || err == -ENODATA)
		return 0;	/* not a loop device, or one with no file */
	if (err)
		return err;
	err = jf_path_to_dev(backing, &under);
	/* on tmpfs or NFS: nothing under it to freeze, the stack ends here */
	if (err == -ENOTBLK)
		return 0;
	if (err)
		return err;	/* incl. a deleted backing file: we cannot order it */
	return devset_add_at(set, under, stage + 1, flags);
}

static int devset_add_at(struct jf_devset *set, dev_t dev, unsigned int stage,
			 unsigned int flags)
{
	char path[PATH_MAX];
	int err;

	if (stage > DEVMAP_MAX_DEPTH)
		return -ELOOP;
	if (flags & JF_DEVSET_STACK) {
		err = sysfs_dev_path(path, sizeof(path), dev, NULL);
		if (err)
			return err;
		if (access(path, F_OK) < 0)
			return errno == ENOENT ? -ENODEV : -errno;
	}
	err = devset_put(set, dev, stage);
	if (err || !(flags & JF_DEVSET_STACK))
		return err;
	err = add_slaves(set, dev, stage, flags);
	if (!err)
		err = add_loop_backing(set, dev, stage, flags);
	return err;
}

static int cmp_device(const void *a, const void *b)
{
	const struct jetfreeze_device *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return 0;
}

int jf_devset_add(struct jf_devset *set, dev_t dev, unsigned int flags)
{
	int err;

	if (!set || (flags & ~JF_DEVSET_STACK))
		return -EINVAL;
	err = devset_add_at(set, dev, 0, flags);
	/* Sort even on failure: entries added before it stay consistent. */
	qsort(set->devs, set->nr, sizeof(*set->devs), cmp_device);
	return err;
}

unsigned int jf_devset_count(const struct jf_devset *set)
{
	return set ? set->nr : 0;
}

const struct jetfreeze_device *jf_devset_devices(const struct jf_devset *set)
{
	return set ? set->devs : NULL;
}

int jf_dev_whole_disk(dev_t dev, dev_t *whole)
{
	char path[PATH_MAX], buf[64];
	int err;

	err = sysfs_dev_path(path, sizeof(path), dev, NULL);
	if (err)
		return err;
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	err = sysfs_dev_path(path, sizeof(path), dev, "partition");
	if (err)
		return err;
	if (access(path, F_OK) < 0) {
		if (errno != ENOENT)
			return -errno;
		*whole = dev;
		return 0;
	}
	/* A partition's sysfs directory sits in its disk's. */
	err = sysfs_dev_path(path, sizeof(path), dev, "../dev");
	if (!err)
		err = read_line(path, buf, sizeof(buf));
	if (!err)
		err = parse_devnum(buf, whole);
	return err;
}

static bool devset_has(const struct jf_devset *set, dev_t dev)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		if (set->devs[i].major == major(dev) &&
		    set->devs[i].minor == minor(dev))
			return true;
	return false;
}

/*
 * What a write to @dev reaches: into @full every device whose content it
 * may change anywhere (@dev and the stack under it), into @part the disks
 * of partitions among those, written only where that partition lies, and
 * again the stack under each such disk into @full.
 */
static int devs_under(dev_t dev, struct jf_devset *full, struct jf_devset *part,
		      unsigned int depth)
{
	struct jf_devset stack = { 0 }, below = { 0 };
	unsigned int i, j;
	int err;

	if (depth > DEVMAP_MAX_DEPTH)
		return -ELOOP;
	err = devset_add_at(&stack, dev, 0, JF_DEVSET_STACK);
	for (i = 0; !err && i < stack.nr; i++) {
		dev_t d = makedev(stack.devs[i].major, stack.devs[i].minor);
		dev_t disk;

		if (devset_has(full, d))
			continue;
		err = devset_put(full, d, 0);
		if (!err)
			err = jf_dev_whole_disk(d, &disk);
		if (err || disk == d || devset_has(part, disk))
			continue;
		err = devset_put(part, disk, 0);
		/* what is under the disk (md0p1 -> md0 -> its members) */
		if (!err)
			err = devset_add_at(&below, disk, 0, JF_DEVSET_STACK);
		for (j = 0; !err && j < below.nr; j++)
			if (below.devs[j].stage > 0)
				err = devs_under(makedev(below.devs[j].major,
							 below.devs[j].minor),
						 full, part, depth + 1);
		free(below.devs);
		memset(&below, 0, sizeof(below));
	}
	free(stack.devs);
	return err;
}

int jf_dev_lies_on(dev_t dev, const struct jetfreeze_device *devs,
		   unsigned int nr, unsigned int *index)
{
	struct jf_devset full = { 0 }, part = { 0 };
	unsigned int i;
	int err;

	if (nr && !devs)
		return -EINVAL;
	err = devs_under(dev, &full, &part, 0);
	for (i = 0; !err && i < nr; i++) {
		dev_t d = makedev(devs[i].major, devs[i].minor), disk;

		if (devset_has(&full, d) || devset_has(&part, d)) {
			err = -EXDEV;
			break;
		}
		/* a partition of a disk written anywhere */
		if (jf_dev_whole_disk(d, &disk) == 0 && disk != d &&
		    devset_has(&full, disk)) {
			err = -EXDEV;
			break;
		}
	}
	if (err == -EXDEV && index)
		*index = i;
	free(full.devs);
	free(part.devs);
	return err;
}

int jf_dev_name(dev_t dev, char *buf, size_t len)
{
	char path[PATH_MAX], line[PATH_MAX], link[PATH_MAX];
	const char *name = NULL;
	FILE *f;
	ssize_t n;
	int err;

	if (!buf || !len)
		return -EINVAL;
	err = sysfs_dev_path(path, sizeof(path), dev, "uevent");
	if (err)
		return err;
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "DEVNAME=", 8)) {
				line[strcspn(line, "\n")] = '\0';
				name = line + 8;
				break;
			}
		}
		fclose(f);
	}
	if (!name) {
		/* No uevent (or no DEVNAME): the sysfs directory's name. */
		err = sysfs_dev_path(path, sizeof(path), dev, NULL);
		if (err)
			return err;
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return errno == ENOENT ? -ENODEV : -errno;
		link[n] = '\0';
		name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	}
	if (strlen(name) >= len)
		return -ERANGE;
	strcpy(buf, name);
	return 0;
}
