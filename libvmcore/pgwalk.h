/* SPDX-License-Identifier: MIT */
/*
 * Generic page-table walk.  Each architecture describes its levels and
 * decodes one entry (the "step"); the loop that indexes tables, reads
 * entries and records the trace is shared by all architectures.
 */
#ifndef VMC_PGWALK_H
#define VMC_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define VMC_PGT_MAX_LEVELS 6

enum vmc_pte_kind {
	VMC_PTE_NONE,	/* not present */
	VMC_PTE_TABLE,	/* points to the next-level table */
	VMC_PTE_LEAF,	/* maps a page of 1 << shift bytes */
};

struct vmc_pgt_level {
	const char *name;	/* "pte", "pmd", ... as the kernel calls it */
	unsigned shift;		/* lowest virtual-address bit it indexes */
	unsigned bits;		/* index width */
};

struct vmc_pgt;

/* Decode one entry at LEVEL; set *addr_ret to the table or page address. */
typedef enum vmc_pte_kind vmc_pte_step_fn(const struct vmc_pgt *pgt,
					  unsigned level, uint64_t pte,
					  uint64_t *addr_ret);

/* A page-table format plus its root, filled in by the architecture. */
struct vmc_pgt {
	uint64_t root;			/* physical address of the top table */
	unsigned nlevels;		/* levels[nlevels - 1] is the top */
	unsigned pte_size;		/* 4 or 8 bytes */
	bool big_endian;
	unsigned va_bits;		/* implemented virtual-address bits */
	bool sign_extended;		/* upper bits must copy bit va_bits-1 */
	/* Only the top 2^va_bits bytes (bits 63..va_bits all ones): the
	 * tables are the kernel's alone, as aarch64's TTBR1 tables are. */
	bool upper_half_only;
	uint64_t addr_mask;		/* physical-address bits of an entry */
	const struct vmc_pgt_level *levels;	/* [0] is the lowest level */
	vmc_pte_step_fn *step;
	const char *description;	/* "x86_64 4-level" */
};

/* What a walk saw, level by level. */
struct vmc_walk {
	uint64_t vaddr;
	unsigned nsteps;
	struct vmc_walk_step {
		unsigned level;
		unsigned index;
		uint64_t entry_paddr;
		uint64_t entry;
	} steps[VMC_PGT_MAX_LEVELS];
	bool ok;
	bool table_unreadable;	/* failed reading a table, not on an entry */
	uint64_t paddr;		/* when ok */
	uint64_t page_size;	/* when ok */
};

typedef struct vmc_error *vmc_read_phys_fn(void *ctx, uint64_t paddr,
					   void *buf, size_t len);

/*
 * Walk PGT for VADDR.  Returns NULL and walk->ok on success; a
 * VMC_ERR_FAULT error naming the level whose entry is not present (or
 * the non-canonical address); or the reader's error when a table could
 * not be read.  WALK is filled in either case.
 */
struct vmc_error *vmc_pgt_walk(const struct vmc_pgt *pgt,
			       vmc_read_phys_fn *read, void *ctx,
			       uint64_t vaddr, struct vmc_walk *walk);

#endif
