/* SPDX-License-Identifier: MIT */
/*
 * x86_64: registers from struct elf_prstatus, gdb's x86-64 register
 * description, kernel page tables (4-level and 5-level).
 */
#include <elf.h>
#include <inttypes.h>
#include <stddef.h>

#include "../libvmcore/vmcore.h"
#include "arch.h"

/*
 * struct user_regs_struct (arch/x86/include/asm/user_64.h), which is the
 * pr_reg of a 64-bit struct elf_prstatus: slot numbers times 8.
 */
enum {
	PR_R15, PR_R14, PR_R13, PR_R12, PR_RBP, PR_RBX, PR_R11, PR_R10,
	PR_R9, PR_R8, PR_RAX, PR_RCX, PR_RDX, PR_RSI, PR_RDI, PR_ORIG_RAX,
	PR_RIP, PR_CS, PR_EFLAGS, PR_RSP, PR_SS, PR_FS_BASE, PR_GS_BASE,
	PR_DS, PR_ES, PR_FS, PR_GS, PR_NREGS
};
#define PR(slot) ((slot) * 8)

enum { F_CORE, F_LINUX, F_SEGMENTS };

static const struct arch_feature features[] = {
	[F_CORE] = { "org.gnu.gdb.i386.core",
		/* As gdb's features/i386/64bit-core.xml. */
		"    <flags id=\"i386_eflags\" size=\"4\">\n"
		"      <field name=\"\" start=\"22\" end=\"31\"/>\n"
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
	[F_SEGMENTS] = { "org.gnu.gdb.i386.segments", NULL },
};

#define GPR(n, slot, t) { n, 64, PR(slot), t, NULL, F_CORE }
#define SEG(n, slot) { n, 32, PR(slot), "int32", NULL, F_CORE }
#define ST(n) { n, 80, -1, "i387_ext", NULL, F_CORE }
#define FPU(n) { n, 32, -1, "int", "float", F_CORE }

/* gdb's amd64 register order (amd64-tdep.h); the x87 state is not in
 * crash dumps and reads as unavailable. */
static const struct arch_reg regs[] = {
	GPR("rax", PR_RAX, "int64"), GPR("rbx", PR_RBX, "int64"),
	GPR("rcx", PR_RCX, "int64"), GPR("rdx", PR_RDX, "int64"),
	GPR("rsi", PR_RSI, "int64"), GPR("rdi", PR_RDI, "int64"),
	GPR("rbp", PR_RBP, "data_ptr"), GPR("rsp", PR_RSP, "data_ptr"),
	GPR("r8", PR_R8, "int64"), GPR("r9", PR_R9, "int64"),
	GPR("r10", PR_R10, "int64"), GPR("r11", PR_R11, "int64"),
	GPR("r12", PR_R12, "int64"), GPR("r13", PR_R13, "int64"),
	GPR("r14", PR_R14, "int64"), GPR("r15", PR_R15, "int64"),
	GPR("rip", PR_RIP, "code_ptr"),
	{ "eflags", 32, PR(PR_EFLAGS), "i386_eflags", NULL, F_CORE },
	SEG("cs", PR_CS), SEG("ss", PR_SS), SEG("ds", PR_DS),
	SEG("es", PR_ES), SEG("fs", PR_FS), SEG("gs", PR_GS),
	ST("st0"), ST("st1"), ST("st2"), ST("st3"),
	ST("st4"), ST("st5"), ST("st6"), ST("st7"),
	FPU("fctrl"), FPU("fstat"), FPU("ftag"), FPU("fiseg"),
	FPU("fioff"), FPU("foseg"), FPU("fooff"), FPU("fop"),
	{ "orig_rax", 64, PR(PR_ORIG_RAX), "int", "system", F_LINUX },
	{ "fs_base", 64, PR(PR_FS_BASE), "int", NULL, F_SEGMENTS },
	{ "gs_base", 64, PR(PR_GS_BASE), "int", NULL, F_SEGMENTS },
};

/* __START_KERNEL_map (arch/x86/include/asm/page_64_types.h). */
#define START_KERNEL_MAP UINT64_C(0xffffffff80000000)
#define KERNEL_IMAGE_END UINT64_C(0xffffffffc0000000)
/* __START_KERNEL with the default CONFIG_PHYSICAL_START=0x1000000. */
#define DEFAULT_TEXT_START UINT64_C(0xffffffff81000000)

#define PTE_PRESENT UINT64_C(0x1)
#define PTE_PSE UINT64_C(0x80)
/* Physical-address bits of an entry: 12..51 (__PHYSICAL_MASK_SHIFT 52). */
#define PTE_ADDR_MASK UINT64_C(0x000ffffffffff000)

static const struct vmc_pgt_level levels4[] = {
	{ "pte", 12, 9 }, { "pmd", 21, 9 }, { "pud", 30, 9 }, { "pgd", 39, 9 },
};
static const struct vmc_pgt_level levels5[] = {
	{ "pte", 12, 9 }, { "pmd", 21, 9 }, { "pud", 30, 9 }, { "p4d", 39, 9 },
	{ "pgd", 48, 9 },
};

static enum vmc_pte_kind x86_64_step(const struct vmc_pgt *pgt,
				     unsigned level, uint64_t pte,
				     uint64_t *addr_ret)
{
	uint64_t size = UINT64_C(1) << pgt->levels[level].shift;

	if (!(pte & PTE_PRESENT))
		return VMC_PTE_NONE;
	/* PS marks 1 GiB (pud) and 2 MiB (pmd) pages. */
	if (level == 0 || ((level == 1 || level == 2) && (pte & PTE_PSE))) {
		*addr_ret = pte & pgt->addr_mask & ~(size - 1);
		return VMC_PTE_LEAF;
	}
	*addr_ret = pte & pgt->addr_mask;
	return VMC_PTE_TABLE;
}

static void set_levels(struct vmc_pgt *pgt, bool l5, uint64_t sme_mask,
		       const char *description)
{
	pgt->nlevels = l5 ? 5 : 4;
	pgt->levels = l5 ? levels5 : levels4;
	pgt->pte_size = 8;
	pgt->big_endian = false;
	pgt->va_bits = l5 ? 57 : 48;
	pgt->sign_extended = true;
	pgt->addr_mask = PTE_ADDR_MASK & ~sme_mask;
	pgt->step = x86_64_step;
	pgt->description = description;
}

/* The QEMU "QEMU" CPU-state note (struct QEMUCPUState, version 1):
 * u32 version, u32 size, then 64-bit fields; cr[0..4] from byte 392. */
#define QEMU_CPUSTATE_SIZE 432
#define QEMU_CR3 416
#define QEMU_CR4 424
#define QEMU_RIP 136
#define CR4_LA57 (UINT64_C(1) << 12)
/* CR3 bits 0-11 are PCID/flags; with page-table isolation bit 12
 * selects the user half of an 8 KiB-aligned pgd pair. */
#define CR3_PTI_USER UINT64_C(0x1000)
#define KERNEL_SPACE UINT64_C(0xffff800000000000)

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * No SYMBOL(swapper_pg_dir) (a QEMU dump without VMCOREINFO): use the
 * CR3 that QEMU saved.  Every process's pgd maps the kernel half the
 * same way, so any CPU that was in the kernel will do; one that was in
 * user space may hold the PTI user pgd, which lacks most of the kernel,
 * so then take its kernel twin.
 */
static bool pgt_from_qemu_cr3(struct vmcore *vc, struct vmc_pgt *pgt)
{
	const struct vmc_cpu *user = NULL;

	for (size_t i = 0; i < vmcore_num_cpus(vc); i++) {
		const struct vmc_cpu *cpu = vmcore_cpu(vc, i);

		if (!cpu->qemu || cpu->qemu_size < QEMU_CPUSTATE_SIZE)
			continue;
		if (get_le64(cpu->qemu + QEMU_RIP) < KERNEL_SPACE) {
			user = user ? user : cpu;
			continue;
		}
		pgt->root = get_le64(cpu->qemu + QEMU_CR3) & PTE_ADDR_MASK;
		set_levels(pgt, get_le64(cpu->qemu + QEMU_CR4) & CR4_LA57, 0,
			   get_le64(cpu->qemu + QEMU_CR4) & CR4_LA57 ?
			   "x86_64 5-level, from a CPU's CR3" :
			   "x86_64 4-level, from a CPU's CR3");
		return true;
	}
	if (!user)
		return false;
	pgt->root = get_le64(user->qemu + QEMU_CR3) & PTE_ADDR_MASK &
		    ~CR3_PTI_USER;
	set_levels(pgt, get_le64(user->qemu + QEMU_CR4) & CR4_LA57, 0,
		   get_le64(user->qemu + QEMU_CR4) & CR4_LA57 ?
		   "x86_64 5-level, from a user-mode CPU's CR3" :
		   "x86_64 4-level, from a user-mode CPU's CR3");
	return true;
}

static struct vmc_error *x86_64_pgt_init(struct vmcore *vc,
					 struct vmc_pgt *pgt)
{
	uint64_t swapper, phys_base;
	int64_t l5 = 0, sme_mask = 0;
	struct vmc_error *err;

	err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(swapper_pg_dir)", &swapper);
	if (err && err->code == VMC_ERR_NOT_FOUND && pgt_from_qemu_cr3(vc, pgt)) {
		vmc_error_destroy(err);
		return NULL;
	}
	if (err || (err = vmcore_phys_base(vc, &phys_base)))
		return err;
	/* Absent before Linux 4.14 (no 5-level support): 4 levels. */
	vmc_error_destroy(vmcore_vmcoreinfo_dec(vc, "NUMBER(pgtable_l5_enabled)",
					    &l5));
	/* AMD SME: the encryption bit is not part of the address. */
	vmc_error_destroy(vmcore_vmcoreinfo_dec(vc, "NUMBER(sme_mask)",
					    &sme_mask));
	if (swapper < START_KERNEL_MAP || swapper >= KERNEL_IMAGE_END)
		return vmc_error_create(VMC_ERR_FORMAT,
			"SYMBOL(swapper_pg_dir)=0x%" PRIx64 " is outside the "
			"kernel image mapping", swapper);
	/* __pa_symbol(): x - __START_KERNEL_map + phys_base. */
	pgt->root = swapper - START_KERNEL_MAP + phys_base;
	set_levels(pgt, l5, (uint64_t)sme_mask,
		   l5 ? "x86_64 5-level" : "x86_64 4-level");
	return NULL;
}

static struct vmc_error *x86_64_kernel_link_base(struct vmcore *vc,
						 uint64_t *ret)
{
	uint64_t stext;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)", &stext);

	/* _stext is where the first PT_LOAD of an x86_64 vmlinux starts. */
	if (err) {
		vmc_error_destroy(err);
		*ret = DEFAULT_TEXT_START;
		return NULL;
	}
	*ret = stext - vmcore_kaslr_offset(vc);
	return NULL;
}

#define EFLAGS_IF UINT64_C(0x200)

static bool x86_64_irqs_disabled(const uint8_t *prstatus, size_t size)
{
	uint8_t raw[8];
	uint64_t eflags = 0;

	if (!arch_reg_from_prstatus(&arch_x86_64, 17, prstatus, size, raw))
		return false;
	for (int i = 3; i >= 0; i--)
		eflags = eflags << 8 | raw[i];
	return !(eflags & EFLAGS_IF);
}

/*
 * A sleeping task: __switch_to_asm() (arch/x86/entry/entry_64.S) pushed
 * rbp, rbx, r12-r15 below its return address and saved the stack pointer
 * in task->thread.sp, which so points at a struct inactive_task_frame
 * (arch/x86/include/asm/switch_to.h).  The task resumes at ret_addr with
 * the stack pointer just above the frame; gdb unwinds on from there with
 * the vmlinux's CFI (__schedule, or ret_from_fork for a new task).
 */
static const struct arch_frame_reg frame_regs[] = {
	{ "r15", PR_R15, 15 }, { "r14", PR_R14, 14 }, { "r13", PR_R13, 13 },
	{ "r12", PR_R12, 12 }, { "bx", PR_RBX, 1 }, { "bp", PR_RBP, 6 },
	{ "ret_addr", PR_RIP, 16 },
};

static const struct arch_frame_layout frame = {
	.word = 8, .pr_reg_offset = 112,	/* .prstatus.reg_offset */
	.regs = frame_regs, .nregs = sizeof(frame_regs) / sizeof(frame_regs[0]),
	.sp_slot = PR_RSP, .sp_reg = 7,
};

/* __KERNEL_CS and __KERNEL_DS (arch/x86/include/asm/segment.h). */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static struct vmc_error *x86_64_task_regs(const struct arch_task_ctx *ctx,
					  uint64_t task, uint8_t *prstatus,
					  bool *known)
{
	uint8_t *pr = prstatus + frame.pr_reg_offset;
	struct vmc_error *err = arch_inactive_frame_regs(ctx, &frame, task,
							 prstatus, known);

	if (err)
		return err;
	put_le64(pr + PR(PR_CS), KERNEL_CS);
	put_le64(pr + PR(PR_SS), KERNEL_DS);
	known[18] = known[19] = true;	/* cs, ss */
	return NULL;
}

const struct arch arch_x86_64 = {
	.name = "x86_64",
	.e_machine = EM_X86_64,
	.word_size = 8,
	.big_endian = false,
	.gdb_arch = "i386:x86-64",
	.gdb_osabi = "GNU/Linux",
	.features = features,
	.nfeatures = sizeof(features) / sizeof(features[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
	.pc_reg = 16,
	.sp_reg = 7,
	.prstatus = {
		/* struct elf_prstatus on x86_64: pr_pid after elf_siginfo,
		 * cursig and two longs; pr_reg after four timevals. */
		.size = 336,
		.pid_offset = 32,
		.reg_offset = 112,
		.reg_size = PR_NREGS * 8,
	},
	.kdump = {
		.capture_cmdline = "irqpoll nr_cpus=1 reset_devices",
		.text_segment = true,
		.crashkernel = "1G-4G:192M,4G-64G:256M,64G-:512M",
	},
	.percpu_zero_based = true,
	.irqs_disabled = x86_64_irqs_disabled,
	.pgt_init = x86_64_pgt_init,
	.kernel_link_base = x86_64_kernel_link_base,
	.task_regs = x86_64_task_regs,
};
