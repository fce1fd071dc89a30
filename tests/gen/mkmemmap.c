/* SPDX-License-Identifier: MIT */
/*
 * mkmemmap: write a big SYNTHETIC x86_64 vmcore whose struct pages say
 * what each page is, for the dump-level filter's memory and time on a
 * machine of many GiB (the suite's real guests have 1 GiB).
 *
 * Usage: mkmemmap [--gib N] [--free-percent P] OUT
 *
 * The file is sparse: RAM reads as zeros except where written.  Layout,
 * as Linux 6.1 x86_64 has it (SPARSEMEM_EXTREME with VMEMMAP, 128 MiB
 * sections, 64-byte struct pages): one PT_LOAD for the RAM [0, N GiB) at
 * the direct map, one for the vmemmap (backed by the last 1/64 of RAM),
 * the mem_section roots and sections in the first pages of RAM, and a
 * VMCOREINFO note with the 6.1 layout.  No page tables: readers use the
 * PT_LOAD virtual addresses.  The first P% of every section is free, in
 * order-10 buddy blocks (only their head struct pages are written); the
 * rest are plain in-use pages (zero struct pages) holding zeros.  Prints
 * "pages N free F" on stdout.
 *
 * Standalone on purpose (no project headers): it checks the filter.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "mkmemmap writes little-endian dumps from host structs");

#define GiB (UINT64_C(1) << 30)
#define PAGE UINT64_C(4096)
#define SPAGE UINT64_C(64)
#define DIRECT_MAP UINT64_C(0xffff888000000000)
#define VMEMMAP UINT64_C(0xffffea0000000000)
#define SECTION_PAGES (UINT64_C(1) << 15)	/* 128 MiB */
#define ROOTS_P UINT64_C(0x1000)
#define SECTIONS_P UINT64_C(0x2000)	/* 16-byte mem_section entries */
#define FREE_ORDER 10
#define DATA_OFF UINT64_C(0x10000)	/* file offset of the RAM */

static const char info_fmt[] =
	"OSRELEASE=6.1.0-mkmemmap\nPAGESIZE=4096\n"
	"SYMBOL(mem_section)=%" PRIx64 "\nLENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nCRASHTIME=1700000000\n";

static int fd;

static void put(uint64_t off, const void *p, size_t len)
{
	if (pwrite(fd, p, len, (off_t)off) != (ssize_t)len) {
		perror("mkmemmap: write");
		exit(1);
	}
}

static void put64(uint64_t off, uint64_t v)
{
	put(off, &v, 8);
}

/* One ELF note: header, name padded to 4, desc padded to 4. */
static size_t note(uint8_t *p, const char *name, uint32_t type,
		   const void *desc, size_t descsz)
{
	Elf64_Nhdr h = { (uint32_t)strlen(name) + 1, (uint32_t)descsz, type };
	size_t n = sizeof(h);

	memcpy(p, &h, sizeof(h));
	memcpy(p + n, name, h.n_namesz);
	n += (h.n_namesz + 3) & ~3u;
	memcpy(p + n, desc, descsz);
	return n + ((descsz + 3) & ~(size_t)3);
}

/* The mem_section tables, and the head struct page of each free block:
 * the first PCT% of each section; returns the pages they cover. */
static uint64_t write_memmap(uint64_t npages, uint64_t memmap_p, uint64_t pct)
{
	uint64_t nfree = 0;

	/* Roots (256 sections each) and sections: coded map = vmemmap base
	 * | SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP. */
	uint64_t nsec = npages / SECTION_PAGES;
	for (uint64_t r = 0; r * 256 < nsec; r++)
		put64(DATA_OFF + ROOTS_P + 8 * r,
		      DIRECT_MAP + SECTIONS_P + r * 4096);
	for (uint64_t s = 0; s < nsec; s++)
		put64(DATA_OFF + SECTIONS_P + 16 * s, VMEMMAP | 3);
	/* Free blocks: the first PCT% of each section, order 10. */
	uint64_t per_sec = SECTION_PAGES * pct / 100 >> FREE_ORDER << FREE_ORDER;
	uint8_t head[SPAGE];
	memset(head, 0, sizeof(head));
	head[40] = FREE_ORDER;			/* private: order */
	memcpy(head + 48, &(uint32_t){ 0xffffff7f }, 4);	/* ~PG_buddy */
	for (uint64_t s = 0; s < nsec; s++) {
		/* Not the sections holding the tables or the vmemmap. */
		if (s == 0 || (s + 1) * SECTION_PAGES * PAGE > memmap_p)
			continue;
		for (uint64_t p = 0; p < per_sec; p += UINT64_C(1) << FREE_ORDER) {
			uint64_t pfn = s * SECTION_PAGES + p;

			put(DATA_OFF + memmap_p + pfn * SPAGE, head, SPAGE);
			nfree += UINT64_C(1) << FREE_ORDER;
		}
	}
	return nfree;
}

int main(int argc, char **argv)
{
	uint64_t gib = 64, pct = 90, ram, npages, memmap_p, nfree = 0;
	uint8_t notes[8192] = { 0 }, prstatus[336] = { 0 };
	char info[4096];
	size_t nlen;
	int i;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--gib"))
			gib = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--free-percent"))
			pct = strtoull(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (i != argc - 1 || gib < 1 || gib > 4096 || pct > 100) {
		fprintf(stderr, "usage: mkmemmap [--gib N] [--free-percent P] OUT\n");
		return 2;
	}
	fd = open(argv[i], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[i]);
		return 1;
	}
	ram = gib * GiB;
	npages = ram / PAGE;
	memmap_p = ram - npages * SPAGE;	/* the vmemmap's backing */

	snprintf(info, sizeof(info), info_fmt, DIRECT_MAP + ROOTS_P);
	prstatus[32] = 1;			/* pr_pid */
	nlen = note(notes, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	nlen += note(notes + nlen, "VMCOREINFO", 0, info, strlen(info));

	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_NOTE, .p_offset = 0x1000, .p_filesz = nlen },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
		  .p_offset = DATA_OFF, .p_vaddr = DIRECT_MAP, .p_paddr = 0,
		  .p_filesz = ram, .p_memsz = ram },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		  .p_offset = DATA_OFF + memmap_p, .p_vaddr = VMEMMAP,
		  .p_paddr = memmap_p, .p_filesz = npages * SPAGE,
		  .p_memsz = npages * SPAGE },
	};
	put(0, &eh, sizeof(eh));
	put(sizeof(eh), ph, sizeof(ph));
	put(0x1000, notes, nlen);
	if (ftruncate(fd, (off_t)(DATA_OFF + ram)) < 0) {
		perror("mkmemmap: ftruncate");
		return 1;
	}
	nfree = write_memmap(npages, memmap_p, pct);
	close(fd);
	printf("pages %" PRIu64 " free %" PRIu64 "\n", npages, nfree);
	return 0;
}
