/* SPDX-License-Identifier: MIT */
/*
 * crashkernel= as the kernel parses it (kernel/crash_core.c,
 * parse_crashkernel()): every form, and what it reserves for a RAM size.
 *
 *   crashkernel=SIZE[@OFFSET]
 *   crashkernel=START-[END]:SIZE[,START-[END]:SIZE...][@OFFSET]
 *   crashkernel=SIZE,high      crashkernel=SIZE,low
 *
 * Sizes take the kernel's memparse() suffixes K, M, G, T, P, E (either
 * case).  A range matches when START <= RAM < END (END absent: no end);
 * the first match wins; RAM is the total system RAM.
 */
#ifndef LOADER_CRASHKERNEL_H
#define LOADER_CRASHKERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"

#define CK_MAX_RANGES 32

enum ck_kind { CK_SIZE, CK_RANGES, CK_HIGH, CK_LOW };

struct ck_range {
	uint64_t start, end;	/* end UINT64_MAX: open */
	uint64_t size;
};

struct crashkernel {
	enum ck_kind kind;
	uint64_t size;		/* CK_SIZE, CK_HIGH, CK_LOW */
	struct ck_range ranges[CK_MAX_RANGES];
	size_t nranges;
	bool has_offset;
	uint64_t offset;
};

/* Parse the value (after "crashkernel=").  Errors name the column. */
struct vmc_error *crashkernel_parse(const char *s, struct crashkernel *ret);
/* Bytes reserved for RAM bytes of system RAM (0: no range matches). */
uint64_t crashkernel_size(const struct crashkernel *ck, uint64_t ram);
/* Human form of a size: "128M", "1G", "4096" (for messages). */
void crashkernel_format_size(uint64_t v, char *buf, size_t len);

/* Every crashkernel= value on a kernel command line, in order (the kernel
 * takes the last plain one, and ,high/,low beside it). */
size_t cmdline_crashkernel(const char *cmdline, const char **vals,
			   size_t *lens, size_t max);

#endif
