// SPDX-License-Identifier: GPL-2.0-only
/*
 * jfbench-lib: random writes through libjetfreeze's engine I/O path
 * (jetfreeze_write() on the instance's io_uring), the counterpart of
 *
 *   fio --ioengine=io_uring --rw=randwrite --direct=1 --bs=BS --iodepth=QD
 *       --norandommap --gtod_reduce=1
 *
 * for bench/run.  QD slots each keep one write in flight: a completion
 * counts and issues the slot's next write, at a random BS-aligned offset,
 * until the run time is over.
 *
 *   jfbench-lib [-d QD] [-s BS] [-r SEC] [-k KIND] FILE
 *	KIND: database (default), log, other, temp
 *
 * Prints "lib ios=N sec=S iops=I errors=E".  Exit status: 0 ok, 1 failure
 * (any write failed), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>

#define MAX_QD	1024

struct slot {
	uint64_t rng;
	void *buf;
};

static struct slot slots[MAX_QD];
static struct jetfreeze_file *file;
static size_t bs = 4096;
static uint64_t blocks;
static atomic_bool stop;
static atomic_ullong ios;
static atomic_ullong errors;

static void usage(void)
{
	fputs("usage: jfbench-lib [-d QD] [-s BS] [-r SEC] [-k database|log|other|temp] FILE\n",
	      stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: plenty for offsets */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void done(struct jetfreeze_file *f, void *arg, int res);

static int issue(struct slot *s)
{
	uint64_t off = (next_rand(&s->rng) % blocks) * bs;

	return jetfreeze_write(file, s->buf, bs, off, done, s);
}

static void done(struct jetfreeze_file *f, void *arg, int res)
{
	struct slot *s = arg;

	if (res != (int)bs)
		atomic_fetch_add(&errors, 1);
	else
		atomic_fetch_add(&ios, 1);
	if (atomic_load(&stop))
		return;
	if (issue(s))
		atomic_fetch_add(&errors, 1);
}

static unsigned int parse_kind(const char *k)
{
	if (!strcmp(k, "database"))
		return JETFREEZE_FILE_DATABASE;
	if (!strcmp(k, "log"))
		return JETFREEZE_FILE_LOG;
	if (!strcmp(k, "other"))
		return JETFREEZE_FILE_OTHER;
	if (!strcmp(k, "temp"))
		return JETFREEZE_FILE_TEMP;
	usage();
	return 0;
}

static uint64_t size_of(int fd)
{
	struct stat st;
	uint64_t size = 0;

	if (fstat(fd, &st))
		return 0;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			return 0;
		return size;
	}
	return st.st_size;
}

int main(int argc, char **argv)
{
	unsigned int qd = 32, secs = 5, kind = JETFREEZE_FILE_DATABASE, i;
	JET_INSTANCE inst;
	unsigned long long n;
	double t0, t1;
	int c, err;

	while ((c = getopt(argc, argv, "d:s:r:k:")) != -1) {
		switch (c) {
		case 'd': qd = atoi(optarg); break;
		case 's': bs = strtoul(optarg, NULL, 0); break;
		case 'r': secs = atoi(optarg); break;
		case 'k': kind = parse_kind(optarg); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !qd || qd > MAX_QD || !bs || bs % 512 ||
	    !secs)
		usage();

	err = jetfreeze_instance_create(&inst, "jfbench", NULL, NULL);
	if (!err)
		err = jetfreeze_instance_start(inst);
	if (err) {
		fprintf(stderr, "jfbench-lib: instance: %s\n", strerror(-err));
		return 1;
	}
	err = jetfreeze_file_open(inst, argv[optind], O_RDWR | O_DIRECT, 0,
				  kind, &file);
	if (err) {
		fprintf(stderr, "jfbench-lib: %s: %s\n", argv[optind],
			strerror(-err));
		return 1;
	}
	blocks = size_of(jetfreeze_file_fd(file)) / bs;
	if (!blocks) {
		fprintf(stderr, "jfbench-lib: %s: empty or no size\n",
			argv[optind]);
		return 1;
	}

	for (i = 0; i < qd; i++) {
		slots[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)getpid();
		if (posix_memalign(&slots[i].buf, 4096, bs))
			return 1;
		memset(slots[i].buf, 0xa5, bs);
	}
	t0 = now_s();
	for (i = 0; i < qd; i++) {
		err = issue(&slots[i]);
		if (err) {
			fprintf(stderr, "jfbench-lib: write: %s\n",
				strerror(-err));
			atomic_store(&stop, true);
			break;
		}
	}
	if (!err)
		sleep(secs);
	/* what completes from here on is not counted */
	atomic_store(&stop, true);
	t1 = now_s();
	n = atomic_load(&ios);
	printf("lib ios=%llu sec=%.3f iops=%.0f errors=%llu\n", n, t1 - t0,
	       n / (t1 - t0), (unsigned long long)atomic_load(&errors));
	fflush(stdout);
	jetfreeze_instance_wait_io(inst);
	jetfreeze_file_close(file);
	jetfreeze_instance_stop(inst, 0);
	jetfreeze_instance_destroy(inst);
	for (i = 0; i < qd; i++)
		free(slots[i].buf);
	return err || atomic_load(&errors) ? 1 : 0;
}
