/* SPDX-License-Identifier: MIT */
/* Walking the dumped kernel's task lists (see tasks.h). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "tasks.h"

/* Task addresses seen so far: open addressing, for loop detection. */
struct addr_set {
	uint64_t *slot;
	size_t n, cap;
};

struct walk {
	struct vmcore *vc;
	const struct arch *arch;
	const struct vmlinux_info *vi;
	struct task_layout lay;
	struct task_list *out;
	struct addr_set seen;
	struct strbuf *warnings;
	size_t ncpus;
	uint64_t *current;	/* per CPU: current task, 0 unknown */
};

static uint64_t hash_addr(uint64_t a)
{
	a ^= a >> 33;
	a *= UINT64_C(0xff51afd7ed558ccd);
	return a ^ (a >> 33);
}

static bool set_grow(struct addr_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j = hash_addr(s->slot[i]) & (cap - 1);

		if (!s->slot[i])
			continue;
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return true;
}

/* Add A (never 0); false if it was there already or memory ran out. */
static bool set_add(struct addr_set *s, uint64_t a, bool *oom)
{
	size_t j;

	if (s->n * 2 >= s->cap && !set_grow(s)) {
		*oom = true;
		return false;
	}
	for (j = hash_addr(a) & (s->cap - 1); s->slot[j];
	     j = (j + 1) & (s->cap - 1)) {
		if (s->slot[j] == a)
			return false;
	}
	s->slot[j] = a;
	s->n++;
	return true;
}

/* A SIZE-byte (1, 2, 4 or 8) unsigned value at ADDR. */
static struct vmc_error *read_uint(struct walk *w, uint64_t addr, size_t size,
				   uint64_t *ret)
{
	return vmcore_read_uint(w->vc, addr, size, ret);
}

static struct vmc_error *read_ptr(struct walk *w, uint64_t addr,
				  uint64_t *ret)
{
	return read_uint(w, addr, w->arch->word_size, ret);
}

static struct vmc_error *layout_member(struct ktypes *kt, const char *member,
				       uint64_t *off, uint64_t *size)
{
	return ktypes_member(kt, "task_struct", member, off, size);
}

/* 6.1 names the state __state (5.14, commit 2f064a59a11f); before: state. */
static struct vmc_error *read_layout(struct ktypes *kt, struct task_layout *l)
{
	struct vmc_error *err;

	if ((err = layout_member(kt, "tasks", &l->tasks, NULL)) ||
	    (err = layout_member(kt, "pid", &l->pid, NULL)) ||
	    (err = layout_member(kt, "tgid", &l->tgid, NULL)) ||
	    (err = layout_member(kt, "comm", &l->comm, NULL)) ||
	    (err = layout_member(kt, "real_parent", &l->real_parent, NULL)))
		return err;
	err = layout_member(kt, "__state", &l->state, &l->state_size);
	if (err && err->code == VMC_ERR_NOT_FOUND) {
		vmc_error_destroy(err);
		err = layout_member(kt, "state", &l->state, &l->state_size);
	}
	if (err)
		return err;
	/* Optional ones: thread_group went in 6.7; cpu moved between
	 * task_struct and thread_info (5.16, commit bcf9033e5449). */
	l->have_thread_group = !(err = layout_member(kt, "thread_group",
						     &l->thread_group, NULL));
	vmc_error_destroy(err);
	if (!l->have_thread_group) {
		l->have_thread_node =
			!(err = layout_member(kt, "thread_node",
					      &l->thread_node, NULL)) &&
			!(err = layout_member(kt, "signal", &l->signal,
					      NULL)) &&
			!(err = ktypes_member(kt, "signal_struct",
					      "thread_head", &l->thread_head,
					      NULL));
		vmc_error_destroy(err);
	}
	l->have_exit_state = !(err = layout_member(kt, "exit_state",
						   &l->exit_state, NULL));
	vmc_error_destroy(err);
	l->have_cpu = !(err = layout_member(kt, "thread_info.cpu", &l->cpu,
					    &l->cpu_size));
	vmc_error_destroy(err);
	if (!l->have_cpu) {
		l->have_cpu = !(err = layout_member(kt, "cpu", &l->cpu,
						    &l->cpu_size));
		vmc_error_destroy(err);
	}
	if (l->state_size > 8 || l->cpu_size > 8)
		return vmc_error_create(VMC_ERR_FORMAT, "task_struct state or "
					"cpu is not an integer");
	return NULL;
}

/*
 * The ps letter, as get_task_state() and task_state_array[] make it
 * (fs/proc/array.c, include/linux/sched.h, Linux 4.14 and later):
 * TASK_REPORT bits S D T t X Z P from bit 0, and I for TASK_IDLE.
 */
static char state_letter(uint64_t state, uint64_t exit_state)
{
	static const char letters[] = "SDTtXZP";
	uint64_t bits = (state | exit_state) & 0x7f;

	if (state == 0x402)	/* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
		return 'I';
	if (!bits)
		return 'R';
	for (int i = 0; i < 7; i++) {
		if (bits & (UINT64_C(1) << i))
			return letters[i];
	}
	return '?';
}

static struct vmc_error *read_fields(struct walk *w, struct task *t)
{
	const struct task_layout *l = &w->lay;
	uint64_t pid, tgid, state, exit_state = 0, cpu = 0, parent, ppid = 0;
	struct vmc_error *err;

	if ((err = read_uint(w, t->addr + l->pid, 4, &pid)) ||
	    (err = read_uint(w, t->addr + l->tgid, 4, &tgid)) ||
	    (err = read_uint(w, t->addr + l->state, l->state_size, &state)) ||
	    (l->have_exit_state &&
	     (err = read_uint(w, t->addr + l->exit_state, 4, &exit_state))) ||
	    (l->have_cpu &&
	     (err = read_uint(w, t->addr + l->cpu, l->cpu_size, &cpu))) ||
	    (err = vmcore_read_virt(w->vc, t->addr + l->comm, t->comm, 16,
				    NULL)))
		return err;
	t->comm[16] = '\0';
	/* A parent that does not read is only a missing ppid. */
	err = read_ptr(w, t->addr + l->real_parent, &parent);
	if (!err)
		err = read_uint(w, parent + l->tgid, 4, &ppid);
	if (err)
		ppid = 0;
	vmc_error_destroy(err);
	t->pid = (int32_t)pid;
	t->tgid = (int32_t)tgid;
	t->ppid = (int32_t)ppid;
	t->state = state_letter(state, exit_state);
	t->cpu = l->have_cpu && cpu < 65536 ? (int)cpu : -1;
	return NULL;
}

/* Is T current on a CPU?  IDLE_CPU: the CPU whose idle task it is, or -1. */
static void set_running(struct walk *w, struct task *t, int idle_cpu)
{
	t->running_on = -1;
	for (size_t i = 0; i < w->ncpus; i++) {
		if (w->current[i] == t->addr) {
			t->running_on = (int)i;
			return;
		}
	}
	/* Without the per-CPU pointers (arm64 keeps current in sp_el0):
	 * the CPU notes' pids, pid 0 being the CPU's own idle task. */
	for (size_t i = 0; i < w->ncpus; i++) {
		if (w->current[i] || vmcore_cpu(w->vc, i)->pid != t->pid)
			continue;
		if (t->pid || (idle_cpu >= 0 && (size_t)idle_cpu == i))
			t->running_on = (int)i;
	}
}

static struct vmc_error *push(struct task_list *tl, const struct task *t)
{
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 256;
		struct task *v = realloc(tl->v, cap * sizeof(*v));

		if (!v)
			return &vmc_enomem;
		tl->v = v;
		tl->cap = cap;
	}
	tl->v[tl->n++] = *t;
	return NULL;
}

/* Add the task at ADDR; *NEW_RET false when it was seen already. */
static struct vmc_error *add_task(struct walk *w, uint64_t addr, int idle_cpu,
				  bool *new_ret)
{
	struct task t = { .addr = addr };
	bool oom = false;
	struct vmc_error *err;

	*new_ret = false;
	if (!set_add(&w->seen, addr, &oom))
		return oom ? &vmc_enomem : NULL;
	if (w->out->n >= TASKS_MAX)
		return vmc_error_create(VMC_ERR_FORMAT, "more than %d tasks",
					TASKS_MAX);
	if ((err = read_fields(w, &t)))
		return err;
	set_running(w, &t, t.pid == 0 ? idle_cpu : -1);
	if (t.pid == 0) {
		int cpu = idle_cpu >= 0 ? idle_cpu : t.running_on >= 0 ?
			  t.running_on : t.cpu >= 0 ? t.cpu : 0;

		t.tid = TASKS_IDLE_TID + (uint64_t)cpu;
	} else {
		t.tid = (uint64_t)(uint32_t)t.pid;
	}
	*new_ret = true;
	return push(w->out, &t);
}

static void warn(struct walk *w, const char *what, uint64_t head,
		 struct vmc_error *err)
{
	strbuf_addf(w->warnings, "task list: %s at 0x%" PRIx64 ": %s; %zu tasks "
		    "read so far, the list was left there\n", what, head,
		    err ? err->message : "it loops", w->out->n);
	vmc_error_destroy(err);
}

/*
 * The list_head at HEAD links tasks through their member at OFF: add
 * each (but LEADER, already added, if it is on the list).  A pointer
 * that does not read or is NULL, a node seen before (a loop) or too many
 * tasks end the walk with a warning, keeping what was read.
 */
static struct vmc_error *walk_list(struct walk *w, uint64_t head,
				   uint64_t off, uint64_t leader,
				   const char *what)
{
	uint64_t node;
	struct vmc_error *err = read_ptr(w, head, &node);
	bool is_new, leader_seen = false;

	while (!err && node != head) {
		if (node < off) {
			err = vmc_error_create(VMC_ERR_FORMAT, "bad pointer "
					       "0x%" PRIx64, node);
			break;
		}
		/* signal->thread_head lists the leader too, once. */
		if (node - off == leader && !leader_seen) {
			leader_seen = true;
		} else if ((err = add_task(w, node - off, -1, &is_new)) ||
			   !is_new) {
			break;
		}
		err = read_ptr(w, node, &node);
	}
	if (err == &vmc_enomem)
		return err;
	if (err || node != head)
		warn(w, what, head, err);
	return NULL;
}

/* The address of per-CPU variable VAR (its link address) on CPU. */
static struct vmc_error *percpu_addr(struct walk *w, uint64_t var,
				     size_t cpu, uint64_t *ret)
{
	uint64_t kaslr = vmcore_kaslr_offset(w->vc), base;
	struct vmc_error *err;

	if (!w->vi->have_sym[VSYM_PER_CPU_OFFSET])
		return vmc_error_create(VMC_ERR_NOT_FOUND, "no __per_cpu_offset "
					"in the vmlinux");
	err = read_ptr(w, w->vi->sym[VSYM_PER_CPU_OFFSET] + kaslr +
		       cpu * w->arch->word_size, &base);
	if (err)
		return err;
	/* x86_64 SMP links per-CPU variables at 0: not moved by KASLR. */
	*ret = base + var + (w->arch->percpu_zero_based ? 0 : kaslr);
	return NULL;
}

/* current_task (x86_64 before 6.2) or pcpu_hot.current_task. */
static void read_current(struct walk *w)
{
	const struct vmlinux_info *vi = w->vi;
	uint64_t var = vi->sym[VSYM_CURRENT_TASK], addr;
	bool have = vi->have_sym[VSYM_CURRENT_TASK];
	struct vmc_error *err;

	if (!have && w->lay.have_pcpu_hot) {
		have = true;
		var = vi->sym[VSYM_PCPU_HOT] + w->lay.pcpu_hot_current;
	}
	for (size_t i = 0; have && i < w->ncpus; i++) {
		err = percpu_addr(w, var, i, &addr);
		if (!err)
			err = read_ptr(w, addr, &w->current[i]);
		if (err)
			w->current[i] = 0;
		vmc_error_destroy(err);
	}
}

/* CPU's running task and idle task, if the lists missed them. */
static struct vmc_error *add_cpu_task(struct walk *w, size_t cpu)
{
	struct vmc_error *err = NULL;
	uint64_t addr, idle = 0;
	bool is_new;

	if (w->current[cpu] &&
	    (err = add_task(w, w->current[cpu], -1, &is_new)))
		return err;
	if (!w->vi->have_sym[VSYM_IDLE_THREADS])
		return NULL;
	err = percpu_addr(w, w->vi->sym[VSYM_IDLE_THREADS], cpu, &addr);
	if (!err)
		err = read_ptr(w, addr, &idle);
	if (!err && idle)
		err = add_task(w, idle, (int)cpu, &is_new);
	return err;
}

static struct vmc_error *add_cpu_tasks(struct walk *w)
{
	for (size_t i = 0; i < w->ncpus; i++) {
		struct vmc_error *err = add_cpu_task(w, i);

		if (err == &vmc_enomem)
			return err;
		if (err)
			strbuf_addf(w->warnings, "task list: CPU %zu's current "
				    "or idle task: %s\n", i, err->message);
		vmc_error_destroy(err);
	}
	return NULL;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct task *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The other threads of the process led by LEADER: its thread_group
 * list, or (Linux 6.7 and later) signal->thread_head through each
 * task's thread_node. */
static struct vmc_error *walk_threads(struct walk *w, uint64_t leader)
{
	const struct task_layout *l = &w->lay;
	uint64_t signal;
	struct vmc_error *err;

	if (l->have_thread_group)
		return walk_list(w, leader + l->thread_group, l->thread_group,
				 0, "a thread_group");
	if (!l->have_thread_node)
		return NULL;
	if ((err = read_ptr(w, leader + l->signal, &signal))) {
		warn(w, "a task's signal pointer", leader + l->signal, err);
		return NULL;
	}
	return walk_list(w, signal + l->thread_head, l->thread_node, leader,
			 "a signal->thread_head");
}

/* Thread ids must be unique: two tasks with one pid (a damaged task, or
 * two idle tasks claiming one CPU): one is kept, with a warning. */
static void drop_duplicates(struct task_list *tl, struct strbuf *warnings)
{
	size_t out = 0;

	for (size_t i = 0; i < tl->n; i++) {
		if (out && tl->v[out - 1].tid == tl->v[i].tid) {
			strbuf_addf(warnings, "task list: task 0x%" PRIx64
				    " (%s) has the thread id %" PRIu64 " of task "
				    "0x%" PRIx64 " (%s); left out\n",
				    tl->v[i].addr, tl->v[i].comm, tl->v[i].tid,
				    tl->v[out - 1].addr, tl->v[out - 1].comm);
			continue;
		}
		tl->v[out++] = tl->v[i];
	}
	tl->n = out;
}

static struct vmc_error *walk_all(struct walk *w)
{
	uint64_t init = w->vi->sym[VSYM_INIT_TASK] + vmcore_kaslr_offset(w->vc);
	struct vmc_error *err;
	bool is_new;
	size_t nleaders;

	if ((err = add_task(w, init, 0, &is_new)) ||
	    (err = walk_list(w, init + w->lay.tasks, w->lay.tasks, 0,
			     "init_task.tasks")))
		return vmc_error_prefix(err, "init_task at 0x%" PRIx64 ": ",
					init);
	nleaders = w->out->n;
	for (size_t i = 0; i < nleaders; i++) {
		if (w->out->v[i].pid == 0)
			continue;	/* idle tasks have no thread group */
		if ((err = walk_threads(w, w->out->v[i].addr)))
			return err;
	}
	return add_cpu_tasks(w);
}

struct vmc_error *tasks_read(struct vmcore *vc, struct ktypes *kt,
			     const struct vmlinux_info *vi, size_t ncpus,
			     struct task_list *ret, struct strbuf *warnings)
{
	struct task_layout lay = { 0 };
	struct vmc_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = read_layout(kt, &lay)))
		return err;
	/* x86_64 6.2+ keeps the current task in struct pcpu_hot. */
	if (!vi->have_sym[VSYM_CURRENT_TASK] && vi->have_sym[VSYM_PCPU_HOT]) {
		err = ktypes_member(kt, "pcpu_hot", "current_task",
				    &lay.pcpu_hot_current, NULL);
		lay.have_pcpu_hot = !err;
		vmc_error_destroy(err);
	}
	return tasks_walk(vc, &lay, vi, ncpus, ret, warnings);
}

struct vmc_error *tasks_walk(struct vmcore *vc, const struct task_layout *lay,
			     const struct vmlinux_info *vi, size_t ncpus,
			     struct task_list *ret, struct strbuf *warnings)
{
	struct walk w = { .vc = vc, .arch = vmcore_arch(vc), .vi = vi,
			  .lay = *lay, .out = ret, .warnings = warnings,
			  .ncpus = ncpus };
	struct vmc_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!vi->have_sym[VSYM_INIT_TASK])
		return vmc_error_create(VMC_ERR_NOT_FOUND, "the vmlinux has no "
					"init_task symbol");
	w.current = calloc(ncpus ? ncpus : 1, sizeof(*w.current));
	if (!w.current)
		return &vmc_enomem;
	read_current(&w);
	err = walk_all(&w);
	free(w.current);
	free(w.seen.slot);
	if (err) {
		task_list_deinit(ret);
		return err;
	}
	qsort(ret->v, ret->n, sizeof(*ret->v), cmp_tid);
	drop_duplicates(ret, warnings);
	return NULL;
}

void task_list_deinit(struct task_list *tl)
{
	free(tl->v);
	memset(tl, 0, sizeof(*tl));
}

const struct task *tasks_find(const struct task_list *tl, uint64_t tid)
{
	struct task key = { .tid = tid };

	return tl->n ? bsearch(&key, tl->v, tl->n, sizeof(key), cmp_tid) : NULL;
}
