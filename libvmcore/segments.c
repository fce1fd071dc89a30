/* SPDX-License-Identifier: MIT */
/*
 * Physical index: the dump's segments as sorted, disjoint ranges, searched
 * by binary search.  Segments may overlap physically (kexec_file_load
 * writes the kernel image both as its own PT_LOAD and inside a RAM one);
 * the earlier-starting, then larger, segment wins.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_paddr(const void *a, const void *b, void *segs)
{
	const struct vmc_segment *x = (struct vmc_segment *)segs + *(const size_t *)a;
	const struct vmc_segment *y = (struct vmc_segment *)segs + *(const size_t *)b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	if (x->memsz != y->memsz)
		return x->memsz > y->memsz ? -1 : 1;
	return 0;
}

static int cmp_vaddr(const void *a, const void *b, void *segs)
{
	const struct vmc_segment *x = (struct vmc_segment *)segs + *(const size_t *)a;
	const struct vmc_segment *y = (struct vmc_segment *)segs + *(const size_t *)b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return 0;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Add SEG's part above COVERED_END to the physical index. */
static void add_prange(struct vmcore *vc, const struct vmc_segment *seg,
		       uint64_t *covered_end)
{
	uint64_t end = seg->paddr + seg->memsz;
	uint64_t start = seg->paddr > *covered_end ? seg->paddr : *covered_end;
	uint64_t skip = start - seg->paddr;
	struct vmc_prange *r;

	if (seg->memsz == 0 || start >= end)
		return;
	r = &vc->pranges[vc->npranges++];
	r->paddr = start;
	r->size = end - start;
	r->offset = seg->offset + skip;
	r->avail = sat_sub(seg->avail, skip);
	r->filesz = sat_sub(seg->filesz, skip);
	*covered_end = end;
}

static void sort_indexes(struct vmcore *vc, size_t *order,
			 int (*cmp)(const void *, const void *, void *))
{
	for (size_t i = 0; i < vc->nsegs; i++)
		order[i] = i;
	qsort_r(order, vc->nsegs, sizeof(*order), cmp, vc->segs);
}

struct vmc_error *vmc_index_segments(struct vmcore *vc)
{
	size_t *order = calloc(vc->nsegs ? vc->nsegs : 1, sizeof(*order));
	uint64_t covered_end = 0;
	bool first = true;

	vc->pranges = calloc(vc->nsegs ? vc->nsegs : 1, sizeof(*vc->pranges));
	vc->vorder = calloc(vc->nsegs ? vc->nsegs : 1, sizeof(*vc->vorder));
	if (!order || !vc->pranges || !vc->vorder) {
		free(order);
		return &vmc_enomem;
	}
	sort_indexes(vc, order, cmp_paddr);
	for (size_t i = 0; i < vc->nsegs; i++) {
		const struct vmc_segment *seg = &vc->segs[order[i]];

		if (first) {
			covered_end = seg->paddr;
			first = false;
		}
		add_prange(vc, seg, &covered_end);
	}
	free(order);

	/* Virtual fallback: segments with a virtual address, by vaddr. */
	sort_indexes(vc, vc->vorder, cmp_vaddr);
	for (size_t i = 0; i < vc->nsegs; i++) {
		if (vc->segs[vc->vorder[i]].vaddr != 0)
			vc->vorder[vc->nvorder++] = vc->vorder[i];
	}
	return NULL;
}

/* The range containing PADDR, or the first one above it, or NULL. */
static const struct vmc_prange *find_prange(const struct vmcore *vc,
					    uint64_t paddr)
{
	size_t lo = 0, hi = vc->npranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vmc_prange *r = &vc->pranges[mid];

		if (paddr < r->paddr)
			hi = mid;
		else if (paddr - r->paddr >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static struct vmc_error *not_in_dump(const struct vmc_prange *r,
				     uint64_t paddr)
{
	if (r)
		return vmc_error_create(VMC_ERR_FAULT,
			"physical 0x%" PRIx64 " is in the dump's segment "
			"0x%" PRIx64 "-0x%" PRIx64 " but past the end of the "
			"file: the dump is truncated", paddr, r->paddr,
			r->paddr + r->size);
	return vmc_error_create(VMC_ERR_FAULT,
		"physical 0x%" PRIx64 " is not in the dump", paddr);
}

struct vmc_error *vmc_read_pranges(struct vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, size_t *done_ret)
{
	uint8_t *out = buf;

	*done_ret = 0;
	while (len > 0) {
		const struct vmc_prange *r = find_prange(vc, paddr);
		uint64_t in = r ? paddr - r->paddr : 0;
		uint64_t n = r ? r->size - in : 0;
		struct vmc_error *err;

		if (!r || (in >= r->avail && in < r->filesz))
			return not_in_dump(r, paddr);
		if (in < r->avail && n > r->avail - in)
			n = r->avail - in;
		if (n > len)
			n = len;
		if (in < r->avail) {
			err = vmc_filemap_read(&vc->map, r->offset + in, out, n);
			if (err)
				return err;
		} else {
			memset(out, 0, n);
		}
		out += n;
		paddr += n;
		len -= n;
		*done_ret += n;
	}
	return NULL;
}
