// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jfctl: one function per /dev/jetfreeze ioctl.  Each fills the request
 * with the size this userspace was built with (the kernel accepts older and
 * newer sizes, see the uapi header), issues it and turns failure into
 * -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jfctl.h"

/* STATUS races with holds being created; give up after this many rounds. */
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

int jfctl_status(int fd, struct jetfreeze_status_entry **entries,
		 unsigned int *nr)
{
	struct jetfreeze_status_entry *buf = NULL;
	unsigned int cap = 0;
	int round;

	for (round = 0; round < JFCTL_STATUS_ROUNDS; round++) {
		struct jetfreeze_status s;

		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.nr_entries = cap;
		s.entry_size = sizeof(*buf);
		s.entries = (uint64_t)(uintptr_t)buf;
		if (ioctl(fd, JETFREEZE_IOC_STATUS, &s) < 0) {
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
		/* More holds than room: grow with some slack and ask again. */
		cap = s.nr_entries + 8;
		free(buf);
		buf = calloc(cap, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	free(buf);
	return -EAGAIN;
}

int jfctl_adopt(int fd, uint64_t session_id)
{
	struct jetfreeze_adopt a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.session_id = session_id;
	return ioctl(fd, JETFREEZE_IOC_ADOPT, &a) < 0 ? -errno : 0;
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
