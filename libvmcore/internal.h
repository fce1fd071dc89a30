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
	void (*close)(struct vmcore *vc);
};

extern const struct vmc_format_ops vmc_format_elf;

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
	uint64_t file_size;
	struct vmc_filemap map;
	const struct vmc_format_ops *ops;
	char format_name[32];
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

	struct vmcoreinfo vmcoreinfo;
	bool have_vmcoreinfo;

	char **warnings;
	size_t nwarnings;

	bool have_pgt;
	struct vmc_pgt pgt;
	char *translation;
	struct vmc_tlb tlb;
};

struct vmc_error *vmc_warn(struct vmcore *vc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Segments are set; build the physical and virtual indexes. */
struct vmc_error *vmc_index_segments(struct vmcore *vc);
/* Serve [paddr, paddr+len) from the physical index and the file. */
struct vmc_error *vmc_read_pranges(struct vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, size_t *done_ret);

/* Notes. */
struct vmc_error *vmc_add_note(struct vmcore *vc, const char *name,
			       uint32_t type, const uint8_t *desc,
			       size_t descsz);

#endif
