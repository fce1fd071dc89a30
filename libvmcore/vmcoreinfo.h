/* SPDX-License-Identifier: MIT */
/*
 * VMCOREINFO: the KEY=VALUE lines the kernel exports for dump readers
 * (kernel/crash_core.c).  Number formats follow the kernel's printf:
 * SYMBOL() and KERNELOFFSET are %lx (hex, no 0x), NUMBER() is %ld (signed
 * decimal: NUMBER(phys_base) can be negative), OFFSET/SIZE/LENGTH %lu.
 */
#ifndef VMC_VMCOREINFO_H
#define VMC_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct vmcoreinfo_entry {
	const char *key;
	const char *value;
};

struct vmcoreinfo {
	char *text;		/* private, NUL-separated copy */
	size_t len;		/* of the original text */
	char *raw;		/* the text as given, up to a NUL, NUL-ended */
	struct vmcoreinfo_entry *entries;
	size_t nentries;
};

/* Parse; lines without '=' are ignored; a later duplicate key wins. */
struct vmc_error *vmcoreinfo_parse(const char *data, size_t len,
				   struct vmcoreinfo *ret);
void vmcoreinfo_deinit(struct vmcoreinfo *vi);

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key);
/* Hex (SYMBOL, KERNELOFFSET); accepts an optional 0x. */
struct vmc_error *vmcoreinfo_get_hex(const struct vmcoreinfo *vi,
				     const char *key, uint64_t *ret);
/* Signed decimal (NUMBER, OFFSET, SIZE, LENGTH, PAGESIZE). */
struct vmc_error *vmcoreinfo_get_dec(const struct vmcoreinfo *vi,
				     const char *key, int64_t *ret);

#endif
