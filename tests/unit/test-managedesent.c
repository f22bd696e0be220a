// SPDX-License-Identifier: GPL-2.0-only
/*
 * ManagedEsent's five snapshot sequences (ese-ossnapshot.md §6.A), each
 * with its fixture: an instance with one database "database.edb" holding
 * the value 17, in directory "database" (ASCII, A API) or "<random>/字会意"
 * (Unicode, W API).  Every call must return >= 0; afterwards the database
 * must still read 17 from a fresh instance (ManagedEsent's CheckDatabase).
 * Each sequence runs with the (fake) kernel and in userspace-only mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static struct fake_kernel fk;
static int kernel_mode = JETFREEZE_MODE_KERNEL;
static int userspace_mode = JETFREEZE_MODE_USERSPACE;

struct fixture {
	char dir[1024];
	char db[1100];
	JET_INSTANCE inst;
	struct jetfreeze_file *file;
};

static struct fixture fx;

static const uint32_t value = 17;

/* CreateDatabase: the file with its one value, then the engine stops. */
static void create_database(bool unicode)
{
	JET_INSTANCE inst;
	struct jetfreeze_file *f;
	char sub[sizeof(fx.dir)];

	snprintf(fx.dir, sizeof(fx.dir), "%s/database", tmpdir_create());
	if (unicode) {
		snprintf(sub, sizeof(sub), "%.900s/%08x", fx.dir, (unsigned)rand());
		assert_int_equal(mkdir(fx.dir, 0755), 0);
		snprintf(fx.dir, sizeof(fx.dir), "%.1000s/字会意", sub);
		assert_int_equal(mkdir(sub, 0755), 0);
	}
	assert_int_equal(mkdir(fx.dir, 0755), 0);
	snprintf(fx.db, sizeof(fx.db), "%s/database.edb", fx.dir);

	assert_int_equal(jetfreeze_instance_create(&inst, "create", NULL, NULL), 0);
	assert_int_equal(jetfreeze_file_open(inst, fx.db, O_RDWR | O_CREAT |
					     O_TRUNC, 0644,
					     JETFREEZE_FILE_DATABASE, &f), 0);
	assert_int_equal(jetfreeze_instance_start(inst), 0);
	assert_int_equal(jetfreeze_pwrite(f, &value, sizeof(value), 0),
			 sizeof(value));
	assert_int_equal(jetfreeze_sync(f, 0), 0);
	assert_int_equal(jetfreeze_instance_stop(inst, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(inst), 0);
}

/* Init, "attach" the database; the snapshot sequence follows. */
static int setup(void **state, bool unicode)
{
	int mode = *(int *)*state;

	fake_kernel_install(&fk);
	assert_int_equal(jetfreeze_set_mode(mode), 0);
	create_database(unicode);
	assert_int_equal(jetfreeze_instance_create(&fx.inst,
		"6a1c0e4f-8e2b-4b33-9d3c-managedesent", NULL, NULL), 0);
	assert_int_equal(jetfreeze_file_open(fx.inst, fx.db, O_RDWR, 0,
					     JETFREEZE_FILE_DATABASE, &fx.file),
			 0);
	assert_int_equal(jetfreeze_instance_start(fx.inst), 0);
	return 0;
}

static int setup_ascii(void **state)
{
	return setup(state, false);
}

static int setup_unicode(void **state)
{
	return setup(state, true);
}

/* Dispose, then CheckDatabase with a new instance. */
static int teardown(void **state)
{
	JET_INSTANCE check;
	struct jetfreeze_file *f;
	uint32_t v = 0;

	assert_no_sessions();
	assert_int_equal(jetfreeze_instance_stop(fx.inst, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(fx.inst), 0);
	assert_int_equal(jetfreeze_instance_create(&check, "check", NULL, NULL), 0);
	assert_int_equal(jetfreeze_file_open(check, fx.db, O_RDONLY, 0,
					     JETFREEZE_FILE_DATABASE, &f), 0);
	assert_int_equal(jetfreeze_pread(f, &v, sizeof(v), 0), sizeof(v));
	assert_int_equal(v, 17);
	assert_int_equal(jetfreeze_instance_destroy(check), 0);
	assert_int_equal(fk.open_fds, 0);
	assert_false(fk.holding);
	jetfreeze_set_mode(JETFREEZE_MODE_KERNEL);
	fake_kernel_remove();
	tmpdir_remove();
	return 0;
}

static void assert_info_A(unsigned long n, JET_INSTANCE_INFO_A *info)
{
	char *real = realpath(fx.db, NULL);

	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, fx.inst);
	assert_int_equal(info[0].cDatabases, 1);
	assert_string_equal(info[0].szDatabaseFileName[0], real);
	assert_null(info[0].szDatabaseDisplayName[0]);
	assert_null(info[0].szDatabaseSLVFileName_Obsolete);
	free(real);
}

/* The path as UTF-16, converted by iconv, not by the library. */
static size_t utf16_of(const char *s, uint16_t *out, size_t cap)
{
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	char *in = (char *)s, *o = (char *)out;
	size_t inleft = strlen(s), outleft = (cap - 1) * 2;

	assert_true(cd != (iconv_t)-1);
	assert_int_not_equal(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
	iconv_close(cd);
	*(uint16_t *)o = 0;
	return (size_t)((uint16_t *)o - out);
}

static void assert_info_W(unsigned long n, JET_INSTANCE_INFO_W *info)
{
	char *real = realpath(fx.db, NULL);
	uint16_t want[1024];
	size_t len = utf16_of(real, want, 1024);

	assert_int_equal(n, 1);
	assert_int_equal(info[0].hInstanceId, fx.inst);
	assert_int_equal(info[0].cDatabases, 1);
	assert_memory_equal(info[0].szDatabaseFileName[0], want,
			    (len + 1) * sizeof(uint16_t));
	assert_null(info[0].szDatabaseDisplayName[0]);
	free(real);
}

/* 1. SnapshotBackup, Vista+ path, A (ASCII directory). */
static void snapshot_backup_ascii(void **state)
{
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreeze(id, &n, &info, 0), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_info_A(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
}

/* 1. SnapshotBackup, Vista+ path, W (Unicode directory). */
static void snapshot_backup_unicode(void **state)
{
	JET_INSTANCE_INFO_W *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeW(id, &n, &info, 0), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_info_W(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
}

/* 2. The pre-Vista branch: no CAT, no End; Thaw ends the session. */
static void snapshot_backup_pre_vista(void **state)
{
	JET_INSTANCE_INFO_A *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, 0), 0);
	assert_int_equal(JetOSSnapshotFreeze(id, &n, &info, 0), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_info_A(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), JET_errOSSnapshotInvalidSnapId);
}

/* 3. Server 2003 APIs: copy snapshot, aborted while frozen. */
static void snapshot_backup_server2003(void **state)
{
	JET_INSTANCE_INFO_W *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitCopySnapshot), 0);
	assert_int_equal(JetOSSnapshotFreezeW(id, &n, &info, 0), 0);
	assert_int_equal(JetOSSnapshotAbort(id, 0), 0);
	/* The wrapper frees the buffer, NULL or not. */
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetFreeBuffer(NULL), 0);
}

/* 4. Vista APIs: GetFreezeInfo while frozen, TruncateLog, End. */
static void snapshot_backup_vista(void **state)
{
	JET_INSTANCE_INFO_W *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeW(id, &n, &info, 0), 0);
	assert_info_W(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(id, &n, &info, 0), 0);
	assert_info_W(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotTruncateLog(id, JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* 5. Windows 7 APIs: explicit prepare of the one instance. */
static void snapshot_backup_win7(void **state)
{
	JET_INSTANCE_INFO_W *info = NULL;
	unsigned long n = 0;
	JET_OSSNAPID id;

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw |
					      JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotPrepareInstance(id, fx.inst, 0), 0);
	assert_int_equal(JetOSSnapshotFreezeW(id, &n, &info, 0), 0);
	assert_info_W(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(id, &n, &info, 0), 0);
	assert_info_W(n, info);
	assert_int_equal(JetFreeBuffer((char *)info), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotTruncateLogInstance(id, fx.inst,
						JET_bitAllDatabasesSnapshot), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
}

/* The kernel really was asked (kernel mode) or never (userspace mode). */
static void assert_mode_used(void **state)
{
	if (*(int *)*state == JETFREEZE_MODE_KERNEL) {
		assert_int_equal(fk.freezes, 1);
		assert_int_equal(fk.thaws, 1);
		assert_int_equal(fk.devs[0].major, 254);
	} else {
		assert_int_equal(fk.opens, 0);
	}
}

#define SEQ(fn, setup_fn, mode) \
	cmocka_unit_test_prestate_setup_teardown(fn, setup_fn, teardown, mode)

static void seq1_ascii(void **s) { snapshot_backup_ascii(s); assert_mode_used(s); }
static void seq1_unicode(void **s) { snapshot_backup_unicode(s); assert_mode_used(s); }
static void seq2(void **s) { snapshot_backup_pre_vista(s); assert_mode_used(s); }
static void seq3(void **s) { snapshot_backup_server2003(s); assert_mode_used(s); }
static void seq4(void **s) { snapshot_backup_vista(s); assert_mode_used(s); }
static void seq5(void **s) { snapshot_backup_win7(s); assert_mode_used(s); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		SEQ(seq1_ascii, setup_ascii, &kernel_mode),
		SEQ(seq1_unicode, setup_unicode, &kernel_mode),
		SEQ(seq2, setup_ascii, &kernel_mode),
		SEQ(seq3, setup_unicode, &kernel_mode),
		SEQ(seq4, setup_unicode, &kernel_mode),
		SEQ(seq5, setup_unicode, &kernel_mode),
		SEQ(seq1_ascii, setup_ascii, &userspace_mode),
		SEQ(seq1_unicode, setup_unicode, &userspace_mode),
		SEQ(seq2, setup_ascii, &userspace_mode),
		SEQ(seq3, setup_unicode, &userspace_mode),
		SEQ(seq4, setup_unicode, &userspace_mode),
		SEQ(seq5, setup_unicode, &userspace_mode),
	};

	srand((unsigned int)getpid());
	return run_group(tests);
}
