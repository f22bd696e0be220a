/* SPDX-License-Identifier: GPL-2.0-only */
/* Dropping CAP_SYS_ADMIN, for the test programs' unprivileged checks. */
#ifndef JF_TEST_CAPS_H
#define JF_TEST_CAPS_H

#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

/* Keep running as this user, without CAP_SYS_ADMIN: 0, or -1 (errno). */
static inline int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1U << CAP_SYS_ADMIN);
	data[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	data[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data);
}

#endif
