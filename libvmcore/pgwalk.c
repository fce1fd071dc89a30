/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>

#include "pgwalk.h"

static uint64_t load_entry(const struct vmc_pgt *pgt, const uint8_t *buf)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < pgt->pte_size; i++) {
		unsigned b = pgt->big_endian ? i : pgt->pte_size - 1 - i;

		v = (v << 8) | buf[b];
	}
	return v;
}

static bool va_is_canonical(const struct vmc_pgt *pgt, uint64_t va)
{
	uint64_t upper;

	if (pgt->va_bits >= 64)
		return true;
	if (pgt->upper_half_only)
		return va >> pgt->va_bits == UINT64_MAX >> pgt->va_bits;
	/* Without sign extension (i386) the address must simply fit. */
	if (!pgt->sign_extended)
		return va >> pgt->va_bits == 0;
	upper = va >> (pgt->va_bits - 1);
	return upper == 0 || upper == (UINT64_MAX >> (pgt->va_bits - 1));
}

static unsigned level_index(const struct vmc_pgt_level *l, uint64_t va)
{
	return (unsigned)((va >> l->shift) & ((UINT64_C(1) << l->bits) - 1));
}

struct vmc_error *vmc_pgt_walk(const struct vmc_pgt *pgt,
			       vmc_read_phys_fn *read, void *ctx,
			       uint64_t vaddr, struct vmc_walk *walk)
{
	uint64_t table = pgt->root;

	memset(walk, 0, sizeof(*walk));
	walk->vaddr = vaddr;
	if (!va_is_canonical(pgt, vaddr))
		return vmc_error_create(VMC_ERR_FAULT,
			"0x%" PRIx64 " is not a canonical %u-bit %saddress",
			vaddr, pgt->va_bits,
			pgt->upper_half_only ? "kernel (TTBR1) " : "");

	for (unsigned level = pgt->nlevels; level-- > 0;) {
		const struct vmc_pgt_level *l = &pgt->levels[level];
		struct vmc_walk_step *st = &walk->steps[walk->nsteps++];
		uint8_t raw[8];
		struct vmc_error *err;
		uint64_t next;

		st->level = level;
		st->index = level_index(l, vaddr);
		st->entry_paddr = table + (uint64_t)st->index * pgt->pte_size;
		err = read(ctx, st->entry_paddr, raw, pgt->pte_size);
		if (err) {
			walk->table_unreadable = true;
			return vmc_error_prefix(err,
				"reading %s entry for 0x%" PRIx64 ": ",
				l->name, vaddr);
		}
		st->entry = load_entry(pgt, raw);

		switch (pgt->step(pgt, level, st->entry, &next)) {
		case VMC_PTE_NONE:
			return vmc_error_create(VMC_ERR_FAULT,
				"0x%" PRIx64 " is not mapped: %s entry 0x%"
				PRIx64 " at 0x%" PRIx64 " is not present",
				vaddr, l->name, st->entry, st->entry_paddr);
		case VMC_PTE_TABLE:
			if (level == 0)
				return vmc_error_create(VMC_ERR_FORMAT,
					"%s entry 0x%" PRIx64 " for 0x%" PRIx64
					" points to a table below the last level",
					l->name, st->entry, vaddr);
			table = next;
			break;
		case VMC_PTE_LEAF:
			walk->ok = true;
			walk->page_size = UINT64_C(1) << l->shift;
			walk->paddr = next + (vaddr & (walk->page_size - 1));
			return NULL;
		}
	}
	return vmc_error_create(VMC_ERR_FORMAT,
		"page-table walk for 0x%" PRIx64 " found no leaf", vaddr);
}
