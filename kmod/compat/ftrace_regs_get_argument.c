// SPDX-License-Identifier: GPL-2.0-only
/* 6.2: a traced function's arguments are read through ftrace_regs */
#include <linux/ftrace.h>

unsigned long jf_probe(struct ftrace_regs *fregs);
unsigned long jf_probe(struct ftrace_regs *fregs)
{
	return ftrace_regs_get_argument(fregs, 0);
}
