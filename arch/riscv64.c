/* SPDX-License-Identifier: MIT */
/*
 * riscv64: registers from struct elf_prstatus and gdb's 64-bit RISC-V
 * register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * struct user_regs_struct (arch/riscv/include/uapi/asm/ptrace.h), the
 * pr_reg of struct elf_prstatus: pc, then x1 (ra) to x31 (t6), 8 bytes
 * each.  So slot n holds xn, and x0, always zero, has no slot.
 */
#define PR_PC 0
#define PR_X(n) ((n) * 8)
#define PR_SIZE (32 * 8)

enum { F_CPU };

static const struct arch_feature features[] = {
	[F_CPU] = { "org.gnu.gdb.riscv.cpu", NULL },
};

#define X(name, n, t) { name, 64, PR_X(n), t, NULL, F_CPU }

/* gdb's features/riscv/64bit-cpu.xml: x0-x31 by ABI name, then pc. */
static const struct arch_reg regs[] = {
	{ "zero", 64, ARCH_REG_ZERO, "int", NULL, F_CPU },
	X("ra", 1, "code_ptr"), X("sp", 2, "data_ptr"),
	X("gp", 3, "data_ptr"), X("tp", 4, "data_ptr"),
	X("t0", 5, "int"), X("t1", 6, "int"), X("t2", 7, "int"),
	X("fp", 8, "data_ptr"), X("s1", 9, "int"),
	X("a0", 10, "int"), X("a1", 11, "int"), X("a2", 12, "int"),
	X("a3", 13, "int"), X("a4", 14, "int"), X("a5", 15, "int"),
	X("a6", 16, "int"), X("a7", 17, "int"),
	X("s2", 18, "int"), X("s3", 19, "int"), X("s4", 20, "int"),
	X("s5", 21, "int"), X("s6", 22, "int"), X("s7", 23, "int"),
	X("s8", 24, "int"), X("s9", 25, "int"), X("s10", 26, "int"),
	X("s11", 27, "int"),
	X("t3", 28, "int"), X("t4", 29, "int"), X("t5", 30, "int"),
	X("t6", 31, "int"),
	{ "pc", 64, PR_PC, "code_ptr", NULL, F_CPU },
};

enum { REG_SP = 2, REG_PC = 32 };

const struct arch arch_riscv64 = {
	.name = "riscv64",
	/* EM_RISCV is also riscv32, which this table is not. */
	.e_machine = EM_RISCV,
	.word_size = 8,
	.big_endian = false,
	.gdb_arch = "riscv:rv64",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_PC,
	.sp_reg = REG_SP,
	.prstatus = {
		/* 64-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * pr_pid at 32, pr_reg at 112; then pr_fpvalid and padding:
		 * 112 + 256 + 4 + 4 = 376. */
		.size = 376,
		.pid_offset = 32,
		.reg_offset = 112,
		.reg_size = PR_SIZE,
	},
	.kdump = {
		.capture_cmdline = "irqpoll nr_cpus=1 reset_devices",
		.crashkernel = "1G-4G:192M,4G-64G:256M,64G-:512M",
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	/* The saved registers hold no sstatus. */
	.irqs_disabled = NULL,
	.kernel_link_base = NULL,
};
