/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the unit tests: a fake kernel behind lib's seam, a small
 * engine fixture (instances with files in a temporary directory), and a
 * recorder of the library's log events.
 *
 * cmocka's assert_* may only run on the test's own thread; helpers that
 * run elsewhere record what they saw for the test to check.
 */
#ifndef JETFREEZE_TEST_HELPERS_H
#define JETFREEZE_TEST_HELPERS_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jetfreeze.h>
#include <jetfreeze/engine.h>
#include <linux/jetfreeze.h>

/* ---- fake kernel --------------------------------------------------------- */

#define FAKE_MAX_DEVS	64

struct fake_kernel {
	pthread_mutex_t lock;
	/* Knobs: what the next calls do. */
	int open_err;			/* -errno or 0 */
	int version_err;
	struct jetfreeze_version version;
	int freeze_err;
	uint32_t freeze_failed_index;
	uint32_t thaw_broken;		/* THAW reports this */
	int thaw_err;
	bool hold_broken;		/* STATUS says the hold ended */
	int hold_active_err;		/* -errno: STATUS unsupported */
	int resolve_err;
	/* dev_t per path: resolve() adds the entry whose path is a prefix
	 * of the file's; default_dev otherwise. */
	struct {
		const char *prefix;
		unsigned int major, minor;
	} map[8];
	unsigned int default_major, default_minor;

	/* Observations. */
	unsigned int opens, closes, versions, freezes, thaws, resolves;
	unsigned int hold_polls;
	int open_fds;			/* opened minus closed */
	bool holding;
	struct jetfreeze_device devs[FAKE_MAX_DEVS];
	unsigned int nr_devs;
	uint32_t timeout_ms;
	uint64_t last_hold;
	unsigned int thaw_count_at_freeze;
};

/* Install (knobs reset to a module that works) / restore the default. */
void fake_kernel_install(struct fake_kernel *fk);
void fake_kernel_remove(void);

/* ---- log events ----------------------------------------------------------- */

void events_start(void);
/* How many events with this id were logged since events_start(). */
unsigned int events_count(unsigned int event);
/* Was a log line containing @needle emitted since events_start()? */
bool events_saw(const char *needle);
void events_stop(void);

/* ---- engine fixture ------------------------------------------------------- */

/* What the engine callbacks saw, per instance. */
struct cb_record {
	pthread_mutex_t lock;
	unsigned int freeze_begin, freeze_end, truncate, completed;
	int freeze_begin_ret;		/* returned by freeze_begin */
	int truncate_ret;		/* returned by truncate_log */
	uint64_t position;		/* freeze_begin reports this */
	int last_end_status;
	unsigned int last_kind;
	uint64_t last_truncate_pos, last_completed_pos;
	unsigned int completed_kind;
};

struct test_instance {
	JET_INSTANCE id;
	char name[32];
	char dbpath[512];
	char logpath[512];
	struct jetfreeze_file *db;
	struct jetfreeze_file *log;
	struct cb_record cb;
};

extern const struct jetfreeze_callbacks test_callbacks;

/* A fresh temporary directory for the test (removed by tmpdir_remove). */
const char *tmpdir_create(void);
void tmpdir_remove(void);

/*
 * Create instance @name with a database and a log file in the temporary
 * directory; start it when @start.  Asserts success.
 */
void instance_setup(struct test_instance *ti, const char *name, bool start);
/* Stop (if running), destroy, unlink its files.  Asserts success. */
void instance_teardown(struct test_instance *ti);

/* The library has no session left (every test must end them). */
void assert_no_sessions(void);

/* Sleep @ms milliseconds. */
void msleep(unsigned int ms);

/* Run @fn(@arg) on a new thread. */
pthread_t thread_start(void *(*fn)(void *), void *arg);

/* Print cmocka's group under its name; TAP when CMOCKA_MESSAGE_OUTPUT=TAP. */
#define run_group(tests) \
	cmocka_run_group_tests_name(__FILE__, tests, NULL, NULL)

#endif /* JETFREEZE_TEST_HELPERS_H */
