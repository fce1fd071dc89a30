/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>

#include "../arch/arch.h"
#include "usermem.h"


struct vmc_error *usermem_layout_read(struct ktypes *kt,
				      struct usermem_layout *ret)
{
	struct vmc_error *err;

	if ((err = ktypes_member(kt, "task_struct", "mm", &ret->task_mm,
				 NULL)) ||
	    (err = ktypes_member(kt, "mm_struct", "pgd", &ret->mm_pgd, NULL)))
		return vmc_error_prefix(err, "user memory: ");
	return NULL;
}

/*
 * i386's PAGE_OFFSET, where the kernel's range starts: the kernel's
 * root table is swapper_pg_dir, in the linear map at PAGE_OFFSET +
 * its physical address (arch/i386.c found the root that way).
 */
static bool i386_page_offset(struct vmcore *vc, const struct vmc_pgt *pgt,
			     uint64_t *ret)
{
	uint64_t swapper;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc,
				"SYMBOL(swapper_pg_dir)", &swapper);

	vmc_error_destroy(err);
	if (err || swapper < pgt->root || swapper > UINT32_MAX)
		return false;
	*ret = swapper - pgt->root;
	return true;
}

bool usermem_is_user(struct vmcore *vc, uint64_t addr)
{
	const struct vmc_pgt *pgt = vmcore_pgt(vc);
	uint64_t page_offset = 0;	/* set when i386_page_offset() succeeds */

	if (!pgt)
		return false;
	/* x86_64 (sign-extended halves) and aarch64 (TTBR1 for the top,
	 * TTBR0 for the bottom): the kernel has the upper half. */
	if (pgt->sign_extended || pgt->upper_half_only)
		return addr >> 63 == 0;
	/* i386: 32-bit addresses; the kernel is above PAGE_OFFSET. */
	return pgt->va_bits == 32 && i386_page_offset(vc, pgt, &page_offset) &&
	       addr < page_offset;
}

struct vmc_error *usermem_pgt(struct vmcore *vc,
			      const struct usermem_layout *l, uint64_t task,
			      struct vmc_pgt *ret)
{
	const struct vmc_pgt *kpgt = vmcore_pgt(vc);
	unsigned word = vmcore_arch(vc)->word_size;
	uint64_t mm, pgd, root;
	struct vmc_error *err;

	if (!kpgt)
		return vmc_error_create(VMC_ERR_NOT_FOUND, "no user memory: "
			"the dump's page tables cannot be walked (%s)",
			vmcore_translation(vc));
	if ((err = vmcore_read_uint(vc, task + l->task_mm, word, &mm)))
		return vmc_error_prefix(err, "task 0x%" PRIx64 "'s mm: ",
					task);
	if (mm == 0)
		return vmc_error_create(VMC_ERR_FAULT, "task 0x%" PRIx64
			" is a kernel thread (mm is NULL): it has no user "
			"memory", task);
	if ((err = vmcore_read_uint(vc, mm + l->mm_pgd, word, &pgd)))
		return vmc_error_prefix(err, "mm 0x%" PRIx64 "'s pgd: ", mm);
	if ((err = vmcore_vtop(vc, pgd, &root)))
		return vmc_error_prefix(err, "mm 0x%" PRIx64 "'s pgd 0x%"
					PRIx64 ": ", mm, pgd);
	*ret = *kpgt;
	ret->root = root;
	/* aarch64: user addresses go through TTBR0 = mm->pgd, whose
	 * range is the bottom 2^va_bits bytes. */
	if (ret->upper_half_only) {
		ret->upper_half_only = false;
		ret->sign_extended = false;
	}
	return NULL;
}

static struct vmc_error *read_phys(void *ctx, uint64_t paddr, void *buf,
				   size_t len)
{
	return vmcore_read_phys(ctx, paddr, buf, len, NULL);
}

struct vmc_error *usermem_walk(struct vmcore *vc, const struct vmc_pgt *pgt,
			       uint64_t vaddr, struct vmc_walk *walk)
{
	return vmc_pgt_walk(pgt, read_phys, vc, vaddr, walk);
}

static struct vmc_error *user_xlate(struct vmcore *vc, void *arg,
				    uint64_t vaddr, uint64_t *paddr)
{
	struct vmc_walk walk;
	struct vmc_error *err = usermem_walk(vc, arg, vaddr, &walk);

	if (!err)
		*paddr = walk.paddr;
	return err;
}

struct vmc_error *usermem_read(struct vmcore *vc, const struct vmc_pgt *pgt,
			       uint64_t vaddr, void *buf, size_t len,
			       size_t *done_ret)
{
	/* The table is only read through: the callback takes a void *. */
	return vmcore_read_mapped(vc, user_xlate, (void *)pgt, vaddr, buf, len,
				  done_ret);
}
