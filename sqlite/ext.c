// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The loadable extension: ".load jetfreeze-sqlite" in the sqlite3 shell
 * (or sqlite3_load_extension()) registers the VFS as the default one and
 * adds jetfreeze_snapshot() to this connection and every later one.  It
 * stays loaded for the life of the process: the VFS must.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "internal.h"

static int add_functions(sqlite3 *db, char **err,
			 const sqlite3_api_routines *api)
{
	return jetfreeze_sqlite_functions(db);
}

__attribute__((visibility("default")))
int sqlite3_jetfreezesqlite_init(sqlite3 *db, char **err,
				 const sqlite3_api_routines *api);

int sqlite3_jetfreezesqlite_init(sqlite3 *db, char **err,
				 const sqlite3_api_routines *api)
{
	int rc;

	SQLITE_EXTENSION_INIT2(api);
	rc = jetfreeze_sqlite_register(1);
	if (rc == SQLITE_OK)
		rc = jetfreeze_sqlite_functions(db);
	if (rc == SQLITE_OK)
		rc = sqlite3_auto_extension((void (*)(void))add_functions);
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("jetfreeze-sqlite: %s", sqlite3_errstr(rc));
		return rc;
	}
	return SQLITE_OK_LOAD_PERMANENTLY;
}
