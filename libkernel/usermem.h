/* SPDX-License-Identifier: MIT */
/*
 * User address spaces: a task's user addresses (below the kernel's
 * range) translated through the task's own page tables, task->mm->pgd,
 * in the format of the kernel's tables (the dump's vmcore_pgt()) from
 * another root.  Kernel threads (mm == NULL) have no user memory.
 */
#ifndef VMC_USERMEM_H
#define VMC_USERMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/pgwalk.h"
#include "../libvmcore/vmcore.h"
#include "ktypes.h"

/* Where the pointers are, from the vmlinux DWARF. */
struct usermem_layout {
	uint64_t task_mm;	/* offsetof(struct task_struct, mm) */
	uint64_t mm_pgd;	/* offsetof(struct mm_struct, pgd) */
};

struct vmc_error *usermem_layout_read(struct ktypes *kt,
				      struct usermem_layout *ret);

/*
 * Is ADDR below the kernel's address range of VC (a user address)?
 * x86_64 and aarch64: bit 63 clear (the lower half; TTBR0 on aarch64).
 * i386: below PAGE_OFFSET.  False when VC has no page tables to walk
 * (the architecture has no walker, or the dump lacks what it needs).
 */
bool usermem_is_user(struct vmcore *vc, uint64_t addr);

/*
 * The page tables of TASK's user address space: the kernel's format
 * with mm->pgd's physical address as the root.  VMC_ERR_FAULT for a
 * kernel thread (no mm).
 */
struct vmc_error *usermem_pgt(struct vmcore *vc,
			      const struct usermem_layout *l, uint64_t task,
			      struct vmc_pgt *ret);

/* Walk PGT (from usermem_pgt()) for VADDR, as vmc_pgt_walk(). */
struct vmc_error *usermem_walk(struct vmcore *vc, const struct vmc_pgt *pgt,
			       uint64_t vaddr, struct vmc_walk *walk);

/*
 * Read LEN bytes at user address VADDR through PGT.  A page that is not
 * mapped (or not in the dump) ends the read with an error; *DONE_RET
 * (optional) says how many bytes were read before it.
 */
struct vmc_error *usermem_read(struct vmcore *vc, const struct vmc_pgt *pgt,
			       uint64_t vaddr, void *buf, size_t len,
			       size_t *done_ret);

#endif
