/* SPDX-License-Identifier: MIT */
/*
 * --vmlinux: the dumped kernel's vmlinux, read for what the dump does not
 * say.  32-bit x86 writes no KERNELOFFSET into VMCOREINFO; with the
 * vmlinux's _stext the KASLR offset is SYMBOL(_stext) minus it.
 */
#ifndef VMC_VMLINUX_H
#define VMC_VMLINUX_H

#include <stdbool.h>
#include <stdint.h>

#include "../libvmcore/vmcore.h"
#include "strbuf.h"

/* Kernel symbols the task list needs (link addresses; per-CPU ones are
 * offsets into a CPU's area on x86_64). */
enum vmlinux_sym {
	VSYM_INIT_TASK,		/* the first task: swapper/0 */
	VSYM_CURRENT_TASK,	/* per-CPU task pointer (x86_64 < 6.2) */
	VSYM_PCPU_HOT,		/* per-CPU struct pcpu_hot (x86_64 >= 6.2) */
	VSYM_PER_CPU_OFFSET,	/* __per_cpu_offset[NR_CPUS] */
	VSYM_IDLE_THREADS,	/* per-CPU idle task pointer (smpboot.c) */
	VSYM_PER_CPU_START,	/* __per_cpu_start */
	VSYM_MODULES,		/* the list_head of loaded modules */
	VSYM_COUNT
};

/* What we take from a vmlinux. */
struct vmlinux_info {
	bool have_sym[VSYM_COUNT];
	uint64_t sym[VSYM_COUNT];
	uint16_t e_machine;
	uint64_t stext;
	bool have_banner;
	uint64_t banner_addr;
	char banner[256];	/* linux_banner, NUL-terminated, maybe cut */
};

/* Read PATH's ELF header and symbols; clear errors for a file that is no
 * ELF, has no symbol table or no _stext. */
struct vmc_error *vmlinux_read(const char *path, struct vmlinux_info *ret);

/*
 * Read PATH and give VC its KASLR offset from it.  Errors when PATH is
 * unusable or for another architecture; a vmlinux that does not look like
 * the dumped kernel's (release, linux_banner in the dump, KERNELOFFSET)
 * adds one line per finding to WARNINGS.
 */
struct vmc_error *vmlinux_apply(struct vmcore *vc, const char *path,
				struct strbuf *warnings);
/* The same, also giving what was read (its symbols, for the tasks). */
struct vmc_error *vmlinux_apply_info(struct vmcore *vc, const char *path,
				     struct strbuf *warnings,
				     struct vmlinux_info *ret);

#endif
