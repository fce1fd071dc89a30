/* SPDX-License-Identifier: MIT */
/*
 * The kdump-compressed format ("KDUMP   ", makedumpfile -c/-l/-p/-z and
 * uncompressed; QEMU dump-guest-memory -z/-l/-s), header versions up to
 * 6, as written by 64-bit and 32-bit makedumpfile.
 *
 * Layout, in blocks of block_size (the dumped kernel's page size):
 *   block 0            disk_dump_header
 *   block 1            kdump_sub_header (sub_hdr_size blocks, with the
 *                      ELF notes and VMCOREINFO somewhere after it)
 *   bitmap_blocks      two bitmaps of max_mapnr bits, LSB first: the 1st
 *                      says which pages exist (RAM), the 2nd which are in
 *                      the dump; a page in the 1st but not the 2nd was
 *                      excluded by the dump level
 *   page descriptors   one {offset, size, flags, page_flags} per page of
 *                      the 2nd bitmap, in pfn order
 *   page data          each page compressed (zlib, lzo, snappy, zstd) or
 *                      raw when compression did not help
 * A pfn's descriptor is its rank in the 2nd bitmap: a table of popcounts
 * every RANK_BITS pages makes that a small count, and a direct-mapped
 * cache keeps recently decompressed pages.
 *
 * Split dump sets (makedumpfile --split): every file of the set is a whole
 * kdump-compressed file with the same headers and the same two full
 * bitmaps, but holds the descriptors and data of the pages of its own pfn
 * range [start_pfn, end_pfn) only (kdump_sub_header.split, start_pfn,
 * end_pfn; header version 2 and later), so there a pfn's descriptor is
 * its rank minus the rank of start_pfn.  vmc_kdump_join() gives the file
 * opened first the others, and reads of their ranges go to them.
 */
#include <inttypes.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../arch/arch.h"
#include "internal.h"

#define KDUMP_SIGNATURE "KDUMP   "
#define SIG_LEN 8
#define UTS_LEN 65
#define UTS_MACHINE (12 + 4 * UTS_LEN)

/* disk_dump_header.status and page_desc.flags */
#define DH_ZLIB 0x1
#define DH_LZO 0x2
#define DH_SNAPPY 0x4
#define DH_INCOMPLETE 0x8
#define DH_ZSTD 0x20
#define DH_COMPRESSION (DH_ZLIB | DH_LZO | DH_SNAPPY | DH_ZSTD)

#define DESC_SIZE 24
#define RANK_BITS 4096		/* pages per popcount table entry */
#define CACHE_PAGES 256		/* direct-mapped page cache */
#define MAX_BLOCK_SIZE (1u << 18)
/* disk_dump_header up to and including nr_cpus, with the utsname and the
 * timestamp: the same in every file of one split set, different in files
 * of other runs. */
#define HEAD_CMP 464

/* Field offsets of disk_dump_header: struct timeval is 16 bytes at 408 on
 * 64-bit machines, 8 bytes at 404 on 32-bit ones (i386, arm). */
struct header_layout {
	unsigned status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr,
		 nr_cpus;
};

static const struct header_layout header64 = { 424, 428, 432, 436, 440, 460 };
static const struct header_layout header32 = { 412, 416, 420, 424, 428, 448 };

/* kdump_sub_header: unsigned long is 4 or 8 bytes; off_t and u64 are 8,
 * aligned to 4 on i386. */
struct sub_layout {
	unsigned long_size, phys_base, dump_level, split, start_pfn, end_pfn,
		 off_vmcoreinfo, size_vmcoreinfo, off_note, size_note,
		 start_pfn_64, end_pfn_64, max_mapnr_64, size;
};

static const struct sub_layout sub64 = {
	8, 0, 8, 12, 16, 24, 32, 40, 48, 56, 80, 88, 96, 104 };
static const struct sub_layout sub32 = {
	4, 0, 4, 8, 12, 16, 20, 28, 32, 40, 56, 64, 72, 80 };

struct kdump_state {
	uint32_t version, status, block_size;
	int dump_level;
	uint64_t phys_base;
	uint64_t max_mapnr;
	uint64_t bitmap1, bitmap2;	/* file offsets */
	uint64_t desc_off;
	uint64_t *rank;			/* set bits of bitmap 2 before entry */
	uint64_t nram, ndumped;
	uint8_t *notes;			/* CPU notes point into these */
	uint8_t *vmcoreinfo;
	uint8_t *cbuf;			/* one compressed page */
	z_stream zlib;
	bool zlib_ready;
	ZSTD_DCtx *zstd;
	uint8_t *cache;			/* CACHE_PAGES pages */
	uint64_t cache_pfn[CACHE_PAGES];	/* UINT64_MAX: empty */
	/* Split dump sets: this file's range and descriptor base. */
	bool split;
	uint64_t start_pfn, end_pfn;
	uint64_t desc_base;		/* rank of start_pfn in bitmap 2 */
	uint8_t head[HEAD_CMP];		/* header bytes every part shares */
	struct vmcore **parts;		/* joined set, sorted; NULL: alone */
	size_t nparts;
};

/* The compression FLAGS select, in the order the reader tries them. */
static const char *compression_name(uint32_t flags)
{
	if (flags & DH_ZLIB)
		return "zlib";
	if (flags & DH_LZO)
		return "lzo";
	if (flags & DH_SNAPPY)
		return "snappy";
	if (flags & DH_ZSTD)
		return "zstd";
	return "uncompressed";
}

static bool kdump_probe(const uint8_t *head, size_t len)
{
	return len >= SIG_LEN && memcmp(head, KDUMP_SIGNATURE, SIG_LEN) == 0;
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static bool is_32bit_machine(const char *m)
{
	static const char *const m32[] = { "i386", "i486", "i586", "i686",
					   "arm", "armv7l", "mips", "ppc",
					   "s390", "sh", NULL };

	for (size_t i = 0; m32[i]; i++)
		if (strcmp(m, m32[i]) == 0)
			return true;
	return false;
}

static bool good_block_size(uint64_t bs)
{
	return bs >= 1024 && bs <= MAX_BLOCK_SIZE && (bs & (bs - 1)) == 0;
}

static struct vmc_error *corrupt(const struct vmcore *vc, const char *what,
				 uint64_t value)
{
	return vmc_error_create(VMC_ERR_FORMAT,
		"%s: corrupt kdump-compressed header: %s (0x%" PRIx64 ")",
		vc->path, what, value);
}

/* The main header: version, arch, status, block size, bitmap place. */
static struct vmc_error *read_header(struct vmcore *vc, struct kdump_state *st,
				     bool *hdr32, uint64_t *sub_blocks,
				     uint64_t *bitmap_blocks)
{
	uint8_t h[512];
	char machine[UTS_LEN + 1];
	const struct header_layout *l;
	struct vmc_error *err;

	if (vc->file_size < sizeof(h))
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: kdump-compressed dump cut inside its header (file "
			"size %" PRIu64 ")", vc->path, vc->file_size);
	if ((err = vmc_file_read(vc, 0, h, sizeof(h))))
		return err;
	memcpy(st->head, h, HEAD_CMP);
	memcpy(machine, h + UTS_MACHINE, UTS_LEN);
	machine[UTS_LEN] = '\0';
	vc->arch = arch_from_name(machine);
	if (!vc->arch)
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"%s: kdump-compressed dump of a \"%s\" machine; "
			"supported: %s", vc->path, machine,
			arch_supported_list());
	/* The machine name says which makedumpfile wrote the header, except
	 * that QEMU names a guest not in long mode x86_64 and still uses
	 * the 32-bit layout: when the block size is wrong there, try the
	 * other layout. */
	*hdr32 = is_32bit_machine(machine);
	l = *hdr32 ? &header32 : &header64;
	if (!good_block_size(get_le(h + l->block_size, 4)) &&
	    good_block_size(get_le(h + (*hdr32 ? header64.block_size
					       : header32.block_size), 4))) {
		*hdr32 = !*hdr32;
		l = *hdr32 ? &header32 : &header64;
	}
	st->version = (uint32_t)get_le(h + 8, 4);
	st->status = (uint32_t)get_le(h + l->status, 4);
	st->block_size = (uint32_t)get_le(h + l->block_size, 4);
	*sub_blocks = get_le(h + l->sub_hdr_size, 4);
	*bitmap_blocks = get_le(h + l->bitmap_blocks, 4);
	st->max_mapnr = get_le(h + l->max_mapnr, 4);
	if (st->version > 6 || st->version == 0)
		return corrupt(vc, "header_version is not 1 to 6",
			       st->version);
	if (!good_block_size(st->block_size))
		return corrupt(vc, "block_size is not a power of two from "
			       "1 KiB to 256 KiB", st->block_size);
	if (*bitmap_blocks == 0 || *bitmap_blocks % 2)
		return corrupt(vc, "bitmap_blocks is not even", *bitmap_blocks);
	return NULL;
}

/* Read SIZE bytes at OFF into a new buffer (SIZE + 1, NUL-terminated). */
static struct vmc_error *read_blob(struct vmcore *vc, uint64_t off,
				   uint64_t size, const char *what,
				   uint8_t **ret)
{
	struct vmc_error *err;

	if (off > vc->file_size || size > vc->file_size - off ||
	    size > (64u << 20))
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: the %s (0x%" PRIx64 " bytes at 0x%" PRIx64 ") "
			"is past the end of the file (0x%" PRIx64 ")",
			vc->path, what, size, off, vc->file_size);
	*ret = malloc(size + 1);
	if (!*ret)
		return &vmc_enomem;
	(*ret)[size] = 0;
	err = vmc_file_read(vc, off, *ret, size);
	if (err)
		return vmc_error_prefix(err, "%s: reading the %s: ", vc->path,
					what);
	return NULL;
}

/* ELF notes as the kernel wrote them: {namesz, descsz, type}, name,
 * desc, each padded to 4 bytes. */
static struct vmc_error *add_notes(struct vmcore *vc, const uint8_t *p,
				   uint64_t len)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz = (uint32_t)get_le(p + off, 4);
		uint32_t descsz = (uint32_t)get_le(p + off + 4, 4);
		uint32_t type = (uint32_t)get_le(p + off + 8, 4);
		uint64_t name = off + 12;
		uint64_t desc = name + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ull);
		struct vmc_error *err;

		if (namesz == 0 && descsz == 0)
			break;		/* padding at the end */
		if (next > len || desc + descsz > len)
			return vmc_warn(vc, "ELF note at offset 0x%" PRIx64
					" of the dump's notes runs past their "
					"end (0x%" PRIx64 "); the rest are "
					"ignored", off, len);
		if (namesz && p[name + namesz - 1] == '\0' &&
		    (err = vmc_add_note(vc, (const char *)p + name, type,
					p + desc, descsz)))
			return err;
		off = next;
	}
	return NULL;
}

static struct vmc_error *read_sub_header(struct vmcore *vc,
					 struct kdump_state *st, bool hdr32)
{
	const struct sub_layout *l = hdr32 ? &sub32 : &sub64;
	uint8_t s[128];
	uint64_t off = st->block_size, voff, vsize, noff, nsize;
	struct vmc_error *err;

	if (st->version < 1) {
		st->dump_level = -1;
		return NULL;
	}
	if (off + l->size > vc->file_size)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: kdump-compressed dump cut inside its sub-header "
			"(0x%x bytes at 0x%" PRIx64 ", file size 0x%" PRIx64 ")",
			vc->path, l->size, off, vc->file_size);
	if ((err = vmc_file_read(vc, off, s, l->size)))
		return vmc_error_prefix(err, "%s: reading the kdump sub-header: ",
					vc->path);
	st->phys_base = get_le(s + l->phys_base, l->long_size);
	st->dump_level = (int)get_le(s + l->dump_level, 4);
	if (st->version >= 6 && get_le(s + l->max_mapnr_64, 8))
		st->max_mapnr = get_le(s + l->max_mapnr_64, 8);
	if (st->version >= 2 && get_le(s + l->split, 4)) {
		st->split = true;
		st->start_pfn = get_le(s + l->start_pfn, l->long_size);
		st->end_pfn = get_le(s + l->end_pfn, l->long_size);
		/* Version 6 widened them for 32-bit writers. */
		if (st->version >= 6 && get_le(s + l->end_pfn_64, 8)) {
			st->start_pfn = get_le(s + l->start_pfn_64, 8);
			st->end_pfn = get_le(s + l->end_pfn_64, 8);
		}
	}
	if (st->version >= 4) {
		noff = get_le(s + l->off_note, 8);
		nsize = get_le(s + l->size_note, l->long_size);
		if (nsize && (err = read_blob(vc, noff, nsize, "ELF notes",
					      &st->notes)))
			return err;
		if (nsize && (err = add_notes(vc, st->notes, nsize)))
			return err;
	}
	if (st->version >= 3 && !vc->have_vmcoreinfo) {
		voff = get_le(s + l->off_vmcoreinfo, 8);
		vsize = get_le(s + l->size_vmcoreinfo, l->long_size);
		if (vsize && (err = read_blob(vc, voff, vsize, "VMCOREINFO",
					      &st->vmcoreinfo)))
			return err;
		if (vsize && (err = vmc_add_note(vc, "VMCOREINFO", 0,
						  st->vmcoreinfo, vsize)))
			return err;
	}
	return NULL;
}

static unsigned popcount_bytes(const uint8_t *p, size_t n)
{
	unsigned c = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		c += (unsigned)__builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += (unsigned)__builtin_popcount(p[i]);
	return c;
}

/* A segment for each run of set bits in bitmap 1 (the dump's RAM). */
static struct vmc_error *add_ram_run(struct vmcore *vc, uint64_t start,
				     uint64_t end, uint64_t bs, size_t *cap)
{
	struct vmc_segment *s;

	if (vc->nsegs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		s = realloc(vc->segs, ncap * sizeof(*s));
		if (!s)
			return &vmc_enomem;
		vc->segs = s;
		*cap = ncap;
	}
	s = &vc->segs[vc->nsegs++];
	memset(s, 0, sizeof(*s));
	s->paddr = start * bs;
	s->memsz = s->filesz = s->avail = (end - start) * bs;
	return NULL;
}

/*
 * One pass over both bitmaps: the rank table of bitmap 2, the page
 * counts, and the RAM runs of bitmap 1 as segments.
 */
static struct vmc_error *scan_bitmaps(struct vmcore *vc,
				      struct kdump_state *st)
{
	uint8_t b1[RANK_BITS / 8], b2[RANK_BITS / 8];
	uint64_t nchunks = (st->max_mapnr + RANK_BITS - 1) / RANK_BITS;
	uint64_t run = UINT64_MAX;	/* start pfn of the open RAM run */
	size_t cap = 0;
	struct vmc_error *err;

	st->rank = calloc(nchunks + 1, sizeof(*st->rank));
	if (!st->rank)
		return &vmc_enomem;
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t pfn0 = c * RANK_BITS;
		uint64_t bits = st->max_mapnr - pfn0 < RANK_BITS ?
				st->max_mapnr - pfn0 : RANK_BITS;
		size_t bytes = (size_t)(bits + 7) / 8;

		memset(b1, 0, sizeof(b1));
		memset(b2, 0, sizeof(b2));
		if ((err = vmc_file_read(vc, st->bitmap1 + pfn0 / 8, b1, bytes))
		    || (err = vmc_file_read(vc, st->bitmap2 + pfn0 / 8, b2,
					    bytes)))
			return vmc_error_prefix(err, "%s: reading the page "
						"bitmaps: ", vc->path);
		if (bits % 8) {
			b1[bytes - 1] &= (uint8_t)((1u << (bits % 8)) - 1);
			b2[bytes - 1] &= (uint8_t)((1u << (bits % 8)) - 1);
		}
		st->rank[c] = st->ndumped;
		st->ndumped += popcount_bytes(b2, bytes);
		st->nram += popcount_bytes(b1, bytes);
		for (uint64_t i = 0; i < bits; i++) {
			bool ram = b1[i / 8] >> (i % 8) & 1;

			if (i % 64 == 0 && i + 64 <= bits) {
				uint64_t w;

				memcpy(&w, b1 + i / 8, 8);
				if ((w == 0 && run == UINT64_MAX) ||
				    (w == UINT64_MAX && run != UINT64_MAX)) {
					i += 63;
					continue;
				}
			}
			if (ram && run == UINT64_MAX)
				run = pfn0 + i;
			else if (!ram && run != UINT64_MAX) {
				err = add_ram_run(vc, run, pfn0 + i,
						  st->block_size, &cap);
				if (err)
					return err;
				run = UINT64_MAX;
			}
		}
	}
	st->rank[nchunks] = st->ndumped;
	if (run != UINT64_MAX)
		return add_ram_run(vc, run, st->max_mapnr, st->block_size,
				   &cap);
	return NULL;
}

static bool bit_set(struct vmcore *vc, uint64_t bitmap, uint64_t pfn,
		    struct vmc_error **err)
{
	uint8_t b;

	*err = vmc_file_read(vc, bitmap + pfn / 8, &b, 1);
	return !*err && (b >> (pfn % 8) & 1);
}

/* Index of PFN's descriptor: the set bits of bitmap 2 below it. */
static struct vmc_error *desc_index(struct vmcore *vc, struct kdump_state *st,
				    uint64_t pfn, uint64_t *idx)
{
	uint8_t b[RANK_BITS / 8];
	uint64_t c = pfn / RANK_BITS, in = pfn % RANK_BITS;
	struct vmc_error *err;

	*idx = st->rank[c];
	if (in == 0)
		return NULL;
	if ((err = vmc_file_read(vc, st->bitmap2 + c * (RANK_BITS / 8), b,
				 (size_t)(in + 7) / 8)))
		return err;
	if (in % 8)
		b[in / 8] &= (uint8_t)((1u << (in % 8)) - 1);
	*idx += popcount_bytes(b, (size_t)(in + 7) / 8);
	return NULL;
}

static struct vmc_error *decompress(const struct vmcore *vc,
				    struct kdump_state *st, uint64_t pfn,
				    uint32_t flags, uint32_t size,
				    uint8_t *out)
{
	size_t want = st->block_size;
	bool ok;

	if (flags & DH_ZLIB) {
		/* One inflate state for all pages: uncompress() would set
		 * up (and allocate) a new one per page. */
		z_stream *z = &st->zlib;

		if (!st->zlib_ready) {
			if (inflateInit(z) != Z_OK)
				return &vmc_enomem;
			st->zlib_ready = true;
		}
		inflateReset(z);
		z->next_in = st->cbuf;
		z->avail_in = size;
		z->next_out = out;
		z->avail_out = (uInt)want;
		ok = inflate(z, Z_FINISH) == Z_STREAM_END && z->avail_out == 0;
	} else if (flags & DH_LZO) {
		lzo_uint n = want;

		ok = lzo1x_decompress_safe(st->cbuf, size, out, &n, NULL) ==
		     LZO_E_OK && n == want;
	} else if (flags & DH_SNAPPY) {
		size_t n = want;

		ok = snappy_uncompressed_length((const char *)st->cbuf, size,
						&n) == SNAPPY_OK && n == want &&
		     snappy_uncompress((const char *)st->cbuf, size,
				       (char *)out, &n) == SNAPPY_OK &&
		     n == want;
	} else {
		if (!st->zstd && !(st->zstd = ZSTD_createDCtx()))
			return &vmc_enomem;
		ok = ZSTD_decompressDCtx(st->zstd, out, want, st->cbuf, size) ==
		     want;
	}
	if (ok)
		return NULL;
	return vmc_error_create(VMC_ERR_FORMAT,
		"%s: page at physical 0x%" PRIx64 " does not decompress "
		"(%s, %" PRIu32 " bytes): the dump is corrupt there", vc->path,
		pfn * st->block_size, compression_name(flags), size);
}

static struct vmc_error *not_present(const struct kdump_state *st,
				     uint64_t pfn, bool ram)
{
	uint64_t paddr = pfn * st->block_size;

	if (!ram)
		return vmc_error_create(VMC_ERR_FAULT,
			"physical 0x%" PRIx64 " is not in the dump", paddr);
	return vmc_error_create(VMC_ERR_EXCLUDED,
		"physical 0x%" PRIx64 " was excluded from the dump (makedumpfile "
		"dump level %d filters out zero, cache, user and/or free pages)"
		, paddr, st->dump_level);
}

static bool kdump_excluded(struct vmcore *vc, uint64_t paddr)
{
	struct kdump_state *st = vc->format_data;
	uint64_t pfn = paddr / st->block_size;
	struct vmc_error *err = NULL;
	bool ret = pfn < st->max_mapnr && !bit_set(vc, st->bitmap2, pfn, &err) &&
		   !err && bit_set(vc, st->bitmap1, pfn, &err);

	vmc_error_destroy(err);
	return ret && !err;
}

/* PFN of a split set is held by another file of the set. */
static struct vmc_error *other_part(struct vmcore *vc, struct kdump_state *st,
				    uint64_t pfn, uint8_t *out)
{
	uint64_t bs = st->block_size;

	for (size_t i = 0; st->parts && i < st->nparts; i++) {
		struct vmcore *p = st->parts[i];
		struct kdump_state *ps = p->format_data;

		if (p == vc || pfn < ps->start_pfn || pfn >= ps->end_pfn)
			continue;
		vmcore_set_zero_excluded(p, vc->zero_excluded);
		return vmcore_read_phys(p, pfn * bs, out, bs, NULL);
	}
	return vmc_error_create(VMC_ERR_FAULT,
		"physical 0x%" PRIx64 " is in another file of this split dump "
		"set (%s holds physical 0x%" PRIx64 "-0x%" PRIx64 " only): "
		"give every file of the set", pfn * bs, vc->path,
		st->start_pfn * bs, st->end_pfn * bs);
}

/* Decompress PFN into OUT (block_size bytes). */
static struct vmc_error *load_page(struct vmcore *vc, struct kdump_state *st,
				   uint64_t pfn, uint8_t *out)
{
	uint8_t d[DESC_SIZE];
	uint64_t idx, off;
	uint32_t size, flags;
	struct vmc_error *err = NULL;

	if (pfn >= st->max_mapnr)
		return not_present(st, pfn, false);
	if (!bit_set(vc, st->bitmap2, pfn, &err)) {
		bool ram = !err && bit_set(vc, st->bitmap1, pfn, &err);

		if (err)
			return err;
		if (ram && vc->zero_excluded) {
			memset(out, 0, st->block_size);
			return NULL;
		}
		return not_present(st, pfn, ram);
	}
	if (st->split && (pfn < st->start_pfn || pfn >= st->end_pfn))
		return other_part(vc, st, pfn, out);
	if ((err = desc_index(vc, st, pfn, &idx)))
		return err;
	idx -= st->desc_base;
	if (idx >= (vc->file_size - st->desc_off) / DESC_SIZE ||
	    (err = vmc_file_read(vc, st->desc_off + idx * DESC_SIZE, d,
				 sizeof(d))))
		goto missing;
	off = get_le(d, 8);
	size = (uint32_t)get_le(d + 8, 4);
	flags = (uint32_t)get_le(d + 12, 4);
	if (off == 0 && size == 0)
		goto missing;	/* never written: incomplete dump */
	if (size > st->block_size || (size != st->block_size &&
				      !(flags & DH_COMPRESSION)))
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: page descriptor %" PRIu64 " (physical 0x%" PRIx64
			") is corrupt: size %" PRIu32 ", flags 0x%" PRIx32,
			vc->path, idx, pfn * st->block_size, size, flags);
	if (off > vc->file_size || size > vc->file_size - off)
		goto missing;
	if (!(flags & DH_COMPRESSION))
		return vmc_file_read(vc, off, out, size);
	if ((err = vmc_file_read(vc, off, st->cbuf, size)))
		return err;
	return decompress(vc, st, pfn, flags, size, out);
missing:
	vmc_error_destroy(err);
	return vmc_error_create(VMC_ERR_FAULT,
		"physical 0x%" PRIx64 " is in the dump's page list but its data "
		"is missing: the dump is %s", pfn * st->block_size,
		st->status & DH_INCOMPLETE ? "incomplete (its writer ran out "
		"of space, or its source was truncated)" : "truncated");
}

static struct vmc_error *get_page(struct vmcore *vc, struct kdump_state *st,
				  uint64_t pfn, const uint8_t **ret)
{
	size_t slot = (size_t)(pfn % CACHE_PAGES);
	uint8_t *page = st->cache + slot * st->block_size;
	struct vmc_error *err;

	if (st->cache_pfn[slot] != pfn) {
		st->cache_pfn[slot] = UINT64_MAX;
		if ((err = load_page(vc, st, pfn, page)))
			return err;
		st->cache_pfn[slot] = pfn;
	}
	*ret = page;
	return NULL;
}

static struct vmc_error *kdump_read_phys(struct vmcore *vc, uint64_t paddr,
					 void *buf, size_t len,
					 size_t *done_ret)
{
	struct kdump_state *st = vc->format_data;
	uint8_t *out = buf;

	*done_ret = 0;
	while (len > 0) {
		uint64_t pfn = paddr / st->block_size;
		size_t in = (size_t)(paddr % st->block_size);
		size_t n = st->block_size - in < len ? st->block_size - in
						     : len;
		const uint8_t *page;
		struct vmc_error *err = get_page(vc, st, pfn, &page);

		if (err)
			return err;
		memcpy(out, page + in, n);
		out += n;
		paddr += n;
		len -= n;
		*done_ret += n;
	}
	return NULL;
}

static void kdump_invalidate(struct vmcore *vc)
{
	struct kdump_state *st = vc->format_data;

	memset(st->cache_pfn, 0xff, sizeof(st->cache_pfn));
}

static struct vmc_error *check_sizes(struct vmcore *vc,
				     struct kdump_state *st,
				     uint64_t sub_blocks,
				     uint64_t bitmap_blocks)
{
	uint64_t bs = st->block_size;
	uint64_t bitmap_bytes = bitmap_blocks / 2 * bs;

	if (sub_blocks > vc->file_size / bs ||
	    bitmap_blocks > vc->file_size / bs)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: the kdump header claims %" PRIu64 " sub-header "
			"and %" PRIu64 " bitmap blocks of %" PRIu64 " bytes, "
			"more than the file holds (0x%" PRIx64 " bytes)",
			vc->path, sub_blocks, bitmap_blocks, bs, vc->file_size);
	st->bitmap1 = (1 + sub_blocks) * bs;
	st->bitmap2 = st->bitmap1 + bitmap_bytes;
	st->desc_off = st->bitmap2 + bitmap_bytes;
	if (st->max_mapnr > bitmap_bytes * 8)
		return corrupt(vc, "max_mapnr exceeds the bitmap size",
			       st->max_mapnr);
	if (st->desc_off > vc->file_size)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: kdump-compressed dump cut inside its bitmaps (they "
			"end at 0x%" PRIx64 ", the file at 0x%" PRIx64 ")",
			vc->path, st->desc_off, vc->file_size);
	return NULL;
}

/* QEMU 7.2 writes a wrong phys_base in its kdump sub-header: VMCOREINFO,
 * which the kernel wrote, wins; the header only fills in when it is
 * missing there. */
static struct vmc_error *check_phys_base(struct vmcore *vc,
					 struct kdump_state *st)
{
	int64_t vi;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(vc, "NUMBER(phys_base)",
						      &vi);

	if (err) {
		vmc_error_destroy(err);
		vc->have_hdr_phys_base = st->version >= 1;
		vc->hdr_phys_base = st->phys_base;
		return NULL;
	}
	if ((uint64_t)vi == st->phys_base)
		return NULL;
	return vmc_warn(vc, "the kdump sub-header says phys_base 0x%" PRIx64
			" but VMCOREINFO says 0x%" PRIx64 "; using VMCOREINFO "
			"(QEMU 7.2 is known to write a wrong one)",
			st->phys_base, (uint64_t)vi);
}

/* Rank of PFN in bitmap 2 (descriptors of the pages below it). */
static struct vmc_error *rank_of(struct vmcore *vc, struct kdump_state *st,
				 uint64_t pfn, uint64_t *ret)
{
	if (pfn >= st->max_mapnr) {
		*ret = st->ndumped;
		return NULL;
	}
	return desc_index(vc, st, pfn, ret);
}

/* A file of a split set: check its range, find its descriptor base. */
static struct vmc_error *split_range(struct vmcore *vc,
				     struct kdump_state *st,
				     uint64_t *ndesc_ret)
{
	uint64_t end_rank;
	struct vmc_error *err;

	*ndesc_ret = st->ndumped;
	if (!st->split)
		return NULL;
	if (st->start_pfn > st->end_pfn || st->end_pfn > st->max_mapnr)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: corrupt split-dump range in the kdump sub-header: "
			"pfns 0x%" PRIx64 "-0x%" PRIx64 " (max_mapnr 0x%" PRIx64
			")", vc->path, st->start_pfn, st->end_pfn,
			st->max_mapnr);
	if ((err = rank_of(vc, st, st->start_pfn, &st->desc_base)) ||
	    (err = rank_of(vc, st, st->end_pfn, &end_rank)))
		return vmc_error_prefix(err, "%s: reading the page bitmaps: ",
					vc->path);
	*ndesc_ret = end_rank - st->desc_base;
	return NULL;
}

static struct vmc_error *report(struct vmcore *vc, struct kdump_state *st)
{
	uint64_t ndesc, need;
	struct vmc_error *err;

	if ((err = split_range(vc, st, &ndesc)))
		return err;
	need = st->desc_off + ndesc * DESC_SIZE;

	vc->dump_level = st->dump_level;
	vc->excluded_pages = st->nram - st->ndumped;
	snprintf(vc->format_name, sizeof(vc->format_name),
		 "kdump-compressed v%" PRIu32 ", %s", st->version,
		 compression_name(st->status));
	if (st->split) {
		size_t n = strlen(vc->format_name);

		snprintf(vc->format_name + n, sizeof(vc->format_name) - n,
			 ", split part");
	}
	if ((err = check_phys_base(vc, st)))
		return err;
	if (st->status & DH_INCOMPLETE)
		return vmc_warn(vc, "the dump is incomplete (makedumpfile ran "
				"out of space while writing it, or the dump it "
				"was made from was truncated): pages it did "
				"not write read as errors");
	if (need > vc->file_size)
		return vmc_warn(vc, "dump is truncated: its %" PRIu64 " page "
				"descriptors end at 0x%" PRIx64 " but the file "
				"at 0x%" PRIx64 "; pages past the end read as "
				"errors", ndesc, need, vc->file_size);
	return NULL;
}

static struct vmc_error *kdump_open(struct vmcore *vc)
{
	struct kdump_state *st = calloc(1, sizeof(*st));
	uint64_t sub_blocks, bitmap_blocks;
	bool hdr32;
	struct vmc_error *err;

	if (!st)
		return &vmc_enomem;
	vc->format_data = st;
	memset(st->cache_pfn, 0xff, sizeof(st->cache_pfn));
	if ((err = read_header(vc, st, &hdr32, &sub_blocks, &bitmap_blocks)) ||
	    (err = read_sub_header(vc, st, hdr32)) ||
	    (err = check_sizes(vc, st, sub_blocks, bitmap_blocks)))
		return err;
	st->cbuf = malloc(st->block_size);
	st->cache = malloc((size_t)CACHE_PAGES * st->block_size);
	if (!st->cbuf || !st->cache)
		return &vmc_enomem;
	if ((err = scan_bitmaps(vc, st)))
		return err;
	return report(vc, st);
}

bool vmc_kdump_split_range(const struct vmcore *vc, uint64_t *start_ret,
			   uint64_t *end_ret)
{
	const struct kdump_state *st = vc->format_data;

	if (vc->ops != &vmc_format_kdump || !st || !st->split)
		return false;
	*start_ret = st->start_pfn * st->block_size;
	*end_ret = st->end_pfn * st->block_size;
	return true;
}

static int by_start_pfn(const void *a, const void *b)
{
	const struct kdump_state *x = (*(struct vmcore *const *)a)->format_data;
	const struct kdump_state *y = (*(struct vmcore *const *)b)->format_data;

	return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

/* Is P a file of the same split set as VC? */
static struct vmc_error *same_set(struct vmcore *vc, struct vmcore *p)
{
	struct kdump_state *st = vc->format_data, *ps = p->format_data;

	if (p->ops != &vmc_format_kdump || !ps->split)
		return vmc_error_create(VMC_ERR_INVALID,
			"%s is not a file of a split dump set (makedumpfile "
			"--split); give one dump, or every file of one set",
			p->path);
	if (memcmp(st->head, ps->head, HEAD_CMP) != 0)
		return vmc_error_create(VMC_ERR_INVALID,
			"%s and %s are files of different split dumps (their "
			"headers differ: another crash or another makedumpfile "
			"run)", vc->path, p->path);
	return NULL;
}

/* The sorted set must hold every pfn once: [0, max_mapnr) without gaps. */
static struct vmc_error *check_coverage(struct vmcore **set, size_t n)
{
	const struct kdump_state *first = set[0]->format_data;
	uint64_t bs = first->block_size, next = 0;

	for (size_t i = 0; i < n; i++) {
		const struct kdump_state *ps = set[i]->format_data;

		if (ps->start_pfn < next)
			return vmc_error_create(VMC_ERR_INVALID,
				"%s and %s both hold physical 0x%" PRIx64
				": a file was given twice?", set[i - 1]->path,
				set[i]->path, ps->start_pfn * bs);
		if (ps->start_pfn > next)
			return vmc_error_create(VMC_ERR_INVALID,
				"no file of the split dump set holds physical "
				"0x%" PRIx64 "-0x%" PRIx64 ": a file of the set "
				"is missing", next * bs, ps->start_pfn * bs);
		next = ps->end_pfn;
	}
	if (next < first->max_mapnr)
		return vmc_error_create(VMC_ERR_INVALID,
			"no file of the split dump set holds physical 0x%"
			PRIx64 "-0x%" PRIx64 ": a file of the set is missing",
			next * bs, first->max_mapnr * bs);
	return NULL;
}

struct vmc_error *vmc_kdump_join(struct vmcore *vc, struct vmcore **others,
				 size_t n)
{
	struct kdump_state *st = vc->format_data;
	struct vmcore **set;
	struct vmc_error *err;

	if (vc->ops != &vmc_format_kdump || !st->split)
		return same_set(others[0], vc);
	for (size_t i = 0; i < n; i++)
		if ((err = same_set(vc, others[i])))
			return err;
	set = malloc((n + 1) * sizeof(*set));
	if (!set)
		return &vmc_enomem;
	set[0] = vc;
	memcpy(set + 1, others, n * sizeof(*set));
	qsort(set, n + 1, sizeof(*set), by_start_pfn);
	if ((err = check_coverage(set, n + 1))) {
		free(set);
		return err;
	}
	st->parts = set;
	st->nparts = n + 1;
	snprintf(vc->format_name, sizeof(vc->format_name),
		 "kdump-compressed v%" PRIu32 ", %s, split set of %u files",
		 st->version, compression_name(st->status), (unsigned)(n + 1));
	return NULL;
}

static void kdump_close(struct vmcore *vc)
{
	struct kdump_state *st = vc->format_data;

	if (!st)
		return;
	for (size_t i = 0; i < st->nparts; i++)
		if (st->parts[i] != vc)
			vmcore_close(st->parts[i]);
	free(st->parts);
	free(st->rank);
	free(st->notes);
	free(st->vmcoreinfo);
	free(st->cbuf);
	free(st->cache);
	if (st->zlib_ready)
		inflateEnd(&st->zlib);
	ZSTD_freeDCtx(st->zstd);
	free(st);
	vc->format_data = NULL;
}

const struct vmc_format_ops vmc_format_kdump = {
	.name = "kdump-compressed",
	.probe = kdump_probe,
	.open = kdump_open,
	.read_phys = kdump_read_phys,
	.excluded = kdump_excluded,
	.invalidate = kdump_invalidate,
	.close = kdump_close,
};
