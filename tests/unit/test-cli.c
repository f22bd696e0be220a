// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze(8), the whole program (tools/ built with its main() renamed
 * jetfreeze_main), run in a child process per command line against a
 * scripted kernel (-Wl,--wrap=ioctl), a fake sysfs (JETFREEZE_SYSFS) and a
 * directory of device nodes (JETFREEZE_DEVDIR).  For now: snapshot create
 * | run | list | delete (argument checks, the diff storage checks, what
 * reaches the kernel, the output, text and JSON byte for byte, and the exit
 * statuses), and status --json.
 *
 *   the host disk (the temporary directory's st_dev) sits on sdb (240:16)
 *   sda (240:0); dm-0 (241:0) on sdc (240:32)
 *
 * (numbers from the range for local use, so that no node of the host
 * opens)
 *
 * Block device nodes need CAP_MKNOD; without it the tests that use them
 * are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "jfctl.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

int jetfreeze_main(int argc, char **argv);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __real_ioctl(int fd, unsigned long req, ...);

#define IMAGE_MAJOR	242
#define DISK		240	/* sda..sdc */
#define DM		241
#define SNAP_ID		7
#define MAX_LIST	8

/* The kernel, in memory the command's process shares with the test. */
struct fake {
	/* knobs */
	uint64_t features;
	int create_err;
	uint32_t create_failed_index;
	bool fail_created;		/* the new snapshot is listed failed */
	bool forget_created;		/* ... or not listed at all */
	int delete_err;
	struct jetfreeze_snapshot_entry list[MAX_LIST];
	unsigned int nr_list;
	struct jetfreeze_status_entry holds[4];
	unsigned int nr_holds;
	/* observations */
	unsigned int versions, creates, deletes, lists;
	struct jetfreeze_snapshot_create create;
	struct jetfreeze_device devs[8];
	int diff_accmode[4];
	bool diff_cloexec[4];
	struct stat diff_st[4];
	char deleted[JETFREEZE_SNAPSHOT_NAME_LEN];
};

static struct fake *fk;
static char root[PATH_MAX];
static char sys[PATH_MAX + 8], devdir[PATH_MAX + 8];
static char node_sda[PATH_MAX + 16], node_sdb[PATH_MAX + 16],
	    node_dm0[PATH_MAX + 16];
static char diff1[PATH_MAX + 16], diff2[PATH_MAX + 16];
static dev_t host_dev;
static bool have_nodes;
static char out[16384], errout[16384];

static void fake_create(struct jetfreeze_snapshot_create *c)
{
	const struct jetfreeze_device *d = (const void *)(uintptr_t)c->devices;
	const int *fds = (const void *)(uintptr_t)c->diff_fds;
	char *img = (char *)(uintptr_t)c->images;
	unsigned int i, nr = c->nr_origins ? c->nr_origins : c->nr_devices;

	for (i = 0; i < c->nr_devices && i < 8; i++)
		fk->devs[i] = d[i];
	for (i = 0; i < c->nr_diff && i < 4; i++) {
		fk->diff_accmode[i] = fcntl(fds[i], F_GETFL) & O_ACCMODE;
		fk->diff_cloexec[i] = fcntl(fds[i], F_GETFD) & FD_CLOEXEC;
		fstat(fds[i], &fk->diff_st[i]);
	}
	if (!c->name[0])
		snprintf(c->name, sizeof(c->name), "snap%d", SNAP_ID);
	c->snapshot_id = SNAP_ID;
	c->drain_ns = 1500000;
	c->hold_ns = 2500000;
	for (i = 0; i < nr; i++) {
		struct jetfreeze_snapshot_image *im =
			(void *)(img + (size_t)i * c->image_size);
		struct jetfreeze_snapshot_entry *e = &fk->list[fk->nr_list];

		im->origin_major = d[i].major;
		im->origin_minor = d[i].minor;
		im->image_major = IMAGE_MAJOR;
		im->image_minor = i;
		snprintf(im->image_name, sizeof(im->image_name), "jfsnap%d-%u",
			 SNAP_ID, i);
		if (fk->forget_created || fk->nr_list == MAX_LIST)
			continue;
		memset(e, 0, sizeof(*e));
		e->snapshot_id = SNAP_ID;
		memcpy(e->name, c->name, sizeof(e->name));
		e->state = fk->fail_created ? JETFREEZE_SNAPSHOT_FAILED :
					      JETFREEZE_SNAPSHOT_ACTIVE;
		e->error = fk->fail_created ? ENOSPC : 0;
		e->index = i;
		e->nr_devices = nr;
		e->origin = *im;
		fk->nr_list++;
	}
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	switch (req) {
	case JETFREEZE_IOC_VERSION: {
		struct jetfreeze_version *v = arg;

		fk->versions++;
		v->abi_major = 1;
		v->abi_minor = 2;
		v->max_devices = 256;
		v->features = fk->features;
		v->default_timeout_ms = 10000;
		v->max_timeout_ms = 70000;
		strcpy(v->module_version, "0.1.0-test");
		return 0;
	}
	case JETFREEZE_IOC_SNAPSHOT_CREATE: {
		struct jetfreeze_snapshot_create *c = arg;

		fk->creates++;
		if (fk->create_err) {
			fk->create = *c;
			c->failed_index = fk->create_failed_index;
			errno = fk->create_err;
			return -1;
		}
		fake_create(c);
		fk->create = *c;
		return 0;
	}
	case JETFREEZE_IOC_SNAPSHOT_DELETE: {
		struct jetfreeze_snapshot_delete *d = arg;
		unsigned int i, k = 0;

		fk->deletes++;
		memcpy(fk->deleted, d->name, sizeof(fk->deleted));
		if (fk->delete_err) {
			errno = fk->delete_err;
			return -1;
		}
		for (i = 0; i < fk->nr_list; i++)
			if (strcmp(fk->list[i].name, d->name))
				fk->list[k++] = fk->list[i];
		fk->nr_list = k;
		return 0;
	}
	case JETFREEZE_IOC_SNAPSHOT_LIST: {
		struct jetfreeze_snapshot_list *l = arg;
		struct jetfreeze_snapshot_entry *e =
			(void *)(uintptr_t)l->entries;
		unsigned int i;

		fk->lists++;
		for (i = 0; i < fk->nr_list && i < l->nr_entries; i++)
			memcpy((char *)e + (size_t)i * l->entry_size,
			       &fk->list[i], sizeof(fk->list[i]));
		l->nr_entries = fk->nr_list;
		return 0;
	}
	case JETFREEZE_IOC_STATUS: {
		struct jetfreeze_status *st = arg;
		struct jetfreeze_status_entry *e = (void *)(uintptr_t)st->entries;
		unsigned int i;

		for (i = 0; i < fk->nr_holds && i < st->nr_entries; i++)
			memcpy((char *)e + (size_t)i * st->entry_size,
			       &fk->holds[i], sizeof(fk->holds[i]));
		st->nr_entries = fk->nr_holds;
		return 0;
	}
	}
	if (_IOC_TYPE(req) == JETFREEZE_IOC_MAGIC) {
		errno = ENOTTY;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

/* ---- running the program ---- */

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* jetfreeze ARG... in a child; its stdout in out[], stderr in errout[]. */
static int jf(const char *arg, ...)
{
	char opath[PATH_MAX + 16], epath[PATH_MAX + 16];
	char *argv[64];
	int argc = 0, status;
	va_list ap;
	pid_t pid;

	argv[argc++] = (char *)"jetfreeze";
	va_start(ap, arg);
	for (; arg && argc < 63; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	argv[argc] = NULL;

	snprintf(opath, sizeof(opath), "%s/stdout", root);
	snprintf(epath, sizeof(epath), "%s/stderr", root);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(opath, "w", stdout) || !freopen(epath, "w", stderr))
			_exit(99);
		program_invocation_short_name = (char *)"jetfreeze";
		exit(jetfreeze_main(argc, argv));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	slurp(opath, out, sizeof(out));
	slurp(epath, errout, sizeof(errout));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* exit status @want and a message with @needle on stderr */
static void expect_err(int got, int want, const char *needle)
{
	if (got != want || !strstr(errout, needle))
		fail_msg("exit %d, want %d with '%s'; stderr: %s", got, want,
			 needle, errout);
}

/* ---- the fixture ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void fake_dev(unsigned int maj, unsigned int min, const char *name)
{
	char dir[PATH_MAX * 2], path[PATH_MAX * 3], text[128];

	snprintf(dir, sizeof(dir), "%s/devices/virtual/%s", sys, name);
	mkdirs(dir);
	snprintf(path, sizeof(path), "%s/dev", dir);
	snprintf(text, sizeof(text), "%u:%u\n", maj, min);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/uevent", dir);
	snprintf(text, sizeof(text), "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n", maj,
		 min, name);
	write_file(path, text);
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sys, maj, min);
	assert_int_equal(symlink(dir, path), 0);
}

static void fake_slave(const char *upper, const char *lower)
{
	char dir[PATH_MAX * 2], link[PATH_MAX * 3], target[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/devices/virtual/%s/slaves", sys, upper);
	mkdirs(dir);
	snprintf(link, sizeof(link), "%s/%s", dir, lower);
	snprintf(target, sizeof(target), "../../%s", lower);
	assert_int_equal(symlink(target, link), 0);
}

static bool make_node(char *path, size_t len, const char *dir,
		      const char *name, unsigned int maj, unsigned int min)
{
	snprintf(path, len, "%s/%s", dir, name);
	return mknod(path, S_IFBLK | 0600, makedev(maj, min)) == 0;
}

static int setup(void **state)
{
	char path[PATH_MAX * 2];
	struct stat st;

	fk = mmap(NULL, sizeof(*fk), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(fk != MAP_FAILED);
	memset(fk, 0, sizeof(*fk));
	fk->features = JETFREEZE_FEAT_FREEZE | JETFREEZE_FEAT_STATUS |
		       JETFREEZE_FEAT_PERSIST | JETFREEZE_FEAT_STAGES |
		       JETFREEZE_FEAT_HOLD_LIMITS | JETFREEZE_FEAT_FS_FREEZE |
		       JETFREEZE_FEAT_SNAPSHOT;

	snprintf(root, sizeof(root), "%s", tmpdir_create());
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(devdir, sizeof(devdir), "%s/dev", root);
	snprintf(path, sizeof(path), "%s/dev/block", sys);
	mkdirs(path);
	mkdirs(devdir);
	assert_int_equal(stat(root, &st), 0);
	host_dev = st.st_dev;

	fake_dev(major(host_dev), minor(host_dev), "hostdisk");
	fake_dev(DISK, 0, "sda");
	fake_dev(DISK, 16, "sdb");
	fake_dev(DISK, 32, "sdc");
	fake_dev(DM, 0, "dm-0");
	fake_slave("hostdisk", "sdb");
	fake_slave("dm-0", "sdc");

	have_nodes = make_node(node_sda, sizeof(node_sda), root, "sda", DISK, 0) &&
		     make_node(node_sdb, sizeof(node_sdb), root, "sdb", DISK, 16) &&
		     make_node(node_dm0, sizeof(node_dm0), root, "dm0", DM, 0) &&
		     make_node(path, sizeof(path), devdir, "jfsnap7-0",
			       IMAGE_MAJOR, 0) &&
		     make_node(path, sizeof(path), devdir, "jfsnap7-1",
			       IMAGE_MAJOR, 1);

	snprintf(diff1, sizeof(diff1), "%s/diff1", root);
	snprintf(diff2, sizeof(diff2), "%s/diff2", root);
	write_file(diff1, "");
	write_file(diff2, "");
	snprintf(path, sizeof(path), "%s/mountinfo", root);
	write_file(path, "");
	setenv("JETFREEZE_MOUNTINFO", path, 1);
	snprintf(path, sizeof(path), "%s/node", root);
	write_file(path, "");
	setenv("JETFREEZE_NODE", path, 1);
	setenv("JETFREEZE_SYSFS", sys, 1);
	setenv("JETFREEZE_DEVDIR", devdir, 1);
	setenv("TZ", "UTC", 1);
	return 0;
}

static int teardown(void **state)
{
	unsetenv("JETFREEZE_MOUNTINFO");
	unsetenv("JETFREEZE_NODE");
	unsetenv("JETFREEZE_SYSFS");
	unsetenv("JETFREEZE_DEVDIR");
	unsetenv("JETFREEZE_SNAPSHOT");
	unsetenv("JETFREEZE_IMAGES");
	tmpdir_remove();
	munmap(fk, sizeof(*fk));
	return 0;
}

#define NEED_NODES()							\
	do {								\
		if (!have_nodes) {					\
			skip();	/* mknod needs CAP_MKNOD */		\
			return;						\
		}							\
	} while (0)

/* ---- usage ---- */

static void usage_errors(void **state)
{
	static const char long_name[] = "a123456789012345678901234567890b";
	char *many[40];
	int i;

	expect_err(jf("snapshot", NULL), 1, "no snapshot command given");
	expect_err(jf("snapshot", "frob", NULL), 1,
		   "unknown snapshot command 'frob'");
	expect_err(jf("snapshot", "create", NULL), 1, "no device given");
	expect_err(jf("snapshot", "create", "/dev/x", NULL), 1,
		   "no --diff-storage given");
	expect_err(jf("snapshot", "create", "--chunk", "3", "x", NULL), 1,
		   "invalid chunk size");
	expect_err(jf("snapshot", "create", "--chunk", "2048", "x", NULL), 1,
		   "invalid chunk size");
	expect_err(jf("snapshot", "create", "--chunk", "64k", "x", NULL), 1,
		   "invalid chunk size");
	expect_err(jf("snapshot", "create", "--name", "-x", "x", NULL), 1,
		   "invalid snapshot name '-x'");
	expect_err(jf("snapshot", "create", "--name", "a/b", "x", NULL), 1,
		   "invalid snapshot name");
	expect_err(jf("snapshot", "create", "--name", long_name, "x", NULL),
		   1, "invalid snapshot name");
	expect_err(jf("snapshot", "create", "-t", "0", "x", NULL), 1,
		   "invalid timeout");
	expect_err(jf("snapshot", "create", "--bogus", "x", NULL), 1,
		   "--help");
	expect_err(jf("snapshot", "run", "--diff-storage", diff1, "x", NULL),
		   1, "no command given");
	expect_err(jf("snapshot", "run", "--diff-storage", diff1, "--", "true",
		      NULL), 1, "no device given");
	expect_err(jf("snapshot", "run", "--persist", "--diff-storage", diff1,
		      "x", "--", "true", NULL), 1, "--persist");
	expect_err(jf("snapshot", "run", "--json", "--diff-storage", diff1,
		      "x", "--", "true", NULL), 1, "--json");
	expect_err(jf("snapshot", "delete", NULL), 1, "no snapshot name given");
	expect_err(jf("snapshot", "delete", "a", "b", NULL), 1,
		   "one snapshot at a time");
	expect_err(jf("snapshot", "delete", ".a", NULL), 1,
		   "invalid snapshot name");
	expect_err(jf("snapshot", "list", "a", "b", NULL), 1,
		   "unexpected argument 'b'");

	/* at most 16 diff storages */
	many[0] = (char *)"snapshot";
	many[1] = (char *)"create";
	for (i = 0; i < 17; i++) {
		many[2 + 2 * i] = (char *)"--diff-storage";
		many[3 + 2 * i] = diff1;
	}
	many[36] = (char *)"x";
	many[37] = NULL;
	expect_err(jf(many[0], many[1], many[2], many[3], many[4], many[5],
		      many[6], many[7], many[8], many[9], many[10], many[11],
		      many[12], many[13], many[14], many[15], many[16],
		      many[17], many[18], many[19], many[20], many[21],
		      many[22], many[23], many[24], many[25], many[26],
		      many[27], many[28], many[29], many[30], many[31],
		      many[32], many[33], many[34], many[35], many[36], NULL),
		   1, "at most 16 --diff-storage");

	/* none of it reached the kernel */
	assert_int_equal(fk->versions + fk->creates + fk->deletes + fk->lists,
			 0);
}

static void help(void **state)
{
	assert_int_equal(jf("snapshot", "--help", NULL), 0);
	assert_non_null(strstr(out, "snapshot create [options] --diff-storage"));
	assert_non_null(strstr(out, "--writable"));
	assert_int_equal(jf("snapshot", "create", "-h", NULL), 0);
	assert_non_null(strstr(out, "snapshot run"));
	assert_int_equal(jf("snapshot", "list", "--help", NULL), 0);
	assert_non_null(strstr(out, "snapshot list [--json]"));
	assert_int_equal(jf("--help", NULL), 0);
	assert_non_null(strstr(out, "snapshot create"));
	assert_non_null(strstr(out, "snapshot list"));
	assert_non_null(strstr(out, "snapshot delete"));
}

/* ---- diff storage ---- */

static void diff_storage_checks(void **state)
{
	char missing[PATH_MAX + 16], file[PATH_MAX + 16];

	snprintf(missing, sizeof(missing), "%s/missing", root);
	snprintf(file, sizeof(file), "%s/file", root);
	write_file(file, "x");

	expect_err(jf("snapshot", "create", "--diff-storage", missing, file,
		      NULL), 1, "no such file or device");
	expect_err(jf("snapshot", "create", "--diff-storage", root, file,
		      NULL), 1, "a directory; it must be a block device or a regular file");
	expect_err(jf("snapshot", "create", "--diff-storage", "/dev/null",
		      file, NULL), 1, "a character device");
	/* the origin is the filesystem the diff storage file is on */
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, file,
		      NULL), 1, "lies on hostdisk, a device of the snapshot");
	/* ... and run checks the same */
	expect_err(jf("snapshot", "run", "--diff-storage", diff1, file, "--",
		      "true", NULL), 1, "lies on hostdisk");
	assert_int_equal(fk->creates, 0);
}

static void diff_storage_through_stack(void **state)
{
	NEED_NODES();
	/* a file on the host disk, which sits on sdb */
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sdb,
		      NULL), 1, "diff storage ");
	assert_non_null(strstr(errout, "lies on sdb"));
	/* the second diff storage is the one at fault */
	expect_err(jf("snapshot", "create", "--diff-storage", node_sda,
		      "--diff-storage", diff1, node_sdb, NULL), 1, "lies on");
	/* the origin itself */
	expect_err(jf("snapshot", "create", "--diff-storage", node_sda,
		      node_sda, NULL), 1, "lies on sda");
	/* the same storage twice */
	expect_err(jf("snapshot", "create", "--diff-storage", diff1,
		      "--diff-storage", diff1, node_sda, NULL), 1,
		   "is given twice");
	/* a device below a stacked origin is not an origin: allowed here
	 * (opening the fake sdc node fails, later) */
	expect_err(jf("snapshot", "create", "--diff-storage", node_sdb,
		      node_dm0, NULL), 1, "diff storage");
	assert_null(strstr(errout, "lies on"));
	assert_int_equal(fk->creates, 0);
}

/* ---- create ---- */

static void module_too_old(void **state)
{
	NEED_NODES();
	fk->features &= ~JETFREEZE_FEAT_SNAPSHOT;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 2, "cannot take snapshots; it is too old");
	expect_err(jf("snapshot", "list", NULL), 2, "too old");
	expect_err(jf("snapshot", "delete", "x", NULL), 2, "too old");
	assert_int_equal(fk->creates + fk->lists + fk->deletes, 0);
}

static void create(void **state)
{
	char want[4096];
	struct stat st1, st2;

	NEED_NODES();
	assert_int_equal(jf("snapshot", "create", "--diff-storage", diff1,
			    "--diff-storage", diff2, "--name", "nightly",
			    "--writable", "--fs", "--chunk", "128", "-t", "2.5",
			    node_dm0, node_sda, NULL), 0);
	snprintf(want, sizeof(want), "nightly\n%1$s/sda %1$s/jfsnap7-0\n"
		 "%1$s/dm-0 %1$s/jfsnap7-1\n", devdir);
	assert_string_equal(out, want);
	assert_string_equal(errout, "");

	assert_int_equal(fk->creates, 1);
	assert_int_equal(fk->create.size, sizeof(fk->create));
	/* create's snapshot outlives it */
	assert_int_equal(fk->create.flags, JETFREEZE_SNAPSHOT_PERSIST |
			 JETFREEZE_SNAPSHOT_WRITABLE | JETFREEZE_SNAPSHOT_FS);
	assert_int_equal(fk->create.chunk_kib, 128);
	assert_int_equal(fk->create.timeout_ms, 2500);
	assert_string_equal(fk->create.name, "nightly");
	/* the origins first, then what is under them, with stages */
	assert_int_equal(fk->create.nr_devices, 3);
	assert_int_equal(fk->create.nr_origins, 2);
	assert_int_equal(fk->devs[0].major, DISK);
	assert_int_equal(fk->devs[0].minor, 0);
	assert_int_equal(fk->devs[0].stage, 0);
	assert_int_equal(fk->devs[1].major, DM);
	assert_int_equal(fk->devs[1].stage, 0);
	assert_int_equal(fk->devs[2].major, DISK);
	assert_int_equal(fk->devs[2].minor, 32);
	assert_int_equal(fk->devs[2].stage, 1);
	/* the diff storage: open for reading and writing, close-on-exec */
	assert_int_equal(fk->create.nr_diff, 2);
	assert_int_equal(stat(diff1, &st1), 0);
	assert_int_equal(stat(diff2, &st2), 0);
	assert_int_equal(fk->diff_st[0].st_ino, st1.st_ino);
	assert_int_equal(fk->diff_st[1].st_ino, st2.st_ino);
	assert_int_equal(fk->diff_accmode[0], O_RDWR);
	assert_int_equal(fk->diff_accmode[1], O_RDWR);
	assert_true(fk->diff_cloexec[0] && fk->diff_cloexec[1]);

	/* defaults; --no-stack */
	fk->nr_list = 0;
	assert_int_equal(jf("snapshot", "create", "--diff-storage", diff1,
			    "--no-stack", node_dm0, NULL), 0);
	snprintf(want, sizeof(want), "snap7\n%1$s/dm-0 %1$s/jfsnap7-0\n",
		 devdir);
	assert_string_equal(out, want);
	assert_int_equal(fk->create.flags, JETFREEZE_SNAPSHOT_PERSIST);
	assert_int_equal(fk->create.nr_devices, 1);
	assert_int_equal(fk->create.nr_origins, 1);
	assert_int_equal(fk->create.chunk_kib, 0);
	assert_int_equal(fk->create.timeout_ms, 0);
	assert_string_equal(fk->create.name, "snap7");

	/* above the module's cap */
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, "-t",
		      "71", node_sda, NULL), 1, "above the module's cap");
}

static void create_json(void **state)
{
	char want[4096];

	NEED_NODES();
	assert_int_equal(jf("snapshot", "create", "--json", "--diff-storage",
			    diff1, node_sda, node_dm0, NULL), 0);
	snprintf(want, sizeof(want),
		 "{\n"
		 "  \"name\": \"snap7\",\n"
		 "  \"id\": 7,\n"
		 "  \"state\": \"active\",\n"
		 "  \"persist\": true,\n"
		 "  \"writable\": false,\n"
		 "  \"drain_ns\": 1500000,\n"
		 "  \"hold_ns\": 2500000,\n"
		 "  \"devices\": [\n"
		 "    {\n"
		 "      \"origin\": \"%1$s/sda\",\n"
		 "      \"image\": \"%1$s/jfsnap7-0\"\n"
		 "    },\n"
		 "    {\n"
		 "      \"origin\": \"%1$s/dm-0\",\n"
		 "      \"image\": \"%1$s/jfsnap7-1\"\n"
		 "    }\n"
		 "  ]\n"
		 "}\n", devdir);
	assert_string_equal(out, want);
}

static void create_errors(void **state)
{
	NEED_NODES();
	fk->create_err = EEXIST;
	fk->create_failed_index = ~0U;
	expect_err(jf("snapshot", "create", "--name", "dup", "--diff-storage",
		      diff1, node_sda, NULL), 1,
		   "a snapshot named 'dup' exists already");
	fk->create_err = EXDEV;
	fk->create_failed_index = JETFREEZE_SNAPSHOT_DIFF_INDEX | 1;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1,
		      "--diff-storage", diff2, node_sda, NULL), 1, "");
	if (!strstr(errout, "diff storage ") || !strstr(errout, "/diff2 lies on"))
		fail_msg("%s", errout);
	fk->create_err = ENOSPC;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1,
		      "--diff-storage", diff2, node_sda, NULL), 1, "too small");
	fk->create_err = EBUSY;
	fk->create_failed_index = 0;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 1, "sda: in another snapshot already");
	fk->create_err = ETIMEDOUT;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 1, "sda: writes in flight did not finish in time");
	fk->create_err = EOPNOTSUPP;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 1, "sda: cannot be snapshotted");
	fk->create_err = EPERM;
	fk->create_failed_index = ~0U;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 1, "needs CAP_SYS_ADMIN");
	fk->create_err = ENOTTY;
	expect_err(jf("snapshot", "create", "--diff-storage", diff1, node_sda,
		      NULL), 2, "does not understand");
	assert_int_equal(fk->creates, 8);
	assert_string_equal(out, "");
}

/* udev made no node: the path anyway, and a warning (takes 5 s) */
static void create_without_node(void **state)
{
	char path[PATH_MAX * 2], want[4096];

	NEED_NODES();
	snprintf(path, sizeof(path), "%s/jfsnap7-0", devdir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(jf("snapshot", "create", "--diff-storage", diff1,
			    node_sda, NULL), 0);
	snprintf(want, sizeof(want), "snap7\n%1$s/sda %1$s/jfsnap7-0\n",
		 devdir);
	assert_string_equal(out, want);
	assert_non_null(strstr(errout, "jfsnap7-0 did not appear within 5 s"));
	assert_int_equal(access(path, F_OK), -1);	/* none made */
}

/* ---- list ---- */

static void add_entry(uint64_t id, const char *name, uint32_t index,
		      unsigned int maj, unsigned int min, int error,
		      uint32_t flags)
{
	struct jetfreeze_snapshot_entry *e = &fk->list[fk->nr_list++];

	memset(e, 0, sizeof(*e));
	e->snapshot_id = id;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->state = error ? JETFREEZE_SNAPSHOT_FAILED : JETFREEZE_SNAPSHOT_ACTIVE;
	e->error = error;
	e->flags = flags;
	e->index = index;
	e->chunk_bytes = 65536;
	e->origin.origin_major = maj;
	e->origin.origin_minor = min;
	e->origin.image_major = IMAGE_MAJOR;
	e->origin.image_minor = 10 * id + index;
	snprintf(e->origin.image_name, sizeof(e->origin.image_name),
		 "jfsnap%llu-%u", (unsigned long long)id, index);
	e->created_ns = 1767225600123456789ULL;	/* 2026-01-01T00:00:00Z */
	e->expires_ms = flags & JETFREEZE_SNAPSHOT_E_ATTACHED ? 0 : 86399500;
	e->diff_used = 3 << 20;
	e->diff_size = 1ULL << 30;
	e->memory_bytes = 4096;
	e->chunks_preserved = 48 + index;
	e->cow_bios = 10 + index;
	e->cow_wait_ns = 1000 * (index + 1);
	e->hold_ns = 2000000;
}

/* two snapshots, the first with its origins listed out of order */
static void two_snapshots(void)
{
	add_entry(3, "nightly", 1, DM, 0, 0, JETFREEZE_SNAPSHOT_E_PERSIST);
	add_entry(3, "nightly", 0, DISK, 0, 0, JETFREEZE_SNAPSHOT_E_PERSIST);
	add_entry(5, "broken", 0, DISK, 16, ENOSPC,
		  JETFREEZE_SNAPSHOT_E_WRITABLE | JETFREEZE_SNAPSHOT_E_ATTACHED);
}

static void list_json(void **state)
{
	char want[8192];

	two_snapshots();
	assert_int_equal(jf("snapshot", "list", "--json", NULL), 0);
	snprintf(want, sizeof(want),
		 "{\n"
		 "  \"snapshots\": [\n"
		 "    {\n"
		 "      \"name\": \"nightly\",\n"
		 "      \"id\": 3,\n"
		 "      \"state\": \"active\",\n"
		 "      \"error\": null,\n"
		 "      \"persist\": true,\n"
		 "      \"writable\": false,\n"
		 "      \"attached\": false,\n"
		 "      \"created\": \"2026-01-01T00:00:00+0000\",\n"
		 "      \"created_ns\": 1767225600123456789,\n"
		 "      \"expires_ms\": 86399500,\n"
		 "      \"chunk_bytes\": 65536,\n"
		 "      \"diff_used\": 3145728,\n"
		 "      \"diff_size\": 1073741824,\n"
		 "      \"memory_bytes\": 4096,\n"
		 "      \"hold_ns\": 2000000,\n"
		 "      \"devices\": [\n"
		 "        {\n"
		 "          \"origin\": \"%1$s/sda\",\n"
		 "          \"image\": \"%1$s/jfsnap3-0\",\n"
		 "          \"chunks_preserved\": 48,\n"
		 "          \"cow_bios\": 10,\n"
		 "          \"cow_wait_ns\": 1000\n"
		 "        },\n"
		 "        {\n"
		 "          \"origin\": \"%1$s/dm-0\",\n"
		 "          \"image\": \"%1$s/jfsnap3-1\",\n"
		 "          \"chunks_preserved\": 49,\n"
		 "          \"cow_bios\": 11,\n"
		 "          \"cow_wait_ns\": 2000\n"
		 "        }\n"
		 "      ]\n"
		 "    },\n"
		 "    {\n"
		 "      \"name\": \"broken\",\n"
		 "      \"id\": 5,\n"
		 "      \"state\": \"failed\",\n"
		 "      \"error\": \"ENOSPC\",\n"
		 "      \"persist\": false,\n"
		 "      \"writable\": true,\n"
		 "      \"attached\": true,\n"
		 "      \"created\": \"2026-01-01T00:00:00+0000\",\n"
		 "      \"created_ns\": 1767225600123456789,\n"
		 "      \"expires_ms\": 0,\n"
		 "      \"chunk_bytes\": 65536,\n"
		 "      \"diff_used\": 3145728,\n"
		 "      \"diff_size\": 1073741824,\n"
		 "      \"memory_bytes\": 4096,\n"
		 "      \"hold_ns\": 2000000,\n"
		 "      \"devices\": [\n"
		 "        {\n"
		 "          \"origin\": \"%1$s/sdb\",\n"
		 "          \"image\": \"%1$s/jfsnap5-0\",\n"
		 "          \"chunks_preserved\": 48,\n"
		 "          \"cow_bios\": 10,\n"
		 "          \"cow_wait_ns\": 1000\n"
		 "        }\n"
		 "      ]\n"
		 "    }\n"
		 "  ]\n"
		 "}\n", devdir);
	assert_string_equal(out, want);
	/* a failed snapshot among others: list itself is fine */
	assert_string_equal(errout, "");
}

static void list_table(void **state)
{
	char want[256];

	two_snapshots();
	assert_int_equal(jf("snapshot", "list", "--raw", NULL), 0);
	assert_non_null(strstr(out, "NAME STATE ERROR ORIGIN IMAGE PRESERVED USED SIZE CREATED EXPIRES PERSIST\n"));
	snprintf(want, sizeof(want),
		 "nightly active - %1$s/sda %1$s/jfsnap3-0 48 3.0M 1.0G 2026-01-01T00:00:00+0000 86400s yes\n",
		 devdir);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "\nnightly active - %1$s/dm-0 ", devdir);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "\nbroken failed the\\x20diff\\x20storage\\x20is\\x20full "));
	assert_int_equal(jf("snapshot", "list", "--noheadings", NULL), 0);
	assert_null(strstr(out, "NAME"));
}

static void list_one(void **state)
{
	two_snapshots();
	assert_int_equal(jf("snapshot", "list", "--json", "nightly", NULL), 0);
	assert_non_null(strstr(out, "\"name\": \"nightly\""));
	assert_null(strstr(out, "broken"));
	/* a failed one: exit 3, and said so */
	expect_err(jf("snapshot", "list", "broken", NULL), 3,
		   "snapshot broken failed: the diff storage is full");
	assert_non_null(strstr(out, "broken"));
	expect_err(jf("snapshot", "list", "other", NULL), 1,
		   "no snapshot named 'other'");
}

static void list_empty(void **state)
{
	assert_int_equal(jf("snapshot", "list", NULL), 0);
	assert_string_equal(out, "no snapshots\n");
	assert_int_equal(jf("snapshot", "list", "--json", NULL), 0);
	assert_string_equal(out, "{\n  \"snapshots\": []\n}\n");
	assert_int_equal(jf("snapshot", "list", "--noheadings", NULL), 0);
	assert_string_equal(out, "");
}

/* ---- delete ---- */

static void delete(void **state)
{
	assert_int_equal(jf("snapshot", "delete", "nightly", NULL), 0);
	assert_string_equal(fk->deleted, "nightly");
	assert_string_equal(out, "");
	fk->delete_err = ENOENT;
	expect_err(jf("snapshot", "delete", "gone", NULL), 1,
		   "no snapshot named 'gone'");
	fk->delete_err = EPERM;
	expect_err(jf("snapshot", "delete", "x", NULL), 1,
		   "needs CAP_SYS_ADMIN");
	assert_int_equal(fk->deletes, 3);
}

/* ---- run ---- */

static void run(void **state)
{
	char script[PATH_MAX * 2], seen[PATH_MAX * 2], want[4096], got[4096];

	NEED_NODES();
	snprintf(seen, sizeof(seen), "%s/seen", root);
	snprintf(script, sizeof(script),
		 "echo \"$JETFREEZE_SNAPSHOT|$JETFREEZE_IMAGES\" > '%s'; exit 7",
		 seen);
	assert_int_equal(jf("snapshot", "run", "--diff-storage", diff1,
			    "--name", "backup", node_sda, node_dm0, "--", "sh",
			    "-c", script, NULL), 7);
	slurp(seen, got, sizeof(got));
	snprintf(want, sizeof(want),
		 "backup|%1$s/sda=%1$s/jfsnap7-0 %1$s/dm-0=%1$s/jfsnap7-1\n",
		 devdir);
	assert_string_equal(got, want);
	assert_string_equal(out, "");
	/* owned by its file, looked at, then deleted */
	assert_int_equal(fk->create.flags, 0);
	assert_int_equal(fk->create.nr_origins, 2);
	assert_true(fk->lists >= 1);
	assert_int_equal(fk->deletes, 1);
	assert_string_equal(fk->deleted, "backup");
	assert_int_equal(fk->nr_list, 0);

	assert_int_equal(jf("snapshot", "run", "--diff-storage", diff1,
			    node_sda, "--", "/nonexistent/command", NULL), 127);
	assert_int_equal(fk->deletes, 2);
}

static void run_snapshot_failed(void **state)
{
	NEED_NODES();
	fk->fail_created = true;
	expect_err(jf("snapshot", "run", "--diff-storage", diff1, node_sda,
		      "--", "true", NULL), 3,
		   "failed while the command ran (the diff storage is full)");
	assert_int_equal(fk->deletes, 1);

	/* deleted behind its back */
	fk->fail_created = false;
	fk->forget_created = true;
	expect_err(jf("snapshot", "run", "--diff-storage", diff1, node_sda,
		      "--", "sh", "-c", "exit 0", NULL), 3,
		   "was deleted while the command ran");
}

/* ---- status ---- */

/* libsmartcols prints the string "false" as true: booleans come out right */
static void status_json_booleans(void **state)
{
	struct jetfreeze_status_entry *e = &fk->holds[0];

	memset(fk->holds, 0, sizeof(fk->holds));
	e[0].session_id = 1;
	e[0].major = DISK;
	e[0].state = JETFREEZE_STATE_FROZEN;
	e[0].flags = JETFREEZE_STATUS_ATTACHED;
	e[1] = e[0];
	e[1].session_id = 2;
	e[1].minor = 16;
	e[1].flags = JETFREEZE_STATUS_PERSIST;
	fk->nr_holds = 2;
	assert_int_equal(jf("status", "--json", NULL), 0);
	assert_non_null(strstr(out, "\"hold\": 1,"));
	assert_non_null(strstr(out, "\"persist\": false,"));
	assert_non_null(strstr(out, "\"persist\": true,"));
	assert_true(strstr(out, "\"persist\": false,") <
		    strstr(out, "\"persist\": true,"));
	assert_int_equal(jf("status", NULL), 0);
	assert_non_null(strstr(out, " no "));
	assert_non_null(strstr(out, " yes "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(help, setup, teardown),
		cmocka_unit_test_setup_teardown(diff_storage_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(diff_storage_through_stack,
						setup, teardown),
		cmocka_unit_test_setup_teardown(module_too_old, setup, teardown),
		cmocka_unit_test_setup_teardown(create, setup, teardown),
		cmocka_unit_test_setup_teardown(create_json, setup, teardown),
		cmocka_unit_test_setup_teardown(create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(create_without_node, setup,
						teardown),
		cmocka_unit_test_setup_teardown(list_json, setup, teardown),
		cmocka_unit_test_setup_teardown(list_table, setup, teardown),
		cmocka_unit_test_setup_teardown(list_one, setup, teardown),
		cmocka_unit_test_setup_teardown(list_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(delete, setup, teardown),
		cmocka_unit_test_setup_teardown(run, setup, teardown),
		cmocka_unit_test_setup_teardown(run_snapshot_failed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(status_json_booleans, setup,
						teardown),
	};

	return run_group(tests);
}
