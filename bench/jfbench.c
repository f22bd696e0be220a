// SPDX-License-Identifier: GPL-2.0-only
/*
 * jfbench: the timing helper of the benchmarks (bench/run), run in the
 * guest.  Every freeze it times is one system call, so the three ways of
 * freezing compare without process start-up in the numbers:
 *
 *   jf:NAME:DEV[@STAGE],...  JETFREEZE_IOC_FREEZE / THAW of the devices
 *   fs:NAME:MOUNTPOINT       FIFREEZE / FITHAW, what fsfreeze(8) does
 *   dm:NAME:DMNAME           DM_DEV_SUSPEND / resume, what "dmsetup
 *                            suspend" / "dmsetup resume" do (lockfs, flush)
 *   dmnl:NAME:DMNAME         the same with --nolockfs
 *
 *   jfbench cycles [-n N] [-H MS] [-g MS] [-t MS] [-m] [-R STAT] METHOD...
 *	N cycles; cycle I runs every METHOD once, starting with method
 *	I mod count: sleep GAP (-g, 150 ms), freeze, hold (-H, 50 ms), thaw.
 *	One line a freeze: "cycle=I method=NAME freeze_us=.. thaw_us=..",
 *	jetfreeze adds drain_us, held_bios and release_us.  -m writes
 *	"jfbench-t0 I" to the trace marker just before each freeze.  -R
 *	STAT (a /sys/block/DEV/stat) adds the reads completed per second in
 *	the last HOLD ms before the freeze (unfrozen_rps) and between the
 *	end of the freeze and the thaw (frozen_rps); GAP must be >= HOLD.
 *   jfbench rate [-d MS] [-w] STAT
 *	reads (-w: writes) completed per second over MS (default 2000) ms,
 *	from a /sys/block/DEV/stat: prints "rate=R".
 *   jfbench flood [-n N] [-s BS] [-t MS] DEV
 *	freeze DEV, submit N O_DIRECT writes of BS bytes with Linux AIO (they
 *	are all held), thaw and print what THAW reports: "flood n=..
 *	held_bios=.. release_us=.. thaw_us=.. submit_us=..".
 *
 * -t is the jetfreeze hold timeout (default 30000 ms).  Exit status: 0 ok,
 * 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <linux/jetfreeze.h>

#define MAX_DEVS	256
#define MAX_METHODS	8
#define TRACE_MARKER	"/sys/kernel/tracing/trace_marker"

enum kind { M_JF, M_FS, M_DM, M_DMNL };

struct method {
	enum kind kind;
	char name[32];
	/* jf */
	struct jetfreeze_device devs[MAX_DEVS];
	unsigned int nr;
	int jf_fd;
	/* fs: the mount point; dm: the device name */
	char target[256];
	int fs_fd;
	int dm_fd;
	/* results of the last freeze/thaw */
	uint64_t drain_ns;
	uint64_t held_bios;
	uint64_t release_ns;
};

static unsigned int timeout_ms = 30000;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("jfbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void)
{
	fputs("usage: jfbench cycles [-n N] [-H MS] [-g MS] [-t MS] [-m] [-R STAT] METHOD...\n"
	      "       jfbench flood [-n N] [-s BS] [-t MS] DEV\n"
	      "       jfbench rate [-d MS] [-w] STAT\n"
	      "METHOD: jf:NAME:DEV[@STAGE][,DEV[@STAGE]]...  fs:NAME:MOUNTPOINT\n"
	      "        dm:NAME:DMNAME  dmnl:NAME:DMNAME\n", stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

/* Field @field (1-based) of a /sys/block/DEV/stat file. */
static uint64_t stat_field(const char *path, int field)
{
	unsigned long long v[11];
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	n = fscanf(f, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9], &v[10]);
	fclose(f);
	if (n < field)
		die("%s: cannot parse", path);
	return v[field - 1];
}

/* Completions per second between two samples. */
static double rate(uint64_t c0, uint64_t t0, uint64_t c1, uint64_t t1)
{
	return t1 > t0 ? (c1 - c0) * 1e9 / (t1 - t0) : 0;
}

static void dev_of(const char *path, struct jetfreeze_device *d)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		die("%s: not a block device", path);
	memset(d, 0, sizeof(*d));
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
}

/* "jf:NAME:DEV[@STAGE],..." and the like */
static void parse_method(struct method *m, const char *spec)
{
	char buf[4096], *kind, *name, *rest, *tok, *save, *at;

	if (strlen(spec) >= sizeof(buf))
		die("method too long: %s", spec);
	strcpy(buf, spec);
	kind = buf;
	name = strchr(kind, ':');
	if (!name)
		die("bad method '%s' (KIND:NAME:TARGET)", spec);
	*name++ = '\0';
	rest = strchr(name, ':');
	if (!rest)
		die("bad method '%s' (KIND:NAME:TARGET)", spec);
	*rest++ = '\0';
	if (!*name || strlen(name) >= sizeof(m->name))
		die("bad method name in '%s'", spec);
	memset(m, 0, sizeof(*m));
	m->jf_fd = -1;
	m->fs_fd = -1;
	strcpy(m->name, name);

	if (!strcmp(kind, "jf")) {
		m->kind = M_JF;
		for (tok = strtok_r(rest, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (m->nr == MAX_DEVS)
				die("more than %d devices", MAX_DEVS);
			at = strchr(tok, '@');
			if (at)
				*at++ = '\0';
			dev_of(tok, &m->devs[m->nr]);
			if (at)
				m->devs[m->nr].stage = parse_num(at, "stage");
			m->nr++;
		}
		if (!m->nr)
			die("%s: no devices", spec);
		m->jf_fd = open(JETFREEZE_NODE, O_RDWR | O_CLOEXEC);
		if (m->jf_fd < 0)
			die("%s: %s", JETFREEZE_NODE, strerror(errno));
		return;
	}
	if (strlen(rest) >= sizeof(m->target) || !*rest)
		die("bad target in '%s'", spec);
	strcpy(m->target, rest);
	if (!strcmp(kind, "fs")) {
		m->kind = M_FS;
		m->fs_fd = open(m->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (m->fs_fd < 0)
			die("%s: %s", m->target, strerror(errno));
	} else if (!strcmp(kind, "dm") || !strcmp(kind, "dmnl")) {
		m->kind = !strcmp(kind, "dm") ? M_DM : M_DMNL;
		/* opened here, so that the timed calls pay for the ioctl only */
		m->dm_fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
		if (m->dm_fd < 0)
			die("/dev/mapper/control: %s", strerror(errno));
	} else {
		die("unknown method kind '%s'", kind);
	}
}

/* DM_DEV_SUSPEND with or without DM_SUSPEND_FLAG, as libdevmapper does. */
static int dm_suspend(int fd, const char *name, int suspend, int nolockfs)
{
	struct dm_ioctl dmi;

	memset(&dmi, 0, sizeof(dmi));
	dmi.version[0] = DM_VERSION_MAJOR;
	dmi.version[1] = 0;
	dmi.version[2] = 0;
	dmi.data_size = sizeof(dmi);
	dmi.data_start = sizeof(dmi);
	snprintf(dmi.name, sizeof(dmi.name), "%s", name);
	if (suspend)
		dmi.flags = DM_SUSPEND_FLAG | (nolockfs ? DM_SKIP_LOCKFS_FLAG : 0);
	return ioctl(fd, DM_DEV_SUSPEND, &dmi) ? errno : 0;
}

/* Freeze; returns 0 or an errno. */
static int do_freeze(struct method *m)
{
	struct jetfreeze_freeze f;

	switch (m->kind) {
	case M_JF:
		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.timeout_ms = timeout_ms;
		f.nr_devices = m->nr;
		f.devices = (uintptr_t)m->devs;
		if (ioctl(m->jf_fd, JETFREEZE_IOC_FREEZE, &f))
			return errno;
		m->drain_ns = f.drain_ns;
		return 0;
	case M_FS:
		return ioctl(m->fs_fd, FIFREEZE, 0) ? errno : 0;
	case M_DM:
		return dm_suspend(m->dm_fd, m->target, 1, 0);
	case M_DMNL:
		return dm_suspend(m->dm_fd, m->target, 1, 1);
	}
	return EINVAL;
}

static int do_thaw(struct method *m)
{
	struct jetfreeze_thaw t;

	switch (m->kind) {
	case M_JF:
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		if (ioctl(m->jf_fd, JETFREEZE_IOC_THAW, &t))
			return errno;
		m->held_bios = t.held_bios;
		m->release_ns = t.release_ns;
		return t.broken ? EPIPE : 0;
	case M_FS:
		return ioctl(m->fs_fd, FITHAW, 0) ? errno : 0;
	case M_DM:
	case M_DMNL:
		return dm_suspend(m->dm_fd, m->target, 0, 0);
	}
	return EINVAL;
}

static void print_jf(const struct method *m)
{
	if (m->kind == M_JF)
		printf(" drain_us=%.1f held_bios=%llu release_us=%.1f",
		       m->drain_ns / 1e3, (unsigned long long)m->held_bios,
		       m->release_ns / 1e3);
}

/* ---- cycles ---------------------------------------------------------- */

static int cmd_cycles(int argc, char **argv)
{
	static struct method methods[MAX_METHODS];
	unsigned int n = 30, hold = 50, gap = 150, nm = 0, i, k;
	int c, marker = -1, use_marker = 0;
	const char *stat = NULL;

	while ((c = getopt(argc, argv, "+n:H:g:t:mR:")) != -1) {
		switch (c) {
		case 'n': n = parse_num(optarg, "count"); break;
		case 'H': hold = parse_num(optarg, "hold"); break;
		case 'g': gap = parse_num(optarg, "gap"); break;
		case 't': timeout_ms = parse_num(optarg, "timeout"); break;
		case 'm': use_marker = 1; break;
		case 'R': stat = optarg; break;
		default: usage();
		}
	}
	if (optind == argc || (stat && gap < hold))
		usage();
	for (; optind < argc; optind++) {
		if (nm == MAX_METHODS)
			die("more than %d methods", MAX_METHODS);
		parse_method(&methods[nm++], argv[optind]);
	}
	if (use_marker) {
		marker = open(TRACE_MARKER, O_WRONLY | O_CLOEXEC);
		if (marker < 0)
			die("%s: %s", TRACE_MARKER, strerror(errno));
	}

	for (i = 0; i < n; i++) {
		for (k = 0; k < nm; k++) {
			struct method *m = &methods[(i + k) % nm];
			uint64_t t0, t1, t2, t3, s0 = 0, s1 = 0, s2 = 0;
			uint64_t s3 = 0, u0 = 0, u1 = 0;
			char mark[64];
			int e;

			if (stat) {
				sleep_ms(gap - hold);
				u0 = now_ns();
				s0 = stat_field(stat, 1);
				sleep_ms(hold);
				u1 = now_ns();
				s1 = stat_field(stat, 1);
			} else {
				sleep_ms(gap);
			}
			if (marker >= 0) {
				int len = snprintf(mark, sizeof(mark),
						   "jfbench-t0 %u\n", i);

				if (write(marker, mark, len) != len)
					die("trace marker: %s", strerror(errno));
			}
			t0 = now_ns();
			e = do_freeze(m);
			t1 = now_ns();
			if (e) {
				printf("cycle=%u method=%s error=%s\n", i,
				       m->name, strerror(e));
				return 1;
			}
			if (stat)
				s2 = stat_field(stat, 1);
			sleep_ms(hold);
			if (stat)
				s3 = stat_field(stat, 1);
			t2 = now_ns();
			e = do_thaw(m);
			t3 = now_ns();
			if (e) {
				printf("cycle=%u method=%s thaw_error=%s\n", i,
				       m->name, strerror(e));
				return 1;
			}
			printf("cycle=%u method=%s freeze_us=%.1f thaw_us=%.1f",
			       i, m->name, (t1 - t0) / 1e3, (t3 - t2) / 1e3);
			print_jf(m);
			if (stat)
				printf(" unfrozen_rps=%.0f frozen_rps=%.0f",
				       rate(s0, u0, s1, u1), rate(s2, t1, s3, t2));
			putchar('\n');
		}
	}
	return 0;
}

/* ---- rate ------------------------------------------------------------ */

static int cmd_rate(int argc, char **argv)
{
	unsigned int ms = 2000;
	uint64_t t0, t1, c0, c1;
	int c, field = 1;

	while ((c = getopt(argc, argv, "d:w")) != -1) {
		switch (c) {
		case 'd': ms = parse_num(optarg, "duration"); break;
		case 'w': field = 5; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !ms)
		usage();
	t0 = now_ns();
	c0 = stat_field(argv[optind], field);
	sleep_ms(ms);
	t1 = now_ns();
	c1 = stat_field(argv[optind], field);
	printf("rate=%.0f\n", rate(c0, t0, c1, t1));
	return 0;
}

/* ---- flood ----------------------------------------------------------- */

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long sys_io_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static long sys_io_getevents(aio_context_t ctx, long min, long max,
			     struct io_event *ev, struct timespec *timeout)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, timeout);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

#define FLOOD_BATCH	1024

static int cmd_flood(int argc, char **argv)
{
	static struct method m;
	unsigned long n = 10000, bs = 4096, i, got = 0, blocks;
	struct iocb *cbs, *ptrs[FLOOD_BATCH];
	struct io_event ev[FLOOD_BATCH];
	aio_context_t ctx = 0;
	uint64_t t0, t1, t2, t3, size;
	int c, fd, e, fails = 0;
	char spec[300];
	void *buf;

	while ((c = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (c) {
		case 'n': n = parse_num(optarg, "count"); break;
		case 's': bs = parse_num(optarg, "block size"); break;
		case 't': timeout_ms = parse_num(optarg, "timeout"); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !n || !bs || bs % 512)
		usage();
	snprintf(spec, sizeof(spec), "jf:flood:%s", argv[optind]);
	parse_method(&m, spec);

	fd = open(argv[optind], O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", argv[optind], strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &size))
		die("%s: size: %s", argv[optind], strerror(errno));
	blocks = size / bs;
	if (!blocks)
		die("%s: too small", argv[optind]);
	if (posix_memalign(&buf, 4096, bs))
		die("out of memory");
	memset(buf, 0x5a, bs);
	cbs = calloc(n, sizeof(*cbs));
	if (!cbs)
		die("out of memory");
	if (sys_io_setup(n, &ctx))
		die("io_setup(%lu): %s (raise /proc/sys/fs/aio-max-nr)", n,
		    strerror(errno));
	for (i = 0; i < n; i++) {
		cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		cbs[i].aio_fildes = fd;
		cbs[i].aio_buf = (uintptr_t)buf;
		cbs[i].aio_nbytes = bs;
		/* spread out, so that nothing merges */
		cbs[i].aio_offset = (uint64_t)((i * 2) % blocks) * bs;
		cbs[i].aio_data = i;
	}

	e = do_freeze(&m);
	if (e)
		die("freeze: %s", strerror(e));
	t0 = now_ns();
	for (i = 0; i < n;) {
		long nr = n - i > FLOOD_BATCH ? FLOOD_BATCH : n - i, j, r;

		for (j = 0; j < nr; j++)
			ptrs[j] = &cbs[i + j];
		r = sys_io_submit(ctx, nr, ptrs);
		if (r <= 0) {
			e = r < 0 ? errno : EIO;
			do_thaw(&m);
			die("io_submit: %s", strerror(e));
		}
		i += r;
	}
	t1 = now_ns();
	e = do_thaw(&m);
	t2 = now_ns();
	if (e)
		die("thaw: %s", strerror(e));
	while (got < n) {
		/* a released write that never completes must not hang the run */
		struct timespec limit = { .tv_sec = 60 };
		long r = sys_io_getevents(ctx, 1, FLOOD_BATCH, ev, &limit);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("io_getevents: %s", strerror(errno));
		}
		if (!r)
			die("%lu of %lu released writes still incomplete after 60 s",
			    n - got, n);
		for (i = 0; i < (unsigned long)r; i++)
			if (ev[i].res != (int64_t)bs)
				fails++;
		got += r;
	}
	t3 = now_ns();
	sys_io_destroy(ctx);
	printf("flood n=%lu bs=%lu held_bios=%llu release_us=%.1f thaw_us=%.1f submit_us=%.1f complete_us=%.1f failed=%d\n",
	       n, bs, (unsigned long long)m.held_bios, m.release_ns / 1e3,
	       (t2 - t1) / 1e3, (t1 - t0) / 1e3, (t3 - t1) / 1e3, fails);
	free(cbs);
	free(buf);
	close(fd);
	if (m.held_bios != n) {
		fprintf(stderr, "jfbench: held %llu of %lu writes: the release time is not theirs\n",
			(unsigned long long)m.held_bios, n);
		return 1;
	}
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "cycles"))
		return cmd_cycles(argc - 1, argv + 1);
	if (!strcmp(argv[1], "flood"))
		return cmd_flood(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rate"))
		return cmd_rate(argc - 1, argv + 1);
	usage();
	return 2;
}
