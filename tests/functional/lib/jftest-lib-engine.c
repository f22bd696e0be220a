// SPDX-License-Identifier: GPL-2.0-only
/*
 * jftest-lib-engine: a test engine on libjetfreeze for the VM suite
 * (tests/functional/lib-*.t), with the real module underneath.
 *
 *   jftest-lib-engine [options] FILE...
 *   jftest-lib-engine -V GEN [-b BLOCKS] FILE...     check FILE... only
 *
 * FILE... are the instance's databases (created and sized as needed, opened
 * O_DIRECT), -l FILE adds a log file.  Each file holds BLOCKS blocks of
 * 4 KiB; block b of file i in generation g is a header naming (i, b, g)
 * and a filler byte derived from them, so a reader can tell exactly which
 * write it sees.  The run:
 *
 *   generation 0 written and fsynced, the instance started;
 *   -p: generation 1 submitted just before Freeze (in flight at Freeze);
 *   JetOSSnapshotPrepare(ContinueAfterThaw) and JetOSSnapshotFreeze;
 *   a writer thread keeps writing generation 2, one block every 5 ms,
 *   asynchronously; -r FILE is created once the first half is submitted;
 *   -u FILE: wait for it; -s MS: wait that long; -k: die by SIGKILL here;
 *   Thaw, wait for every write, check every block is generation 2,
 *   TruncateLog, End.
 *
 * Results are "key=value" lines on stdout; the .t files judge them.  Exit
 * status 0 unless the program could not run (1) or was misused (2).
 *
 *   -m kernel|userspace   snapshot mode (default kernel)
 *   -t MS                 JET_paramOSSnapshotTimeout
 *   -f                    once frozen, fork a child that sleeps 60 s (it
 *                         inherits the descriptors, not the hold)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>

#define BLOCK		4096
#define MAX_FILES	8

struct file {
	const char *path;
	struct jetfreeze_file *f;
	unsigned int kind;
};

static struct file files[MAX_FILES];
static unsigned int nr_files;
static unsigned int nr_blocks = 64;
static JET_INSTANCE instance;

/* Completion bookkeeping per generation. */
struct gen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int submitted, completed, failed;
	uint64_t last_done_ms;
	void **bufs;
};

static struct gen gens[3];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill(void *buf, unsigned int file, unsigned int block,
		 unsigned int gen)
{
	memset(buf, (int)((file * 31 + block * 7 + gen * 101) & 0xff), BLOCK);
	snprintf(buf, 64, "jflib file=%u block=%u gen=%u", file, block, gen);
}

static int gen_of(const void *buf, unsigned int file, unsigned int block)
{
	unsigned int f, b, g, i;
	const unsigned char *p = buf;

	if (sscanf(buf, "jflib file=%u block=%u gen=%u", &f, &b, &g) != 3 ||
	    f != file || b != block)
		return -1;
	for (i = 64; i < BLOCK; i++)
		if (p[i] != ((file * 31 + block * 7 + g * 101) & 0xff))
			return -1;	/* torn */
	return (int)g;
}

static void *block_buf(void)
{
	void *buf;

	if (posix_memalign(&buf, BLOCK, BLOCK)) {
		perror("posix_memalign");
		exit(1);
	}
	return buf;
}

static void write_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct gen *g = arg;

	pthread_mutex_lock(&g->lock);
	g->completed++;
	if (res != BLOCK)
		g->failed++;
	g->last_done_ms = now_ms();
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void submit(unsigned int gen, unsigned int file, unsigned int block)
{
	struct gen *g = &gens[gen];
	void *buf = g->bufs[file * nr_blocks + block];
	int err;

	fill(buf, file, block, gen);
	err = jetfreeze_write(files[file].f, buf, BLOCK, (uint64_t)block * BLOCK,
			      write_done, g);
	pthread_mutex_lock(&g->lock);
	if (err) {
		fprintf(stderr, "write: %s\n", strerror(-err));
		g->failed++;
	} else {
		g->submitted++;
	}
	pthread_mutex_unlock(&g->lock);
}

static unsigned int completed(unsigned int gen)
{
	unsigned int n;

	pthread_mutex_lock(&gens[gen].lock);
	n = gens[gen].completed;
	pthread_mutex_unlock(&gens[gen].lock);
	return n;
}

static const char *ready_file;
static volatile bool writer_stop;

/* Generation 2, one block at a time, while frozen. */
static void *writer_main(void *arg)
{
	unsigned int total = nr_files * nr_blocks, i;
	struct timespec pause = { 0, 5 * 1000000L };

	for (i = 0; i < total && !writer_stop; i++) {
		submit(2, i % nr_files, i / nr_files);
		if (i + 1 == total / 2 && ready_file) {
			int fd = open(ready_file, O_WRONLY | O_CREAT, 0644);

			if (fd >= 0)
				close(fd);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static int open_files(bool create)
{
	unsigned int i;

	for (i = 0; i < nr_files; i++) {
		int flags = O_RDWR | O_DIRECT | (create ? O_CREAT : 0);
		int err = jetfreeze_file_open(instance, files[i].path, flags,
					      0644, files[i].kind, &files[i].f);

		if (err == -EINVAL)	/* no O_DIRECT here (tmpfs) */
			err = jetfreeze_file_open(instance, files[i].path,
						  flags & ~O_DIRECT, 0644,
						  files[i].kind, &files[i].f);
		if (err) {
			fprintf(stderr, "open %s: %s\n", files[i].path,
				strerror(-err));
			return 1;
		}
	}
	return 0;
}

/* Every block of every file is generation @want; prints the verdict. */
static int verify(unsigned int want)
{
	unsigned int i, b, bad = 0;
	void *buf = block_buf();

	for (i = 0; i < nr_files; i++) {
		for (b = 0; b < nr_blocks; b++) {
			ssize_t n = jetfreeze_pread(files[i].f, buf, BLOCK,
						    (uint64_t)b * BLOCK);
			int g = n == BLOCK ? gen_of(buf, i, b) : -1;

			if (g != (int)want) {
				if (!bad++)
					printf("first_bad=%s:%u gen=%d\n",
					       files[i].path, b, g);
			}
		}
	}
	free(buf);
	printf("verify=%s bad_blocks=%u\n", bad ? "bad" : "ok", bad);
	return bad ? 1 : 0;
}

static void wait_file(const char *path)
{
	struct timespec pause = { 0, 20 * 1000000L };

	while (access(path, F_OK) != 0)
		nanosleep(&pause, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: jftest-lib-engine [-m kernel|userspace] [-t MS] [-b BLOCKS] [-l LOG] [-p] [-r READY] [-u GO] [-s MS] [-k] [-f] DB...\n"
		"       jftest-lib-engine -V GEN [-b BLOCKS] [-l LOG] DB...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *go_file = NULL;
	bool pre_freeze = false, die = false, fork_child = false;
	int verify_gen = -1, opt, stay_ms = 0;
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long nr_info = 0, k;
	unsigned int i, b, total;
	uint64_t t0, t1;
	JET_OSSNAPID snap;
	pthread_t writer;
	JET_ERR err;

	while ((opt = getopt(argc, argv, "m:t:b:l:pr:u:s:kfV:")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "userspace"))
				jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE);
			else if (strcmp(optarg, "kernel"))
				usage();
			break;
		case 't':
			JetSetSystemParameter(NULL, JET_sesidNil,
					      JET_paramOSSnapshotTimeout,
					      strtoul(optarg, NULL, 0), NULL);
			break;
		case 'b':
			nr_blocks = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			if (nr_files == MAX_FILES)
				usage();
			files[nr_files].kind = JETFREEZE_FILE_LOG;
			files[nr_files++].path = optarg;
			break;
		case 'p':
			pre_freeze = true;
			break;
		case 'r':
			ready_file = optarg;
			break;
		case 'u':
			go_file = optarg;
			break;
		case 's':
			stay_ms = atoi(optarg);
			break;
		case 'k':
			die = true;
			break;
		case 'f':
			fork_child = true;
			break;
		case 'V':
			verify_gen = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	for (; optind < argc && nr_files < MAX_FILES; optind++) {
		files[nr_files].kind = JETFREEZE_FILE_DATABASE;
		files[nr_files++].path = argv[optind];
	}
	if (!nr_files || optind < argc || !nr_blocks)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (jetfreeze_instance_create(&instance, "jftest-lib", NULL, NULL))
		return 1;
	if (open_files(verify_gen < 0))
		return 1;
	if (verify_gen >= 0)
		return verify((unsigned int)verify_gen);

	total = nr_files * nr_blocks;
	for (i = 0; i < 3; i++) {
		pthread_mutex_init(&gens[i].lock, NULL);
		pthread_cond_init(&gens[i].cond, NULL);
		gens[i].bufs = calloc(nr_files * nr_blocks, sizeof(void *));
		for (b = 0; b < nr_files * nr_blocks; b++)
			gens[i].bufs[b] = block_buf();
	}

	/* Generation 0, all at once (slow devices are slow per write), then
	 * durable before anything else. */
	for (i = 0; i < total; i++)
		submit(0, i % nr_files, i / nr_files);
	pthread_mutex_lock(&gens[0].lock);
	while (gens[0].completed < gens[0].submitted)
		pthread_cond_wait(&gens[0].cond, &gens[0].lock);
	pthread_mutex_unlock(&gens[0].lock);
	if (gens[0].failed || gens[0].submitted != total)
		return fprintf(stderr, "initial writes failed\n"), 1;
	for (i = 0; i < nr_files; i++)
		if (jetfreeze_sync(files[i].f, 0))
			return fprintf(stderr, "initial fsync failed\n"), 1;
	if (jetfreeze_instance_start(instance))
		return 1;
	printf("files=%u blocks=%u\n", nr_files, nr_blocks);

	err = JetOSSnapshotPrepare(&snap, JET_bitContinueAfterThaw);
	printf("prepare=%d\n", (int)err);
	if (err)
		return 1;
	if (pre_freeze)
		for (i = 0; i < total; i++)
			submit(1, i % nr_files, i / nr_files);
	t0 = now_ms();
	err = JetOSSnapshotFreeze(snap, &nr_info, &info, 0);
	t1 = now_ms();
	printf("freeze=%d ms=%llu instances=%lu\n", (int)err,
	       (unsigned long long)(t1 - t0), nr_info);
	if (pre_freeze) {
		pthread_mutex_lock(&gens[1].lock);
		printf("drained=%s gen1_completed=%u of %u last_done_before_return_ms=%lld\n",
		       gens[1].completed == total && gens[1].last_done_ms <= t1 ?
		       "yes" : "no", gens[1].completed, total,
		       (long long)t1 - (long long)gens[1].last_done_ms);
		pthread_mutex_unlock(&gens[1].lock);
	}
	if (err) {
		JetOSSnapshotEnd(snap, JET_bitAbortSnapshot);
		jetfreeze_instance_wait_io(instance);
		return 0;
	}
	for (k = 0; k < nr_info; k++)
		for (b = 0; b < info[k].cDatabases; b++)
			printf("db=%s\n", info[k].szDatabaseFileName[b]);
	JetFreeBuffer((char *)info);

	if (fork_child) {
		pid_t child = fork();

		if (child == 0) {
			/* A copy of every descriptor, the kernel session's
			 * included, unless the library closed it here. */
			sleep(60);
			_exit(0);
		}
		printf("child=%d\n", (int)child);
	}
	pthread_create(&writer, NULL, writer_main, NULL);
	if (go_file)
		wait_file(go_file);
	if (stay_ms)
		usleep((useconds_t)stay_ms * 1000);
	if (die) {
		printf("dying while frozen\n");
		kill(getpid(), SIGKILL);
	}
	pthread_join(writer, NULL);
	printf("frozen_writes_completed=%u of %u\n", completed(2),
	       gens[2].submitted);

	err = JetOSSnapshotThaw(snap, 0);
	printf("thaw=%d\n", (int)err);
	jetfreeze_instance_wait_io(instance);
	printf("landed=%u of %u failed=%u\n", completed(2), gens[2].submitted,
	       gens[2].failed);
	verify(2);
	if (!err)
		err = JetOSSnapshotTruncateLog(snap, JET_bitAllDatabasesSnapshot);
	printf("truncate=%d\n", (int)err);
	printf("end=%d\n", (int)JetOSSnapshotEnd(snap, err ? JET_bitAbortSnapshot : 0));
	jetfreeze_instance_stop(instance, 0);
	jetfreeze_instance_destroy(instance);
	return 0;
}
