/* SPDX-License-Identifier: MIT */
/*
 * The makedumpfile flattened format (makedumpfile -F, QEMU's kdump output
 * to a pipe), read in place: no `makedumpfile -R` needed.
 *
 * The stream is a 4096-byte header ("makedumpfile", big-endian type 1 and
 * version 1) followed by records: a big-endian {int64 offset, int64 size}
 * header and SIZE bytes that belong at OFFSET of the rearranged file, until
 * a record with offset and size -1.  Records come in any order and a later
 * one may rewrite part of an earlier one (makedumpfile writes the dump
 * header last).  We index them once at open: a sorted array of disjoint
 * extents, where the later record wins, and read the inner file (ELF or
 * kdump-compressed) through it.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define FLAT_TYPE 1
#define FLAT_VERSION 1

struct vmc_flat_extent {
	uint64_t off;		/* in the rearranged file */
	uint64_t size;
	uint64_t file_off;	/* in the stream */
};

struct vmc_flat {
	struct vmc_flat_extent *ext;
	size_t n, cap;
	uint64_t size;		/* of the rearranged file */
};

bool vmc_flat_probe(const uint8_t *head, size_t len)
{
	return len >= 32 &&
	       memcmp(head, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) == 0;
}

/* First extent ending above OFF (n when none). */
static size_t first_above(const struct vmc_flat *f, uint64_t off)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->ext[mid].off + f->ext[mid].size <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool reserve(struct vmc_flat *f, size_t more)
{
	struct vmc_flat_extent *e;
	size_t cap = f->cap ? f->cap : 256;

	if (f->n + more <= f->cap)
		return true;
	while (cap < f->n + more)
		cap *= 2;
	e = realloc(f->ext, cap * sizeof(*e));
	if (!e)
		return false;
	f->ext = e;
	f->cap = cap;
	return true;
}

/*
 * Paint record R over the extents: what it covers of older extents is
 * cut away.  Records mostly come in increasing order, so this is usually
 * an append.
 */
static bool paint(struct vmc_flat *f, struct vmc_flat_extent r)
{
	uint64_t end = r.off + r.size;
	size_t i, j;

	if (!reserve(f, 2))
		return false;
	i = first_above(f, r.off);
	/* An older extent around R: keep its head, and its tail if any. */
	if (i < f->n && f->ext[i].off < r.off) {
		struct vmc_flat_extent *x = &f->ext[i];
		uint64_t xend = x->off + x->size;

		if (xend > end) {	/* X holds all of R: head, R, tail */
			memmove(&f->ext[i + 3], &f->ext[i + 1],
				(f->n - i - 1) * sizeof(*x));
			f->ext[i + 1] = r;
			f->ext[i + 2] = (struct vmc_flat_extent){
				end, xend - end, x->file_off + (end - x->off) };
			x->size = r.off - x->off;
			f->n += 2;
			return true;
		}
		x->size = r.off - x->off;
		i++;
	}
	/* Drop the extents R covers whole; trim the head of a partial one. */
	for (j = i; j < f->n && f->ext[j].off + f->ext[j].size <= end; j++)
		;
	if (j < f->n && f->ext[j].off < end) {
		uint64_t cut = end - f->ext[j].off;

		f->ext[j].off += cut;
		f->ext[j].file_off += cut;
		f->ext[j].size -= cut;
	}
	/* Replace ext[i, j) by R. */
	memmove(&f->ext[i + 1], &f->ext[j], (f->n - j) * sizeof(r));
	f->n = f->n - (j - i) + 1;
	f->ext[i] = r;
	return true;
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static struct vmc_error *check_header(struct vmcore *vc)
{
	uint8_t h[32];
	struct vmc_error *err;

	if (vc->file_size < FLAT_HEADER_SIZE)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: flattened dump cut inside its %d-byte header "
			"(file size %" PRIu64 ")", vc->path, FLAT_HEADER_SIZE,
			vc->file_size);
	if ((err = vmc_filemap_read(&vc->map, 0, h, sizeof(h))))
		return err;
	if (be64_at(h + 16) != FLAT_TYPE || be64_at(h + 24) != FLAT_VERSION)
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"%s: flattened dump of type %" PRId64 " version %"
			PRId64 "; only type 1 version 1 is known", vc->path,
			(int64_t)be64_at(h + 16), (int64_t)be64_at(h + 24));
	return NULL;
}

/* Index every record; a cut stream keeps what it has, with a warning. */
static struct vmc_error *index_records(struct vmcore *vc, struct vmc_flat *f)
{
	uint64_t pos = FLAT_HEADER_SIZE, nrec = 0;
	uint8_t h[16];
	struct vmc_error *err;

	for (;; nrec++) {
		struct vmc_flat_extent r;
		int64_t off, size;

		if (vc->file_size - pos < sizeof(h))
			return vmc_warn(vc, "flattened dump ends at 0x%" PRIx64
				" without its end marker after %" PRIu64
				" records: it is truncated", vc->file_size,
				nrec);
		if ((err = vmc_filemap_read(&vc->map, pos, h, sizeof(h))))
			return err;
		off = (int64_t)be64_at(h);
		size = (int64_t)be64_at(h + 8);
		if (off == -1 && size == -1)
			return NULL;
		if (off < 0 || size < 0 || size > INT64_MAX - off)
			return vmc_error_create(VMC_ERR_FORMAT,
				"%s: flattened record %" PRIu64 " at file "
				"offset 0x%" PRIx64 " is corrupt (offset %"
				PRId64 ", size %" PRId64 ")", vc->path, nrec,
				pos, off, size);
		pos += sizeof(h);
		r = (struct vmc_flat_extent){ (uint64_t)off, (uint64_t)size,
					      pos };
		if ((uint64_t)size > vc->file_size - pos) {
			r.size = vc->file_size - pos;
			err = vmc_warn(vc, "flattened dump is truncated: record "
				"%" PRIu64 " (0x%" PRIx64 " bytes at 0x%" PRIx64
				") is cut after 0x%" PRIx64 " bytes by the end "
				"of the file", nrec, (uint64_t)size,
				(uint64_t)off, r.size);
			if (!err && r.size && !paint(f, r))
				err = &vmc_enomem;
			if (r.off + r.size > f->size)
				f->size = r.off + r.size;
			return err;
		}
		if (r.size && !paint(f, r))
			return &vmc_enomem;
		if (r.off + r.size > f->size)
			f->size = r.off + r.size;
		pos += r.size;
	}
}

struct vmc_error *vmc_flat_open(struct vmcore *vc)
{
	struct vmc_flat *f = calloc(1, sizeof(*f));
	struct vmc_error *err;

	if (!f)
		return &vmc_enomem;
	vc->flat = f;
	if ((err = check_header(vc)) || (err = index_records(vc, f)))
		return err;
	if (f->n && f->ext[f->n - 1].off + f->ext[f->n - 1].size > f->size)
		f->size = f->ext[f->n - 1].off + f->ext[f->n - 1].size;
	/* Shrink to fit: big dumps have many records. */
	if (f->n && f->n < f->cap) {
		struct vmc_flat_extent *e = realloc(f->ext,
						    f->n * sizeof(*e));

		if (e)
			f->ext = e;
		f->cap = f->n;
	}
	return NULL;
}

void vmc_flat_close(struct vmcore *vc)
{
	if (vc->flat)
		free(vc->flat->ext);
	free(vc->flat);
	vc->flat = NULL;
}

uint64_t vmc_flat_size(const struct vmcore *vc)
{
	return vc->flat->size;
}

size_t vmc_flat_records(const struct vmcore *vc)
{
	return vc->flat->n;
}

/* Bytes no record wrote read as zeros, as in the file `makedumpfile -R`
 * would rebuild; only bytes past the end are an error. */
struct vmc_error *vmc_flat_read(struct vmcore *vc, uint64_t off, void *buf,
				size_t len)
{
	const struct vmc_flat *f = vc->flat;
	uint8_t *out = buf;
	size_t i = first_above(f, off);

	if (off > f->size || len > f->size - off)
		return vmc_error_create(VMC_ERR_FAULT,
			"bytes 0x%" PRIx64 "+0x%zx are past the end of the "
			"dump in the flattened stream (0x%" PRIx64 ")", off,
			len, f->size);
	while (len > 0) {
		const struct vmc_flat_extent *e = i < f->n ? &f->ext[i] : NULL;
		uint64_t n;
		struct vmc_error *err;

		if (!e || e->off > off) {	/* a hole up to E */
			n = e && e->off - off < len ? e->off - off : len;
			memset(out, 0, n);
		} else {
			n = e->size - (off - e->off) < len ?
			    e->size - (off - e->off) : len;
			err = vmc_filemap_read(&vc->map,
					       e->file_off + (off - e->off),
					       out, n);
			if (err)
				return err;
			i++;
		}
		out += n;
		off += n;
		len -= n;
	}
	return NULL;
}
