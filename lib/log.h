/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging.  ESE writes every stage of a snapshot to the Windows event log
 * (category ShadowCopy); we write the same stages to syslog, with ESE's
 * event id in the text so the two can be compared.  stderr stays quiet
 * unless JETFREEZE_DEBUG is set (to anything but "" or "0"), which also
 * turns on jf_debug() tracing.
 */
#ifndef JETFREEZE_LOG_H
#define JETFREEZE_LOG_H

#include <stdint.h>
#include <syslog.h>

/* ESE event ids (jetmsg.mc, category OS_SNAPSHOT_BACKUP). */
#define JF_EV_FREEZE_START		2001
#define JF_EV_FREEZE_START_ERROR	2002
#define JF_EV_FREEZE_STOP		2003
#define JF_EV_TIME_OUT			2004
#define JF_EV_PREPARE_FULL		2005
#define JF_EV_END			2006
#define JF_EV_ABORT			2007
#define JF_EV_PREPARE_INCREMENTAL	2008
#define JF_EV_PREPARE_COPY		2009
#define JF_EV_PREPARE_DIFFERENTIAL	2010
#define JF_EV_TRUNCATE_LOG_FILES	224
#define JF_EV_NO_TRUNCATE_LOG_FILES	225

/* A snapshot event: syslog always, stderr under JETFREEZE_DEBUG. */
void jf_event(int prio, unsigned int event, uint64_t snap_id,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Anything else worth a syslog line (why a Freeze was refused...). */
void jf_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Tracing: stderr only, and only under JETFREEZE_DEBUG. */
void jf_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Unit tests observe the event stream through this hook (called for every
 * jf_event and jf_log line, after formatting; @event is 0 for jf_log).
 */
typedef void (*jf_log_hook_fn)(int prio, unsigned int event, const char *msg);
void jf_log_set_hook(jf_log_hook_fn hook);

#endif /* JETFREEZE_LOG_H */
