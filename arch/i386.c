/* SPDX-License-Identifier: MIT */
/*
 * i386: registers from the 32-bit struct elf_prstatus, gdb's i386
 * register description, kernel page tables (2-level, and 3-level PAE).
 */
#include <elf.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "../libvmcore/vmcore.h"
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

/* ---- page tables --------------------------------------------------------- */

#define PTE_PRESENT UINT64_C(0x1)
#define PTE_PSE UINT64_C(0x80)
/* 2-level entries: a 4 KiB-aligned 32-bit address. */
#define PTE32_ADDR_MASK UINT64_C(0xfffff000)
/* A 4 MiB page: bits 22-31 of its address, and with PSE-36 (Intel SDM
 * vol. 3 table 4-4) bits 32-39 in entry bits 13-20; bit 12 is PAT. */
#define PDE32_4M_ADDR_MASK UINT64_C(0xffc00000)
#define PDE32_4M_HIGH_SHIFT 13
#define PDE32_4M_HIGH_MASK UINT64_C(0xff)
/* PAE entries: address bits 12 to MAXPHYADDR-1 (52 at most); bit 63 is
 * NX, bits 52-62 are ignored by the MMU. */
#define PTE64_ADDR_MASK UINT64_C(0x000ffffffffff000)

static const struct vmc_pgt_level levels2[] = {
	{ "pte", 12, 10 }, { "pgd", 22, 10 },
};
/* PAE: the pgd is the 4-entry page-directory-pointer table; the kernel's
 * p4d and pud are folded into it. */
static const struct vmc_pgt_level levels3[] = {
	{ "pte", 12, 9 }, { "pmd", 21, 9 }, { "pgd", 30, 2 },
};

static enum vmc_pte_kind i386_step(const struct vmc_pgt *pgt, unsigned level,
				   uint64_t pte, uint64_t *addr_ret)
{
	if (!(pte & PTE_PRESENT))
		return VMC_PTE_NONE;
	if (level == 1 && (pte & PTE_PSE)) {
		*addr_ret = (pte & PDE32_4M_ADDR_MASK) |
			    ((pte >> PDE32_4M_HIGH_SHIFT) & PDE32_4M_HIGH_MASK)
			    << 32;
		return VMC_PTE_LEAF;
	}
	*addr_ret = pte & pgt->addr_mask;
	return level == 0 ? VMC_PTE_LEAF : VMC_PTE_TABLE;
}

static enum vmc_pte_kind i386_pae_step(const struct vmc_pgt *pgt,
				       unsigned level, uint64_t pte,
				       uint64_t *addr_ret)
{
	if (!(pte & PTE_PRESENT))
		return VMC_PTE_NONE;
	/* PS marks 2 MiB pages in the pmd; a PDPT entry has no PS bit. */
	if (level == 0 || (level == 1 && (pte & PTE_PSE))) {
		uint64_t size = UINT64_C(1) << pgt->levels[level].shift;

		*addr_ret = pte & pgt->addr_mask & ~(size - 1);
		return VMC_PTE_LEAF;
	}
	*addr_ret = pte & pgt->addr_mask;
	return VMC_PTE_TABLE;
}

/*
 * PAGE_OFFSET, where the kernel maps physical 0, is a build option
 * (CONFIG_VMSPLIT_*, arch/x86/Kconfig) that VMCOREINFO does not carry.
 * The kernel image lives in that direct map (also with KASLR, which moves
 * it physically and virtually together), so __pa(swapper_pg_dir) is its
 * address minus PAGE_OFFSET; the right choice is the one whose tables map
 * swapper_pg_dir back onto itself.  Most common first.
 */
static const uint64_t page_offsets[] = {
	UINT64_C(0xc0000000),	/* VMSPLIT_3G: Debian and most others */
	UINT64_C(0x80000000),	/* VMSPLIT_2G */
	UINT64_C(0xb0000000),	/* VMSPLIT_3G_OPT */
	UINT64_C(0x78000000),	/* VMSPLIT_2G_OPT */
	UINT64_C(0x40000000),	/* VMSPLIT_1G */
};

static struct vmc_error *read_phys(void *vc, uint64_t paddr, void *buf,
				   size_t len)
{
	return vmcore_read_phys(vc, paddr, buf, len, NULL);
}

/* Does PGT, rooted at SWAPPER - PAGE_OFFSET, map SWAPPER to its root? */
static bool maps_itself(struct vmcore *vc, const struct vmc_pgt *pgt,
			uint64_t swapper)
{
	struct vmc_walk walk;
	struct vmc_error *err = vmc_pgt_walk(pgt, read_phys, vc, swapper,
					     &walk);

	vmc_error_destroy(err);
	return !err && walk.paddr == pgt->root;
}

static void set_format(struct vmc_pgt *pgt, bool pae)
{
	pgt->nlevels = pae ? 3 : 2;
	pgt->levels = pae ? levels3 : levels2;
	pgt->pte_size = pae ? 8 : 4;
	pgt->big_endian = false;
	pgt->va_bits = 32;
	pgt->sign_extended = false;
	pgt->addr_mask = pae ? PTE64_ADDR_MASK : PTE32_ADDR_MASK;
	pgt->step = pae ? i386_pae_step : i386_step;
	pgt->description = pae ? "i386 PAE 3-level" : "i386 2-level";
}

static struct vmc_error *i386_pgt_init(struct vmcore *vc,
				       struct vmc_pgt *pgt)
{
	const char *pae = vmcore_vmcoreinfo(vc, "CONFIG_X86_PAE");
	uint64_t swapper;
	struct vmc_error *err;

	if ((err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(swapper_pg_dir)",
					 &swapper)))
		return err;
	if (swapper > UINT32_MAX || (swapper & 0xfff))
		return vmc_error_create(VMC_ERR_FORMAT,
			"SYMBOL(swapper_pg_dir)=0x%" PRIx64 " is not a "
			"page-aligned 32-bit address", swapper);
	/* arch_crash_save_vmcoreinfo() (arch/x86/kernel/machine_kexec_32.c)
	 * writes CONFIG_X86_PAE=y on PAE kernels, nothing otherwise. */
	set_format(pgt, pae && !strcmp(pae, "y"));
	for (size_t i = 0; i < sizeof(page_offsets) / sizeof(*page_offsets);
	     i++) {
		if (swapper < page_offsets[i])
			continue;
		pgt->root = swapper - page_offsets[i];
		if (maps_itself(vc, pgt, swapper))
			return NULL;
	}
	return vmc_error_create(VMC_ERR_FORMAT,
		"%s page tables: no PAGE_OFFSET (0xc0000000, 0x80000000, "
		"0xb0000000, 0x78000000, 0x40000000) makes SYMBOL(swapper_pg_dir)"
		"=0x%" PRIx64 " map onto its own physical address",
		pgt->description, swapper);
}

/* PAGE_OFFSET + CONFIG_PHYSICAL_START (0x1000000), Debian's link address. */
#define DEFAULT_TEXT_START UINT64_C(0xc1000000)

/* _stext starts the first PT_LOAD of an i386 vmlinux, as on x86_64.
 * 32-bit VMCOREINFO has no KERNELOFFSET: the offset is known only once
 * vmcore_set_link_stext() was given the vmlinux's _stext. */
static struct vmc_error *i386_kernel_link_base(struct vmcore *vc,
					       uint64_t *ret)
{
	uint64_t stext;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)",
						      &stext);

	/* Without it no offset can be known and none is sent: any base. */
	if (err) {
		vmc_error_destroy(err);
		*ret = DEFAULT_TEXT_START;
		return NULL;
	}
	*ret = stext - vmcore_kaslr_offset(vc);
	return NULL;
}

static const char *const aliases[] = { "i486", "i586", "i686", NULL };

/*
 * A sleeping task: __switch_to_asm() (arch/x86/entry/entry_32.S) pushed
 * ebp, ebx, edi, esi and the flags below its return address and saved
 * the stack pointer in task->thread.sp: a struct inactive_task_frame
 * (arch/x86/include/asm/switch_to.h), as on x86_64.
 */
static const struct arch_frame_reg frame_regs[] = {
	{ "flags", PR_EFLAGS, REG_EFLAGS }, { "si", PR_ESI, 6 },
	{ "di", PR_EDI, 7 }, { "bx", PR_EBX, 3 }, { "bp", PR_EBP, 5 },
	{ "ret_addr", PR_EIP, REG_EIP },
};

static const struct arch_frame_layout frame = {
	.word = 4, .pr_reg_offset = 72,		/* .prstatus.reg_offset */
	.regs = frame_regs, .nregs = sizeof(frame_regs) / sizeof(frame_regs[0]),
	.sp_slot = PR_ESP, .sp_reg = REG_ESP,
};

static struct vmc_error *i386_task_regs(const struct arch_task_ctx *ctx,
					uint64_t task, uint8_t *prstatus,
					bool *known)
{
	return arch_inactive_frame_regs(ctx, &frame, task, prstatus, known);
}

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
	.kdump = {
		.capture_cmdline = "irqpoll nr_cpus=1 reset_devices",
		/* VMSPLIT_3G; lowmem ends at 896 MiB (MAXMEM), as kexec-tools
		 * assumes too. */
		.page_offset = 0xc0000000,
		.lowmem_limit = 0x38000000,
		.crashkernel = "512M-:128M",
	},
	.percpu_zero_based = false,
	.pgt_init = i386_pgt_init,
	.irqs_disabled = i386_irqs_disabled,
	.kernel_link_base = i386_kernel_link_base,
	.task_regs = i386_task_regs,
};
