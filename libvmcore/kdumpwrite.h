/* SPDX-License-Identifier: MIT */
/*
 * Writing makedumpfile's kdump-compressed format (the reader is
 * format_kdump.c): any dump libvmcore opens (ELF, kdump-compressed,
 * flattened, QEMU) out as a file crash, drgn/libkdumpfile, makedumpfile
 * and our own reader open, pages compressed one by one, or as the
 * flattened stream (makedumpfile -F) for a pipe.
 */
#ifndef VMC_KDUMPWRITE_H
#define VMC_KDUMPWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "pagefilter.h"

struct vmcore;

enum vmc_compress {
	VMC_COMPRESS_NONE,
	VMC_COMPRESS_ZLIB,	/* makedumpfile -c */
	VMC_COMPRESS_LZO,	/* -l */
	VMC_COMPRESS_SNAPPY,	/* -p */
	VMC_COMPRESS_ZSTD,	/* -z */
};

/* "zstd" -> VMC_COMPRESS_ZSTD...; -1 for an unknown name. */
int vmc_compress_from_name(const char *name);
const char *vmc_compress_name(enum vmc_compress c);

struct vmc_kdump_opts {
	enum vmc_compress compress;
	/* The flattened stream, written in order with write(): FD may be
	 * a pipe.  Otherwise FD must be a regular file (pwrite). */
	bool flat;
	/* Which pages to keep; NULL keeps every page the source holds
	 * (dump level 0; zero pages still share one descriptor). */
	const struct vmc_page_filter *filter;
	/* Progress: DONE of TOTAL bytes of pages (before compression) written;
	 * may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct vmc_kdump_stats {
	uint64_t max_mapnr;	/* pfns the bitmaps describe */
	uint64_t ram_pages;	/* in the 1st bitmap */
	uint64_t source_excluded;	/* RAM the source did not hold */
	uint64_t filtered;	/* left out by the filter */
	uint64_t missing;	/* unreadable in the source: no data */
	uint64_t dumped;	/* in the 2nd bitmap */
	uint64_t zero;		/* of those, zero pages (shared data) */
	uint64_t raw;		/* stored uncompressed (did not shrink) */
	uint64_t bytes;		/* size of the kdump file */
	uint64_t stream_bytes;	/* written to FD: with flat, the flattened
				 * stream's size (what a receiver must
				 * have), else BYTES */
};

/*
 * Write VC to FD as a kdump-compressed file (header version 6).  Pages
 * that cannot be read from VC (a truncated or corrupt source) are written
 * as makedumpfile leaves pages it could not write (an empty descriptor,
 * the dump flagged incomplete) and counted in STATS->missing: the caller
 * warns.
 * On error the output is incomplete (the dump header, written last, may
 * be missing).  STATS may be NULL.
 */
struct vmc_error *vmcore_write_kdump(struct vmcore *vc, int fd,
				     const struct vmc_kdump_opts *o,
				     struct vmc_kdump_stats *stats);

#endif
