/* SPDX-License-Identifier: MIT */
/* Definitions shared inside libvmcore; not for the tools. */
#ifndef VMC_INTERNAL_H
#define VMC_INTERNAL_H

#include <stdint.h>

#include "filemap.h"
#include "pgwalk.h"
#include "vmcore.h"
#include "vmcoreinfo.h"

/*
 * A dump format: how to find the physical pages.  Formats fill in
 * segments, CPUs and VMCOREINFO at open; read_phys serves page data.
 */
struct vmc_format_ops {
	const char *name;
	/* Does the file start like this format? */
	bool (*probe)(const uint8_t *head, size_t len);
	struct vmc_error *(*open)(struct vmcore *vc);
	/* Read LEN bytes at PADDR or fail; *done_ret = bytes read. */
	struct vmc_error *(*read_phys)(struct vmcore *vc, uint64_t paddr,
				       void *buf, size_t len,
				       size_t *done_ret);
	/* Was the page at PADDR left out by the dump level?  Optional. */
	bool (*excluded)(struct vmcore *vc, uint64_t paddr);
	/* Forget cached pages (optional): reading policy changed. */
	void (*invalidate)(struct vmcore *vc);
	void (*close)(struct vmcore *vc);
};

extern const struct vmc_format_ops vmc_format_elf;
extern const struct vmc_format_ops vmc_format_kdump;

/* Split dump sets (format_kdump.c).  The physical range a file of a
 * set holds, or false for any other dump. */
bool vmc_kdump_split_range(const struct vmcore *vc, uint64_t *start_ret,
			   uint64_t *end_ret);
/* Make VC, a file of a split set, serve the whole set with the N OTHERS;
 * on success VC owns them. */
struct vmc_error *vmc_kdump_join(struct vmcore *vc, struct vmcore **others,
				 size_t n);

/* The flattened stream (flat.c): the dump file seen through its index. */
struct vmc_flat;
bool vmc_flat_probe(const uint8_t *head, size_t len);
struct vmc_error *vmc_flat_open(struct vmcore *vc);
void vmc_flat_close(struct vmcore *vc);
uint64_t vmc_flat_size(const struct vmcore *vc);
size_t vmc_flat_records(const struct vmcore *vc);
struct vmc_error *vmc_flat_read(struct vmcore *vc, uint64_t off, void *buf,
				size_t len);

/*
 * A disjoint piece of physical memory and where its bytes are:
 * [0, avail) in the file at OFFSET, [avail, filesz) missing (truncated
 * dump), [filesz, size) zero (memsz beyond filesz).
 */
struct vmc_prange {
	uint64_t paddr;
	uint64_t size;
	uint64_t offset;
	uint64_t avail;
	uint64_t filesz;
};

#define VMC_TLB_SIZE 512

struct vmc_tlb {
	/* Direct-mapped cache of 4 KiB translations, tag = vaddr >> 12. */
	uint64_t tag[VMC_TLB_SIZE];	/* UINT64_MAX: empty */
	uint64_t ppage[VMC_TLB_SIZE];
	/* The last leaf found, whatever its size. */
	uint64_t last_vbase, last_size, last_pbase;
	uint64_t hits, misses;
};

struct vmcore {
	char *path;
	int fd;
	uint64_t file_size;		/* of the dump as its format sees it */
	struct vmc_filemap map;
	struct vmc_flat *flat;		/* NULL: not a flattened stream */
	const struct vmc_format_ops *ops;
	char format_name[96];
	const struct arch *arch;
	void *format_data;		/* format-private state */

	struct vmc_segment *segs;	/* in dump order */
	size_t nsegs;
	struct vmc_prange *pranges;	/* sorted, disjoint */
	size_t npranges;
	size_t *vorder;			/* segment indexes sorted by vaddr */
	size_t nvorder;

	struct vmc_cpu *cpus;
	size_t ncpus, cpus_cap;
	size_t nqemu;

	struct vmc_note *notes;		/* every note, in dump order */
	size_t nnotes, notes_cap;

	struct vmcoreinfo vmcoreinfo;
	bool have_vmcoreinfo;
	uint64_t vmcoreinfo_paddr;	/* where the scan found it, or 0 */

	int dump_level;			/* makedumpfile -d, -1: not filtered */
	uint64_t excluded_pages;
	bool zero_excluded;		/* excluded pages read as zeros */
	/* phys_base from a dump header, for when VMCOREINFO has none. */
	bool have_hdr_phys_base;
	uint64_t hdr_phys_base;

	char **warnings;
	size_t nwarnings;

	/* KASLR offset from vmcore_set_link_stext(), without KERNELOFFSET. */
	bool have_computed_kaslr;
	uint64_t computed_kaslr;

	bool have_pgt;
	struct vmc_pgt pgt;
	char *translation;
	struct vmc_tlb tlb;
};

struct vmc_error *vmc_warn(struct vmcore *vc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Bytes [off, off+len) of the dump file (through the flattened index
 * when there is one); all of them or an error. */
struct vmc_error *vmc_file_read(struct vmcore *vc, uint64_t off, void *buf,
				size_t len);

/* Segments are set; build the physical and virtual indexes. */
struct vmc_error *vmc_index_segments(struct vmcore *vc);
/* Serve [paddr, paddr+len) from the physical index and the file. */
struct vmc_error *vmc_read_pranges(struct vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, size_t *done_ret);

/* Notes. */
struct vmc_error *vmc_add_note(struct vmcore *vc, const char *name,
			       uint32_t type, const uint8_t *desc,
			       size_t descsz);

/* No VMCOREINFO note: look for the kernel's own copy in memory. */
struct vmc_error *vmc_find_vmcoreinfo(struct vmcore *vc);

#endif
