/* SPDX-License-Identifier: MIT */
/*
 * s390x (big-endian): registers from struct elf_prstatus and gdb's
 * 64-bit s390 register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * s390_regs (arch/s390/include/uapi/asm/ptrace.h), the pr_reg of struct
 * elf_prstatus: psw (mask, addr), gprs[16] (8 bytes each), acrs[16]
 * (4 bytes each), orig_gpr2.
 */
#define PR_PSW_MASK 0
#define PR_PSW_ADDR 8
#define PR_GPR(n) (16 + (n) * 8)
#define PR_ACR(n) (144 + (n) * 4)
#define PR_ORIG_GPR2 208
#define PR_SIZE 216

enum { F_CORE, F_ACR, F_FPR, F_LINUX };

/* gdb rejects an s390 description without the acr and fpr features. */
static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.s390.core", NULL },
	[F_ACR] = { "org.gnu.gdb.s390.acr", NULL },
	[F_FPR] = { "org.gnu.gdb.s390.fpr", NULL },
	[F_LINUX] = { "org.gnu.gdb.s390.linux", NULL },
};

#define GPR(n) { "r" #n, 64, PR_GPR(n), "uint64", "general", F_CORE }
#define ACR(n) { "acr" #n, 32, PR_ACR(n), "uint32", "access", F_ACR }
#define FPR(n) { "f" #n, 64, ARCH_REG_NONE, "ieee_double", "float", F_FPR }

/* gdb's features/s390x-core64.xml, s390-acr.xml, s390-fpr.xml and
 * s390x-linux64.xml, in that order.  The floating-point registers are in
 * a separate note (NT_PRFPREG) and read as unavailable. */
static const struct arch_reg regs[] = {
	{ "pswm", 64, PR_PSW_MASK, "uint64", "psw", F_CORE },
	{ "pswa", 64, PR_PSW_ADDR, "uint64", "psw", F_CORE },
	GPR(0), GPR(1), GPR(2), GPR(3), GPR(4), GPR(5), GPR(6), GPR(7),
	GPR(8), GPR(9), GPR(10), GPR(11), GPR(12), GPR(13), GPR(14), GPR(15),
	ACR(0), ACR(1), ACR(2), ACR(3), ACR(4), ACR(5), ACR(6), ACR(7),
	ACR(8), ACR(9), ACR(10), ACR(11), ACR(12), ACR(13), ACR(14), ACR(15),
	{ "fpc", 32, ARCH_REG_NONE, "uint32", "float", F_FPR },
	FPR(0), FPR(1), FPR(2), FPR(3), FPR(4), FPR(5), FPR(6), FPR(7),
	FPR(8), FPR(9), FPR(10), FPR(11), FPR(12), FPR(13), FPR(14), FPR(15),
	{ "orig_r2", 64, PR_ORIG_GPR2, "uint64", "system", F_LINUX },
};

enum { REG_PSWA = 1, REG_R15 = 17 };

const struct arch arch_s390x = {
	.name = "s390x",
	/* EM_S390 is also 31-bit s390, which this table is not. */
	.e_machine = EM_S390,
	.word_size = 8,
	.big_endian = true,
	.gdb_arch = "s390:64-bit",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_PSWA,
	.sp_reg = REG_R15,	/* the ABI's stack pointer */
	.prstatus = {
		/* 64-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * pr_pid at 32, pr_reg at 112; then pr_fpvalid and padding:
		 * 112 + 216 + 4 + 4 = 336. */
		.size = 336,
		.pid_offset = 32,
		.reg_offset = 112,
		.reg_size = PR_SIZE,
	},
	.kdump = {
		.capture_cmdline = "nr_cpus=1 cgroup_disable=memory numa=off transparent_hugepage=never",
		.crashkernel = "1G-4G:192M,4G-64G:256M,64G-:512M",
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	.irqs_disabled = NULL,
	.kernel_link_base = NULL,
};
