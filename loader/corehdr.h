/* SPDX-License-Identifier: MIT */
/*
 * The ELF core header that the capture kernel's /proc/vmcore is built
 * from (elfcorehdr=), for the kexec_load path, where user space writes it
 * (kexec_file_load has the kernel write its own).  One PT_NOTE per CPU's
 * crash notes, one for VMCOREINFO, a PT_LOAD for the x86_64 kernel text and
 * one per range of crash memory.  As in the kernel's and kexec-tools'
 * headers, p_offset is the physical address of what the segment holds: the
 * capture kernel reads the old memory there.
 */
#ifndef LOADER_COREHDR_H
#define LOADER_COREHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"
#include "iomem.h"

struct core_range {
	uint64_t start, end;	/* physical, end exclusive */
};

struct core_note {
	uint64_t paddr, size;
};

struct corehdr_spec {
	unsigned elfclass;		/* 32 or 64 */
	uint16_t machine;		/* EM_386, EM_X86_64, ... */
	uint64_t page_offset;		/* linear map: vaddr = paddr + this */
	uint64_t lowmem_limit;		/* 0: all RAM is linearly mapped;
					 * else ranges above get vaddr -1 */
	const struct core_range *ram;
	size_t nram;
	const struct core_note *notes;	/* per-CPU crash_notes */
	size_t nnotes;
	struct core_note vmcoreinfo;	/* size 0: none */
	bool text;			/* x86_64: the kernel image mapping */
	uint64_t text_vaddr, text_paddr, text_size;
};

/*
 * Crash memory: the top-level "System RAM" ranges of IO minus every
 * "Crash kernel" range (the capture kernel's own memory).  *RET is
 * malloc'ed, sorted.
 */
struct vmc_error *corehdr_crash_ranges(const struct iomem *io,
				       struct core_range **ret, size_t *n);

/* Can ELF32 describe SPEC (every address and size below 4 GiB)?  If not,
 * the error lists what does not fit. */
struct vmc_error *corehdr_fits_elf32(const struct corehdr_spec *spec);

/* Build the header; *BUF is malloc'ed, *LEN its size. */
struct vmc_error *corehdr_build(const struct corehdr_spec *spec,
				uint8_t **buf, size_t *len);

#endif
