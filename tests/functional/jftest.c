// SPDX-License-Identifier: GPL-2.0-only
/*
 * jftest: the raw-ioctl and raw-I/O helper of the VM test suite.  Plain
 * libc only, so the same source also builds as a static 32-bit program
 * (jftest32) that checks the ABI from compat userspace.
 *
 *   jftest abi                     the bad-input battery, as TAP lines
 *   jftest privileges              EPERM without CAP_SYS_ADMIN, EACCES as
 *                                  an ordinary user, as TAP lines
 *   jftest hold [options] DEV...   freeze, wait, thaw; print the report
 *       -t MS      timeout            -p          PERSIST
 *       -w MS      hold this long     -u FILE     hold until FILE exists
 *       -b N       max held bios      -B BYTES    max held bytes
 *       -s STAGE   stage of the next DEV (repeatable)
 *       -r FILE    touch FILE once frozen
 *     prints "freeze=... at=MS", "thawing at=MS" and "thaw=... at=MS", MS
 *     the uptime in ms when FREEZE returned, when THAW was called (twice)
 *   jftest write [-n] [-d] [-c N] [-s BS] [-x BYTE] DEV OFFSET
 *                                  N writes of BS bytes; -d O_DIRECT, -n
 *                                  RWF_NOWAIT; prints "ok at=MS" (MS: the
 *                                  uptime in ms when it finished) or the
 *                                  errno name
 *   jftest read [-d] [-s BS] DEV OFFSET   prints the ms one read took
 *   jftest status                  every hold, one line each
 *   jftest hog MIB                 write each page of MIB MiB of memory
 *                                  once (to make a small cgroup swap)
 *   jftest snap [options] DEV...   create a snapshot of DEV...; prints
 *                                  "snap=ERR name=.. id=.. hold_ms=.."
 *                                  and "image ORIGIN_MAJ:MIN NAME" lines
 *       -D FILE    diff storage (repeatable; at least one)
 *       -R FILE    diff storage opened read-only (refused)
 *       -n NAME    name          -c KIB    chunk size   -p  PERSIST
 *       -W         writable      -o N      nr_origins   -s STAGE (as hold)
 *       -f         freeze first, then snapshot the frozen session
 *       -r FILE    with -f: touch FILE once frozen  -g FILE  then wait for
 *                  FILE before taking the snapshot
 *       -u FILE    keep the file open until FILE exists (else exit at once:
 *                  only a PERSIST snapshot stays)
 *   jftest snap-list               every snapshot origin, one line each
 *   jftest snap-delete NAME        prints "delete=ERR"
 *
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/jetfreeze.h>

#include "caps.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

#define MAX_DEVS 64

static int tap_failed;

static void tap(int good, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", good ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!good)
		tap_failed = 1;
}

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "ok";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case ENOTTY: return "ENOTTY";
	case ENXIO: return "ENXIO";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EIO: return "EIO";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EINTR: return "EINTR";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENOSPC: return "ENOSPC";
	case ENOTBLK: return "ENOTBLK";
	case EBADF: return "EBADF";
	case EROFS: return "EROFS";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* the clock of /proc/uptime, which the test scripts read too */
static long long uptime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int node(void)
{
	int fd = open(JETFREEZE_NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "jftest: %s: %s\n", JETFREEZE_NODE,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* ioctl's errno, 0 on success */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static int dev_of(const char *path, struct jetfreeze_device *d)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "jftest: %s: not a block device\n", path);
		exit(2);
	}
	memset(d, 0, sizeof(*d));
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	return 0;
}

static void freeze_req(struct jetfreeze_freeze *f, struct jetfreeze_device *d,
		       unsigned int nr)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->nr_devices = nr;
	f->devices = (uintptr_t)d;
}

static void thaw_req(struct jetfreeze_thaw *t)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
}

static unsigned int nr_holds(int fd)
{
	struct jetfreeze_status st = {
		.size = sizeof(st),
		.entry_size = sizeof(struct jetfreeze_status_entry),
	};

	if (xioctl(fd, JETFREEZE_IOC_STATUS, &st))
		return ~0U;
	return st.nr_entries;
}

/* ---- abi ------------------------------------------------------------ */

static void expect(int got, int want, const char *what)
{
	tap(got == want, "%s: %s (expected %s)", what, errname(got),
	    errname(want));
}

static void abi_version(int fd)
{
	struct {
		struct jetfreeze_version v;
		char tail[16];
	} big;
	struct jetfreeze_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, &v), 0, "version");
	tap(v.abi_major == JETFREEZE_ABI_MAJOR && v.max_timeout_ms >= 1000 &&
	    v.default_timeout_ms <= v.max_timeout_ms && v.max_devices > 0 &&
	    (v.features & JETFREEZE_FEAT_FREEZE),
	    "version fields (abi %u.%u, timeout %u/%u ms, module %.32s)",
	    v.abi_major, v.abi_minor, v.default_timeout_ms, v.max_timeout_ms,
	    v.module_version);

	v.size = JETFREEZE_VERSION_SIZE_VER0 - 8;
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, &v), EINVAL,
	       "version with a size below the first version");
	v.size = 1 << 20;
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, &v), E2BIG,
	       "version with a size above a page");

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, &big), 0,
	       "version from a newer caller with a zero tail");
	big.tail[3] = 1;
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, &big), E2BIG,
	       "version from a newer caller with a nonzero tail");
	expect(xioctl(fd, JETFREEZE_IOC_VERSION, NULL), EFAULT,
	       "version with a NULL argument");
}

static void abi_commands(int fd)
{
	expect(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, JETFREEZE_IOC_MAGIC,
			       0x1f, 16), &fd), ENOTTY, "unknown command");
	expect(xioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, 'V', 0x01,
			       JETFREEZE_FREEZE_SIZE_VER0), &fd), ENOTTY,
	       "foreign ioctl magic");
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE & ~IOCSIZE_MASK, &fd), ENOTTY,
	       "known number with the wrong size field");
}

static void abi_freeze(int fd, const char *disk)
{
	struct jetfreeze_device d[3], extra;
	struct jetfreeze_freeze f;
	struct jetfreeze_thaw t;
	struct jetfreeze_version v = { .size = sizeof(v) };
	struct jetfreeze_device *many;
	struct {
		struct jetfreeze_freeze f;
		char tail[8];
	} big;
	void *ro;
	int e;

	xioctl(fd, JETFREEZE_IOC_VERSION, &v);
	dev_of(disk, &d[0]);
	d[1] = d[0];

	freeze_req(&f, d, 1);
	f.flags = 0x80000000u;
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL, "unknown flag");

	freeze_req(&f, d, 1);
	f.reserved = 1;
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL,
	       "nonzero reserved field");

	freeze_req(&f, d, 0);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL, "no devices");

	many = calloc(v.max_devices + 1, sizeof(*many));
	freeze_req(&f, many, v.max_devices + 1);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), E2BIG, "too many devices");
	free(many);

	freeze_req(&f, NULL, 1);
	f.devices = 16;
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EFAULT,
	       "device array at a bad address");
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, (void *)16), EFAULT,
	       "request at a bad address");

	freeze_req(&f, d, 1);
	f.timeout_ms = v.max_timeout_ms + 1;
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL,
	       "timeout above the cap");

	extra = d[0];
	extra.reserved = 7;
	freeze_req(&f, &extra, 1);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL,
	       "nonzero reserved field of a device");

	freeze_req(&f, d, 2);
	e = xioctl(fd, JETFREEZE_IOC_FREEZE, &f);
	expect(e, EINVAL, "duplicate device");
	tap(f.failed_index == 1, "duplicate device named (failed_index %u)",
	    f.failed_index);

	d[1].minor = (1U << 20) - 1;
	freeze_req(&f, d, 2);
	e = xioctl(fd, JETFREEZE_IOC_FREEZE, &f);
	tap(e == ENXIO || e == ENODEV, "nonexistent device: %s", errname(e));
	tap(f.failed_index == 1, "nonexistent device named (failed_index %u)",
	    f.failed_index);

	d[1].major = 4096;
	freeze_req(&f, d, 2);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EINVAL,
	       "device number out of range");

	/* a misc character device number: no block device behind it */
	d[1].major = 10;
	d[1].minor = 200;
	freeze_req(&f, d, 2);
	e = xioctl(fd, JETFREEZE_IOC_FREEZE, &f);
	tap(e == ENXIO || e == ENODEV, "char device number: %s", errname(e));
	tap(nr_holds(fd) == 0, "nothing frozen after the failures");

	thaw_req(&t);
	expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), ENOENT,
	       "thaw with nothing frozen");

	/* a newer caller's larger struct with a zero tail works */
	memset(&big, 0, sizeof(big));
	big.f.size = sizeof(big);
	big.f.nr_devices = 1;
	big.f.devices = (uintptr_t)d;
	big.f.timeout_ms = 5000;
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &big), 0,
	       "freeze from a newer caller with a zero tail");
	tap(big.f.session_id != 0, "freeze returns a hold id (%llu)",
	    (unsigned long long)big.f.session_id);
	freeze_req(&f, d, 1);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EBUSY,
	       "second freeze on the same file");
	thaw_req(&t);
	t.flags = 1;
	expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), EINVAL, "thaw flag");
	thaw_req(&t);
	expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), 0, "thaw");
	tap(t.session_id == big.f.session_id && t.broken == 0 &&
	    t.nr_devices == 1, "thaw report (hold %llu, broken %u, %u devices)",
	    (unsigned long long)t.session_id, t.broken, t.nr_devices);
	thaw_req(&t);
	expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), ENOENT, "second thaw");

	/*
	 * A request the kernel can read but not answer: the freeze must not
	 * stay, since nobody would learn of it.
	 */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	freeze_req(ro, d, 1);
	mprotect(ro, 4096, PROT_READ);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, ro), EFAULT,
	       "freeze whose answer cannot be written");
	tap(nr_holds(fd) == 0, "that freeze did not stay");
	munmap(ro, 4096);

	/* a thaw whose report cannot be delivered keeps it for a retry */
	freeze_req(&f, d, 1);
	expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), 0, "freeze again");
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	thaw_req(ro);
	mprotect(ro, 4096, PROT_READ);
	expect(xioctl(fd, JETFREEZE_IOC_THAW, ro), EFAULT,
	       "thaw whose report cannot be written");
	munmap(ro, 4096);
	thaw_req(&t);
	expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), 0,
	       "the report is still there");
	tap(t.session_id == f.session_id, "for the same hold");
}

static void abi_status(int fd)
{
	struct jetfreeze_status st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.entry_size = JETFREEZE_STATUS_ENTRY_SIZE_VER0 - 8;
	expect(xioctl(fd, JETFREEZE_IOC_STATUS, &st), EINVAL,
	       "status entry size below the first version");
	st.entry_size = sizeof(struct jetfreeze_status_entry);
	st.flags = 1;
	expect(xioctl(fd, JETFREEZE_IOC_STATUS, &st), EINVAL, "status flag");
	st.flags = 0;
	expect(xioctl(fd, JETFREEZE_IOC_STATUS, &st), 0,
	       "status count only");
}

static void abi_status_frozen(int fd, const char *disk)
{
	struct {
		struct jetfreeze_status_entry e;
		char tail[24];
	} big[2];
	struct jetfreeze_device d;
	struct jetfreeze_freeze f;
	struct jetfreeze_thaw t;
	struct jetfreeze_status st;

	dev_of(disk, &d);
	freeze_req(&f, &d, 1);
	if (xioctl(fd, JETFREEZE_IOC_FREEZE, &f)) {
		tap(0, "freeze for status");
		return;
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.entry_size = sizeof(struct jetfreeze_status_entry);
	st.nr_entries = 1;
	st.entries = 16;
	expect(xioctl(fd, JETFREEZE_IOC_STATUS, &st), EFAULT,
	       "status entries at a bad address");

	memset(big, 0xff, sizeof(big));
	st.entry_size = sizeof(big[0]);
	st.nr_entries = 2;
	st.entries = (uintptr_t)big;
	expect(xioctl(fd, JETFREEZE_IOC_STATUS, &st), 0,
	       "status with a newer caller's entry size");
	tap(st.nr_entries == 1 && big[0].e.session_id == f.session_id &&
	    big[0].e.major == d.major && big[0].e.minor == d.minor &&
	    big[0].e.state == JETFREEZE_STATE_FROZEN &&
	    big[0].e.holder_pid == getpid() && big[0].tail[0] == 0 &&
	    big[0].tail[23] == 0 && (unsigned char)big[1].e.major == 0xff,
	    "status entry fields, the unknown tail zeroed, nothing past it");
	thaw_req(&t);
	xioctl(fd, JETFREEZE_IOC_THAW, &t);
}

static void abi_adopt(int fd)
{
	struct jetfreeze_adopt a = { .size = sizeof(a), .session_id = ~0ULL };

	expect(xioctl(fd, JETFREEZE_IOC_ADOPT, &a), ENOENT,
	       "adopt an unknown hold");
	a.flags = 1;
	expect(xioctl(fd, JETFREEZE_IOC_ADOPT, &a), EINVAL, "adopt flag");
}

static int cmd_abi(int argc, char **argv)
{
	const char *disk = argc > 1 ? argv[1] : "/dev/vdb";
	int fd = node();

	printf("# ABI checks from a %zu-bit process on %s\n",
	       sizeof(void *) * 8, disk);
	abi_version(fd);
	abi_commands(fd);
	abi_freeze(fd, disk);
	abi_status(fd);
	abi_status_frozen(fd, disk);
	abi_adopt(fd);
	close(fd);
	return tap_failed;
}

/* ---- privileges ------------------------------------------------------ */

static int cmd_privileges(int argc, char **argv)
{
	const char *disk = argc > 1 ? argv[1] : "/dev/vdb";
	struct jetfreeze_version v = { .size = sizeof(v) };
	struct jetfreeze_adopt a = { .size = sizeof(a), .session_id = 1 };
	struct jetfreeze_device d;
	struct jetfreeze_freeze f;
	struct jetfreeze_thaw t;
	struct stat st = { 0 };
	pid_t pid;
	int fd, status;

	tap(stat(JETFREEZE_NODE, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_uid == 0, "%s is mode 0600, owned by root (mode %o)",
	    JETFREEZE_NODE, st.st_mode & 0777);

	pid = fork();
	if (pid == 0) {
		tap(setgid(65534) == 0 && setuid(65534) == 0,
		    "become nobody");
		fd = open(JETFREEZE_NODE, O_RDWR);
		tap(fd < 0 && errno == EACCES, "nobody cannot open the node: %s",
		    fd < 0 ? errname(errno) : "opened");
		_exit(tap_failed);
	}
	waitpid(pid, &status, 0);
	tap_failed |= !WIFEXITED(status) || WEXITSTATUS(status);

	pid = fork();
	if (pid == 0) {
		fd = node();
		tap(drop_cap_sys_admin() == 0, "drop CAP_SYS_ADMIN");
		dev_of(disk, &d);
		freeze_req(&f, &d, 1);
		expect(xioctl(fd, JETFREEZE_IOC_FREEZE, &f), EPERM,
		       "freeze without CAP_SYS_ADMIN");
		thaw_req(&t);
		expect(xioctl(fd, JETFREEZE_IOC_THAW, &t), EPERM,
		       "thaw without CAP_SYS_ADMIN");
		expect(xioctl(fd, JETFREEZE_IOC_ADOPT, &a), EPERM,
		       "adopt without CAP_SYS_ADMIN");
		expect(xioctl(fd, JETFREEZE_IOC_VERSION, &v), 0,
		       "version without CAP_SYS_ADMIN");
		{
			struct jetfreeze_snapshot_create sc = {
				.size = sizeof(sc), .nr_devices = 1,
				.devices = (uintptr_t)&d,
			};
			struct jetfreeze_snapshot_delete sd = {
				.size = sizeof(sd), .name = "x",
			};
			struct jetfreeze_snapshot_list sl = {
				.size = sizeof(sl),
				.entry_size = sizeof(struct jetfreeze_snapshot_entry),
			};

			expect(xioctl(fd, JETFREEZE_IOC_SNAPSHOT_CREATE, &sc),
			       EPERM, "snapshot create without CAP_SYS_ADMIN");
			expect(xioctl(fd, JETFREEZE_IOC_SNAPSHOT_DELETE, &sd),
			       EPERM, "snapshot delete without CAP_SYS_ADMIN");
			expect(xioctl(fd, JETFREEZE_IOC_SNAPSHOT_LIST, &sl), 0,
			       "snapshot list without CAP_SYS_ADMIN");
		}
		tap(nr_holds(fd) == 0, "status without CAP_SYS_ADMIN");
		_exit(tap_failed);
	}
	waitpid(pid, &status, 0);
	tap_failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	return tap_failed;
}

/* ---- hold ------------------------------------------------------------ */

static int cmd_hold(int argc, char **argv)
{
	struct jetfreeze_device d[MAX_DEVS];
	const char *until = NULL, *ready = NULL;
	struct jetfreeze_freeze f;
	struct jetfreeze_thaw t;
	unsigned int nr = 0, stage = 0, flags = 0, timeout = 0;
	unsigned long long max_bios = 0, max_bytes = 0;
	long long thaw_at;
	long wait_ms = 0;
	double start;
	int c, fd, e;

	optind = 1;
	while (optind < argc) {
		c = getopt(argc, argv, "+t:pw:u:b:B:s:r:");
		if (c == -1) {
			if (nr == MAX_DEVS)
				return 2;
			dev_of(argv[optind++], &d[nr]);
			d[nr++].stage = stage;
			continue;
		}
		switch (c) {
		case 't': timeout = atoi(optarg); break;
		case 'p': flags |= JETFREEZE_FREEZE_PERSIST; break;
		case 'w': wait_ms = atol(optarg); break;
		case 'u': until = optarg; break;
		case 'b': max_bios = strtoull(optarg, NULL, 0); break;
		case 'B': max_bytes = strtoull(optarg, NULL, 0); break;
		case 's': stage = atoi(optarg); break;
		case 'r': ready = optarg; break;
		default: return 2;
		}
	}
	if (!nr)
		return 2;

	fd = node();
	freeze_req(&f, d, nr);
	f.flags = flags;
	f.timeout_ms = timeout;
	f.max_held_bios = max_bios;
	f.max_held_bytes = max_bytes;
	start = now_ms();
	e = xioctl(fd, JETFREEZE_IOC_FREEZE, &f);
	printf("freeze=%s ms=%.0f hold=%llu drain_ms=%.1f failed_index=%d at=%lld\n",
	       errname(e), now_ms() - start, (unsigned long long)f.session_id,
	       f.drain_ns / 1e6, (int)f.failed_index, uptime_ms());
	fflush(stdout);
	if (e)
		return 1;
	if (ready)
		close(open(ready, O_CREAT | O_WRONLY, 0644));
	if (flags & JETFREEZE_FREEZE_PERSIST)
		return 0;
	start = now_ms();
	while (until && access(until, F_OK))
		usleep(20000);
	if (wait_ms)
		usleep(wait_ms * 1000);

	thaw_req(&t);
	thaw_at = uptime_ms();
	printf("thawing at=%lld\n", thaw_at);
	e = xioctl(fd, JETFREEZE_IOC_THAW, &t);
	printf("thaw=%s broken=%u held_bios=%llu held_bytes=%llu frozen_ms=%.0f release_ms=%.1f at=%lld\n",
	       errname(e), t.broken, (unsigned long long)t.held_bios,
	       (unsigned long long)t.held_bytes, t.frozen_ns / 1e6,
	       t.release_ns / 1e6, thaw_at);
	return e ? 1 : t.broken ? 3 : 0;
}

/* ---- raw I/O --------------------------------------------------------- */

static int cmd_write(int argc, char **argv)
{
	int direct = 0, nowait = 0, count = 1, bs = 4096, byte = -1, c, fd;
	unsigned long long off;
	void *buf;
	int i;

	optind = 1;
	while ((c = getopt(argc, argv, "ndc:s:x:")) != -1) {
		switch (c) {
		case 'n': nowait = 1; break;
		case 'd': direct = 1; break;
		case 'c': count = atoi(optarg); break;
		case 's': bs = atoi(optarg); break;
		case 'x': byte = strtol(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (optind + 2 != argc)
		return 2;
	off = strtoull(argv[optind + 1], NULL, 0);
	fd = open(argv[optind], O_WRONLY | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	if (posix_memalign(&buf, 4096, bs))
		return 1;
	for (i = 0; i < count; i++) {
		struct iovec iov = { .iov_base = buf, .iov_len = bs };
		ssize_t n;

		memset(buf, byte >= 0 ? byte : (int)(off / bs + i), bs);
		n = pwritev2(fd, &iov, 1, off + (unsigned long long)i * bs,
			     nowait ? RWF_NOWAIT : 0);
		if (n != bs) {
			printf("%s\n", n < 0 ? errname(errno) : "short write");
			return 1;
		}
	}
	if (!direct && fsync(fd)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok at=%lld\n", uptime_ms());
	return 0;
}

static int cmd_read(int argc, char **argv)
{
	int direct = 0, bs = 1 << 20, c, fd;
	double start;
	void *buf;

	optind = 1;
	while ((c = getopt(argc, argv, "ds:")) != -1) {
		switch (c) {
		case 'd': direct = 1; break;
		case 's': bs = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind + 2 != argc)
		return 2;
	fd = open(argv[optind], O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0 || posix_memalign(&buf, 4096, bs))
		return 1;
	start = now_ms();
	if (pread(fd, buf, bs, strtoull(argv[optind + 1], NULL, 0)) != bs) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("%.1f\n", now_ms() - start);
	return 0;
}

/*
 * Write each page of MIB MiB of anonymous memory once: in a memory cgroup
 * smaller than that, the kernel must swap out what does not fit, and
 * never read it back in.
 */
static int cmd_hog(int argc, char **argv)
{
	size_t len, i;
	char *p;

	if (argc != 2)
		return 2;
	len = strtoull(argv[1], NULL, 0) << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	printf("ok at=%lld\n", uptime_ms());
	return 0;
}

static int cmd_status(void)
{
	struct jetfreeze_status_entry e[256];
	struct jetfreeze_status st = {
		.size = sizeof(st),
		.entry_size = sizeof(e[0]),
		.nr_entries = 256,
		.entries = (uintptr_t)e,
	};
	unsigned int i;
	int fd = node();

	if (xioctl(fd, JETFREEZE_IOC_STATUS, &st))
		return 1;
	for (i = 0; i < st.nr_entries && i < 256; i++)
		printf("hold=%llu dev=%u:%u state=%u broken=%u flags=%u pid=%d comm=%.16s stage=%u held_bios=%llu held_bytes=%llu left_ms=%llu\n",
		       (unsigned long long)e[i].session_id, e[i].major,
		       e[i].minor, e[i].state, e[i].broken, e[i].flags,
		       e[i].holder_pid, e[i].holder_comm, e[i].stage,
		       (unsigned long long)e[i].held_bios,
		       (unsigned long long)e[i].held_bytes,
		       (unsigned long long)e[i].timeout_left_ms);
	return 0;
}

/* ---- snapshots -------------------------------------------------------- */

static int cmd_snap(int argc, char **argv)
{
	struct jetfreeze_device d[MAX_DEVS];
	struct jetfreeze_snapshot_image img[MAX_DEVS];
	struct jetfreeze_snapshot_create req;
	const char *until = NULL, *name = NULL, *ready = NULL, *go = NULL;
	unsigned int nr = 0, stage = 0, flags = 0, chunk = 0, origins = 0;
	int fds[16], nr_fds = 0, c, fd, e, first = 0;
	unsigned int i;

	optind = 1;
	while (optind < argc) {
		c = getopt(argc, argv, "+D:R:n:c:pWo:s:fu:r:g:");
		if (c == -1) {
			if (nr == MAX_DEVS)
				return 2;
			dev_of(argv[optind++], &d[nr]);
			d[nr++].stage = stage;
			continue;
		}
		switch (c) {
		case 'D':
			if (nr_fds == 16)
				return 2;
			fds[nr_fds] = open(optarg, O_RDWR | O_CLOEXEC);
			if (fds[nr_fds] < 0) {
				/* a descriptor the kernel must refuse */
				fds[nr_fds] = open(optarg, O_RDONLY | O_CLOEXEC);
			}
			nr_fds++;
			break;
		case 'R':
			if (nr_fds == 16)
				return 2;
			fds[nr_fds++] = open(optarg, O_RDONLY | O_CLOEXEC);
			break;
		case 'n': name = optarg; break;
		case 'c': chunk = atoi(optarg); break;
		case 'p': flags |= JETFREEZE_SNAPSHOT_PERSIST; break;
		case 'W': flags |= JETFREEZE_SNAPSHOT_WRITABLE; break;
		case 'o': origins = atoi(optarg); break;
		case 's': stage = atoi(optarg); break;
		case 'f': first = 1; break;
		case 'u': until = optarg; break;
		case 'r': ready = optarg; break;
		case 'g': go = optarg; break;
		default: return 2;
		}
	}
	if (!nr)
		return 2;

	fd = node();
	if (first) {
		struct jetfreeze_freeze f;

		freeze_req(&f, d, nr);
		e = xioctl(fd, JETFREEZE_IOC_FREEZE, &f);
		if (e) {
			printf("freeze=%s\n", errname(e));
			return 1;
		}
		if (ready)
			close(open(ready, O_CREAT | O_WRONLY, 0644));
		while (go && access(go, F_OK))
			usleep(20000);
	}
	memset(&req, 0, sizeof(req));
	memset(img, 0, sizeof(img));
	req.size = sizeof(req);
	req.flags = flags;
	req.nr_devices = nr;
	req.nr_diff = nr_fds;
	req.devices = (uintptr_t)d;
	req.diff_fds = (uintptr_t)fds;
	req.images = (uintptr_t)img;
	req.image_size = sizeof(img[0]);
	req.chunk_kib = chunk;
	req.nr_origins = origins;
	if (name)
		strncpy(req.name, name, sizeof(req.name) - 1);
	e = xioctl(fd, JETFREEZE_IOC_SNAPSHOT_CREATE, &req);
	printf("snap=%s name=%s id=%llu hold_ms=%.2f drain_ms=%.2f failed_index=%d\n",
	       errname(e), e ? "-" : req.name,
	       (unsigned long long)req.snapshot_id, req.hold_ns / 1e6,
	       req.drain_ns / 1e6, (int)req.failed_index);
	if (e)
		return 1;
	for (i = 0; i < (origins ? origins : nr); i++)
		printf("image %u:%u %s %u:%u\n", img[i].origin_major,
		       img[i].origin_minor, img[i].image_name,
		       img[i].image_major, img[i].image_minor);
	if (first) {
		struct jetfreeze_thaw t;

		thaw_req(&t);
		e = xioctl(fd, JETFREEZE_IOC_THAW, &t);
		printf("thaw=%s broken=%u\n", errname(e), t.broken);
	}
	fflush(stdout);
	while (until && access(until, F_OK))
		usleep(20000);
	return 0;
}

static int cmd_snap_list(void)
{
	struct jetfreeze_snapshot_entry e[256];
	struct jetfreeze_snapshot_list l = {
		.size = sizeof(l),
		.entry_size = sizeof(e[0]),
		.nr_entries = 256,
		.entries = (uintptr_t)e,
	};
	unsigned int i;
	int fd = node(), err;

	err = xioctl(fd, JETFREEZE_IOC_SNAPSHOT_LIST, &l);
	if (err) {
		printf("list=%s\n", errname(err));
		return 1;
	}
	for (i = 0; i < l.nr_entries && i < 256; i++)
		printf("snap=%s id=%llu state=%u error=%d flags=%u index=%u/%u chunk=%u origin=%u:%u image=%s used=%llu size=%llu memory=%llu preserved=%llu cow_bios=%llu cow_wait_ms=%.1f hold_ms=%.2f expires_ms=%llu\n",
		       e[i].name, (unsigned long long)e[i].snapshot_id,
		       e[i].state, e[i].error, e[i].flags, e[i].index,
		       e[i].nr_devices, e[i].chunk_bytes,
		       e[i].origin.origin_major, e[i].origin.origin_minor,
		       e[i].origin.image_name,
		       (unsigned long long)e[i].diff_used,
		       (unsigned long long)e[i].diff_size,
		       (unsigned long long)e[i].memory_bytes,
		       (unsigned long long)e[i].chunks_preserved,
		       (unsigned long long)e[i].cow_bios,
		       e[i].cow_wait_ns / 1e6, e[i].hold_ns / 1e6,
		       (unsigned long long)e[i].expires_ms);
	return 0;
}

static int cmd_snap_delete(int argc, char **argv)
{
	struct jetfreeze_snapshot_delete del;
	int e;

	if (argc != 2)
		return 2;
	memset(&del, 0, sizeof(del));
	del.size = sizeof(del);
	strncpy(del.name, argv[1], sizeof(del.name) - 1);
	e = xioctl(node(), JETFREEZE_IOC_SNAPSHOT_DELETE, &del);
	printf("delete=%s\n", errname(e));
	return e ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: jftest abi|privileges|hold|write|read|status|hog|snap|snap-list|snap-delete ...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "abi"))
		return cmd_abi(argc - 1, argv + 1);
	if (!strcmp(argv[1], "privileges"))
		return cmd_privileges(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 1, argv + 1);
	if (!strcmp(argv[1], "write"))
		return cmd_write(argc - 1, argv + 1);
	if (!strcmp(argv[1], "read"))
		return cmd_read(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status();
	if (!strcmp(argv[1], "hog"))
		return cmd_hog(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snap"))
		return cmd_snap(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snap-list"))
		return cmd_snap_list();
	if (!strcmp(argv[1], "snap-delete"))
		return cmd_snap_delete(argc - 1, argv + 1);
	fprintf(stderr, "jftest: unknown command %s\n", argv[1]);
	return 2;
}
