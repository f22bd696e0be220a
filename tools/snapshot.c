// SPDX-License-Identifier: GPL-2.0-only
/*
 * jetfreeze snapshot create | run | delete: copy-on-write snapshots (list:
 * snaplist.c; the devices and the diff storage: snapdevs.c).
 *
 * The module takes a snapshot at the freeze point of one freeze of its
 * devices and ends the hold as soon as copy-on-write is armed; each origin
 * then has an image block device that reads back its content at that
 * point.  'create' returns at once, so its snapshot is PERSIST: it lasts
 * until 'delete' or the module's maximum lifetime.  'run' owns its
 * snapshot through its file of /dev/jetfreeze, so whatever ends the
 * process deletes it.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jetfreeze.h"
#include "json.h"


struct jf_snap_opts {
	const char *diff[JF_SNAP_MAX_DIFF];
	unsigned int nr_diff;
	const char *name;
	uint32_t flags;			/* JETFREEZE_SNAPSHOT_* */
	uint32_t chunk_kib;		/* 0: the module's default */
	uint32_t timeout_ms;		/* 0: the module's default */
	bool no_stack;
	bool json;
};

/* A snapshot taken: what create prints and run passes on. */
struct jf_snap {
	struct jetfreeze_snapshot_create out;
	struct jetfreeze_snapshot_image *images;
	unsigned int nr_images;
};

enum {
	OPT_DIFF_STORAGE = 0x100,
	OPT_NAME,
	OPT_PERSIST,
	OPT_WRITABLE,
	OPT_FS,
	OPT_CHUNK,
	OPT_NO_STACK,
};

static const struct option jf_snap_longopts[] = {
	{ "diff-storage", required_argument, NULL, OPT_DIFF_STORAGE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "persist", no_argument, NULL, OPT_PERSIST },
	{ "writable", no_argument, NULL, OPT_WRITABLE },
	{ "fs", no_argument, NULL, OPT_FS },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "timeout", required_argument, NULL, 't' },
	{ "no-stack", no_argument, NULL, OPT_NO_STACK },
	{ "json", no_argument, NULL, 'J' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char jf_snap_usage[] =
	"Usage:\n"
	" %1$s snapshot create [options] --diff-storage <device|file> <device|path>...\n"
	" %1$s snapshot run [options] --diff-storage <device|file> <device|path>...\n"
	"        -- <command> [<argument>...]\n"
	" %1$s snapshot list [--json] [--noheadings] [--raw] [<name>]\n"
	" %1$s snapshot delete <name>\n"
	"\n"
	"Options for create and run:\n"
	"     --diff-storage <device|file>  where the old contents of changed chunks\n"
	"                            go (repeatable, at least once, at most 16);\n"
	"                            not on a device of the snapshot\n"
	"     --name <name>          the snapshot's name (default: the module's)\n"
	"     --persist              (create) it outlives the command: the default\n"
	"     --writable             images accept writes, kept in the diff storage\n"
	"     --fs                   freeze the filesystems first\n"
	"     --chunk <KiB>          copy-on-write granule, a power of two, 4..1024\n"
	" -t, --timeout <seconds>    of the freeze that takes the snapshot\n"
	"     --no-stack             freeze only the named devices\n"
	" -J, --json                 (create) print JSON\n"
	" -v, --verbose              say what happens, on stderr\n"
	"\n"
	"See jetfreeze(8).\n";

static void __attribute__((noreturn)) jf_snap_help(void)
{
	printf(jf_snap_usage, program_invocation_short_name);
	exit(JF_EXIT_OK);
}

/* [A-Za-z0-9._-], 1 to 31 of them, not starting with '.' or '-'. */
static bool jf_snap_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= JETFREEZE_SNAPSHOT_NAME_LEN || name[0] == '.' ||
	    name[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", name[i]))
			return false;
	return true;
}

static void jf_snap_check_name(const char *name)
{
	if (!jf_snap_name_ok(name))
		errx(JF_EXIT_FAILURE,
		     "invalid snapshot name '%s' (1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -)",
		     name, JETFREEZE_SNAPSHOT_NAME_LEN - 1);
}

static uint32_t jf_parse_chunk(const char *s)
{
	uint64_t kib = jf_parse_u64(s, "chunk size");

	if (kib < 4 || kib > 1024 || (kib & (kib - 1)))
		errx(JF_EXIT_FAILURE,
		     "invalid chunk size: '%s' (KiB, a power of two from 4 to 1024)",
		     s);
	return kib;
}

/* Options of create and run; returns the index of the first operand. */
static int jf_parse_snap_opts(int argc, char **argv, struct jf_snap_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "+t:Jvh", jf_snap_longopts,
				NULL)) != -1) {
		switch (c) {
		case OPT_DIFF_STORAGE:
			if (o->nr_diff == JF_SNAP_MAX_DIFF)
				errx(JF_EXIT_FAILURE,
				     "at most %d --diff-storage", JF_SNAP_MAX_DIFF);
			o->diff[o->nr_diff++] = optarg;
			break;
		case OPT_NAME:
			jf_snap_check_name(optarg);
			o->name = optarg;
			break;
		case OPT_PERSIST:
			o->flags |= JETFREEZE_SNAPSHOT_PERSIST;
			break;
		case OPT_WRITABLE:
			o->flags |= JETFREEZE_SNAPSHOT_WRITABLE;
			break;
		case OPT_FS:
			o->flags |= JETFREEZE_SNAPSHOT_FS;
			break;
		case OPT_CHUNK:
			o->chunk_kib = jf_parse_chunk(optarg);
			break;
		case 't':
			o->timeout_ms = jf_parse_timeout(optarg);
			break;
		case OPT_NO_STACK:
			o->no_stack = true;
			break;
		case 'J':
			o->json = true;
			break;
		case 'v':
			jf_verbose = true;
			break;
		case 'h':
			jf_snap_help();
		default:
			jf_try_help();
		}
	}
	return optind;
}

/*
 * The node, from a module that takes snapshots and accepts @timeout_ms
 * (0: the module's default).
 */
int jf_snap_node(uint32_t timeout_ms)
{
	struct jetfreeze_version v;
	int fd = jf_open_node(), ret;

	ret = jfctl_version(fd, &v);
	if (ret)
		jf_fail_errno(-ret, "version");
	if (!(v.features & JETFREEZE_FEAT_SNAPSHOT))
		errx(JF_EXIT_NO_MODULE,
		     "the loaded module (%.32s, ABI %u.%u) cannot take snapshots; it is too old",
		     v.module_version, v.abi_major, v.abi_minor);
	if (timeout_ms > v.max_timeout_ms)
		errx(JF_EXIT_FAILURE,
		     "timeout %.3f s is above the module's cap of %u s (parameter max_timeout_sec)",
		     timeout_ms / 1000.0, v.max_timeout_ms / 1000);
	return fd;
}

/* The module's answer to a failed SNAPSHOT_CREATE, told plainly. */
static void jf_snap_fail(int code, const struct jetfreeze_snapshot_create *out,
			 const struct jf_snap_opts *o,
			 const struct jetfreeze_device *devs, unsigned int nr)
{
	uint32_t i = out->failed_index;
	bool diff = i != ~0U && (i & JETFREEZE_SNAPSHOT_DIFF_INDEX) &&
		    (i & ~JETFREEZE_SNAPSHOT_DIFF_INDEX) < o->nr_diff;
	bool dev = i != ~0U && !(i & JETFREEZE_SNAPSHOT_DIFF_INDEX) && i < nr;
	char label[512];

	if (diff)
		snprintf(label, sizeof(label), "diff storage %s",
			 o->diff[i & ~JETFREEZE_SNAPSHOT_DIFF_INDEX]);
	else if (dev)
		jf_dev_label(devs[i].major, devs[i].minor, label, sizeof(label));
	else
		snprintf(label, sizeof(label), "the snapshot");

	switch (code) {
	case EEXIST:
		errx(JF_EXIT_FAILURE, "a snapshot named '%s' exists already",
		     o->name);
	case EXDEV:
		errx(JF_EXIT_FAILURE,
		     "%s lies on a device of the snapshot; put it elsewhere",
		     label);
	case EBUSY:
		if (diff)
			errx(JF_EXIT_FAILURE,
			     "%s is in use: by another snapshot, or claimed (mounted, or under dm or md)",
			     label);
		errx(JF_EXIT_FAILURE,
		     "%s: in another snapshot already, or the diff storage of one",
		     label);
	case ENOTBLK:
		errx(JF_EXIT_FAILURE,
		     "%s: neither a block device nor a regular file", label);
	case ENOSPC:
		errx(JF_EXIT_FAILURE,
		     "%s: too small; the diff storage needs at least one chunk per origin",
		     diff ? label : "the diff storage");
	case EROFS:
		errx(JF_EXIT_FAILURE, "%s: not open for writing", label);
	case EBADF:
		errx(JF_EXIT_FAILURE, "%s: a bad file descriptor", label);
	case EOPNOTSUPP:
		if (diff)
			errx(JF_EXIT_FAILURE,
			     "%s: the file cannot take direct I/O", label);
		if (dev)
			errx(JF_EXIT_FAILURE,
			     "%s: cannot be snapshotted: a zoned device, or one whose writes in flight cannot be counted (see dmesg); nothing is frozen",
			     label);
		break;
	case EINVAL:
		errx(JF_EXIT_FAILURE,
		     "%s: the module refused the request as invalid (see dmesg)",
		     label);
	case ETIMEDOUT:
	case ENXIO:
	case ENODEV:
	case E2BIG:
	case EIO:
		jf_fail_freeze(code, label, nr);
	}
	jf_fail_errno(code, "snapshot");
}

/* Check, open, create; exits on any failure. */
static void jf_snap_take(int argc, char **argv, const struct jf_snap_opts *o,
			 int *node, struct jf_snap *s)
{
	struct jfctl_snapshot_req req = { 0 };
	struct jetfreeze_device *devs;
	int fds[JF_SNAP_MAX_DIFF];
	unsigned int nr, nr_origins, i;
	char names[512];
	int ret;

	if (!o->nr_diff) {
		warnx("no --diff-storage given: the snapshot needs somewhere to keep the old contents");
		jf_try_help();
	}
	devs = jf_snap_devices(argv, argc, !o->no_stack, &nr, &nr_origins);
	jf_snap_open_diff(o->diff, o->nr_diff, devs, nr_origins, fds);

	*node = jf_snap_node(o->timeout_ms);
	s->nr_images = nr_origins;
	s->images = calloc(nr_origins, sizeof(*s->images));
	if (!s->images)
		err(JF_EXIT_FAILURE, "out of memory");
	req.devs = devs;
	req.nr_devices = nr;
	req.nr_origins = nr_origins;
	req.diff_fds = fds;
	req.nr_diff = o->nr_diff;
	req.flags = o->flags;
	req.chunk_kib = o->chunk_kib;
	req.timeout_ms = o->timeout_ms;
	req.name = o->name;

	snprintf(names, sizeof(names), "%s", argv[0]);
	for (i = 1; i < (unsigned int)argc; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 " %s", argv[i]);
	jf_note("snapshot of %s (%u devices frozen for it)", names, nr);
	ret = jfctl_snapshot_create(*node, &req, s->images, &s->out);
	if (ret)
		jf_snap_fail(-ret, &s->out, o, devs, nr);
	jf_note("snapshot %s taken: writes held %.1f ms, of which draining and flushing %.1f ms",
		s->out.name, s->out.hold_ns / 1e6, s->out.drain_ns / 1e6);
	/* the module holds the diff storage now */
	for (i = 0; i < o->nr_diff; i++)
		close(fds[i]);
	free(devs);
	jf_wait_images(s->images, s->nr_images);
}

static void jf_snap_print(const struct jf_snap *s, bool json)
{
	char origin[PATH_MAX], image[PATH_MAX];
	struct jf_json j;
	unsigned int i;

	if (!json) {
		printf("%s\n", s->out.name);
		for (i = 0; i < s->nr_images; i++) {
			jf_origin_path(&s->images[i], origin, sizeof(origin));
			jf_image_path(&s->images[i], image, sizeof(image));
			printf("%s %s\n", origin, image);
		}
		return;
	}
	jf_json_begin(&j, stdout);
	jf_json_string(&j, "name", s->out.name);
	jf_json_u64(&j, "id", s->out.snapshot_id);
	jf_json_string(&j, "state", "active");
	jf_json_bool(&j, "persist",
		     s->out.flags & JETFREEZE_SNAPSHOT_PERSIST);
	jf_json_bool(&j, "writable",
		     s->out.flags & JETFREEZE_SNAPSHOT_WRITABLE);
	jf_json_u64(&j, "drain_ns", s->out.drain_ns);
	jf_json_u64(&j, "hold_ns", s->out.hold_ns);
	jf_json_array(&j, "devices");
	for (i = 0; i < s->nr_images; i++) {
		jf_origin_path(&s->images[i], origin, sizeof(origin));
		jf_image_path(&s->images[i], image, sizeof(image));
		jf_json_object(&j, NULL);
		jf_json_string(&j, "origin", origin);
		jf_json_string(&j, "image", image);
		jf_json_end_object(&j);
	}
	jf_json_end_array(&j);
	jf_json_finish(&j);
}

static int jf_snap_create(int argc, char **argv)
{
	struct jf_snap_opts o;
	struct jf_snap s;
	int first, node;

	first = jf_parse_snap_opts(argc, argv, &o);
	if (first == argc) {
		warnx("no device given");
		jf_try_help();
	}
	/* We return at once: a snapshot owned by our file would go with it. */
	o.flags |= JETFREEZE_SNAPSHOT_PERSIST;
	jf_snap_take(argc - first, argv + first, &o, &node, &s);
	jf_snap_print(&s, o.json);
	free(s.images);
	close(node);
	return JF_EXIT_OK;
}

/* The entry of snapshot @id in the list, or NULL when it is gone. */
static bool jf_snap_state(int node, uint64_t id,
			  struct jetfreeze_snapshot_entry *found)
{
	struct jetfreeze_snapshot_entry *e = NULL;
	unsigned int i, n = 0;
	bool there = false;
	int ret;

	ret = jfctl_snapshot_list(node, &e, &n);
	if (ret)
		jf_fail_errno(-ret, "snapshot list");
	for (i = 0; i < n && !there; i++) {
		if (e[i].snapshot_id == id) {
			*found = e[i];
			there = true;
		}
	}
	free(e);
	return there;
}

static int jf_snap_run(int argc, char **argv)
{
	struct jetfreeze_snapshot_entry e;
	struct jf_snap_opts o;
	struct jf_snap s;
	char *env = NULL;
	size_t envlen = 0;
	FILE *f;
	int first, sep, node, status, ret;
	unsigned int i;

	first = jf_parse_snap_opts(argc, argv, &o);
	if (o.flags & JETFREEZE_SNAPSHOT_PERSIST)
		errx(JF_EXIT_FAILURE,
		     "--persist: the snapshot of 'run' is deleted when the command ends; use 'snapshot create'");
	if (o.json)
		errx(JF_EXIT_FAILURE,
		     "--json: 'run' prints nothing; the command finds the images in JETFREEZE_IMAGES");
	for (sep = first; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	/* "run -- cmd": getopt took the "--" as the end of the options */
	if (sep == argc && first > 1 && !strcmp(argv[first - 1], "--")) {
		warnx("no device given");
		jf_try_help();
	}
	if (sep == first) {
		warnx("no device given");
		jf_try_help();
	}
	if (sep >= argc - 1) {
		warnx("no command given (put it after --)");
		jf_try_help();
	}
	jf_snap_take(sep - first, argv + first, &o, &node, &s);

	f = open_memstream(&env, &envlen);
	if (!f)
		err(JF_EXIT_FAILURE, "out of memory");
	for (i = 0; i < s.nr_images; i++) {
		char origin[PATH_MAX], image[PATH_MAX];

		jf_origin_path(&s.images[i], origin, sizeof(origin));
		jf_image_path(&s.images[i], image, sizeof(image));
		fprintf(f, "%s%s=%s", i ? " " : "", origin, image);
	}
	if (fclose(f))
		err(JF_EXIT_FAILURE, "out of memory");
	if (setenv("JETFREEZE_SNAPSHOT", s.out.name, 1) ||
	    setenv("JETFREEZE_IMAGES", env, 1))
		err(JF_EXIT_FAILURE, "setenv");
	free(env);

	status = jf_run_command(argv + sep + 1);

	if (!jf_snap_state(node, s.out.snapshot_id, &e)) {
		warnx("snapshot %s was deleted while the command ran: what it read from the images may be incomplete",
		      s.out.name);
		return JF_EXIT_BROKEN;
	}
	ret = jfctl_snapshot_delete(node, s.out.name);
	if (ret && ret != -ENOENT)
		jf_fail_errno(-ret, "snapshot delete");
	close(node);
	free(s.images);
	if (e.state == JETFREEZE_SNAPSHOT_FAILED) {
		warnx("snapshot %s failed while the command ran (%s): discard what it read from the images",
		      e.name, jf_snap_error_str(e.error));
		return JF_EXIT_BROKEN;
	}
	return status;
}

static int jf_snap_delete(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, node, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			jf_verbose = true;
			break;
		case 'h':
			jf_snap_help();
		default:
			jf_try_help();
		}
	}
	if (optind != argc - 1) {
		warnx(optind == argc ? "no snapshot name given" :
		      "one snapshot at a time");
		jf_try_help();
	}
	jf_snap_check_name(argv[optind]);
	node = jf_snap_node(0);
	ret = jfctl_snapshot_delete(node, argv[optind]);
	if (ret == -ENOENT)
		errx(JF_EXIT_FAILURE, "no snapshot named '%s'", argv[optind]);
	if (ret)
		jf_fail_errno(-ret, "snapshot delete");
	jf_note("deleted snapshot %s", argv[optind]);
	close(node);
	return JF_EXIT_OK;
}

int jf_cmd_snapshot(int argc, char **argv)
{
	if (argc < 2) {
		warnx("no snapshot command given (create, run, list or delete)");
		jf_try_help();
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		jf_snap_help();
	if (!strcmp(argv[1], "create"))
		return jf_snap_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return jf_snap_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return jf_snap_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "delete"))
		return jf_snap_delete(argc - 1, argv + 1);
	warnx("unknown snapshot command '%s'", argv[1]);
	jf_try_help();
}
