/* SPDX-License-Identifier: MIT */
/*
 * 32-bit arm (little-endian): registers from struct elf_prstatus and
 * gdb's arm register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * struct pt_regs uregs[18] (arch/arm/include/uapi/asm/ptrace.h), the
 * pr_reg of struct elf_prstatus: r0-r10, fp, ip, sp, lr, pc, cpsr,
 * ORIG_r0, 4 bytes each.  gdb has no place for ORIG_r0.
 */
#define PR(n) ((n) * 4)
#define PR_CPSR PR(16)
#define PR_NREGS 18

enum { F_CORE };

static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.arm.core", NULL },
};

#define R(n) { "r" #n, 32, PR(n), "uint32", NULL, F_CORE }

/*
 * gdb's features/arm/arm-core.xml.  gdb numbers cpsr 25 (the old FPA
 * registers sat between pc and cpsr in the 'g' packet); a target
 * description may number it as it likes, and here it follows pc.
 */
static const struct arch_reg regs[] = {
	R(0), R(1), R(2), R(3), R(4), R(5), R(6), R(7),
	R(8), R(9), R(10), R(11), R(12),
	{ "sp", 32, PR(13), "data_ptr", NULL, F_CORE },
	{ "lr", 32, PR(14), "int", NULL, F_CORE },
	{ "pc", 32, PR(15), "code_ptr", NULL, F_CORE },
	{ "cpsr", 32, PR_CPSR, "int", NULL, F_CORE },
};

enum { REG_SP = 13, REG_PC = 15 };

/* The uname machine is "armv" + the CPU architecture + "l" for little
 * endian (setup_processor() in arch/arm/kernel/setup.c). */
static const char *const aliases[] = {
	"armv4l", "armv4tl", "armv5l", "armv5tl", "armv5tel", "armv5tejl",
	"armv6l", "armv7l", NULL
};

const struct arch arch_arm = {
	.name = "arm",
	.aliases = aliases,
	.e_machine = EM_ARM,
	.word_size = 4,
	.big_endian = false,
	.gdb_arch = "arm",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_PC,
	.sp_reg = REG_SP,
	.prstatus = {
		/* 32-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * pr_pid at 24, pr_reg at 72 (as on i386); then pr_fpvalid:
		 * 72 + 72 + 4 = 148. */
		.size = 148,
		.pid_offset = 24,
		.reg_offset = 72,
		.reg_size = PR_NREGS * 4,
	},
	.kdump = {
		.capture_cmdline = "irqpoll maxcpus=1 reset_devices",
		.crashkernel = "512M-:128M",
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	.irqs_disabled = NULL,
	.kernel_link_base = NULL,	/* no KERNELOFFSET on 32-bit arm */
};
