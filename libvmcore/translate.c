/* SPDX-License-Identifier: MIT */
/*
 * Kernel virtual addresses: page-table walk from the dumped kernel's own
 * root table, with a small translation cache; the dump's PT_LOAD virtual
 * ranges are used only when page tables are unavailable (no root, or a
 * table page is not in the dump).
 */
#include <inttypes.h>
#include <string.h>

#include "../arch/arch.h"
#include "internal.h"

#define SMALL_PAGE_SHIFT 12
#define SMALL_PAGE_SIZE (UINT64_C(1) << SMALL_PAGE_SHIFT)

static struct vmc_error *walk_read(void *ctx, uint64_t paddr, void *buf,
				   size_t len)
{
	return vmcore_read_phys(ctx, paddr, buf, len, NULL);
}

static bool tlb_lookup(struct vmc_tlb *tlb, uint64_t vaddr, uint64_t *paddr)
{
	uint64_t tag = vaddr >> SMALL_PAGE_SHIFT;
	size_t slot = tag % VMC_TLB_SIZE;

	if (tlb->last_size && vaddr - tlb->last_vbase < tlb->last_size) {
		*paddr = tlb->last_pbase + (vaddr - tlb->last_vbase);
		tlb->hits++;
		return true;
	}
	if (tlb->tag[slot] == tag) {
		*paddr = tlb->ppage[slot] | (vaddr & (SMALL_PAGE_SIZE - 1));
		tlb->hits++;
		return true;
	}
	tlb->misses++;
	return false;
}

static void tlb_insert(struct vmc_tlb *tlb, const struct vmc_walk *w)
{
	uint64_t tag = w->vaddr >> SMALL_PAGE_SHIFT;
	size_t slot = tag % VMC_TLB_SIZE;

	tlb->tag[slot] = tag;
	tlb->ppage[slot] = w->paddr & ~(SMALL_PAGE_SIZE - 1);
	tlb->last_vbase = w->vaddr & ~(w->page_size - 1);
	tlb->last_size = w->page_size;
	tlb->last_pbase = w->paddr & ~(w->page_size - 1);
}

/* The PT_LOAD whose virtual range holds VADDR, by binary search. */
static const struct vmc_segment *find_vseg(const struct vmcore *vc,
					   uint64_t vaddr)
{
	size_t lo = 0, hi = vc->nvorder;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vmc_segment *s = &vc->segs[vc->vorder[mid]];

		if (vaddr < s->vaddr)
			hi = mid;
		else if (vaddr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static struct vmc_error *vtop_segments(struct vmcore *vc, uint64_t vaddr,
				       uint64_t *paddr_ret,
				       struct vmc_error *why)
{
	const struct vmc_segment *s = find_vseg(vc, vaddr);

	if (!s) {
		if (why)
			return why;
		return vmc_error_create(VMC_ERR_FAULT,
			"0x%" PRIx64 " is not in any PT_LOAD virtual range of "
			"the dump (no page tables to walk)", vaddr);
	}
	vmc_error_destroy(why);
	*paddr_ret = s->paddr + (vaddr - s->vaddr);
	return NULL;
}

const struct vmc_pgt *vmcore_pgt(const struct vmcore *vc)
{
	return vc->have_pgt ? &vc->pgt : NULL;
}

struct vmc_error *vmcore_pgwalk(struct vmcore *vc, uint64_t vaddr,
				struct vmc_walk *walk)
{
	if (!vc->have_pgt) {
		memset(walk, 0, sizeof(*walk));
		return vmc_error_create(VMC_ERR_NOT_FOUND,
			"no page tables: %s", vc->translation);
	}
	return vmc_pgt_walk(&vc->pgt, walk_read, vc, vaddr, walk);
}

struct vmc_error *vmcore_vtop(struct vmcore *vc, uint64_t vaddr,
			      uint64_t *paddr_ret)
{
	struct vmc_walk walk;
	struct vmc_error *err;

	if (!vc->have_pgt)
		return vtop_segments(vc, vaddr, paddr_ret, NULL);
	if (tlb_lookup(&vc->tlb, vaddr, paddr_ret))
		return NULL;
	err = vmc_pgt_walk(&vc->pgt, walk_read, vc, vaddr, &walk);
	if (!err) {
		tlb_insert(&vc->tlb, &walk);
		*paddr_ret = walk.paddr;
		return NULL;
	}
	/* A table we could not read: the page tables are unavailable here. */
	if (walk.table_unreadable)
		return vtop_segments(vc, vaddr, paddr_ret, err);
	return err;
}

struct vmc_error *vmcore_read_mapped(struct vmcore *vc, vmcore_xlate_fn *xlate,
				     void *arg, uint64_t vaddr, void *buf,
				     size_t len, size_t *done_ret)
{
	uint8_t *out = buf;
	size_t done = 0;
	struct vmc_error *err = NULL;

	while (len > 0) {
		uint64_t paddr, n = SMALL_PAGE_SIZE - (vaddr & (SMALL_PAGE_SIZE - 1));
		size_t got = 0;

		if (n > len)
			n = len;
		err = xlate(vc, arg, vaddr, &paddr);
		if (!err)
			err = vmcore_read_phys(vc, paddr, out, n, &got);
		done += got;
		if (err)
			break;
		out += n;
		vaddr += n;
		len -= n;
	}
	if (done_ret)
		*done_ret = done;
	return err;
}

static struct vmc_error *kernel_xlate(struct vmcore *vc, void *arg,
				      uint64_t vaddr, uint64_t *paddr)
{
	(void)arg;
	return vmcore_vtop(vc, vaddr, paddr);
}

struct vmc_error *vmcore_read_virt(struct vmcore *vc, uint64_t vaddr,
				   void *buf, size_t len, size_t *done_ret)
{
	return vmcore_read_mapped(vc, kernel_xlate, NULL, vaddr, buf, len,
				  done_ret);
}

struct vmc_error *vmcore_read_uint(struct vmcore *vc, uint64_t vaddr,
				   size_t size, uint64_t *ret)
{
	uint8_t raw[8];
	struct vmc_error *err;

	*ret = 0;
	if (size == 0 || size > sizeof(raw))
		return vmc_error_create(VMC_ERR_INVALID, "a %zu-byte integer",
					size);
	if ((err = vmcore_read_virt(vc, vaddr, raw, size, NULL)))
		return err;
	for (size_t i = 0; i < size; i++)
		*ret = *ret << 8 |
		       raw[vc->arch->big_endian ? i : size - 1 - i];
	return NULL;
}
