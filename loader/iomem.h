/* SPDX-License-Identifier: MIT */
/*
 * /proc/iomem: the physical address map, as a tree of named ranges.
 * Lines are "START-END : NAME" (hex, END inclusive) indented two spaces
 * per level; a reader without CAP_SYS_ADMIN sees every address as 0.
 */
#ifndef LOADER_IOMEM_H
#define LOADER_IOMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"

struct iomem_range {
	uint64_t start, end;	/* end inclusive, as the kernel prints it */
	unsigned depth;
	char name[64];
};

struct iomem {
	struct iomem_range *r;
	size_t n;
	bool zeroed;		/* every address 0: not readable as this user */
};

/* Parse TEXT (the whole file); errors name the line. */
struct vmc_error *iomem_parse(const char *text, struct iomem *ret);
void iomem_free(struct iomem *io);

/* Sum of the sizes of the top-level ranges named NAME ("System RAM"), or
 * of every range named NAME at any depth ("Crash kernel"). */
uint64_t iomem_total(const struct iomem *io, const char *name, bool any_depth);
/* The I-th range named NAME at any depth, or NULL. */
const struct iomem_range *iomem_find(const struct iomem *io, const char *name,
				     size_t i);

#endif
