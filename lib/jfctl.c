// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jfctl: one function per /dev/jetfreeze ioctl.  Each fills the request
 * with the size this userspace was built with (the kernel accepts older and
 * newer sizes, see the uapi header), issues it and turns failure into
 * -errno.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jfctl.h"

/*
 * STATUS and SNAPSHOT_LIST race with holds and snapshots being created;
 * give up after this many rounds.
 */
#define JFCTL_STATUS_ROUNDS	16

int jfctl_open(void)
{
	const char *node = secure_getenv("JETFREEZE_NODE");
	int fd;

	if (!node || !*node)
		node = JETFREEZE_NODE;
	fd = open(node, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int jfctl_version(int fd, struct jetfreeze_version *out)
{
	struct jetfreeze_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (ioctl(fd, JETFREEZE_IOC_VERSION, &v) < 0)
		return -errno;
	/* The module writes at most its own size; the rest stays zero. */
	v.module_version[sizeof(v.module_version) - 1] = '\0';
	*out = v;
	return 0;
}

int jfctl_freeze(int fd, const struct jetfreeze_device *devs, unsigned int nr,
		 uint32_t flags, uint32_t timeout_ms, uint64_t max_held_bytes,
		 uint64_t max_held_bios, struct jetfreeze_freeze *out)
{
	struct jetfreeze_freeze f;
	int ret = 0;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.flags = flags;
	f.timeout_ms = timeout_ms;
	f.nr_devices = nr;
	f.devices = (uint64_t)(uintptr_t)devs;
	f.max_held_bytes = max_held_bytes;
	f.max_held_bios = max_held_bios;
	f.failed_index = ~0U;
	if (ioctl(fd, JETFREEZE_IOC_FREEZE, &f) < 0)
		ret = -errno;
	if (out)
		*out = f;
	return ret;
}

int jfctl_thaw(int fd, struct jetfreeze_thaw *out)
{
	struct jetfreeze_thaw t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	if (ioctl(fd, JETFREEZE_IOC_THAW, &t) < 0)
		return -errno;
	if (out)
		*out = t;
	return 0;
}

/*
 * STATUS and SNAPSHOT_LIST ask alike: a capacity in, the number of entries
 * that exist out.  Their requests share one layout (checked below), so one
 * loop serves both: ask, and ask again with more room while entries appear
 * between the calls.
 */
#define JFCTL_SAME_FIELD(m)						\
	_Static_assert(offsetof(struct jetfreeze_status, m) ==		\
		       offsetof(struct jetfreeze_snapshot_list, m),	\
		       "STATUS and SNAPSHOT_LIST differ in " #m)
JFCTL_SAME_FIELD(size);
JFCTL_SAME_FIELD(flags);
JFCTL_SAME_FIELD(nr_entries);
JFCTL_SAME_FIELD(entry_size);
JFCTL_SAME_FIELD(entries);
_Static_assert(sizeof(struct jetfreeze_status) ==
	       sizeof(struct jetfreeze_snapshot_list),
	       "STATUS and SNAPSHOT_LIST differ in size");

static int jfctl_fetch(int fd, unsigned long req, size_t entry_size,
		       void **entries, unsigned int *nr)
{
	void *buf = NULL;
	unsigned int cap = 0;
	int round;

	for (round = 0; round < JFCTL_STATUS_ROUNDS; round++) {
		struct jetfreeze_status s;

		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.nr_entries = cap;
		s.entry_size = entry_size;
		s.entries = (uint64_t)(uintptr_t)buf;
		if (ioctl(fd, req, &s) < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (s.nr_entries <= cap) {
			if (s.nr_entries == 0) {
				free(buf);
				buf = NULL;
			}
			*entries = buf;
			*nr = s.nr_entries;
			return 0;
		}
		/* More entries than room: grow with some slack, ask again. */
		cap = s.nr_entries + 8;
		free(buf);
		buf = calloc(cap, entry_size);
		if (!buf)
			return -ENOMEM;
	}
	free(buf);
	return -EAGAIN;
}

int jfctl_status(int fd, struct jetfreeze_status_entry **entries,
		 unsigned int *nr)
{
	void *buf;
	int ret;

	ret = jfctl_fetch(fd, JETFREEZE_IOC_STATUS, sizeof(**entries), &buf,
			  nr);
	if (!ret)
		*entries = buf;
	return ret;
}

int jfctl_adopt(int fd, uint64_t session_id)
{
	struct jetfreeze_adopt a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.session_id = session_id;
	return ioctl(fd, JETFREEZE_IOC_ADOPT, &a) < 0 ? -errno : 0;
}

/* The kernel reads the descriptors as __s32. */
_Static_assert(sizeof(int) == sizeof(__s32), "int is not 32 bits");

int jfctl_snapshot_create(int fd, const struct jfctl_snapshot_req *req,
			  struct jetfreeze_snapshot_image *images,
			  struct jetfreeze_snapshot_create *out)
{
	struct jetfreeze_snapshot_create c;
	int ret = 0;

	memset(&c, 0, sizeof(c));
	if (req->name && strlen(req->name) >= sizeof(c.name))
		return -ENAMETOOLONG;
	c.size = sizeof(c);
	c.flags = req->flags;
	c.nr_devices = req->nr_devices;
	c.nr_diff = req->nr_diff;
	c.devices = (uint64_t)(uintptr_t)req->devs;
	c.diff_fds = (uint64_t)(uintptr_t)req->diff_fds;
	c.images = (uint64_t)(uintptr_t)images;
	c.image_size = sizeof(*images);
	c.chunk_kib = req->chunk_kib;
	c.timeout_ms = req->timeout_ms;
	c.nr_origins = req->nr_origins;
	if (req->name)
		strcpy(c.name, req->name);
	c.failed_index = ~0U;
	if (ioctl(fd, JETFREEZE_IOC_SNAPSHOT_CREATE, &c) < 0)
		ret = -errno;
	c.name[sizeof(c.name) - 1] = '\0';
	if (!ret) {
		unsigned int i, n = req->nr_origins ? req->nr_origins :
						      req->nr_devices;

		for (i = 0; i < n; i++)
			images[i].image_name[sizeof(images[i].image_name) - 1] =
				'\0';
	}
	if (out)
		*out = c;
	return ret;
}

int jfctl_snapshot_delete(int fd, const char *name)
{
	struct jetfreeze_snapshot_delete d;

	if (!name || !*name)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	if (strlen(name) >= sizeof(d.name))
		return -ENAMETOOLONG;
	d.size = sizeof(d);
	strcpy(d.name, name);
	return ioctl(fd, JETFREEZE_IOC_SNAPSHOT_DELETE, &d) < 0 ? -errno : 0;
}

int jfctl_snapshot_list(int fd, struct jetfreeze_snapshot_entry **entries,
			unsigned int *nr)
{
	struct jetfreeze_snapshot_entry *e;
	unsigned int i;
	void *buf;
	int ret;

	ret = jfctl_fetch(fd, JETFREEZE_IOC_SNAPSHOT_LIST, sizeof(*e), &buf,
			  nr);
	if (ret)
		return ret;
	e = buf;
	for (i = 0; i < *nr; i++) {
		e[i].name[sizeof(e[i].name) - 1] = '\0';
		e[i].origin.image_name[sizeof(e[i].origin.image_name) - 1] =
			'\0';
	}
	*entries = e;
	return 0;
}

const char *jfctl_broken_str(uint32_t broken)
{
	switch (broken) {
	case JETFREEZE_BROKEN_NONE:
		return "none";
	case JETFREEZE_BROKEN_TIMEOUT:
		return "timeout";
	case JETFREEZE_BROKEN_HELD_BYTES:
		return "held-bytes";
	case JETFREEZE_BROKEN_HELD_BIOS:
		return "held-bios";
	case JETFREEZE_BROKEN_DEVICE_REMOVED:
		return "device-removed";
	case JETFREEZE_BROKEN_HOLDER_GONE:
		return "holder-gone";
	}
	return "unknown";
}
