// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * syslog for snapshot events, stderr for tracing.  The library never calls
 * openlog(): the ident and facility belong to the application, so lines
 * carry a "libjetfreeze:" prefix instead.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
static bool debug_on;
static jf_log_hook_fn log_hook;

static void debug_init(void)
{
	const char *v = getenv("JETFREEZE_DEBUG");

	debug_on = v && *v && strcmp(v, "0");
}

static bool debugging(void)
{
	pthread_once(&debug_once, debug_init);
	return debug_on;
}

void jf_log_set_hook(jf_log_hook_fn hook)
{
	__atomic_store_n(&log_hook, hook, __ATOMIC_RELEASE);
}

static void emit(int prio, unsigned int event, const char *msg)
{
	jf_log_hook_fn hook = __atomic_load_n(&log_hook, __ATOMIC_ACQUIRE);

	syslog(LOG_USER | prio, "libjetfreeze: %s", msg);
	if (debugging())
		fprintf(stderr, "libjetfreeze: %s\n", msg);
	if (hook)
		hook(prio, event, msg);
}

void jf_event(int prio, unsigned int event, uint64_t snap_id,
	      const char *fmt, ...)
{
	char body[512], msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "event %u (ShadowCopy): snapshot %llu: %s",
		 event, (unsigned long long)snap_id, body);
	emit(prio, event, msg);
}

void jf_log(int prio, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(prio, 0, msg);
}

void jf_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debugging())
		return;
	va_start(ap, fmt);
	fputs("libjetfreeze: debug: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
