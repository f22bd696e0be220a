// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only: claim submit_bio_noacct() with an IPMODIFY ftrace ops that
 * changes nothing, the way a livepatch or Veeam's bdevfilter would, so the
 * VM suite can check that jetfreeze refuses to load next to it and says
 * why.
 */
#include <linux/blkdev.h>
#include <linux/ftrace.h>
#include <linux/module.h>

static void notrace jftest_nop(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *ops,
			       struct ftrace_regs *fregs)
{
}

static struct ftrace_ops jftest_ops = {
	.func = jftest_nop,
	.flags = FTRACE_OPS_FL_IPMODIFY,
};

static int __init jftest_init(void)
{
	int ret = ftrace_set_filter_ip(&jftest_ops,
				       (unsigned long)submit_bio_noacct, 0, 0);

	if (ret)
		return ret;
	ret = register_ftrace_function(&jftest_ops);
	if (ret)
		ftrace_free_filter(&jftest_ops);
	return ret;
}

static void __exit jftest_exit(void)
{
	unregister_ftrace_function(&jftest_ops);
	ftrace_free_filter(&jftest_ops);
}

module_init(jftest_init);
module_exit(jftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("jetfreeze test: an IPMODIFY user of submit_bio_noacct");
