// SPDX-License-Identifier: GPL-2.0-only
/* Helpers shared by the unit tests; see helpers.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "devmap.h"
#include "global.h"
#include "helpers.h"
#include "kops.h"
#include "log.h"

/* ---- fake kernel --------------------------------------------------------- */

#define FAKE_FD_BASE	1000

static int fk_open(void *priv)
{
	struct fake_kernel *fk = priv;
	int ret;

	pthread_mutex_lock(&fk->lock);
	fk->opens++;
	ret = fk->open_err;
	if (!ret) {
		fk->open_fds++;
		ret = FAKE_FD_BASE + (int)fk->opens;
	}
	pthread_mutex_unlock(&fk->lock);
	return ret;
}

static void fk_close(void *priv, int fd)
{
	struct fake_kernel *fk = priv;

	pthread_mutex_lock(&fk->lock);
	fk->closes++;
	fk->open_fds--;
	/* Closing the file ends any hold it owns, as the module does. */
	fk->holding = false;
	pthread_mutex_unlock(&fk->lock);
}

static int fk_version(void *priv, int fd, struct jetfreeze_version *out)
{
	struct fake_kernel *fk = priv;
	int err;

	pthread_mutex_lock(&fk->lock);
	fk->versions++;
	err = fk->version_err;
	if (!err)
		*out = fk->version;
	pthread_mutex_unlock(&fk->lock);
	return err;
}

static int fk_freeze(void *priv, int fd, const struct jetfreeze_device *devs,
		     unsigned int nr, uint32_t timeout_ms,
		     struct jetfreeze_freeze *out)
{
	struct fake_kernel *fk = priv;
	int err;

	pthread_mutex_lock(&fk->lock);
	fk->freezes++;
	fk->nr_devs = nr < FAKE_MAX_DEVS ? nr : FAKE_MAX_DEVS;
	memcpy(fk->devs, devs, fk->nr_devs * sizeof(*devs));
	fk->timeout_ms = timeout_ms;
	memset(out, 0, sizeof(*out));
	out->failed_index = ~0U;
	err = fk->freeze_err;
	if (err) {
		out->failed_index = fk->freeze_failed_index;
	} else {
		fk->holding = true;
		fk->hold_broken = false;
		out->session_id = ++fk->last_hold;
		out->drain_ns = 1000;
	}
	pthread_mutex_unlock(&fk->lock);
	return err;
}

static int fk_thaw(void *priv, int fd, struct jetfreeze_thaw *out)
{
	struct fake_kernel *fk = priv;
	int err;

	pthread_mutex_lock(&fk->lock);
	fk->thaws++;
	err = fk->thaw_err;
	if (!err) {
		memset(out, 0, sizeof(*out));
		out->session_id = fk->last_hold;
		out->broken = fk->hold_broken && !fk->thaw_broken ?
			JETFREEZE_BROKEN_HELD_BYTES : fk->thaw_broken;
		out->nr_devices = fk->nr_devs;
		out->frozen_ns = 5000000;
		fk->holding = false;
	}
	pthread_mutex_unlock(&fk->lock);
	return err;
}

static int fk_hold_active(void *priv, int fd, uint64_t hold_id)
{
	struct fake_kernel *fk = priv;
	int ret;

	pthread_mutex_lock(&fk->lock);
	fk->hold_polls++;
	ret = fk->hold_active_err ? fk->hold_active_err : !fk->hold_broken;
	pthread_mutex_unlock(&fk->lock);
	return ret;
}

static int fk_resolve(void *priv, const char *path, struct jf_devset *set)
{
	struct fake_kernel *fk = priv;
	unsigned int maj, min, i;
	int err;

	pthread_mutex_lock(&fk->lock);
	fk->resolves++;
	err = fk->resolve_err;
	maj = fk->default_major;
	min = fk->default_minor;
	for (i = 0; i < 8 && fk->map[i].prefix; i++) {
		if (!strncmp(path, fk->map[i].prefix, strlen(fk->map[i].prefix))) {
			maj = fk->map[i].major;
			min = fk->map[i].minor;
			break;
		}
	}
	pthread_mutex_unlock(&fk->lock);
	return err ? err : jf_devset_add(set, makedev(maj, min), 0);
}

static const struct jf_kernel_ops fake_ops = {
	.open = fk_open,
	.close = fk_close,
	.version = fk_version,
	.freeze = fk_freeze,
	.thaw = fk_thaw,
	.hold_active = fk_hold_active,
	.resolve = fk_resolve,
};

void fake_kernel_install(struct fake_kernel *fk)
{
	memset(fk, 0, sizeof(*fk));
	pthread_mutex_init(&fk->lock, NULL);
	fk->version.size = sizeof(fk->version);
	fk->version.abi_major = JETFREEZE_ABI_MAJOR;
	fk->version.abi_minor = JETFREEZE_ABI_MINOR;
	fk->version.max_devices = 64;
	fk->version.features = JETFREEZE_FEAT_FREEZE | JETFREEZE_FEAT_STATUS |
			       JETFREEZE_FEAT_STAGES;
	fk->version.default_timeout_ms = 10000;
	fk->version.max_timeout_ms = 70000;
	strcpy(fk->version.module_version, "fake");
	fk->default_major = 254;
	fk->default_minor = 16;
	jf_kops_set(&fake_ops, fk);
}

void fake_kernel_remove(void)
{
	jf_kops_set(NULL, NULL);
}

/* ---- log events ----------------------------------------------------------- */

#define MAX_EVENTS	512

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int ev_ids[MAX_EVENTS];
static char *ev_msgs[MAX_EVENTS];
static unsigned int nr_ev;

static void ev_hook(int prio, unsigned int event, const char *msg)
{
	pthread_mutex_lock(&ev_lock);
	if (nr_ev < MAX_EVENTS) {
		ev_ids[nr_ev] = event;
		ev_msgs[nr_ev] = strdup(msg);
		nr_ev++;
	}
	pthread_mutex_unlock(&ev_lock);
}

static void ev_clear(void)
{
	unsigned int i;

	for (i = 0; i < nr_ev; i++)
		free(ev_msgs[i]);
	nr_ev = 0;
}

void events_start(void)
{
	pthread_mutex_lock(&ev_lock);
	ev_clear();
	pthread_mutex_unlock(&ev_lock);
	jf_log_set_hook(ev_hook);
}

unsigned int events_count(unsigned int event)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&ev_lock);
	for (i = 0; i < nr_ev; i++)
		n += ev_ids[i] == event;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

bool events_saw(const char *needle)
{
	bool seen = false;
	unsigned int i;

	pthread_mutex_lock(&ev_lock);
	for (i = 0; i < nr_ev && !seen; i++)
		seen = ev_msgs[i] && strstr(ev_msgs[i], needle);
	pthread_mutex_unlock(&ev_lock);
	return seen;
}

void events_stop(void)
{
	jf_log_set_hook(NULL);
	pthread_mutex_lock(&ev_lock);
	ev_clear();
	pthread_mutex_unlock(&ev_lock);
}

/* ---- engine fixture ------------------------------------------------------- */

static int cb_freeze_begin(JET_INSTANCE inst, void *ctx, unsigned int kind,
			   uint64_t *pos)
{
	struct cb_record *r = ctx;
	int ret;

	pthread_mutex_lock(&r->lock);
	r->freeze_begin++;
	r->last_kind = kind;
	*pos = r->position;
	ret = r->freeze_begin_ret;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void cb_freeze_end(JET_INSTANCE inst, void *ctx, int status)
{
	struct cb_record *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->freeze_end++;
	r->last_end_status = status;
	pthread_mutex_unlock(&r->lock);
}

static int cb_truncate(JET_INSTANCE inst, void *ctx, uint64_t pos)
{
	struct cb_record *r = ctx;
	int ret;

	pthread_mutex_lock(&r->lock);
	r->truncate++;
	r->last_truncate_pos = pos;
	ret = r->truncate_ret;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void cb_completed(JET_INSTANCE inst, void *ctx, unsigned int kind,
			 uint64_t pos)
{
	struct cb_record *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->completed++;
	r->completed_kind = kind;
	r->last_completed_pos = pos;
	pthread_mutex_unlock(&r->lock);
}

const struct jetfreeze_callbacks test_callbacks = {
	.freeze_begin = cb_freeze_begin,
	.freeze_end = cb_freeze_end,
	.truncate_log = cb_truncate,
	.backup_completed = cb_completed,
};

static char tmpdir[256];

const char *tmpdir_create(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/jftest.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fail_msg("mkdtemp: %s", strerror(errno));
	}
	return tmpdir;
}

void tmpdir_remove(void)
{
	if (tmpdir[0]) {
		/* Fixtures unlink their files; anything left is a test's own. */
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", tmpdir);
		tmpdir[0] = '\0';
	}
}

void instance_setup(struct test_instance *ti, const char *name, bool start)
{
	memset(ti, 0, sizeof(*ti));
	pthread_mutex_init(&ti->cb.lock, NULL);
	ti->cb.position = 42;
	if (!tmpdir[0])
		tmpdir_create();
	snprintf(ti->name, sizeof(ti->name), "%s", name);
	snprintf(ti->dbpath, sizeof(ti->dbpath), "%s/%s.edb", tmpdir, name);
	snprintf(ti->logpath, sizeof(ti->logpath), "%s/%s.log", tmpdir, name);
	assert_int_equal(jetfreeze_instance_create(&ti->id, name,
						   &test_callbacks, &ti->cb), 0);
	assert_int_equal(jetfreeze_file_open(ti->id, ti->dbpath,
					     O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_DATABASE, &ti->db), 0);
	assert_int_equal(jetfreeze_file_open(ti->id, ti->logpath,
					     O_RDWR | O_CREAT, 0644,
					     JETFREEZE_FILE_LOG, &ti->log), 0);
	if (start)
		assert_int_equal(jetfreeze_instance_start(ti->id), 0);
}

void instance_teardown(struct test_instance *ti)
{
	int err = jetfreeze_instance_stop(ti->id, 0);

	assert_true(err == 0 || err == -EINVAL);	/* -EINVAL: not running */
	assert_int_equal(jetfreeze_instance_destroy(ti->id), 0);
	unlink(ti->dbpath);
	unlink(ti->logpath);
	pthread_mutex_destroy(&ti->cb.lock);
}

void assert_no_sessions(void)
{
	bool none;

	/* assert outside the lock: a failing assert never returns */
	pthread_mutex_lock(&jf_g.lock);
	none = jf_g.sessions == NULL;
	pthread_mutex_unlock(&jf_g.lock);
	assert_true(none);
}

void msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

pthread_t thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}
