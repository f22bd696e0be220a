// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze run | freeze | thaw: making and ending holds.
 *
 * 'run' owns its hold through its file of /dev/jetfreeze: whatever ends
 * the process (exit, SIGKILL, OOM) ends the hold.  'freeze' asks for a
 * PERSIST hold, which outlives it and still ends at its timeout; 'thaw'
 * adopts such holds and ends them, reporting whether they held.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jetfreeze.h"

enum {
	OPT_MAX_HELD_MIB = 0x100,
	OPT_MAX_HELD_WRITES,
	OPT_NO_STACK,
	OPT_FS,
};

static const struct option jf_hold_longopts[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "max-held-mib", required_argument, NULL, OPT_MAX_HELD_MIB },
	{ "max-held-writes", required_argument, NULL, OPT_MAX_HELD_WRITES },
	{ "no-stack", no_argument, NULL, OPT_NO_STACK },
	{ "fs", no_argument, NULL, OPT_FS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option jf_thaw_longopts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of run and freeze; returns the index of the first operand. */
static int jf_parse_hold_opts(int argc, char **argv, struct jf_hold_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+t:vh", jf_hold_longopts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			o->timeout_ms = jf_parse_timeout(optarg);
			break;
		case OPT_MAX_HELD_MIB:
			o->max_held_bytes = jf_parse_u64(optarg, "size") << 20;
			break;
		case OPT_MAX_HELD_WRITES:
			o->max_held_bios = jf_parse_u64(optarg, "count");
			break;
		case OPT_NO_STACK:
			o->no_stack = true;
			break;
		case OPT_FS:
			o->fs = true;
			break;
		case 'v':
			jf_verbose = true;
			break;
		case 'h':
			printf("Usage: %s %s [options] <device|path>...%s\n"
			       "See '%s --help' and jetfreeze(8).\n",
			       program_invocation_short_name, argv[0],
			       strcmp(argv[0], "run") ? "" :
			       " -- <command> [<argument>...]",
			       program_invocation_short_name);
			exit(JF_EXIT_OK);
		default:
			jf_try_help();
		}
	}
	return optind;
}

/* What the module can tell before the freeze: a clearer error than its. */
static void jf_check_opts(int fd, const struct jf_hold_opts *o)
{
	struct jetfreeze_version v;

	if (jfctl_version(fd, &v))
		return;	/* the kernel will say */
	if (o->timeout_ms > v.max_timeout_ms)
		errx(JF_EXIT_FAILURE,
		     "timeout %.3f s is above the module's cap of %u s (parameter max_timeout_sec)",
		     o->timeout_ms / 1000.0, v.max_timeout_ms / 1000);
	if (o->fs && !(v.features & JETFREEZE_FEAT_FS_FREEZE))
		errx(JF_EXIT_NO_MODULE,
		     "the loaded module (%.32s) cannot freeze filesystems (--fs); it is too old",
		     v.module_version);
}

static uint32_t jf_hold_flags(const struct jf_hold_opts *o)
{
	return o->fs ? JETFREEZE_FREEZE_FS : 0;
}

/*
 * Our own pages must never wait for I/O on a device we hold: the thaw
 * could not run.
 */
static void jf_lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		warn("cannot lock memory; going on");
}

static int jf_freeze_devset(int fd, struct jf_devset *set,
			    const struct jf_hold_opts *o, uint32_t flags,
			    struct jetfreeze_freeze *out)
{
	const struct jetfreeze_device *devs = jf_devset_devices(set);
	char label[512], names[512];
	int ret;

	jf_describe_devs(set, names, sizeof(names));
	jf_note("freezing %s", names);
	ret = jfctl_freeze(fd, devs, jf_devset_count(set), flags, o->timeout_ms,
			   o->max_held_bytes, o->max_held_bios, out);
	if (!ret) {
		jf_note("frozen: %s (hold %" PRIu64 ", drained and flushed in %.1f ms)",
			names, (uint64_t)out->session_id, out->drain_ns / 1e6);
		return 0;
	}

	if (out->failed_index < jf_devset_count(set))
		jf_dev_label(devs[out->failed_index].major,
			     devs[out->failed_index].minor, label,
			     sizeof(label));
	else
		memcpy(label, names, sizeof(label));
	if (ret == -EBUSY) {
		if (out->failed_index < jf_devset_count(set))
			errx(JF_EXIT_FAILURE,
			     "%s: held by another hold, so its filesystem cannot be frozen now (--fs); nothing is frozen",
			     label);
		errx(JF_EXIT_FAILURE, "this session already holds devices");
	}
	jf_fail_freeze(-ret, label, jf_devset_count(set));
}

/* Print what a hold did; true when it held to the end. */
static bool jf_report(const struct jetfreeze_thaw *rep)
{
	if (rep->broken != JETFREEZE_BROKEN_NONE) {
		warnx("hold %" PRIu64 " broke (%s) after %.3f s: a snapshot taken during it must be discarded",
		      (uint64_t)rep->session_id, jfctl_broken_str(rep->broken),
		      rep->frozen_ns / 1e9);
		return false;
	}
	jf_note("thawed hold %" PRIu64 " after %.3f s: released %" PRIu64 " writes (%" PRIu64 " bytes) in %.1f ms",
		(uint64_t)rep->session_id, rep->frozen_ns / 1e9,
		(uint64_t)rep->held_bios, (uint64_t)rep->held_bytes,
		rep->release_ns / 1e6);
	return true;
}

int jf_cmd_run(int argc, char **argv)
{
	struct jetfreeze_freeze out;
	struct jetfreeze_thaw rep;
	struct jf_hold_opts o;
	struct jf_devset *set;
	int first, sep, fd, status, ret;

	first = jf_parse_hold_opts(argc, argv, &o);
	for (sep = first; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (sep == first) {
		warnx("no device given");
		jf_try_help();
	}
	if (sep >= argc - 1) {
		warnx("no command given (put it after --)");
		jf_try_help();
	}

	set = jf_resolve(argv + first, sep - first, !o.no_stack);
	fd = jf_open_node();
	jf_check_opts(fd, &o);
	jf_lock_memory();
	jf_freeze_devset(fd, set, &o, jf_hold_flags(&o), &out);
	jf_devset_free(set);

	status = jf_run_command(argv + sep + 1);

	ret = jfctl_thaw(fd, &rep);
	if (ret)
		jf_fail_errno(-ret, "thaw");
	if (!jf_report(&rep))
		return JF_EXIT_BROKEN;
	return status;
}

int jf_cmd_freeze(int argc, char **argv)
{
	struct jetfreeze_freeze out;
	struct jf_hold_opts o;
	struct jf_devset *set;
	int first, fd;

	first = jf_parse_hold_opts(argc, argv, &o);
	if (first == argc) {
		warnx("no device given");
		jf_try_help();
	}
	set = jf_resolve(argv + first, argc - first, !o.no_stack);
	fd = jf_open_node();
	jf_check_opts(fd, &o);
	jf_freeze_devset(fd, set, &o,
			 JETFREEZE_FREEZE_PERSIST | jf_hold_flags(&o), &out);
	jf_devset_free(set);
	/* closing our file leaves the PERSIST hold to 'thaw' or its timeout */
	close(fd);
	return JF_EXIT_OK;
}

static bool jf_entry_wanted(const struct jetfreeze_status_entry *e,
			    const struct jf_devset *want)
{
	const struct jetfreeze_device *d;
	unsigned int i;

	if (!want)
		return true;
	d = jf_devset_devices(want);
	for (i = 0; i < jf_devset_count(want); i++)
		if (d[i].major == e->major && d[i].minor == e->minor)
			return true;
	return false;
}

static bool jf_seen(const uint64_t *ids, unsigned int n, uint64_t id)
{
	while (n--)
		if (ids[n] == id)
			return true;
	return false;
}

/* Adopt and end one PERSIST hold; -1 gone meanwhile, 0 held, 1 broke. */
static int jf_thaw_one(uint64_t id)
{
	struct jetfreeze_thaw rep;
	int fd = jf_open_node(), ret;

	ret = jfctl_adopt(fd, id);
	if (ret == -ENOENT || ret == -EBUSY) {
		close(fd);
		return -1;
	}
	if (ret)
		jf_fail_errno(-ret, "adopt");
	ret = jfctl_thaw(fd, &rep);
	if (ret)
		jf_fail_errno(-ret, "thaw");
	close(fd);
	return jf_report(&rep) ? 0 : 1;
}

int jf_cmd_thaw(int argc, char **argv)
{
	struct jetfreeze_status_entry *e = NULL;
	struct jf_devset *want = NULL;
	unsigned int i, n = 0, nids = 0, thawed = 0;
	uint64_t *ids;
	bool broken = false;
	int c, fd, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", jf_thaw_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'v':
			jf_verbose = true;
			break;
		case 'h':
			printf("Usage: %s thaw [<device|path>...]\n"
			       "See '%s --help' and jetfreeze(8).\n",
			       program_invocation_short_name,
			       program_invocation_short_name);
			return JF_EXIT_OK;
		default:
			jf_try_help();
		}
	}
	if (optind < argc)
		want = jf_resolve(argv + optind, argc - optind, true);

	fd = jf_open_node();
	ret = jfctl_status(fd, &e, &n);
	if (ret)
		jf_fail_errno(-ret, "status");
	close(fd);

	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		err(JF_EXIT_FAILURE, "out of memory");
	for (i = 0; i < n; i++) {
		char label[64];

		if (!jf_entry_wanted(&e[i], want))
			continue;
		if (!(e[i].flags & JETFREEZE_STATUS_PERSIST) ||
		    (e[i].flags & JETFREEZE_STATUS_ATTACHED)) {
			if (want)
				warnx("%s is held by %s[%d] (hold %" PRIu64 "), which thaws it itself",
				      jf_dev_label(e[i].major, e[i].minor,
						   label, sizeof(label)),
				      e[i].holder_comm, e[i].holder_pid,
				      (uint64_t)e[i].session_id);
			continue;
		}
		if (!jf_seen(ids, nids, e[i].session_id))
			ids[nids++] = e[i].session_id;
	}
	free(e);

	for (i = 0; i < nids; i++) {
		ret = jf_thaw_one(ids[i]);
		if (ret >= 0)
			thawed++;
		if (ret > 0)
			broken = true;
	}
	free(ids);
	if (want)
		jf_devset_free(want);
	if (!thawed)
		errx(JF_EXIT_FAILURE, "no hold left by 'jetfreeze freeze'%s",
		     want ? " on these devices" : "");
	return broken ? JF_EXIT_BROKEN : JF_EXIT_OK;
}
