/* SPDX-License-Identifier: MIT */
/*
 * Physical index: the dump's segments as sorted, disjoint ranges, searched
 * by binary search.  Segments may overlap physically: kexec_file_load
 * writes the kernel image both as its own PT_LOAD and inside a RAM one.
 * Each segment is split into what the file holds, what reads as zero
 * (memsz beyond filesz) and what is missing (past the end of a truncated
 * file).  Bytes we have always win over bytes we miss: a truncated RAM
 * segment must not hide the intact kernel-image segment that overlaps
 * it.  Among equals the earlier-starting, then larger, piece wins.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct range_list {
	struct vmc_prange *r;
	size_t n;
};

static int cmp_prange(const void *a, const void *b)
{
	const struct vmc_prange *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return 0;
}

/* Piece [from, to) of segment S, relative to its start. */
static struct vmc_prange piece(const struct vmc_segment *s, uint64_t from,
			       uint64_t to, bool missing)
{
	struct vmc_prange r = {
		.paddr = s->paddr + from,
		.size = to - from,
		.offset = s->offset + from,
	};

	if (missing)
		r.filesz = r.size;
	else if (from < s->avail)
		r.avail = r.filesz = r.size;
	return r;
}

/* Split every segment into its present, zero and missing pieces. */
static void split_segments(const struct vmcore *vc, struct range_list *have,
			   struct range_list *miss)
{
	for (size_t i = 0; i < vc->nsegs; i++) {
		const struct vmc_segment *s = &vc->segs[i];

		if (s->avail > 0)
			have->r[have->n++] = piece(s, 0, s->avail, false);
		if (s->filesz > s->avail)
			miss->r[miss->n++] = piece(s, s->avail, s->filesz, true);
		if (s->memsz > s->filesz)
			have->r[have->n++] = piece(s, s->filesz, s->memsz, false);
	}
}

/* Trim piece R to [start, end) of its own range. */
static struct vmc_prange trim(const struct vmc_prange *r, uint64_t start,
			      uint64_t end)
{
	struct vmc_prange t = *r;
	uint64_t skip = start - r->paddr;

	t.paddr = start;
	t.size = end - start;
	t.offset += skip;
	if (t.avail)
		t.avail = t.filesz = t.size;
	else if (t.filesz)
		t.filesz = t.size;
	return t;
}

/* Keep the parts of sorted LIST not already covered by earlier ones. */
static void sweep(struct range_list *list)
{
	uint64_t covered_end = 0;
	size_t out = 0;

	for (size_t i = 0; i < list->n; i++) {
		const struct vmc_prange *r = &list->r[i];
		uint64_t end = r->paddr + r->size;
		uint64_t start = r->paddr;

		if (out > 0 && start < covered_end)
			start = covered_end;
		if (r->size == 0 || start >= end)
			continue;
		list->r[out++] = trim(r, start, end);
		covered_end = end;
	}
	list->n = out;
}

/* Add to OUT the parts of missing piece M that no range in HAVE covers. */
static void add_gaps(const struct vmc_prange *m, const struct range_list *have,
		     struct range_list *out)
{
	uint64_t pos = m->paddr, end = m->paddr + m->size;
	size_t lo = 0, hi = have->n;

	/* First range of HAVE ending above POS. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (have->r[mid].paddr + have->r[mid].size <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; pos < end; i++) {
		uint64_t next = i < have->n ? have->r[i].paddr : end;

		if (next > end)
			next = end;
		if (next > pos)
			out->r[out->n++] = trim(m, pos, next);
		if (i >= have->n)
			break;
		pos = have->r[i].paddr + have->r[i].size;
	}
}

static int cmp_vaddr(const void *a, const void *b, void *segs)
{
	const struct vmc_segment *x = (struct vmc_segment *)segs + *(const size_t *)a;
	const struct vmc_segment *y = (struct vmc_segment *)segs + *(const size_t *)b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return 0;
}

/* Fallback translation: segments with a virtual address, by vaddr. */
/* QEMU's dump-guest-memory paging=false (and other physical-only dumps)
 * fill p_vaddr with p_paddr: those are no kernel virtual addresses. */
static bool vaddr_is_paddr(const struct vmcore *vc)
{
	for (size_t i = 0; i < vc->nsegs; i++) {
		if (vc->segs[i].vaddr != vc->segs[i].paddr)
			return false;
	}
	return true;
}

static struct vmc_error *index_virtual(struct vmcore *vc)
{
	vc->vorder = calloc(vc->nsegs + 1, sizeof(*vc->vorder));
	if (!vc->vorder)
		return &vmc_enomem;
	if (vaddr_is_paddr(vc))
		return NULL;
	for (size_t i = 0; i < vc->nsegs; i++) {
		if (vc->segs[i].vaddr != 0 && vc->segs[i].memsz != 0)
			vc->vorder[vc->nvorder++] = i;
	}
	qsort_r(vc->vorder, vc->nvorder, sizeof(*vc->vorder), cmp_vaddr,
		vc->segs);
	return NULL;
}

struct vmc_error *vmc_index_segments(struct vmcore *vc)
{
	size_t cap = 2 * vc->nsegs + 1;
	struct range_list have = { calloc(cap, sizeof(*have.r)), 0 };
	struct range_list miss = { calloc(cap, sizeof(*miss.r)), 0 };
	struct range_list gaps = { NULL, 0 };

	if (!have.r || !miss.r)
		goto nomem;
	split_segments(vc, &have, &miss);
	qsort(have.r, have.n, sizeof(*have.r), cmp_prange);
	sweep(&have);
	qsort(miss.r, miss.n, sizeof(*miss.r), cmp_prange);
	sweep(&miss);
	/* Gaps are disjoint and each ends at a start in HAVE or an end in
	 * MISS, so there are at most have.n + miss.n of them. */
	gaps.r = calloc(have.n + miss.n + 1, sizeof(*gaps.r));
	if (!gaps.r)
		goto nomem;
	for (size_t i = 0; i < miss.n; i++)
		add_gaps(&miss.r[i], &have, &gaps);

	vc->pranges = calloc(have.n + gaps.n + 1, sizeof(*vc->pranges));
	if (!vc->pranges)
		goto nomem;
	memcpy(vc->pranges, have.r, have.n * sizeof(*have.r));
	memcpy(vc->pranges + have.n, gaps.r, gaps.n * sizeof(*gaps.r));
	vc->npranges = have.n + gaps.n;
	qsort(vc->pranges, vc->npranges, sizeof(*vc->pranges), cmp_prange);
	free(have.r);
	free(miss.r);
	free(gaps.r);
	return index_virtual(vc);
nomem:
	free(have.r);
	free(miss.r);
	free(gaps.r);
	return &vmc_enomem;
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
			err = vmc_file_read(vc, r->offset + in, out, n);
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
