/* SPDX-License-Identifier: MIT */
/*
 * The thread list: one thread per CPU, in NT_PRSTATUS order (the kernel
 * writes the notes for_each_present_cpu), or one per kernel task (with
 * the vmlinux's DWARF); and which one panicked.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "server.h"

/* What the kernel log says about the task that crashed. */
struct panic_line {
	bool found;
	long cpu, pid;
	char comm[64];
};

/* "Comm: NAME Not tainted ..." / "... Tainted: ..." / "... Kdump: loaded" */
static void parse_comm(const char *p, const char *end, char *comm, size_t cap)
{
	static const char *const stops[] = { " Kdump: loaded", " Not tainted",
					     " Tainted: " };
	const char *stop = end;
	size_t n;

	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		const char *q = memmem(p, (size_t)(end - p), stops[i],
				       strlen(stops[i]));

		if (q && q < stop)
			stop = q;
	}
	n = (size_t)(stop - p) < cap - 1 ? (size_t)(stop - p) : cap - 1;
	memcpy(comm, p, n);
	comm[n] = '\0';
}

/* dump_stack_print_info(): "CPU: %d PID: %d Comm: %.20s ..." */
static int find_panic_line(void *arg, uint64_t seq, uint64_t ts,
			   const char *text, size_t len)
{
	struct panic_line *pl = arg;
	const char *end = text + len, *comm;
	char head[64];
	long cpu, pid;
	int n;

	(void)seq, (void)ts;
	if (len < 20 || memcmp(text, "CPU: ", 5) != 0)
		return 0;
	snprintf(head, sizeof(head), "%.*s", (int)(len < 63 ? len : 63), text);
	if (sscanf(head, "CPU: %ld PID: %ld Comm: %n", &cpu, &pid, &n) != 2 ||
	    n <= 0)
		return 0;
	comm = text + n;
	pl->found = true;
	pl->cpu = cpu;
	pl->pid = pid;
	parse_comm(comm, end, pl->comm, sizeof(pl->comm));
	return 0;	/* keep going: the last such line is the crash's */
}

/*
 * QEMU's dump-guest-memory fills pr_pid with the vCPU number plus one,
 * not a Linux pid, and adds a "QEMU" CPU-state note per CPU: that tells
 * such notes apart.
 */
static bool linux_pids(const struct server *s)
{
	return vmcore_cpu(s->vc, 0)->qemu == NULL;
}

/*
 * The panicking CPU saved its registers from the panic path and the
 * others from the NMI that stopped them, so nothing in the notes names
 * it for sure.  What does: the crashing task has a pid (idle CPUs are
 * pid 0), and panic() disables interrupts before crash_kexec(), so
 * prefer a CPU with a task and IF clear, then any CPU with a task.
 */
static size_t guess_panic_cpu(struct server *s)
{
	size_t with_task = SIZE_MAX;

	if (!linux_pids(s))
		return 0;	/* nothing to go by */
	for (size_t i = 0; i < s->nthreads; i++) {
		const struct vmc_cpu *cpu = vmcore_cpu(s->vc, i);

		if (cpu->pid == 0)
			continue;
		if (with_task == SIZE_MAX)
			with_task = i;
		if (s->arch->irqs_disabled &&
		    s->arch->irqs_disabled(cpu->prstatus, cpu->prstatus_size))
			return i;
	}
	return with_task == SIZE_MAX ? 0 : with_task;
}

/* Believe the log only if that CPU's note has the same pid (when the
 * notes have Linux pids at all). */
static bool log_names_panic(struct server *s, const struct panic_line *pl)
{
	return pl->found && pl->cpu >= 0 && (size_t)pl->cpu < s->nthreads &&
	       (!linux_pids(s) ||
		vmcore_cpu(s->vc, (size_t)pl->cpu)->pid == pl->pid);
}

static void describe(struct server *s, size_t i, const struct panic_line *pl)
{
	const struct vmc_cpu *cpu = vmcore_cpu(s->vc, i);
	struct server_thread *t = &s->threads[i];
	const char *panic = i == s->panic_thread ? ", panic" : "";
	bool named = log_names_panic(s, pl) && (size_t)pl->cpu == i;

	t->tid = i + 1;
	t->cpu = (unsigned)i;
	snprintf(t->name, sizeof(t->name), "CPU %zu", i);
	if (!linux_pids(s))
		snprintf(t->extra, sizeof(t->extra), "CPU %zu%s%s%s", i,
			 named ? ", " : "", named ? pl->comm : "", panic);
	else if (cpu->pid == 0)
		/* pid 0 is always the CPU's idle task, swapper/N. */
		snprintf(t->extra, sizeof(t->extra), "CPU %zu, swapper/%zu "
			 "(idle)%s", i, i, panic);
	else if (named)
		snprintf(t->extra, sizeof(t->extra), "CPU %zu, %s pid %d%s",
			 i, pl->comm, cpu->pid, panic);
	else
		snprintf(t->extra, sizeof(t->extra), "CPU %zu, pid %d%s", i,
			 cpu->pid, panic);
}

/* One thread per CPU note. */
static struct vmc_error *cpu_threads(struct server *s,
				     const struct panic_line *pl)
{
	size_t n = vmcore_num_cpus(s->vc);

	s->threads = calloc(n, sizeof(*s->threads));
	if (!s->threads)
		return &vmc_enomem;
	s->nthreads = n;
	for (size_t i = 0; i < n; i++)
		describe(s, i, pl);
	return NULL;
}

/* ---- task mode ---------------------------------------------------------- */

static struct vmc_error *ctx_read(void *arg, uint64_t addr, void *buf,
				  size_t len)
{
	return vmcore_read_virt(((struct server *)arg)->vc, addr, buf, len,
				NULL);
}

static struct vmc_error *ctx_member(void *arg, const char *type,
				    const char *member, uint64_t *off_ret,
				    uint64_t *size_ret)
{
	return ktypes_member(((struct server *)arg)->types, type, member,
			     off_ret, size_ret);
}

static struct vmc_error *ctx_size(void *arg, const char *type, uint64_t *ret)
{
	return ktypes_sizeof(((struct server *)arg)->types, type, ret);
}

/* A sleeping task's saved registers; all unavailable when they do not
 * read (the thread is still listed). */
/* Tasks whose registers failed to read that get a warning line each;
 * the rest are counted. */
#define REGS_WARNINGS 8

static struct vmc_error *saved_regs(struct server *s, const struct task *tk,
				    struct server_thread *t, size_t *nfailed)
{
	const struct arch_task_ctx ctx = { s, ctx_read, ctx_member, ctx_size };
	struct vmc_error *err;

	t->regs = calloc(1, s->arch->prstatus.size);
	t->known = calloc(s->arch->nregs, sizeof(*t->known));
	if (!t->regs || !t->known)
		return &vmc_enomem;
	if (!s->arch->task_regs)
		return NULL;
	err = s->arch->task_regs(&ctx, tk->addr, t->regs, t->known);
	if (err == &vmc_enomem)
		return err;
	if (err) {
		memset(t->known, 0, s->arch->nregs * sizeof(*t->known));
		if ((*nfailed)++ < REGS_WARNINGS)
			strbuf_addf(&s->thread_warnings, "%s/%d: no saved "
				    "registers: %s\n", tk->comm, tk->pid,
				    err->message);
		{
			size_t n = strlen(t->extra);

			snprintf(t->extra + n, sizeof(t->extra) - n,
				 ", no registers");
		}
	}
	vmc_error_destroy(err);
	return NULL;
}
static struct vmc_error *describe_task(struct server *s,
				       const struct task *tk,
				       struct server_thread *t,
				       size_t *nfailed)
{
	bool panic = tk->running_on >= 0 &&
		     (size_t)tk->running_on == s->panic_thread;

	t->tid = tk->tid;
	snprintf(t->name, sizeof(t->name), "%s/%d", tk->comm, tk->pid);
	if (tk->running_on >= 0 &&
	    (size_t)tk->running_on < vmcore_num_cpus(s->vc)) {
		/* Running: the CPU note has its registers. */
		t->cpu = (unsigned)tk->running_on;
		snprintf(t->extra, sizeof(t->extra), "%c, running on CPU %d%s",
			 tk->state, tk->running_on, panic ? ", panic" : "");
		return NULL;
	}
	t->cpu = tk->cpu >= 0 ? (unsigned)tk->cpu : 0;
	snprintf(t->extra, sizeof(t->extra), "%c, CPU %d", tk->state, tk->cpu);
	return saved_regs(s, tk, t, nfailed);
}

/* The tasks of the dump, with the vmlinux's types and symbols. */
static struct vmc_error *read_tasks(struct server *s)
{
	struct vmc_error *err;

	if (!s->opts.vmlinux || !s->opts.vmlinux_info)
		return vmc_error_create(VMC_ERR_INVALID, "--threads tasks "
					"needs --vmlinux");
	if ((err = ktypes_open(s->opts.vmlinux, &s->types)))
		return err;
	return tasks_read(s->vc, s->types, s->opts.vmlinux_info,
			  vmcore_num_cpus(s->vc), &s->tasks,
			  &s->thread_warnings);
}

/* Where task->mm->pgd is, looked up at the first user read (nothing
 * added to the first prompt); without it, user reads say why. */
static void usermem_init(struct server *s)
{
	struct vmc_error *err = usermem_layout_read(s->types, &s->usermem);

	s->usermem_tried = true;
	s->have_usermem = !err;
	if (err)
		snprintf(s->usermem_why, sizeof(s->usermem_why), "%s",
			 err->message);
	vmc_error_destroy(err);
}

/*
 * CPU view: the vmlinux's types and the task list, read once at the
 * first user read (a CPU-view session that never reads user memory
 * pays nothing), kept apart from the task view's.
 */
static void cpu_usermem_init(struct server *s)
{
	struct vmc_error *err;

	s->usermem_tried = true;
	if (!s->opts.vmlinux || !s->opts.vmlinux_info) {
		snprintf(s->usermem_why, sizeof(s->usermem_why), "no user "
			 "memory in the CPU view without a vmlinux: user "
			 "addresses are read through a task's page tables");
		return;
	}
	err = ktypes_open(s->opts.vmlinux, &s->cpu_types);
	if (!err) {
		struct strbuf warnings;

		strbuf_init(&warnings);
		err = tasks_read(s->vc, s->cpu_types, s->opts.vmlinux_info,
				 vmcore_num_cpus(s->vc), &s->cpu_tasks,
				 &warnings);
		strbuf_deinit(&warnings);
	}
	if (!err)
		err = usermem_layout_read(s->cpu_types, &s->usermem);
	s->have_usermem = !err;
	if (err)
		snprintf(s->usermem_why, sizeof(s->usermem_why), "no user "
			 "memory: %s", err->message);
	vmc_error_destroy(err);
}

/* The task running on CPU thread THREAD's CPU, or 0. */
static uint64_t cpu_task(const struct server *s, size_t thread)
{
	for (size_t i = 0; i < s->cpu_tasks.n; i++)
		if (s->cpu_tasks.v[i].running_on >= 0 &&
		    (unsigned)s->cpu_tasks.v[i].running_on ==
		    s->threads[thread].cpu)
			return s->cpu_tasks.v[i].addr;
	return 0;
}

struct vmc_error *threads_user_pgt(struct server *s, size_t thread,
				   struct vmc_pgt *ret)
{
	uint64_t task;

	if (s->task_threads && !s->usermem_tried)
		usermem_init(s);
	else if (!s->task_threads && !s->usermem_tried)
		cpu_usermem_init(s);
	if (!s->have_usermem)
		return vmc_error_create(VMC_ERR_NOT_FOUND, "%s",
					s->usermem_why);
	if (s->task_threads)
		task = s->tasks.v[thread].addr;
	else if (!(task = cpu_task(s, thread)))
		return vmc_error_create(VMC_ERR_NOT_FOUND, "no task found "
			"running on CPU %u: no user memory",
			s->threads[thread].cpu);
	return usermem_pgt(s->vc, &s->usermem, task, ret);
}

static struct vmc_error *task_threads(struct server *s)
{
	struct vmc_error *err = read_tasks(s);
	size_t panic = SIZE_MAX, nfailed = 0;

	if (err)
		return err;
	s->threads = calloc(s->tasks.n, sizeof(*s->threads));
	if (!s->threads)
		return &vmc_enomem;
	s->nthreads = s->tasks.n;
	for (size_t i = 0; i < s->tasks.n; i++) {
		const struct task *tk = &s->tasks.v[i];

		if ((err = describe_task(s, tk, &s->threads[i], &nfailed)))
			return err;
		if (tk->running_on >= 0 &&
		    (size_t)tk->running_on == s->panic_thread)
			panic = i;
	}
	if (nfailed > REGS_WARNINGS)
		strbuf_addf(&s->thread_warnings, "%zu more tasks have no saved "
			    "registers\n", nfailed - REGS_WARNINGS);
	if (panic == SIZE_MAX)
		return vmc_error_create(VMC_ERR_FORMAT, "no task found running "
			"on the panicking CPU %zu", s->panic_thread);
	s->panic_thread = panic;
	s->task_threads = true;
	return NULL;
}

/*
 * The order gdb is given the threads in, which is the order it numbers
 * them in.  CPU threads: CPU 0 first.  Task threads: the tasks running
 * on CPU 0, 1, ... first, then the others by thread id.  So in both
 * modes gdb's thread N is CPU N - 1 for N up to the number of CPUs:
 * the convention of QEMU's gdbstub, which Linux's scripts/gdb rely on
 * (cpus.py get_current_cpu(), for $lx_current() and $lx_per_cpu()).
 */
static struct vmc_error *order_threads(struct server *s)
{
	size_t ncpus = vmcore_num_cpus(s->vc), n = 0;
	size_t *on_cpu;		/* index + 1 of the task running there */
	bool *placed;

	/* + 1: calloc(0) may be NULL, and a dump may have no CPU notes. */
	s->order = calloc(s->nthreads + 1, sizeof(*s->order));
	placed = calloc(s->nthreads + 1, sizeof(*placed));
	on_cpu = calloc(ncpus + 1, sizeof(*on_cpu));
	if (!s->order || !placed || !on_cpu) {
		free(placed);
		free(on_cpu);
		return &vmc_enomem;
	}
	for (size_t i = 0; s->task_threads && i < s->nthreads; i++) {
		int cpu = s->tasks.v[i].running_on;

		if (cpu >= 0 && (size_t)cpu < ncpus && !on_cpu[cpu])
			on_cpu[cpu] = i + 1;
	}
	for (size_t cpu = 0; cpu < ncpus; cpu++) {
		if (on_cpu[cpu]) {
			s->order[n++] = on_cpu[cpu] - 1;
			placed[on_cpu[cpu] - 1] = true;
		}
	}
	for (size_t i = 0; i < s->nthreads; i++)
		if (!placed[i])
			s->order[n++] = i;
	free(placed);
	free(on_cpu);
	return NULL;
}

static struct vmc_error *make_threads(struct server *s)
{
	struct panic_line pl = { 0 };
	struct vmc_error *err;

	if (vmcore_num_cpus(s->vc) == 0)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s has no NT_PRSTATUS note: there is no CPU to "
			"show", vmcore_path(s->vc));
	s->nthreads = vmcore_num_cpus(s->vc);
	/* The log is optional: without it we fall back to the notes. */
	vmc_error_destroy(vmcore_dmesg(s->vc, find_panic_line, &pl));
	s->panic_from_log = log_names_panic(s, &pl);
	s->panic_thread = s->panic_from_log ? (size_t)pl.cpu
					    : guess_panic_cpu(s);
	if (s->opts.threads == THREADS_CPUS ||
	    (s->opts.threads == THREADS_AUTO && !s->opts.vmlinux))
		return cpu_threads(s, &pl);
	err = task_threads(s);
	if (!err || err == &vmc_enomem ||
	    (s->opts.threads == THREADS_TASKS && err->code == VMC_ERR_INVALID))
		return err;
	/* No tasks after all: say why, and show the CPUs. */
	strbuf_addf(&s->thread_warnings, "threads are CPUs, not tasks: %s\n",
		    err->message);
	vmc_error_destroy(err);
	threads_deinit(s);
	return cpu_threads(s, &pl);
}

struct vmc_error *threads_init(struct server *s)
{
	struct vmc_error *err = make_threads(s);

	return err ? err : order_threads(s);
}

void threads_deinit(struct server *s)
{
	for (size_t i = 0; s->threads && i < s->nthreads; i++) {
		free(s->threads[i].regs);
		free(s->threads[i].known);
	}
	free(s->threads);
	s->threads = NULL;
	free(s->order);
	s->order = NULL;
	s->nthreads = 0;
	s->task_threads = false;
	s->have_usermem = false;
	s->usermem_tried = false;
	task_list_deinit(&s->cpu_tasks);
	ktypes_close(s->cpu_types);
	s->cpu_types = NULL;
	task_list_deinit(&s->tasks);
	ktypes_close(s->types);
	s->types = NULL;
}

long threads_index(const struct server *s, uint64_t tid)
{
	size_t lo = 0, hi = s->nthreads;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->threads[mid].tid == tid)
			return (long)mid;
		if (s->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void xml_escaped(struct strbuf *out, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '<': strbuf_adds(out, "&lt;"); break;
		case '>': strbuf_adds(out, "&gt;"); break;
		case '&': strbuf_adds(out, "&amp;"); break;
		case '"': strbuf_adds(out, "&quot;"); break;
		default: strbuf_add(out, text, 1);
		}
	}
}

void threads_xml(struct server *s, struct strbuf *out)
{
	strbuf_adds(out, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (size_t i = 0; i < s->nthreads; i++) {
		const struct server_thread *t = &s->threads[s->order[i]];

		strbuf_addf(out, "  <thread id=\"%" PRIx64 "\" core=\"%u\" "
			    "name=\"", t->tid, t->cpu);
		xml_escaped(out, t->name);
		strbuf_adds(out, "\">");
		xml_escaped(out, t->extra);
		strbuf_adds(out, "</thread>\n");
	}
	strbuf_adds(out, "</threads>\n");
}
