// SPDX-License-Identifier: GPL-2.0-only
/*
 * jfsqlite-bank: the demonstration's database and backup application.
 *
 *   jfsqlite-bank run [options] DIR      bank on DIR/bank.db + snapshot loop
 *   jfsqlite-bank verify [options] DB    check one image of it
 *
 * run: a bank in SQLite (WAL, synchronous=FULL) through the jetfreeze
 * VFS.  Worker threads move money between accounts (the total never
 * changes) and log every transaction whose COMMIT returned, with its id
 * and times, to --out (a tmpfs: not on the disk being frozen).  Meanwhile
 * the main thread takes --snapshots snapshots: Prepare (ContinueAfterThaw),
 * Freeze, copy the whole block device --src with O_DIRECT reads into slot
 * i of --dst, Thaw, TruncateLog, End.  Then --control copies the same way
 * without any freeze, while the workers run at full speed.  Everything
 * --out/snapshots.tsv and --out/tput.tsv hold is what jfsqlite-demo
 * verifies and draws.  With --copy files, the database's files are copied
 * instead (into --dst/image-N/): for machines without the module
 * (--userspace).
 *
 * verify: on an image (mounted), PRAGMA integrity_check, the total, every
 * account's balance against its transfers, every transaction whose COMMIT
 * returned before Freeze was called present, none begun after Freeze
 * returned.  Exit 0 when all hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>
#include <linux/jetfreeze.h>

#include "jetfreeze-sqlite.h"

#define COPY_CHUNK	(1 << 20)
#define SAMPLE_MS	100
#define MAX_SAMPLES	(3600 * 1000 / SAMPLE_MS)
#define MEMO_BYTES	200

static const char *prog = "jfsqlite-bank";

struct options {
	const char *dir, *out, *src, *dst;
	unsigned int threads, accounts, snapshots, control;
	unsigned int interval_ms, warmup_ms, timeout_ms, copy_mibps;
	long long balance;
	bool copy_files, userspace;
	int snap;			/* verify: row of snapshots.tsv */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("%s: %s", sql, err ? err : sqlite3_errmsg(db));
}

/* ---- the bank ------------------------------------------------------------ */

struct bank {
	struct options *o;
	char path[4096];
	volatile bool stop;
	uint64_t next_id;		/* atomic */
	uint64_t commits;		/* atomic */
	uint64_t errors;		/* atomic */
	uint64_t start_ns;
};

struct worker {
	struct bank *b;
	unsigned int index;
	pthread_t thread;
	FILE *log;
};

static sqlite3 *bank_open(struct bank *b)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE, JETFREEZE_SQLITE_VFS) != SQLITE_OK)
		die("open %s: %s", b->path, db ? sqlite3_errmsg(db) : "no memory");
	/* A freeze holds writers for as long as the copy takes. */
	sqlite3_busy_timeout(db, 120000);
	exec_or_die(db, "PRAGMA synchronous=FULL");
	/* A busy database: checkpoints rewrite the database file and restart
	 * the WAL several times a second (SQLite's default is 1000 pages). */
	exec_or_die(db, "PRAGMA wal_autocheckpoint=100");
	return db;
}

static void bank_create(struct bank *b)
{
	sqlite3 *db = bank_open(b);
	sqlite3_stmt *st;
	unsigned int i;

	exec_or_die(db, "PRAGMA journal_mode=WAL");
	exec_or_die(db, "BEGIN;"
		    "CREATE TABLE accounts(id INTEGER PRIMARY KEY,"
		    "  balance INTEGER NOT NULL, initial INTEGER NOT NULL,"
		    "  holder TEXT NOT NULL);"
		    "CREATE TABLE transfers(id INTEGER PRIMARY KEY,"
		    "  src INTEGER NOT NULL, dst INTEGER NOT NULL,"
		    "  amount INTEGER NOT NULL, worker INTEGER NOT NULL,"
		    "  memo TEXT NOT NULL);"
		    "CREATE INDEX transfers_src ON transfers(src);"
		    "CREATE INDEX transfers_dst ON transfers(dst);");
	if (sqlite3_prepare_v2(db, "INSERT INTO accounts VALUES(?1, ?2, ?2,"
			       " printf('holder %d ', ?1) || hex(randomblob(40)))",
			       -1, &st, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	for (i = 1; i <= b->o->accounts; i++) {
		sqlite3_bind_int(st, 1, (int)i);
		sqlite3_bind_int64(st, 2, b->o->balance);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	exec_or_die(db, "COMMIT");
	sqlite3_close(db);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bank *b = w->b;
	sqlite3 *db = bank_open(b);
	sqlite3_stmt *debit, *credit, *insert, *begin, *commit, *rollback;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (w->index + 1);
	char memo[MEMO_BYTES + 1];
	unsigned int i;

	if (sqlite3_prepare_v2(db, "UPDATE accounts SET balance = balance - ?2 WHERE id = ?1",
			       -1, &debit, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1",
			       -1, &credit, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO transfers VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &insert, NULL) ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) ||
	    sqlite3_prepare_v2(db, "ROLLBACK", -1, &rollback, NULL))
		die("prepare: %s", sqlite3_errmsg(db));

	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		uint64_t id = __atomic_add_fetch(&b->next_id, 1, __ATOMIC_RELAXED);
		int src = (int)(xorshift(&seed) % b->o->accounts) + 1;
		int dst = (int)(xorshift(&seed) % (b->o->accounts - 1)) + 1;
		int amount = (int)(xorshift(&seed) % 100) + 1;
		uint64_t t_begin, t_done;
		int rc;

		if (dst >= src)
			dst++;
		for (i = 0; i < MEMO_BYTES; i++)
			memo[i] = (char)('a' + xorshift(&seed) % 26);
		memo[MEMO_BYTES] = '\0';

		t_begin = now_ns();
		rc = sqlite3_step(begin);
		sqlite3_reset(begin);
		if (rc != SQLITE_DONE)
			goto failed;
		sqlite3_bind_int(debit, 1, src);
		sqlite3_bind_int(debit, 2, amount);
		sqlite3_bind_int(credit, 1, dst);
		sqlite3_bind_int(credit, 2, amount);
		sqlite3_bind_int64(insert, 1, (sqlite3_int64)id);
		sqlite3_bind_int(insert, 2, src);
		sqlite3_bind_int(insert, 3, dst);
		sqlite3_bind_int(insert, 4, amount);
		sqlite3_bind_int(insert, 5, (int)w->index);
		sqlite3_bind_text(insert, 6, memo, MEMO_BYTES, SQLITE_STATIC);
		rc = sqlite3_step(debit);
		sqlite3_reset(debit);
		if (rc == SQLITE_DONE) {
			rc = sqlite3_step(credit);
			sqlite3_reset(credit);
		}
		if (rc == SQLITE_DONE) {
			rc = sqlite3_step(insert);
			sqlite3_reset(insert);
		}
		if (rc == SQLITE_DONE) {
			rc = sqlite3_step(commit);
			sqlite3_reset(commit);
		}
		if (rc != SQLITE_DONE) {
			sqlite3_step(rollback);
			sqlite3_reset(rollback);
			goto failed;
		}
		t_done = now_ns();
		/* Committed: the client's own record, off the frozen disk. */
		fprintf(w->log, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", id,
			t_begin, t_done);
		__atomic_add_fetch(&b->commits, 1, __ATOMIC_RELAXED);
		continue;
failed:
		if (__atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED) <= 5)
			fprintf(stderr, "%s: worker %u: transaction %" PRIu64 ": %s\n",
				prog, w->index, id, sqlite3_errmsg(db));
		msleep(10);
	}
	sqlite3_finalize(debit);
	sqlite3_finalize(credit);
	sqlite3_finalize(insert);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(rollback);
	sqlite3_close(db);
	return NULL;
}

/* Commits per SAMPLE_MS, for the picture. */
struct sampler {
	struct bank *b;
	pthread_t thread;
	unsigned int n;
	uint32_t *counts;
};

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t last = 0, next = s->b->start_ns;

	while (!__atomic_load_n(&s->b->stop, __ATOMIC_RELAXED) &&
	       s->n < MAX_SAMPLES) {
		uint64_t c, t;

		next += SAMPLE_MS * 1000000ULL;
		t = now_ns();
		if (next > t)
			msleep((unsigned int)((next - t) / 1000000));
		c = __atomic_load_n(&s->b->commits, __ATOMIC_RELAXED);
		s->counts[s->n++] = (uint32_t)(c - last);
		last = c;
	}
	return NULL;
}

/* ---- copying ------------------------------------------------------------- */

static uint64_t device_size(int fd)
{
	uint64_t size;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	if (!S_ISBLK(st.st_mode))
		return (uint64_t)st.st_size;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		return 0;
	return size;
}

/* Keep a copy that started at @t0 and has done @done bytes to @mibps. */
static void pace(uint64_t t0, uint64_t done, unsigned int mibps)
{
	uint64_t due, now;

	if (!mibps)
		return;
	due = t0 + done * 1000000000ULL / ((uint64_t)mibps << 20);
	now = now_ns();
	if (due > now + 1000000)
		msleep((unsigned int)((due - now) / 1000000));
}

/*
 * O_DIRECT reads of the whole of @src into @dst at @off, at most @mibps
 * MiB/s (0: as fast as it goes); bytes or -errno.
 */
static int64_t copy_device(const char *src, const char *dst, uint64_t off,
			   void *buf, unsigned int mibps)
{
	uint64_t t0 = now_ns();
	int in = open(src, O_RDONLY | O_DIRECT | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_DIRECT | O_CLOEXEC);
	uint64_t size, done = 0;
	int64_t ret;

	if (in < 0 || out < 0) {
		ret = -errno;
		goto out;
	}
	size = device_size(in);
	while (done < size) {
		size_t len = size - done < COPY_CHUNK ? size - done : COPY_CHUNK;
		ssize_t n = pread(in, buf, len, (off_t)done);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out;
		}
		if (pwrite(out, buf, (size_t)n, (off_t)(off + done)) != n) {
			ret = -EIO;
			goto out;
		}
		done += (uint64_t)n;
		pace(t0, done, mibps);
	}
	ret = (int64_t)done;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ret;
}

static int64_t copy_file(const char *from, const char *to, void *buf)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out;
	int64_t done = 0;
	ssize_t n;

	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, COPY_CHUNK)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			done = -EIO;
			break;
		}
		done += n;
	}
	if (n < 0)
		done = -errno;
	close(in);
	close(out);
	return done;
}

/* The database's files (userspace mode): into DST/image-N/. */
static int64_t copy_files(const struct bank *b, unsigned int image, void *buf)
{
	static const char *const suffix[] = { "", "-wal" };
	char dir[4096], from[4200], to[4200];
	int64_t total = 0;
	unsigned int i;

	snprintf(dir, sizeof(dir), "%s/image-%u", b->o->dst, image);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (i = 0; i < 2; i++) {
		int64_t n;

		snprintf(from, sizeof(from), "%s%s", b->path, suffix[i]);
		snprintf(to, sizeof(to), "%s/bank.db%s", dir, suffix[i]);
		n = copy_file(from, to, buf);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

static int64_t copy_image(const struct bank *b, unsigned int image,
			  uint64_t slot_bytes, void *buf)
{
	if (b->o->copy_files)
		return copy_files(b, image, buf);
	return copy_device(b->o->src, b->o->dst, (uint64_t)image * slot_bytes,
			   buf, b->o->copy_mibps);
}

/* Write bios the module holds for this process right now (0 without it). */
static uint64_t kernel_held(void)
{
	struct jetfreeze_status_entry e[64];
	struct jetfreeze_status s = {
		.size = sizeof(s),
		.nr_entries = 64,
		.entry_size = sizeof(e[0]),
		.entries = (uintptr_t)e,
	};
	uint64_t held = 0;
	unsigned int i;
	int fd = open("/dev/jetfreeze", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, JETFREEZE_IOC_STATUS, &s) == 0) {
		for (i = 0; i < s.nr_entries && i < 64; i++)
			if (e[i].holder_pid == getpid() &&
			    e[i].state == JETFREEZE_STATE_FROZEN)
				held += e[i].held_bios;
	}
	close(fd);
	return held;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* ---- run ------------------------------------------------------------------ */

struct snap_row {
	uint64_t t_call, t_frozen, t_copied, t_thawed, t_end;
	int64_t copied;
	uint64_t held_lib, held_kernel, wal_after;
	int freeze_err, thaw_err, trunc_err, end_err;
};

static void print_row(FILE *f, const char *kind, unsigned int i,
		      unsigned int slot, const struct snap_row *r)
{
	fprintf(f, "%s\t%u\t%u\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		"\t%" PRIu64 "\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		"\t%d\t%d\t%d\t%d\n", kind, i, slot, r->t_call, r->t_frozen,
		r->t_copied, r->t_thawed, r->t_end, r->copied, r->held_lib,
		r->held_kernel, r->wal_after, r->freeze_err, r->thaw_err,
		r->trunc_err, r->end_err);
	fflush(f);
}

static double ms(uint64_t a, uint64_t b)
{
	return (double)(b - a) / 1e6;
}

/* One snapshot: the whole ESE sequence around the copy.  0 when good. */
static int snapshot(struct bank *b, sqlite3 *db, unsigned int i,
		    uint64_t slot_bytes, void *buf, struct snap_row *r)
{
	struct jetfreeze_sqlite_stats before, after;
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;
	char wal[4200];

	memset(r, 0, sizeof(*r));
	jetfreeze_sqlite_stats(db, NULL, &before);
	r->freeze_err = JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw);
	if (r->freeze_err)
		return -1;
	r->t_call = now_ns();
	r->freeze_err = JetOSSnapshotFreezeA(id, &n, &info, 0);
	r->t_frozen = now_ns();
	if (r->freeze_err) {
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
		return -1;
	}
	if (i == 0 && n >= 1 && info[0].cDatabases >= 1)
		printf("frozen instance '%s', database %s\n",
		       info[0].szInstanceName, info[0].szDatabaseFileName[0]);
	JetFreeBuffer((char *)info);
	r->copied = copy_image(b, i, slot_bytes, buf);
	r->t_copied = now_ns();
	r->held_kernel = kernel_held();
	r->thaw_err = JetOSSnapshotThaw(id, 0);
	r->t_thawed = now_ns();
	if (r->thaw_err) {
		JetOSSnapshotEnd(id, JET_bitAbortSnapshot);
		r->t_end = now_ns();
		return -1;
	}
	jetfreeze_sqlite_stats(db, NULL, &after);
	r->held_lib = after.held - before.held;
	r->trunc_err = JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot);
	snprintf(wal, sizeof(wal), "%s-wal", b->path);
	r->wal_after = file_size(wal);
	r->end_err = JetOSSnapshotEnd(id, 0);
	r->t_end = now_ns();
	return r->copied < 0 || r->trunc_err || r->end_err ? -1 : 0;
}

static int run(struct options *o)
{
	struct bank b = { .o = o };
	struct sampler smp = { .b = &b };
	struct worker *w;
	struct snap_row r;
	uint64_t slot_bytes = 0;
	char path[4200];
	unsigned int i;
	FILE *rows, *cfg;
	void *buf;
	sqlite3 *db;
	int failed = 0;

	snprintf(b.path, sizeof(b.path), "%s/bank.db", o->dir);
	if (o->userspace)
		jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE);
	JetSetSystemParameter(NULL, JET_sesidNil, JET_paramOSSnapshotTimeout,
			      o->timeout_ms, NULL);
	if (jetfreeze_sqlite_register(0) != SQLITE_OK)
		die("cannot register the jetfreeze VFS");
	if (posix_memalign(&buf, 4096, COPY_CHUNK))
		die("out of memory");
	if (!o->copy_files) {
		int fd = open(o->src, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("%s: %s", o->src, strerror(errno));
		slot_bytes = device_size(fd);
		close(fd);
		fd = open(o->dst, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s", o->dst, strerror(errno));
		if (device_size(fd) < slot_bytes * (o->snapshots + o->control))
			die("%s holds fewer than %u images of %" PRIu64 " bytes",
			    o->dst, o->snapshots + o->control, slot_bytes);
		close(fd);
	}

	bank_create(&b);
	db = bank_open(&b);

	snprintf(path, sizeof(path), "%s/config", o->out);
	cfg = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/snapshots.tsv", o->out);
	rows = fopen(path, "w");
	if (!cfg || !rows)
		die("%s: %s", o->out, strerror(errno));
	b.start_ns = now_ns();
	fprintf(cfg, "accounts %u\nbalance %lld\nthreads %u\nstart_ns %" PRIu64
		"\nslot_bytes %" PRIu64 "\n", o->accounts, o->balance,
		o->threads, b.start_ns, slot_bytes);
	fclose(cfg);
	fprintf(rows, "kind\tindex\tslot\tt_call\tt_frozen\tt_copied\tt_thawed\tt_end\tbytes\theld_lib\theld_kernel\twal_after\tfreeze_err\tthaw_err\ttrunc_err\tend_err\n");

	smp.counts = calloc(MAX_SAMPLES, sizeof(*smp.counts));
	w = calloc(o->threads, sizeof(*w));
	if (!smp.counts || !w)
		die("out of memory");
	for (i = 0; i < o->threads; i++) {
		w[i].b = &b;
		w[i].index = i;
		snprintf(path, sizeof(path), "%s/commits-%u.log", o->out, i);
		w[i].log = fopen(path, "w");
		if (!w[i].log)
			die("%s: %s", path, strerror(errno));
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("cannot start a worker");
	}
	if (pthread_create(&smp.thread, NULL, sampler_main, &smp))
		die("cannot start the sampler");

	printf("%u workers moving money between %u accounts; %u snapshots, then %u copies without a freeze\n",
	       o->threads, o->accounts, o->snapshots, o->control);
	fflush(stdout);
	msleep(o->warmup_ms);
	for (i = 0; i < o->snapshots; i++) {
		int err;

		msleep(o->interval_ms);
		err = snapshot(&b, db, i, slot_bytes, buf, &r);
		print_row(rows, "snapshot", i + 1, i, &r);
		if (err) {
			failed++;
			printf("snapshot %2u: FAILED: Freeze %d, copy %" PRId64
			       ", Thaw %d, TruncateLog %d, End %d\n", i + 1,
			       r.freeze_err, r.copied, r.thaw_err,
			       r.trunc_err, r.end_err);
		} else {
			printf("snapshot %2u: Freeze %6.1f ms, frozen %7.1f ms (copy %" PRId64
			       " MiB), held %3" PRIu64 " engine + %3" PRIu64
			       " kernel writes; TruncateLog+End %6.1f ms, WAL left %" PRIu64 " bytes\n",
			       i + 1, ms(r.t_call, r.t_frozen),
			       ms(r.t_call, r.t_thawed), r.copied >> 20,
			       r.held_lib, r.held_kernel,
			       ms(r.t_thawed, r.t_end), r.wal_after);
		}
		fflush(stdout);
	}
	for (i = 0; i < o->control; i++) {
		msleep(o->interval_ms);
		memset(&r, 0, sizeof(r));
		r.t_call = now_ns();
		r.copied = copy_image(&b, o->snapshots + i, slot_bytes, buf);
		/* Nothing begun after the copy ended can be in it. */
		r.t_copied = r.t_thawed = r.t_end = r.t_frozen = now_ns();
		print_row(rows, "control", i + 1, o->snapshots + i, &r);
		printf("control  %2u: copied %" PRId64 " MiB in %.1f ms, no freeze\n",
		       i + 1, r.copied >> 20, ms(r.t_call, r.t_copied));
		fflush(stdout);
		if (r.copied < 0)
			failed++;
	}
	msleep(o->interval_ms);

	__atomic_store_n(&b.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < o->threads; i++) {
		pthread_join(w[i].thread, NULL);
		fclose(w[i].log);
	}
	pthread_join(smp.thread, NULL);
	fclose(rows);

	snprintf(path, sizeof(path), "%s/tput.tsv", o->out);
	rows = fopen(path, "w");
	if (!rows)
		die("%s: %s", path, strerror(errno));
	for (i = 0; i < smp.n; i++)
		fprintf(rows, "%.1f\t%u\n", (i + 1) * SAMPLE_MS / 1000.0,
			smp.counts[i] * (1000 / SAMPLE_MS));
	fclose(rows);

	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db, "PRAGMA jetfreeze", -1, &st, NULL) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			printf("%s\n", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	printf("%" PRIu64 " transactions committed, %" PRIu64 " failed\n",
	       __atomic_load_n(&b.commits, __ATOMIC_RELAXED),
	       __atomic_load_n(&b.errors, __ATOMIC_RELAXED));
	sqlite3_close(db);
	free(smp.counts);
	free(w);
	free(buf);
	return failed || b.errors ? 1 : 0;
}

/* ---- verify ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool config_get(const char *out, const char *key, long long *val)
{
	char path[4200], k[64];
	long long v;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", out);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key)) {
			*val = v;
			found = true;
		}
	fclose(f);
	return found;
}

struct tsv_row {
	uint64_t t_call, t_frozen;	/* a control copy: started, ended */
	bool clean;			/* every call succeeded, copy made */
	int64_t clean_before;		/* snapshots before it that did */
};

/*
 * Row @index of kind @kind in snapshots.tsv (print_row's columns), and
 * how many snapshots before it went through: each added a row to
 * jetfreeze_backup at its End, before the row's copy began.
 */
static bool snapshot_row(const char *out, const char *kind, int index,
			 struct tsv_row *row)
{
	char path[4200], line[512], k[32];
	int64_t clean = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/snapshots.tsv", out);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		uint64_t t[5], held_lib, held_kernel, wal;
		int freeze_err, thaw_err, trunc_err, end_err;
		unsigned int i, slot;
		int64_t copied;
		bool ok;

		if (sscanf(line, "%31s %u %u %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %d %d %d %d", k, &i, &slot,
			   &t[0], &t[1], &t[2], &t[3], &t[4], &copied,
			   &held_lib, &held_kernel, &wal, &freeze_err,
			   &thaw_err, &trunc_err, &end_err) != 16)
			continue;
		ok = copied >= 0 && !freeze_err && !thaw_err && !trunc_err &&
		     !end_err;
		if (!strcmp(k, kind) && (int)i == index) {
			row->t_call = t[0];
			row->t_frozen = t[1];
			row->clean = ok;
			row->clean_before = clean;
			found = true;
		} else if (!strcmp(k, "snapshot") && ok) {
			clean++;
		}
	}
	fclose(f);
	return found;
}

/* The integer the query returns; false (and the problem noted) if none. */
static bool query_int(sqlite3 *db, const char *sql, const char *what,
		      int64_t *v, char *problems, size_t size);

static void note(char *problems, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(char *problems, size_t size, const char *fmt, ...)
{
	size_t len = strlen(problems);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problems + len, size - len, fmt, ap);
	va_end(ap);
}

static bool query_int(sqlite3 *db, const char *sql, const char *what,
		      int64_t *v, char *problems, size_t size)
{
	sqlite3_stmt *st;
	bool ok = false;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		ok = true;
	}
	if (!ok)
		note(problems, size, " %s: %.100s;", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

static int verify(struct options *o, const char *image, bool control)
{
	long long accounts = 0, balance = 0, threads = 0, t;
	uint64_t t_call, t_frozen, *ids = NULL, nids = 0, cap = 0;
	uint64_t before = 0, missing = 0, after = 0, future = 0, between = 0;
	char path[4200], problems[1024] = "";
	const char *integrity = "?";
	sqlite3_stmt *st;
	sqlite3 *db;
	bool ok = true;
	int64_t sum = 0, n = 0, bad = 0, records = 0;
	struct tsv_row row;

	if (!config_get(o->out, "accounts", &accounts) ||
	    !config_get(o->out, "balance", &balance) ||
	    !config_get(o->out, "threads", &threads))
		die("%s/config: missing or incomplete", o->out);
	if (!snapshot_row(o->out, control ? "control" : "snapshot", o->snap,
			  &row))
		die("%s/snapshots.tsv: no %s %d", o->out,
		    control ? "control" : "snapshot", o->snap);
	t_call = row.t_call;
	t_frozen = row.t_frozen;
	/* A snapshot whose hold broke is to be discarded, whatever it holds. */
	if (!control && !row.clean) {
		note(problems, sizeof(problems),
		     " a JetOSSnapshot call failed or the copy did not complete: discard it;");
		ok = false;
	}

	if (sqlite3_open_v2(image, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		printf("FAIL cannot open the database: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		integrity = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(integrity, "ok")) {
			note(problems, sizeof(problems),
			     " integrity_check: %.200s;", integrity);
			ok = false;
		}
	} else {
		note(problems, sizeof(problems), " integrity_check: %.200s;",
		     sqlite3_errmsg(db));
		ok = false;
	}
	sqlite3_finalize(st);

	if (query_int(db, "SELECT count(*) FROM accounts", "accounts", &n,
		      problems, sizeof(problems)) &&
	    query_int(db, "SELECT total(balance) FROM accounts", "balances",
		      &sum, problems, sizeof(problems))) {
		if (n != accounts || sum != accounts * balance) {
			note(problems, sizeof(problems),
			     " total %" PRId64 " in %" PRId64 " accounts, want %lld in %lld;",
			     sum, n, accounts * balance, accounts);
			ok = false;
		}
	} else {
		ok = false;
	}
	if (query_int(db, "SELECT count(*) FROM accounts a WHERE balance != initial"
		      " + (SELECT total(amount) FROM transfers WHERE dst = a.id)"
		      " - (SELECT total(amount) FROM transfers WHERE src = a.id)",
		      "balances against transfers", &bad, problems,
		      sizeof(problems))) {
		if (bad) {
			note(problems, sizeof(problems),
			     " %" PRId64 " balances disagree with the transfers;",
			     bad);
			ok = false;
		}
	} else {
		ok = false;
	}

	/*
	 * End stamps each snapshot, as ESE its headers: the image holds the
	 * stamps of every snapshot before it, and not its own.  The first
	 * image has no table yet, and a statement naming it would not even
	 * prepare: ask first.
	 */
	if (query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name ="
		      " 'jetfreeze_backup'", "jetfreeze_backup", &records,
		      problems, sizeof(problems)) &&
	    (!records ||
	     query_int(db, "SELECT count(*) FROM jetfreeze_backup",
		       "jetfreeze_backup", &records, problems,
		       sizeof(problems)))) {
		if (records != row.clean_before) {
			note(problems, sizeof(problems),
			     " %" PRId64 " jetfreeze_backup rows, want %" PRId64 ";",
			     records, row.clean_before);
			ok = false;
		}
	} else {
		ok = false;
	}

	if (sqlite3_prepare_v2(db, "SELECT id FROM transfers ORDER BY id", -1,
			       &st, NULL) == SQLITE_OK) {
		int rc;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (nids == cap) {
				cap = cap ? cap * 2 : 4096;
				ids = realloc(ids, cap * sizeof(*ids));
				if (!ids)
					die("out of memory");
			}
			ids[nids++] = (uint64_t)sqlite3_column_int64(st, 0);
		}
		if (rc != SQLITE_DONE) {
			note(problems, sizeof(problems),
			     " transfers, after %" PRIu64 " rows: %.100s;", nids,
			     sqlite3_errmsg(db));
			ok = false;
		}
	} else {
		note(problems, sizeof(problems), " transfers: %.100s;",
		     sqlite3_errmsg(db));
		ok = false;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);

	for (t = 0; t < threads; t++) {
		uint64_t id, tb, te;
		FILE *f;

		snprintf(path, sizeof(path), "%s/commits-%lld.log", o->out, t);
		f = fopen(path, "r");
		if (!f)
			die("%s: %s", path, strerror(errno));
		while (fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &id, &tb,
			      &te) == 3) {
			bool present = bsearch(&id, ids, nids, sizeof(*ids),
					       cmp_u64) != NULL;

			if (te < t_call) {
				before++;
				missing += !present;
			} else if (tb > t_frozen) {
				after++;
				future += present;
			} else {
				between += present;
			}
		}
		fclose(f);
	}
	free(ids);
	if (missing) {
		note(problems, sizeof(problems),
		     " %" PRIu64 " of %" PRIu64 " transactions committed before %s are missing;",
		     missing, before, control ? "the copy" : "Freeze");
		ok = false;
	}
	if (future) {
		note(problems, sizeof(problems),
		     " %" PRIu64 " transactions begun after %s are present;",
		     future, control ? "the copy ended" : "Freeze returned");
		ok = false;
	}
	if (ok)
		printf("ok integrity ok, total %" PRId64 ", all %" PRIu64
		       " transactions committed before %s present, %" PRIu64
		       " in flight during it, none of %" PRIu64 " later ones,"
		       " %" PRId64 " earlier snapshots recorded\n",
		       sum, before, control ? "the copy" : "Freeze", between,
		       after, records);
	else
		printf("FAIL%s\n", problems);
	return ok ? 0 : 1;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s run [options] DIR\n"
		"       %s verify --out DIR [--kind snapshot|control] --index N IMAGE-DB\n"
		"run options:\n"
		"  --out DIR          commit logs, snapshots.tsv, tput.tsv (tmpfs)\n"
		"  --src DEV          the device to copy (a dm-linear over the frozen one)\n"
		"  --dst DEV          where the images go, one slot per copy\n"
		"  --copy files       copy the database's files into --dst/image-N/ instead\n"
		"  --snapshots N      (20)   --control N  copies without a freeze (5)\n"
		"  --threads N        (4)    --accounts N (1000)  --balance N (1000)\n"
		"  --interval-ms N    load between copies (1000)  --warmup-ms N (2000)\n"
		"  --timeout-ms N     JET_paramOSSnapshotTimeout (60000)\n"
		"  --copy-mibps N     pace every copy (frozen or not) to N MiB/s (0: no limit)\n"
		"  --userspace        jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE)\n",
		prog, prog);
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "copy", required_argument, NULL, 'c' },
		{ "snapshots", required_argument, NULL, 'n' },
		{ "control", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 't' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "balance", required_argument, NULL, 'b' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "warmup-ms", required_argument, NULL, 'w' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "copy-mibps", required_argument, NULL, 'r' },
		{ "userspace", no_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "index", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.threads = 4, .accounts = 1000, .balance = 1000,
		.snapshots = 20, .control = 5, .interval_ms = 1000,
		.warmup_ms = 2000, .timeout_ms = 60000, .snap = -1,
	};
	bool control_image = false;
	const char *cmd;
	int c;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		usage(0);
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'c':
			if (!strcmp(optarg, "files"))
				o.copy_files = true;
			else if (strcmp(optarg, "device"))
				usage(2);
			break;
		case 'n': o.snapshots = (unsigned int)atoi(optarg); break;
		case 'C': o.control = (unsigned int)atoi(optarg); break;
		case 't': o.threads = (unsigned int)atoi(optarg); break;
		case 'a': o.accounts = (unsigned int)atoi(optarg); break;
		case 'b': o.balance = atoll(optarg); break;
		case 'i': o.interval_ms = (unsigned int)atoi(optarg); break;
		case 'w': o.warmup_ms = (unsigned int)atoi(optarg); break;
		case 'T': o.timeout_ms = (unsigned int)atoi(optarg); break;
		case 'r': o.copy_mibps = (unsigned int)atoi(optarg); break;
		case 'u': o.userspace = true; break;
		case 'S': o.snap = atoi(optarg); break;
		case 'k':
			if (!strcmp(optarg, "control"))
				control_image = true;
			else if (strcmp(optarg, "snapshot"))
				usage(2);
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc - 1 || !o.out)
		usage(2);
	if (!strcmp(cmd, "run")) {
		o.dir = argv[optind];
		if (!o.dst || (!o.copy_files && !o.src) || o.threads < 1 ||
		    o.accounts < 2)
			usage(2);
		return run(&o);
	}
	if (!strcmp(cmd, "verify")) {
		if (o.snap < 1)
			usage(2);
		return verify(&o, argv[optind], control_image);
	}
	usage(2);
}
