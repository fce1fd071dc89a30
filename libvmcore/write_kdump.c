/* SPDX-License-Identifier: MIT */
/*
 * The kdump-compressed writer (kdumpwrite.h).  No library writes this
 * format (libkdumpfile and drgn only read it; makedumpfile is a program
 * and reads only ELF and its own format), so the layout is written here
 * from the format's description; format_kdump.c reads it back.
 *
 * File layout, in blocks of block_size (the dumped kernel's page size):
 *   block 0   disk_dump_header: "KDUMP   ", header_version 6, the
 *             kernel's new_utsname at 12, struct timeval (tv_sec =
 *             VMCOREINFO CRASHTIME) at 408 (LP64 writer) or 404 (ILP32:
 *             the layout a 32-bit machine's makedumpfile writes, which
 *             readers expect of i386 dumps), then status (compression),
 *             block_size, sub_hdr_size, bitmap_blocks, max_mapnr (32-bit,
 *             saturated), total_ram_blocks, device_blocks, written_blocks,
 *             current_cpu (all 0), nr_cpus (the NT_PRSTATUS notes)
 *   block 1   kdump_sub_header (phys_base, dump_level, split 0, ...,
 *             offset/size of the notes and of VMCOREINFO inside them,
 *             max_mapnr_64), then the ELF notes; sub_hdr_size blocks
 *   bitmaps   1st (RAM) and 2nd (in the dump), max_mapnr bits each, LSB
 *             first, each rounded up to whole blocks
 *   page_desc {int64 offset; uint32 size; uint32 flags; uint64
 *             page_flags = 0} per set bit of the 2nd bitmap, pfn order
 *   data      the zero page first (every all-zero page's descriptor
 *             points at it), then each page compressed, or raw (flags 0,
 *             size block_size) when compressing does not shrink it
 * zlib level 1, lzo1x_1, snappy and zstd level 1, as makedumpfile.
 *
 * The flattened stream (makedumpfile -F): a 4096-byte header
 * ("makedumpfile", big-endian type 1, version 1), then records of a
 * big-endian {int64 offset, int64 size} and SIZE bytes of the file at
 * OFFSET, ended by {-1, -1}.  The same writes as the file, in the same
 * order, become records.
 *
 * Order and memory: the bitmaps are built first, whole (2 MiB each for
 * 64 GiB of 4 KiB pages), with the filter asked a window at a time; their
 * popcount places the data after the descriptor table.  Pages are then
 * read, compressed and written one at a time through two small buffers
 * (descriptors, data).  A page the source cannot give (truncated or
 * corrupt there) gets an empty descriptor {0, 0, 0, 0} and the header the
 * DUMP_DH_COMPRESSED_INCOMPLETE flag, which is how makedumpfile marks the
 * pages it could not write: readers then say the data is missing instead
 * of showing zeros.  The dump header is written before the pages,
 * flagged incomplete, and again after them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "../arch/arch.h"
#include "internal.h"
#include "kdumpwrite.h"

/* disk_dump_header.status and page_desc.flags */
#define DH_ZLIB 0x1
#define DH_LZO 0x2
#define DH_SNAPPY 0x4
#define DH_INCOMPLETE 0x8
#define DH_ZSTD 0x20

#define UTS_LEN 65
#define DESC_SIZE 24
#define HDR64_SIZE 464		/* sizeof(struct disk_dump_header), LP64 */
#define HDR32_SIZE 452		/* ILP32 */
#define SUB64_SIZE 104		/* sizeof(struct kdump_sub_header), LP64 */
#define SUB32_SIZE 80		/* ILP32 (8-byte types 4-aligned) */
#define HEADER_VERSION 6
#define FLAT_HEADER_SIZE 4096
#define DATA_BUF (1u << 20)	/* page data per write (or record) */
#define DESC_BUF 4096		/* descriptors per write (or record) */
#define PROGRESS_EVERY 1024	/* pages */
#define NT_PRSTATUS 1
/* 2^36 pfns: 256 TiB of 4 KiB pages, bitmaps of 8 GiB each.  Beyond
 * that the source's physical addresses are taken for corrupt. */
#define MAX_MAPNR (UINT64_C(1) << 36)

static const struct {
	const char *name;
	uint32_t flag;
} compressors[] = {
	[VMC_COMPRESS_NONE] = { "none", 0 },
	[VMC_COMPRESS_ZLIB] = { "zlib", DH_ZLIB },
	[VMC_COMPRESS_LZO] = { "lzo", DH_LZO },
	[VMC_COMPRESS_SNAPPY] = { "snappy", DH_SNAPPY },
	[VMC_COMPRESS_ZSTD] = { "zstd", DH_ZSTD },
};

int vmc_compress_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(compressors) / sizeof(compressors[0]);
	     i++)
		if (strcmp(name, compressors[i].name) == 0)
			return (int)i;
	return -1;
}

const char *vmc_compress_name(enum vmc_compress c)
{
	return (unsigned)c < sizeof(compressors) / sizeof(compressors[0])
		? compressors[c].name : "?";
}

struct compressor {
	uint32_t flag;
	uint8_t *buf;
	size_t bufsz;
	void *lzo_wrk;
	ZSTD_CCtx *zstd;
	z_stream z;		/* one deflate state, reset per page */
	bool z_ready;
};

/* The writer's state. */
struct kw {
	struct vmcore *vc;
	const struct vmc_kdump_opts *o;
	int fd;
	uint32_t bs;			/* block size = page size */
	bool hdr32;			/* ILP32 header layout */
	uint64_t max_mapnr;
	uint64_t bitmap_bytes;		/* (max_mapnr + 7) / 8 */
	uint64_t bitmap_half;		/* rounded up to blocks */
	uint8_t *bm1, *bm2;
	uint8_t *notes;
	size_t notes_len, vmcoreinfo_off, vmcoreinfo_len;
	uint32_t nr_cpus;
	uint64_t sub_blocks, bitmap1_off, desc_off, data_off;
	/* Output buffers: descriptors and data, with their file offsets. */
	uint8_t *desc;
	size_t ndesc;
	uint64_t desc_pos;
	uint8_t *data;
	size_t ndata;
	uint64_t data_pos;
	uint64_t zero_off;		/* the shared zero page */
	uint8_t *page;
	struct compressor c;
	struct vmc_kdump_stats st;
};

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t div_up(uint64_t v, uint64_t d)
{
	return (v + d - 1) / d;
}

/* ---- output ------------------------------------------------------------ */

/* In order, for the flattened stream (counted in st.stream_bytes). */
static struct vmc_error *write_all(struct kw *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	w->st.stream_bytes += len;
	while (len) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmc_error_errno(n < 0 ? errno : EIO,
					       "writing %zu bytes", len);
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

/* LEN bytes at OFF of the kdump file: a positioned write, or a record of
 * the flattened stream. */
static struct vmc_error *put(struct kw *w, uint64_t off, const void *buf,
			     size_t len)
{
	const uint8_t *p = buf;
	uint8_t rec[16];
	struct vmc_error *err;

	if (len == 0)
		return NULL;
	if (w->o->flat) {
		put_be64(rec, off);
		put_be64(rec + 8, len);
		if ((err = write_all(w, rec, sizeof(rec))))
			return err;
		return write_all(w, buf, len);
	}
	while (len) {
		ssize_t n = pwrite(w->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmc_error_errno(n < 0 ? errno : EIO,
				"writing %zu bytes at offset 0x%" PRIx64, len,
				off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

static struct vmc_error *flush_data(struct kw *w)
{
	struct vmc_error *err = put(w, w->data_pos, w->data, w->ndata);

	w->data_pos += w->ndata;
	w->ndata = 0;
	return err;
}

static struct vmc_error *flush_desc(struct kw *w)
{
	struct vmc_error *err = put(w, w->desc_pos, w->desc,
				    w->ndesc * DESC_SIZE);

	w->desc_pos += w->ndesc * DESC_SIZE;
	w->ndesc = 0;
	return err;
}

/* Descriptors go out before the data they describe, as makedumpfile
 * writes them: in a dump cut short, no written descriptor points past
 * the data. */
static struct vmc_error *add_data(struct kw *w, const uint8_t *p, size_t n)
{
	struct vmc_error *err;

	if (w->ndata + n > DATA_BUF &&
	    ((err = flush_desc(w)) || (err = flush_data(w))))
		return err;
	memcpy(w->data + w->ndata, p, n);
	w->ndata += n;
	return NULL;
}

static struct vmc_error *add_desc(struct kw *w, uint64_t off, uint32_t size,
				  uint32_t flags)
{
	uint8_t *p = w->desc + w->ndesc * DESC_SIZE;
	struct vmc_error *err;

	put_le(p, off, 8);
	put_le(p + 8, size, 4);
	put_le(p + 12, flags, 4);
	put_le(p + 16, 0, 8);		/* page_flags: makedumpfile writes 0 */
	if (++w->ndesc < DESC_BUF)
		return NULL;
	if ((err = flush_desc(w)))
		return err;
	return flush_data(w);
}

/* ---- compression ------------------------------------------------------- */

static struct vmc_error *compressor_init(struct compressor *c, uint32_t flag,
					 uint32_t bs)
{
	c->flag = flag;
	c->bufsz = compressBound(bs);
	if (snappy_max_compressed_length(bs) > c->bufsz)
		c->bufsz = snappy_max_compressed_length(bs);
	if (ZSTD_compressBound(bs) > c->bufsz)
		c->bufsz = ZSTD_compressBound(bs);
	if (bs + bs / 16 + 64 + 3 > c->bufsz)	/* lzo1x worst case */
		c->bufsz = bs + bs / 16 + 64 + 3;
	if (!(c->buf = malloc(c->bufsz)))
		return &vmc_enomem;
	if (flag == DH_LZO) {
		if (lzo_init() != LZO_E_OK)
			return vmc_error_create(VMC_ERR_UNSUPPORTED,
						"lzo_init failed");
		if (!(c->lzo_wrk = malloc(LZO1X_1_MEM_COMPRESS)))
			return &vmc_enomem;
	}
	if (flag == DH_ZSTD && !(c->zstd = ZSTD_createCCtx()))
		return &vmc_enomem;
	if (flag == DH_ZLIB) {
		if (deflateInit(&c->z, Z_BEST_SPEED) != Z_OK)
			return &vmc_enomem;
		c->z_ready = true;
	}
	return NULL;
}

static void compressor_fini(struct compressor *c)
{
	free(c->buf);
	free(c->lzo_wrk);
	ZSTD_freeCCtx(c->zstd);
	if (c->z_ready)
		deflateEnd(&c->z);
}

/* PAGE compressed into c->buf: its size, or 0 to store it raw. */
static size_t compress_page(struct compressor *c, const uint8_t *page,
			    size_t size)
{
	size_t n = 0;

	switch (c->flag) {
	case DH_ZLIB:	/* compress2(level 1) without its allocations */
		c->z.next_in = (Bytef *)page;
		c->z.avail_in = (uInt)size;
		c->z.next_out = c->buf;
		c->z.avail_out = (uInt)c->bufsz;
		if (deflate(&c->z, Z_FINISH) == Z_STREAM_END)
			n = c->z.total_out;
		deflateReset(&c->z);
		break;
	case DH_LZO: {
		lzo_uint ln = c->bufsz;

		if (lzo1x_1_compress(page, size, c->buf, &ln, c->lzo_wrk) ==
		    LZO_E_OK)
			n = ln;
		break;
	}
	case DH_SNAPPY: {
		size_t sn = c->bufsz;

		if (snappy_compress((const char *)page, size, (char *)c->buf,
				    &sn) == SNAPPY_OK)
			n = sn;
		break;
	}
	case DH_ZSTD: {
		size_t zn = ZSTD_compressCCtx(c->zstd, c->buf, c->bufsz, page,
					      size, 1);

		if (!ZSTD_isError(zn))
			n = zn;
		break;
	}
	default:
		break;
	}
	return n < size ? n : 0;
}

/* ---- the bitmaps ------------------------------------------------------- */

static void set_bits(uint8_t *map, uint64_t from, uint64_t to)
{
	for (uint64_t pfn = from; pfn < to; pfn++)
		map[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
}

static void clear_bits(uint8_t *map, uint64_t from, uint64_t to)
{
	for (uint64_t pfn = from; pfn < to; pfn++)
		map[pfn / 8] &= (uint8_t)~(1u << (pfn % 8));
}

static bool test_bit(const uint8_t *map, uint64_t pfn)
{
	return map[pfn / 8] >> (pfn % 8) & 1;
}

static uint64_t popcount(const uint8_t *p, uint64_t n)
{
	uint64_t c = 0, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		c += (uint64_t)__builtin_popcountll(v);
	}
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcount(p[i]);
	return c;
}

/*
 * The 1st bitmap: every page any physical range of the source touches.
 * The 2nd: the same less what the source's own dump level excluded.
 * Pages whose data the source lacks (a truncated file) stay in it: they
 * get an empty descriptor, as makedumpfile leaves the pages it could not
 * write, and the dump is flagged incomplete.
 */
static struct vmc_error *source_bitmaps(struct kw *w)
{
	struct vmcore *vc = w->vc;
	uint64_t bs = w->bs;

	for (size_t i = 0; i < vc->npranges; i++) {
		const struct vmc_prange *r = &vc->pranges[i];

		set_bits(w->bm1, r->paddr / bs, div_up(r->paddr + r->size, bs));
	}
	memcpy(w->bm2, w->bm1, w->bitmap_bytes);
	w->st.ram_pages = popcount(w->bm1, w->bitmap_bytes);
	if (!vc->ops->excluded)
		return NULL;
	for (uint64_t pfn = 0; pfn < w->max_mapnr; pfn++) {
		if (test_bit(w->bm2, pfn) && vc->ops->excluded(vc, pfn * bs)) {
			clear_bits(w->bm2, pfn, pfn + 1);
			w->st.source_excluded++;
		}
	}
	return NULL;
}

/* The filter, a window at a time; it can clear bits, never set them. */
static struct vmc_error *apply_filter(struct kw *w)
{
	const struct vmc_page_filter *f = w->o->filter;
	uint8_t *win;
	struct vmc_error *err = NULL;
	uint64_t before = popcount(w->bm2, w->bitmap_bytes);

	if (!f || !f->keep_window)
		return NULL;
	if (!(win = malloc(VMC_FILTER_WINDOW / 8)))
		return &vmc_enomem;
	for (uint64_t start = 0; !err && start < w->max_mapnr;
	     start += VMC_FILTER_WINDOW) {
		uint64_t n = w->max_mapnr - start < VMC_FILTER_WINDOW
			? w->max_mapnr - start : VMC_FILTER_WINDOW;
		uint8_t *bits = w->bm2 + start / 8;

		memcpy(win, bits, div_up(n, 8));
		err = f->keep_window(f->ctx, w->vc, start, n, win);
		for (uint64_t i = 0; !err && i < div_up(n, 8); i++)
			bits[i] &= win[i];
	}
	free(win);
	if (err)
		return vmc_error_prefix(err, "page filter (dump level %d): ",
					f->dump_level);
	w->st.filtered = before - popcount(w->bm2, w->bitmap_bytes);
	return NULL;
}

/* ---- notes and headers ------------------------------------------------- */

static size_t note_size(const char *name, size_t descsz)
{
	size_t namesz = *name ? strlen(name) + 1 : 0;

	return 12 + div_up(namesz, 4) * 4 + div_up(descsz, 4) * 4;
}

/* One ELF note at P (Elf32_Nhdr and Elf64_Nhdr are the same); returns
 * the offset of its descriptor. */
static size_t put_note(uint8_t *p, const char *name, uint32_t type,
		       const void *desc, size_t descsz)
{
	size_t namesz = *name ? strlen(name) + 1 : 0;

	put_le(p, namesz, 4);
	put_le(p + 4, descsz, 4);
	put_le(p + 8, type, 4);
	memcpy(p + 12, name, namesz);
	memcpy(p + 12 + div_up(namesz, 4) * 4, desc, descsz);
	return 12 + div_up(namesz, 4) * 4;
}

/* The source's notes, as it has them, plus VMCOREINFO as a note when the
 * source has none and it was found in memory. */
static struct vmc_error *make_notes(struct kw *w)
{
	struct vmcore *vc = w->vc;
	uint64_t vi_paddr = 0;
	const char *vi = vmcore_vmcoreinfo_text(vc, &vi_paddr);
	size_t len = 0, off = 0;

	for (size_t i = 0; i < vc->nnotes; i++)
		len += note_size(vc->notes[i].name, vc->notes[i].descsz);
	if (vi && vi_paddr)
		len += note_size("VMCOREINFO", strlen(vi));
	if (!(w->notes = calloc(1, len + 1)))
		return &vmc_enomem;
	for (size_t i = 0; i < vc->nnotes; i++) {
		const struct vmc_note *n = &vc->notes[i];
		size_t d = put_note(w->notes + off, n->name, n->type, n->desc,
				    n->descsz);

		if (strcmp(n->name, "VMCOREINFO") == 0 && !w->vmcoreinfo_len) {
			w->vmcoreinfo_off = off + d;
			w->vmcoreinfo_len = n->descsz;
		}
		if (strcmp(n->name, "CORE") == 0 && n->type == NT_PRSTATUS)
			w->nr_cpus++;
		off += note_size(n->name, n->descsz);
	}
	if (vi && vi_paddr) {
		w->vmcoreinfo_off = off + put_note(w->notes + off, "VMCOREINFO",
						   0, vi, strlen(vi));
		w->vmcoreinfo_len = strlen(vi);
		off += note_size("VMCOREINFO", strlen(vi));
	}
	w->notes_len = off;
	return NULL;
}

static void uts_field(uint8_t *dst, const char *src)
{
	memcpy(dst, src, strnlen(src, UTS_LEN - 1));
}

/* new_utsname as the kernel had it; without init_uts_ns, what
 * VMCOREINFO and the architecture say. */
static void put_utsname(struct vmcore *vc, uint8_t *p)
{
	struct vmc_utsname u;
	struct vmc_error *err = vmcore_utsname(vc, &u);
	const char *rel = vmcore_vmcoreinfo(vc, "OSRELEASE");

	if (err) {
		vmc_error_destroy(err);
		memset(&u, 0, sizeof(u));
		strcpy(u.sysname, "Linux");
		if (rel)
			snprintf(u.release, sizeof(u.release), "%s", rel);
		snprintf(u.machine, sizeof(u.machine), "%s",
			 vmcore_arch(vc)->name);
	}
	uts_field(p, u.sysname);
	uts_field(p + UTS_LEN, u.nodename);
	uts_field(p + 2 * UTS_LEN, u.release);
	uts_field(p + 3 * UTS_LEN, u.version);
	uts_field(p + 4 * UTS_LEN, u.machine);
	uts_field(p + 5 * UTS_LEN, u.domainname);
}

/* FINAL: the pages are all written (else flagged incomplete). */
static struct vmc_error *write_main_header(struct kw *w, bool final)
{
	uint8_t h[HDR64_SIZE] = { 0 };
	unsigned ts = w->hdr32 ? 404 : 408, tl = w->hdr32 ? 4 : 8;
	unsigned f = ts + 2 * tl;	/* status */
	int64_t crashtime = 0;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(w->vc, "CRASHTIME",
						      &crashtime);

	vmc_error_destroy(err);
	memcpy(h, "KDUMP   ", 8);
	put_le(h + 8, HEADER_VERSION, 4);
	put_utsname(w->vc, h + 12);
	put_le(h + ts, (uint64_t)crashtime, tl);	/* tv_usec 0 */
	put_le(h + f, compressors[w->o->compress].flag |
		      (w->st.missing || !final ? DH_INCOMPLETE : 0), 4);
	put_le(h + f + 4, w->bs, 4);
	put_le(h + f + 8, w->sub_blocks, 4);
	put_le(h + f + 12, 2 * w->bitmap_half / w->bs, 4);
	put_le(h + f + 16, w->max_mapnr > UINT32_MAX ? UINT32_MAX
						      : w->max_mapnr, 4);
	/* total_ram_blocks, device_blocks, written_blocks, current_cpu 0 */
	put_le(h + f + 36, w->nr_cpus, 4);
	return put(w, 0, h, w->hdr32 ? HDR32_SIZE : HDR64_SIZE);
}

/* kdump_sub_header and the notes after it. */
static struct vmc_error *write_sub_header(struct kw *w)
{
	uint8_t s[SUB64_SIZE] = { 0 };
	uint64_t note_off = (uint64_t)w->bs + (w->hdr32 ? SUB32_SIZE
							: SUB64_SIZE);
	uint64_t phys_base = 0;
	/* The source's own dump level still holds for what it excluded. */
	int level = (w->o->filter ? w->o->filter->dump_level : 0) |
		    (vmcore_dump_level(w->vc) > 0 ? vmcore_dump_level(w->vc)
						  : 0);
	struct vmc_error *err = vmcore_phys_base(w->vc, &phys_base);

	vmc_error_destroy(err);
	/* unsigned long is 4 or 8 bytes; off_t and u64 are 8, 4-aligned on
	 * ILP32.  split, start_pfn, end_pfn (and their _64 twins) and the
	 * erase info stay 0. */
	if (w->hdr32) {
		put_le(s + 0, phys_base, 4);
		put_le(s + 4, (uint64_t)level, 4);
		put_le(s + 20, note_off + w->vmcoreinfo_off, 8);
		put_le(s + 28, w->vmcoreinfo_len, 4);
		put_le(s + 32, note_off, 8);
		put_le(s + 40, w->notes_len, 4);
		put_le(s + 72, w->max_mapnr, 8);
	} else {
		put_le(s + 0, phys_base, 8);
		put_le(s + 8, (uint64_t)level, 4);
		put_le(s + 32, note_off + w->vmcoreinfo_off, 8);
		put_le(s + 40, w->vmcoreinfo_len, 8);
		put_le(s + 48, note_off, 8);
		put_le(s + 56, w->notes_len, 8);
		put_le(s + 96, w->max_mapnr, 8);
	}
	if (!w->vmcoreinfo_len) {	/* no VMCOREINFO: offset 0 too */
		put_le(s + (w->hdr32 ? 20 : 32), 0, 8);
	}
	if ((err = put(w, w->bs, s, w->hdr32 ? SUB32_SIZE : SUB64_SIZE)))
		return err;
	return put(w, note_off, w->notes, w->notes_len);
}

static struct vmc_error *write_flat_header(struct kw *w)
{
	uint8_t h[FLAT_HEADER_SIZE] = { 0 };

	memcpy(h, "makedumpfile", 12);	/* NUL-padded to 16 */
	put_be64(h + 16, 1);		/* type: flattened */
	put_be64(h + 24, 1);		/* version */
	return write_all(w, h, sizeof(h));
}

/* ---- pages ------------------------------------------------------------- */

/* The parts of page PFN that ranges hold, zeros elsewhere (a page at the
 * edge of a range); false when a part cannot be read. */
static bool read_edge_page(struct kw *w, uint64_t pfn)
{
	uint64_t lo = pfn * w->bs, hi = lo + w->bs;
	struct vmcore *vc = w->vc;

	memset(w->page, 0, w->bs);
	for (size_t i = 0; i < vc->npranges; i++) {
		const struct vmc_prange *r = &vc->pranges[i];
		uint64_t a = lo > r->paddr ? lo : r->paddr;
		uint64_t b = hi < r->paddr + r->size ? hi : r->paddr + r->size;
		struct vmc_error *err;

		if (a >= b)
			continue;
		err = vmcore_read_phys(vc, a, w->page + (a - lo), b - a, NULL);
		if (err) {
			vmc_error_destroy(err);
			return false;
		}
	}
	return true;
}

/* Page PFN into w->page: true, false when the source cannot give it
 * (data missing or corrupt), or an error that stops the write. */
static struct vmc_error *read_page(struct kw *w, uint64_t pfn, bool *ok)
{
	struct vmc_error *err = vmcore_read_phys(w->vc, pfn * w->bs, w->page,
						 w->bs, NULL);

	*ok = !err;
	if (!err)
		return NULL;
	if (err->code != VMC_ERR_FAULT && err->code != VMC_ERR_EXCLUDED &&
	    err->code != VMC_ERR_FORMAT)
		return err;
	vmc_error_destroy(err);
	*ok = read_edge_page(w, pfn);
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 64) {
		uint64_t v[8], acc = 0;

		memcpy(v, p + i, sizeof(v));
		for (unsigned k = 0; k < 8; k++)
			acc |= v[k];
		if (acc)
			return false;
	}
	return true;
}

static struct vmc_error *write_page(struct kw *w)
{
	size_t n;
	struct vmc_error *err;

	if (all_zero(w->page, w->bs)) {
		w->st.zero++;
		return add_desc(w, w->zero_off, w->bs, 0);
	}
	n = compress_page(&w->c, w->page, w->bs);
	if (!n) {
		w->st.raw++;
		if ((err = add_desc(w, w->data_pos + w->ndata, w->bs, 0)))
			return err;
		return add_data(w, w->page, w->bs);
	}
	/* add_desc() may flush the data buffer: the offset is taken
	 * before, and stays right (flushing moves data_pos by ndata). */
	if ((err = add_desc(w, w->data_pos + w->ndata, (uint32_t)n,
			    w->c.flag)))
		return err;
	return add_data(w, w->c.buf, n);
}

static struct vmc_error *write_pages(struct kw *w, uint64_t total)
{
	const struct vmc_kdump_opts *o = w->o;
	uint64_t done = 0;
	struct vmc_error *err = NULL;

	w->desc_pos = w->desc_off;
	w->data_pos = w->data_off;
	w->zero_off = w->data_off;
	memset(w->page, 0, w->bs);
	if ((err = add_data(w, w->page, w->bs)))
		return err;
	for (uint64_t pfn = 0; !err && pfn < w->max_mapnr; pfn++) {
		bool ok;

		if (!test_bit(w->bm2, pfn))
			continue;
		if ((err = read_page(w, pfn, &ok)))
			break;
		if (ok) {
			err = write_page(w);
		} else {
			w->st.missing++;
			err = add_desc(w, 0, 0, 0);
		}
		if (o->progress && ++done % PROGRESS_EVERY == 0)
			o->progress(o->progress_arg, done * w->bs,
				    total * w->bs);
	}
	if (!err)
		err = flush_desc(w);
	if (!err)
		err = flush_data(w);
	if (!err && o->progress)
		o->progress(o->progress_arg, total * w->bs, total * w->bs);
	return err;
}

/* ---- the whole file ---------------------------------------------------- */

static struct vmc_error *plan(struct kw *w)
{
	struct vmcore *vc = w->vc;
	const struct arch *a = vmcore_arch(vc);
	int64_t ps = 0;
	uint64_t end = 0, ndumped;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(vc, "PAGESIZE", &ps);

	vmc_error_destroy(err);
	w->bs = ps >= 1024 && ps <= (1 << 18) && !(ps & (ps - 1))
		? (uint32_t)ps : 4096;
	if (a->big_endian)
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"writing a kdump-compressed file of a big-endian "
			"machine (%s) is not supported", a->name);
	w->hdr32 = a->word_size == 4;
	for (size_t i = 0; i < vc->npranges; i++)
		if (vc->pranges[i].paddr + vc->pranges[i].size > end)
			end = vc->pranges[i].paddr + vc->pranges[i].size;
	w->max_mapnr = div_up(end, w->bs);
	if (w->max_mapnr > MAX_MAPNR)
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"the dump describes physical memory up to 0x%" PRIx64
			": its bitmaps would need %" PRIu64 " GiB each; its "
			"segments look corrupt", end,
			div_up(w->max_mapnr, 8) >> 30);
	w->bitmap_bytes = div_up(w->max_mapnr, 8);
	w->bitmap_half = div_up(w->bitmap_bytes ? w->bitmap_bytes : 1, w->bs) *
			 w->bs;
	w->bm1 = calloc(1, w->bitmap_half);
	w->bm2 = calloc(1, w->bitmap_half);
	w->desc = malloc((size_t)DESC_BUF * DESC_SIZE);
	w->data = malloc(DATA_BUF);
	w->page = malloc(w->bs);
	if (!w->bm1 || !w->bm2 || !w->desc || !w->data || !w->page)
		return &vmc_enomem;
	if ((err = source_bitmaps(w)) || (err = apply_filter(w)) ||
	    (err = make_notes(w)) ||
	    (err = compressor_init(&w->c, compressors[w->o->compress].flag,
				   w->bs)))
		return err;
	ndumped = popcount(w->bm2, w->bitmap_bytes);
	w->sub_blocks = div_up((w->hdr32 ? SUB32_SIZE : SUB64_SIZE) +
			       w->notes_len, w->bs);
	w->bitmap1_off = (1 + w->sub_blocks) * w->bs;
	w->desc_off = w->bitmap1_off + 2 * w->bitmap_half;
	w->data_off = w->desc_off + ndumped * DESC_SIZE;
	w->st.max_mapnr = w->max_mapnr;
	return NULL;
}

/*
 * The headers and bitmaps first, the dump header flagged incomplete; the
 * pages; the dump header again, final.  The 2nd bitmap does not change
 * while the pages are written, so an output cut short (a full disk) is
 * already a readable incomplete dump, as makedumpfile leaves one.
 */
static struct vmc_error *write_file(struct kw *w)
{
	uint64_t total = popcount(w->bm2, w->bitmap_bytes);
	struct vmc_error *err;

	/* Only the bytes that hold bits; the rest of each half is zeros
	 * (a hole), as makedumpfile writes them. */
	if ((w->o->flat && (err = write_flat_header(w))) ||
	    (err = write_sub_header(w)) ||
	    (err = put(w, w->bitmap1_off, w->bm1, w->bitmap_bytes)) ||
	    (err = put(w, w->bitmap1_off + w->bitmap_half, w->bm2,
		       w->bitmap_bytes)) ||
	    (err = write_main_header(w, false)) ||
	    (err = write_pages(w, total)) ||
	    (err = write_main_header(w, true)))
		return err;
	w->st.dumped = total;
	w->st.bytes = w->data_pos;
	if (!w->o->flat)
		w->st.stream_bytes = w->data_pos;
	if (w->o->flat) {
		uint8_t fin[16];

		memset(fin, 0xff, sizeof(fin));	/* offset -1, size -1 */
		return write_all(w, fin, sizeof(fin));
	}
	if (ftruncate(w->fd, (off_t)w->data_pos) < 0)
		return vmc_error_errno(errno, "setting the size to %" PRIu64,
				       w->data_pos);
	return NULL;
}

struct vmc_error *vmcore_write_kdump(struct vmcore *vc, int fd,
				     const struct vmc_kdump_opts *o,
				     struct vmc_kdump_stats *stats)
{
	struct kw w = { .vc = vc, .o = o, .fd = fd };
	struct vmc_error *err;

	if ((unsigned)o->compress >= sizeof(compressors) / sizeof(compressors[0]))
		return vmc_error_create(VMC_ERR_INVALID,
					"unknown compression %d", o->compress);
	err = plan(&w);
	if (!err)
		err = write_file(&w);
	if (stats)
		*stats = w.st;
	compressor_fini(&w.c);
	free(w.bm1);
	free(w.bm2);
	free(w.notes);
	free(w.desc);
	free(w.data);
	free(w.page);
	return err;
}
