/* SPDX-License-Identifier: MIT */
/*
 * aarch64 (little-endian): registers from struct elf_prstatus and gdb's
 * aarch64 register description; kernel (TTBR1) page tables for the 4K,
 * 16K and 64K granules as VMCOREINFO describes them.
 */
#include <elf.h>
#include <inttypes.h>
#include <stddef.h>

#include "../libvmcore/vmcore.h"
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

enum { F_CORE, F_FPU, F_PAUTH, F_KERNEL };

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
	/* gdb's features/aarch64-fpu.xml.  Crash dumps do not hold the FP
	 * state, but gdb numbers registers after cpsr as if v0 came next:
	 * without this feature gdb 13 takes the pauth masks for v0 and v1
	 * and its RA_SIGN_STATE pseudo register for q0, and cannot unwind. */
	[F_FPU] = { "org.gnu.gdb.aarch64.fpu", NULL },
	/* gdb's features/aarch64-pauth.xml: the masks of the pointer
	 * authentication code bits, which gdb strips from signed return
	 * addresses (and shows as [PAC] in backtraces). */
	[F_PAUTH] = { "org.gnu.gdb.aarch64.pauth", NULL },
	/* Ours: what a kernel debugger reads that no CPU note holds. */
	[F_KERNEL] = { "gdbserver-vmcore.aarch64.kernel", NULL },
};

#define X(n) { "x" #n, 64, PR_X(n), "int", NULL, F_CORE }
#define V(n) { "v" #n, 128, ARCH_REG_NONE, "uint128", "vector", F_FPU }

/* gdb's aarch64 register order (aarch64-tdep.h: AARCH64_V0_REGNUM 34,
 * FPSR 66, FPCR 67, then optional features).  cpsr is the low half of
 * the 64-bit pstate slot. */
static const struct arch_reg regs[] = {
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7),
	X(8), X(9), X(10), X(11), X(12), X(13), X(14), X(15),
	X(16), X(17), X(18), X(19), X(20), X(21), X(22), X(23),
	X(24), X(25), X(26), X(27), X(28), X(29), X(30),
	{ "sp", 64, PR_SP, "data_ptr", NULL, F_CORE },
	{ "pc", 64, PR_PC, "code_ptr", NULL, F_CORE },
	{ "cpsr", 32, PR_PSTATE, "cpsr_flags", NULL, F_CORE },
	V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7),
	V(8), V(9), V(10), V(11), V(12), V(13), V(14), V(15),
	V(16), V(17), V(18), V(19), V(20), V(21), V(22), V(23),
	V(24), V(25), V(26), V(27), V(28), V(29), V(30), V(31),
	{ "fpsr", 32, ARCH_REG_NONE, "int", "float", F_FPU },
	{ "fpcr", 32, ARCH_REG_NONE, "int", "float", F_FPU },
	{ "pauth_dmask", 64, ARCH_REG_DUMP, "int", NULL, F_PAUTH },
	{ "pauth_cmask", 64, ARCH_REG_DUMP, "int", NULL, F_PAUTH },
	/* The kernel keeps `current` in sp_el0 (arch/arm64/include/asm/
	 * current.h, since Linux 4.10); Linux's scripts/gdb read
	 * $SP_EL0 for $lx_current() (QEMU's name for it). */
	{ "SP_EL0", 64, ARCH_REG_TASK, "uint64", "system", F_KERNEL },
};

enum { REG_SP = 31, REG_PC = 32, REG_CPSR = 33, REG_PAUTH_DMASK = 68,
       REG_PAUTH_CMASK };

/*
 * The kernel's PAC bits, NUMBER(KERNELPACMASK)=0x%llx (Linux 5.7+,
 * arch/arm64/kernel/crash_core.c): ptrauth_kernel_pac_mask(), or 0 when
 * the CPU had no address authentication.  Kernel code and data pointers
 * are signed with the same bits, so both masks are that value.  Without
 * a nonzero mask the pauth registers are not there.
 */
static uint64_t kernel_pac_mask(const struct vmcore *vc)
{
	uint64_t mask;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "NUMBER(KERNELPACMASK)",
						      &mask);

	if (err) {
		vmc_error_destroy(err);
		return 0;
	}
	return mask;
}

static bool aarch64_dump_reg(const struct vmcore *vc, size_t reg,
			     uint8_t *buf)
{
	uint64_t mask = kernel_pac_mask(vc);

	if ((reg != REG_PAUTH_DMASK && reg != REG_PAUTH_CMASK) || !mask)
		return false;
	for (unsigned i = 0; i < 8; i++)
		buf[i] = (uint8_t)(mask >> (8 * i));
	return true;
}

/* ---- page tables ------------------------------------------------------ */

/*
 * One kernel page-table format: granule (PAGESIZE) and VA_BITS pick it.
 * The number of levels is the kernel's ARM64_HW_PGTABLE_LEVELS(va_bits)
 * = (va_bits - 4) / (PAGE_SHIFT - 3) (arch/arm64/include/asm/
 * pgtable-hwdef.h); each level indexes PAGE_SHIFT - 3 bits but the top
 * one, which takes what is left of va_bits.  Levels are named as the
 * kernel names them, folded levels left out.
 */
struct a64_format {
	unsigned page_shift;
	unsigned va_bits;
	unsigned nlevels;
	const char *description;
	struct vmc_pgt_level levels[4];		/* [0] is the pte level */
};

static const struct a64_format formats[] = {
	{ 12, 39, 3, "aarch64 4K pages, 39-bit VA, 3 levels",
	  { { "pte", 12, 9 }, { "pmd", 21, 9 }, { "pgd", 30, 9 } } },
	{ 12, 48, 4, "aarch64 4K pages, 48-bit VA, 4 levels",
	  { { "pte", 12, 9 }, { "pmd", 21, 9 }, { "pud", 30, 9 },
	    { "pgd", 39, 9 } } },
	{ 14, 36, 2, "aarch64 16K pages, 36-bit VA, 2 levels",
	  { { "pte", 14, 11 }, { "pgd", 25, 11 } } },
	{ 14, 47, 3, "aarch64 16K pages, 47-bit VA, 3 levels",
	  { { "pte", 14, 11 }, { "pmd", 25, 11 }, { "pgd", 36, 11 } } },
	{ 14, 48, 4, "aarch64 16K pages, 48-bit VA, 4 levels",
	  { { "pte", 14, 11 }, { "pmd", 25, 11 }, { "pud", 36, 11 },
	    { "pgd", 47, 1 } } },
	{ 16, 42, 2, "aarch64 64K pages, 42-bit VA, 2 levels",
	  { { "pte", 16, 13 }, { "pgd", 29, 13 } } },
	{ 16, 48, 3, "aarch64 64K pages, 48-bit VA, 3 levels",
	  { { "pte", 16, 13 }, { "pmd", 29, 13 }, { "pgd", 42, 6 } } },
	/* CONFIG_ARM64_VA_BITS_52: swapper_pg_dir has 1024 entries.  On a
	 * CPU without 52-bit VA the kernel points TTBR1 at its last 64
	 * (TTBR1_BADDR_4852_OFFSET); kernel addresses then have bits 51:48
	 * all ones, so indexing the whole table with bits 51:42 finds the
	 * same entries. */
	{ 16, 52, 3, "aarch64 64K pages, 52-bit VA, 3 levels",
	  { { "pte", 16, 13 }, { "pmd", 29, 13 }, { "pgd", 42, 10 } } },
};

/* Descriptor bits 1:0 (Arm ARM D8.3, pgtable-hwdef.h PMD_TYPE_*,
 * PTE_TYPE_*): bit 0 valid; 0b11 a table (or a page at the last level),
 * 0b01 a block where the level allows blocks. */
#define DESC_VALID UINT64_C(0x1)
#define DESC_TABLE UINT64_C(0x2)
/* Output (and next-table) address: bits 47:PAGE_SHIFT.  With 64K pages
 * and 52-bit PA (ARMv8.2 LPA) PA bits 51:48 are in bits 15:12, which are
 * RES0 otherwise: PTE_ADDR_HIGH in pgtable-hwdef.h. */
#define ADDR_LOW_END 48
#define ADDR_HIGH_MASK UINT64_C(0xf000)
#define ADDR_HIGH_SHIFT 36		/* bits 15:12 -> 51:48 */

static const struct a64_format *find_format(unsigned page_shift,
					    unsigned va_bits)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].page_shift == page_shift &&
		    formats[i].va_bits == va_bits)
			return &formats[i];
	}
	return NULL;
}

static unsigned page_shift_of(const struct vmc_pgt *pgt)
{
	return pgt->levels[0].shift;
}

/* Blocks: 1G at level 1 with 4K pages, and at level 2 (2M, 32M, 512M:
 * the shift PAGE_SHIFT + PAGE_SHIFT - 3) with every granule. */
static bool block_allowed(unsigned page_shift, unsigned shift)
{
	return shift == 2 * page_shift - 3 || (page_shift == 12 && shift == 30);
}

static uint64_t desc_addr(const struct vmc_pgt *pgt, uint64_t desc)
{
	uint64_t pa = desc & pgt->addr_mask;

	if (page_shift_of(pgt) == 16)
		pa |= (desc & ADDR_HIGH_MASK) << ADDR_HIGH_SHIFT;
	return pa;
}

static enum vmc_pte_kind aarch64_step(const struct vmc_pgt *pgt,
				      unsigned level, uint64_t desc,
				      uint64_t *addr_ret)
{
	unsigned shift = pgt->levels[level].shift;

	if (!(desc & DESC_VALID))
		return VMC_PTE_NONE;
	if (level == 0) {
		/* 0b01 at the last level is reserved: invalid. */
		if (!(desc & DESC_TABLE))
			return VMC_PTE_NONE;
		*addr_ret = desc_addr(pgt, desc);
		return VMC_PTE_LEAF;
	}
	if (desc & DESC_TABLE) {
		*addr_ret = desc_addr(pgt, desc);
		return VMC_PTE_TABLE;
	}
	if (!block_allowed(page_shift_of(pgt), shift))
		return VMC_PTE_NONE;
	*addr_ret = desc_addr(pgt, desc) & ~((UINT64_C(1) << shift) - 1);
	return VMC_PTE_LEAF;
}

/* PAGESIZE and VA_BITS (decimal), the format they name. */
static struct vmc_error *pick_format(struct vmcore *vc,
				     const struct a64_format **ret)
{
	int64_t page_size, va_bits;
	unsigned shift = 0;
	struct vmc_error *err;

	if ((err = vmcore_vmcoreinfo_dec(vc, "PAGESIZE", &page_size)) ||
	    (err = vmcore_vmcoreinfo_dec(vc, "NUMBER(VA_BITS)", &va_bits)))
		return err;
	if (page_size == 4096 || page_size == 16384 || page_size == 65536)
		shift = page_size == 4096 ? 12 : page_size == 16384 ? 14 : 16;
	if (!shift)
		return vmc_error_create(VMC_ERR_FORMAT, "VMCOREINFO "
			"PAGESIZE=%" PRId64 " is not an aarch64 granule (4096, "
			"16384 or 65536)", page_size);
	if (va_bits < 0 || va_bits > 64 ||
	    !(*ret = find_format(shift, (unsigned)va_bits)))
		return vmc_error_create(VMC_ERR_UNSUPPORTED, "VMCOREINFO "
			"NUMBER(VA_BITS)=%" PRId64 " with %" PRId64 "-byte "
			"pages is not a kernel layout this walker knows (4K: "
			"39, 48; 16K: 36, 47, 48; 64K: 42, 48, 52; 52-bit VA "
			"with 4K or 16K pages (LPA2) is not supported)",
			va_bits, page_size);
	return NULL;
}

/* NUMBER(TCR_EL1_T1SZ) (Linux 5.12+, hex): the VA size the CPU used,
 * 64 - T1SZ, which may be below VA_BITS (52-bit kernel, 48-bit CPU). */
static struct vmc_error *check_t1sz(struct vmcore *vc, unsigned va_bits)
{
	uint64_t t1sz;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "NUMBER(TCR_EL1_T1SZ)",
						      &t1sz);

	if (err) {
		bool absent = err->code == VMC_ERR_NOT_FOUND;

		vmc_error_destroy(err);
		return absent ? NULL : vmc_error_create(VMC_ERR_FORMAT,
			"VMCOREINFO NUMBER(TCR_EL1_T1SZ)=%s is not a number",
			vmcore_vmcoreinfo(vc, "NUMBER(TCR_EL1_T1SZ)"));
	}
	if (t1sz >= 64 || 64 - t1sz > va_bits || 64 - t1sz < 25)
		return vmc_error_create(VMC_ERR_FORMAT, "VMCOREINFO "
			"NUMBER(TCR_EL1_T1SZ)=0x%" PRIx64 " (%" PRId64 "-bit "
			"kernel VA) does not fit NUMBER(VA_BITS)=%u", t1sz,
			(int64_t)64 - (int64_t)t1sz, va_bits);
	return NULL;
}

static struct vmc_error *aarch64_pgt_init(struct vmcore *vc,
					  struct vmc_pgt *pgt)
{
	const struct a64_format *fmt;
	uint64_t swapper, voffset, root;
	struct vmc_error *err;

	/* kimage_voffset is printed as 0x%llx although it is a NUMBER()
	 * (arch/arm64/kernel/crash_core.c). */
	if ((err = pick_format(vc, &fmt)) ||
	    (err = check_t1sz(vc, fmt->va_bits)) ||
	    (err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(swapper_pg_dir)",
					 &swapper)) ||
	    (err = vmcore_vmcoreinfo_hex(vc, "NUMBER(kimage_voffset)",
					 &voffset)))
		return err;
	/* __pa_symbol(): kernel image addresses are kimage_voffset above
	 * their physical addresses. */
	root = swapper - voffset;
	if (root & ((UINT64_C(1) << fmt->page_shift) - 1) ||
	    root >> 52)
		return vmc_error_create(VMC_ERR_FORMAT,
			"SYMBOL(swapper_pg_dir)=0x%" PRIx64 " - "
			"NUMBER(kimage_voffset)=0x%" PRIx64 " = 0x%" PRIx64
			" is not a page-aligned physical address", swapper,
			voffset, root);
	pgt->root = root;
	pgt->nlevels = fmt->nlevels;
	pgt->levels = fmt->levels;
	pgt->pte_size = 8;
	pgt->big_endian = false;
	pgt->va_bits = fmt->va_bits;
	/* TTBR1 translates the top 2^va_bits bytes only. */
	pgt->sign_extended = false;
	pgt->upper_half_only = true;
	pgt->addr_mask = ((UINT64_C(1) << ADDR_LOW_END) - 1) &
			 ~((UINT64_C(1) << fmt->page_shift) - 1);
	pgt->step = aarch64_step;
	pgt->description = fmt->description;
	return NULL;
}

/* ---- pointer authentication -------------------------------------------- */

/* SEGMENT_ALIGN (arch/arm64/include/asm/memory.h): _stext is this far
 * above _text (see aarch64_kernel_link_base()). */
#define SEGMENT_ALIGN UINT64_C(0x10000)

#define VA_RANGE_SELECT (UINT64_C(1) << 55)	/* set: a TTBR1 address */

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The kernel image's code and data as the dump maps it: from _text
 * (SEGMENT_ALIGN below SYMBOL(_stext), see below) to the end of the
 * segment holding _stext.  False when the dump does not say.
 */
static bool kernel_image(const struct vmcore *vc, uint64_t *start_ret,
			 uint64_t *end_ret)
{
	uint64_t stext;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)",
						      &stext);

	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *seg = vmcore_segment(vc, i);

		if (stext - seg->vaddr < seg->memsz) {
			*start_ret = stext - SEGMENT_ALIGN;
			*end_ret = seg->vaddr + seg->memsz;
			return true;
		}
	}
	return false;
}

/*
 * With CONFIG_ARM64_PTR_AUTH_KERNEL the kernel signs return addresses
 * (pac-ret): the frame records on its stacks hold them with a PAC in the
 * KERNELPACMASK bits, which for a kernel address are all ones once
 * stripped.  gdb 13 strips with "addr & ~pauth_cmask", right for user
 * addresses only; newer gdb sets the bits again for addresses with bit
 * 55 set (aarch64_remove_top_bits).  For the former, words that become
 * kernel-image addresses when the mask bits are set are served
 * stripped.  Return addresses into modules stay signed.
 */
static void aarch64_strip_pac(const struct vmcore *vc, uint64_t addr,
			      uint8_t *buf, size_t len)
{
	uint64_t mask = kernel_pac_mask(vc), start, end;

	if (!mask || !kernel_image(vc, &start, &end))
		return;
	for (size_t off = (8 - (addr & 7)) & 7; off + 8 <= len; off += 8) {
		uint64_t v = load64(buf + off), plain = v | mask;

		if ((v & mask) == mask || !(v & VA_RANGE_SELECT) ||
		    plain < start || plain >= end)
			continue;
		for (unsigned i = 0; i < 8; i++)
			buf[off + i] = (uint8_t)(plain >> (8 * i));
	}
}

/*
 * The vmlinux's one PT_LOAD starts at _text (KIMAGE_VADDR), and _stext
 * follows the head text at the next SEGMENT_ALIGN boundary: ".text :
 * ALIGN(SEGMENT_ALIGN) { _stext = .;" in arch/arm64/kernel/vmlinux.lds.S,
 * SEGMENT_ALIGN = SZ_64K in asm/memory.h, the head text being far
 * smaller.  VMCOREINFO gives _stext, not _text.
 */

static struct vmc_error *aarch64_kernel_link_base(struct vmcore *vc,
						  uint64_t *ret)
{
	uint64_t stext;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)",
						      &stext);

	if (err)
		return err;	/* VMC_ERR_NOT_FOUND: no offsets sent */
	*ret = stext - vmcore_kaslr_offset(vc) - SEGMENT_ALIGN;
	return NULL;
}

/*
 * PSTATE.I (DAIF bit 7) in the saved registers.  panic() has masked
 * interrupts before crash_kexec() saves the panicking CPU's registers;
 * the other CPUs are stopped by an IPI and save the interrupted context,
 * which had them unmasked (it took the interrupt).  On the Debian 6.1
 * kdump: panic CPU cpsr 0xc5, idle CPU 0x40400005.
 */
#define PSTATE_I UINT32_C(0x80)

static bool aarch64_irqs_disabled(const uint8_t *prstatus, size_t size)
{
	uint8_t raw[4];

	if (!arch_reg_from_prstatus(&arch_aarch64, REG_CPSR, prstatus, size,
				    raw))
		return false;
	return raw[0] & PSTATE_I;
}

/*
 * A sleeping task: cpu_switch_to() (arch/arm64/kernel/entry.S) saved
 * x19-x28, fp, sp and lr, its return address into __switch_to(), in
 * task->thread.cpu_context (struct cpu_context,
 * arch/arm64/include/asm/processor.h); the task resumes there.
 */
static const struct { const char *member; int reg; } context_regs[] = {
	{ "x19", 19 }, { "x20", 20 }, { "x21", 21 }, { "x22", 22 },
	{ "x23", 23 }, { "x24", 24 }, { "x25", 25 }, { "x26", 26 },
	{ "x27", 27 }, { "x28", 28 }, { "fp", 29 }, { "sp", REG_SP },
	{ "pc", REG_PC },
};

static struct vmc_error *aarch64_task_regs(const struct arch_task_ctx *ctx,
					   uint64_t task, uint8_t *prstatus,
					   bool *known)
{
	uint8_t *pr = prstatus + 112;	/* .prstatus.reg_offset */
	uint64_t base, off;
	struct vmc_error *err;

	err = ctx->member(ctx->arg, "task_struct", "thread.cpu_context",
			  &base, NULL);
	for (size_t i = 0; !err && i < sizeof(context_regs) /
	     sizeof(context_regs[0]); i++) {
		int reg = context_regs[i].reg;

		err = ctx->member(ctx->arg, "cpu_context",
				  context_regs[i].member, &off, NULL);
		if (!err)
			err = ctx->read(ctx->arg, task + base + off,
					pr + regs[reg].prstatus_offset, 8);
		known[reg] = !err;
	}
	return err;
}

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
	.kdump = {
		.capture_cmdline = "irqpoll nr_cpus=1 reset_devices cgroup_disable=memory",
		.text_segment = true,	/* the kernel image at KIMAGE_VADDR */
		.crashkernel = "2G-4G:256M,4G-64G:320M,64G-:576M",
	},
	.percpu_zero_based = false,
	.pgt_init = aarch64_pgt_init,
	.dump_reg = aarch64_dump_reg,
	.strip_pac = aarch64_strip_pac,
	.irqs_disabled = aarch64_irqs_disabled,
	.kernel_link_base = aarch64_kernel_link_base,
	.task_regs = aarch64_task_regs,
};
