/* SPDX-License-Identifier: MIT */
/*
 * aarch64 (little-endian): registers from struct elf_prstatus and gdb's
 * aarch64 register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * struct user_pt_regs (arch/arm64/include/uapi/asm/ptrace.h), the pr_reg
 * of struct elf_prstatus: regs[31], sp, pc, pstate, 8 bytes each.
 */
#define PR_X(n) ((n) * 8)
#define PR_SP (31 * 8)
#define PR_PC (32 * 8)
#define PR_PSTATE (33 * 8)
#define PR_SIZE (34 * 8)

enum { F_CORE };

static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.aarch64.core",
		/* The PSTATE fields of gdb's features/aarch64-core.xml. */
		"    <flags id=\"cpsr_flags\" size=\"4\">\n"
		"      <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
		"      <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
		"      <field name=\"nRW\" start=\"4\" end=\"4\"/>\n"
		"      <field name=\"F\" start=\"6\" end=\"6\"/>\n"
		"      <field name=\"I\" start=\"7\" end=\"7\"/>\n"
		"      <field name=\"A\" start=\"8\" end=\"8\"/>\n"
		"      <field name=\"D\" start=\"9\" end=\"9\"/>\n"
		"      <field name=\"BTYPE\" start=\"10\" end=\"11\"/>\n"
		"      <field name=\"SSBS\" start=\"12\" end=\"12\"/>\n"
		"      <field name=\"IL\" start=\"20\" end=\"20\"/>\n"
		"      <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
		"      <field name=\"PAN\" start=\"22\" end=\"22\"/>\n"
		"      <field name=\"UAO\" start=\"23\" end=\"23\"/>\n"
		"      <field name=\"DIT\" start=\"24\" end=\"24\"/>\n"
		"      <field name=\"TCO\" start=\"25\" end=\"25\"/>\n"
		"      <field name=\"V\" start=\"28\" end=\"28\"/>\n"
		"      <field name=\"C\" start=\"29\" end=\"29\"/>\n"
		"      <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
		"      <field name=\"N\" start=\"31\" end=\"31\"/>\n"
		"    </flags>\n" },
};

#define X(n) { "x" #n, 64, PR_X(n), "int", NULL, F_CORE }

/* gdb's aarch64 register order (aarch64-tdep.h).  cpsr is the low half
 * of the 64-bit pstate slot. */
static const struct arch_reg regs[] = {
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7),
	X(8), X(9), X(10), X(11), X(12), X(13), X(14), X(15),
	X(16), X(17), X(18), X(19), X(20), X(21), X(22), X(23),
	X(24), X(25), X(26), X(27), X(28), X(29), X(30),
	{ "sp", 64, PR_SP, "data_ptr", NULL, F_CORE },
	{ "pc", 64, PR_PC, "code_ptr", NULL, F_CORE },
	{ "cpsr", 32, PR_PSTATE, "cpsr_flags", NULL, F_CORE },
};

enum { REG_SP = 31, REG_PC = 32 };

const struct arch arch_aarch64 = {
	.name = "aarch64",
	.e_machine = EM_AARCH64,
	.word_size = 8,
	.big_endian = false,
	.gdb_arch = "aarch64",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_PC,
	.sp_reg = REG_SP,
	.prstatus = {
		/* 64-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * elf_siginfo (12), pr_cursig (2 + 2 padding), pr_sigpend
		 * and pr_sighold (8 each), then pr_pid at 32; pr_reg after
		 * ppid, pgrp, sid and four 16-byte timevals, at 112; then
		 * pr_fpvalid and padding: 112 + 272 + 4 + 4 = 392. */
		.size = 392,
		.pid_offset = 32,
		.reg_offset = 112,
		.reg_size = PR_SIZE,
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	/* Not yet: whether the panicking CPU's saved PSTATE has the I bit
	 * set is to be checked on real dumps first. */
	.irqs_disabled = NULL,
	/* The first vmlinux segment starts at _text, which VMCOREINFO does
	 * not give: to come with the page-table walker. */
	.kernel_link_base = NULL,
};
