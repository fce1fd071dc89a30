/* SPDX-License-Identifier: MIT */
/*
 * The purgatory: the code kexec jumps to when the crashed kernel
 * panics.  It checks that the capture kernel's segments are what the
 * loader put there (SHA-256 over every segment but its own), then starts
 * the capture kernel.  Built freestanding for the loader's architecture
 * (entry-ARCH.S, purgatory.c, ../sha256.c), as one flat, position-
 * independent image that the loader embeds, fills in and places anywhere
 * in the crash reservation.
 *
 * The image begins with this header; all offsets are from its start.
 * The layout is shared with the assembly entry code, hence the explicit
 * offsets (checked by _Static_assert in purgatory.c).
 */
#ifndef LOADER_PURGATORY_H
#define LOADER_PURGATORY_H

#define PURGATORY_MAGIC		"VMCPURG1"
#define PURGATORY_MAX_REGIONS	15

/* struct purgatory_header */
#define PH_MAGIC		0	/* 8 bytes */
#define PH_ENTRY		8	/* u32: entry point's offset */
#define PH_PARAMS		12	/* u32: struct purgatory_params' offset */
#define PH_SIZE			16

/* struct purgatory_params */
#define PP_KERNEL_ENTRY		0	/* u64: where to jump */
#define PP_BOOT_PARAMS		8	/* u64: x86 boot_params (in %rsi/%esi) */
#define PP_NREGIONS		16	/* u64 */
#define PP_REGIONS		24	/* {u64 start, len} x MAX_REGIONS */
#define PP_DIGEST		(PP_REGIONS + 16 * PURGATORY_MAX_REGIONS)
#define PP_SIZE			(PP_DIGEST + 32)

#ifndef __ASSEMBLER__
#include <stdint.h>

struct purgatory_header {
	char magic[8];
	uint32_t entry;
	uint32_t params;
};

struct purgatory_region {
	uint64_t start, len;
};

struct purgatory_params {
	uint64_t kernel_entry;
	uint64_t boot_params;
	uint64_t nregions;
	struct purgatory_region regions[PURGATORY_MAX_REGIONS];
	uint8_t digest[32];
};
#endif

#endif
