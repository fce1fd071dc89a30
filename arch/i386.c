/* SPDX-License-Identifier: MIT */
/*
 * i386: registers from the 32-bit struct elf_prstatus and gdb's i386
 * register description.  No page-table walker yet.
 */
#include <elf.h>
#include <stddef.h>

#include "arch.h"

/*
 * struct user_regs_struct (arch/x86/include/asm/user_32.h), the pr_reg of
 * a 32-bit struct elf_prstatus as ELF_CORE_COPY_REGS fills it: slot
 * numbers times 4.
 */
enum {
	PR_EBX, PR_ECX, PR_EDX, PR_ESI, PR_EDI, PR_EBP, PR_EAX, PR_DS,
	PR_ES, PR_FS, PR_GS, PR_ORIG_EAX, PR_EIP, PR_CS, PR_EFLAGS, PR_ESP,
	PR_SS, PR_NREGS
};
#define PR(slot) ((slot) * 4)

enum { F_CORE, F_LINUX };

static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.i386.core",
		/* As gdb's features/i386/32bit-core.xml. */
		"    <flags id=\"i386_eflags\" size=\"4\">\n"
		"      <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
		"      <field name=\"\" start=\"1\" end=\"1\"/>\n"
		"      <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
		"      <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
		"      <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
		"      <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
		"      <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
		"      <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
		"      <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
		"      <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
		"      <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
		"      <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
		"      <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
		"      <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
		"      <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
		"      <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
		"      <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
		"    </flags>\n" },
	[F_LINUX] = { "org.gnu.gdb.i386.linux", NULL },
};

#define GPR(n, slot, t) { n, 32, PR(slot), t, NULL, F_CORE }
#define ST(n) { n, 80, ARCH_REG_NONE, "i387_ext", NULL, F_CORE }
#define FPU(n) { n, 32, ARCH_REG_NONE, "int", "float", F_CORE }

/* gdb's i386 register order (i386-tdep.h); the x87 state is not in crash
 * dumps and reads as unavailable.  Without the SSE feature orig_eax
 * follows fop directly. */
static const struct arch_reg regs[] = {
	GPR("eax", PR_EAX, "int32"), GPR("ecx", PR_ECX, "int32"),
	GPR("edx", PR_EDX, "int32"), GPR("ebx", PR_EBX, "int32"),
	GPR("esp", PR_ESP, "data_ptr"), GPR("ebp", PR_EBP, "data_ptr"),
	GPR("esi", PR_ESI, "int32"), GPR("edi", PR_EDI, "int32"),
	GPR("eip", PR_EIP, "code_ptr"), GPR("eflags", PR_EFLAGS, "i386_eflags"),
	GPR("cs", PR_CS, "int32"), GPR("ss", PR_SS, "int32"),
	GPR("ds", PR_DS, "int32"), GPR("es", PR_ES, "int32"),
	GPR("fs", PR_FS, "int32"), GPR("gs", PR_GS, "int32"),
	ST("st0"), ST("st1"), ST("st2"), ST("st3"),
	ST("st4"), ST("st5"), ST("st6"), ST("st7"),
	FPU("fctrl"), FPU("fstat"), FPU("ftag"), FPU("fiseg"),
	FPU("fioff"), FPU("foseg"), FPU("fooff"), FPU("fop"),
	{ "orig_eax", 32, PR(PR_ORIG_EAX), "int", NULL, F_LINUX },
};

enum { REG_ESP = 4, REG_EIP = 8, REG_EFLAGS = 9 };

#define EFLAGS_IF 0x200u

/* x86's crash_setup_regs() saves the flags of the panic path (pushfl),
 * and panic() has disabled interrupts by then. */
static bool i386_irqs_disabled(const uint8_t *prstatus, size_t size)
{
	uint8_t raw[4];
	uint32_t eflags;

	if (!arch_reg_from_prstatus(&arch_i386, REG_EFLAGS, prstatus, size,
				    raw))
		return false;
	eflags = (uint32_t)raw[3] << 24 | (uint32_t)raw[2] << 16 |
		 (uint32_t)raw[1] << 8 | raw[0];
	return !(eflags & EFLAGS_IF);
}

static const char *const aliases[] = { "i486", "i586", "i686", NULL };

const struct arch arch_i386 = {
	/* The kernel's uname machine is i386 to i686 by CPU family
	 * (setup_arch() in arch/x86/kernel/setup.c). */
	.name = "i386",
	.aliases = aliases,
	.e_machine = EM_386,
	.word_size = 4,
	.big_endian = false,
	.gdb_arch = "i386",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = REG_EIP,
	.sp_reg = REG_ESP,
	.prstatus = {
		/* 32-bit struct elf_prstatus (include/uapi/linux/elfcore.h):
		 * elf_siginfo (12), pr_cursig (2 + 2 padding), pr_sigpend
		 * and pr_sighold (4 each), then pr_pid at 24; pr_reg after
		 * ppid, pgrp, sid and four 8-byte timevals, at 72; then
		 * pr_fpvalid: 72 + 68 + 4 = 144. */
		.size = 144,
		.pid_offset = 24,
		.reg_offset = 72,
		.reg_size = PR_NREGS * 4,
	},
	.percpu_zero_based = false,
	.pgt_init = arch_pgt_unsupported,
	.irqs_disabled = i386_irqs_disabled,
	.kernel_link_base = NULL,	/* no KERNELOFFSET on 32-bit x86 */
};
