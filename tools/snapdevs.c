// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze snapshot: the devices of a snapshot, its diff storage, and the
 * paths of its images.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "jetfreeze.h"

#define JF_IMAGE_WAIT_MS	5000	/* for udev (or devtmpfs) to make nodes */

/*
 * The devices: the named ones are the origins and come first; with the
 * stack, the devices under them follow, to be frozen with them.  Stages
 * as jf_resolve() orders them.
 */
struct jetfreeze_device *jf_snap_devices(char *const *paths, int nr, bool stack,
					 unsigned int *nr_devs,
					 unsigned int *nr_origins)
{
	struct jf_devset *named = jf_resolve(paths, nr, false);
	struct jf_devset *all = stack ? jf_resolve(paths, nr, true) : named;
	const struct jetfreeze_device *a = jf_devset_devices(all);
	const struct jetfreeze_device *n = jf_devset_devices(named);
	unsigned int na = jf_devset_count(all), nn = jf_devset_count(named);
	struct jetfreeze_device *devs = calloc(na, sizeof(*devs));
	unsigned int i, j, k = 0, pass;

	if (!devs)
		err(JF_EXIT_FAILURE, "out of memory");
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < na; i++) {
			bool origin = false;

			for (j = 0; j < nn; j++)
				if (a[i].major == n[j].major &&
				    a[i].minor == n[j].minor)
					origin = true;
			if (origin == (pass == 0))
				devs[k++] = a[i];
		}
	}
	*nr_devs = na;
	*nr_origins = nn;
	if (all != named)
		jf_devset_free(all);
	jf_devset_free(named);
	return devs;
}

/*
 * Check one diff storage.  The module refuses diff storage on an origin
 * itself (EXDEV); here the stack is walked too, so that a file on a
 * filesystem on a device-mapper device over an origin is refused before
 * anything is frozen.
 */
static void jf_check_diff(const char *path,
			  const struct jetfreeze_device *origins,
			  unsigned int nr_origins, struct stat *st)
{
	unsigned int idx;
	char label[64];
	dev_t dev;
	int ret;

	if (stat(path, st) < 0) {
		if (errno == ENOENT)
			errx(JF_EXIT_FAILURE,
			     "diff storage %s: no such file or device", path);
		err(JF_EXIT_FAILURE, "diff storage %s", path);
	}
	if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
		errx(JF_EXIT_FAILURE,
		     "diff storage %s: %s; it must be a block device or a regular file",
		     path, S_ISDIR(st->st_mode) ? "a directory" :
		     S_ISCHR(st->st_mode) ? "a character device" :
		     "neither a block device nor a regular file");

	if (S_ISBLK(st->st_mode)) {
		dev = st->st_rdev;
		ret = 0;
	} else {
		ret = jf_path_to_dev(path, &dev);
	}
	if (!ret)
		ret = jf_dev_lies_on(dev, origins, nr_origins, &idx);
	switch (ret) {
	case 0:
	case -ENOTBLK:		/* a file on tmpfs: on no device of ours */
		return;
	case -EXDEV:
		errx(JF_EXIT_FAILURE,
		     "diff storage %s lies on %s, a device of the snapshot; put it elsewhere",
		     path, jf_dev_label(origins[idx].major, origins[idx].minor,
					label, sizeof(label)));
	case -ENODEV:
		errx(JF_EXIT_FAILURE, "diff storage %s: no such block device",
		     path);
	}
	errno = -ret;
	err(JF_EXIT_FAILURE,
	    "diff storage %s: cannot tell whether it lies on the snapshot's devices",
	    path);
}

/* Open a diff storage checked as @st. */
static int jf_open_diff(const char *path, const struct stat *st)
{
	struct stat fst;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		err(JF_EXIT_FAILURE, "diff storage %s", path);
	if (fstat(fd, &fst) < 0 || fst.st_dev != st->st_dev ||
	    fst.st_ino != st->st_ino)
		errx(JF_EXIT_FAILURE, "diff storage %s: changed while checked",
		     path);
	return fd;
}

static bool jf_same_storage(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Check every diff storage (exit with a clear error on the first that
 * cannot be one), then open them for reading and writing into @fds.
 */
void jf_snap_open_diff(const char *const *paths, unsigned int nr,
		       const struct jetfreeze_device *origins,
		       unsigned int nr_origins, int *fds)
{
	struct stat st[JF_SNAP_MAX_DIFF];
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		jf_check_diff(paths[i], origins, nr_origins, &st[i]);
		for (j = 0; j < i; j++)
			if (jf_same_storage(&st[i], &st[j]))
				errx(JF_EXIT_FAILURE,
				     "diff storage %s is given twice (as %s too)",
				     paths[i], paths[j]);
	}
	for (i = 0; i < nr; i++)
		fds[i] = jf_open_diff(paths[i], &st[i]);
}

static uint64_t jf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* The directory of device nodes: /dev (JETFREEZE_DEVDIR for tests). */
static const char *jf_devdir(void)
{
	const char *dir = secure_getenv("JETFREEZE_DEVDIR");

	return dir && *dir ? dir : "/dev";
}

/* "/dev/jfsnap3-0": where udev puts the image's node. */
void jf_image_path(const struct jetfreeze_snapshot_image *im, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/%s", jf_devdir(), im->image_name);
}

/* "/dev/vdb", or the numbers when sysfs has no name for it. */
void jf_origin_path(const struct jetfreeze_snapshot_image *im, char *buf,
		    size_t len)
{
	char name[64];

	if (jf_dev_name(makedev(im->origin_major, im->origin_minor), name,
			sizeof(name)) == 0)
		snprintf(buf, len, "%s/%s", jf_devdir(), name);
	else
		snprintf(buf, len, "%u:%u", im->origin_major, im->origin_minor);
}

static bool jf_node_is(const char *path, unsigned int maj, unsigned int min)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       st.st_rdev == makedev(maj, min);
}

/*
 * udev (or devtmpfs) makes the image nodes; give it a few seconds.  We
 * make none ourselves: a node of ours could outlive the image.
 */
void jf_wait_images(const struct jetfreeze_snapshot_image *images,
		    unsigned int nr)
{
	uint64_t deadline = jf_now_ms() + JF_IMAGE_WAIT_MS;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct jetfreeze_snapshot_image *im = &images[i];
		char path[PATH_MAX];

		jf_image_path(im, path, sizeof(path));
		while (!jf_node_is(path, im->image_major, im->image_minor)) {
			if (jf_now_ms() >= deadline) {
				warnx("%s did not appear within %d s (no udev?): the image is block device %u:%u",
				      path, JF_IMAGE_WAIT_MS / 1000,
				      im->image_major, im->image_minor);
				break;
			}
			usleep(20000);
		}
	}
}
