/* SPDX-License-Identifier: MIT */
/*
 * Dump-level page filtering from the dumped kernel's struct pages
 * (dumplevel.h).  The rules are makedumpfile's (makedumpfile.c,
 * __exclude_unnecessary_pages(), 1.7.6), written from the kernel's own
 * definitions:
 *
 *  - a compound tail page (compound_head bit 0 set, include/linux/
 *    page-flags.h) is never judged on its own: its head decides for the
 *    whole compound page (1 << order pages);
 *  - a free page is a buddy head (PageBuddy: the page type in _mapcount
 *    is PAGE_BUDDY_MAPCOUNT_VALUE) covering 1 << page.private pages
 *    (set_buddy_order(), mm/page_alloc.c);
 *  - page cache is an LRU page, or a swap-cache page, whose mapping is
 *    not anonymous (PAGE_MAPPING_ANON, bit 0 of page.mapping, on a page
 *    that is not a slab page: slab reuses that word since Linux 6.2);
 *    "private" is PG_private (buffer heads and the like);
 *  - a user page is an anonymous page or a hugetlbfs page;
 *  - hardware-poisoned (PG_hwpoison) and offline (PageOffline) pages are
 *    left out too, at any level, when the struct pages are read at all.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "../libvmcore/vmcore.h"
#include "dumplevel.h"

/* No real page has 2^24 references (pins count 1024 each, and a
 * page's pins are bounded far below that): a struct page claiming as
 * many is not a struct page (a mem_map that points elsewhere), and is
 * kept.  Random bytes pass this 1 time in 256. */
#define MAX_REFCOUNT (UINT32_C(1) << 24)
/* Struct pages read at once: a power of two, so a compound head (aligned
 * to its order) is never the last page of a chunk. */
#define CHUNK_PAGES 512
/* Bounds that no kernel reaches: beyond them a VMCOREINFO value lies. */
#define MAX_PAGE_STRUCT 512
#define MAX_SECTION_STRUCT 4096
/* A compound page of more than 2^20 pages (4 GiB of 4 KiB pages; the
 * largest hugetlb page is order 18, 1 GiB on x86_64 or 16 GiB of 64 KiB
 * pages on arm64) is a corrupt struct page. */
#define MAX_COMPOUND_ORDER 20
/* Free blocks, when VMCOREINFO has no LENGTH(zone.free_area). */
#define DEFAULT_MAX_ORDER 11
/* Low bits of mem_section.section_mem_map that are flags, not address:
 * SECTION_MARKED_PRESENT, SECTION_HAS_MEM_MAP, ... up to
 * SECTION_MAP_LAST_BIT, at most 6 in Linux 5.10 to 6.12
 * (include/linux/mmzone.h); the mem_map is aligned far beyond that. */
#define SECTION_FLAG_BITS 6
#define SECTION_MARKED_PRESENT 1
#define SECTION_HAS_MEM_MAP 2
#define MAX_WARNINGS 32

enum model { MODEL_NONE, MODEL_FLAT, MODEL_SPARSE, MODEL_SPARSE_EX };

/* What VMCOREINFO says about struct page; -1 offsets/bits: unknown. */
struct page_layout {
	unsigned word;			/* bytes in unsigned long */
	bool big_endian;
	uint64_t size;			/* SIZE(page) */
	int64_t flags, refcount, mapping, mapcount, private, head;
	int64_t order, dtor;		/* in the first tail page */
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab;
	int pg_hwpoison, pg_hugetlb;
	uint64_t head_mask;		/* NUMBER(PG_head_mask), 0: unknown */
	bool have_buddy, have_offline, have_slab_type, have_hugetlb_type;
	uint32_t buddy_type, offline_type, slab_type, hugetlb_type;
	bool have_hugetlb_dtor;
	uint64_t hugetlb_dtor;
	uint64_t max_order;		/* LENGTH(zone.free_area) */
};

/* Where struct pages live (mem_section, or FLATMEM's mem_map). */
struct mem_model {
	enum model model;
	uint64_t mem_section;		/* SYMBOL(mem_section) */
	uint64_t sec_size, sec_map_off;	/* SIZE, OFFSET(.section_mem_map) */
	unsigned pfn_section_shift;
	uint64_t nr_sections, per_root, nr_roots;
	uint64_t flat_mem_map, flat_end;
	/* The last section looked up. */
	uint64_t cached_nr;
	bool cached_valid, cached_have;
	uint64_t cached_map;		/* vaddr of its first struct page */
};

struct span {
	bool have;			/* struct pages exist */
	uint64_t first, end;		/* pfns of the span */
	uint64_t map;			/* vaddr of the struct page of FIRST */
};

struct dumplevel {
	struct vmcore *vc;
	int level;
	bool active;			/* any struct page to read at all */
	unsigned page_shift;
	struct page_layout pl;
	struct mem_model mm;
	/* An exclusion running past the last window's end. */
	uint64_t pend_start, pend_end;
	uint64_t *pend_counter;
	uint64_t last_end;		/* windows come in order */
	uint8_t *chunk;			/* CHUNK_PAGES struct pages */
	uint8_t *one;			/* one struct page */
	struct dumplevel_stats st;
	char *warnings[MAX_WARNINGS];
	size_t nwarnings;
	unsigned warned;		/* bit per enum doubt */
};

enum doubt {
	D_SECTION, D_MEMMAP, D_ORDER, D_ALIGN, D_REFCOUNT, D_COMPOUND,
	D_TAIL, D_WINDOW, D_GARBAGE,
};

static void warn(struct dumplevel *dl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct dumplevel *dl, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (dl->nwarnings >= MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		dl->warnings[dl->nwarnings++] = s;
	va_end(ap);
}

/* The first doubt of each kind is described; later ones only counted. */
static bool first_doubt(struct dumplevel *dl, enum doubt d)
{
	bool first = !(dl->warned & (1u << d));

	dl->warned |= 1u << d;
	return first;
}

/* ---- VMCOREINFO -------------------------------------------------------- */

/* A decimal VMCOREINFO value in [MIN, MAX], else -1 (and a warning when
 * present but out of range: a lying VMCOREINFO). */
static int64_t vi_dec(struct dumplevel *dl, const char *key, int64_t min,
		      int64_t max)
{
	int64_t v;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(dl->vc, key, &v);

	if (err) {
		if (err->code != VMC_ERR_NOT_FOUND)
			warn(dl, "VMCOREINFO %s: %s; not used", key,
			     err->message);
		vmc_error_destroy(err);
		return -1;
	}
	if (v < min || v > max) {
		warn(dl, "VMCOREINFO %s=%" PRId64 " is out of range "
		     "[%" PRId64 ", %" PRId64 "]; not used", key, v, min, max);
		return -1;
	}
	return v;
}

/* A page type value (NUMBER(PAGE_*_MAPCOUNT_VALUE)), printed signed or
 * unsigned depending on the kernel: any 32-bit pattern. */
static bool vi_type(struct dumplevel *dl, const char *key, uint32_t *ret)
{
	int64_t v;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(dl->vc, key, &v);

	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	if (v < INT32_MIN || v > (int64_t)UINT32_MAX) {
		warn(dl, "VMCOREINFO %s=%" PRId64 " is not a 32-bit page type; "
		     "not used", key, v);
		return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* OFFSET(page.X) that fits WIDTH bytes inside struct page, else -1. */
static int64_t vi_page_off(struct dumplevel *dl, const char *key,
			   unsigned width)
{
	return vi_dec(dl, key, 0, (int64_t)dl->pl.size - width);
}

static void read_page_numbers(struct dumplevel *dl)
{
	struct page_layout *pl = &dl->pl;
	int bits = (int)pl->word * 8 - 1;
	int64_t v;

	pl->pg_lru = (int)vi_dec(dl, "NUMBER(PG_lru)", 0, bits);
	pl->pg_private = (int)vi_dec(dl, "NUMBER(PG_private)", 0, bits);
	pl->pg_swapcache = (int)vi_dec(dl, "NUMBER(PG_swapcache)", 0, bits);
	pl->pg_swapbacked = (int)vi_dec(dl, "NUMBER(PG_swapbacked)", 0, bits);
	pl->pg_slab = (int)vi_dec(dl, "NUMBER(PG_slab)", 0, bits);
	pl->pg_hwpoison = (int)vi_dec(dl, "NUMBER(PG_hwpoison)", 0, bits);
	pl->pg_hugetlb = (int)vi_dec(dl, "NUMBER(PG_hugetlb)", 0, bits);
	v = vi_dec(dl, "NUMBER(PG_head_mask)", 1, INT64_MAX);
	/* One bit of the flags word. */
	if (v > 0 && !(v & (v - 1)) && (pl->word == 8 || v <= UINT32_MAX))
		pl->head_mask = (uint64_t)v;
	else if (v > 0)
		warn(dl, "VMCOREINFO NUMBER(PG_head_mask)=%" PRId64 " is not "
		     "one bit of page.flags; compound pages kept whole", v);
	pl->have_buddy = vi_type(dl, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)",
				 &pl->buddy_type);
	pl->have_offline = vi_type(dl, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)",
				   &pl->offline_type);
	pl->have_slab_type = vi_type(dl, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)",
				     &pl->slab_type);
	pl->have_hugetlb_type = vi_type(dl,
		"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)", &pl->hugetlb_type);
	v = vi_dec(dl, "NUMBER(HUGETLB_PAGE_DTOR)", 0, 255);
	pl->have_hugetlb_dtor = v >= 0;
	pl->hugetlb_dtor = (uint64_t)v;
	v = vi_dec(dl, "LENGTH(zone.free_area)", 1, 32);
	pl->max_order = v > 0 ? (uint64_t)v : DEFAULT_MAX_ORDER;
}

/*
 * Where the compound order and destructor are, in the first tail page:
 * page.compound_order/_dtor (up to 6.2), folio._folio_order/_dtor (6.3
 * to 6.5, offsets in the folio, whose second struct page is the first
 * tail).  From 6.6 the order is the low byte of the tail's flags (read
 * in compound_info()).
 */
static void read_compound_offsets(struct dumplevel *dl)
{
	struct page_layout *pl = &dl->pl;
	int64_t size = (int64_t)pl->size;
	int64_t v;

	pl->order = vi_page_off(dl, "OFFSET(page.compound_order)", 1);
	pl->dtor = vi_page_off(dl, "OFFSET(page.compound_dtor)", 1);
	v = vi_dec(dl, "OFFSET(folio._folio_order)", size, 2 * size - 1);
	if (v >= 0)
		pl->order = v - size;
	v = vi_dec(dl, "OFFSET(folio._folio_dtor)", size, 2 * size - 1);
	if (v >= 0)
		pl->dtor = v - size;
}

static bool read_page_layout(struct dumplevel *dl)
{
	struct page_layout *pl = &dl->pl;
	unsigned w = pl->word;
	int64_t size = vi_dec(dl, "SIZE(page)", 4 * w, MAX_PAGE_STRUCT);

	if (size < 0) {
		warn(dl, "VMCOREINFO has no usable SIZE(page): every page kept");
		return false;
	}
	pl->size = (uint64_t)size;
	pl->flags = vi_page_off(dl, "OFFSET(page.flags)", w);
	pl->mapping = vi_page_off(dl, "OFFSET(page.mapping)", w);
	pl->refcount = vi_page_off(dl, "OFFSET(page._refcount)", 4);
	pl->mapcount = vi_page_off(dl, "OFFSET(page._mapcount)", 4);
	pl->private = vi_page_off(dl, "OFFSET(page.private)", w);
	pl->head = vi_page_off(dl, "OFFSET(page.compound_head)", w);
	if (pl->flags < 0 || pl->mapping < 0) {
		warn(dl, "VMCOREINFO has no usable OFFSET(page.flags) or "
		     "OFFSET(page.mapping): every page kept");
		return false;
	}
	read_page_numbers(dl);
	read_compound_offsets(dl);
	if ((dl->level & DL_FREE) && !(pl->have_buddy && pl->private >= 0 &&
				       pl->mapcount >= 0 && pl->refcount >= 0))
		warn(dl, "VMCOREINFO lacks PAGE_BUDDY_MAPCOUNT_VALUE or "
		     "OFFSET(page.private/_mapcount/_refcount): free pages kept");
	if ((dl->level & (DL_CACHE | DL_CACHE_PRI)) && pl->pg_lru < 0)
		warn(dl, "VMCOREINFO lacks NUMBER(PG_lru): page cache on the "
		     "LRU lists kept");
	return true;
}

/* ---- memory model ---------------------------------------------------- */

static bool read_sparse(struct dumplevel *dl)
{
	struct mem_model *mm = &dl->mm;
	int64_t ssb = vi_dec(dl, "NUMBER(SECTION_SIZE_BITS)",
			     dl->page_shift, 40);
	int64_t mpb = vi_dec(dl, "NUMBER(MAX_PHYSMEM_BITS)", 1, 64);
	int64_t size = vi_dec(dl, "SIZE(mem_section)", dl->pl.word,
			      MAX_SECTION_STRUCT);
	int64_t off, len;

	if (ssb < 0 || mpb < ssb || mpb - ssb > 40 || size < 0) {
		warn(dl, "VMCOREINFO SECTION_SIZE_BITS, MAX_PHYSMEM_BITS or "
		     "SIZE(mem_section) missing or impossible: every page kept");
		return false;
	}
	off = vi_dec(dl, "OFFSET(mem_section.section_mem_map)", 0,
		     size - dl->pl.word);
	if (off < 0) {
		warn(dl, "VMCOREINFO has no usable OFFSET(mem_section."
		     "section_mem_map): every page kept");
		return false;
	}
	mm->sec_size = (uint64_t)size;
	mm->sec_map_off = (uint64_t)off;
	mm->pfn_section_shift = (unsigned)ssb - dl->page_shift;
	mm->nr_sections = UINT64_C(1) << (mpb - ssb);
	/* SPARSEMEM_EXTREME: roots of PAGE_SIZE / sizeof(struct
	 * mem_section) sections; plain SPARSEMEM: one section per root. */
	mm->per_root = ((uint64_t)1 << dl->page_shift) / mm->sec_size;
	mm->nr_roots = (mm->nr_sections + mm->per_root - 1) / mm->per_root;
	len = vi_dec(dl, "LENGTH(mem_section)", 1, INT64_MAX);
	if (len < 0 || (uint64_t)len == mm->nr_roots) {
		mm->model = MODEL_SPARSE_EX;
	} else if ((uint64_t)len == mm->nr_sections) {
		mm->model = MODEL_SPARSE;
		mm->per_root = 1;
		mm->nr_roots = mm->nr_sections;
	} else {
		warn(dl, "VMCOREINFO LENGTH(mem_section)=%" PRId64 " fits "
		     "neither SPARSEMEM (%" PRIu64 ") nor SPARSEMEM_EXTREME "
		     "(%" PRIu64 "): every page kept", len, mm->nr_sections,
		     mm->nr_roots);
		return false;
	}
	return true;
}

/* FLATMEM's mem_map has one struct page per pfn up to the end of node
 * 0 (contig_page_data): past it lies other memory, not struct pages. */
static void flat_bound(struct dumplevel *dl)
{
	uint64_t pgdat, start, spanned;
	int64_t o_start, o_spanned;
	struct vmc_error *err;

	err = vmcore_vmcoreinfo_hex(dl->vc, "SYMBOL(contig_page_data)", &pgdat);
	vmc_error_destroy(err);
	o_start = vi_dec(dl, "OFFSET(pglist_data.node_start_pfn)", 0, 1 << 20);
	o_spanned = vi_dec(dl, "OFFSET(pglist_data.node_spanned_pages)", 0,
			   1 << 20);
	if (err || o_start < 0 || o_spanned < 0)
		return;
	if ((err = vmcore_read_uint(dl->vc, pgdat + (uint64_t)o_start,
				    dl->pl.word, &start)) ||
	    (err = vmcore_read_uint(dl->vc, pgdat + (uint64_t)o_spanned,
				    dl->pl.word, &spanned))) {
		warn(dl, "FLATMEM: node 0's extent unreadable (%s): pfns past "
		     "the dump's RAM not bounded", err->message);
		vmc_error_destroy(err);
		return;
	}
	dl->mm.flat_end = start + spanned;
}

static bool read_flat(struct dumplevel *dl, uint64_t sym)
{
	uint64_t map = 0;
	struct vmc_error *err = vmcore_read_uint(dl->vc, sym, dl->pl.word,
						 &map);

	if (err || !map) {
		warn(dl, "FLATMEM: mem_map (at 0x%" PRIx64 ") %s: every page "
		     "kept", sym, err ? err->message : "is NULL");
		vmc_error_destroy(err);
		return false;
	}
	dl->mm.model = MODEL_FLAT;
	dl->mm.flat_mem_map = map;
	dl->mm.flat_end = UINT64_MAX;
	flat_bound(dl);
	return true;
}

static bool read_model(struct dumplevel *dl)
{
	uint64_t sym;
	struct vmc_error *err;

	err = vmcore_vmcoreinfo_hex(dl->vc, "SYMBOL(mem_section)", &sym);
	if (!err) {
		dl->mm.mem_section = sym;
		return read_sparse(dl);
	}
	vmc_error_destroy(err);
	err = vmcore_vmcoreinfo_hex(dl->vc, "SYMBOL(mem_map)", &sym);
	if (!err)
		return read_flat(dl, sym);
	vmc_error_destroy(err);
	warn(dl, "VMCOREINFO names neither mem_section nor mem_map: no "
	     "struct pages, every page kept");
	return false;
}

/* The mem_map of section NR, or false (absent, unreadable). */
static bool section_map(struct dumplevel *dl, uint64_t nr, uint64_t *map)
{
	struct mem_model *mm = &dl->mm;
	unsigned w = dl->pl.word;
	uint64_t addr, root = 0, coded, wmask;
	struct vmc_error *err = NULL;

	if (nr >= mm->nr_sections)
		return false;
	if (mm->model == MODEL_SPARSE_EX) {
		err = vmcore_read_uint(dl->vc, mm->mem_section +
				       nr / mm->per_root * w, w, &root);
		if (err || !root)
			goto out;
		addr = root + nr % mm->per_root * mm->sec_size;
	} else {
		addr = mm->mem_section + nr * mm->sec_size;
	}
	err = vmcore_read_uint(dl->vc, addr + mm->sec_map_off, w, &coded);
	if (err)
		goto out;
	if ((coded & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
	    (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
		return false;
	/* sparse_encode_mem_map(): mem_map minus the section's first pfn
	 * times sizeof(struct page), modulo the word. */
	wmask = w == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
	*map = ((coded & ~((UINT64_C(1) << SECTION_FLAG_BITS) - 1)) +
		(nr << mm->pfn_section_shift) * dl->pl.size) & wmask;
	return true;
out:
	if (err) {
		if (first_doubt(dl, D_SECTION))
			warn(dl, "mem_section of section %" PRIu64 " unreadable "
			     "(%s): its pages kept", nr, err->message);
		vmc_error_destroy(err);
	}
	return false;
}

static void memmap_span(struct dumplevel *dl, uint64_t pfn, struct span *s)
{
	struct mem_model *mm = &dl->mm;
	uint64_t nr;

	if (mm->model == MODEL_FLAT) {
		s->have = pfn < mm->flat_end;
		s->first = s->have ? 0 : mm->flat_end;
		s->end = s->have ? mm->flat_end : UINT64_MAX;
		s->map = mm->flat_mem_map;
		return;
	}
	nr = pfn >> mm->pfn_section_shift;
	if (!mm->cached_valid || mm->cached_nr != nr) {
		mm->cached_valid = true;
		mm->cached_nr = nr;
		mm->cached_have = section_map(dl, nr, &mm->cached_map);
	}
	s->have = mm->cached_have;
	s->first = nr << mm->pfn_section_shift;
	s->end = (nr + 1) << mm->pfn_section_shift;
	s->map = mm->cached_map;
}

/* ---- create ---------------------------------------------------------- */

static bool setup(struct dumplevel *dl)
{
	const struct arch *a = vmcore_arch(dl->vc);
	int64_t ps = vi_dec(dl, "PAGESIZE", 1024, INT64_C(1) << 18);

	if (!a) {
		warn(dl, "unknown architecture: every page kept");
		return false;
	}
	if (!vmcore_vmcoreinfo_text(dl->vc, NULL)) {
		warn(dl, "the dump has no VMCOREINFO (a QEMU dump of a guest "
		     "without kdump set up?): no struct pages to judge by, "
		     "every page kept");
		return false;
	}
	/* The writer numbers pages the same way (write_kdump.c: PAGESIZE,
	 * 1 KiB to 256 KiB); x86 pages are 4 KiB, arm64's 4, 16 or 64 KiB:
	 * any other size is a lie that would misplace every struct page. */
	if (ps < 4096 || ps > 65536 || (ps & (ps - 1)) ||
	    ((!strcmp(a->name, "x86_64") || !strcmp(a->name, "i386")) &&
	     ps != 4096) ||
	    (!strcmp(a->name, "aarch64") && (ps == 8192 || ps == 32768))) {
		warn(dl, "VMCOREINFO has no usable PAGESIZE (%" PRId64 " for "
		     "%s): every page kept", ps, a->name);
		return false;
	}
	dl->page_shift = (unsigned)__builtin_ctzll((uint64_t)ps);
	dl->pl.word = a->word_size;
	dl->pl.big_endian = a->big_endian;
	if (dl->pl.word != 4 && dl->pl.word != 8)
		return false;
	if (!read_page_layout(dl) || !read_model(dl))
		return false;
	/* makedumpfile reads struct pages for these levels, and always when
	 * the kernel can poison pages (create_2nd_bitmap()). */
	return (dl->level & (DL_CACHE | DL_CACHE_PRI | DL_USER | DL_FREE)) ||
	       dl->pl.pg_hwpoison >= 0;
}

struct vmc_error *dumplevel_create(struct vmcore *vc, int level,
				   struct dumplevel **ret)
{
	struct dumplevel *dl;

	if (level < 0 || level > DL_MAX)
		return vmc_error_create(VMC_ERR_INVALID, "dump level %d: must "
					"be 0 to %d (makedumpfile's -d)",
					level, DL_MAX);
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return &vmc_enomem;
	dl->vc = vc;
	dl->level = level;
	dl->active = setup(dl);
	if (dl->active) {
		dl->chunk = malloc(CHUNK_PAGES * dl->pl.size);
		dl->one = malloc(2 * dl->pl.size);
		if (!dl->chunk || !dl->one) {
			dumplevel_destroy(dl);
			return &vmc_enomem;
		}
	}
	*ret = dl;
	return NULL;
}

void dumplevel_destroy(struct dumplevel *dl)
{
	if (!dl)
		return;
	for (size_t i = 0; i < dl->nwarnings; i++)
		free(dl->warnings[i]);
	free(dl->chunk);
	free(dl->one);
	free(dl);
}

static struct vmc_error *hook_window(void *ctx, struct vmcore *vc,
				     uint64_t start_pfn, uint64_t npfns,
				     uint8_t *bitmap)
{
	(void)vc;
	return dumplevel_window(ctx, start_pfn, npfns, bitmap);
}

void dumplevel_hook(struct dumplevel *dl, struct vmc_page_filter *ret)
{
	ret->keep_window = hook_window;
	ret->ctx = dl;
	ret->dump_level = dl->level;
}

/* ---- one struct page ------------------------------------------------- */

static uint64_t get(const struct dumplevel *dl, const uint8_t *p,
		    unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++) {
		unsigned b = dl->pl.big_endian ? i : width - 1 - i;

		v = v << 8 | p[b];
	}
	return v;
}

static uint64_t field(const struct dumplevel *dl, const uint8_t *pg,
		      int64_t off, unsigned width)
{
	return off < 0 ? 0 : get(dl, pg + off, width);
}

static bool bit(uint64_t flags, int nr)
{
	return nr >= 0 && (flags >> nr & 1);
}

/*
 * Is the page type (the _mapcount word) TYPE?  Up to Linux 6.11 a type
 * is one cleared bit in an otherwise all-ones high word (PAGE_TYPE_BASE,
 * include/linux/page-flags.h) and VMCOREINFO gives the exact value
 * (~PG_buddy...); from 6.12 the type is the top byte (PGTY_buddy << 24)
 * and the low 24 bits belong to the type's owner.
 */
static bool type_is(uint32_t pt, uint32_t type)
{
	if (!(type & 0x00ffffff))
		return pt >> 24 == type >> 24;
	return pt == type;
}

/* A looser test, for slab (where calling it slab keeps pages): the type
 * bit clear in a word with the top bit set, as PageType() tests it. */
static bool type_has(uint32_t pt, uint32_t type)
{
	uint32_t bitv = ~type;

	if (!(type & 0x00ffffff) || (bitv & (bitv - 1)))
		return type_is(pt, type);
	return (pt & 0x80000000) && !(pt & bitv);
}

struct page_view {
	uint64_t flags, mapping, private, head;
	uint32_t mapcount, refcount;
};

static void view(const struct dumplevel *dl, const uint8_t *pg,
		 struct page_view *v)
{
	const struct page_layout *pl = &dl->pl;

	v->flags = field(dl, pg, pl->flags, pl->word);
	v->mapping = field(dl, pg, pl->mapping, pl->word);
	v->private = field(dl, pg, pl->private, pl->word);
	v->head = field(dl, pg, pl->head, pl->word);
	/* Unknown _mapcount: -1, no type. */
	v->mapcount = pl->mapcount < 0 ? UINT32_MAX :
		      (uint32_t)get(dl, pg + pl->mapcount, 4);
	v->refcount = (uint32_t)field(dl, pg, pl->refcount, 4);
}

static bool is_slab(const struct dumplevel *dl, const struct page_view *v)
{
	return (dl->pl.have_slab_type &&
		type_has(v->mapcount, dl->pl.slab_type)) ||
	       bit(v->flags, dl->pl.pg_slab);
}

static bool is_anon(const struct dumplevel *dl, const struct page_view *v)
{
	return (v->mapping & 1) && !is_slab(dl, v);
}

static bool is_cache(const struct dumplevel *dl, const struct page_view *v)
{
	const struct page_layout *pl = &dl->pl;

	if (bit(v->flags, pl->pg_lru))
		return true;
	/* PG_swapcache means swap cache only with PG_swapbacked (4.10+). */
	return (pl->pg_swapbacked < 0 || bit(v->flags, pl->pg_swapbacked)) &&
	       bit(v->flags, pl->pg_swapcache);
}

/* Unknown PG_private: assume private data, which level 2 keeps. */
static bool is_private(const struct dumplevel *dl, const struct page_view *v)
{
	return dl->pl.pg_private < 0 || bit(v->flags, dl->pl.pg_private);
}

static bool is_buddy(const struct dumplevel *dl, const struct page_view *v)
{
	const struct page_layout *pl = &dl->pl;

	return pl->have_buddy && pl->private >= 0 && pl->refcount >= 0 &&
	       pl->mapcount >= 0 && !bit(v->flags, pl->pg_slab) &&
	       type_is(v->mapcount, pl->buddy_type);
}

static bool is_offline(const struct dumplevel *dl, const struct page_view *v)
{
	return dl->pl.have_offline && !is_slab(dl, v) &&
	       type_is(v->mapcount, dl->pl.offline_type);
}

/*
 * The order of the compound page headed at PFN (struct page HEAD at
 * vaddr HEAD_VA), and whether it is a hugetlbfs page; TAIL is the first
 * tail's struct page.  Order 0 when anything is off.
 */
static unsigned compound_info(struct dumplevel *dl, uint64_t pfn,
			      uint64_t head_va, const struct page_view *hv,
			      const uint8_t *tail, bool *hugetlb)
{
	const struct page_layout *pl = &dl->pl;
	uint64_t tflags = field(dl, tail, pl->flags, pl->word);
	uint64_t thead = field(dl, tail, pl->head, pl->word);
	unsigned order = 0;

	*hugetlb = false;
	if (pl->head < 0 || thead != (head_va | 1)) {
		if (pl->head >= 0 && first_doubt(dl, D_TAIL))
			warn(dl, "pfn 0x%" PRIx64 ": compound head whose next "
			     "page is not its tail: kept as one page", pfn);
		dl->st.suspect++;
		return 0;
	}
	if (pl->have_hugetlb_type) {		/* 6.9 and later */
		order = tflags & 0xff;
		*hugetlb = type_is(hv->mapcount, pl->hugetlb_type);
	} else if (pl->pg_hugetlb >= 0) {	/* 6.6 to 6.8 */
		order = tflags & 0xff;
		*hugetlb = bit(tflags, pl->pg_hugetlb);
	} else {
		order = (unsigned)field(dl, tail, pl->order, 1);
		*hugetlb = pl->have_hugetlb_dtor && pl->dtor >= 0 &&
			   field(dl, tail, pl->dtor, 1) == pl->hugetlb_dtor;
	}
	if (order > MAX_COMPOUND_ORDER || (pfn & ((UINT64_C(1) << order) - 1))) {
		if (first_doubt(dl, D_COMPOUND))
			warn(dl, "pfn 0x%" PRIx64 ": compound order %u "
			     "impossible: kept as one page", pfn, order);
		dl->st.suspect++;
		*hugetlb = false;
		return 0;
	}
	return order;
}

/* A free block's order, or -1 (and the doubt counted) when the buddy
 * head contradicts itself. */
static int free_order(struct dumplevel *dl, uint64_t pfn,
		      const struct page_view *v)
{
	enum doubt d;
	const char *why;

	if (v->private >= dl->pl.max_order) {
		d = D_ORDER;
		why = "order beyond LENGTH(zone.free_area)";
	} else if (pfn & ((UINT64_C(1) << v->private) - 1)) {
		d = D_ALIGN;
		why = "block not aligned to its order";
	} else if (v->refcount) {
		d = D_REFCOUNT;
		why = "nonzero _refcount";
	} else {
		return (int)v->private;
	}
	if (first_doubt(dl, d))
		warn(dl, "pfn 0x%" PRIx64 ": free page with %s (order %" PRIu64
		     ", _refcount %" PRIu32 "): kept", pfn, why, v->private,
		     v->refcount);
	dl->st.suspect++;
	return -1;
}

/*
 * Judge the page at PFN (struct page PG at HEAD_VA; TAIL: the next
 * struct page, or NULL): the counter of its kind and the pages it covers
 * in *NR, or NULL to keep it.
 */
static uint64_t *classify(struct dumplevel *dl, uint64_t pfn, uint64_t va,
			  const uint8_t *pg, const uint8_t *tail, uint64_t *nr)
{
	struct page_view v;
	unsigned order = 0;
	bool hugetlb = false, anon;
	int fo;

	view(dl, pg, &v);
	*nr = 1;
	dl->st.examined++;
	if (v.head & 1)		/* a tail: its head decides */
		return NULL;
	if (v.refcount >= MAX_REFCOUNT) {
		if (first_doubt(dl, D_GARBAGE))
			warn(dl, "pfn 0x%" PRIx64 ": struct page with _refcount "
			     "0x%" PRIx32 " (not a struct page?): kept", pfn,
			     v.refcount);
		dl->st.suspect++;
		return NULL;
	}
	if (dl->pl.head_mask && (v.flags & dl->pl.head_mask) && tail)
		order = compound_info(dl, pfn, va, &v, tail, &hugetlb);
	if ((dl->level & DL_FREE) && is_buddy(dl, &v)) {
		if ((fo = free_order(dl, pfn, &v)) < 0)
			return NULL;
		*nr = UINT64_C(1) << fo;
		return &dl->st.free;
	}
	*nr = UINT64_C(1) << order;
	anon = is_anon(dl, &v);
	if ((dl->level & DL_CACHE) && is_cache(dl, &v) && !is_private(dl, &v) &&
	    !anon)
		return &dl->st.cache;
	if ((dl->level & DL_CACHE_PRI) && is_cache(dl, &v) && !anon)
		return is_private(dl, &v) ? &dl->st.cache_private :
					    &dl->st.cache;
	if ((dl->level & DL_USER) && (anon || hugetlb))
		return &dl->st.user;
	if (bit(v.flags, dl->pl.pg_hwpoison))
		return &dl->st.hwpoison;
	if (is_offline(dl, &v))
		return &dl->st.offline;
	*nr = 1;
	return NULL;
}

/* ---- windows --------------------------------------------------------- */

struct window {
	uint64_t start, end;
	uint8_t *bitmap;
};

static bool win_test(const struct window *w, uint64_t pfn)
{
	uint64_t i = pfn - w->start;

	return w->bitmap[i / 8] >> (i % 8) & 1;
}

/* Clear [FROM, TO) in the window, counting the bits that were set. */
static void win_clear(struct window *w, uint64_t from, uint64_t to,
		      uint64_t *counter)
{
	if (from < w->start)
		from = w->start;
	if (to > w->end)
		to = w->end;
	for (uint64_t p = from; p < to; ) {
		uint64_t i = p - w->start;
		uint8_t m = (uint8_t)(1u << (i % 8));

		if (i % 8 == 0 && to - p >= 8) {	/* a whole byte */
			*counter += (uint64_t)__builtin_popcount(w->bitmap[i / 8]);
			w->bitmap[i / 8] = 0;
			p += 8;
			continue;
		}
		if (w->bitmap[i / 8] & m) {
			w->bitmap[i / 8] &= (uint8_t)~m;
			(*counter)++;
		}
		p++;
	}
}

/* The next pfn >= PFN whose bit is set, or the window's end. */
static uint64_t win_next(const struct window *w, uint64_t pfn)
{
	while (pfn < w->end) {
		uint64_t i = pfn - w->start;

		if (i % 8 == 0 && !w->bitmap[i / 8]) {
			pfn += 8;
			continue;
		}
		if (win_test(w, pfn))
			return pfn;
		pfn++;
	}
	return w->end;
}

static void count_kept(struct window *w, uint64_t from, uint64_t to,
		       uint64_t *counter)
{
	if (to > w->end)
		to = w->end;
	for (uint64_t p = from; p < to; p++)
		*counter += win_test(w, p);
}

/* Exclude PFN and the NR - 1 pages after it; what runs past the window
 * is left for the next one. */
static void exclude(struct dumplevel *dl, struct window *w, uint64_t pfn,
		    uint64_t nr, uint64_t *counter)
{
	win_clear(w, pfn, pfn + nr, counter);
	if (pfn + nr > w->end) {
		dl->pend_start = w->end;
		dl->pend_end = pfn + nr;
		dl->pend_counter = counter;
	}
}

/* Read the struct pages of [PFN, END) of span S into the chunk; on a
 * failed read, page by page, marking the unreadable ones in OK. */
static void read_chunk(struct dumplevel *dl, const struct span *s,
		       uint64_t pfn, uint64_t end, bool *ok)
{
	uint64_t sz = dl->pl.size, n = end - pfn;
	uint64_t va = s->map + (pfn - s->first) * sz;
	struct vmc_error *err;

	err = vmcore_read_virt(dl->vc, va, dl->chunk, n * sz, NULL);
	if (!err) {
		for (uint64_t i = 0; i < n; i++)
			ok[i] = true;
		return;
	}
	vmc_error_destroy(err);
	for (uint64_t i = 0; i < n; i++) {
		err = vmcore_read_virt(dl->vc, va + i * sz, dl->chunk + i * sz,
				       sz, NULL);
		ok[i] = !err;
		if (err && first_doubt(dl, D_MEMMAP))
			warn(dl, "struct page of pfn 0x%" PRIx64 " (at 0x%"
			     PRIx64 ") unreadable: %s; such pages kept",
			     pfn + i, va + i * sz, err->message);
		vmc_error_destroy(err);
	}
}

/* The struct page after the one at pfn P (index I of the chunk of N). */
static const uint8_t *next_page(struct dumplevel *dl, const struct span *s,
				uint64_t p, uint64_t i, uint64_t n,
				const bool *ok)
{
	struct vmc_error *err;

	if (i + 1 < n)
		return ok[i + 1] ? dl->chunk + (i + 1) * dl->pl.size : NULL;
	if (p + 1 >= s->end)
		return NULL;
	err = vmcore_read_virt(dl->vc, s->map + (p + 1 - s->first) *
			       dl->pl.size, dl->one, dl->pl.size, NULL);
	vmc_error_destroy(err);
	return err ? NULL : dl->one;
}

/* Judge the pages of one chunk [PFN, END) of span S; returns where the
 * next chunk starts (past a multi-page exclusion, maybe past END). */
static uint64_t do_chunk(struct dumplevel *dl, struct window *w,
			 const struct span *s, uint64_t pfn, uint64_t end)
{
	bool ok[CHUNK_PAGES];
	uint64_t n = end - pfn, p = pfn;

	read_chunk(dl, s, pfn, end, ok);
	while (p < end) {
		uint64_t i = p - pfn, nr, va;
		uint64_t *counter;

		if (!win_test(w, p)) {
			p++;
			continue;
		}
		if (!ok[i]) {
			dl->st.unreadable++;
			p++;
			continue;
		}
		va = s->map + (p - s->first) * dl->pl.size;
		counter = classify(dl, p, va, dl->chunk + i * dl->pl.size,
				   next_page(dl, s, p, i, n, ok), &nr);
		if (counter)
			exclude(dl, w, p, nr, counter);
		p += counter ? nr : 1;
	}
	return p;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

struct vmc_error *dumplevel_window(struct dumplevel *dl, uint64_t start_pfn,
				   uint64_t npfns, uint8_t *bitmap)
{
	struct window w = { start_pfn, start_pfn + npfns, bitmap };
	uint64_t pfn = start_pfn;

	if (!dl->active || !npfns)
		return NULL;
	if (start_pfn < dl->last_end || w.end < start_pfn) {
		if (first_doubt(dl, D_WINDOW))
			warn(dl, "windows out of order (pfn 0x%" PRIx64 "): "
			     "pending exclusions dropped", start_pfn);
		dl->pend_end = 0;
	}
	dl->last_end = w.end;
	if (dl->pend_end > start_pfn) {
		win_clear(&w, dl->pend_start, dl->pend_end, dl->pend_counter);
		pfn = min64(dl->pend_end, w.end);
		if (dl->pend_end > w.end)
			dl->pend_start = w.end;
		else
			dl->pend_end = 0;
	}
	while ((pfn = win_next(&w, pfn)) < w.end) {
		struct span s;
		uint64_t end;

		memmap_span(dl, pfn, &s);
		end = min64(s.end, w.end);
		if (!s.have) {
			count_kept(&w, pfn, end, &dl->st.no_memmap);
			pfn = end;
			continue;
		}
		end = min64(end, (pfn | (CHUNK_PAGES - 1)) + 1);
		pfn = do_chunk(dl, &w, &s, pfn, end);
	}
	return NULL;
}

/* ---- results --------------------------------------------------------- */

const struct dumplevel_stats *dumplevel_stats(const struct dumplevel *dl)
{
	return &dl->st;
}

const char *dumplevel_model(const struct dumplevel *dl)
{
	static const char *const names[] = {
		[MODEL_NONE] = "none", [MODEL_FLAT] = "FLATMEM",
		[MODEL_SPARSE] = "SPARSEMEM",
		[MODEL_SPARSE_EX] = "SPARSEMEM_EXTREME",
	};

	return names[dl->mm.model];
}

size_t dumplevel_num_warnings(const struct dumplevel *dl)
{
	return dl->nwarnings;
}

const char *dumplevel_warning(const struct dumplevel *dl, size_t i)
{
	return i < dl->nwarnings ? dl->warnings[i] : NULL;
}

char *dumplevel_summary(const struct dumplevel *dl)
{
	const struct dumplevel_stats *s = &dl->st;
	char *out;

	if (asprintf(&out, "level %d (%s): examined %" PRIu64 ", left out: "
		     "cache %" PRIu64 ", cache_private %" PRIu64 ", user %"
		     PRIu64 ", free %" PRIu64 ", hwpoison %" PRIu64
		     ", offline %" PRIu64 "; kept in doubt: no struct page %"
		     PRIu64 ", unreadable %" PRIu64 ", suspect %" PRIu64,
		     dl->level, dumplevel_model(dl), s->examined, s->cache,
		     s->cache_private, s->user, s->free, s->hwpoison,
		     s->offline, s->no_memmap, s->unreadable, s->suspect) < 0)
		return NULL;
	return out;
}
