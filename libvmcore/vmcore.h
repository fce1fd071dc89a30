/* SPDX-License-Identifier: MIT */
/*
 * libvmcore: the dump model shared by gdbserver-vmcore, elfconv and loader.
 *
 * A struct vmcore is one opened crash dump, read-only.  It knows the
 * physical memory the dump holds, the per-CPU register notes, VMCOREINFO,
 * the architecture, and how to translate kernel virtual addresses by
 * walking the dumped kernel's own page tables.
 */
#ifndef VMCORE_H
#define VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct vmcore;
struct arch;

/* One loadable segment as the dump describes it. */
struct vmc_segment {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t filesz;	/* bytes the dump claims to hold */
	uint64_t offset;	/* file offset of those bytes */
	uint64_t avail;		/* bytes actually present (< filesz: truncated) */
};

/* One CPU: its NT_PRSTATUS note, in dump order, and QEMU state if any. */
struct vmc_cpu {
	unsigned index;
	int32_t pid;			/* pr_pid */
	const uint8_t *prstatus;	/* whole note descriptor */
	size_t prstatus_size;
	const uint8_t *qemu;		/* QEMU CPU-state note, or NULL */
	size_t qemu_size;
};

struct vmc_error *vmcore_open(const char *path, struct vmcore **ret);
/* Several files that make one dump: the files of a split dump set
 * (makedumpfile --split), in any order.  N == 1 is vmcore_open(). */
struct vmc_error *vmcore_open_set(const char *const *paths, size_t n,
				  struct vmcore **ret);
void vmcore_close(struct vmcore *vc);

/* What was opened. */
const char *vmcore_path(const struct vmcore *vc);
const char *vmcore_format(const struct vmcore *vc);	/* "ELF64", ... */
const struct arch *vmcore_arch(const struct vmcore *vc);
uint64_t vmcore_file_size(const struct vmcore *vc);
/* Records of a flattened stream (makedumpfile -F); 0 for other files. */
size_t vmcore_flat_records(const struct vmcore *vc);

/*
 * Filtered dumps (makedumpfile -d): the dump level (-1 when the format
 * has none) and how many pages of RAM it left out.  Reading an excluded
 * page fails with VMC_ERR_EXCLUDED, unless zero_excluded is on: then it
 * reads as zeros (what most excluded pages hold, but not all).
 */
int vmcore_dump_level(const struct vmcore *vc);
uint64_t vmcore_excluded_pages(const struct vmcore *vc);
bool vmcore_zero_excluded(const struct vmcore *vc);
/* Was the page holding PADDR excluded by the dump level?  Cheap (one
 * bitmap lookup); false for formats without a dump level. */
bool vmcore_page_excluded(struct vmcore *vc, uint64_t paddr);
void vmcore_set_zero_excluded(struct vmcore *vc, bool on);

/* Problems found at open that do not stop us (truncation...). */
size_t vmcore_num_warnings(const struct vmcore *vc);
const char *vmcore_warning(const struct vmcore *vc, size_t i);

size_t vmcore_num_segments(const struct vmcore *vc);
const struct vmc_segment *vmcore_segment(const struct vmcore *vc, size_t i);

size_t vmcore_num_cpus(const struct vmcore *vc);
const struct vmc_cpu *vmcore_cpu(const struct vmcore *vc, size_t i);

/* Every ELF note of the dump (CPU notes, VMCOREINFO, any other), in dump
 * order, as the dump holds them; valid until vmcore_close(). */
struct vmc_note {
	const char *name;	/* "CORE", "VMCOREINFO", "QEMU", ... */
	uint32_t type;
	const uint8_t *desc;
	size_t descsz;
};
size_t vmcore_num_notes(const struct vmcore *vc);
const struct vmc_note *vmcore_note(const struct vmcore *vc, size_t i);

/* The whole VMCOREINFO text, or NULL.  *PADDR_RET (if not NULL) is 0 when
 * it came from a note, else where it was found in the dump's memory. */
const char *vmcore_vmcoreinfo_text(const struct vmcore *vc,
				   uint64_t *paddr_ret);

/* VMCOREINFO: value for KEY (e.g. "OSRELEASE", "SYMBOL(_stext)"), or NULL. */
const char *vmcore_vmcoreinfo(const struct vmcore *vc, const char *key);
/* Numbers from VMCOREINFO: SYMBOL()/KERNELOFFSET are hex, NUMBER() etc.
 * signed decimal.  VMC_ERR_NOT_FOUND when absent. */
struct vmc_error *vmcore_vmcoreinfo_hex(const struct vmcore *vc,
					const char *key, uint64_t *ret);
struct vmc_error *vmcore_vmcoreinfo_dec(const struct vmcore *vc,
					const char *key, int64_t *ret);
/* NUMBER(phys_base) from VMCOREINFO, else from the dump's own header
 * (kdump-compressed); VMC_ERR_NOT_FOUND when neither has it. */
struct vmc_error *vmcore_phys_base(const struct vmcore *vc, uint64_t *ret);
/* The KASLR offset: KERNELOFFSET from VMCOREINFO, else the one computed
 * by vmcore_set_link_stext(), else 0. */
uint64_t vmcore_kaslr_offset(const struct vmcore *vc);
/* Is it known (KERNELOFFSET, or computed)? */
bool vmcore_kaslr_known(const struct vmcore *vc);
/*
 * 32-bit x86 writes no KERNELOFFSET: the offset is VMCOREINFO
 * SYMBOL(_stext) minus LINK_STEXT, the _stext of the dumped kernel's
 * vmlinux.  VMC_ERR_NOT_FOUND when the dump has no SYMBOL(_stext);
 * VMC_ERR_INVALID, and nothing changed, when the result cannot be right
 * (not page-aligned, or not the dump's KERNELOFFSET): that vmlinux is
 * not the dumped kernel's.
 */
struct vmc_error *vmcore_set_link_stext(struct vmcore *vc,
					uint64_t link_stext);

/* The dumped kernel's uname fields (NUL-terminated), from init_uts_ns. */
struct vmc_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65],
	     domainname[65];
};
struct vmc_error *vmcore_utsname(struct vmcore *vc, struct vmc_utsname *u);

/*
 * Memory.  Both read LEN bytes or fail; on failure *done_ret (if not NULL)
 * tells how many leading bytes were read, so callers can return a short
 * read.  A VMC_ERR_FAULT error says the first unreadable byte and why.
 */
struct vmc_error *vmcore_read_phys(struct vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, size_t *done_ret);
struct vmc_error *vmcore_read_virt(struct vmcore *vc, uint64_t vaddr,
				   void *buf, size_t len, size_t *done_ret);
/* Translates VADDR to a physical address (vmcore_read_mapped()). */
typedef struct vmc_error *vmcore_xlate_fn(struct vmcore *vc, void *arg,
					   uint64_t vaddr, uint64_t *paddr);
/* Reads LEN bytes at VADDR a page at a time, each page translated by
 * XLATE(VC, ARG, ...): the kernel's tables (vmcore_read_virt()) or another
 * address space's.  Stops at the first page that does not translate or
 * read, with the bytes read before it counted in *DONE_RET. */
struct vmc_error *vmcore_read_mapped(struct vmcore *vc, vmcore_xlate_fn *xlate,
				     void *arg, uint64_t vaddr, void *buf,
				     size_t len, size_t *done_ret);

/* A SIZE-byte (1 to 8) unsigned integer at VADDR, in the dumped machine's
 * byte order. */
struct vmc_error *vmcore_read_uint(struct vmcore *vc, uint64_t vaddr,
				   size_t size, uint64_t *ret);

/* Virtual to physical, as vmcore_read_virt() does it. */
struct vmc_error *vmcore_vtop(struct vmcore *vc, uint64_t vaddr,
			      uint64_t *paddr_ret);

/* The page tables in use (NULL: PT_LOAD virtual addresses only), and a
 * walk that records every level, as vmcore_vtop() does it. */
struct vmc_pgt;
struct vmc_walk;
const struct vmc_pgt *vmcore_pgt(const struct vmcore *vc);
struct vmc_error *vmcore_pgwalk(struct vmcore *vc, uint64_t vaddr,
				struct vmc_walk *walk);

/*
 * The kernel log (printk ring buffer, Linux 5.10+), oldest record first,
 * read with the layout VMCOREINFO gives: no debug info needed.  FN returns
 * nonzero to stop.  TEXT is not NUL-terminated and may hold newlines.
 */
typedef int vmc_dmesg_fn(void *arg, uint64_t seq, uint64_t ts_nsec,
			 const char *text, size_t len);
struct vmc_error *vmcore_dmesg(struct vmcore *vc, vmc_dmesg_fn *fn,
			       void *arg);

/* How virtual addresses are translated: "page tables (4-level, root 0x...)". */
const char *vmcore_translation(const struct vmcore *vc);

#endif
