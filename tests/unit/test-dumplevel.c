/* SPDX-License-Identifier: MIT */
/*
 * The dump-level filter (libkernel/dumplevel.c) on a synthetic x86_64
 * dump: 512 pages of RAM in two 1 MiB sections (SECTION_SIZE_BITS 20),
 * SPARSEMEM_EXTREME with one root, a vmemmap of 64-byte struct pages
 * laid out as Linux 6.1's, and a page of each kind the levels know
 * (free blocks, page cache with and without private data, anonymous,
 * transparent huge and hugetlbfs pages, slab, hwpoison, offline), plus
 * struct pages that contradict themselves and a VMCOREINFO that lies.
 * The layouts of later kernels (6.3 folio offsets, 6.6 PG_hugetlb, 6.12
 * page types) have a test each.  No page tables: virtual reads go
 * through the PT_LOAD addresses.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libkernel/dumplevel.h"
#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

#define DIRECT_MAP UINT64_C(0xffff888000000000)
#define VMEMMAP UINT64_C(0xffffea0000000000)
#define ROOTS_P UINT64_C(0x1000)	/* mem_section root array */
#define SECTIONS_P UINT64_C(0x2000)	/* the sections of root 0 */
#define MEMMAP_P UINT64_C(0x4000000)	/* backing of the vmemmap */
#define NPAGES 512
#define SPAGE 64			/* SIZE(page) */

#define PG_LRU (UINT64_C(1) << 4)
#define PG_SWAPCACHE (UINT64_C(1) << 10)
#define PG_SLAB (UINT64_C(1) << 9)
#define PG_PRIVATE (UINT64_C(1) << 13)
#define PG_HEAD (UINT64_C(1) << 16)
#define PG_SWAPBACKED (UINT64_C(1) << 19)
#define PG_HWPOISON (UINT64_C(1) << 23)
#define BUDDY 0xffffff7fu		/* ~PG_buddy (0x80) */
#define OFFLINE 0xfffffeffu		/* ~PG_offline (0x100) */

static const char base_info[] =
	"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
	"SYMBOL(mem_section)=ffff888000001000\nLENGTH(mem_section)=1\n"
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=20\nNUMBER(MAX_PHYSMEM_BITS)=24\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

struct world {
	struct cf cf;
	uint8_t *memmap;	/* NPAGES struct pages */
	uint8_t *ram;
};

static uint8_t *sp(struct world *w, uint64_t pfn)
{
	return w->memmap + pfn * SPAGE;
}

static void put(struct world *w, uint64_t pfn, unsigned off, uint64_t v,
		unsigned width)
{
	cf_put(sp(w, pfn) + off, v, width, false);
}

/* A plain page: _mapcount -1, _refcount 1. */
static void plain(struct world *w, uint64_t pfn, uint64_t flags,
		  uint64_t mapping)
{
	put(w, pfn, 0, flags, 8);
	put(w, pfn, 24, mapping, 8);
	put(w, pfn, 48, 0xffffffff, 4);
	put(w, pfn, 52, 1, 4);
}

static void buddy(struct world *w, uint64_t pfn, uint64_t order,
		  uint32_t refcount)
{
	put(w, pfn, 48, BUDDY, 4);
	put(w, pfn, 40, order, 8);
	put(w, pfn, 52, refcount, 4);
}

/* A compound page: head flags, tails pointing back, order (and dtor) in
 * the first tail as Linux 6.1 keeps them. */
static void compound(struct world *w, uint64_t pfn, unsigned order,
		     uint64_t flags, uint64_t mapping, uint8_t dtor)
{
	plain(w, pfn, flags | PG_HEAD, mapping);
	for (uint64_t t = 1; t < (UINT64_C(1) << order); t++) {
		plain(w, pfn + t, 0, 0);
		put(w, pfn + t, 8, (VMEMMAP + pfn * SPAGE) | 1, 8);
	}
	sp(w, pfn + 1)[17] = (uint8_t)order;
	sp(w, pfn + 1)[16] = dtor;
}

#define ANON (DIRECT_MAP + 0x300000 + 1)
#define FILE_MAPPING (DIRECT_MAP + 0x300800)

static void populate(struct world *w)
{
	for (uint64_t pfn = 0; pfn < NPAGES; pfn++)
		plain(w, pfn, 0, 0);
	buddy(w, 16, 4, 0);				/* free 16..31 */
	plain(w, 40, PG_LRU, FILE_MAPPING);		/* page cache */
	plain(w, 41, PG_LRU | PG_PRIVATE, FILE_MAPPING);	/* + private */
	plain(w, 42, PG_LRU | PG_SWAPBACKED, ANON);	/* anonymous */
	plain(w, 43, PG_SWAPCACHE | PG_SWAPBACKED, FILE_MAPPING); /* swap */
	plain(w, 44, PG_SWAPCACHE, FILE_MAPPING);	/* not swap cache */
	compound(w, 64, 2, PG_LRU, ANON, 0);		/* THP 64..67 */
	compound(w, 80, 3, 0, 0, 2);			/* hugetlb 80..87 */
	plain(w, 96, PG_SLAB, DIRECT_MAP + 0x5001);	/* slab, odd word */
	plain(w, 100, PG_HWPOISON, 0);
	plain(w, 101, 0, 0);
	put(w, 101, 48, OFFLINE, 4);
	/* Struct pages that contradict themselves: kept. */
	buddy(w, 128, 15, 0);				/* order > MAX_ORDER */
	buddy(w, 130, 2, 0);				/* misaligned */
	buddy(w, 136, 0, 1);				/* in use */
	plain(w, 144, PG_HEAD, ANON);			/* next: no tail */
	compound(w, 160, 1, 0, ANON, 0);
	sp(w, 161)[17] = 25;				/* order 25 */
	buddy(w, 192, 6, 0);				/* free 192..255 */
}

typedef void populate_fn(struct world *w);

static bool open_world_with(const char *info, uint64_t sec1_map,
			    populate_fn *fill, struct vmcore **vc)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct world w;
	struct cf_image img;
	char path[256] = "";
	size_t ram, mm;
	bool ok;

	cf_init(&w.cf, ELFCLASS64, EM_X86_64);
	cf_vmcoreinfo(&w.cf, info);
	cf_x86_cpu(&w.cf, 1, regs);
	ram = cf_load(&w.cf, 0, DIRECT_MAP, NPAGES * 4096, NPAGES * 4096);
	mm = cf_load(&w.cf, MEMMAP_P, VMEMMAP, NPAGES * SPAGE,
		     NPAGES * SPAGE);
	w.ram = w.cf.loads[ram].data;
	w.memmap = w.cf.loads[mm].data;
	/* Root 0 -> sections; section N's map = mem_map - N's first pfn *
	 * SIZE(page), with SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP. */
	cf_put(w.ram + ROOTS_P, DIRECT_MAP + SECTIONS_P, 8, false);
	cf_put(w.ram + SECTIONS_P, VMEMMAP | 3, 8, false);
	cf_put(w.ram + SECTIONS_P + 16, sec1_map | 3, 8, false);
	fill(&w);
	cf_build(&w.cf, &img);
	ok = CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	     CHECK_OK(vmcore_open(path, vc));
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	cf_deinit(&w.cf);
	return ok;
}

static bool open_world(const char *info, uint64_t sec1_map,
		       struct vmcore **vc)
{
	return open_world_with(info, sec1_map, populate, vc);
}

/* Filter pfns 0..NPAGES-1 (all held) in windows of WINDOW; KEPT[pfn]. */
static struct dumplevel *run(struct vmcore *vc, int level, uint64_t window,
			     bool kept[NPAGES])
{
	struct dumplevel *dl = NULL;
	struct vmc_page_filter f;
	uint8_t bm[NPAGES / 8];

	if (!CHECK_OK(dumplevel_create(vc, level, &dl)))
		return NULL;
	dumplevel_hook(dl, &f);
	CHECK(f.dump_level == level);
	for (uint64_t start = 0; start < NPAGES; start += window) {
		memset(bm, 0xff, sizeof(bm));
		CHECK_OK(f.keep_window(f.ctx, vc, start, window, bm));
		for (uint64_t i = 0; i < window; i++)
			kept[start + i] = bm[i / 8] >> (i % 8) & 1;
	}
	return dl;
}

/* The pfns LEVEL leaves out, as ranges [a, b). */
static bool dropped_by(int level, uint64_t pfn)
{
	static const struct { uint64_t a, b; int bits; } r[] = {
		{ 16, 32, DL_FREE }, { 40, 41, DL_CACHE | DL_CACHE_PRI },
		{ 41, 42, DL_CACHE_PRI }, { 42, 43, DL_USER },
		{ 43, 44, DL_CACHE | DL_CACHE_PRI },
		{ 64, 68, DL_USER }, { 80, 88, DL_USER },
		{ 100, 102, -1 },	/* hwpoison, offline: always */
		{ 144, 145, DL_USER }, { 160, 161, DL_USER },
		{ 192, 256, DL_FREE },
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (pfn >= r[i].a && pfn < r[i].b)
			return r[i].bits < 0 || (level & r[i].bits);
	return false;
}

static void check_level(struct vmcore *vc, int level, uint64_t window)
{
	bool kept[NPAGES];
	struct dumplevel *dl = run(vc, level, window, kept);
	int bad = 0;

	if (!dl)
		return;
	for (uint64_t pfn = 0; pfn < NPAGES && bad < 5; pfn++)
		if (!CHECK(kept[pfn] != dropped_by(level, pfn),
			   "level %d window %" PRIu64 ": pfn %" PRIu64 " %s",
			   level, window, pfn, kept[pfn] ? "kept" : "dropped"))
			bad++;
	dumplevel_destroy(dl);
}

TEST(each_level_and_window)
{
	static const int levels[] = { 0, 1, 2, 4, 8, 16, 31 };
	static const uint64_t windows[] = { 8, 64, NPAGES };
	struct vmcore *vc;

	if (!open_world(base_info, VMEMMAP, &vc))
		return;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		for (size_t j = 0; j < sizeof(windows) / sizeof(windows[0]); j++)
			check_level(vc, levels[i], windows[j]);
	vmcore_close(vc);
}

TEST(counts_and_doubts)
{
	struct vmcore *vc;
	struct dumplevel *dl;
	const struct dumplevel_stats *s;
	bool kept[NPAGES];

	if (!open_world(base_info, VMEMMAP, &vc))
		return;
	if ((dl = run(vc, 31, 8, kept))) {
		s = dumplevel_stats(dl);
		CHECK_STR(dumplevel_model(dl), "SPARSEMEM_EXTREME");
		CHECK_U64(s->free, 16 + 64);
		CHECK_U64(s->cache, 2);
		CHECK_U64(s->cache_private, 1);
		CHECK_U64(s->user, 1 + 4 + 8 + 2);
		CHECK_U64(s->hwpoison, 1);
		CHECK_U64(s->offline, 1);
		/* 128, 130, 136; 144's and 160's compound pages. */
		CHECK_U64(s->suspect, 5);
		CHECK(dumplevel_num_warnings(dl) == 5, "%zu warnings",
		      dumplevel_num_warnings(dl));
		dumplevel_destroy(dl);
	}
	vmcore_close(vc);
}

/* Section 1's mem_map is not in the dump: its pages are kept, section 0
 * is filtered as before. */
TEST(unreadable_struct_pages)
{
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	if (!open_world(base_info, VMEMMAP + (UINT64_C(1) << 30), &vc))
		return;
	if ((dl = run(vc, 31, 64, kept))) {
		CHECK_U64(dumplevel_stats(dl)->unreadable, 256);
		CHECK(!kept[16] && !kept[255] && kept[256] && kept[511]);
		CHECK(dumplevel_num_warnings(dl) > 0);
		dumplevel_destroy(dl);
	}
	vmcore_close(vc);
}

/* BASE_INFO with KEY's line replaced by LINE (or removed: LINE ""). */
static char *lie(const char *key, const char *line)
{
	const char *at = strstr(base_info, key);
	const char *eol = at ? strchr(at, '\n') + 1 : NULL;
	char *out;

	if (!at)
		abort();
	if (asprintf(&out, "%.*s%s%s", (int)(at - base_info), base_info, line,
		     eol) < 0)
		abort();
	return out;
}

/* Every page kept, with a warning, and no crash. */
static void check_keeps_all(const char *key, const char *line)
{
	char *info = lie(key, line);
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];
	int dropped = 0;

	if (open_world(info, VMEMMAP, &vc)) {
		if ((dl = run(vc, 31, 64, kept))) {
			for (int i = 0; i < NPAGES; i++)
				dropped += !kept[i];
			CHECK(dropped == 0, "%s: %d pages dropped", line,
			      dropped);
			CHECK(dumplevel_num_warnings(dl) > 0, "%s: no warning",
			      line);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	free(info);
}

TEST(lying_vmcoreinfo_keeps_everything)
{
	check_keeps_all("SIZE(page)=", "SIZE(page)=100000\n");
	check_keeps_all("SIZE(page)=", "");
	check_keeps_all("OFFSET(page.flags)=", "OFFSET(page.flags)=9999\n");
	check_keeps_all("LENGTH(mem_section)=", "LENGTH(mem_section)=7\n");
	check_keeps_all("NUMBER(SECTION_SIZE_BITS)=",
			"NUMBER(SECTION_SIZE_BITS)=5\n");
	check_keeps_all("NUMBER(MAX_PHYSMEM_BITS)=",
			"NUMBER(MAX_PHYSMEM_BITS)=99\n");
	check_keeps_all("OFFSET(mem_section.section_mem_map)=",
			"OFFSET(mem_section.section_mem_map)=4096\n");
	check_keeps_all("SYMBOL(mem_section)=",
			"SYMBOL(mem_section)=ffff888012345000\n");
	check_keeps_all("SYMBOL(mem_section)=", "");
	check_keeps_all("PAGESIZE=", "PAGESIZE=4095\n");
	check_keeps_all("PAGESIZE=", "PAGESIZE=8192\n");	/* on x86_64 */
	check_keeps_all("PAGESIZE=", "PAGESIZE=524288\n");
}

/* A lie about one number disables what depends on it only. */
TEST(lying_vmcoreinfo_partial)
{
	char *info = lie("NUMBER(PG_lru)=", "NUMBER(PG_lru)=200\n");
	char *info2 = lie("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=",
			  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=99999999999\n");
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	if (open_world(info, VMEMMAP, &vc)) {
		if ((dl = run(vc, 31, 64, kept))) {
			/* LRU cache kept; swap cache, user, free still out. */
			CHECK(kept[40] && kept[41] && !kept[43] && !kept[42] &&
			      !kept[16]);
			CHECK(dumplevel_num_warnings(dl) > 0);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	if (open_world(info2, VMEMMAP, &vc)) {
		if ((dl = run(vc, 31, 64, kept))) {
			CHECK(kept[16] && kept[192] && !kept[40] && !kept[42]);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	free(info);
	free(info2);
}

/* Garbage struct pages (every byte 0xa5, 0xff, 0, then random words):
 * no crash, and no page left out (random words fail the _refcount bound,
 * and the few that pass nothing else). */
TEST(garbage_struct_pages)
{
	static const uint8_t fill[] = { 0xa5, 0xff, 0x00, 0x5a };
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	for (size_t f = 0; f < sizeof(fill); f++) {
		uint64_t regs[CF_X86_NREGS] = { 0 };
		struct world w;
		struct cf_image img;
		char path[256] = "";
		size_t ram, mm;
		int dropped = 0;

		cf_init(&w.cf, ELFCLASS64, EM_X86_64);
		cf_vmcoreinfo(&w.cf, base_info);
		cf_x86_cpu(&w.cf, 1, regs);
		ram = cf_load(&w.cf, 0, DIRECT_MAP, NPAGES * 4096,
			      NPAGES * 4096);
		mm = cf_load(&w.cf, MEMMAP_P, VMEMMAP, NPAGES * SPAGE,
			     NPAGES * SPAGE);
		w.ram = w.cf.loads[ram].data;
		memset(w.cf.loads[mm].data, fill[f], NPAGES * SPAGE);
		if (fill[f] == 0x5a) {	/* random words, even compound_head */
			uint64_t x = 88172645463325252ull;

			for (size_t o = 0; o < NPAGES * SPAGE; o += 8) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				cf_put(w.cf.loads[mm].data + o, o % SPAGE == 8 ?
				       x & ~UINT64_C(1) : x, 8, false);
			}
		}
		cf_put(w.ram + ROOTS_P, DIRECT_MAP + SECTIONS_P, 8, false);
		cf_put(w.ram + SECTIONS_P, VMEMMAP | 3, 8, false);
		cf_build(&w.cf, &img);
		if (CHECK(unit_write_tmp(img.data, img.len, path,
					 sizeof(path))) &&
		    CHECK_OK(vmcore_open(path, &vc))) {
			if ((dl = run(vc, 31, 64, kept))) {
				for (int i = 0; i < NPAGES; i++)
					dropped += !kept[i];
				/* 0xa5: odd compound_head, all tails; 0xff
				 * too; zeros: plain unmapped pages; random:
				 * no plausible _refcount. */
				CHECK(dropped == 0, "fill 0x%02x: %d dropped",
				      fill[f], dropped);
				dumplevel_destroy(dl);
			}
			vmcore_close(vc);
		}
		if (path[0])
			unlink(path);
		cf_image_free(&img);
		cf_deinit(&w.cf);
	}
}

TEST(bad_level)
{
	struct vmcore *vc;
	struct dumplevel *dl;
	struct vmc_error *err;

	if (!open_world(base_info, VMEMMAP, &vc))
		return;
	err = dumplevel_create(vc, 32, &dl);
	CHECK(err && err->code == VMC_ERR_INVALID);
	vmc_error_destroy(err);
	err = dumplevel_create(vc, -1, &dl);
	CHECK(err && err->code == VMC_ERR_INVALID);
	vmc_error_destroy(err);
	vmcore_close(vc);
}

/*
 * Linux 6.12: one page type in the top byte of page_type (PGTY_buddy
 * 0xf0, offline 0xf1, hugetlb 0xf4, slab 0xf5), the low 24 bits the
 * owner's; no PG_slab; the compound order in the low byte of the first
 * tail's flags.
 */
static const char info_612[] =
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=4110417920\n";	/* unsigned */

static void populate_612(struct world *w)
{
	for (uint64_t pfn = 0; pfn < NPAGES; pfn++)
		plain(w, pfn, 0, 0);
	buddy(w, 16, 4, 0);
	put(w, 16, 48, 0xf0000000, 4);
	buddy(w, 32, 3, 0);
	put(w, 32, 48, 0xf0001234, 4);		/* owner's low bits */
	plain(w, 96, 0, DIRECT_MAP + 0x5001);	/* slab: odd word */
	put(w, 96, 48, 0xf5000000, 4);
	plain(w, 97, 0, 0);
	put(w, 97, 48, 0xf1000000, 4);		/* offline */
	compound(w, 128, 3, 0, 0, 0);		/* hugetlb 128..135 */
	put(w, 128, 48, 0xf4000000, 4);
	put(w, 129, 0, 3, 8);			/* order in _flags_1 */
	compound(w, 192, 2, 0, ANON, 0);	/* anonymous THP */
	put(w, 193, 0, 2, 8);
	put(w, 193, 17, 0, 1);
}

TEST(linux_6_12_page_types)
{
	char *info;
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	/* The 6.1 base without PG_slab, the compound offsets and the old
	 * page types, then 6.12's. */
	if (asprintf(&info, "%s%s", base_info, info_612) < 0)
		abort();
	for (char *k; (k = strstr(info, "NUMBER(PG_slab)=9\n")); )
		memcpy(k, "XUMBER", 6);
	for (char *k; (k = strstr(info, "OFFSET(page.compound_o")) ||
		      (k = strstr(info, "OFFSET(page.compound_d")); )
		memcpy(k, "XFFSET", 6);
	if (open_world_with(info, VMEMMAP, populate_612, &vc)) {
		if ((dl = run(vc, 31, 8, kept))) {
			for (int p = 0; p < NPAGES; p++) {
				bool out = (p >= 16 && p < 32) ||
					   (p >= 32 && p < 40) || p == 97 ||
					   (p >= 128 && p < 136) ||
					   (p >= 192 && p < 196);

				if (!CHECK(kept[p] != out, "pfn %d %s", p,
					   kept[p] ? "kept" : "dropped"))
					break;
			}
			CHECK_U64(dumplevel_stats(dl)->free, 24);
			CHECK_U64(dumplevel_stats(dl)->user, 12);
			CHECK_U64(dumplevel_stats(dl)->offline, 1);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	free(info);
}

/* Linux 6.3 to 6.5: order and destructor in the folio's second page. */
static void populate_63(struct world *w)
{
	for (uint64_t pfn = 0; pfn < NPAGES; pfn++)
		plain(w, pfn, 0, 0);
	compound(w, 64, 3, 0, 0, 0);		/* hugetlb 64..71 */
	sp(w, 65)[17] = 0;
	sp(w, 65)[16] = 0;
	sp(w, 65)[33] = 3;			/* _folio_order */
	sp(w, 65)[32] = 2;			/* _folio_dtor */
}

TEST(linux_6_3_folio_offsets)
{
	char *info;
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	if (asprintf(&info, "%sOFFSET(folio._folio_dtor)=96\n"
		     "OFFSET(folio._folio_order)=97\n", base_info) < 0)
		abort();
	for (char *k; (k = strstr(info, "OFFSET(page.compound_o")) ||
		      (k = strstr(info, "OFFSET(page.compound_d")); )
		memcpy(k, "XFFSET", 6);
	if (open_world_with(info, VMEMMAP, populate_63, &vc)) {
		if ((dl = run(vc, DL_USER, 512, kept))) {
			CHECK(!kept[64] && !kept[71] && kept[72]);
			CHECK_U64(dumplevel_stats(dl)->user, 8);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	free(info);
}

/* Linux 6.6 to 6.8: the order in the low byte of the first tail's flags,
 * hugetlb a flag there (PG_hugetlb). */
static void populate_66(struct world *w)
{
	for (uint64_t pfn = 0; pfn < NPAGES; pfn++)
		plain(w, pfn, 0, 0);
	compound(w, 64, 3, 0, 0, 0);		/* hugetlb 64..71 */
	put(w, 65, 0, 3 | 1u << 22, 8);
	put(w, 65, 16, 0, 2);
	compound(w, 80, 3, 0, 0, 0);		/* not hugetlb: kept */
	put(w, 81, 0, 3, 8);
	put(w, 81, 16, 0, 2);
}

TEST(linux_6_6_pg_hugetlb)
{
	char *info;
	struct vmcore *vc;
	struct dumplevel *dl;
	bool kept[NPAGES];

	if (asprintf(&info, "%sNUMBER(PG_hugetlb)=22\n", base_info) < 0)
		abort();
	for (char *k; (k = strstr(info, "OFFSET(page.compound_o")) ||
		      (k = strstr(info, "OFFSET(page.compound_d")); )
		memcpy(k, "XFFSET", 6);
	if (open_world_with(info, VMEMMAP, populate_66, &vc)) {
		if ((dl = run(vc, DL_USER, 64, kept))) {
			CHECK(!kept[64] && !kept[71] && kept[80] && kept[87]);
			CHECK_U64(dumplevel_stats(dl)->user, 8);
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	free(info);
}

/* No VMCOREINFO at all: every page kept, and a warning that says so. */
TEST(no_vmcoreinfo)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	struct dumplevel *dl;
	char path[256] = "";
	bool kept[NPAGES];
	int dropped = 0;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_load(&cf, 0, DIRECT_MAP, NPAGES * 4096, NPAGES * 4096);
	cf_build(&cf, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	    CHECK_OK(vmcore_open(path, &vc))) {
		if ((dl = run(vc, 31, 64, kept))) {
			for (int i = 0; i < NPAGES; i++)
				dropped += !kept[i];
			CHECK(dropped == 0);
			CHECK_CONTAINS(dumplevel_warning(dl, 0),
				       "no VMCOREINFO");
			CHECK_STR(dumplevel_model(dl), "none");
			dumplevel_destroy(dl);
		}
		vmcore_close(vc);
	}
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	cf_deinit(&cf);
}
