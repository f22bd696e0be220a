/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jetfreeze(8): what the subcommands share.
 */
#ifndef JETFREEZE_TOOL_H
#define JETFREEZE_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "devmap.h"
#include "jfctl.h"

/* Exit status, documented in jetfreeze(8). */
#define JF_EXIT_OK		0
#define JF_EXIT_FAILURE		1
#define JF_EXIT_NO_MODULE	2	/* no /dev/jetfreeze, or not our ioctls */
#define JF_EXIT_BROKEN		3	/* the hold ended before thaw */

struct jf_hold_opts {
	uint32_t timeout_ms;		/* 0: the module's default */
	uint64_t max_held_bytes;	/* 0: no limit of our own */
	uint64_t max_held_bios;
	bool no_stack;			/* only the named devices */
	bool fs;			/* freeze the filesystems too */
	bool verbose;
};

/* jetfreeze.c */
extern bool jf_verbose;
void jf_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int jf_open_node(void);
void jf_fail_errno(int code, const char *what) __attribute__((noreturn));
void jf_fail_freeze(int code, const char *label, unsigned int nr_devices)
	__attribute__((noreturn));
void jf_try_help(void) __attribute__((noreturn));
uint64_t jf_parse_u64(const char *s, const char *what);
uint32_t jf_parse_timeout(const char *s);
int jf_run_command(char **argv);
struct jf_devset *jf_resolve(char *const *paths, int nr, bool stack);
void jf_describe_devs(const struct jf_devset *set, char *buf, size_t len);
const char *jf_dev_label(uint32_t major, uint32_t minor, char *buf,
			 size_t len);

/* hold.c */
int jf_cmd_run(int argc, char **argv);
int jf_cmd_freeze(int argc, char **argv);
int jf_cmd_thaw(int argc, char **argv);

/* snapshot.c */
#define JF_SNAP_MAX_DIFF	16	/* the module's limit */
int jf_cmd_snapshot(int argc, char **argv);
int jf_snap_node(uint32_t timeout_ms);

/* snapdevs.c */
struct jetfreeze_device *jf_snap_devices(char *const *paths, int nr, bool stack,
					 unsigned int *nr_devs,
					 unsigned int *nr_origins);
void jf_snap_open_diff(const char *const *paths, unsigned int nr,
		       const struct jetfreeze_device *origins,
		       unsigned int nr_origins, int *fds);
void jf_wait_images(const struct jetfreeze_snapshot_image *images,
		    unsigned int nr);
void jf_image_path(const struct jetfreeze_snapshot_image *im, char *buf,
		   size_t len);
void jf_origin_path(const struct jetfreeze_snapshot_image *im, char *buf,
		    size_t len);

/* snaplist.c */
int jf_snap_list(int argc, char **argv);
const char *jf_snap_error_str(int error);

/* status.c */
int jf_cmd_status(int argc, char **argv);
int jf_cmd_version(int argc, char **argv);

#endif /* JETFREEZE_TOOL_H */
