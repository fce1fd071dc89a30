/* SPDX-License-Identifier: MIT */
/*
 * Page filtering by dump level, as makedumpfile -d does it, decided from
 * the dumped kernel's own struct pages with the layout VMCOREINFO exports
 * (no debug info needed).
 *
 * Levels are makedumpfile's bits: 1 zero pages (the writer's business:
 * it sees each page's bytes), 2 page cache without private data, 4 page
 * cache with or without private data, 8 user (anonymous and hugetlbfs)
 * pages, 16 free pages.  Hardware-poisoned and logically offline pages
 * are left out whenever the struct pages are examined at all, as
 * makedumpfile does (reading a poisoned page can stop the machine).
 *
 * A filter never needs more than one window of pfns at a time
 * (VMC_FILTER_WINDOW, pagefilter.h): it reads the struct pages of the
 * window in small chunks, and carries a multi-page exclusion (a free
 * block, a huge page) that runs past the window's end into the next.
 *
 * When unsure, it keeps the page: struct pages that cannot be read,
 * values VMCOREINFO does not give or gives out of range, a free block
 * whose order or alignment is impossible, a compound page whose first
 * tail does not point back at its head.  Each kind of doubt is counted
 * and described once in the warnings.
 */
#ifndef VMC_DUMPLEVEL_H
#define VMC_DUMPLEVEL_H

#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"
#include "../libvmcore/pagefilter.h"

struct vmcore;
struct dumplevel;

/* makedumpfile's dump-level bits. */
#define DL_ZERO		1
#define DL_CACHE	2
#define DL_CACHE_PRI	4
#define DL_USER		8
#define DL_FREE		16
#define DL_MAX		31

/* Pages left out, by reason, and pages kept because of a doubt. */
struct dumplevel_stats {
	uint64_t examined;	/* struct pages looked at */
	uint64_t cache;		/* page cache without private data */
	uint64_t cache_private;	/* page cache with private data */
	uint64_t user;		/* anonymous and hugetlbfs pages */
	uint64_t free;		/* buddy allocator free pages */
	uint64_t hwpoison;
	uint64_t offline;
	uint64_t no_memmap;	/* kept: no struct page (section absent) */
	uint64_t unreadable;	/* kept: struct page not readable */
	uint64_t suspect;	/* kept: struct page contradicts itself */
};

/*
 * A filter for LEVEL (0 to 31) over VC.  VMC_ERR_INVALID for a level out
 * of range; a dump whose VMCOREINFO lacks what a level needs is not an
 * error: the filter then keeps those pages and says why in its warnings.
 */
struct vmc_error *dumplevel_create(struct vmcore *vc, int level,
				   struct dumplevel **ret);
void dumplevel_destroy(struct dumplevel *dl);

/* The writer's hook (kdumpwrite.h): keep_window is dumplevel_window. */
void dumplevel_hook(struct dumplevel *dl, struct vmc_page_filter *ret);

/*
 * Clear the bits of BITMAP (pagefilter.h: pfns START_PFN.. START_PFN +
 * NPFNS - 1, a set bit = the source holds the page) of the pages LEVEL
 * leaves out.  Windows must come in increasing pfn order.
 */
struct vmc_error *dumplevel_window(struct dumplevel *dl, uint64_t start_pfn,
				   uint64_t npfns, uint8_t *bitmap);

const struct dumplevel_stats *dumplevel_stats(const struct dumplevel *dl);
/* The memory model found: "SPARSEMEM_EXTREME", "SPARSEMEM", "FLATMEM",
 * or "none" (every page kept). */
const char *dumplevel_model(const struct dumplevel *dl);
/* Doubts and missing VMCOREINFO, each once, with counts where useful. */
size_t dumplevel_num_warnings(const struct dumplevel *dl);
const char *dumplevel_warning(const struct dumplevel *dl, size_t i);
/* "cache 12, cache_private 0, user 345, free 6789, ..." for messages;
 * the caller frees it. */
char *dumplevel_summary(const struct dumplevel *dl);

#endif
