// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze(8): freeze and thaw the writes of block devices through
 * /dev/jetfreeze.  This file holds the entry point and what every
 * subcommand shares: the control node, errors, device resolution.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jetfreeze.h"

bool jf_verbose;

void jf_note(const char *fmt, ...)
{
	va_list ap;

	if (!jf_verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* An errno from the control node, told in the operator's terms. */
void jf_fail_errno(int code, const char *what)
{
	switch (code) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		if (!strcmp(what, JETFREEZE_NODE))
			errx(JF_EXIT_NO_MODULE,
			     "%s: not there: is the jetfreeze module loaded? (modprobe jetfreeze)",
			     what);
		break;
	case ENOTTY:
		errx(JF_EXIT_NO_MODULE,
		     "%s: the module does not understand this request (too old?)",
		     what);
	case EACCES:
		errx(JF_EXIT_FAILURE, "%s: permission denied (run as root)",
		     what);
	case EPERM:
		errx(JF_EXIT_FAILURE, "%s: not permitted (needs CAP_SYS_ADMIN)",
		     what);
	}
	errno = code;
	err(JF_EXIT_FAILURE, "%s", what);
}

/* FREEZE's errors, which taking a snapshot shares; @label names the device. */
void jf_fail_freeze(int code, const char *label, unsigned int nr_devices)
{
	switch (code) {
	case ETIMEDOUT:
		errx(JF_EXIT_FAILURE,
		     "%s: writes in flight did not finish in time; nothing is frozen",
		     label);
	case EOPNOTSUPP:
		errx(JF_EXIT_FAILURE,
		     "%s: its writes in flight cannot be counted (see dmesg); nothing is frozen",
		     label);
	case ENXIO:
	case ENODEV:
		errx(JF_EXIT_FAILURE, "%s: no such block device", label);
	case E2BIG:
		errx(JF_EXIT_FAILURE, "too many devices (%u)", nr_devices);
	case EIO:
		errx(JF_EXIT_FAILURE,
		     "%s: flushing its write cache failed; nothing is frozen",
		     label);
	}
	jf_fail_errno(code, "freeze");
}

void jf_try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	exit(JF_EXIT_FAILURE);
}

uint64_t jf_parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0)
		errx(JF_EXIT_FAILURE, "invalid %s: '%s'", what, s);
	return v;
}

uint32_t jf_parse_timeout(const char *s)
{
	double sec;
	char *end;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || end == s || *end || !(sec > 0) || sec > 4294967.0)
		errx(JF_EXIT_FAILURE, "invalid timeout: '%s' (seconds, more than 0)",
		     s);
	return sec * 1000 < 1 ? 1 : (uint32_t)(sec * 1000);
}

static pid_t jf_child;

static void jf_forward_signal(int sig)
{
	if (jf_child > 0)
		kill(jf_child, sig);
}

/*
 * Run @argv and wait for it, as system() would: the terminal's SIGINT and
 * SIGQUIT reach the command (its process group's) and we ignore them;
 * SIGTERM and SIGHUP sent to us are passed on.  The command's exit status,
 * or 126 it could not be run, 127 not found, 128 + N killed by signal N.
 */
int jf_run_command(char **argv)
{
	struct sigaction sa;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = jf_forward_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	fflush(NULL);
	jf_child = fork();
	if (jf_child < 0) {
		warn("fork");
		return JF_EXIT_FAILURE;
	}
	if (jf_child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[0], argv);
		warn("cannot run %s", argv[0]);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(jf_child, &status, 0) < 0 && errno == EINTR)
		;
	jf_child = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int jf_open_node(void)
{
	int fd = jfctl_open();

	if (fd < 0)
		jf_fail_errno(-fd, JETFREEZE_NODE);
	return fd;
}

/* "vdb1 (254:17)", or just the numbers when sysfs has no name. */
const char *jf_dev_label(uint32_t major, uint32_t minor, char *buf,
			 size_t len)
{
	char name[64];

	if (jf_dev_name(makedev(major, minor), name, sizeof(name)) == 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u:%u", major, minor);
	return buf;
}

void jf_describe_devs(const struct jf_devset *set, char *buf, size_t len)
{
	const struct jetfreeze_device *d = jf_devset_devices(set);
	unsigned int i, n = jf_devset_count(set);
	size_t pos = 0;

	buf[0] = '\0';
	for (i = 0; i < n && pos < len; i++) {
		char label[64];

		pos += snprintf(buf + pos, len - pos, "%s%s", i ? " " : "",
				jf_dev_label(d[i].major, d[i].minor, label,
					     sizeof(label)));
	}
}

/*
 * Each PATH is a block device, or a file or mount point whose filesystem
 * lies on one; with @stack also every device under it (dm, md, loop).
 */
struct jf_devset *jf_resolve(char *const *paths, int nr, bool stack)
{
	struct jf_devset *set = jf_devset_new();
	int i, ret;

	if (!set)
		err(JF_EXIT_FAILURE, "out of memory");
	for (i = 0; i < nr; i++) {
		dev_t dev;

		ret = jf_path_to_dev(paths[i], &dev);
		if (ret == -ENOTBLK)
			errx(JF_EXIT_FAILURE, "%s: no block device under it",
			     paths[i]);
		if (ret) {
			errno = -ret;
			err(JF_EXIT_FAILURE, "%s", paths[i]);
		}
		ret = jf_devset_add(set, dev, stack ? JF_DEVSET_STACK : 0);
		if (ret) {
			errno = -ret;
			err(JF_EXIT_FAILURE, "%s: cannot resolve its devices",
			    paths[i]);
		}
	}
	return set;
}

static void usage(void)
{
	printf("Usage:\n"
	       " %1$s run [options] <device|path>... -- <command> [<argument>...]\n"
	       " %1$s freeze [options] <device|path>...\n"
	       " %1$s thaw [<device|path>...]\n"
	       " %1$s status [--json] [--noheadings]\n"
	       " %1$s snapshot create [options] --diff-storage <device|file> <device|path>...\n"
	       " %1$s snapshot run [options] --diff-storage <device|file> <device|path>...\n"
	       "        -- <command> [<argument>...]\n"
	       " %1$s snapshot list [--json] [<name>]\n"
	       " %1$s snapshot delete <name>\n"
	       " %1$s version\n"
	       "\n"
	       "Drain, flush and hold every write to block devices while reads go on,\n"
	       "so that a snapshot of them can be taken; or take a copy-on-write\n"
	       "snapshot of them, which holds their writes only while it is taken.\n"
	       "\n"
	       "Commands:\n"
	       " run       freeze, run <command>, thaw; the hold ends when it ends\n"
	       " freeze    freeze and return; the hold lasts until 'thaw' or its timeout\n"
	       " thaw      end the holds left by 'freeze' (all of them, or those on\n"
	       "           the given devices) and report whether they held\n"
	       " status    list every frozen device\n"
	       " snapshot  copy-on-write snapshots: per named device an image block\n"
	       "           device with its content at the freeze point, while writes go on\n"
	       "             create  take one; it lasts until 'snapshot delete' (or the\n"
	       "                     module's maximum lifetime)\n"
	       "             run     take one, run <command>, delete it; the command\n"
	       "                     finds the images in JETFREEZE_IMAGES\n"
	       "             list    the snapshots, their images, their diff storage use\n"
	       "             delete  delete one and its images\n"
	       " version   the tool's and the module's versions\n"
	       "\n"
	       "Options for run and freeze:\n"
	       " -t, --timeout <seconds>    end the hold after this long (default: the\n"
	       "                            module's, 10 s; at most its cap, 70 s)\n"
	       "     --max-held-mib <n>     break the hold when a device holds more\n"
	       "     --max-held-writes <n>  likewise, counted in write requests\n"
	       "     --no-stack             freeze only the named devices, not those\n"
	       "                            under them (dm, md, loop)\n"
	       "     --fs                   freeze their filesystems first, so the held\n"
	       "                            image mounts without journal replay\n"
	       " -v, --verbose              say what happens, on stderr\n"
	       "\n"
	       "Options for snapshot create and run (see '%1$s snapshot --help'):\n"
	       "     --diff-storage <device|file>  where the old contents of changed\n"
	       "                            chunks go (required; repeatable)\n"
	       "     --name <name>, --writable, --chunk <KiB>, --json (create), and\n"
	       "     -t, --no-stack, --fs, -v as above\n"
	       "\n"
	       " -h, --help                 display this help\n"
	       " -V, --version              display version\n"
	       "\n"
	       "Exit status: 0 ok, 1 error, 2 module not available (or too old), 3 the\n"
	       "hold broke (timeout, limit, device removed): discard the snapshot; or\n"
	       "the copy-on-write snapshot failed (snapshot run, snapshot list <name>).\n"
	       "\n"
	       "For more details see jetfreeze(8).\n",
	       program_invocation_short_name);
}

static void close_stdout(void)
{
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		if (errno == EPIPE)
			_exit(JF_EXIT_FAILURE);
		warn("write error");
		_exit(JF_EXIT_FAILURE);
	}
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} jf_cmds[] = {
	{ "run", jf_cmd_run },
	{ "freeze", jf_cmd_freeze },
	{ "thaw", jf_cmd_thaw },
	{ "status", jf_cmd_status },
	{ "version", jf_cmd_version },
	{ "snapshot", jf_cmd_snapshot },
};

int main(int argc, char **argv)
{
	unsigned int i;

	atexit(close_stdout);
	if (argc < 2) {
		warnx("no command given");
		fprintf(stderr, "Try '%s --help' for more information.\n",
			program_invocation_short_name);
		return JF_EXIT_FAILURE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage();
		return JF_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("%s %s\n", program_invocation_short_name,
		       JETFREEZE_VERSION);
		return JF_EXIT_OK;
	}
	for (i = 0; i < sizeof(jf_cmds) / sizeof(jf_cmds[0]); i++)
		if (!strcmp(argv[1], jf_cmds[i].name))
			return jf_cmds[i].fn(argc - 1, argv + 1);

	warnx("unknown command '%s'", argv[1]);
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	return JF_EXIT_FAILURE;
}
