/* SPDX-License-Identifier: MIT */
/*
 * The page selection hook of the kdump-compressed writer (kdumpwrite.h).
 *
 * The writer walks the source dump's page frames in windows, in
 * increasing pfn order, and asks the filter which pages of each window to
 * keep.  It starts from a bitmap with a bit set for every page the
 * source holds (RAM that is in the dump: not excluded by an earlier dump
 * level, not missing from a truncated file); the filter clears the bits
 * of the pages to leave out (page cache, user, free pages...).  Bits it
 * sets are ignored: a filter can only drop pages.  When unsure, a filter
 * keeps the page.
 *
 * Zero pages are not the filter's business: the writer sees each page's
 * bytes anyway and gives every all-zero page one shared descriptor and
 * one copy of the data, as makedumpfile does at dump level bit 1.
 *
 * Memory: the writer calls keep_window with at most VMC_FILTER_WINDOW
 * pfns, so a filter needs state for one window only (makedumpfile's
 * cyclic mode); the writer itself keeps the two whole bitmaps (2 MiB
 * each for 64 GiB of 4 KiB pages), never page data beyond a window.
 */
#ifndef VMC_PAGEFILTER_H
#define VMC_PAGEFILTER_H

#include <stdint.h>

#include "error.h"

struct vmcore;

/* Pfns per keep_window() call, at most (a multiple of 8). */
#define VMC_FILTER_WINDOW (UINT64_C(1) << 18)	/* 1 GiB of 4 KiB pages */

struct vmc_page_filter {
	/*
	 * Pages START_PFN to START_PFN + NPFNS - 1 of VC.  START_PFN is a
	 * multiple of 8; BITMAP has one bit per pfn, least significant bit
	 * first (bit i of byte j is pfn START_PFN + 8 * j + i), set for the
	 * pages the source holds.  Clear the bits of pages to leave out.
	 * Returns NULL, or an error that stops the write (a filter that
	 * cannot decide about a page keeps it and returns NULL; errors are
	 * for things like running out of memory).
	 */
	struct vmc_error *(*keep_window)(void *ctx, struct vmcore *vc,
					 uint64_t start_pfn, uint64_t npfns,
					 uint8_t *bitmap);
	void *ctx;
	/* makedumpfile's dump level this filter applies (1 zero pages, 2
	 * cache, 4 cache with private data, 8 user, 16 free pages): the
	 * writer records it in the kdump sub-header. */
	int dump_level;
};

#endif
