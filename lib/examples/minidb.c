// SPDX-License-Identifier: MIT
/*
 * minidb: a complete (if tiny) storage engine on libjetfreeze, and a backup
 * application taking a JetOSSnapshot of it while it runs.
 *
 * The engine keeps fixed-size records in a database file.  Every update is
 * first appended to the current log generation (minidb.log.N, write-ahead)
 * and then written in place to the database; a checkpoint file names the
 * oldest log generation recovery would still need.  All file I/O goes
 * through the library: asynchronous writes with completion callbacks from
 * several writer threads, synchronous helpers for the checkpoint.  The
 * engine plugs into snapshots with the four callbacks:
 *
 *   freeze_begin      switch to a new log generation so the image holds
 *                     whole generations; report that generation
 *   freeze_end        log how the freeze ended
 *   truncate_log      delete the generations the image made unnecessary
 *   backup_completed  remember the last good backup
 *
 * The backup side is plain ESE: Prepare, Freeze (which returns the
 * database paths), copy the files while frozen, Thaw, TruncateLog, End.
 * The copy is then checked: every record in it is one the engine wrote
 * completely (no torn or half-applied update).
 *
 *   minidb [--userspace] [--seconds N] DIR
 *
 * --userspace selects JETFREEZE_MODE_USERSPACE (no kernel module needed;
 * see <jetfreeze/engine.h> for what it does not cover).  Exit status 0
 * when the snapshot was taken and verified.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>

#define RECORD_SIZE	512
#define NR_RECORDS	256
#define NR_WRITERS	4
#define MAGIC		0x6d696e6964620001ULL	/* "minidb", v1 */

struct record {
	uint64_t magic;
	uint64_t key;		/* slot number */
	uint64_t version;	/* bumped on every update */
	uint64_t checksum;	/* over the rest of the record */
	char payload[RECORD_SIZE - 32];
};

struct engine {
	JET_INSTANCE instance;
	char dir[512];
	struct jetfreeze_file *db, *ckpt;

	pthread_mutex_t lock;		/* log state below */
	struct jetfreeze_file *log;	/* current generation */
	uint64_t generation;
	uint64_t log_offset;
	uint64_t oldest_generation;	/* on disk */
	uint64_t last_backup_generation;

	bool stop;
	uint64_t updates;
};

static uint64_t checksum(const struct record *r)
{
	const unsigned char *p = (const unsigned char *)r->payload;
	uint64_t h = 1469598103934665603ULL ^ r->key ^ (r->version << 17);
	size_t i;

	for (i = 0; i < sizeof(r->payload); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static void make_record(struct record *r, uint64_t key, uint64_t version)
{
	memset(r, 0, sizeof(*r));
	r->magic = MAGIC;
	r->key = key;
	r->version = version;
	snprintf(r->payload, sizeof(r->payload), "key %" PRIu64 " version %" PRIu64,
		 key, version);
	memset(r->payload + 64, (int)('a' + (key + version) % 26),
	       sizeof(r->payload) - 64);
	r->checksum = checksum(r);
}

static void log_path(const struct engine *e, uint64_t gen, char *buf, size_t len)
{
	snprintf(buf, len, "%s/minidb.log.%06" PRIu64, e->dir, gen);
}

/* Open generation @gen as the current log; e->lock held. */
static int open_log(struct engine *e, uint64_t gen)
{
	struct jetfreeze_file *f;
	char path[600];
	int err;

	log_path(e, gen, path, sizeof(path));
	err = jetfreeze_file_open(e->instance, path, O_RDWR | O_CREAT | O_TRUNC,
				  0644, JETFREEZE_FILE_LOG, &f);
	if (!err)
		e->log = f;
	return err;
}

/* ---- snapshot callbacks -------------------------------------------------- */

static int on_freeze_begin(JET_INSTANCE inst, void *ctx, unsigned int kind,
			   uint64_t *log_position)
{
	struct engine *e = ctx;
	struct jetfreeze_file *old;
	int err = 0;

	/*
	 * A snapshot must hold whole log generations: start a new one now.
	 * The image needs every generation before the new one.  Opening and
	 * closing log files is allowed here: the snapshot holds the
	 * instance's files only once freeze_begin returned.
	 */
	pthread_mutex_lock(&e->lock);
	old = e->log;
	if (kind & JETFREEZE_BACKUP_INCREMENTAL && !e->last_backup_generation)
		err = -ENODATA;		/* JET_errMissingFullBackup */
	if (!err)
		err = open_log(e, e->generation + 1);
	if (!err) {
		e->generation++;
		e->log_offset = 0;
		*log_position = e->generation;
	}
	pthread_mutex_unlock(&e->lock);
	if (err)
		return err;
	/* The finished generation: durable, then no longer ours to write.
	 * Closing waits for the writes still in flight on it. */
	err = jetfreeze_sync(old, 0);
	if (!err)
		err = jetfreeze_file_close(old);
	return err;
}

static void on_freeze_end(JET_INSTANCE inst, void *ctx, int status)
{
	printf("minidb: writable again (%s)\n",
	       status == 0 ? "snapshot good" :
	       status == -ETIMEDOUT ? "hold broken, snapshot unusable" :
	       "freeze failed");
}

static int on_truncate_log(JET_INSTANCE inst, void *ctx, uint64_t position)
{
	struct engine *e = ctx;
	char path[600];
	uint64_t gen;

	/* The checkpoint decides too: never delete what recovery needs. */
	pthread_mutex_lock(&e->lock);
	for (gen = e->oldest_generation; gen < position; gen++) {
		log_path(e, gen, path, sizeof(path));
		if (unlink(path) < 0 && errno != ENOENT) {
			pthread_mutex_unlock(&e->lock);
			return -errno;
		}
	}
	printf("minidb: deleted log generations %" PRIu64 "..%" PRIu64 "\n",
	       e->oldest_generation, position - 1);
	if (position > e->oldest_generation)
		e->oldest_generation = position;
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static void on_backup_completed(JET_INSTANCE inst, void *ctx,
				unsigned int kind, uint64_t position)
{
	struct engine *e = ctx;

	pthread_mutex_lock(&e->lock);
	e->last_backup_generation = position;
	pthread_mutex_unlock(&e->lock);
	printf("minidb: backup (kind %u) recorded up to log generation %" PRIu64 "\n",
	       kind, position);
}

static const struct jetfreeze_callbacks callbacks = {
	.freeze_begin = on_freeze_begin,
	.freeze_end = on_freeze_end,
	.truncate_log = on_truncate_log,
	.backup_completed = on_backup_completed,
};

/* ---- the engine ---------------------------------------------------------- */

/* One update in flight: its log write, then its database write. */
struct update {
	struct engine *e;
	struct record rec;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int err;
	bool done;
};

static void update_finish(struct update *u, int err)
{
	pthread_mutex_lock(&u->lock);
	u->err = err;
	u->done = true;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

static void db_written(struct jetfreeze_file *f, void *arg, int res)
{
	update_finish(arg, res == RECORD_SIZE ? 0 : res < 0 ? res : -EIO);
}

/* Write-ahead: the database write goes out when the log write is done. */
static void log_written(struct jetfreeze_file *f, void *arg, int res)
{
	struct update *u = arg;
	int err;

	if (res != RECORD_SIZE) {
		update_finish(u, res < 0 ? res : -EIO);
		return;
	}
	err = jetfreeze_write(u->e->db, &u->rec, RECORD_SIZE,
			      u->rec.key * RECORD_SIZE, db_written, u);
	if (err)
		update_finish(u, err);
}

static int update(struct engine *e, uint64_t key, uint64_t version)
{
	struct update u = { .e = e };
	uint64_t off;
	int err;

	make_record(&u.rec, key, version);
	pthread_mutex_init(&u.lock, NULL);
	pthread_cond_init(&u.cond, NULL);
	pthread_mutex_lock(&e->lock);
	off = e->log_offset;
	e->log_offset += RECORD_SIZE;
	err = jetfreeze_write(e->log, &u.rec, RECORD_SIZE, off, log_written, &u);
	pthread_mutex_unlock(&e->lock);
	if (!err) {
		/* During a snapshot this waits: the write is held. */
		pthread_mutex_lock(&u.lock);
		while (!u.done)
			pthread_cond_wait(&u.cond, &u.lock);
		pthread_mutex_unlock(&u.lock);
		err = u.err;
	}
	pthread_cond_destroy(&u.cond);
	pthread_mutex_destroy(&u.lock);
	return err;
}

static void *writer_main(void *arg)
{
	struct engine *e = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	uint64_t version = 1;

	while (!__atomic_load_n(&e->stop, __ATOMIC_ACQUIRE)) {
		uint64_t key = (uint64_t)rand_r(&seed) % NR_RECORDS;

		if (update(e, key, version++)) {
			fprintf(stderr, "minidb: update failed\n");
			break;
		}
		__atomic_add_fetch(&e->updates, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int engine_start(struct engine *e, const char *dir)
{
	struct record r;
	char path[600];
	uint64_t key;
	int err;

	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	snprintf(e->dir, sizeof(e->dir), "%s", dir);
	e->generation = e->oldest_generation = 1;

	err = jetfreeze_instance_create(&e->instance, "minidb", &callbacks, e);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/minidb.edb", dir);
	/* O_DIRECT where the filesystem has it: the engine caches itself. */
	err = jetfreeze_file_open(e->instance, path, O_RDWR | O_CREAT | O_DIRECT,
				  0644, JETFREEZE_FILE_DATABASE, &e->db);
	if (err == -EINVAL)
		err = jetfreeze_file_open(e->instance, path, O_RDWR | O_CREAT,
					  0644, JETFREEZE_FILE_DATABASE, &e->db);
	if (!err) {
		snprintf(path, sizeof(path), "%s/minidb.chk", dir);
		err = jetfreeze_file_open(e->instance, path, O_RDWR | O_CREAT,
					  0644, JETFREEZE_FILE_OTHER, &e->ckpt);
	}
	if (!err)
		err = open_log(e, e->generation);
	if (err)
		return err;

	/* "Recovery": a fresh database with version 0 of every record. */
	for (key = 0; key < NR_RECORDS && !err; key++) {
		void *buf;

		if (posix_memalign(&buf, 4096, RECORD_SIZE))
			return -ENOMEM;
		make_record(&r, key, 0);
		memcpy(buf, &r, RECORD_SIZE);
		if (jetfreeze_pwrite(e->db, buf, RECORD_SIZE,
				     key * RECORD_SIZE) != RECORD_SIZE)
			err = -EIO;
		free(buf);
	}
	if (!err)
		err = jetfreeze_sync(e->db, 0);
	if (!err)
		err = jetfreeze_instance_start(e->instance);
	return err;
}

static void engine_stop(struct engine *e)
{
	jetfreeze_instance_wait_io(e->instance);
	jetfreeze_instance_stop(e->instance, 0);
	jetfreeze_instance_destroy(e->instance);
	pthread_mutex_destroy(&e->lock);
}

/* ---- the backup application --------------------------------------------- */

/* Copy @path while frozen (reads pass) and check every record in it. */
static int copy_and_verify(const char *path, const char *to)
{
	static struct record recs[NR_RECORDS];
	int in = open(path, O_RDONLY), out, bad = 0, i;
	ssize_t n;

	if (in < 0)
		return -errno;
	n = pread(in, recs, sizeof(recs), 0);
	close(in);
	if (n != (ssize_t)sizeof(recs))
		return -EIO;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0 || write(out, recs, sizeof(recs)) != (ssize_t)sizeof(recs))
		bad = -1;
	if (out >= 0)
		close(out);
	for (i = 0; i < NR_RECORDS; i++) {
		if (recs[i].magic != MAGIC || recs[i].key != (uint64_t)i ||
		    recs[i].checksum != checksum(&recs[i])) {
			fprintf(stderr, "minidb: record %d is torn in the copy\n", i);
			bad = -1;
		}
	}
	return bad ? -EIO : 0;
}

static int take_snapshot(const char *backup_dir)
{
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long nr = 0, i, d;
	JET_OSSNAPID snap;
	JET_ERR err;
	int copy_err = 0;

	err = JetOSSnapshotPrepare(&snap, JET_bitContinueAfterThaw);
	if (err)
		return fprintf(stderr, "Prepare: %d\n", err), -1;
	err = JetOSSnapshotFreeze(snap, &nr, &info, 0);
	if (err) {
		fprintf(stderr, "Freeze: %d (see syslog for why)\n", err);
		JetOSSnapshotEnd(snap, JET_bitAbortSnapshot);
		return -1;
	}
	/* Frozen: the engine's writers wait, the files are consistent. */
	for (i = 0; i < nr; i++) {
		printf("minidb: frozen instance %s with %lu database(s)\n",
		       info[i].szInstanceName, (unsigned long)info[i].cDatabases);
		for (d = 0; d < info[i].cDatabases; d++) {
			char to[700];

			snprintf(to, sizeof(to), "%s/backup.edb", backup_dir);
			printf("minidb:   copying %s\n",
			       info[i].szDatabaseFileName[d]);
			if (copy_and_verify(info[i].szDatabaseFileName[d], to))
				copy_err = -1;
		}
	}
	JetFreeBuffer((char *)info);

	err = JetOSSnapshotThaw(snap, 0);
	if (err) {
		/* JET_errOSSnapshotTimeOut: the copy may hold later writes. */
		fprintf(stderr, "Thaw: %d, discarding the copy\n", err);
		JetOSSnapshotEnd(snap, JET_bitAbortSnapshot);
		return -1;
	}
	if (copy_err) {
		JetOSSnapshotEnd(snap, JET_bitAbortSnapshot);
		return -1;
	}
	err = JetOSSnapshotTruncateLog(snap, JET_bitAllDatabasesSnapshot);
	if (!err)
		err = JetOSSnapshotEnd(snap, 0);
	if (err)
		return fprintf(stderr, "TruncateLog/End: %d\n", err), -1;
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t writers[NR_WRITERS];
	struct engine e;
	int seconds = 1, i, ret = 1, err;
	const char *dir = NULL;
	struct timespec pause = { 0, 300 * 1000000L };

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--userspace"))
			jetfreeze_set_mode(JETFREEZE_MODE_USERSPACE);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else
			dir = argv[i];
	}
	if (!dir) {
		fprintf(stderr, "usage: minidb [--userspace] [--seconds N] DIR\n");
		return 2;
	}
	/* Shorter than ESE's 70 s default: a demo should not hang long. */
	JetSetSystemParameter(NULL, JET_sesidNil, JET_paramOSSnapshotTimeout,
			      10000, NULL);

	err = engine_start(&e, dir);
	if (err) {
		fprintf(stderr, "minidb: cannot start: %s\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < NR_WRITERS; i++)
		pthread_create(&writers[i], NULL, writer_main, &e);
	nanosleep(&pause, NULL);
	if (take_snapshot(dir) == 0) {
		printf("minidb: snapshot taken and verified\n");
		ret = 0;
	}
	sleep((unsigned int)seconds);
	__atomic_store_n(&e.stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < NR_WRITERS; i++)
		pthread_join(writers[i], NULL);
	printf("minidb: %" PRIu64 " updates\n", e.updates);
	engine_stop(&e);
	return ret;
}
