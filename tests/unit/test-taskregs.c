/* SPDX-License-Identifier: MIT */
/*
 * The arch task_regs hooks (a sleeping task's saved registers) against a
 * made-up memory and made-up structure layouts given through struct
 * arch_task_ctx: which members they read and where the registers land.
 */
#include <stdlib.h>

#include "../../arch/arch.h"
#include "unit.h"

#define TASK UINT64_C(0x10000)
#define STACK UINT64_C(0x20000)
#define MEM_SIZE 0x30000

struct layout_entry {
	const char *type, *member;
	uint64_t offset;
};

struct fake {
	uint8_t mem[MEM_SIZE];
	const struct layout_entry *layout;
	uint64_t frame_size;
};

static struct vmc_error *fake_read(void *arg, uint64_t addr, void *buf,
				   size_t len)
{
	struct fake *f = arg;

	if (addr >= MEM_SIZE || len > MEM_SIZE - addr)
		return vmc_error_create(VMC_ERR_FAULT, "0x%" PRIx64, addr);
	memcpy(buf, f->mem + addr, len);
	return NULL;
}

static struct vmc_error *fake_member(void *arg, const char *type,
				     const char *member, uint64_t *off_ret,
				     uint64_t *size_ret)
{
	struct fake *f = arg;

	for (const struct layout_entry *e = f->layout; e->type; e++) {
		if (!strcmp(e->type, type) && !strcmp(e->member, member)) {
			*off_ret = e->offset;
			if (size_ret)
				*size_ret = 8;
			return NULL;
		}
	}
	return vmc_error_create(VMC_ERR_NOT_FOUND, "%s.%s", type, member);
}

static struct vmc_error *fake_size(void *arg, const char *type,
				   uint64_t *ret)
{
	(void)type;
	*ret = ((struct fake *)arg)->frame_size;
	return NULL;
}

static void put(struct fake *f, uint64_t addr, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++, v >>= 8)
		f->mem[addr + i] = (uint8_t)v;
}

/* Register REG of the buffer, or ~0 when not known. */
static uint64_t reg(const struct arch *a, const uint8_t *pr, const bool *known,
		    size_t r)
{
	uint8_t raw[8] = { 0 };
	uint64_t v = 0;

	if (!known[r] || !arch_reg_from_prstatus(a, r, pr, a->prstatus.size,
						 raw))
		return UINT64_MAX;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | raw[i];
	return v;
}

static size_t regnum(const struct arch *a, const char *name)
{
	for (size_t i = 0; i < a->nregs; i++) {
		if (!strcmp(a->regs[i].name, name))
			return i;
	}
	abort();
}

static bool run_hook(const struct arch *a, struct fake *f, uint8_t **pr,
		     bool **known)
{
	const struct arch_task_ctx ctx = { f, fake_read, fake_member,
					   fake_size };

	*pr = unit_xcalloc(1, a->prstatus.size);
	*known = unit_xcalloc(a->nregs, sizeof(**known));
	return CHECK_OK(a->task_regs(&ctx, TASK, *pr, *known));
}

TEST(x86_64_inactive_task_frame)
{
	static const struct layout_entry layout[] = {
		{ "task_struct", "thread.sp", 0x1a0 },
		{ "inactive_task_frame", "r15", 0 },
		{ "inactive_task_frame", "r14", 8 },
		{ "inactive_task_frame", "r13", 16 },
		{ "inactive_task_frame", "r12", 24 },
		{ "inactive_task_frame", "bx", 32 },
		{ "inactive_task_frame", "bp", 40 },
		{ "inactive_task_frame", "ret_addr", 48 },
		{ NULL, NULL, 0 },
	};
	const struct arch *a = &arch_x86_64;
	struct fake *f = unit_xcalloc(1, sizeof(*f));
	static const char *const names[] = { "r15", "r14", "r13", "r12",
					     "rbx", "rbp", "rip" };
	uint8_t *pr;
	bool *known;

	f->layout = layout;
	f->frame_size = 56;
	put(f, TASK + 0x1a0, STACK, 8);
	for (unsigned i = 0; i < 7; i++)
		put(f, STACK + 8 * i, UINT64_C(0xffffffff81000000) + i, 8);
	if (run_hook(a, f, &pr, &known)) {
		for (unsigned i = 0; i < 7; i++)
			CHECK_U64(reg(a, pr, known, regnum(a, names[i])),
				  UINT64_C(0xffffffff81000000) + i);
		CHECK_U64(reg(a, pr, known, regnum(a, "rsp")), STACK + 56);
		CHECK_U64(reg(a, pr, known, regnum(a, "cs")), 0x10);
		CHECK(!known[regnum(a, "rax")], "rax is not saved");
		CHECK(!known[regnum(a, "rdi")], "rdi is not saved");
	}
	free(pr);
	free(known);
	free(f);
}

TEST(x86_64_bad_stack_pointer)
{
	static const struct layout_entry layout[] = {
		{ "task_struct", "thread.sp", 0x1a0 },
		{ "inactive_task_frame", "r15", 0 },
		{ NULL, NULL, 0 },
	};
	const struct arch *a = &arch_x86_64;
	struct fake *f = unit_xcalloc(1, sizeof(*f));
	const struct arch_task_ctx c = { f, fake_read, fake_member,
					 fake_size };
	uint8_t *pr = unit_xcalloc(1, a->prstatus.size);
	bool *known = unit_xcalloc(a->nregs, sizeof(*known));

	f->layout = layout;
	f->frame_size = 56;
	put(f, TASK + 0x1a0, UINT64_C(0xdead000000000000), 8);
	CHECK_ERR(a->task_regs(&c, TASK, pr, known), VMC_ERR_FAULT,
		  "0xdead000000000000");
	free(pr);
	free(known);
	free(f);
}

TEST(aarch64_cpu_context)
{
	static const char *const members[] = { "x19", "x20", "x21", "x22",
		"x23", "x24", "x25", "x26", "x27", "x28", "fp", "sp", "pc" };
	static const char *const names[] = { "x19", "x20", "x21", "x22",
		"x23", "x24", "x25", "x26", "x27", "x28", "x29", "sp", "pc" };
	struct layout_entry layout[15];
	const struct arch *a = &arch_aarch64;
	struct fake *f = unit_xcalloc(1, sizeof(*f));
	uint8_t *pr;
	bool *known;

	layout[0] = (struct layout_entry){ "task_struct",
					   "thread.cpu_context", 0x900 };
	for (unsigned i = 0; i < 13; i++) {
		layout[i + 1] = (struct layout_entry){ "cpu_context",
						       members[i], 8 * i };
		put(f, TASK + 0x900 + 8 * i, UINT64_C(0xffff800008000000) + i,
		    8);
	}
	layout[14] = (struct layout_entry){ NULL, NULL, 0 };
	f->layout = layout;
	if (run_hook(a, f, &pr, &known)) {
		for (unsigned i = 0; i < 13; i++)
			CHECK_U64(reg(a, pr, known, regnum(a, names[i])),
				  UINT64_C(0xffff800008000000) + i);
		CHECK(!known[regnum(a, "x0")], "x0 is not saved");
		CHECK(!known[regnum(a, "x30")], "lr is not saved");
	}
	free(pr);
	free(known);
	free(f);
}

TEST(i386_inactive_task_frame)
{
	static const struct layout_entry layout[] = {
		{ "task_struct", "thread.sp", 0x500 },
		{ "inactive_task_frame", "flags", 0 },
		{ "inactive_task_frame", "si", 4 },
		{ "inactive_task_frame", "di", 8 },
		{ "inactive_task_frame", "bx", 12 },
		{ "inactive_task_frame", "bp", 16 },
		{ "inactive_task_frame", "ret_addr", 20 },
		{ NULL, NULL, 0 },
	};
	static const char *const names[] = { "eflags", "esi", "edi", "ebx",
					     "ebp", "eip" };
	const struct arch *a = &arch_i386;
	struct fake *f = unit_xcalloc(1, sizeof(*f));
	uint8_t *pr;
	bool *known;

	f->layout = layout;
	f->frame_size = 24;
	put(f, TASK + 0x500, STACK, 4);
	for (unsigned i = 0; i < 6; i++)
		put(f, STACK + 4 * i, 0xc1000000 + i, 4);
	if (run_hook(a, f, &pr, &known)) {
		for (unsigned i = 0; i < 6; i++)
			CHECK_U64(reg(a, pr, known, regnum(a, names[i])) &
				  UINT32_MAX, 0xc1000000 + i);
		CHECK_U64(reg(a, pr, known, regnum(a, "esp")) & UINT32_MAX,
			  STACK + 24);
		CHECK(!known[regnum(a, "eax")], "eax is not saved");
	}
	free(pr);
	free(known);
	free(f);
}
