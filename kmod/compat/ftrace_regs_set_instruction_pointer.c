// SPDX-License-Identifier: GPL-2.0-only
/* 6.2: renamed from ftrace_instruction_pointer_set() */
#include <linux/ftrace.h>

void jf_probe(struct ftrace_regs *fregs, unsigned long ip);
void jf_probe(struct ftrace_regs *fregs, unsigned long ip)
{
	ftrace_regs_set_instruction_pointer(fregs, ip);
}
