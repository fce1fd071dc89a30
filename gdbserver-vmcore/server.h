/* SPDX-License-Identifier: MIT */
/*
 * The remote target: one struct server per connection, holding all state;
 * packet handlers get it as their first argument.
 */
#ifndef VMC_SERVER_H
#define VMC_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../libvmcore/vmcore.h"
#include "rsp.h"
#include "../libkernel/strbuf.h"
#include "../libkernel/tasks.h"
#include "../libkernel/usermem.h"
#include "../libkernel/vmlinux.h"

struct server_opts {
	bool quiet;
	/* Serve memory with kernel PACs stripped (arch->strip_pac) and
	 * without the registers that describe them. */
	bool strip_pac;
	/* Threads: one per CPU, or one per kernel task (needs the vmlinux
	 * with its DWARF); AUTO: tasks when VMLINUX has what they need. */
	enum server_threads { THREADS_AUTO, THREADS_CPUS, THREADS_TASKS } threads;
	const char *vmlinux;			/* path, or NULL */
	const struct vmlinux_info *vmlinux_info;	/* its symbols */
	/* Module files (libraries.c): --search-dir and
	 * $GDBSERVER_VMCORE_SEARCH_PATH, then the system paths under ROOT
	 * (NULL: "/"; $GDBSERVER_VMCORE_ROOT, for tests). */
	const char *const *search_dirs;
	size_t nsearch_dirs;
	const char *root;
};

/* Symbols we ask gdb for with qSymbol (values as gdb relocated them). */
enum server_sym {
	SYM_PER_CPU_START,
	SYM_PER_CPU_END,
	SYM_PER_CPU_OFFSET,
	SYM_COUNT
};

struct server_thread {
	uint64_t tid;		/* thread id: CPU index + 1, or tasks.h's */
	unsigned cpu;		/* CPU note index (running), or task's CPU */
	char name[64];
	char extra[128];
	/* A task not running on a CPU: its registers as switch_to() saved
	 * them (laid out as a prstatus note) and which of them are known;
	 * NULL: the registers of CPU note CPU. */
	uint8_t *regs;
	bool *known;
};

struct server {
	struct vmcore *vc;
	const struct arch *arch;
	struct rsp_conn *conn;
	struct server_opts opts;

	struct server_thread *threads;	/* sorted by tid */
	size_t nthreads;
	/* Indexes into threads in the order gdb is given them (qfThreadInfo,
	 * qXfer:threads): gdb numbers threads in that order, and Linux's
	 * scripts/gdb take gdb's thread N for CPU N - 1 (threads.c). */
	size_t *order;
	bool task_threads;		/* one thread per task */
	struct ktypes *types;		/* vmlinux DWARF, task mode */
	struct task_list tasks;		/* task mode */
	struct strbuf thread_warnings;	/* task-list problems, one a line */
	/* Where task->mm->pgd is (usermem.h), looked up at the first user
	 * read (USERMEM_TRIED); without it (USERMEM_WHY says why) user
	 * addresses do not read. */
	bool usermem_tried;
	bool have_usermem;
	struct usermem_layout usermem;
	char usermem_why[160];
	/* CPU view with a vmlinux: the types and tasks read at the first
	 * user read, for the task running on each CPU. */
	struct ktypes *cpu_types;
	struct task_list cpu_tasks;
	size_t panic_thread;		/* index */
	bool panic_from_log;		/* confirmed by the kernel log */
	size_t g_thread;		/* index selected by Hg */
	long c_thread;			/* index set by Hc; -1: all */

	/* The dump ARCH_REG_DUMP registers come from; NULL: none served. */
	const struct vmcore *dump_regs;
	char *target_xml;
	size_t target_xml_len;
	struct strbuf threads_xml;

	uint64_t kernel_link_base;	/* first vmlinux segment, link time */
	uint64_t kaslr;

	/* qSymbol exchange. */
	unsigned next_sym;
	bool sym_known[SYM_COUNT];
	uint64_t sym_value[SYM_COUNT];
	/* x86_64: gdb's view of the per-CPU section, which qOffsets moves. */
	bool pcpu_window;
	uint64_t pcpu_start, pcpu_end;

	/* The modules as shared libraries, from the first
	 * qXfer:libraries-svr4 or monitor modules (libraries.c). */
	struct server_modules *modules;

	bool client_lldb;		/* it sent qHostInfo */
	bool done;
	struct strbuf reply;
	uint8_t *membuf;
};

struct vmc_error *server_create(struct vmcore *vc,
				const struct server_opts *opts,
				struct server **ret);
void server_destroy(struct server *s);

/* Serve one gdb connection until it detaches, kills or disconnects. */
struct vmc_error *server_run(struct server *s, int in_fd, int out_fd,
			     FILE *log);

/* Handle one packet into S->reply (exposed for tests and fuzzing).
 * Returns false when the packet gets no reply at all. */
bool server_handle(struct server *s, const char *pkt, size_t len);

/* Memory as gdb sees it (with the per-CPU window). */
struct vmc_error *server_read_memory(struct server *s, uint64_t addr,
				     uint8_t *buf, size_t len,
				     size_t *done_ret);

/* qXfer:OBJECT:read's reply for the range "OFFSET,LENGTH" in
 * [RANGE, END) of DATA (SIZE bytes). */
void server_xfer_reply(struct server *s, const char *data, size_t size,
		       const char *range, const char *end);

/* monitor.c */
void monitor_command(struct server *s, const char *cmd);
/* threads.c */
struct vmc_error *threads_init(struct server *s);
void threads_deinit(struct server *s);
void threads_xml(struct server *s, struct strbuf *out);
/* Index of the thread with id TID, or -1. */
long threads_index(const struct server *s, uint64_t tid);

/* The user page tables of thread THREAD (an index): its task's
 * mm->pgd (a CPU thread's: the task running on that CPU).  Errors for
 * kernel threads, CPU threads without a vmlinux, and when the vmlinux
 * lacks the layouts. */
struct vmc_error *threads_user_pgt(struct server *s, size_t thread,
				   struct vmc_pgt *ret);

/* Why gdb gets no qOffsets though the kernel may have been moved by
 * KASLR (no KERNELOFFSET, offset not computed from --vmlinux), or NULL. */
const char *server_offsets_warning(const struct server *s);

/* Send console output to gdb as O packets (during qRcmd). */
void server_console(struct server *s, const char *text, size_t len);

#endif
