// SPDX-License-Identifier: GPL-2.0
/*
 * vmcore_oops: crash the kernel on demand, for gdbserver-vmcore's tests
 * (tests/real/make-dump-x86_64-oops.sh).  Writing one word to
 * /proc/vmcore-oops picks the crash:
 *
 *   null      a NULL write in process context (page fault, oops)
 *   timer     a NULL write in an hrtimer callback 10 ms later, in hard
 *             interrupt mode, pinned: it runs inside the timer interrupt
 *             of the CPU that armed it (the writer's).  The writer spins
 *             in the kernel (oops_timer_wait) until then, so the
 *             interrupt always comes from kernel mode on the task stack
 *             and runs on the IRQ stack; had the write returned, it could
 *             come in user mode, where the kernel stays on the task stack.
 *             Not a timer_list: its softirq runs at the end of the
 *             interrupt only while softirqs keep up, otherwise in
 *             ksoftirqd, and which one happens depends on timing.
 *   bug       BUG(): ud2, asm_exc_invalid_op, oops
 *   warn      WARN(): ud2, asm_exc_invalid_op, a warning that panics with
 *             panic_on_warn=1 (panic() from inside the exception handler)
 *   overflow  unbounded recursion: the stack guard page is hit, the page
 *             fault cannot push its frame, the CPU raises #DF on its IST
 *             stack and the kernel reports a stack overflow
 *
 * The kernel is booted with oops=panic panic_on_warn=1 and a crash
 * kernel loaded, so each case ends in kdump.  Anything else written gets
 * -EINVAL.  Every crashing function is noinline so that it has a frame of
 * its own in the backtraces the tests compare.
 */
#include <linux/bug.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/uaccess.h>

/* Through a volatile pointer: the compiler may not assume it is NULL. */
static int *volatile oops_target;
/* Not a constant: the recursion has no bound the compiler can see. */
static int oops_depth_limit = INT_MAX;
static struct hrtimer oops_timer;

static noinline void oops_null_write(void)
{
	*oops_target = 1;
}

static noinline enum hrtimer_restart oops_timer_fn(struct hrtimer *t)
{
	*oops_target = 2;
	return HRTIMER_NORESTART;
}

/*
 * Interrupts are enabled here; the timer interrupt ends in a panic.  The
 * bound only keeps a timer that never came from hanging the guest.
 */
static noinline int oops_timer_wait(void)
{
	u64 end = ktime_get_ns() + NSEC_PER_SEC;

	hrtimer_start(&oops_timer, ms_to_ktime(10),
		      HRTIMER_MODE_REL_PINNED_HARD);
	while (ktime_get_ns() < end)
		cpu_relax();
	return -ETIMEDOUT;
}

static noinline void oops_bug(void)
{
	BUG();
}

static noinline void oops_warn(void)
{
	WARN(1, "vmcore_oops: warn requested\n");
}

static noinline int oops_recurse(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth < oops_depth_limit)
		pad[1] = (char)oops_recurse(depth + 1);
	return pad[0] + pad[1];
}

static ssize_t oops_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *pos)
{
	char word[16];
	size_t n = min(len, sizeof(word) - 1);

	if (copy_from_user(word, ubuf, n))
		return -EFAULT;
	word[n] = '\0';
	strim(word);
	if (!strcmp(word, "null"))
		oops_null_write();
	else if (!strcmp(word, "timer"))
		return oops_timer_wait();
	else if (!strcmp(word, "bug"))
		oops_bug();
	else if (!strcmp(word, "warn"))
		oops_warn();
	else if (!strcmp(word, "overflow"))
		oops_recurse(0);
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops oops_proc_ops = {
	.proc_write = oops_write,
};

static int __init vmcore_oops_init(void)
{
	hrtimer_init(&oops_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	oops_timer.function = oops_timer_fn;
	if (!proc_create("vmcore-oops", 0200, NULL, &oops_proc_ops))
		return -ENOMEM;
	return 0;
}

static void __exit vmcore_oops_exit(void)
{
	remove_proc_entry("vmcore-oops", NULL);
	hrtimer_cancel(&oops_timer);
}

module_init(vmcore_oops_init);
module_exit(vmcore_oops_exit);
MODULE_DESCRIPTION("crash the kernel on demand, for gdbserver-vmcore's tests");
MODULE_LICENSE("GPL");
