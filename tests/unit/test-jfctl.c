// SPDX-License-Identifier: GPL-2.0-only
/*
 * jfctl against a scripted ioctl (-Wl,--wrap=ioctl): what each wrapper
 * puts in the request, what it returns, and the retry of STATUS and
 * SNAPSHOT_LIST when holds or snapshots appear between two calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "jfctl.h"

#define FD	42

/* The script: what the next ioctls answer. */
static int fail_errno;			/* != 0: fail with it */
static unsigned long last_req;
static unsigned int calls;
static struct jetfreeze_freeze last_freeze;
static struct jetfreeze_adopt last_adopt;
static unsigned int status_counts[8];	/* holds the kernel reports per call */
static unsigned int status_caps[8];	/* capacity the caller offered */
static bool status_always_more;		/* one hold more than offered */
static struct jetfreeze_snapshot_create last_create;
static struct jetfreeze_device create_devs[4];	/* what @devices held */
static int create_fds[4];			/* what @diff_fds held */
static struct jetfreeze_snapshot_delete last_delete;

int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	unsigned int n = calls++;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	last_req = req;
	if (fd != FD) {
		errno = EBADF;
		return -1;
	}
	if (req == JETFREEZE_IOC_VERSION) {
		struct jetfreeze_version *v = arg;

		assert_int_equal(v->size, sizeof(*v));
		if (fail_errno)
			goto fail;
		v->abi_major = 1;
		v->max_timeout_ms = 70000;
		memset(v->module_version, 'v', sizeof(v->module_version));
		return 0;
	}
	if (req == JETFREEZE_IOC_FREEZE) {
		struct jetfreeze_freeze *f = arg;

		last_freeze = *f;
		if (fail_errno) {
			f->failed_index = 1;
			goto fail;
		}
		f->session_id = 99;
		f->drain_ns = 1234;
		return 0;
	}
	if (req == JETFREEZE_IOC_THAW) {
		struct jetfreeze_thaw *t = arg;

		assert_int_equal(t->size, sizeof(*t));
		assert_int_equal(t->flags, 0);
		if (fail_errno)
			goto fail;
		t->session_id = 99;
		t->broken = JETFREEZE_BROKEN_TIMEOUT;
		t->held_bios = 3;
		return 0;
	}
	if (req == JETFREEZE_IOC_STATUS) {
		struct jetfreeze_status *s = arg;
		struct jetfreeze_status_entry *e =
			(void *)(uintptr_t)s->entries;
		unsigned int i, have = status_counts[n < 8 ? n : 7];

		if (status_always_more)
			have = s->nr_entries + 1;

		assert_int_equal(s->size, sizeof(*s));
		assert_int_equal(s->entry_size, sizeof(*e));
		status_caps[n < 8 ? n : 7] = s->nr_entries;
		if (fail_errno)
			goto fail;
		for (i = 0; i < have && i < s->nr_entries; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].session_id = 100 + i;
		}
		s->nr_entries = have;
		return 0;
	}
	if (req == JETFREEZE_IOC_SNAPSHOT_CREATE) {
		struct jetfreeze_snapshot_create *c = arg;
		const struct jetfreeze_device *d =
			(const void *)(uintptr_t)c->devices;
		const int *fds = (const void *)(uintptr_t)c->diff_fds;
		char *img = (char *)(uintptr_t)c->images;
		unsigned int i, nr = c->nr_origins ? c->nr_origins :
						     c->nr_devices;

		last_create = *c;
		for (i = 0; i < c->nr_devices && i < 4; i++)
			create_devs[i] = d[i];
		for (i = 0; i < c->nr_diff && i < 4; i++)
			create_fds[i] = fds[i];
		if (fail_errno) {
			c->failed_index = JETFREEZE_SNAPSHOT_DIFF_INDEX | 1;
			/* whatever the module writes, the caller gets a
			 * terminated name */
			memset(c->name, 'x', sizeof(c->name));
			goto fail;
		}
		/* images at the caller's stride, names not terminated */
		for (i = 0; i < nr; i++) {
			struct jetfreeze_snapshot_image *im =
				(void *)(img + (size_t)i * c->image_size);

			im->origin_major = d[i].major;
			im->origin_minor = d[i].minor;
			im->image_major = 252;
			im->image_minor = i;
			memset(im->image_name, 'i', sizeof(im->image_name));
		}
		if (!c->name[0])
			strcpy(c->name, "snap7");
		c->snapshot_id = 7;
		c->hold_ns = 5000;
		return 0;
	}
	if (req == JETFREEZE_IOC_SNAPSHOT_DELETE) {
		last_delete = *(struct jetfreeze_snapshot_delete *)arg;
		if (fail_errno)
			goto fail;
		return 0;
	}
	if (req == JETFREEZE_IOC_SNAPSHOT_LIST) {
		struct jetfreeze_snapshot_list *l = arg;
		struct jetfreeze_snapshot_entry *e =
			(void *)(uintptr_t)l->entries;
		unsigned int i, have = status_counts[n < 8 ? n : 7];

		if (status_always_more)
			have = l->nr_entries + 1;
		assert_int_equal(l->size, sizeof(*l));
		assert_int_equal(l->flags, 0);
		assert_int_equal(l->entry_size, sizeof(*e));
		status_caps[n < 8 ? n : 7] = l->nr_entries;
		if (fail_errno)
			goto fail;
		for (i = 0; i < have && i < l->nr_entries; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].snapshot_id = 200 + i / 2;
			e[i].index = i % 2;
			memset(e[i].name, 'n', sizeof(e[i].name));
			memset(e[i].origin.image_name, 'i',
			       sizeof(e[i].origin.image_name));
		}
		l->nr_entries = have;
		return 0;
	}
	if (req == JETFREEZE_IOC_ADOPT) {
		last_adopt = *(struct jetfreeze_adopt *)arg;
		if (fail_errno)
			goto fail;
		return 0;
	}
	errno = ENOTTY;
	return -1;
fail:
	errno = fail_errno;
	return -1;
}

static int reset(void **state)
{
	fail_errno = 0;
	calls = 0;
	memset(status_counts, 0, sizeof(status_counts));
	memset(status_caps, 0, sizeof(status_caps));
	return 0;
}

static void open_node(void **state)
{
	char path[] = "/tmp/jfctl-node.XXXXXX";
	int tmp = mkstemp(path), fd;

	assert_true(tmp >= 0);
	close(tmp);
	setenv("JETFREEZE_NODE", path, 1);
	fd = jfctl_open();
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(fd);
	unlink(path);
	assert_int_equal(jfctl_open(), -ENOENT);
	setenv("JETFREEZE_NODE", "", 1);	/* empty: the default node */
	fd = jfctl_open();
	assert_true(fd == -ENOENT || fd >= 0);
	if (fd >= 0)
		close(fd);
	unsetenv("JETFREEZE_NODE");
}

static void version(void **state)
{
	struct jetfreeze_version v;

	assert_int_equal(jfctl_version(FD, &v), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_VERSION);
	assert_int_equal(v.abi_major, 1);
	assert_int_equal(v.max_timeout_ms, 70000);
	/* Always a terminated string, whatever the module wrote. */
	assert_int_equal(strlen(v.module_version), sizeof(v.module_version) - 1);
	fail_errno = ENOTTY;
	assert_int_equal(jfctl_version(FD, &v), -ENOTTY);
	assert_int_equal(jfctl_version(7, &v), -EBADF);
}

static void freeze(void **state)
{
	struct jetfreeze_device devs[2] = {
		{ .major = 8, .minor = 1, .stage = 1 },
		{ .major = 253, .minor = 0, .stage = 0 },
	};
	struct jetfreeze_freeze out;

	assert_int_equal(jfctl_freeze(FD, devs, 2, JETFREEZE_FREEZE_PERSIST,
				      5000, 1 << 20, 77, &out), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_FREEZE);
	assert_int_equal(last_freeze.size, sizeof(last_freeze));
	assert_int_equal(last_freeze.flags, JETFREEZE_FREEZE_PERSIST);
	assert_int_equal(last_freeze.timeout_ms, 5000);
	assert_int_equal(last_freeze.nr_devices, 2);
	assert_int_equal(last_freeze.devices, (uintptr_t)devs);
	assert_int_equal(last_freeze.max_held_bytes, 1 << 20);
	assert_int_equal(last_freeze.max_held_bios, 77);
	assert_int_equal(last_freeze.reserved, 0);
	assert_int_equal(out.session_id, 99);
	assert_int_equal(out.drain_ns, 1234);
	assert_int_equal(jfctl_freeze(FD, devs, 2, 0, 0, 0, 0, NULL), 0);

	/* On failure the caller still learns the device at fault. */
	fail_errno = ENXIO;
	assert_int_equal(jfctl_freeze(FD, devs, 2, 0, 0, 0, 0, &out), -ENXIO);
	assert_int_equal(out.failed_index, 1);
	assert_int_equal(last_freeze.failed_index, ~0U);
}

static void thaw(void **state)
{
	struct jetfreeze_thaw t;

	assert_int_equal(jfctl_thaw(FD, &t), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_THAW);
	assert_int_equal(t.session_id, 99);
	assert_int_equal(t.broken, JETFREEZE_BROKEN_TIMEOUT);
	assert_int_equal(t.held_bios, 3);
	assert_int_equal(jfctl_thaw(FD, NULL), 0);
	fail_errno = ENOENT;
	assert_int_equal(jfctl_thaw(FD, &t), -ENOENT);
}

static void status(void **state)
{
	struct jetfreeze_status_entry *e = (void *)0x1;
	unsigned int nr = 77, i;

	/* Nothing held: NULL and 0 after one call. */
	assert_int_equal(jfctl_status(FD, &e, &nr), 0);
	assert_null(e);
	assert_int_equal(nr, 0);
	assert_int_equal(calls, 1);

	/* Three holds: ask, then fetch. */
	reset(state);
	status_counts[0] = status_counts[1] = 3;
	assert_int_equal(jfctl_status(FD, &e, &nr), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(calls, 2);
	assert_int_equal(status_caps[0], 0);
	assert_true(status_caps[1] >= 3);
	for (i = 0; i < nr; i++)
		assert_int_equal(e[i].session_id, 100 + i);
	free(e);

	/* Holds appear between the calls: ask again with more room. */
	reset(state);
	status_counts[0] = 3;
	status_counts[1] = 40;
	status_counts[2] = 40;
	assert_int_equal(jfctl_status(FD, &e, &nr), 0);
	assert_int_equal(nr, 40);
	assert_int_equal(calls, 3);
	assert_true(status_caps[2] >= 40);
	assert_int_equal(e[39].session_id, 139);
	free(e);

	/* Holds that keep appearing: give up rather than loop forever. */
	reset(state);
	status_always_more = true;
	assert_int_equal(jfctl_status(FD, &e, &nr), -EAGAIN);
	assert_true(calls > 2 && calls < 100);
	status_always_more = false;

	reset(state);
	fail_errno = EFAULT;
	assert_int_equal(jfctl_status(FD, &e, &nr), -EFAULT);
}

static void adopt(void **state)
{
	assert_int_equal(jfctl_adopt(FD, 12345), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_ADOPT);
	assert_int_equal(last_adopt.size, sizeof(last_adopt));
	assert_int_equal(last_adopt.flags, 0);
	assert_int_equal(last_adopt.session_id, 12345);
	fail_errno = EBUSY;
	assert_int_equal(jfctl_adopt(FD, 1), -EBUSY);
}

/* The layouts this userspace sends are the ABI's first versions. */
static void snapshot_sizes(void **state)
{
	assert_int_equal(sizeof(struct jetfreeze_snapshot_image),
			 JETFREEZE_SNAPSHOT_IMAGE_SIZE_VER0);
	assert_int_equal(sizeof(struct jetfreeze_snapshot_create),
			 JETFREEZE_SNAPSHOT_CREATE_SIZE_VER0);
	assert_int_equal(sizeof(struct jetfreeze_snapshot_delete),
			 JETFREEZE_SNAPSHOT_DELETE_SIZE_VER0);
	assert_int_equal(sizeof(struct jetfreeze_snapshot_entry),
			 JETFREEZE_SNAPSHOT_ENTRY_SIZE_VER0);
	assert_int_equal(sizeof(struct jetfreeze_snapshot_list),
			 JETFREEZE_SNAPSHOT_LIST_SIZE_VER0);
	assert_int_equal(_IOC_SIZE(JETFREEZE_IOC_SNAPSHOT_CREATE),
			 sizeof(struct jetfreeze_snapshot_create));
	assert_int_equal(_IOC_SIZE(JETFREEZE_IOC_SNAPSHOT_DELETE),
			 sizeof(struct jetfreeze_snapshot_delete));
	assert_int_equal(_IOC_SIZE(JETFREEZE_IOC_SNAPSHOT_LIST),
			 sizeof(struct jetfreeze_snapshot_list));
}

static void snapshot_create(void **state)
{
	struct jetfreeze_device devs[3] = {
		{ .major = 253, .minor = 0, .stage = 0 },
		{ .major = 253, .minor = 1, .stage = 0 },
		{ .major = 8, .minor = 16, .stage = 1 },
	};
	int fds[2] = { 5, 6 };
	struct jfctl_snapshot_req req = {
		.devs = devs, .nr_devices = 3, .nr_origins = 2,
		.diff_fds = fds, .nr_diff = 2,
		.flags = JETFREEZE_SNAPSHOT_PERSIST | JETFREEZE_SNAPSHOT_FS,
		.chunk_kib = 64, .timeout_ms = 3000, .name = "nightly-1",
	};
	struct jetfreeze_snapshot_image images[3];
	struct jetfreeze_snapshot_create out;

	memset(images, 0xee, sizeof(images));
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, &out), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_SNAPSHOT_CREATE);
	assert_int_equal(last_create.size, sizeof(last_create));
	assert_int_equal(last_create.flags,
			 JETFREEZE_SNAPSHOT_PERSIST | JETFREEZE_SNAPSHOT_FS);
	assert_int_equal(last_create.nr_devices, 3);
	assert_int_equal(last_create.nr_origins, 2);
	assert_int_equal(last_create.nr_diff, 2);
	assert_int_equal(last_create.devices, (uintptr_t)devs);
	assert_int_equal(last_create.diff_fds, (uintptr_t)fds);
	assert_int_equal(last_create.images, (uintptr_t)images);
	assert_int_equal(last_create.image_size, sizeof(images[0]));
	assert_int_equal(last_create.chunk_kib, 64);
	assert_int_equal(last_create.timeout_ms, 3000);
	assert_string_equal(last_create.name, "nightly-1");
	assert_int_equal(last_create.failed_index, ~0U);
	assert_int_equal(last_create.reserved, 0);
	assert_int_equal(create_devs[2].stage, 1);
	assert_int_equal(create_fds[0], 5);
	assert_int_equal(create_fds[1], 6);
	/* one image per origin, and not more */
	assert_int_equal(images[1].origin_minor, 1);
	assert_int_equal(images[1].image_minor, 1);
	assert_int_equal(strlen(images[0].image_name),
			 sizeof(images[0].image_name) - 1);
	assert_int_equal(strlen(images[1].image_name),
			 sizeof(images[1].image_name) - 1);
	assert_int_equal(images[2].image_major, 0xeeeeeeee);
	assert_string_equal(out.name, "nightly-1");
	assert_int_equal(out.snapshot_id, 7);
	assert_int_equal(out.hold_ns, 5000);

	/* No name: the module's; no out: fine. */
	req.name = NULL;
	req.nr_origins = 0;
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, &out), 0);
	assert_string_equal(last_create.name, "");
	assert_string_equal(out.name, "snap7");
	req.name = "";
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, NULL), 0);

	/* A name that does not fit never reaches the kernel. */
	calls = 0;
	req.name = "0123456789012345678901234567890";	/* 31: fits */
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, NULL), 0);
	req.name = "01234567890123456789012345678901";	/* 32 */
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, &out),
			 -ENAMETOOLONG);
	assert_int_equal(calls, 1);

	/* On failure the caller still learns what was at fault. */
	req.name = "x";
	fail_errno = EXDEV;
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, &out),
			 -EXDEV);
	assert_int_equal(out.failed_index, JETFREEZE_SNAPSHOT_DIFF_INDEX | 1);
	assert_int_equal(strlen(out.name), sizeof(out.name) - 1);
	fail_errno = EPERM;
	assert_int_equal(jfctl_snapshot_create(FD, &req, images, NULL), -EPERM);
	assert_int_equal(jfctl_snapshot_create(7, &req, images, NULL), -EBADF);
}

static void snapshot_delete(void **state)
{
	assert_int_equal(jfctl_snapshot_delete(FD, "nightly-1"), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_SNAPSHOT_DELETE);
	assert_int_equal(last_delete.size, sizeof(last_delete));
	assert_int_equal(last_delete.flags, 0);
	assert_string_equal(last_delete.name, "nightly-1");
	fail_errno = ENOENT;
	assert_int_equal(jfctl_snapshot_delete(FD, "gone"), -ENOENT);
	calls = 0;
	assert_int_equal(jfctl_snapshot_delete(FD, NULL), -EINVAL);
	assert_int_equal(jfctl_snapshot_delete(FD, ""), -EINVAL);
	assert_int_equal(jfctl_snapshot_delete(FD,
			"01234567890123456789012345678901"), -ENAMETOOLONG);
	assert_int_equal(calls, 0);
}

static void snapshot_list(void **state)
{
	struct jetfreeze_snapshot_entry *e = (void *)0x1;
	unsigned int nr = 77, i;

	/* No snapshot: NULL and 0 after one call. */
	assert_int_equal(jfctl_snapshot_list(FD, &e, &nr), 0);
	assert_int_equal(last_req, JETFREEZE_IOC_SNAPSHOT_LIST);
	assert_null(e);
	assert_int_equal(nr, 0);
	assert_int_equal(calls, 1);

	/* Snapshots appear between the calls: ask again with more room. */
	reset(state);
	status_counts[0] = 2;
	status_counts[1] = 30;
	status_counts[2] = 30;
	assert_int_equal(jfctl_snapshot_list(FD, &e, &nr), 0);
	assert_int_equal(nr, 30);
	assert_int_equal(calls, 3);
	assert_int_equal(status_caps[0], 0);
	assert_true(status_caps[2] >= 30);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].snapshot_id, 200 + i / 2);
		assert_int_equal(e[i].index, i % 2);
		/* terminated, whatever the module wrote */
		assert_int_equal(strlen(e[i].name), sizeof(e[i].name) - 1);
		assert_int_equal(strlen(e[i].origin.image_name),
				 sizeof(e[i].origin.image_name) - 1);
	}
	free(e);

	reset(state);
	status_always_more = true;
	assert_int_equal(jfctl_snapshot_list(FD, &e, &nr), -EAGAIN);
	assert_true(calls > 2 && calls < 100);
	status_always_more = false;

	reset(state);
	fail_errno = ENOTTY;	/* a module older than ABI 1.2 */
	assert_int_equal(jfctl_snapshot_list(FD, &e, &nr), -ENOTTY);
}

static void broken_strings(void **state)
{
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_NONE), "none");
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_TIMEOUT), "timeout");
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_HELD_BYTES),
			    "held-bytes");
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_HELD_BIOS),
			    "held-bios");
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_DEVICE_REMOVED),
			    "device-removed");
	assert_string_equal(jfctl_broken_str(JETFREEZE_BROKEN_HOLDER_GONE),
			    "holder-gone");
	assert_string_equal(jfctl_broken_str(6), "unknown");
	assert_string_equal(jfctl_broken_str(~0U), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(open_node, reset),
		cmocka_unit_test_setup(version, reset),
		cmocka_unit_test_setup(freeze, reset),
		cmocka_unit_test_setup(thaw, reset),
		cmocka_unit_test_setup(status, reset),
		cmocka_unit_test_setup(adopt, reset),
		cmocka_unit_test(snapshot_sizes),
		cmocka_unit_test_setup(snapshot_create, reset),
		cmocka_unit_test_setup(snapshot_delete, reset),
		cmocka_unit_test_setup(snapshot_list, reset),
		cmocka_unit_test(broken_strings),
	};

	return run_group(tests);
}
