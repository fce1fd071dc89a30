/* SPDX-License-Identifier: MIT */
/*
 * The task-list walk (libkernel/tasks.c) on synthetic dumps whose
 * tasks use a made-up struct task_struct layout: a good list, thread
 * groups, and damaged lists (a loop, a pointer into nothing, a thread
 * group that loops): each walk must end, keep what it read and warn.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../libkernel/tasks.h"
#include "corefile.h"
#include "unit.h"

#define BASE UINT64_C(0xffff888000100000)
#define PBASE UINT64_C(0x100000)
#define TASK_SIZE 0x400
#define NSLOTS 16

static const struct task_layout layout = {
	.state = 0x0, .state_size = 4, .cpu = 0x8, .cpu_size = 4,
	.tasks = 0x10, .pid = 0x20, .tgid = 0x24, .comm = 0x30,
	.real_parent = 0x40, .thread_group = 0x50, .exit_state = 0x60,
	.have_thread_group = true, .have_cpu = true, .have_exit_state = true,
};

struct world {
	struct cf cf;
	uint8_t *mem;		/* NSLOTS tasks, slot 0 is init_task */
};

static uint64_t task_addr(int i)
{
	return BASE + (uint64_t)i * TASK_SIZE;
}

static void world_init(struct world *w)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	size_t i;

	cf_init(&w->cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&w->cf, 3, regs);	/* CPU 0 runs pid 3 */
	i = cf_load(&w->cf, PBASE, BASE, NSLOTS * TASK_SIZE,
		    NSLOTS * TASK_SIZE);
	w->mem = w->cf.loads[i].data;
	/* Every list empty: pointing at itself. */
	for (int t = 0; t < NSLOTS; t++) {
		cf_put(w->mem + t * TASK_SIZE + layout.tasks,
		       task_addr(t) + layout.tasks, 8, false);
		cf_put(w->mem + t * TASK_SIZE + layout.thread_group,
		       task_addr(t) + layout.thread_group, 8, false);
	}
}

static void task(struct world *w, int slot, int pid, int tgid,
		 const char *comm, int parent, unsigned state)
{
	uint8_t *p = w->mem + slot * TASK_SIZE;

	cf_put(p + layout.state, state, 4, false);
	cf_put(p + layout.cpu, 0, 4, false);
	cf_put(p + layout.pid, (uint32_t)pid, 4, false);
	cf_put(p + layout.tgid, (uint32_t)tgid, 4, false);
	snprintf((char *)p + layout.comm, 16, "%s", comm);
	cf_put(p + layout.real_parent, task_addr(parent), 8, false);
}

/* The list through member OFF: FROM's next is TO (a slot, or an address
 * when TO < 0: -TO). */
static void link_to(struct world *w, uint64_t off, int from, int64_t to)
{
	uint64_t next = to >= 0 ? task_addr((int)to) + off : (uint64_t)-to;

	cf_put(w->mem + from * TASK_SIZE + off, next, 8, false);
}

/* init_task -> 1 -> 2 -> 3 -> init_task, with pids 1..3. */
static void good_world(struct world *w)
{
	world_init(w);
	task(w, 0, 0, 0, "swapper/0", 0, 0);
	task(w, 1, 1, 1, "init", 0, 1);
	task(w, 2, 2, 2, "kthreadd", 0, 1);
	task(w, 3, 3, 3, "crasher", 1, 0);
	for (int i = 0; i < 3; i++)
		link_to(w, layout.tasks, i, i + 1);
	link_to(w, layout.tasks, 3, 0);
}

struct result {
	struct task_list tl;
	struct strbuf warnings;
	struct vmc_error *err;
};

static bool walk_with(struct world *w, const struct task_layout *lay,
		      uint64_t init_task, struct result *r)
{
	struct vmlinux_info vi = { 0 };
	struct cf_image img;
	struct vmcore *vc = NULL;
	char path[256] = "";
	bool ok = false;

	vi.have_sym[VSYM_INIT_TASK] = true;
	vi.sym[VSYM_INIT_TASK] = init_task;
	strbuf_init(&r->warnings);
	cf_build(&w->cf, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	    CHECK_OK(vmcore_open(path, &vc))) {
		r->err = tasks_walk(vc, lay, &vi, 1, &r->tl, &r->warnings);
		ok = true;
	}
	if (path[0])
		unlink(path);
	vmcore_close(vc);
	cf_image_free(&img);
	cf_deinit(&w->cf);
	return ok;
}

static bool walk_from(struct world *w, uint64_t init_task, struct result *r)
{
	return walk_with(w, &layout, init_task, r);
}

static bool walk(struct world *w, struct result *r)
{
	return walk_from(w, task_addr(0), r);
}

static void result_deinit(struct result *r)
{
	vmc_error_destroy(r->err);
	task_list_deinit(&r->tl);
	strbuf_deinit(&r->warnings);
}

static const char *warnings(struct result *r)
{
	return r->warnings.data ? r->warnings.data : "";
}

TEST(good_list)
{
	struct world w;
	struct result r = { 0 };
	const struct task *t;

	good_world(&w);
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 4);
	CHECK_STR(warnings(&r), "");
	/* Sorted by thread id: pids, then the idle task's reserved id. */
	CHECK_U64(r.tl.v[0].tid, 1);
	CHECK_U64(r.tl.v[3].tid, TASKS_IDLE_TID);
	t = tasks_find(&r.tl, 3);
	if (CHECK(t != NULL)) {
		CHECK_STR(t->comm, "crasher");
		CHECK_I64(t->ppid, 1);
		CHECK_I64(t->running_on, 0);	/* CPU 0's note has pid 3 */
		CHECK_I64(t->state, 'R');
	}
	t = tasks_find(&r.tl, 2);
	if (CHECK(t != NULL)) {
		CHECK_I64(t->state, 'S');
		CHECK_I64(t->running_on, -1);
	}
	CHECK(tasks_find(&r.tl, 4) == NULL);
out:
	result_deinit(&r);
}

TEST(thread_group)
{
	struct world w;
	struct result r = { 0 };
	const struct task *t;

	good_world(&w);
	/* Process 1 has threads 7 and 8 (slots 4, 5). */
	task(&w, 4, 7, 1, "init-worker", 0, 2);
	task(&w, 5, 8, 1, "init-worker", 0, 0x402);
	link_to(&w, layout.thread_group, 1, 4);
	link_to(&w, layout.thread_group, 4, 5);
	link_to(&w, layout.thread_group, 5, 1);
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 6);
	CHECK_STR(warnings(&r), "");
	t = tasks_find(&r.tl, 7);
	if (CHECK(t != NULL)) {
		CHECK_I64(t->tgid, 1);
		CHECK_I64(t->state, 'D');
	}
	t = tasks_find(&r.tl, 8);
	if (CHECK(t != NULL))
		CHECK_I64(t->state, 'I');
out:
	result_deinit(&r);
}

TEST(loop)
{
	struct world w;
	struct result r = { 0 };

	good_world(&w);
	link_to(&w, layout.tasks, 3, 2);	/* 3 -> 2: never back home */
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 4);
	CHECK_CONTAINS(warnings(&r), "init_task.tasks");
	CHECK_CONTAINS(warnings(&r), "it loops");
	CHECK_CONTAINS(warnings(&r), "4 tasks read so far");
out:
	result_deinit(&r);
}

TEST(bad_pointer)
{
	struct world w;
	struct result r = { 0 };

	good_world(&w);
	link_to(&w, layout.tasks, 2, -(int64_t)UINT64_C(0xffffc90000000010));
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 3);	/* init_task, 1, 2 */
	CHECK_CONTAINS(warnings(&r), "init_task.tasks");
	CHECK_CONTAINS(warnings(&r), "the list was left there");
	/* CPU 0's task (pid 3) is not known without the list: no current. */
	CHECK(tasks_find(&r.tl, 3) == NULL);
out:
	result_deinit(&r);
}

TEST(null_pointer)
{
	struct world w;
	struct result r = { 0 };

	good_world(&w);
	cf_put(w.mem + 1 * TASK_SIZE + layout.tasks, 0, 8, false);
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 2);
	CHECK_CONTAINS(warnings(&r), "bad pointer 0x0");
out:
	result_deinit(&r);
}

TEST(thread_group_loop)
{
	struct world w;
	struct result r = { 0 };

	good_world(&w);
	task(&w, 4, 7, 1, "init-worker", 0, 1);
	link_to(&w, layout.thread_group, 1, 4);
	link_to(&w, layout.thread_group, 4, 4);	/* points at itself */
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 5);
	CHECK_CONTAINS(warnings(&r), "a thread_group");
	CHECK_CONTAINS(warnings(&r), "it loops");
out:
	result_deinit(&r);
}

TEST(init_task_unreadable)
{
	struct world w;
	struct result r = { 0 };

	/* A vmlinux whose init_task is not in the dump: an error, so the
	 * server falls back to CPU threads. */
	good_world(&w);
	if (!walk_from(&w, BASE + NSLOTS * TASK_SIZE, &r))
		goto out;
	CHECK_ERR(r.err, VMC_ERR_FAULT, "init_task at 0xffff888000104000");
	r.err = NULL;
	CHECK_U64(r.tl.n, 0);
out:
	result_deinit(&r);
}

/* Linux 6.7+: no thread_group; signal->thread_head lists every thread
 * of the process, the leader included, through thread_node. */
TEST(signal_thread_head)
{
	struct task_layout lay = layout;
	struct world w;
	struct result r = { 0 };
	const int sig = NSLOTS - 1;	/* a struct signal_struct */
	uint64_t head = task_addr(sig) + 0x10;

	lay.have_thread_group = false;
	lay.have_thread_node = true;
	lay.signal = 0x70;
	lay.thread_node = 0x80;
	lay.thread_head = 0x10;
	good_world(&w);
	task(&w, 4, 7, 1, "init-worker", 0, 1);
	/* head -> init (1) -> worker (4) -> head */
	cf_put(w.mem + sig * TASK_SIZE + 0x10, task_addr(1) + 0x80, 8, false);
	cf_put(w.mem + 1 * TASK_SIZE + 0x80, task_addr(4) + 0x80, 8, false);
	cf_put(w.mem + 4 * TASK_SIZE + 0x80, head, 8, false);
	for (int t = 1; t <= 4; t++)
		cf_put(w.mem + t * TASK_SIZE + 0x70, t == 1 || t == 4 ?
		       task_addr(sig) : task_addr(NSLOTS - 2), 8, false);
	/* Processes 2 and 3 share an empty list at slot NSLOTS - 2. */
	cf_put(w.mem + (NSLOTS - 2) * TASK_SIZE + 0x10,
	       task_addr(NSLOTS - 2) + 0x10, 8, false);
	if (!walk_with(&w, &lay, task_addr(0), &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 5);
	CHECK_STR(warnings(&r), "");
	CHECK(tasks_find(&r.tl, 7) != NULL);
out:
	result_deinit(&r);
}

TEST(duplicate_pid)
{
	struct world w;
	struct result r = { 0 };

	good_world(&w);
	task(&w, 3, 2, 2, "impostor", 1, 1);	/* a second pid 2 */
	if (!walk(&w, &r) || !CHECK_OK(r.err))
		goto out;
	r.err = NULL;
	CHECK_U64(r.tl.n, 3);
	CHECK_CONTAINS(warnings(&r), "has the thread id 2 of task");
	for (size_t i = 1; i < r.tl.n; i++)
		CHECK(r.tl.v[i - 1].tid < r.tl.v[i].tid, "ids unique, sorted");
out:
	result_deinit(&r);
}
