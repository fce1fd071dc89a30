/* SPDX-License-Identifier: MIT */
/*
 * Kernel structure layouts from the vmlinux's DWARF (libdw), looked up
 * lazily: a structure is found by scanning the top-level DIEs of one
 * compilation unit after another until its definition turns up (struct
 * task_struct is in the first few CUs), then cached.  Nothing is indexed.
 */
#ifndef VMC_KTYPES_H
#define VMC_KTYPES_H

#include <stdint.h>

#include "../libvmcore/error.h"

struct ktypes;

/* VMC_ERR_NOT_FOUND when PATH has no DWARF (a stripped vmlinux). */
struct vmc_error *ktypes_open(const char *path, struct ktypes **ret);
void ktypes_close(struct ktypes *kt);

/*
 * offsetof(struct TYPE, MEMBER) and the member's size.  MEMBER may name
 * nested members ("thread.sp"); members of anonymous structs and unions
 * are found through them.  VMC_ERR_NOT_FOUND when TYPE or MEMBER is not
 * there (kernels rename fields: try the other name).
 */
struct vmc_error *ktypes_member(struct ktypes *kt, const char *type,
				const char *member, uint64_t *offset_ret,
				uint64_t *size_ret);
/* sizeof(struct TYPE). */
struct vmc_error *ktypes_sizeof(struct ktypes *kt, const char *type,
				uint64_t *ret);

#endif
