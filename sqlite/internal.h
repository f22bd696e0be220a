/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the files of the SQLite VFS.  Built twice: into the static
 * library programs link (calling SQLite directly), and into the loadable
 * extension (JETFREEZE_SQLITE_EXTENSION: every SQLite call goes through
 * the routine table the sqlite3 shell hands to the extension).
 */
#ifndef JETFREEZE_SQLITE_INTERNAL_H
#define JETFREEZE_SQLITE_INTERNAL_H

#ifdef JETFREEZE_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include "jetfreeze-sqlite.h"

/* Statements the VFS runs itself wait this long for SQLite's locks. */
#define JFS_BUSY_MS		5000

/* CLOCK_MONOTONIC in milliseconds. */
long long jfs_now_ms(void);

/* syslog (LOG_USER, "jetfreeze-sqlite:"), and stderr when JETFREEZE_DEBUG
 * is set, like the library's own lines. */
void jfs_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* JETFREEZE_SQLITE_INTERNAL_H */
