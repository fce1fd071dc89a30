/* SPDX-License-Identifier: MIT */
/*
 * ppc64le: registers from struct elf_prstatus and gdb's 64-bit Power
 * register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * struct pt_regs (arch/powerpc/include/uapi/asm/ptrace.h), the start of
 * the pr_reg of struct elf_prstatus (ELF_NGREG 48 8-byte slots): slot
 * numbers times 8.
 */
enum {
	PR_NIP = 32, PR_MSR, PR_ORIG_GPR3, PR_CTR, PR_LINK, PR_XER, PR_CCR,
	PR_SOFTE, PR_TRAP, PR_DAR, PR_DSISR, PR_RESULT
};
#define PR(slot) ((slot) * 8)
#define PR_NGREG 48

enum { F_CORE, F_LINUX };

static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.power.core", NULL },
	[F_LINUX] = { "org.gnu.gdb.power.linux", NULL },
};

#define R(n) { "r" #n, 64, PR(n), "uint64", NULL, F_CORE }

/*
 * gdb's features/rs6000/power64-core.xml and power64-linux.xml.  gdb
 * numbers pc 64 (after the FPRs); a target description may number it as
 * it likes, and here it follows r31.  cr and xer are 32 bits in gdb: the
 * low half of their 8-byte slots, which on little endian starts the slot.
 */
static const struct arch_reg regs[] = {
	R(0), R(1), R(2), R(3), R(4), R(5), R(6), R(7),
	R(8), R(9), R(10), R(11), R(12), R(13), R(14), R(15),
	R(16), R(17), R(18), R(19), R(20), R(21), R(22), R(23),
	R(24), R(25), R(26), R(27), R(28), R(29), R(30), R(31),
	{ "pc", 64, PR(PR_NIP), "code_ptr", NULL, F_CORE },
	{ "msr", 64, PR(PR_MSR), "uint64", NULL, F_CORE },
	{ "cr", 32, PR(PR_CCR), "uint32", NULL, F_CORE },
	{ "lr", 64, PR(PR_LINK), "code_ptr", NULL, F_CORE },
	{ "ctr", 64, PR(PR_CTR), "uint64", NULL, F_CORE },
	{ "xer", 32, PR(PR_XER), "uint32", NULL, F_CORE },
	{ "orig_r3", 64, PR(PR_ORIG_GPR3), "int", NULL, F_LINUX },
	{ "trap", 64, PR(PR_TRAP), "int", NULL, F_LINUX },
};

enum { REG_R1 = 1, REG_PC = 32 };

const struct arch arch_ppc64le = {
	.name = "ppc64le",
	/* EM_PPC64 is also big-endian ppc64, which this table is not. */
	.e_machine = EM_PPC64,
	.word_size = 8,
	.big_endian = false,
	.gdb_arch = "powerpc:common64",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_PC,
	.sp_reg = REG_R1,	/* the ABI's stack pointer */
	.prstatus = {
		/* 64-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * pr_pid at 32, pr_reg at 112; then pr_fpvalid and padding:
		 * 112 + 384 + 4 + 4 = 504. */
		.size = 504,
		.pid_offset = 32,
		.reg_offset = 112,
		.reg_size = PR_NGREG * 8,
	},
	.kdump = {
		.capture_cmdline = "irqpoll maxcpus=1 noirqdistrib reset_devices",
		.crashkernel = "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	.irqs_disabled = NULL,
	.kernel_link_base = NULL,
};
