// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's file I/O on io_uring, on real files in a temporary
 * directory: asynchronous reads, writes and fsyncs with completion
 * callbacks, the synchronous helpers, O_DIRECT and buffered files, many
 * submitting threads, and the misuse the library refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define NR_THREADS	8
#define PER_THREAD	200
#define BLOCK		4096

static JET_INSTANCE inst;
static char dir[512];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_create());
	assert_int_equal(jetfreeze_instance_create(&inst, "io", NULL, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(inst), 0);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(jetfreeze_instance_stop(inst, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(inst), 0);
	tmpdir_remove();
	return 0;
}

static struct jetfreeze_file *open_file(const char *name, int flags,
					unsigned int kind)
{
	struct jetfreeze_file *f;
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(jetfreeze_file_open(inst, path, flags | O_CREAT, 0644,
					     kind, &f), 0);
	return f;
}

struct completion {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	int res;
	pthread_t thread;
};

#define COMPLETION_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 }

static void on_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct completion *c = arg;

	pthread_mutex_lock(&c->lock);
	c->res = res;
	c->thread = pthread_self();
	c->done++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static int done_count(struct completion *c)
{
	int n;

	pthread_mutex_lock(&c->lock);
	n = c->done;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static int wait_done(struct completion *c, int n)
{
	pthread_mutex_lock(&c->lock);
	while (c->done < n)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return c->res;
}

static void async_round_trip(void **state)
{
	struct jetfreeze_file *f = open_file("async", O_RDWR,
					     JETFREEZE_FILE_DATABASE);
	struct completion w = COMPLETION_INIT, s = COMPLETION_INIT,
			  r = COMPLETION_INIT;
	char out[BLOCK], in[BLOCK];
	struct stat st;

	memset(out, 'q', sizeof(out));
	assert_int_equal(jetfreeze_write(f, out, sizeof(out), BLOCK, on_done,
					 &w), 0);
	assert_int_equal(wait_done(&w, 1), BLOCK);
	/* Completions run on the library's thread, not ours. */
	assert_false(pthread_equal(w.thread, pthread_self()));
	assert_int_equal(jetfreeze_fsync(f, JETFREEZE_FSYNC_DATA, on_done, &s), 0);
	assert_int_equal(wait_done(&s, 1), 0);
	assert_int_equal(jetfreeze_read(f, in, sizeof(in), BLOCK, on_done, &r), 0);
	assert_int_equal(wait_done(&r, 1), BLOCK);
	assert_memory_equal(in, out, BLOCK);
	assert_int_equal(fstat(jetfreeze_file_fd(f), &st), 0);
	assert_int_equal(st.st_size, 2 * BLOCK);
	/* Short read at the end of the file, like pread. */
	r.done = 0;
	assert_int_equal(jetfreeze_read(f, in, sizeof(in), BLOCK + 100, on_done,
					&r), 0);
	assert_int_equal(wait_done(&r, 1), BLOCK - 100);
	assert_int_equal(jetfreeze_file_close(f), 0);
}

static void sync_helpers(void **state)
{
	struct jetfreeze_file *f = open_file("sync", O_RDWR,
					     JETFREEZE_FILE_LOG);
	static char big[3 * 1024 * 1024], back[sizeof(big)];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 4096);
	assert_int_equal(jetfreeze_pwrite(f, big, sizeof(big), 512),
			 sizeof(big));
	assert_int_equal(jetfreeze_sync(f, 0), 0);
	assert_int_equal(jetfreeze_sync(f, JETFREEZE_FSYNC_DATA), 0);
	assert_int_equal(jetfreeze_pread(f, back, sizeof(back), 512),
			 sizeof(back));
	assert_memory_equal(big, back, sizeof(big));
	/* Reads stop at the end of the file. */
	assert_int_equal(jetfreeze_pread(f, back, sizeof(back), 1024),
			 sizeof(big) - 512);
	assert_int_equal(jetfreeze_pread(f, back, 10, 1 << 30), 0);
	assert_string_equal(jetfreeze_file_path(f) + strlen(dir), "/sync");
	assert_int_equal(jetfreeze_file_close(f), 0);
}

static void o_direct(void **state)
{
	struct jetfreeze_file *f;
	void *out = NULL, *in = NULL;
	char path[700];
	int err;

	snprintf(path, sizeof(path), "%s/direct", dir);
	err = jetfreeze_file_open(inst, path, O_RDWR | O_CREAT | O_DIRECT, 0644,
				  JETFREEZE_FILE_DATABASE, &f);
	if (err == -EINVAL) {
		skip();	/* the temporary directory's filesystem has none */
		return;
	}
	assert_int_equal(err, 0);
	assert_int_equal(posix_memalign(&out, BLOCK, 16 * BLOCK), 0);
	assert_int_equal(posix_memalign(&in, BLOCK, 16 * BLOCK), 0);
	memset(out, 0xa5, 16 * BLOCK);
	assert_int_equal(jetfreeze_pwrite(f, out, 16 * BLOCK, 0), 16 * BLOCK);
	memset(in, 0, 16 * BLOCK);
	assert_int_equal(jetfreeze_pread(f, in, 16 * BLOCK, 0), 16 * BLOCK);
	assert_memory_equal(in, out, 16 * BLOCK);
	/* Misaligned: the kernel's error comes back, nothing breaks. */
	assert_int_equal(jetfreeze_pwrite(f, (char *)out + 1, 100, 3), -EINVAL);
	free(out);
	free(in);
	assert_int_equal(jetfreeze_file_close(f), 0);
}

struct writer {
	struct jetfreeze_file *f;
	int id;
	struct completion c;
	int bad;
	char bufs[PER_THREAD][64];
};

static void writer_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct writer *w = arg;

	if (res != 64)
		__atomic_add_fetch(&w->bad, 1, __ATOMIC_SEQ_CST);
	on_done(f, &w->c, res);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		int slot = w->id * PER_THREAD + i;

		memset(w->bufs[i], 'A' + (slot % 26), sizeof(w->bufs[i]));
		if (jetfreeze_write(w->f, w->bufs[i], 64, (uint64_t)slot * 64,
				    writer_done, w))
			__atomic_add_fetch(&w->bad, 1, __ATOMIC_SEQ_CST);
	}
	wait_done(&w->c, PER_THREAD);
	return NULL;
}

static void many_threads(void **state)
{
	struct jetfreeze_file *f = open_file("threads", O_RDWR,
					     JETFREEZE_FILE_DATABASE);
	static struct writer w[NR_THREADS];
	static char all[NR_THREADS * PER_THREAD * 64];
	pthread_t t[NR_THREADS];
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		struct completion c = COMPLETION_INIT;

		w[i].f = f;
		w[i].id = i;
		w[i].c = c;
		w[i].bad = 0;
		t[i] = thread_start(writer_main, &w[i]);
	}
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	assert_int_equal(jetfreeze_instance_wait_io(inst), 0);
	assert_int_equal(jetfreeze_pread(f, all, sizeof(all), 0), sizeof(all));
	for (i = 0; i < NR_THREADS * PER_THREAD; i++)
		assert_int_equal(all[i * 64], 'A' + (i % 26));
	assert_int_equal(jetfreeze_file_close(f), 0);
}

/* A completion callback that chains I/O, and one that tries to block. */
struct chain {
	struct jetfreeze_file *f;
	int left;
	int sync_err;
	int close_err;
	struct completion c;
	char buf[16];
};

static void chain_done(struct jetfreeze_file *f, void *arg, int res)
{
	struct chain *ch = arg;

	if (ch->sync_err == 1) {
		ch->sync_err = (int)jetfreeze_pwrite(f, "x", 1, 0);
		/* Its own I/O is still pending: the callback itself. */
		ch->close_err = jetfreeze_file_close(f);
	}
	if (--ch->left > 0 &&
	    !jetfreeze_write(f, ch->buf, sizeof(ch->buf),
			     (uint64_t)ch->left * 16, chain_done, ch))
		return;
	on_done(f, &ch->c, res);
}

static void callbacks_may_submit_not_block(void **state)
{
	struct chain ch = { .left = 50, .sync_err = 1,
			    .c = COMPLETION_INIT };

	ch.f = open_file("chain", O_RDWR, JETFREEZE_FILE_OTHER);
	memset(ch.buf, 'c', sizeof(ch.buf));
	assert_int_equal(jetfreeze_write(ch.f, ch.buf, sizeof(ch.buf), 0,
					 chain_done, &ch), 0);
	wait_done(&ch.c, 1);
	assert_int_equal(ch.left, 0);
	assert_int_equal(ch.sync_err, -EDEADLK);
	assert_int_equal(ch.close_err, -EDEADLK);
	assert_int_equal(jetfreeze_instance_wait_io(inst), 0);
	assert_int_equal(jetfreeze_file_close(ch.f), 0);
}

static void bad_arguments(void **state)
{
	struct jetfreeze_file *f = open_file("args", O_RDWR,
					     JETFREEZE_FILE_DATABASE), *g;
	struct completion c = COMPLETION_INIT;
	char buf[8], path[700];

	assert_int_equal(jetfreeze_write(f, buf, 8, 0, NULL, NULL), -EINVAL);
	assert_int_equal(jetfreeze_read(NULL, buf, 8, 0, on_done, &c), -EINVAL);
	assert_int_equal(jetfreeze_read(f, NULL, 8, 0, on_done, &c), -EINVAL);
	assert_int_equal(jetfreeze_write(f, buf, (size_t)INT_MAX + 1, 0,
					 on_done, &c), -EINVAL);
	assert_int_equal(jetfreeze_write(f, buf, 8, (uint64_t)1 << 63, on_done,
					 &c), -EINVAL);
	assert_int_equal(jetfreeze_fsync(f, 2, on_done, &c), -EINVAL);
	assert_int_equal(jetfreeze_sync(f, 2), -EINVAL);
	assert_int_equal(c.done, 0);

	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	assert_int_equal(jetfreeze_file_open(inst, path, O_RDWR, 0,
					     JETFREEZE_FILE_LOG, &g), -ENOENT);
	assert_int_equal(jetfreeze_file_open(inst, path, O_RDWR | O_CREAT, 0644,
					     0, &g), -EINVAL);
	assert_int_equal(jetfreeze_file_open(inst, path, O_RDWR | O_CREAT, 0644,
					     5, &g), -EINVAL);
	assert_int_equal(jetfreeze_file_open(inst + 1000, path, O_RDWR | O_CREAT,
					     0644, JETFREEZE_FILE_LOG, &g),
			 -ENOENT);
	assert_int_equal(jetfreeze_file_open(inst, "", O_RDONLY, 0,
					     JETFREEZE_FILE_LOG, &g), -EINVAL);
	/* The library adds O_CLOEXEC. */
	assert_true(fcntl(jetfreeze_file_fd(f), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(jetfreeze_file_close(f), 0);
	assert_int_equal(jetfreeze_file_close(NULL), -EINVAL);

	assert_int_equal(jetfreeze_instance_destroy(inst), -EBUSY);
	assert_int_equal(jetfreeze_instance_start(inst), -EALREADY);
	assert_int_equal(jetfreeze_instance_stop(inst, 4), -EINVAL);
	assert_int_equal(jetfreeze_instance_stop(inst + 1000, 0), -ENOENT);
	assert_int_equal(jetfreeze_instance_set_flags(inst, 1U << 10, 0), -EINVAL);
	assert_int_equal(jetfreeze_instance_wait_io(inst + 1000), -ENOENT);
	assert_int_equal(jetfreeze_instance_create(NULL, "x", NULL, NULL), -EINVAL);
}

/* A completion callback may not wait for a truncate either. */
static void truncate_in_callback(struct jetfreeze_file *f, void *arg, int res)
{
	struct completion *c = arg;

	c->res = jetfreeze_truncate(f, 0);
	pthread_mutex_lock(&c->lock);
	c->done++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* jetfreeze_truncate: shrinks and extends like ftruncate(2). */
static void truncate_file(void **state)
{
	struct jetfreeze_file *f = open_file("trunc", O_RDWR,
					     JETFREEZE_FILE_LOG), *ro;
	struct completion c = COMPLETION_INIT;
	char out[2 * BLOCK], in[BLOCK], zero[BLOCK];
	struct stat st;
	char path[700];

	memset(out, 't', sizeof(out));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(jetfreeze_pwrite(f, out, sizeof(out), 0), sizeof(out));
	assert_int_equal(jetfreeze_truncate(f, BLOCK + 10), 0);
	assert_int_equal(fstat(jetfreeze_file_fd(f), &st), 0);
	assert_int_equal(st.st_size, BLOCK + 10);
	/* Extending reads back zeros past the old end. */
	assert_int_equal(jetfreeze_truncate(f, 3 * BLOCK), 0);
	assert_int_equal(fstat(jetfreeze_file_fd(f), &st), 0);
	assert_int_equal(st.st_size, 3 * BLOCK);
	assert_int_equal(jetfreeze_pread(f, in, BLOCK, BLOCK), BLOCK);
	assert_memory_equal(in, out, 10);
	assert_memory_equal(in + 10, zero, BLOCK - 10);
	assert_int_equal(jetfreeze_truncate(f, 0), 0);
	assert_int_equal(jetfreeze_pread(f, in, BLOCK, 0), 0);

	assert_int_equal(jetfreeze_truncate(NULL, 0), -EINVAL);
	assert_int_equal(jetfreeze_truncate(f, (uint64_t)1 << 63), -EINVAL);
	assert_int_equal(jetfreeze_write(f, out, 8, 0, truncate_in_callback,
					 &c), 0);
	wait_done(&c, 1);
	assert_int_equal(c.res, -EDEADLK);
	assert_int_equal(jetfreeze_instance_wait_io(inst), 0);

	/* The kernel's error comes back: not open for writing. */
	snprintf(path, sizeof(path), "%s/trunc", dir);
	assert_int_equal(jetfreeze_file_open(inst, path, O_RDONLY, 0,
					     JETFREEZE_FILE_LOG, &ro), 0);
	assert_int_equal(jetfreeze_truncate(ro, 0), -EINVAL);
	assert_int_equal(jetfreeze_file_close(ro), 0);
	assert_int_equal(jetfreeze_file_close(f), 0);
}

static struct jetfreeze_file *closer_file;
static int closer_ret;

static void *closer(void *arg)
{
	__atomic_store_n(&closer_ret, jetfreeze_file_close(closer_file),
			 __ATOMIC_SEQ_CST);
	return NULL;
}

/* Closing a file waits for its I/O (here a write stuck on a full pipe). */
static void close_waits_for_io(void **state)
{
	pthread_t t;
	struct completion c = COMPLETION_INIT;
	struct jetfreeze_file *f;
	static char chunk[4096];
	char path[700], sink[65536];
	int rd, wr;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	wr = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(wr >= 0);
	while (write(wr, chunk, sizeof(chunk)) > 0)
		;	/* fill the pipe: the library's write must wait */
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(jetfreeze_file_open(inst, path, O_WRONLY, 0,
					     JETFREEZE_FILE_OTHER, &f), 0);
	assert_int_equal(jetfreeze_write(f, chunk, sizeof(chunk), 0, on_done,
					 &c), 0);
	msleep(50);
	assert_int_equal(done_count(&c), 0);
	closer_file = f;
	closer_ret = 1;
	t = thread_start(closer, NULL);
	msleep(50);
	assert_int_equal(__atomic_load_n(&closer_ret, __ATOMIC_SEQ_CST), 1);
	while (!done_count(&c)) {
		if (read(rd, sink, sizeof(sink)) <= 0)
			msleep(1);
	}
	pthread_join(t, NULL);
	assert_int_equal(closer_ret, 0);
	assert_int_equal(wait_done(&c, 1), sizeof(chunk));
	close(wr);
	close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(async_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(sync_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(o_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(many_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(callbacks_may_submit_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(close_waits_for_io, setup, teardown),
		cmocka_unit_test_setup_teardown(truncate_file, setup, teardown),
	};

	return run_group(tests);
}
