/* SPDX-License-Identifier: MIT */
/*
 * The dumped kernel's tasks, read with the structure layouts of its
 * vmlinux (ktypes.h) and its symbols (vmlinux.h): every process on
 * init_task.tasks, every thread of each, and each CPU's idle task.
 */
#ifndef VMC_TASKS_H
#define VMC_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/vmcore.h"
#include "ktypes.h"
#include "strbuf.h"
#include "vmlinux.h"

/*
 * Thread ids: a task's pid, except for the idle tasks, which all have
 * pid 0: CPU N's is TASKS_IDLE_TID + N, above any pid (PID_MAX_LIMIT is
 * 4194304, include/linux/threads.h).
 */
#define TASKS_IDLE_TID UINT64_C(1000000000)

/* Walks stop after this many tasks (PID_MAX_LIMIT plus the idle ones). */
#define TASKS_MAX (4194304 + 8192)

struct task {
	uint64_t addr;		/* struct task_struct * */
	uint64_t tid;		/* thread id, see above */
	int32_t pid, tgid, ppid;
	int cpu;		/* task's CPU (last ran on), -1 unknown */
	int running_on;		/* CPU it is current on, or -1 */
	char state;		/* ps letter: R S D T t X Z P I, ? */
	char comm[17];
};

struct task_list {
	struct task *v;		/* sorted by tid */
	size_t n, cap;
};

/* Where things are in struct task_struct, from the vmlinux DWARF. */
struct task_layout {
	uint64_t tasks, pid, tgid, comm, state, state_size, exit_state;
	uint64_t real_parent, thread_group, cpu, cpu_size;
	uint64_t signal, thread_node;	/* Linux 6.7+: no thread_group */
	uint64_t thread_head;		/* offsetof(struct signal_struct, ...) */
	uint64_t pcpu_hot_current;	/* offsetof(struct pcpu_hot, ...) */
	bool have_thread_group, have_thread_node, have_cpu, have_exit_state;
	bool have_pcpu_hot;
};

/*
 * Read the tasks of VC (NCPUS CPUs).  Errors when the layouts or symbols
 * needed are missing; a damaged list (a loop, a pointer that does not
 * read, too many tasks) ends that walk with a line in WARNINGS, keeping
 * the tasks found so far.
 */
struct vmc_error *tasks_read(struct vmcore *vc, struct ktypes *kt,
			     const struct vmlinux_info *vi, size_t ncpus,
			     struct task_list *ret, struct strbuf *warnings);
/* The walk itself, with the layout given (tasks_read() reads it from
 * the DWARF; tests make one up). */
struct vmc_error *tasks_walk(struct vmcore *vc, const struct task_layout *lay,
			     const struct vmlinux_info *vi, size_t ncpus,
			     struct task_list *ret, struct strbuf *warnings);
void task_list_deinit(struct task_list *tl);

/* The task with thread id TID, or NULL. */
const struct task *tasks_find(const struct task_list *tl, uint64_t tid);

#endif
