// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo's checker, jfsqlite-bank verify, on the host: a short run in
 * userspace mode copying the database's files, then every image on its
 * own.  Each verifies and holds the records of the snapshots before it;
 * once a snapshot's row says its hold broke, that image fails whatever
 * it holds, and the next one no longer has the records expected.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"

static char dir[512], out[600], dst[600], bank[600];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_create());
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(dst, sizeof(dst), "%s/images", dir);
	snprintf(bank, sizeof(bank), "%s/bank", dir);
	if (mkdir(out, 0755) || mkdir(dst, 0755) || mkdir(bank, 0755))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	tmpdir_remove();
	return 0;
}

/* Run a shell command; its exit status, or -1 if it did not exit. */
static int shell(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int shell(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* jfsqlite-bank verify of snapshot @index: its one line (static). */
static const char *verify(int index)
{
	static char line[1024];
	char cmd[2048];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "%s verify --out %s --index %d %s/image-%d/bank.db 2>&1",
		 JFS_BANK, out, index, dst, index - 1);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	pclose(f);
	return line;
}

static void images_and_broken_rows(void **state)
{
	char want[64];
	const char *v;
	int i;

	if (shell("%s run --copy files --userspace --snapshots 3 --control 0 "
		  "--threads 2 --accounts 100 --interval-ms 100 --warmup-ms 200 "
		  "--out %s --dst %s %s >%s/run.log 2>&1", JFS_BANK, out, dst,
		  bank, dir))
		fail_msg("jfsqlite-bank run failed, see %s/run.log", dir);
	for (i = 1; i <= 3; i++) {
		v = verify(i);
		snprintf(want, sizeof(want), ", %d earlier snapshots recorded\n",
			 i - 1);
		if (strncmp(v, "ok ", 3) || !strstr(v, want))
			fail_msg("snapshot %d: %s", i, v);
	}

	/* Snapshot 2's Thaw said the hold broke. */
	assert_int_equal(shell("awk -F '\\t' -v OFS='\\t' "
			       "'$1 == \"snapshot\" && $2 == 2 { $14 = -1029 } 1' "
			       "%s/snapshots.tsv >%s/t && mv %s/t %s/snapshots.tsv",
			       out, out, out, out), 0);
	v = verify(2);
	if (strncmp(v, "FAIL", 4) || !strstr(v, "a JetOSSnapshot call failed"))
		fail_msg("snapshot 2: %s", v);
	v = verify(3);
	if (strncmp(v, "FAIL", 4) ||
	    !strstr(v, "2 jetfreeze_backup rows, want 1"))
		fail_msg("snapshot 3: %s", v);
	/* the one before it still verifies */
	assert_int_equal(strncmp(verify(1), "ok ", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(images_and_broken_rows, setup, teardown),
	};

	return run_group(tests);
}
