/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the dump-level filter (libkernel/dumplevel.c).
 * Each input makes a small synthetic x86_64 dump (tests/unit/corefile.c,
 * the layout of tests/unit/test-dumplevel.c: 512 pages in two sections)
 * whose struct pages, section entries and extra VMCOREINFO lines (a
 * later key wins: a lying VMCOREINFO) come from the input:
 *
 *   byte 0      dump level (low 5 bits)
 *   byte 1      window: 8 << (b % 7) pfns
 *   byte 2      bit 0: FLATMEM (SYMBOL(mem_map)) instead of mem_section
 *   bytes 3-18  section_mem_map of sections 0 and 1 (little-endian)
 *   bytes 19-82 the source bitmap (pages the dump "holds")
 *   then        VMCOREINFO lines up to a NUL, then struct page bytes
 *
 * Checks, besides the sanitizers: the filter never sets a bit; the pages
 * it keeps do not depend on the window size; at dump level 0 without
 * PG_hwpoison nothing is left out.  Built and run by tests/fuzz/run.sh.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../libkernel/dumplevel.h"
#include "../../libvmcore/vmcore.h"
#include "../unit/corefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIRECT_MAP UINT64_C(0xffff888000000000)
#define VMEMMAP UINT64_C(0xffffea0000000000)
#define NPAGES 512
#define SPAGE 64
#define HEADER 83

static const char sparse_info[] =
	"SYMBOL(mem_section)=ffff888000001000\nLENGTH(mem_section)=1\n";
static const char base_info[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\n"
	"SYMBOL(mem_map)=ffff888000003000\n"
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=20\nNUMBER(MAX_PHYSMEM_BITS)=24\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

static struct vmcore *open_dump(const uint8_t *data, size_t size)
{
	const uint8_t *extra = data + HEADER, *end = data + size;
	const uint8_t *nul = memchr(extra, 0, (size_t)(end - extra));
	const uint8_t *pages = nul ? nul + 1 : end;
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc = NULL;
	char *info, path[64];
	size_t ram, mm, n;
	int fd = memfd_create("fuzz-dumplevel", MFD_CLOEXEC);
	uint8_t *r;

	if (fd < 0 || asprintf(&info, "%s%s%.*s\n",
			       data[2] & 1 ? "" : sparse_info, base_info,
			       (int)((nul ? nul : end) - extra), extra) < 0)
		abort();
	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_vmcoreinfo(&cf, info);
	cf_x86_cpu(&cf, 1, regs);
	/* Only the section tables are read from RAM. */
	ram = cf_load(&cf, 0, DIRECT_MAP, 4 * 4096, 4 * 4096);
	mm = cf_load(&cf, 0x4000000, VMEMMAP, NPAGES * SPAGE, NPAGES * SPAGE);
	r = cf.loads[ram].data;
	cf_put(r + 0x1000, DIRECT_MAP + 0x2000, 8, false);
	memcpy(r + 0x2000, data + 3, 8);
	memcpy(r + 0x2010, data + 11, 8);
	cf_put(r + 0x3000, VMEMMAP, 8, false);	/* FLATMEM's mem_map */
	n = (size_t)(end - pages);
	if (n > NPAGES * SPAGE)
		n = NPAGES * SPAGE;
	memcpy(cf.loads[mm].data, pages, n);
	cf_build(&cf, &img);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write(fd, img.data, img.len) != (ssize_t)img.len)
		abort();
	if (vmcore_open(path, &vc))
		vc = NULL;
	close(fd);
	cf_image_free(&img);
	cf_deinit(&cf);
	free(info);
	return vc;
}

/* The filter over pfns 0..NPAGES-1 with windows of WINDOW; the source
 * bitmap is SRC, the result lands in OUT. */
static void run(struct vmcore *vc, int level, uint64_t window,
		const uint8_t *src, uint8_t *out)
{
	struct dumplevel *dl;

	if (dumplevel_create(vc, level, &dl))
		abort();
	memcpy(out, src, NPAGES / 8);
	for (uint64_t start = 0; start < NPAGES; start += window)
		if (dumplevel_window(dl, start, window, out + start / 8))
			abort();
	free(dumplevel_summary(dl));
	dumplevel_destroy(dl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t small[NPAGES / 8], big[NPAGES / 8];
	const uint8_t *src = data + 19;
	struct vmcore *vc;
	int level;

	if (size < HEADER)
		return 0;
	level = data[0] & 31;
	if (!(vc = open_dump(data, size)))
		return 0;
	run(vc, level, UINT64_C(8) << (data[1] % 7), src, small);
	run(vc, level, NPAGES, src, big);
	for (size_t i = 0; i < sizeof(big); i++) {
		if (big[i] & ~src[i])	/* a bit set by the filter */
			abort();
		if (big[i] != small[i])	/* depends on the window */
			abort();
		if (!level && !vmcore_vmcoreinfo(vc, "NUMBER(PG_hwpoison)") &&
		    big[i] != src[i])
			abort();
	}
	vmcore_close(vc);
	return 0;
}
