/* SPDX-License-Identifier: MIT */
/* `monitor` commands (qRcmd): output goes to gdb's console. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "../libvmcore/pgwalk.h"
#include "libraries.h"
#include "server.h"

#ifndef VMC_VERSION
#define VMC_VERSION "unknown"
#endif

struct monitor_cmd {
	const char *name;
	const char *args;
	const char *help;
	void (*fn)(struct server *s, const char *args, struct strbuf *out);
};

static const struct monitor_cmd commands[];

static void human(struct strbuf *out, uint64_t bytes)
{
	if (bytes >= (UINT64_C(1) << 30))
		strbuf_addf(out, "%.1f GiB", (double)bytes / (1 << 30));
	else if (bytes >= (UINT64_C(1) << 20))
		strbuf_addf(out, "%.1f MiB", (double)bytes / (1 << 20));
	else if (bytes >= 1024)
		strbuf_addf(out, "%.1f KiB", (double)bytes / 1024);
	else
		strbuf_addf(out, "%" PRIu64 " bytes", bytes);
}

static void cmd_help(struct server *s, const char *args, struct strbuf *out)
{
	(void)s, (void)args;
	strbuf_adds(out, "gdbserver-vmcore monitor commands:\n");
	for (const struct monitor_cmd *c = commands; c->name; c++)
		strbuf_addf(out, "  %-14s %-8s %s\n", c->name, c->args, c->help);
}

/*
 * x86_64 links per-CPU variables at 0 and gdb relocates them by the
 * KASLR offset with the rest of vmlinux, so kernel-style per-CPU
 * arithmetic (&var + __per_cpu_offset[n], as Linux's scripts/gdb do it
 * for $lx_current() and $lx_per_cpu()) is off by that offset.  Loading
 * the vmlinux this way keeps the section at 0 (gdbserver-vmcore(1),
 * LINUX'S GDB SCRIPTS).
 */
static void info_pcpu_recipe(struct server *s, struct strbuf *out)
{
	uint64_t kaslr = vmcore_kaslr_offset(s->vc);

	if (!s->arch->percpu_zero_based || kaslr == 0 ||
	    (s->pcpu_window && s->pcpu_start == 0))
		return;
	strbuf_addf(out, "per-cpu      kernel-style per-CPU arithmetic "
		    "(scripts/gdb $lx_current()) needs the section at 0; "
		    "in gdb: symbol-file, then add-symbol-file %s -o 0x%"
		    PRIx64 " -s .data..percpu 0\n",
		    s->opts.vmlinux ? s->opts.vmlinux : "VMLINUX", kaslr);
}

static void info_kaslr(struct server *s, struct strbuf *out)
{
	const char *how = vmcore_vmcoreinfo(s->vc, "KERNELOFFSET") ?
			  "KERNELOFFSET" : "SYMBOL(_stext) - vmlinux _stext";

	if (s->kaslr && s->client_lldb)
		strbuf_addf(out, "kaslr        offset 0x%" PRIx64 " (%s); lldb "
			    "slides vmlinux by qOffsets Text=0x%" PRIx64
			    " (target modules load --slide 0x%" PRIx64 ")\n",
			    s->kaslr, how, s->kaslr, s->kaslr);
	else if (s->kaslr)
		strbuf_addf(out, "kaslr        offset 0x%" PRIx64 " (%s); gdb "
			    "relocates vmlinux by qOffsets TextSeg=0x%" PRIx64
			    "\n", s->kaslr, how,
			    s->kernel_link_base + s->kaslr);
	else if (vmcore_kaslr_known(s->vc) &&
		 !vmcore_vmcoreinfo(s->vc, "KERNELOFFSET"))
		strbuf_adds(out, "kaslr        offset 0 (SYMBOL(_stext) - "
			    "vmlinux _stext: KASLR off): vmlinux is used at "
			    "its link addresses\n");
	else if (server_offsets_warning(s))
		strbuf_adds(out, "kaslr        unknown: no KERNELOFFSET in "
			    "VMCOREINFO and no --vmlinux; vmlinux is used at "
			    "its link addresses\n");
	else if (vmcore_vmcoreinfo(s->vc, "KERNELOFFSET"))
		strbuf_adds(out, "kaslr        KERNELOFFSET is 0 (KASLR off): "
			    "vmlinux is used at its link addresses\n");
	else
		strbuf_adds(out, "kaslr        no KERNELOFFSET in VMCOREINFO: "
			    "vmlinux is used at its link addresses\n");
	if (s->pcpu_window)
		strbuf_addf(out, "per-cpu      0x%" PRIx64 "-0x%" PRIx64
			    " (where gdb put the per-CPU section) reads the "
			    "selected thread's CPU area\n", s->pcpu_start,
			    s->pcpu_end);
	info_pcpu_recipe(s, out);
}

/* Pointer authentication (aarch64): who strips signed return addresses. */
static void info_pac(struct server *s, struct strbuf *out)
{
	bool masks = false;

	if (!s->arch->strip_pac)
		return;
	for (size_t i = 0; i < s->arch->nregs; i++)
		masks |= s->arch->regs[i].prstatus_offset == ARCH_REG_DUMP &&
			 arch_reg_present(s->arch, s->vc, false, i);
	if (!masks)
		strbuf_adds(out, "pac          no KERNELPACMASK in VMCOREINFO: "
			    "return addresses are not signed\n");
	else if (s->opts.strip_pac)
		strbuf_adds(out, "pac          kernel return addresses are "
			    "served stripped (default; --keep-pac serves "
			    "memory as it is); no pauth registers\n");
	else
		strbuf_adds(out, "pac          gdb strips return addresses "
			    "with the pauth registers (KERNELPACMASK, "
			    "--keep-pac); gdb 13 gets kernel ones wrong\n");
}

static void info_filter(struct server *s, struct strbuf *out)
{
	int level = vmcore_dump_level(s->vc);
	uint64_t n = vmcore_excluded_pages(s->vc);

	if (level < 0)
		return;
	strbuf_addf(out, "filtered     dump level %d, %" PRIu64 " pages "
		    "excluded; they read as %s (monitor zero-excluded "
		    "on|off)\n", level, n, vmcore_zero_excluded(s->vc) ?
		    "zeros" : "errors");
}

static void info_segments(struct server *s, struct strbuf *out)
{
	size_t n = vmcore_num_segments(s->vc);
	uint64_t total = 0, missing = 0;

	for (size_t i = 0; i < n; i++) {
		const struct vmc_segment *g = vmcore_segment(s->vc, i);

		total += g->memsz;
		missing += g->filesz - g->avail;
	}
	strbuf_addf(out, "segments     %zu %s, ", n, vmcore_dump_level(s->vc) >= 0
		    ? "RAM ranges" : "PT_LOAD");
	human(out, total);
	strbuf_adds(out, " of memory\n");
	for (size_t i = 0; i < n; i++) {
		const struct vmc_segment *g = vmcore_segment(s->vc, i);

		strbuf_addf(out, "  %3zu  phys 0x%09" PRIx64 "-0x%09" PRIx64
			    "  virt 0x%016" PRIx64 "  ", i, g->paddr,
			    g->paddr + g->memsz, g->vaddr);
		human(out, g->memsz);
		if (g->avail < g->filesz) {
			strbuf_adds(out, ", missing ");
			human(out, g->filesz - g->avail);
		}
		strbuf_adds(out, "\n");
	}
	info_filter(s, out);
	strbuf_adds(out, "missing      ");
	if (missing) {
		human(out, missing);
		strbuf_adds(out, " past the end of the file (truncated dump)\n");
	} else {
		strbuf_adds(out, "none\n");
	}
}

static void cmd_info(struct server *s, const char *args, struct strbuf *out)
{
	const char *rel = vmcore_vmcoreinfo(s->vc, "OSRELEASE");
	const struct vmc_cpu *pc = vmcore_cpu(s->vc,
					      s->threads[s->panic_thread].cpu);

	/*
	 * Linux's scripts/gdb (utils.py get_gdbserver_type()) take a stub
	 * whose "monitor info version" prints anything for QEMU's, and then
	 * gdb's thread N for CPU N - 1 (cpus.py get_current_cpu()): true of
	 * our threads too, in both modes (threads.c order_threads()).
	 */
	while (*args == ' ')
		args++;
	if (strcmp(args, "version") == 0) {
		strbuf_addf(out, "gdbserver-vmcore %s\n", VMC_VERSION);
		return;
	}
	strbuf_addf(out, "dump         %s\n", vmcore_path(s->vc));
	strbuf_addf(out, "format       %s, ", vmcore_format(s->vc));
	human(out, vmcore_file_size(s->vc));
	if (vmcore_flat_records(s->vc))
		strbuf_addf(out, " (makedumpfile flattened stream, %zu "
			    "records)", vmcore_flat_records(s->vc));
	strbuf_addf(out, "\narchitecture %s\n", s->arch->name);
	strbuf_addf(out, "release      %s\n", rel ? rel : "unknown (no "
		    "VMCOREINFO OSRELEASE)");
	info_kaslr(s, out);
	info_pac(s, out);
	strbuf_addf(out, "translation  %s\n", vmcore_translation(s->vc));
	strbuf_addf(out, "cpus         %zu; panic on CPU %u",
		    vmcore_num_cpus(s->vc), s->threads[s->panic_thread].cpu);
	/* QEMU's pr_pid is the vCPU number plus one, not a pid. */
	if (!pc->qemu)
		strbuf_addf(out, " (pid %d)", pc->pid);
	strbuf_addf(out, ", thread %" PRIu64 ", %s\n",
		    s->threads[s->panic_thread].tid,
		    s->panic_from_log ? "as the kernel log says"
				      : "guessed from the CPU notes");
	if (s->task_threads)
		strbuf_addf(out, "threads      %zu tasks (--threads tasks; "
			    "monitor ps lists them)\n", s->nthreads);
	else
		strbuf_adds(out, "threads      one per CPU\n");
	for (const char *l = s->thread_warnings.data, *nl; l && *l; l = nl + 1) {
		if (!(nl = strchr(l, '\n')))
			break;
		strbuf_addf(out, "warning      %.*s\n", (int)(nl - l), l);
	}
	info_segments(s, out);
	for (size_t i = 0; i < vmcore_num_warnings(s->vc); i++)
		strbuf_addf(out, "warning      %s\n", vmcore_warning(s->vc, i));
}

static void print_walk(const struct vmc_pgt *pgt, const struct vmc_walk *walk,
		       struct vmc_error *err, struct strbuf *out)
{
	for (unsigned i = 0; pgt && i < walk->nsteps; i++) {
		const struct vmc_walk_step *st = &walk->steps[i];

		strbuf_addf(out, "  %-4s index %3u  entry at 0x%" PRIx64
			    " = 0x%016" PRIx64 "\n", pgt->levels[st->level].name,
			    st->index, st->entry_paddr, st->entry);
	}
	if (err)
		strbuf_addf(out, "  %s\n", err->message);
	else
		strbuf_addf(out, "physical 0x%" PRIx64 " (page size 0x%" PRIx64
			    ")\n", walk->paddr, walk->page_size);
}

/* A user address: through the selected thread's task's page tables. */
static void vtop_user(struct server *s, uint64_t va, struct strbuf *out)
{
	const struct server_thread *t = &s->threads[s->g_thread];
	struct vmc_walk walk;
	struct vmc_pgt pgt;
	struct vmc_error *err = threads_user_pgt(s, s->g_thread, &pgt);

	strbuf_addf(out, "virtual 0x%" PRIx64 " (user, thread %s)\n", va,
		    t->name);
	if (err) {
		strbuf_addf(out, "  %s\n", err->message);
		vmc_error_destroy(err);
		return;
	}
	strbuf_addf(out, "  mm->pgd at physical 0x%" PRIx64 "\n", pgt.root);
	err = usermem_walk(s->vc, &pgt, va, &walk);
	print_walk(&pgt, &walk, err, out);
	vmc_error_destroy(err);
}

static void cmd_vtop(struct server *s, const char *args, struct strbuf *out)
{
	struct vmc_walk walk;
	struct vmc_error *err;
	char *end;
	uint64_t va;

	while (*args == ' ')
		args++;
	va = strtoull(args, &end, 0);
	if (end == args || (*end && *end != ' ')) {
		strbuf_adds(out, "usage: monitor vtop ADDRESS\n");
		return;
	}
	if (usermem_is_user(s->vc, va)) {
		vtop_user(s, va, out);
		return;
	}
	err = vmcore_pgwalk(s->vc, va, &walk);
	strbuf_addf(out, "virtual 0x%" PRIx64 "\n", va);
	print_walk(vmcore_pgt(s->vc), &walk, err, out);
	vmc_error_destroy(err);
}

static int dmesg_line(void *arg, uint64_t seq, uint64_t ts, const char *text,
		      size_t len)
{
	struct strbuf *out = arg;

	(void)seq;
	strbuf_addf(out, "[%5" PRIu64 ".%06" PRIu64 "] ", ts / 1000000000,
		    ts % 1000000000 / 1000);
	strbuf_add(out, text, len);
	strbuf_add(out, "\n", 1);
	return out->oom;
}

static void cmd_dmesg(struct server *s, const char *args, struct strbuf *out)
{
	struct vmc_error *err = vmcore_dmesg(s->vc, dmesg_line, out);

	(void)args;
	if (err)
		strbuf_addf(out, "%s\n", err->message);
	vmc_error_destroy(err);
}

static void cmd_zero_excluded(struct server *s, const char *args,
			      struct strbuf *out)
{
	while (*args == ' ')
		args++;
	if (strcmp(args, "on") == 0 || strcmp(args, "off") == 0)
		vmcore_set_zero_excluded(s->vc, strcmp(args, "on") == 0);
	else if (*args) {
		strbuf_adds(out, "usage: monitor zero-excluded [on|off]\n");
		return;
	}
	if (vmcore_dump_level(s->vc) < 0)
		strbuf_adds(out, "this dump is not filtered: nothing is "
			    "excluded\n");
	strbuf_addf(out, "excluded pages read as %s\n",
		    vmcore_zero_excluded(s->vc) ? "zeros" : "errors");
}

/* Like crash's ps: running tasks marked ">", the panicking one "*". */
static void cmd_ps(struct server *s, const char *args, struct strbuf *out)
{
	(void)args;
	if (!s->task_threads) {
		strbuf_adds(out, "no task list: it needs --vmlinux with debug "
			    "info (and --threads tasks, the default then)\n");
		return;
	}
	/* Task addresses as wide as the kernel's pointers. */
	int width = 2 * (int)s->arch->word_size;

	strbuf_addf(out, "     PID    PPID  CPU ST  %-*s  COMM              "
		    "THREAD\n", width + 2, "TASK");
	for (size_t i = 0; i < s->tasks.n; i++) {
		const struct task *t = &s->tasks.v[i];
		char mark = i == s->panic_thread ? '*' :
			    t->running_on >= 0 ? '>' : ' ';

		strbuf_addf(out, "%c%7d %7d %4d %c   0x%0*" PRIx64 "  %-16s  "
			    "%" PRIu64 "\n", mark, t->pid, t->ppid,
			    t->running_on >= 0 ? t->running_on : t->cpu,
			    t->state, width, t->addr, t->comm, t->tid);
		if (out->oom)
			return;
	}
	strbuf_addf(out, "%zu tasks; > running on a CPU, * the panicking "
		    "one\n", s->tasks.n);
}

static void cmd_modules(struct server *s, const char *args,
			struct strbuf *out)
{
	(void)args;
	libraries_monitor(s, out);
}

static const struct monitor_cmd commands[] = {
	{ "help", "", "this list", cmd_help },
	{ "info", "", "the dump: format, release, KASLR, CPUs, segments",
	  cmd_info },
	{ "dmesg", "", "the kernel log (printk ring buffer; no debug info "
	  "needed)", cmd_dmesg },
	{ "ps", "", "the kernel's tasks: pid, ppid, cpu, state, comm "
	  "(needs --vmlinux)", cmd_ps },
	{ "modules", "", "loaded modules: build-id, the file gdb gets (or "
	  "why none), add-symbol-file command (needs the vmlinux)",
	  cmd_modules },
	{ "vtop", "ADDRESS", "translate a virtual address, level by level "
	  "(user addresses: the selected thread's page tables)", cmd_vtop },
	{ "zero-excluded", "on|off", "read pages makedumpfile filtered out as "
	  "zeros, or fail", cmd_zero_excluded },
	{ NULL, NULL, NULL, NULL },
};

void monitor_command(struct server *s, const char *cmd)
{
	struct strbuf out;
	size_t n;

	while (*cmd == ' ')
		cmd++;
	n = strcspn(cmd, " ");
	strbuf_init(&out);
	for (const struct monitor_cmd *c = commands; c->name; c++) {
		if (n == strlen(c->name) && strncmp(cmd, c->name, n) == 0) {
			c->fn(s, cmd + n, &out);
			goto done;
		}
	}
	strbuf_addf(&out, "unknown monitor command \"%.*s\"; "
		    "\"monitor help\" lists them\n", (int)n, cmd);
done:
	if (!out.oom)
		server_console(s, out.data, out.len);
	strbuf_deinit(&out);
	strbuf_adds(&s->reply, "OK");
}
