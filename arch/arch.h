/* SPDX-License-Identifier: MIT */
/*
 * Everything that differs between architectures lives behind one const
 * struct arch per architecture (arch/<name>.c exports exactly one).
 * Adding an architecture is one new file plus one line in arch.c.
 */
#ifndef VMC_ARCH_H
#define VMC_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"
#include "../libvmcore/pgwalk.h"

struct vmcore;

/* A target-description feature, in the order registers reference them. */
struct arch_feature {
	const char *name;	/* "org.gnu.gdb.i386.core" */
	const char *types_xml;	/* type definitions emitted first, or NULL */
};

/* arch_reg.prstatus_offset of a register the dumps do not hold. */
#define ARCH_REG_NONE (-1)
/* ... of a register that always reads as zero (riscv's x0). */
#define ARCH_REG_ZERO (-2)
/* ... of a register whose value comes from the dump as a whole
 * (VMCOREINFO), the same on every CPU: arch->dump_reg gives it.  When
 * the dump has no value the register is not there at all: it is left
 * out of target.xml and of 'g' replies, and so is a feature left with
 * no register. */
#define ARCH_REG_DUMP (-3)
/* ... of a register that holds the thread's own task_struct address
 * whenever that task runs in the kernel (arm64 sp_el0 is `current`):
 * served when the threads are tasks, left out (as above) otherwise. */
#define ARCH_REG_TASK (-4)

/*
 * One register as gdb numbers it.  The table order is the remote register
 * number (the 'g' packet order and the regnum in target.xml).  Its value
 * is the BITSIZE / 8 bytes at PRSTATUS_OFFSET in pr_reg, copied as they
 * are: the dump holds them in the target's byte order, which is what the
 * 'g' packet wants.  A register narrower than its pr_reg slot (x86_64
 * eflags, aarch64 cpsr, ppc64 cr and xer) is the low part of the slot:
 * the slot's offset on little-endian targets, the offset of its last
 * BITSIZE / 8 bytes on big-endian ones.
 */
struct arch_reg {
	const char *name;
	unsigned bitsize;
	int prstatus_offset;	/* byte offset in pr_reg, or ARCH_REG_* */
	const char *type;	/* tdesc type ("int64", "code_ptr", ...) */
	const char *group;	/* tdesc group, or NULL */
	unsigned feature;	/* index into arch->features */
};

/* Where things are in this architecture's struct elf_prstatus. */
struct arch_prstatus {
	size_t size;
	size_t pid_offset;
	size_t reg_offset;
	size_t reg_size;
};

/* What a capture (crash) kernel of this architecture needs, for the
 * loader: options added to its command line, and the crashkernel= value
 * to recommend (sized for the distribution kernel plus a capture
 * initramfs, as distributions' kdump services default it). */
struct arch_kdump {
	const char *capture_cmdline;
	const char *crashkernel;
	/* The kexec_load path's ELF core header: the linear map's start
	 * (0: read it from /proc/kcore, as KASLR moves it), where it ends
	 * for 32-bit highmem (0: never), and whether the kernel image has
	 * its own mapping that needs a PT_LOAD (x86_64). */
	uint64_t page_offset;
	uint64_t lowmem_limit;
	bool text_segment;
};

/*
 * What a sleeping task's saved registers are read through: the dump's
 * memory and the structure layouts of the dumped kernel's vmlinux (the
 * caller's, behind these functions), so an architecture can name the
 * members it needs ("thread.sp", "inactive_task_frame") and nothing more.
 */
struct arch_task_ctx {
	void *arg;
	struct vmc_error *(*read)(void *arg, uint64_t addr, void *buf,
				  size_t len);
	struct vmc_error *(*member)(void *arg, const char *type,
				    const char *member, uint64_t *offset_ret,
				    uint64_t *size_ret);
	struct vmc_error *(*size)(void *arg, const char *type, uint64_t *ret);
};

struct arch {
	const char *name;		/* "x86_64": the uname machine */
	/* Other uname machine names of this architecture ("i686"), as the
	 * kdump-compressed header may carry them; NULL-terminated, or NULL. */
	const char *const *aliases;
	uint16_t e_machine;
	unsigned word_size;		/* bytes in a kernel pointer */
	bool big_endian;
	const char *gdb_arch;		/* tdesc <architecture> */
	const char *gdb_osabi;		/* tdesc <osabi>, or NULL */

	const struct arch_feature *features;
	size_t nfeatures;
	const struct arch_reg *regs;
	size_t nregs;
	int pc_reg, sp_reg;		/* indexes into regs */
	struct arch_prstatus prstatus;
	struct arch_kdump kdump;
	/* Per-CPU variables are linked at 0 (x86_64 SMP): their link
	 * addresses are offsets into each CPU's per-CPU area. */
	bool percpu_zero_based;

	/*
	 * Set up kernel page-table translation from what the dump says
	 * (VMCOREINFO, CPU notes).  VMC_ERR_NOT_FOUND when the dump lacks
	 * what is needed; the caller then falls back to segment addresses.
	 * An architecture without a walker yet uses arch_pgt_unsupported.
	 */
	struct vmc_error *(*pgt_init)(struct vmcore *vc, struct vmc_pgt *ret);

	/* Were interrupts disabled in these saved registers? Optional. */
	bool (*irqs_disabled)(const uint8_t *prstatus, size_t size);

	/* Value (target byte order) of register REG, an ARCH_REG_DUMP one,
	 * from the dump; false when the dump does not have it.  Needed
	 * when regs has ARCH_REG_DUMP entries. */
	bool (*dump_reg)(const struct vmcore *vc, size_t reg, uint8_t *buf);

	/* Pointer authentication: in LEN bytes read at ADDR, replace every
	 * aligned word that is a PAC-signed pointer into kernel code by the
	 * plain pointer, for debuggers that cannot strip kernel PACs.
	 * Optional (gdbserver-vmcore --strip-pac). */
	void (*strip_pac)(const struct vmcore *vc, uint64_t addr,
			  uint8_t *buf, size_t len);

	/*
	 * A task that is not running on a CPU: its registers as the
	 * context switch saved them, written into PRSTATUS (a zeroed
	 * buffer of prstatus.size bytes, laid out as a CPU note) with
	 * KNOWN[reg] set for each register it gave (the others read as
	 * unavailable).  Optional: without it, tasks have no registers.
	 */
	struct vmc_error *(*task_regs)(const struct arch_task_ctx *ctx,
				       uint64_t task, uint8_t *prstatus,
				       bool *known);

	/* Link-time address of the first kernel segment, for qOffsets.
	 * Optional: without it, or when it returns VMC_ERR_NOT_FOUND (the
	 * dump does not tell), gdb is sent no offsets (KASLR not undone). */
	struct vmc_error *(*kernel_link_base)(struct vmcore *vc,
					      uint64_t *ret);
};

/*
 * x86 (32 and 64 bit) sleeping tasks: task->thread.sp points at a struct
 * inactive_task_frame; each listed member goes into its prstatus slot
 * (WORD-byte little-endian words from PR_REG_OFFSET), and the stack
 * pointer slot gets thread.sp plus the frame's size.  KNOWN[reg] is set
 * for each register written.
 */
struct arch_frame_reg {
	const char *member;
	int slot, reg;
};
struct arch_frame_layout {
	unsigned word;			/* 4 or 8 */
	size_t pr_reg_offset;		/* of pr_reg in the prstatus */
	const struct arch_frame_reg *regs;
	size_t nregs;
	int sp_slot, sp_reg;
};
struct vmc_error *arch_inactive_frame_regs(const struct arch_task_ctx *ctx,
					   const struct arch_frame_layout *l,
					   uint64_t task, uint8_t *prstatus,
					   bool *known);

/* The arch for an ELF e_machine, or NULL. */
const struct arch *arch_from_machine(uint16_t e_machine);
/* The arch for a uname machine string ("x86_64"), or NULL. */
const struct arch *arch_from_name(const char *name);
/* What is supported, for messages: "x86_64 (EM_X86_64), i386 ...". */
const char *arch_supported_list(void);

/* Register value bytes (target byte order) of REG from a prstatus note;
 * false when the dump does not hold it. */
bool arch_reg_from_prstatus(const struct arch *arch, size_t reg,
			    const uint8_t *prstatus, size_t prstatus_size,
			    uint8_t *buf);
/* Is REG there for this dump (VC may be NULL: no ARCH_REG_DUMP ones),
 * with TASKS when the threads are tasks (ARCH_REG_TASK ones)? */
bool arch_reg_present(const struct arch *arch, const struct vmcore *vc,
		      bool tasks, size_t reg);
/* Value bytes of REG for a CPU with that prstatus note, whatever kind of
 * register it is; false when unavailable (or not present). */
bool arch_reg_value(const struct arch *arch, const struct vmcore *vc,
		    size_t reg, const uint8_t *prstatus, size_t prstatus_size,
		    uint8_t *buf);
/* Generate target.xml; the caller frees *xml_ret.  arch_target_xml_for()
 * describes the registers present in VC; arch_target_xml() those that
 * do not depend on a dump. */
struct vmc_error *arch_target_xml_for(const struct arch *arch,
				      const struct vmcore *vc, bool tasks,
				      char **xml_ret, size_t *len_ret);
struct vmc_error *arch_target_xml(const struct arch *arch, char **xml_ret,
				  size_t *len_ret);
/* pgt_init of an architecture with no page-table walker yet: always
 * VMC_ERR_NOT_FOUND, so reads use the PT_LOAD virtual addresses. */
struct vmc_error *arch_pgt_unsupported(struct vmcore *vc,
				       struct vmc_pgt *ret);

extern const struct arch arch_x86_64;
extern const struct arch arch_i386;
extern const struct arch arch_aarch64;
extern const struct arch arch_arm;
extern const struct arch arch_ppc64le;
extern const struct arch arch_s390x;
extern const struct arch arch_riscv64;

#endif
