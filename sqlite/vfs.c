// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The "jetfreeze" SQLite VFS: a shim over the default VFS whose database,
 * WAL and rollback-journal I/O goes through libjetfreeze.
 *
 * Each file SQLite opens is opened by the VFS underneath as usual (it
 * keeps the POSIX locks, the -shm WAL index and everything else), and a
 * database, WAL or journal is also registered with the library, which
 * opens its own descriptor: reads, writes, syncs and truncates use that
 * one, so a snapshot drains and holds them.  Temporary files, statement
 * journals and super-journals pass straight through.
 *
 * Registrations are shared per file (device and inode) by every
 * connection of the process, and one instance exists per database: a
 * snapshot must see one set of files, and closing a second descriptor of
 * a database would drop the process's POSIX locks on it.  The last close
 * ends a registration, unless a snapshot holds the instance (the library
 * refuses, as ESE refuses to detach during a backup): the registration is
 * then parked and retried at the next open or close through the VFS.  A
 * journal or WAL first opened while a snapshot holds its instance (a
 * rollback journal is a new file every transaction) cannot be registered
 * before the snapshot ends: until then it is read and written through the
 * VFS underneath, except that its writes wait while the instance is
 * frozen, and freeze_begin waits for those in flight.
 *
 * The snapshot callbacks (TruncateLog, a completed backup) run SQL on a
 * connection of their own.  They run with the library's snapshot lock
 * held, so on their thread the VFS never calls into the library to open
 * or close files: it reuses the registrations that exist and opens
 * anything else unregistered (no snapshot can start before the callback
 * returns, and its connection is closed by then).
 *
 * The callbacks wait for SQLite's locks while they hold the library's
 * snapshot lock, and SQLite holds its locks while it opens, writes and
 * closes journals through us: so the library calls made there do not wait
 * for the snapshot lock (jetfreeze_set_nowait()).  When it is taken they
 * get -EAGAIN and are retried later, as when a snapshot holds the
 * instance.  Only the first open of a database, when SQLite holds no lock
 * of it yet, waits.
 *
 * Locks: jfs.open (creating and ending registrations, across library
 * calls), then the library's own; jfs.reg (the lists, never held across
 * a library call); db->lock (counters, the frozen flag); sh->reg_lock
 * (registering a file late, across jetfreeze_file_open).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jetfreeze/engine.h>

#include "internal.h"

#define ROUND8(n)		(((n) + 7) & ~(size_t)7)

struct jfs_db {
	struct jfs_db *next;		/* jfs.dbs */
	dev_t dev;
	ino_t ino;
	char *path;
	JET_INSTANCE inst;
	unsigned int files;		/* registrations of this database */
	bool record;			/* add jetfreeze_backup rows */

	pthread_mutex_t lock;		/* all below */
	pthread_cond_t cond;		/* thawed, or direct went to 0 */
	struct jetfreeze_sqlite_stats st;
	unsigned int direct;		/* write-class calls past the library */
	bool frozen;
	/* A callback wants the WAL write lock: other writers wait. */
	bool priority;
};

struct jfs_shared {
	struct jfs_shared *next;	/* jfs.files */
	struct jfs_db *db;
	dev_t dev;
	ino_t ino;
	unsigned int kind;		/* JETFREEZE_FILE_DATABASE or _LOG */
	char *path;
	unsigned int refs;		/* open sqlite3_files using it */
	pthread_mutex_t reg_lock;	/* registering it late */
	struct jetfreeze_file *jf;	/* atomic; NULL until registered */
};

struct jfs_file {
	sqlite3_file base;
	sqlite3_file *real;		/* the VFS underneath's, right after */
	struct jfs_shared *sh;		/* NULL: passed through */
	bool dirsync;			/* fsync the directory at the first sync */
};

static struct {
	pthread_mutex_t open;
	pthread_mutex_t reg;
	struct jfs_db *dbs;
	struct jfs_shared *files;
	unsigned int parked;		/* refs 0 files + databases without files */
	struct jfs_db *dead;		/* stopped, out of the list, to destroy */
	sqlite3_vfs *root;
} jfs = {
	.open = PTHREAD_MUTEX_INITIALIZER,
	.reg = PTHREAD_MUTEX_INITIALIZER,
};

/* Set while one of our snapshot callbacks runs on this thread. */
static __thread unsigned int jfs_in_callback;

long long jfs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void jfs_log(int prio, const char *fmt, ...)
{
	const char *dbg = getenv("JETFREEZE_DEBUG");
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(LOG_USER | prio, "jetfreeze-sqlite: %s", msg);
	if (dbg && *dbg && strcmp(dbg, "0"))
		fprintf(stderr, "jetfreeze-sqlite: %s\n", msg);
}

/* ---- the registry ------------------------------------------------------- */

static struct jfs_db *db_find(dev_t dev, ino_t ino)
{
	struct jfs_db *db;

	for (db = jfs.dbs; db; db = db->next)
		if (db->dev == dev && db->ino == ino)
			return db;
	return NULL;
}

static struct jfs_shared *shared_find(dev_t dev, ino_t ino)
{
	struct jfs_shared *sh;

	for (sh = jfs.files; sh; sh = sh->next)
		if (sh->dev == dev && sh->ino == ino)
			return sh;
	return NULL;
}

/* Take a reference on a registration found in the list; jfs.reg held. */
static void shared_get(struct jfs_shared *sh)
{
	if (sh->refs++ == 0)
		jfs.parked--;
}

static void shared_free(struct jfs_shared *sh)
{
	pthread_mutex_destroy(&sh->reg_lock);
	free(sh->path);
	free(sh);
}

static void db_free(struct jfs_db *db)
{
	pthread_cond_destroy(&db->cond);
	pthread_mutex_destroy(&db->lock);
	free(db->path);
	free(db);
}

/* Unlink @sh from jfs.files; jfs.reg held. */
static void shared_unlink(struct jfs_shared *sh)
{
	struct jfs_shared **pp;

	for (pp = &jfs.files; *pp != sh; pp = &(*pp)->next)
		;
	*pp = sh->next;
}

static void db_unlink(struct jfs_db *db)
{
	struct jfs_db **pp;

	for (pp = &jfs.dbs; *pp != db; pp = &(*pp)->next)
		;
	*pp = db->next;
}

/* A registration is gone: its database loses a file; jfs.reg held. */
static void db_put_file(struct jfs_db *db)
{
	if (--db->files == 0)
		jfs.parked++;
}

/* The library did not do it now, and it will later: keep it for then. */
static bool retry_later(int err)
{
	return err == -EBUSY || err == -EAGAIN;
}

/*
 * End what is parked: registrations nobody uses, instances without files.
 * The library refuses while a snapshot holds the instance (-EBUSY), or
 * while a snapshot call runs (-EAGAIN): those stay for the next time.
 * jfs.open held, never on a callback's thread.
 */
static void reap(void)
{
	struct jfs_shared *sh, *next, *gone = NULL, *busy = NULL;
	struct jfs_db *db, *dnext, *dgone = NULL, *dbusy = NULL;
	int nowait;

	pthread_mutex_lock(&jfs.reg);
	if (!jfs.parked && !jfs.dead) {
		pthread_mutex_unlock(&jfs.reg);
		return;
	}
	for (sh = jfs.files; sh; sh = next) {
		next = sh->next;
		if (sh->refs)
			continue;
		shared_unlink(sh);
		jfs.parked--;
		sh->next = gone;
		gone = sh;
	}
	pthread_mutex_unlock(&jfs.reg);

	nowait = jetfreeze_set_nowait(1);
	for (sh = gone; sh; sh = next) {
		int err = sh->jf ? jetfreeze_file_close(sh->jf) : 0;

		next = sh->next;
		pthread_mutex_lock(&jfs.reg);
		if (retry_later(err)) {
			sh->next = busy;
			busy = sh;
		} else {
			if (err)
				jfs_log(LOG_ERR, "closing %s: %s", sh->path,
					strerror(-err));
			db_put_file(sh->db);
			shared_free(sh);
		}
		pthread_mutex_unlock(&jfs.reg);
	}

	pthread_mutex_lock(&jfs.reg);
	for (sh = busy; sh; sh = next) {
		next = sh->next;
		sh->next = jfs.files;
		jfs.files = sh;
		jfs.parked++;
	}
	for (db = jfs.dbs; db; db = dnext) {
		dnext = db->next;
		if (db->files)
			continue;
		db_unlink(db);
		jfs.parked--;
		db->next = dgone;
		dgone = db;
	}
	pthread_mutex_unlock(&jfs.reg);

	/* Stopped, an instance is out of snapshots and out of the list (a
	 * new open makes a new one); destroying it may have to wait. */
	for (db = dgone; db; db = dnext) {
		int err = jetfreeze_instance_stop(db->inst, 0);

		dnext = db->next;
		if (retry_later(err)) {
			db->next = dbusy;
			dbusy = db;
		} else {
			db->next = jfs.dead;
			jfs.dead = db;
		}
	}
	dgone = jfs.dead;
	jfs.dead = NULL;
	for (db = dgone; db; db = dnext) {
		int err = jetfreeze_instance_destroy(db->inst);

		dnext = db->next;
		if (retry_later(err)) {
			db->next = jfs.dead;
			jfs.dead = db;
			continue;
		}
		if (err)
			jfs_log(LOG_ERR, "instance %lu (%s): %s",
				(unsigned long)db->inst, db->path,
				strerror(-err));
		db_free(db);
	}
	jetfreeze_set_nowait(nowait);
	pthread_mutex_lock(&jfs.reg);
	for (db = dbusy; db; db = dnext) {
		dnext = db->next;
		db->next = jfs.dbs;
		jfs.dbs = db;
		jfs.parked++;
	}
	pthread_mutex_unlock(&jfs.reg);
}

/* Register @path with the library, read-write when it can be. */
static int register_file(struct jfs_db *db, const char *path, unsigned int kind,
			 struct jetfreeze_file **jf)
{
	int err = jetfreeze_file_open(db->inst, path, O_RDWR, 0, kind, jf);

	if (err == -EACCES || err == -EROFS || err == -EPERM)
		err = jetfreeze_file_open(db->inst, path, O_RDONLY, 0, kind, jf);
	return err;
}

static const struct jetfreeze_callbacks jfs_callbacks;

static struct jfs_db *db_new(const char *path, const struct stat *st,
			     bool record, int *err)
{
	struct jfs_db *db = calloc(1, sizeof(*db));

	*err = -ENOMEM;
	if (!db)
		return NULL;
	db->path = realpath(path, NULL);
	if (!db->path) {
		*err = -errno;
		free(db);
		return NULL;
	}
	db->dev = st->st_dev;
	db->ino = st->st_ino;
	db->record = record;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->cond, NULL);
	*err = jetfreeze_instance_create(&db->inst, db->path, &jfs_callbacks,
					 db);
	if (*err) {
		db_free(db);
		return NULL;
	}
	db->st.instance = db->inst;
	return db;
}

static struct jfs_shared *shared_new(struct jfs_db *db, const char *path,
				     const struct stat *st, unsigned int kind,
				     int *err)
{
	struct jfs_shared *sh = calloc(1, sizeof(*sh));

	*err = -ENOMEM;
	if (!sh)
		return NULL;
	sh->path = strdup(path);
	if (!sh->path) {
		free(sh);
		return NULL;
	}
	sh->db = db;
	sh->dev = st->st_dev;
	sh->ino = st->st_ino;
	sh->kind = kind;
	sh->refs = 1;
	pthread_mutex_init(&sh->reg_lock, NULL);
	*err = register_file(db, path, kind, &sh->jf);
	if (retry_later(*err)) {
		/* Opened while a snapshot holds the instance or a snapshot
		 * call runs: write_begin() registers it later. */
		sh->jf = NULL;
		*err = 0;
	}
	if (*err) {
		shared_free(sh);
		return NULL;
	}
	return sh;
}

static int errno_to_sqlite(int err)
{
	switch (err) {
	case -ENOMEM:
		return SQLITE_NOMEM;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		return SQLITE_PERM;
	default:
		return SQLITE_CANTOPEN;
	}
}

/* A new instance for a database, its file registered, not started yet. */
static struct jfs_db *db_prepare(const char *name, const struct stat *st,
				 struct jfs_shared **sh, int *err)
{
	struct jfs_db *db = db_new(name, st,
				   sqlite3_uri_boolean(name, "jetfreeze_record", 1),
				   err);

	if (!db)
		return NULL;
	*sh = shared_new(db, name, st, JETFREEZE_FILE_DATABASE, err);
	if (!*sh) {
		jetfreeze_instance_destroy(db->inst);
		db_free(db);
		return NULL;
	}
	db->files = 1;
	return db;
}

/* A db_prepare() that another thread's open of the database made moot. */
static void db_discard(struct jfs_db *db, struct jfs_shared *sh)
{
	if (sh->jf)
		jetfreeze_file_close(sh->jf);
	shared_free(sh);
	jetfreeze_instance_destroy(db->inst);
	db_free(db);
}

static void detach(struct jfs_file *p);

/*
 * Find or create the registration of a database or log file the VFS
 * underneath just opened.  Leaves p->sh NULL (passed through) for a log
 * whose database is not ours and, on a callback's thread, for anything
 * not registered yet.
 *
 * Under jfs.open no library call waits for the snapshot lock: a thread
 * closing a journal under SQLite's locks may be waiting for jfs.open.  A
 * database's first open, when SQLite holds no lock of it yet, makes and
 * starts its instance without jfs.open, and may wait.
 */
static int attach(struct jfs_file *p, const char *name, unsigned int kind)
{
	struct jfs_shared *sh, *fresh_sh = NULL;
	struct jfs_db *db, *fresh = NULL;
	bool known, ours = false, other = false;
	struct stat st, dbst;
	int err = 0, nowait;

	if (stat(name, &st) < 0)
		return SQLITE_CANTOPEN;
	if (kind == JETFREEZE_FILE_DATABASE)
		dbst = st;
	else if (stat(sqlite3_filename_database(name), &dbst) < 0)
		return SQLITE_OK;	/* no database: nothing to snapshot */

	pthread_mutex_lock(&jfs.reg);
	if (jfs_in_callback) {
		sh = shared_find(st.st_dev, st.st_ino);
		if (sh && sh->kind == kind && sh->db->dev == dbst.st_dev &&
		    sh->db->ino == dbst.st_ino) {
			shared_get(sh);
			p->sh = sh;
		}
		pthread_mutex_unlock(&jfs.reg);
		return SQLITE_OK;
	}
	known = db_find(dbst.st_dev, dbst.st_ino) != NULL;
	pthread_mutex_unlock(&jfs.reg);
retry:
	if (!known && kind == JETFREEZE_FILE_DATABASE) {
		fresh = db_prepare(name, &st, &fresh_sh, &err);
		if (!fresh)
			goto fail;
	}

	pthread_mutex_lock(&jfs.open);
	nowait = jetfreeze_set_nowait(1);
	reap();
	pthread_mutex_lock(&jfs.reg);
	db = db_find(dbst.st_dev, dbst.st_ino);
	if (!db && !fresh && kind == JETFREEZE_FILE_DATABASE) {
		/* reap() just ended the instance we saw: make a new one */
		pthread_mutex_unlock(&jfs.reg);
		jetfreeze_set_nowait(nowait);
		pthread_mutex_unlock(&jfs.open);
		known = false;
		goto retry;
	}
	if (!db && fresh) {
		fresh->next = jfs.dbs;
		jfs.dbs = db = fresh;
		fresh_sh->next = jfs.files;
		jfs.files = fresh_sh;
		p->sh = fresh_sh;
		fresh = NULL;
		ours = true;
	} else if (db) {
		sh = shared_find(st.st_dev, st.st_ino);
		if (sh && sh->db == db && sh->kind == kind) {
			shared_get(sh);
			p->sh = sh;
		} else if (sh) {
			other = true;	/* the same inode in another role */
		}
	}
	pthread_mutex_unlock(&jfs.reg);

	if (!p->sh && !other && db) {
		sh = shared_new(db, name, &st, kind, &err);
		if (sh) {
			pthread_mutex_lock(&jfs.reg);
			if (db->files++ == 0)
				jfs.parked--;	/* reap() could not stop it yet */
			sh->next = jfs.files;
			jfs.files = sh;
			pthread_mutex_unlock(&jfs.reg);
			p->sh = sh;
		}
	}
	jetfreeze_set_nowait(nowait);
	pthread_mutex_unlock(&jfs.open);

	if (fresh)
		db_discard(fresh, fresh_sh);
	if (other)
		jfs_log(LOG_WARNING, "%s is already open as another kind of file; not registered",
			name);
	if (ours) {
		/* Its file keeps it listed: it is ours to start. */
		err = jetfreeze_instance_start(db->inst);
		if (err)
			detach(p);
	}
	if (!err)
		return SQLITE_OK;
fail:
	jfs_log(LOG_ERR, "cannot register %s: %s", name, strerror(-err));
	return errno_to_sqlite(err);
}

/* Drop p's reference; the last one parks the registration. */
static void detach(struct jfs_file *p)
{
	struct jfs_shared *sh = p->sh;
	bool reap_now;

	p->sh = NULL;
	pthread_mutex_lock(&jfs.reg);
	if (--sh->refs == 0) {
		if (!__atomic_load_n(&sh->jf, __ATOMIC_ACQUIRE)) {
			/* Never registered: nothing to close, and no
			 * descriptor keeps its inode number taken. */
			shared_unlink(sh);
			db_put_file(sh->db);
			shared_free(sh);
		} else {
			jfs.parked++;
		}
	}
	reap_now = jfs.parked && !jfs_in_callback;
	pthread_mutex_unlock(&jfs.reg);
	if (reap_now) {
		pthread_mutex_lock(&jfs.open);
		reap();
		pthread_mutex_unlock(&jfs.open);
	}
}

/*
 * The library's file for a write-class request (*jf), or NULL to use the
 * VFS underneath: passed through, on a callback's thread, or a file that
 * cannot be registered yet (opened during a snapshot, or a snapshot call
 * runs).  For the latter the request waits while the instance is frozen
 * and is counted (*direct: call direct_end() after it) so that the next
 * freeze_begin waits for it.
 */
static int write_begin(struct jfs_file *p, struct jetfreeze_file **jf,
		       bool *direct)
{
	struct jfs_shared *sh = p->sh;
	struct jfs_db *db;
	int err;

	*direct = false;
	*jf = sh ? __atomic_load_n(&sh->jf, __ATOMIC_ACQUIRE) : NULL;
	if (*jf || !sh || jfs_in_callback)
		return SQLITE_OK;
	db = sh->db;
	for (;;) {
		err = 0;
		pthread_mutex_lock(&sh->reg_lock);
		if (!sh->jf) {
			struct jetfreeze_file *f;
			int nowait = jetfreeze_set_nowait(1);

			err = register_file(db, sh->path, sh->kind, &f);
			jetfreeze_set_nowait(nowait);
			if (!err)
				__atomic_store_n(&sh->jf, f, __ATOMIC_RELEASE);
		}
		*jf = sh->jf;
		pthread_mutex_unlock(&sh->reg_lock);
		if (*jf)
			return SQLITE_OK;
		if (!retry_later(err)) {
			jfs_log(LOG_ERR, "cannot register %s: %s", sh->path,
				strerror(-err));
			return SQLITE_IOERR;
		}
		pthread_mutex_lock(&db->lock);
		if (!db->frozen) {
			db->direct++;
			pthread_mutex_unlock(&db->lock);
			*direct = true;
			return SQLITE_OK;
		}
		while (db->frozen)
			pthread_cond_wait(&db->cond, &db->lock);
		pthread_mutex_unlock(&db->lock);
	}
}

/*
 * After a write-class request made past the library.  A Freeze makes only
 * the registered files durable, so a write or truncate made here is synced
 * before freeze_begin may go on (the file may never be written again
 * before the next snapshot).  Returns @rc, or the sync's error.
 */
static int direct_end(struct jfs_file *p, int rc, bool sync)
{
	struct jfs_db *db = p->sh->db;

	if (sync && rc == SQLITE_OK)
		rc = p->real->pMethods->xSync(p->real, SQLITE_SYNC_NORMAL);
	pthread_mutex_lock(&db->lock);
	if (--db->direct == 0)
		pthread_cond_broadcast(&db->cond);
	pthread_mutex_unlock(&db->lock);
	return rc;
}

/* A write-class request is issued: count it when a snapshot holds it. */
static void count_held(struct jfs_file *p)
{
	struct jfs_db *db = p->sh->db;

	pthread_mutex_lock(&db->lock);
	if (db->frozen)
		db->st.held++;
	pthread_mutex_unlock(&db->lock);
}

/* ---- sqlite3_io_methods -------------------------------------------------- */

static int jfs_close(sqlite3_file *file)
{
	struct jfs_file *p = (struct jfs_file *)file;
	int rc = p->real->pMethods ? p->real->pMethods->xClose(p->real)
				   : SQLITE_OK;

	if (p->sh)
		detach(p);
	return rc;
}

static int jfs_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct jfs_file *p = (struct jfs_file *)file;
	struct jetfreeze_file *jf = p->sh ?
		__atomic_load_n(&p->sh->jf, __ATOMIC_ACQUIRE) : NULL;
	ssize_t n;

	if (!jf)
		return p->real->pMethods->xRead(p->real, buf, amt, off);
	n = jetfreeze_pread(jf, buf, (size_t)amt, (uint64_t)off);
	if (n < 0)
		return n == -ENOMEM ? SQLITE_IOERR_NOMEM : SQLITE_IOERR_READ;
	if (n < amt) {
		memset((char *)buf + n, 0, (size_t)(amt - n));
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int jfs_write(sqlite3_file *file, const void *buf, int amt,
		     sqlite3_int64 off)
{
	struct jfs_file *p = (struct jfs_file *)file;
	struct jetfreeze_file *jf;
	bool direct;
	ssize_t n;
	int rc = write_begin(p, &jf, &direct);

	if (rc)
		return rc;
	if (!jf) {
		rc = p->real->pMethods->xWrite(p->real, buf, amt, off);
		return direct ? direct_end(p, rc, true) : rc;
	}
	count_held(p);
	n = jetfreeze_pwrite(jf, buf, (size_t)amt, (uint64_t)off);
	if (n == -ENOSPC || n == -EDQUOT)
		return SQLITE_FULL;
	return n < 0 ? SQLITE_IOERR_WRITE : SQLITE_OK;
}

static int jfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct jfs_file *p = (struct jfs_file *)file;
	struct jetfreeze_file *jf;
	bool direct;
	int rc = write_begin(p, &jf, &direct);

	if (rc)
		return rc;
	if (!jf) {
		rc = p->real->pMethods->xTruncate(p->real, size);
		return direct ? direct_end(p, rc, true) : rc;
	}
	count_held(p);
	return jetfreeze_truncate(jf, (uint64_t)size) ? SQLITE_IOERR_TRUNCATE
						      : SQLITE_OK;
}

/*
 * After the first sync of a new journal or WAL, its directory entry.  As
 * the unix VFS, once and best effort: a directory that cannot be opened
 * or synced (some filesystems refuse) is not an I/O error of the file.
 */
static void sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int jfs_sync(sqlite3_file *file, int flags)
{
	struct jfs_file *p = (struct jfs_file *)file;
	struct jetfreeze_file *jf;
	bool direct;
	int rc = write_begin(p, &jf, &direct);

	if (rc)
		return rc;
	if (!jf) {
		rc = p->real->pMethods->xSync(p->real, flags);
		return direct ? direct_end(p, rc, false) : rc;
	}
	count_held(p);
	if (jetfreeze_sync(jf, (flags & SQLITE_SYNC_DATAONLY) ?
			   JETFREEZE_FSYNC_DATA : 0))
		return SQLITE_IOERR_FSYNC;
	if (p->dirsync) {
		sync_dir(p->sh->path);
		p->dirsync = false;
	}
	return SQLITE_OK;
}

static int jfs_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct jfs_file *p = (struct jfs_file *)file;
	struct jetfreeze_file *jf = p->sh ?
		__atomic_load_n(&p->sh->jf, __ATOMIC_ACQUIRE) : NULL;
	struct stat st;

	if (!jf)
		return p->real->pMethods->xFileSize(p->real, size);
	if (fstat(jetfreeze_file_fd(jf), &st) < 0)
		return SQLITE_IOERR_FSTAT;
	*size = st.st_size;
	return SQLITE_OK;
}

static int jfs_lock(sqlite3_file *file, int lock)
{
	struct jfs_file *p = (struct jfs_file *)file;

	return p->real->pMethods->xLock(p->real, lock);
}

static int jfs_unlock(sqlite3_file *file, int lock)
{
	struct jfs_file *p = (struct jfs_file *)file;

	return p->real->pMethods->xUnlock(p->real, lock);
}

static int jfs_check_reserved(sqlite3_file *file, int *out)
{
	struct jfs_file *p = (struct jfs_file *)file;

	return p->real->pMethods->xCheckReservedLock(p->real, out);
}

static const char *mode_name(void)
{
	return jetfreeze_get_mode() == JETFREEZE_MODE_USERSPACE ? "userspace"
								: "kernel";
}

/* PRAGMA jetfreeze: the instance's counters, one line. */
static char *pragma_text(struct jfs_db *db)
{
	struct jetfreeze_sqlite_stats st;

	pthread_mutex_lock(&db->lock);
	st = db->st;
	st.frozen = db->frozen;
	pthread_mutex_unlock(&db->lock);
	return sqlite3_mprintf("instance %lu '%s' (%s mode): %s; %llu snapshots froze it "
			       "(%llu thawed, %llu broken), %llu completed; %llu writes held; "
			       "TruncateLog checkpoints %llu (%llu busy); %llu jetfreeze_backup rows",
			       (unsigned long)db->inst, db->path, mode_name(),
			       st.frozen ? "frozen" : "not frozen",
			       (unsigned long long)st.freezes,
			       (unsigned long long)st.thaws,
			       (unsigned long long)st.broken,
			       (unsigned long long)st.completed,
			       (unsigned long long)st.held,
			       (unsigned long long)st.checkpoints,
			       (unsigned long long)st.checkpoints_busy,
			       (unsigned long long)st.records);
}

static int jfs_file_control(sqlite3_file *file, int op, void *arg)
{
	struct jfs_file *p = (struct jfs_file *)file;
	int rc;

	switch (op) {
	case SQLITE_FCNTL_SIZE_HINT:
	case SQLITE_FCNTL_CHUNK_SIZE:
		/* Both would make the VFS underneath extend the file behind
		 * the library's back; they are only hints. */
		if (p->sh)
			return SQLITE_OK;
		break;
	case SQLITE_FCNTL_MMAP_SIZE:
		/* No memory-mapped I/O: reads go through the library. */
		*(sqlite3_int64 *)arg = 0;
		return SQLITE_OK;
	case SQLITE_FCNTL_PRAGMA: {
		char **a = arg;

		if (p->sh && p->sh->kind == JETFREEZE_FILE_DATABASE &&
		    !sqlite3_stricmp(a[1], "jetfreeze")) {
			if (a[2]) {
				a[0] = sqlite3_mprintf("PRAGMA jetfreeze takes no argument");
				return SQLITE_ERROR;
			}
			a[0] = pragma_text(p->sh->db);
			return a[0] ? SQLITE_OK : SQLITE_NOMEM;
		}
		break;
	}
	case SQLITE_FCNTL_VFSNAME: {
		char *below = NULL;

		rc = p->real->pMethods->xFileControl(p->real, op, &below);
		*(char **)arg = rc == SQLITE_OK && below ?
			sqlite3_mprintf("%s/%z", JETFREEZE_SQLITE_VFS, below) :
			sqlite3_mprintf("%s/%s", JETFREEZE_SQLITE_VFS,
					jfs.root->zName);
		return SQLITE_OK;
	}
	}
	return p->real->pMethods->xFileControl(p->real, op, arg);
}

static int jfs_sector_size(sqlite3_file *file)
{
	struct jfs_file *p = (struct jfs_file *)file;

	return p->real->pMethods->xSectorSize(p->real);
}

static int jfs_device_characteristics(sqlite3_file *file)
{
	struct jfs_file *p = (struct jfs_file *)file;
	int dc = p->real->pMethods->xDeviceCharacteristics(p->real);

	/* F2FS's atomic batches are ioctls on the descriptor underneath,
	 * while the writes go through the library's. */
	return p->sh ? dc & ~SQLITE_IOCAP_BATCH_ATOMIC : dc;
}

static int jfs_shm_map(sqlite3_file *file, int region, int size, int extend,
		       void volatile **pp)
{
	struct jfs_file *p = (struct jfs_file *)file;

	if (p->real->pMethods->iVersion < 2)
		return SQLITE_IOERR_SHMMAP;
	return p->real->pMethods->xShmMap(p->real, region, size, extend, pp);
}

/* wal.c's WAL_WRITE_LOCK: the first of the WAL index's locks. */
#define JFS_WAL_WRITE_LOCK	0

static int jfs_shm_lock(sqlite3_file *file, int off, int n, int flags)
{
	struct jfs_file *p = (struct jfs_file *)file;

	if (p->real->pMethods->iVersion < 2)
		return SQLITE_IOERR_SHMLOCK;
	/*
	 * While TruncateLog's checkpoint or the backup record waits for the
	 * write lock, other writers find it busy (their busy handlers retry):
	 * under a steady stream of transactions the checkpoint would starve.
	 */
	if (off == JFS_WAL_WRITE_LOCK &&
	    (flags & (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE)) ==
	    (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE) &&
	    p->sh && p->sh->kind == JETFREEZE_FILE_DATABASE &&
	    !jfs_in_callback) {
		struct jfs_db *db = p->sh->db;
		bool busy;

		pthread_mutex_lock(&db->lock);
		busy = db->priority;
		pthread_mutex_unlock(&db->lock);
		if (busy)
			return SQLITE_BUSY;
	}
	return p->real->pMethods->xShmLock(p->real, off, n, flags);
}

static void jfs_shm_barrier(sqlite3_file *file)
{
	struct jfs_file *p = (struct jfs_file *)file;

	if (p->real->pMethods->iVersion >= 2)
		p->real->pMethods->xShmBarrier(p->real);
}

static int jfs_shm_unmap(sqlite3_file *file, int del)
{
	struct jfs_file *p = (struct jfs_file *)file;

	if (p->real->pMethods->iVersion < 2)
		return SQLITE_OK;
	return p->real->pMethods->xShmUnmap(p->real, del);
}

/* Version 2: no xFetch, so SQLite never reads through a memory map. */
static const sqlite3_io_methods jfs_io_methods = {
	.iVersion = 2,
	.xClose = jfs_close,
	.xRead = jfs_read,
	.xWrite = jfs_write,
	.xTruncate = jfs_truncate,
	.xSync = jfs_sync,
	.xFileSize = jfs_file_size,
	.xLock = jfs_lock,
	.xUnlock = jfs_unlock,
	.xCheckReservedLock = jfs_check_reserved,
	.xFileControl = jfs_file_control,
	.xSectorSize = jfs_sector_size,
	.xDeviceCharacteristics = jfs_device_characteristics,
	.xShmMap = jfs_shm_map,
	.xShmLock = jfs_shm_lock,
	.xShmBarrier = jfs_shm_barrier,
	.xShmUnmap = jfs_shm_unmap,
};

/* ---- sqlite3_vfs --------------------------------------------------------- */

static int jfs_open(sqlite3_vfs *vfs, sqlite3_filename name,
		    sqlite3_file *file, int flags, int *out_flags)
{
	struct jfs_file *p = (struct jfs_file *)file;
	sqlite3_vfs *root = jfs.root;
	unsigned int kind = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->real = (sqlite3_file *)((char *)p + ROUND8(sizeof(*p)));
	if (name && (flags & SQLITE_OPEN_MAIN_DB))
		kind = JETFREEZE_FILE_DATABASE;
	else if (name && (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)))
		kind = JETFREEZE_FILE_LOG;
	rc = root->xOpen(root, name, p->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		/* SQLite closes only what has methods: ours stay NULL. */
		if (p->real->pMethods)
			p->real->pMethods->xClose(p->real);
		return rc;
	}
	if (kind) {
		rc = attach(p, name, kind);
		if (rc != SQLITE_OK) {
			p->real->pMethods->xClose(p->real);
			return rc;
		}
		/* As the unix VFS: a journal or WAL it creates gets its
		 * directory synced at the first sync. */
		p->dirsync = kind == JETFREEZE_FILE_LOG &&
			     (flags & SQLITE_OPEN_CREATE);
	}
	p->base.pMethods = &jfs_io_methods;
	return SQLITE_OK;
}

static int jfs_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	return jfs.root->xDelete(jfs.root, name, dirsync);
}

static int jfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return jfs.root->xAccess(jfs.root, name, flags, out);
}

static int jfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n,
			     char *out)
{
	return jfs.root->xFullPathname(jfs.root, name, n, out);
}

static void *jfs_dlopen(sqlite3_vfs *vfs, const char *name)
{
	return jfs.root->xDlOpen(jfs.root, name);
}

static void jfs_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	jfs.root->xDlError(jfs.root, n, msg);
}

static void (*jfs_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return jfs.root->xDlSym(jfs.root, h, sym);
}

static void jfs_dlclose(sqlite3_vfs *vfs, void *h)
{
	jfs.root->xDlClose(jfs.root, h);
}

static int jfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return jfs.root->xRandomness(jfs.root, n, out);
}

static int jfs_sleep(sqlite3_vfs *vfs, int us)
{
	return jfs.root->xSleep(jfs.root, us);
}

static int jfs_current_time(sqlite3_vfs *vfs, double *out)
{
	return jfs.root->xCurrentTime(jfs.root, out);
}

static int jfs_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return jfs.root->xGetLastError ?
		jfs.root->xGetLastError(jfs.root, n, out) : 0;
}

static int jfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return jfs.root->xCurrentTimeInt64(jfs.root, out);
}

static int jfs_set_system_call(sqlite3_vfs *vfs, const char *name,
			       sqlite3_syscall_ptr fn)
{
	return jfs.root->xSetSystemCall(jfs.root, name, fn);
}

static sqlite3_syscall_ptr jfs_get_system_call(sqlite3_vfs *vfs,
					       const char *name)
{
	return jfs.root->xGetSystemCall(jfs.root, name);
}

static const char *jfs_next_system_call(sqlite3_vfs *vfs, const char *name)
{
	return jfs.root->xNextSystemCall(jfs.root, name);
}

static sqlite3_vfs jfs_vfs = {
	.zName = JETFREEZE_SQLITE_VFS,
	.xOpen = jfs_open,
	.xDelete = jfs_delete,
	.xAccess = jfs_access,
	.xFullPathname = jfs_full_pathname,
	.xDlOpen = jfs_dlopen,
	.xDlError = jfs_dlerror,
	.xDlSym = jfs_dlsym,
	.xDlClose = jfs_dlclose,
	.xRandomness = jfs_randomness,
	.xSleep = jfs_sleep,
	.xCurrentTime = jfs_current_time,
	.xGetLastError = jfs_get_last_error,
	.xCurrentTimeInt64 = jfs_current_time_int64,
	.xSetSystemCall = jfs_set_system_call,
	.xGetSystemCall = jfs_get_system_call,
	.xNextSystemCall = jfs_next_system_call,
};

int jetfreeze_sqlite_register(int make_default)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	sqlite3_vfs *root;
	int rc = SQLITE_OK;

	pthread_mutex_lock(&lock);
	if (jfs.root) {
		if (make_default)
			rc = sqlite3_vfs_register(&jfs_vfs, 1);
		pthread_mutex_unlock(&lock);
		return rc;
	}
	root = sqlite3_vfs_find(NULL);
	if (root == &jfs_vfs || (root && !strcmp(root->zName, JETFREEZE_SQLITE_VFS)))
		root = sqlite3_vfs_find("unix");
	if (!root) {
		pthread_mutex_unlock(&lock);
		return SQLITE_ERROR;
	}
	jfs_vfs.iVersion = root->iVersion < 3 ? root->iVersion : 3;
	jfs_vfs.szOsFile = (int)ROUND8(sizeof(struct jfs_file)) + root->szOsFile;
	jfs_vfs.mxPathname = root->mxPathname;
	jfs.root = root;
	rc = sqlite3_vfs_register(&jfs_vfs, make_default);
	if (rc != SQLITE_OK)
		jfs.root = NULL;
	pthread_mutex_unlock(&lock);
	return rc;
}

/* ---- the snapshot callbacks ---------------------------------------------- */

static void set_priority(struct jfs_db *db, bool on)
{
	pthread_mutex_lock(&db->lock);
	db->priority = on;
	pthread_mutex_unlock(&db->lock);
}

/* A connection of the VFS's own to the database, on a callback's thread. */
static sqlite3 *own_connection(struct jfs_db *db)
{
	sqlite3 *c = NULL;
	int rc = sqlite3_open_v2(db->path, &c, SQLITE_OPEN_READWRITE,
				 JETFREEZE_SQLITE_VFS);

	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(c, JFS_BUSY_MS);
	if (rc != SQLITE_OK) {
		jfs_log(LOG_ERR, "%s: cannot open: %s", db->path,
			c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
		sqlite3_close(c);
		return NULL;
	}
	return c;
}

static int cb_freeze_begin(JET_INSTANCE inst, void *ctx, unsigned int kind,
			   uint64_t *log_position)
{
	struct jfs_db *db = ctx;
	char wal[PATH_MAX];
	struct stat st;

	/* An incremental snapshot copies the logs since the last one; a WAL
	 * checkpointed into the database is no such chain. */
	if (kind & JETFREEZE_BACKUP_INCREMENTAL) {
		jfs_log(LOG_ERR, "%s: SQLite has no incremental snapshots",
			db->path);
		return -EINVAL;
	}
	snprintf(wal, sizeof(wal), "%s-wal", db->path);
	pthread_mutex_lock(&db->lock);
	db->frozen = true;
	/* Writes to files not registered yet finish first (write_begin). */
	while (db->direct)
		pthread_cond_wait(&db->cond, &db->lock);
	*log_position = stat(wal, &st) == 0 ? (uint64_t)st.st_size : 0;
	db->st.freezes++;
	db->st.log_position = *log_position;
	pthread_mutex_unlock(&db->lock);
	return 0;
}

static void cb_freeze_end(JET_INSTANCE inst, void *ctx, int status)
{
	struct jfs_db *db = ctx;

	pthread_mutex_lock(&db->lock);
	db->frozen = false;
	if (status)
		db->st.broken++;
	else
		db->st.thaws++;
	pthread_cond_broadcast(&db->cond);
	pthread_mutex_unlock(&db->lock);
}

/*
 * TruncateLog: the image holds the WAL up to the freeze, so the WAL may go:
 * checkpoint it into the database and truncate it to zero bytes.  Writers
 * wait meanwhile (jfs_shm_lock); readers that keep it busy longer than
 * JFS_BUSY_MS leave it as it is (SQLite checkpoints it later): that is
 * counted and logged, not an error.
 */
static int cb_truncate_log(JET_INSTANCE inst, void *ctx, uint64_t log_position)
{
	struct jfs_db *db = ctx;
	int rc, log = -1, done = -1, err = 0, left;
	sqlite3_int64 deadline;
	sqlite3 *c;

	/* The busy handler waits for the writer and the readers, and a
	 * checkpoint another connection runs makes it busy at once: one
	 * deadline for all the tries. */
	deadline = jfs_now_ms() + JFS_BUSY_MS;
	jfs_in_callback++;
	set_priority(db, true);
	c = own_connection(db);
	if (!c) {
		err = -EIO;
		goto out;
	}
	/* A fresh connection learns the journal mode at its first read. */
	rc = sqlite3_exec(c, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
			  NULL);
	while (rc == SQLITE_OK || rc == SQLITE_BUSY) {
		left = (int)(deadline - jfs_now_ms());
		if (left <= 0) {
			rc = SQLITE_BUSY;
			break;
		}
		sqlite3_busy_timeout(c, left);
		rc = sqlite3_wal_checkpoint_v2(c, "main",
					       SQLITE_CHECKPOINT_TRUNCATE,
					       &log, &done);
		if (rc != SQLITE_BUSY)
			break;
		sqlite3_sleep(10);
	}
	pthread_mutex_lock(&db->lock);
	if (rc == SQLITE_OK && log >= 0)
		db->st.checkpoints++;
	else if (rc == SQLITE_BUSY)
		db->st.checkpoints_busy++;
	pthread_mutex_unlock(&db->lock);
	if (rc == SQLITE_BUSY) {
		jfs_log(LOG_NOTICE, "%s: WAL busy, not truncated (%d of %d frames checkpointed)",
			db->path, done, log);
	} else if (rc != SQLITE_OK) {
		jfs_log(LOG_ERR, "%s: WAL checkpoint failed: %s", db->path,
			sqlite3_errmsg(c));
		err = -EIO;
	}
	sqlite3_close(c);
out:
	set_priority(db, false);
	jfs_in_callback--;
	return err;
}

static const char *kind_name(unsigned int kind)
{
	switch (kind) {
	case JETFREEZE_BACKUP_FULL:
		return "full";
	case JETFREEZE_BACKUP_INCREMENTAL:
		return "incremental";
	case JETFREEZE_BACKUP_COPY:
		return "copy";
	default:
		return "differential";
	}
}

/* End: the snapshot is good; say so in the database, as ESE stamps its
 * database headers. */
static void cb_backup_completed(JET_INSTANCE inst, void *ctx,
				unsigned int kind, uint64_t log_position)
{
	struct jfs_db *db = ctx;
	char *sql;
	sqlite3 *c;
	int rc;

	pthread_mutex_lock(&db->lock);
	db->st.completed++;
	pthread_mutex_unlock(&db->lock);
	if (!db->record)
		return;
	jfs_in_callback++;
	set_priority(db, true);
	c = own_connection(db);
	if (!c)
		goto out;
	sql = sqlite3_mprintf(
		"BEGIN IMMEDIATE;"
		"CREATE TABLE IF NOT EXISTS jetfreeze_backup("
		"  id INTEGER PRIMARY KEY,"
		"  completed TEXT NOT NULL,"
		"  kind TEXT NOT NULL,"
		"  log_position INTEGER NOT NULL);"
		"INSERT INTO jetfreeze_backup(completed, kind, log_position)"
		"  VALUES(strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'), %Q, %lld);"
		"COMMIT;", kind_name(kind), (long long)log_position);
	rc = sql ? sqlite3_exec(c, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc == SQLITE_OK) {
		pthread_mutex_lock(&db->lock);
		db->st.records++;
		pthread_mutex_unlock(&db->lock);
	} else {
		jfs_log(LOG_ERR, "%s: cannot record the completed snapshot: %s",
			db->path, sqlite3_errmsg(c));
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(c);
out:
	set_priority(db, false);
	jfs_in_callback--;
}

static const struct jetfreeze_callbacks jfs_callbacks = {
	.freeze_begin = cb_freeze_begin,
	.freeze_end = cb_freeze_end,
	.truncate_log = cb_truncate_log,
	.backup_completed = cb_backup_completed,
};

/* ---- counters ------------------------------------------------------------ */

int jetfreeze_sqlite_stats(sqlite3 *conn, const char *schema,
			   struct jetfreeze_sqlite_stats *out)
{
	sqlite3_file *file = NULL;
	struct jfs_file *p;
	struct jfs_db *db;
	int rc;

	if (!conn || !out)
		return SQLITE_MISUSE;
	rc = sqlite3_file_control(conn, schema ? schema : "main",
				  SQLITE_FCNTL_FILE_POINTER, &file);
	if (rc != SQLITE_OK)
		return rc;
	if (!file || file->pMethods != &jfs_io_methods)
		return SQLITE_NOTFOUND;
	p = (struct jfs_file *)file;
	if (!p->sh)
		return SQLITE_NOTFOUND;
	db = p->sh->db;
	pthread_mutex_lock(&db->lock);
	*out = db->st;
	out->frozen = db->frozen;
	pthread_mutex_unlock(&db->lock);
	return SQLITE_OK;
}
