// SPDX-License-Identifier: GPL-2.0-only
/*
 * The instance info of Freeze/GetFreezeInfo (§5.4), its A and W variants,
 * JetFreeBuffer, the exported unsuffixed aliases, and UTF-16 conversion.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "utf16.h"

static struct fake_kernel fk;

static int setup(void **state)
{
	fake_kernel_install(&fk);
	return 0;
}

static int teardown(void **state)
{
	fake_kernel_remove();
	assert_no_sessions();
	return 0;
}

/* Is [p, p + len) inside the block @base (one JetFreeBuffer frees all)? */
static void assert_inside(const void *base, const void *p, size_t len)
{
	size_t size = malloc_usable_size((void *)base);

	assert_true((const char *)p >= (const char *)base);
	assert_true((const char *)p + len <= (const char *)base + size);
}

static size_t wlen(const WCHAR *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Two instances with two databases each, a log, and a temp file. */
static void layout_and_order(void **state)
{
	struct test_instance x, y;
	struct jetfreeze_file *db2, *tmp;
	JET_INSTANCE_INFO_A *a;
	JET_INSTANCE_INFO_W *w;
	unsigned long n, i, d;
	char path2[600], tpath[600];
	JET_OSSNAPID id;

	instance_setup(&x, "first", true);
	instance_setup(&y, "second", true);
	snprintf(path2, sizeof(path2), "%s.2", y.dbpath);
	snprintf(tpath, sizeof(tpath), "%s.tmp", y.dbpath);
	assert_int_equal(jetfreeze_file_open(y.id, path2, O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_DATABASE, &db2), 0);
	assert_int_equal(jetfreeze_file_open(y.id, tpath, O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_TEMP, &tmp), 0);

	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &a, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].hInstanceId, x.id);
	assert_int_equal(a[1].hInstanceId, y.id);
	assert_string_equal(a[0].szInstanceName, "first");
	assert_string_equal(a[1].szInstanceName, "second");
	assert_int_equal(a[0].cDatabases, 1);
	assert_int_equal(a[1].cDatabases, 2);	/* no log, no temp */
	assert_string_equal(a[0].szDatabaseFileName[0], x.dbpath);
	assert_string_equal(a[1].szDatabaseFileName[0], y.dbpath);
	assert_string_equal(a[1].szDatabaseFileName[1], path2);
	for (i = 0; i < n; i++) {
		assert_null(a[i].szDatabaseSLVFileName_Obsolete);
		assert_inside(a, a[i].szInstanceName,
			      strlen(a[i].szInstanceName) + 1);
		assert_inside(a, a[i].szDatabaseFileName,
			      a[i].cDatabases * sizeof(char *));
		assert_inside(a, a[i].szDatabaseDisplayName,
			      a[i].cDatabases * sizeof(char *));
		for (d = 0; d < a[i].cDatabases; d++) {
			assert_null(a[i].szDatabaseDisplayName[d]);
			assert_inside(a, a[i].szDatabaseFileName[d],
				      strlen(a[i].szDatabaseFileName[d]) + 1);
		}
	}
	assert_int_equal(JetFreeBuffer((char *)a), 0);

	assert_int_equal(JetOSSnapshotGetFreezeInfoW(id, &n, &w, 0), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		const char *want_name = i ? "second" : "first";

		assert_int_equal(wlen(w[i].szInstanceName), strlen(want_name));
		for (d = 0; want_name[d]; d++)
			assert_int_equal(w[i].szInstanceName[d], want_name[d]);
		assert_inside(w, w[i].szInstanceName,
			      (wlen(w[i].szInstanceName) + 1) * sizeof(WCHAR));
		for (d = 0; d < w[i].cDatabases; d++) {
			assert_null(w[i].szDatabaseDisplayName[d]);
			assert_inside(w, w[i].szDatabaseFileName[d],
				      (wlen(w[i].szDatabaseFileName[d]) + 1) *
				      sizeof(WCHAR));
		}
	}
	assert_int_equal(wlen(w[1].szDatabaseFileName[1]), strlen(path2));
	assert_int_equal(JetFreeBuffer((char *)w), 0);

	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);
	assert_int_equal(JetOSSnapshotEnd(id, 0), 0);
	assert_int_equal(jetfreeze_file_close(tmp), 0);
	assert_int_equal(jetfreeze_file_close(db2), 0);
	unlink(path2);
	unlink(tpath);
	instance_teardown(&y);
	instance_teardown(&x);
}

/* ESE's corner cases: empty lists and instances without databases. */
static void empty_cases(void **state)
{
	JET_INSTANCE_INFO_A *a = NULL;
	JET_INSTANCE_INFO_W *w = (JET_INSTANCE_INFO_W *)0x1;
	JET_INSTANCE nameless;
	unsigned long n = 5;
	JET_OSSNAPID id;

	assert_int_equal(jetfreeze_instance_create(&nameless, NULL, NULL, NULL), 0);
	assert_int_equal(jetfreeze_instance_start(nameless), 0);

	/* No instance at all: W gives NULL, A a zero-length allocation. */
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitExplicitPrepare), 0);
	assert_int_equal(JetOSSnapshotFreezeW(id, &n, &w, 0), 0);
	assert_int_equal(n, 0);
	assert_null(w);
	assert_int_equal(JetOSSnapshotGetFreezeInfoA(id, &n, &a, 0), 0);
	assert_int_equal(n, 0);
	assert_non_null(a);
	assert_int_equal(JetFreeBuffer((char *)a), 0);
	assert_int_equal(JetOSSnapshotThaw(id, 0), 0);

	/* An instance with no database and no name. */
	assert_int_equal(JetOSSnapshotPrepare(&id, JET_bitContinueAfterThaw), 0);
	assert_int_equal(JetOSSnapshotFreezeA(id, &n, &a, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].hInstanceId, nameless);
	assert_null(a[0].szInstanceName);
	assert_int_equal(a[0].cDatabases, 0);
	/* A: pointers into the block even with no database; W: NULL. */
	assert_non_null(a[0].szDatabaseFileName);
	assert_non_null(a[0].szDatabaseDisplayName);
	assert_null(a[0].szDatabaseSLVFileName_Obsolete);
	assert_int_equal(JetFreeBuffer((char *)a), 0);
	assert_int_equal(JetOSSnapshotGetFreezeInfoW(id, &n, &w, 0), 0);
	assert_int_equal(n, 1);
	assert_null(w[0].szInstanceName);
	assert_null(w[0].szDatabaseFileName);
	assert_null(w[0].szDatabaseDisplayName);
	assert_int_equal(JetFreeBuffer((char *)w), 0);
	assert_int_equal(JetOSSnapshotEnd(id, JET_bitAbortSnapshot), 0);

	assert_int_equal(jetfreeze_instance_stop(nameless, 0), 0);
	assert_int_equal(jetfreeze_instance_destroy(nameless), 0);
}

/* The exported unsuffixed names are the A variants (esent.def). */
#undef JetOSSnapshotFreeze
#undef JetOSSnapshotGetFreezeInfo
#undef JetSetSystemParameter
#undef JetGetSystemParameter
JET_ERR JetOSSnapshotFreeze(const JET_OSSNAPID, unsigned long *,
			    JET_INSTANCE_INFO_A **, const JET_GRBIT);
JET_ERR JetOSSnapshotGetFreezeInfo(const JET_OSSNAPID, unsigned long *,
				   JET_INSTANCE_INFO_A **, const JET_GRBIT);
JET_ERR JetSetSystemParameter(JET_INSTANCE *, JET_SESID, unsigned long,
			      JET_API_PTR, JET_PCSTR);
JET_ERR JetGetSystemParameter(JET_INSTANCE, JET_SESID, unsigned long,
			      JET_API_PTR *, JET_PSTR, unsigned long);

static void unsuffixed_aliases(void **state)
{
	assert_ptr_equal((void *)JetOSSnapshotFreeze,
			 (void *)JetOSSnapshotFreezeA);
	assert_ptr_equal((void *)JetOSSnapshotGetFreezeInfo,
			 (void *)JetOSSnapshotGetFreezeInfoA);
	assert_ptr_equal((void *)JetSetSystemParameter,
			 (void *)JetSetSystemParameterA);
	assert_ptr_equal((void *)JetGetSystemParameter,
			 (void *)JetGetSystemParameterA);
}

static void utf16_conversion(void **state)
{
	static const struct {
		const char *in;
		uint16_t out[8];
		size_t len;
	} cases[] = {
		{ "ab", { 'a', 'b', 0 }, 2 },
		{ "\xc3\xa9", { 0xe9, 0 }, 1 },			/* é */
		{ "\xe5\xad\x97", { 0x5b57, 0 }, 1 },		/* 字 */
		{ "\xf0\x9f\x98\x80", { 0xd83d, 0xde00, 0 }, 2 },	/* U+1F600 */
		{ "\xff" "a", { 0xfffd, 'a', 0 }, 2 },		/* bad byte */
		{ "\xc3" "a", { 0xfffd, 'a', 0 }, 2 },		/* truncated */
		{ "\xc0\xaf", { 0xfffd, 0 }, 1 },		/* overlong */
		{ "\xed\xa0\x80", { 0xfffd, 0 }, 1 },		/* surrogate */
		{ "", { 0 }, 0 },
	};
	uint16_t buf[8];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0x55, sizeof(buf));
		assert_int_equal(jf_utf8_to_utf16(cases[i].in, NULL, 0),
				 cases[i].len);
		assert_int_equal(jf_utf8_to_utf16(cases[i].in, buf, 8),
				 cases[i].len);
		assert_memory_equal(buf, cases[i].out,
				    (cases[i].len + 1) * sizeof(uint16_t));
	}
	/* Too small a buffer: truncated, still terminated. */
	assert_int_equal(jf_utf8_to_utf16("abcdef", buf, 3), 6);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(buf[1], 'b');
	assert_int_equal(buf[2], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(layout_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_cases, setup, teardown),
		cmocka_unit_test(unsuffixed_aliases),
		cmocka_unit_test(utf16_conversion),
	};
	int ret = run_group(tests);

	tmpdir_remove();
	return ret;
}
