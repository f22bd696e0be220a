/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <jetfreeze/engine.h>: the engine side of libjetfreeze.
 *
 * A storage engine (the role ESE plays for JetOSSnapshot*) creates named
 * instances, opens each instance's database and log files through the
 * library, starts the instance once it is ready to serve, and issues its
 * file I/O through the library on io_uring.  Because every write goes
 * through here, a snapshot can stop the instance's writes, wait for those
 * in flight, make the files durable and freeze the block devices under
 * them; and the library can report the instance in JetOSSnapshotFreeze.
 *
 * Conventions: functions return 0 (or a byte count) on success and -errno
 * on failure; they never set errno and never return JET errors (those
 * belong to <jetfreeze.h>).  Every function is thread-safe.
 *
 * Documentation/lib/guide.md describes the model; lib/examples/minidb.c is
 * a complete engine.
 */
#ifndef JETFREEZE_ENGINE_H
#define JETFREEZE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jetfreeze.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * How snapshots hold writes; process-wide, like JET_paramOSSnapshotTimeout.
 *
 * KERNEL (default): Freeze freezes the block devices under the instances'
 * files with the jetfreeze module: nothing written to them by anyone
 * reaches them until thaw.  Without the module Freeze fails with
 * JET_errOSSnapshotNotAllowed and logs why.
 *
 * USERSPACE: no module needed.  The library only holds the writes and
 * fsyncs the instances issue through it.  It does NOT hold writes made by
 * other processes, by this process outside the library, by the filesystem
 * (journal, metadata, writeback of pages dirtied earlier by others), and it
 * cannot hold anything after the process dies.  An image taken during the
 * freeze is consistent for the engine's files only if nothing else writes
 * to those files or their filesystem's metadata in the meantime.
 */
#define JETFREEZE_MODE_KERNEL		0
#define JETFREEZE_MODE_USERSPACE	1

int jetfreeze_set_mode(int mode);
int jetfreeze_get_mode(void);

/* What a snapshot copies, for the callbacks (from the Prepare grbits). */
#define JETFREEZE_BACKUP_FULL		0
#define JETFREEZE_BACKUP_INCREMENTAL	1
#define JETFREEZE_BACKUP_COPY		2	/* full, copy: logs stay */
#define JETFREEZE_BACKUP_DIFFERENTIAL	3	/* incremental + copy */

/*
 * Engine callbacks, all optional (NULL).  They run with the library's
 * snapshot lock held, on the thread of the JetOSSnapshot* call (or the
 * library's freeze thread for freeze_end after a timeout).  They may do
 * I/O through the library, wait for it, and (freeze_begin) open or close
 * the instance's files, e.g. to start a new log file; JetOSSnapshot* calls
 * made from a callback fail with JET_errOSSnapshotInvalidSequence and a
 * jetfreeze_instance_stop() that would wait fails with -EDEADLK.
 */
struct jetfreeze_callbacks {
	/*
	 * The snapshot is about to freeze the instance.  Finish what must be
	 * in the image (flush the log buffer, write what recovery needs) and
	 * store in *log_position the position the image covers; the library
	 * hands it back to truncate_log and backup_completed.  Return 0, or
	 * -errno to fail the Freeze:
	 *   -ENODATA  incremental without a previous full snapshot
	 *             (JET_errMissingFullBackup)
	 *   -ENOENT   a log the incremental needs is missing
	 *             (JET_errMissingFileToBackup)
	 *   -EINVAL   the snapshot cannot be taken (JET_errInvalidBackup)
	 *   -EBUSY    not now (JET_errOSSnapshotNotAllowed)
	 */
	int (*freeze_begin)(JET_INSTANCE instance, void *ctx,
			    unsigned int kind, uint64_t *log_position);
	/*
	 * The instance's files are writable again.  @status is 0 after a
	 * normal thaw (the image is good), -ETIMEDOUT when the hold ended
	 * early (timeout, kernel hold limit, device removed: discard the
	 * image), or -ECANCELED when the Freeze failed after freeze_begin.
	 */
	void (*freeze_end)(JET_INSTANCE instance, void *ctx, int status);
	/*
	 * JetOSSnapshotTruncateLog(JET_bitAllDatabasesSnapshot): delete the
	 * log files the image made unnecessary, i.e. wholly before
	 * @log_position.  Never called for copy snapshots nor with circular
	 * logging.  0, or -errno (-ENOENT: JET_errRequiredLogFilesMissing).
	 */
	int (*truncate_log)(JET_INSTANCE instance, void *ctx,
			    uint64_t log_position);
	/*
	 * The snapshot ended successfully (End without abort, or a thaw
	 * without JET_bitContinueAfterThaw): record it, as ESE stamps the
	 * database headers.  Errors are the engine's to log.
	 */
	void (*backup_completed)(JET_INSTANCE instance, void *ctx,
				 unsigned int kind, uint64_t log_position);
};

/*
 * Create an instance (not started: not part of snapshots yet).  @name may
 * be NULL; it is what JET_INSTANCE_INFO.szInstanceName reports.  @cb is
 * copied; @ctx is passed to every callback.  The handle is never 0 nor
 * JET_instanceNil and never reused in the process.
 */
int jetfreeze_instance_create(JET_INSTANCE *instance, const char *name,
			      const struct jetfreeze_callbacks *cb, void *ctx);

/*
 * The instance finished its own initialization (recovery included), as
 * JetInit returning: snapshots prepared from now on include it.
 */
int jetfreeze_instance_start(JET_INSTANCE instance);

/*
 * Stop (JetTerm).  An instance whose snapshot froze it (from a successful
 * Freeze until End, Abort or a timeout) cannot stop cleanly: -EBUSY, as
 * ESE's JET_errBackupInProgress; with JETFREEZE_STOP_ABRUPT the call waits
 * until the snapshot lets go instead.  Otherwise the instance silently
 * leaves the snapshot it was prepared in.  It may start again.
 */
#define JETFREEZE_STOP_ABRUPT		(1U << 0)
int jetfreeze_instance_stop(JET_INSTANCE instance, unsigned int flags);

/*
 * Free a stopped (or never started) instance: waits for its I/O, closes
 * its files.  -EBUSY while it is running.
 */
int jetfreeze_instance_destroy(JET_INSTANCE instance);

/*
 * Conditions the engine reports; they decide the errors snapshot calls
 * naming the instance return, in ESE's order:
 */
#define JETFREEZE_INST_STOP_REQUESTED	(1U << 0) /* JET_errClientRequestToStopJetService */
#define JETFREEZE_INST_UNAVAILABLE	(1U << 1) /* JET_errInstanceUnavailable */
#define JETFREEZE_INST_LOG_DISK_FULL	(1U << 2) /* ..DueToFatalLogDiskFull */
#define JETFREEZE_INST_RESTORING	(1U << 3) /* JET_errRestoreInProgress */
/* The engine runs its own (streaming) backup: snapshots get
 * JET_errOSSnapshotNotAllowed.  Setting it fails with -EBUSY while a
 * snapshot holds the instance (ESE's JET_errBackupInProgress). */
#define JETFREEZE_INST_BACKUP_RUNNING	(1U << 4)

int jetfreeze_instance_set_flags(JET_INSTANCE instance, unsigned int set,
				 unsigned int clear);

/*
 * Files.  The kind decides what a snapshot does with the file:
 *  DATABASE  drained, made durable, frozen, listed in JET_INSTANCE_INFO
 *  LOG       drained, made durable, frozen
 *  OTHER     the same (checkpoint files and the like)
 *  TEMP      never held nor frozen (ESE's temporary database)
 * Opening or closing a DATABASE/LOG/OTHER file while a snapshot holds the
 * instance fails with -EBUSY (ESE: attach/detach get
 * JET_errBackupInProgress).
 */
#define JETFREEZE_FILE_DATABASE		1
#define JETFREEZE_FILE_LOG		2
#define JETFREEZE_FILE_OTHER		3
#define JETFREEZE_FILE_TEMP		4

struct jetfreeze_file;

/*
 * open(2) @path with @flags (O_DIRECT allowed; O_CLOEXEC is added) and
 * @mode, and register it with @instance.
 */
int jetfreeze_file_open(JET_INSTANCE instance, const char *path, int flags,
			mode_t mode, unsigned int kind,
			struct jetfreeze_file **file);

/*
 * Close and unregister.  Waits for the file's I/O in flight, completion
 * callbacks included; -EDEADLK when called from a completion callback
 * with I/O of the file pending.  -EBUSY for a DATABASE/LOG/OTHER file
 * while a snapshot holds the instance (see above).
 */
int jetfreeze_file_close(struct jetfreeze_file *file);

/* The descriptor, for fstat() and the like.  Writing through it bypasses
 * the snapshot's drain and hold. */
int jetfreeze_file_fd(const struct jetfreeze_file *file);

/* The absolute path the file was registered under. */
const char *jetfreeze_file_path(const struct jetfreeze_file *file);

/*
 * Asynchronous I/O.  A call returns 0 when the request was accepted, and
 * then @done runs exactly once, on the instance's completion thread, with
 * @res the byte count (possibly short, like pread/pwrite) or -errno; or it
 * returns -errno and @done never runs.  Requests larger than INT_MAX bytes
 * are -EINVAL.  O_DIRECT alignment is the caller's business.
 *
 * Reads always go straight to io_uring.  Writes and fsyncs issued while a
 * snapshot holds the instance are accepted and wait in the library until
 * the thaw (or the timeout); they complete after it, in the order they
 * were issued.  Submitting never waits for a snapshot.  @done may issue
 * more asynchronous I/O but must not use the synchronous helpers
 * (-EDEADLK) nor block for long.
 */
typedef void (*jetfreeze_io_done)(struct jetfreeze_file *file, void *arg,
				  int res);

int jetfreeze_read(struct jetfreeze_file *file, void *buf, size_t len,
		   uint64_t offset, jetfreeze_io_done done, void *arg);
int jetfreeze_write(struct jetfreeze_file *file, const void *buf, size_t len,
		    uint64_t offset, jetfreeze_io_done done, void *arg);

#define JETFREEZE_FSYNC_DATA		(1U << 0)	/* fdatasync */
int jetfreeze_fsync(struct jetfreeze_file *file, unsigned int flags,
		    jetfreeze_io_done done, void *arg);

/*
 * Synchronous helpers over the same path: they transfer everything (reads
 * stop early only at end of file) and return the byte count or -errno.
 * While a snapshot holds the instance, writes and syncs block until thaw.
 */
ssize_t jetfreeze_pread(struct jetfreeze_file *file, void *buf, size_t len,
			uint64_t offset);
ssize_t jetfreeze_pwrite(struct jetfreeze_file *file, const void *buf,
			 size_t len, uint64_t offset);
int jetfreeze_sync(struct jetfreeze_file *file, unsigned int flags);

/*
 * Truncate (or extend) the file to @size bytes, as ftruncate(2), waiting
 * for the result: 0 or -errno.  Held like a write: while a snapshot holds
 * the instance it waits in the library until the thaw (or the timeout),
 * and a Freeze waits for a truncate in flight.  Like pwrite and ftruncate
 * on one descriptor, it is not ordered against the file's asynchronous
 * requests still in flight: wait for their completion first.  Not from a
 * completion callback (-EDEADLK).  Since JETFREEZE_1.1.
 */
int jetfreeze_truncate(struct jetfreeze_file *file, uint64_t size);

/* Wait until no I/O of the instance is in flight or held. */
int jetfreeze_instance_wait_io(JET_INSTANCE instance);

/*
 * The instance and file calls above wait while another thread runs a
 * JetOSSnapshot* call, callbacks included.  An engine that makes them while
 * holding a lock one of its callbacks may wait for (a SQLite VFS holds the
 * database's locks on SQLite's behalf) would deadlock.  With @nowait
 * nonzero, this thread's instance and file calls (not the I/O calls) return
 * -EAGAIN instead of waiting, having changed nothing in the library
 * (jetfreeze_file_open's open(2) has run: O_CREAT may have created the
 * file).  Returns the previous setting.  Since JETFREEZE_1.1.
 */
int jetfreeze_set_nowait(int nowait);

#ifdef __cplusplus
}
#endif

#endif /* JETFREEZE_ENGINE_H */
