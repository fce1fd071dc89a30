/* SPDX-License-Identifier: MIT */
/*
 * elfconv: what the output ELF core will hold (the plan), and writing it.
 *
 * The plan is made before a byte is written, so that the headers can go
 * first (the output may be a pipe) and every refusal happens before the
 * output file exists.
 */
#ifndef ELFCONV_CONVERT_H
#define ELFCONV_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../libvmcore/error.h"

struct vmcore;

enum class_choice { CLASS_AUTO, CLASS_32, CLASS_64 };

struct plan_opts {
	enum class_choice elfclass;
	bool drop_above_4g;
};

/* One PT_LOAD of the output; its bytes are memory at PADDR. */
struct out_seg {
	uint64_t paddr, vaddr, memsz, filesz;
	uint64_t offset;		/* in the output file */
};

struct plan {
	int elfclass;			/* ELFCLASS32 or ELFCLASS64 */
	uint16_t machine;
	bool big_endian;
	struct out_seg *segs;
	size_t nsegs, segs_cap;
	uint8_t *notes;			/* the PT_NOTE contents */
	size_t notes_len;
	uint64_t headers_len;		/* ELF header + program headers */
	uint64_t file_size;		/* of the whole output */
	uint64_t data_bytes;		/* sum of filesz */
	/* What the plan changed, for messages. */
	size_t excluded_runs;		/* left out (makedumpfile's rule) */
	uint64_t excluded_bytes;
	size_t dropped;			/* --drop-above-4g */
	uint64_t dropped_bytes;
	bool vmcoreinfo_added;		/* found in memory, made a note */
	bool vaddrs_derived;		/* kdump input: from the page tables */
};

/* Progress callback: DONE of TOTAL data bytes written. */
typedef void progress_fn(void *arg, uint64_t done, uint64_t total);

struct vmc_error *plan_make(struct vmcore *vc, const struct plan_opts *o,
			    struct plan *p);
void plan_free(struct plan *p);

struct write_result {
	uint64_t data_done;	/* segment bytes done, also on failure */
	uint64_t zeroed_pages;	/* unreadable in the input: zeros */
};

/*
 * Write the planned ELF to FD.  SEEKABLE: leave zero pages as holes
 * (pwrite at offsets) instead of writing them in order.  The caller has
 * turned zero_excluded on: short excluded runs read as zeros.
 */
struct vmc_error *plan_write(struct vmcore *vc, const struct plan *p, int fd,
			     bool seekable, progress_fn *progress,
			     void *arg, struct write_result *res);

/*
 * --dump-level LEVEL: fill in F, the page filter of the kdump writer
 * (libvmcore/pagefilter.h), for LEVEL; F->dump_level = LEVEL.  Bit 1
 * (zero pages) needs no filter: the writer shares their data.
 * dump_filter_report() prints, after the write, the filter's warnings
 * (pages it kept in doubt) and, when VERBOSE, what it left out;
 * dump_filter_free() releases what _make() allocated.
 */
struct vmc_page_filter;
struct vmc_error *dump_filter_make(struct vmcore *vc, int level,
				   struct vmc_page_filter *f);
void dump_filter_report(const struct vmc_page_filter *f, bool verbose,
			FILE *out);
void dump_filter_free(struct vmc_page_filter *f);

/* elfconv --info: a summary of DUMP for a user about to convert it. */
void print_info(struct vmcore *vc, FILE *out);

#endif
