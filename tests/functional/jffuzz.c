// SPDX-License-Identifier: GPL-2.0-only
/*
 * jffuzz: throw ioctl calls at /dev/jetfreeze, for the soak (tests/soak).
 *
 *   jffuzz [-n CALLS] [-s SEED] [-u] DEV...
 *
 * Most calls are built by someone who knows the structs and gets one
 * thing wrong, or nothing: a size at or around a version boundary or past
 * a page, flags with known and unknown bits, timeouts at and past the
 * caps, device arrays of the given DEVs (with stages, reserved fields,
 * duplicates and numbers that do not exist), counts up to past
 * max_devices, limits, bad or read-only pointers.  The others are random
 * bytes under random command numbers.  A FREEZE that succeeds is thawed,
 * left for the close, or left PERSIST and adopted later, at random.
 * Several files are open at once and are closed and reopened at random.
 *
 * -u drops CAP_SYS_ADMIN after opening the node: every privileged call
 * must fail with EPERM, and nothing may ever be frozen by us.
 *
 * Prints "calls=N ok=N freezes=N errors: E=N ..." and exits 1 when an
 * unprivileged call got further than EPERM or a call returned an errno
 * the ABI does not name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/jetfreeze.h>

#include "caps.h"

#define MAX_DEVS	16
#define NR_FILES	4
#define PAGE		4096

static struct jetfreeze_device pool[MAX_DEVS];
static unsigned int npool;
static unsigned long long seed;
static int unpriv;

/* xorshift64*, so that a seed replays a run */
static uint64_t rnd(void)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 2685821657736338717ULL;
}

static unsigned int pick(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int percent)
{
	return pick(100) < percent;
}

/* a size around @ver0 and @full: what callers old, new and wrong pass */
static uint32_t fuzz_size(uint32_t ver0, uint32_t full)
{
	switch (pick(10)) {
	case 0: return ver0 - 1 - pick(ver0);
	case 1: return PAGE + 1 + pick(PAGE);
	case 2: return full + 8 * (1 + pick(4));
	case 3: return ver0;
	case 4: return pick(2 * PAGE);
	default: return full;
	}
}

static uint32_t fuzz_flags(uint32_t known)
{
	switch (pick(6)) {
	case 0: return (uint32_t)rnd();
	case 1: return known | (1U << pick(32));
	case 2: return known & (uint32_t)rnd();
	default: return 0;
	}
}

/* a readable and writable buffer, or a pointer that is not one */
static char *area;		/* PAGE * 4, the last page read-only */

static uint64_t fuzz_ptr(void *good)
{
	switch (pick(20)) {
	case 0: return 0;
	case 1: return 16;
	case 2: return (uintptr_t)(area + 3 * PAGE);	/* read-only */
	case 3: return ~0ULL - pick(PAGE);
	case 4: return (uintptr_t)(area + 3 * PAGE - 8);	/* straddles */
	default: return (uintptr_t)good;
	}
}

static unsigned int fuzz_devices(struct jetfreeze_device *d,
				 unsigned int max)
{
	unsigned int n = 1 + pick(chance(90) ? npool : max), i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		d[i] = pool[pick(npool)];
		d[i].stage = chance(70) ? pick(3) : (uint32_t)rnd();
		if (chance(3))
			d[i].reserved = (uint32_t)rnd();
		if (chance(3))
			d[i].minor = (uint32_t)rnd() & 0xfffff;
		if (chance(2))
			d[i].major = (uint32_t)rnd();
	}
	return n;
}

struct file {
	int fd;
	uint64_t persist_id;	/* a PERSIST hold this file left, to adopt */
};

static struct file files[NR_FILES];
static unsigned long calls, oks, freezes, unexpected, eperm_bad;
static unsigned long errs[256];

static int call(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg) ? errno : 0;

	calls++;
	if (!ret)
		oks++;
	errs[ret & 0xff]++;
	return ret;
}

static void check_errno(int e, int privileged_cmd)
{
	switch (e) {
	case 0: case EPERM: case EINVAL: case E2BIG: case EFAULT: case ENXIO:
	case ENODEV: case EBUSY: case ETIMEDOUT: case EOPNOTSUPP: case EIO:
	case EINTR: case ENOENT: case ENOTTY: case ENOMEM: case EACCES:
	case ENOTBLK:
		break;
	default:
		fprintf(stderr, "jffuzz: unexpected errno %d (seed replay: -s %llu)\n",
			e, seed);
		unexpected++;
	}
	if (unpriv && privileged_cmd && e != EPERM && e != ENOTTY) {
		fprintf(stderr, "jffuzz: unprivileged call got %d, not EPERM\n", e);
		eperm_bad++;
	}
}

/*
 * A FREEZE that is right in all but one thing, mostly: a freeze that
 * succeeds costs a drain, so about one in two hundred is left valid.
 */
static void do_freeze(struct file *f)
{
	struct jetfreeze_device devs[300];
	struct jetfreeze_freeze *req = (void *)area;
	struct jetfreeze_thaw *rep = (void *)(area + PAGE);
	void *arg = req;
	unsigned int i;
	int e;

	memset(area, 0, 3 * PAGE);
	req->size = sizeof(*req);
	req->flags = chance(20) ? JETFREEZE_FREEZE_PERSIST : 0;
	req->timeout_ms = 200 + pick(800);
	req->nr_devices = fuzz_devices(devs, MAX_DEVS);
	req->devices = (uintptr_t)devs;
	if (chance(10))
		req->max_held_bios = pick(4);
	if (chance(10))
		req->max_held_bytes = pick(8192);
	/* no duplicates in the valid case */
	for (i = 1; i < req->nr_devices; i++)
		if (devs[i].major == devs[0].major &&
		    devs[i].minor == devs[0].minor)
			req->nr_devices = i;

	if (!chance(1) || !chance(50)) {
		switch (pick(12)) {
		case 0: req->size = chance(50) ? PAGE + 1 + pick(PAGE) :
				    pick(JETFREEZE_FREEZE_SIZE_VER0); break;
		case 1: req->flags |= 1U << (2 + pick(30)); break;
		case 2: req->timeout_ms = (uint32_t)rnd(); break;
		case 3: req->nr_devices = chance(50) ? 0 : (uint32_t)rnd(); break;
		case 4: req->nr_devices = 300;
			req->devices = (uintptr_t)devs; break;
		case 5: req->devices = fuzz_ptr(NULL); break;
		case 6: req->reserved = (uint32_t)rnd() | 1; break;
		case 7: devs[pick(req->nr_devices)].reserved = 1; break;
		case 8: devs[pick(req->nr_devices)].major = (uint32_t)rnd(); break;
		case 9: devs[req->nr_devices] = devs[0];
			req->nr_devices++; break;
		case 10: arg = (void *)(uintptr_t)fuzz_ptr(NULL); break;
		default: devs[pick(req->nr_devices)].minor =
				(uint32_t)rnd() & 0xfffff; break;
		}
	}
	e = call(f->fd, JETFREEZE_IOC_FREEZE, arg);
	check_errno(e, 1);
	if (e)
		return;
	if (unpriv) {
		fprintf(stderr, "jffuzz: unprivileged FREEZE succeeded\n");
		eperm_bad++;
	}
	freezes++;
	if (req->flags & JETFREEZE_FREEZE_PERSIST) {
		f->persist_id = req->session_id;
		return;
	}
	if (chance(80)) {
		memset(rep, 0, sizeof(*rep));
		rep->size = sizeof(*rep);
		check_errno(call(f->fd, JETFREEZE_IOC_THAW, rep), 1);
	}
}

static void do_thaw(struct file *f)
{
	struct jetfreeze_thaw *rep = (void *)(area + PAGE);

	memset(rep, 0, sizeof(*rep));
	rep->size = fuzz_size(JETFREEZE_THAW_SIZE_VER0, sizeof(*rep));
	if (chance(5))
		rep->flags = fuzz_flags(0);
	check_errno(call(f->fd, JETFREEZE_IOC_THAW,
			 (void *)(uintptr_t)fuzz_ptr(rep)), 1);
}

static void do_status(struct file *f)
{
	struct jetfreeze_status *st = (void *)area;
	char *entries = area + 128;

	memset(area, 0, 3 * PAGE);
	st->size = fuzz_size(JETFREEZE_STATUS_SIZE_VER0, sizeof(*st));
	if (chance(5))
		st->flags = fuzz_flags(0);
	st->entry_size = chance(70) ? sizeof(struct jetfreeze_status_entry) :
			 fuzz_size(JETFREEZE_STATUS_ENTRY_SIZE_VER0,
				   sizeof(struct jetfreeze_status_entry));
	st->nr_entries = chance(70) ? pick(20) : (uint32_t)rnd();
	/* entries that fit, or run into the read-only page, or elsewhere */
	st->entries = fuzz_ptr(entries);
	check_errno(call(f->fd, JETFREEZE_IOC_STATUS, st), 0);
}

static void do_version(struct file *f)
{
	struct jetfreeze_version *v = (void *)area;

	memset(area, 0, 3 * PAGE);
	v->size = fuzz_size(JETFREEZE_VERSION_SIZE_VER0, sizeof(*v));
	check_errno(call(f->fd, JETFREEZE_IOC_VERSION,
			 (void *)(uintptr_t)fuzz_ptr(v)), 0);
}

static void do_adopt(struct file *f)
{
	struct jetfreeze_adopt *a = (void *)area;
	unsigned int i;

	memset(a, 0, sizeof(*a));
	a->size = fuzz_size(JETFREEZE_ADOPT_SIZE_VER0, sizeof(*a));
	a->session_id = rnd() % 4096;
	for (i = 0; i < NR_FILES; i++)
		if (files[i].persist_id && chance(50))
			a->session_id = files[i].persist_id;
	if (chance(5))
		a->flags = fuzz_flags(0);
	check_errno(call(f->fd, JETFREEZE_IOC_ADOPT, a), 1);
}

static void do_random(struct file *f)
{
	unsigned long cmd = (unsigned long)rnd();
	unsigned int i;

	for (i = 0; i < 3 * PAGE / 8; i++)
		((uint64_t *)area)[i] = rnd();
	if (chance(50))	/* our magic, a random number and size */
		cmd = _IOC(pick(4), JETFREEZE_IOC_MAGIC, pick(0x20),
			   pick(0x3fff));
	/* a privileged command may pass with random bytes: not an EPERM check */
	check_errno(call(f->fd, cmd, chance(90) ? area : (void *)16), 0);
}

static int open_node(void)
{
	int fd = open(JETFREEZE_NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("jffuzz: " JETFREEZE_NODE);
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long n = 100000, i;
	unsigned int e;
	struct stat st;
	int c;

	seed = 88172645463325252ULL;
	while ((c = getopt(argc, argv, "n:s:u")) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0) ?: 1; break;
		case 'u': unpriv = 1; break;
		default: return 2;
		}
	}
	for (; optind < argc && npool < MAX_DEVS; optind++) {
		if (stat(argv[optind], &st) || !S_ISBLK(st.st_mode)) {
			fprintf(stderr, "jffuzz: %s: not a block device\n",
				argv[optind]);
			return 2;
		}
		pool[npool].major = major(st.st_rdev);
		pool[npool++].minor = minor(st.st_rdev);
	}
	if (!npool)
		return 2;
	area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 1;
	mprotect(area + 3 * PAGE, PAGE, PROT_READ);
	for (i = 0; i < NR_FILES; i++)
		files[i].fd = open_node();
	if (unpriv && drop_cap_sys_admin()) {
		perror("jffuzz: capset");
		return 1;
	}

	while (calls < n) {
		struct file *f = &files[pick(NR_FILES)];

		switch (pick(16)) {
		case 0: case 1: case 2: case 3: do_freeze(f); break;
		case 4: case 5: do_thaw(f); break;
		case 6: case 7: do_status(f); break;
		case 8: do_version(f); break;
		case 9: do_adopt(f); break;
		case 10: case 11: case 12: do_random(f); break;
		case 13:
			if (!unpriv && chance(20)) {
				close(f->fd);
				f->fd = open_node();
			}
			break;
		default:
			do_status(f);
		}
	}
	for (i = 0; i < NR_FILES; i++)
		close(files[i].fd);

	printf("calls=%lu ok=%lu freezes=%lu unexpected=%lu eperm_bad=%lu errors:",
	       calls, oks, freezes, unexpected, eperm_bad);
	for (e = 1; e < 256; e++)
		if (errs[e])
			printf(" %u=%lu", e, errs[e]);
	printf("\n");
	return unexpected || eperm_bad;
}
