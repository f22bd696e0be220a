// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interception point: an ftrace redirect of submit_bio_noacct(), the
 * exported function every bio passes on its way to a driver, at the top
 * of the stack and again, nested, when dm, md, bio splitting or the
 * bio_set rescuer send it on.  Livepatch uses the same mechanism; it needs
 * no unexported symbol and writes into no other driver's structures.
 *
 * Only the bios a hold acts on are redirected (jf_bio_is_held_class()),
 * and swap writes while a snapshot exists (cow.c must see them): reads,
 * flushes without data and other swap never enter the module, so they
 * cost only the callback, and unloading never waits for them.
 */
#include "jetfreeze.h"

#include <linux/ftrace.h>
#include <linux/module.h>

static void notrace jf_ftrace_handler(unsigned long ip,
				      unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	struct bio *bio;

	/* our own call of the original */
	if (within_module(parent_ip, THIS_MODULE) ||
	    READ_ONCE(jf_test_no_redirect))
		return;
	/* NULL where the argument cannot be read: then redirect everything */
	bio = jf_ftrace_first_arg(fregs);
	if (bio && !jf_bio_is_held_class(bio) && !jf_bio_is_swap_out(bio))
		return;
	jf_ftrace_redirect(fregs, (unsigned long)jf_submit_bio);
}

static struct ftrace_ops jf_ops = {
	.func = jf_ftrace_handler,
	/*
	 * PERMANENT: while we are registered, kernel.ftrace_enabled cannot
	 * be switched off underneath held writes.
	 */
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
		 JF_FTRACE_SAVE_REGS,
};

static void notrace jf_ftrace_nop(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops,
				  struct ftrace_regs *fregs)
{
}

/*
 * register_ftrace_function() says -EBUSY both when another IPMODIFY user
 * owns the function and when kernel.ftrace_enabled is 0.  A PERMANENT
 * probe without IPMODIFY tells the two apart.
 */
static struct ftrace_ops jf_probe_ops = {
	.func = jf_ftrace_nop,
	.flags = FTRACE_OPS_FL_PERMANENT,
};

static bool jf_ftrace_switched_off(unsigned long target)
{
	bool off = false;

	if (ftrace_set_filter_ip(&jf_probe_ops, target, 0, 0))
		return false;
	if (register_ftrace_function(&jf_probe_ops) == -EBUSY)
		off = true;
	else
		unregister_ftrace_function(&jf_probe_ops);
	ftrace_free_filter(&jf_probe_ops);
	return off;
}

int jf_hook_init(void)
{
	unsigned long target = (unsigned long)submit_bio_noacct;
	int ret;

	ret = ftrace_set_filter_ip(&jf_ops, target, 0, 0);
	if (ret) {
		pr_err("cannot trace submit_bio_noacct (error %d): this kernel has no usable dynamic ftrace, or ftrace shut itself down after an error\n",
		       ret);
		return ret;
	}

	ret = register_ftrace_function(&jf_ops);
	if (ret) {
		ftrace_free_filter(&jf_ops);
		if (ret == -EBUSY && jf_ftrace_switched_off(target))
			pr_err("cannot hook submit_bio_noacct: ftrace is switched off (sysctl kernel.ftrace_enabled=0); set it to 1 and load again\n");
		else if (ret == -EBUSY)
			pr_err("cannot hook submit_bio_noacct: another module already redirects it (a livepatch, Veeam's bdevfilter or similar); only one may\n");
		else
			pr_err("cannot hook submit_bio_noacct (error %d)\n",
			       ret);
		return ret;
	}
	return 0;
}

/*
 * Nobody is left inside the module's submit path once this returns.
 *
 * While the ops is registered the patched call site leads into our text,
 * so we must not return before unregistering worked: if ftrace refuses
 * (it shut itself down after an error), freeing the module would leave
 * the next bio running freed code.  Keep trying instead, saying why; the
 * module then stays in memory, and rmmod waits, until it works or the
 * machine reboots.
 */
void jf_hook_exit(void)
{
	unsigned int tries = 0;
	int ret;

	for (;;) {
		ret = jf_test_fail(JF_TEST_UNHOOK) ? -ENODEV :
		      unregister_ftrace_function(&jf_ops);
		if (!ret)
			break;
		if (!tries++)
			pr_crit("cannot unhook submit_bio_noacct (error %d): its call still leads into this module, which stays in memory and tries again every second; if ftrace has failed for good, only a reboot removes it\n",
				ret);
		schedule_timeout_idle(HZ);
	}
	if (tries)
		pr_info("unhooked submit_bio_noacct at attempt %u\n", tries + 1);
	ftrace_free_filter(&jf_ops);
	/* a redirected call may be between the trampoline and its record... */
	synchronize_rcu_tasks();
	jf_track_exit();
	/* ...or between removing its record and its return */
	synchronize_rcu_tasks();
}
