// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interception point: an ftrace redirect of submit_bio_noacct(), the
 * exported function every bio passes on its way to a driver, at the top
 * of the stack and again, nested, when dm, md, bio splitting or the
 * bio_set rescuer send it on.  Livepatch uses the same mechanism; it needs
 * no unexported symbol and writes into no other driver's structures.
 */
#include "jetfreeze.h"

#include <linux/ftrace.h>
#include <linux/module.h>

/*
 * The original function.  Called from this module, so its ftrace callback
 * sees a parent inside us and does not redirect again.
 */
static noinline void notrace jf_submit_original(struct bio *bio)
{
	submit_bio_noacct(bio);
	/*
	 * Keep the call above out of tail position: as a sibling call its
	 * parent would be our caller's caller, the redirect would fire again
	 * and we would recurse until the stack overflows.
	 */
	barrier();
}

/*
 * Reads pass straight on.  This SRCU only keeps our text alive under them
 * for module unload; a freeze never waits for it, so reads stuck anywhere
 * in the system cannot delay one.
 */
static struct srcu_struct jf_pass_srcu;

/*
 * Where submit_bio_noacct() calls land, and how released bios go back in:
 * hold the bio or pass it on.  For writes the jf_srcu read section spans
 * the original call, so that a freeze, after a grace period, knows every
 * write we let through has reached its driver.
 */
void notrace jf_submit_bio(struct bio *bio)
{
	int idx;

	if (!jf_bio_is_write_class(bio)) {
		idx = srcu_read_lock(&jf_pass_srcu);
		jf_submit_original(bio);
		srcu_read_unlock(&jf_pass_srcu, idx);
		return;
	}
	idx = srcu_read_lock(&jf_srcu);
	if (!jf_hold_bio(bio))
		jf_submit_original(bio);
	srcu_read_unlock(&jf_srcu, idx);
}

static void notrace jf_ftrace_handler(unsigned long ip,
				      unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	if (!within_module(parent_ip, THIS_MODULE))
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

	ret = init_srcu_struct(&jf_pass_srcu);
	if (ret)
		return ret;
	ret = ftrace_set_filter_ip(&jf_ops, target, 0, 0);
	if (ret) {
		pr_err("cannot trace submit_bio_noacct (error %d): this kernel has no usable dynamic ftrace, or ftrace shut itself down after an error\n",
		       ret);
		cleanup_srcu_struct(&jf_pass_srcu);
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
		cleanup_srcu_struct(&jf_pass_srcu);
		return ret;
	}
	return 0;
}

/* Nobody is left inside jf_submit_bio() once this returns. */
void jf_hook_exit(void)
{
	int ret = jf_test_fail(JF_TEST_UNHOOK) ? -ENODEV :
		  unregister_ftrace_function(&jf_ops);

	if (ret)
		pr_err("cannot unhook submit_bio_noacct (error %d)\n", ret);
	ftrace_free_filter(&jf_ops);
	/* a redirected call may be between the trampoline and its lock... */
	synchronize_rcu_tasks();
	synchronize_srcu(&jf_srcu);
	synchronize_srcu(&jf_pass_srcu);
	/* ...or between its unlock and its return */
	synchronize_rcu_tasks();
	cleanup_srcu_struct(&jf_pass_srcu);
}
