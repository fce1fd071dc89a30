/* SPDX-License-Identifier: MIT */
/*
 * mkvmcore: write a SYNTHETIC x86_64 Linux vmcore with known contents.
 *
 * The dump looks like /proc/vmcore saved by cp after a kexec crash: an ELF
 * core file (ELF64, or ELF32 with EM_X86_64 as `kexec --elf32-core-headers`
 * writes) with one PT_NOTE (an NT_PRSTATUS per CPU and a VMCOREINFO note)
 * and PT_LOADs for the kernel image and the RAM ranges.
 *
 * Every 8-byte aligned qword at physical address P holds
 * 0xAB00000000000000 | P, except in page-table pages (real x86_64 entries)
 * and in the init_uts_ns blob.  --expect writes every fact a test needs
 * (see write_expect()).  Standalone on purpose: no libelf, no project
 * headers, so it can check the readers independently.
 *
 * Build: cc -std=gnu11 -O2 -o mkvmcore mkvmcore.c
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ELF structs and memory contents are written straight from host memory. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "mkvmcore writes little-endian dumps from host structs");

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define PAGE_SIZE UINT64_C(4096)

/* Kernel virtual layout (arch/x86/include/asm/page_64_types.h). */
#define START_KERNEL_MAP UINT64_C(0xffffffff80000000)	/* __START_KERNEL_map */
#define KTEXT_BASE	 UINT64_C(0xffffffff81000000)	/* _stext without KASLR */
#define PAGE_OFFSET_L4	 UINT64_C(0xffff888000000000)
#define PAGE_OFFSET_L5	 UINT64_C(0xff11000000000000)
#define VMALLOC_L4	 UINT64_C(0xffffc90000000000)
#define VMALLOC_L5	 UINT64_C(0xffa0000000000000)
#define MODULES_VADDR	 UINT64_C(0xffffffffc0000000)

/* Synthetic machine. */
#define DEFAULT_KASLR	 UINT64_C(0x1c000000)
#define KASLR_ALIGN	 (2 * MiB)
#define KASLR_MAX	 (MODULES_VADDR - KTEXT_BASE - IMAGE_SIZE)
#define KPHYS		 (32 * MiB)	/* kernel image physical load address */
#define IMAGE_SIZE	 (8 * MiB)
#define SWAPPER_OFF	 UINT64_C(0x400000)	/* swapper_pg_dir in the image */
#define UTS_OFF		 UINT64_C(0x10000)	/* init_uts_ns in the image */
#define PT_POOL_BASE	 (24 * MiB)	/* page-table pages, upwards */
#define PT_MAX		 64
#define VMALLOC_PAGES	 16
#define VMALLOC_HOLE	 5		/* vmalloc page left not present */
#define VMALLOC_PHYS_TOP (40 * MiB)	/* pages taken downwards from here */
#define MODULE_PAGES	 4
#define MODULE_PHYS	 (44 * MiB)
#define HOLE_START	 (16 * MiB)	/* crashkernel reservation */
#define HOLE_END	 (20 * MiB)
#define MEM_MIN_MIB	 48		/* module pages end at 44 MiB + 16 KiB */
#define MEM_MAX_MIB	 65536
#define DEFAULT_MEM_MIB	 64
#define PATTERN		 UINT64_C(0xAB00000000000000)
#define CHUNK		 (1 * MiB)	/* write buffer */

/* x86_64 page-table entry bits. */
#define PTE_P	     (UINT64_C(1) << 0)
#define PTE_RW	     (UINT64_C(1) << 1)
#define PTE_A	     (UINT64_C(1) << 5)
#define PTE_D	     (UINT64_C(1) << 6)
#define PTE_PS	     (UINT64_C(1) << 7)
#define PTE_G	     (UINT64_C(1) << 8)
#define PTE_NX	     (UINT64_C(1) << 63)
#define PTE_ADDR     UINT64_C(0x000ffffffffff000)
#define KERNPG_TABLE (PTE_P | PTE_RW | PTE_A | PTE_D)
#define PG_KERNEL    (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_G)
#define PT_ENTRIES   512

/* Notes. */
#define MAX_CPUS	  64
#define PRSTATUS_SIZE	  336	/* struct elf_prstatus, x86_64 */
#define PRSTATUS_PID	  32
#define PRSTATUS_REG	  112
#define NREGS		  27
#define REG_ORIG_RAX	  15
#define REG_RIP		  16
#define REG_CS		  17
#define REG_EFLAGS	  18
#define REG_RSP		  19
#define REG_SS		  20
#define PANIC_PID	  4242
#define RELEASE		  "6.1.0-synthetic-amd64"
#define BUILD_ID	  "c0ffee00deadbeef0123456789abcdef5a5a5a5a"
#define CRASHTIME	  1700000000
#define UTS_LEN		  65	/* __NEW_UTS_LEN + 1 */
#define UTS_KREF	  4	/* offset of new_utsname in uts_namespace */
#define UTS_BLOB	  400	/* 4 + 6 * 65 = 394, rounded up to qwords */

/* Sparse layout. */
#define MAX_SPARSE_SEGS	  (PN_XNUM - 2)	/* + PT_NOTE, below PN_XNUM */
#define DEFAULT_SPARSE_GIB 64

static const char *const reg_names[NREGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9",
	"r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs",
	"eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};

/* Level names by number (1 = pte); the top level is "pgd" (level_name()). */
static const char *const level_names[6] = {
	"?", "pte", "pmd", "pud", "p4d", "pgd",
};

/* RAM ranges as kexec reports them; the last one ends at --mem. */
struct ram_range {
	uint64_t start, end;
};

static const struct ram_range ram_fixed[2] = {
	{ 0x1000, 0x9f000 },
	{ 0x100000, HOLE_START },
};

struct options {
	int elf_class;		/* 32 or 64 */
	int levels;		/* 4 or 5 */
	int cpus;
	int panic_cpu;		/* -1: default */
	uint64_t kaslr;
	uint64_t mem;		/* bytes */
	bool vmcoreinfo;
	bool swapper_sym;
	bool truncate;
	uint64_t truncate_len;
	unsigned sparse_segs;	/* 0: normal layout */
	uint64_t sparse_gib;
	const char *expect_path;
	const char *out_path;
};

struct layout {
	uint64_t page_offset;
	uint64_t vmalloc;
	uint64_t image_vaddr;	/* _stext */
	uint64_t swapper_vaddr, swapper_paddr;
	uint64_t uts_vaddr, uts_paddr;
	int64_t phys_base;
	uint64_t sparse_stride;
};

struct ptpage {
	uint64_t paddr;
	int level;
	uint64_t e[PT_ENTRIES];
};

struct pgtables {
	int levels;
	size_t n;		/* pg[0] is swapper_pg_dir */
	uint64_t next_free;	/* pool allocator */
	struct ptpage pg[PT_MAX];
};

struct mapping {
	uint64_t vaddr, paddr, size;
};

struct unmapped {
	uint64_t vaddr;
	int level;		/* level whose entry is not present */
};

struct segment {
	uint64_t paddr, vaddr, memsz, offset;
	uint64_t content;	/* bytes written (sparse: first page only) */
};

struct strbuf {
	char s[4096];
	size_t len;
	bool overflow;
};

struct gen {
	struct options opt;
	struct layout lay;
	struct pgtables pt;
	struct mapping maps[64];
	size_t nmaps;
	struct unmapped unmaps[16];
	size_t nunmaps;
	struct segment *segs;
	size_t nsegs;
	uint8_t uts[UTS_BLOB];
	struct strbuf vmcoreinfo;
	uint8_t *notes;
	size_t notes_len;
	uint64_t data_start;	/* file offset of the first PT_LOAD data */
	uint64_t file_size;
	uint8_t *buf;		/* CHUNK bytes */
	char err[512];
};

static int fail(struct gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */

static void usage(FILE *f)
{
	fprintf(f,
"usage: mkvmcore [options] OUT\n"
"  --class 32|64        ELF class of the container (default 64)\n"
"  --levels 4|5         x86_64 paging levels (default 4)\n"
"  --cpus N             CPUs / NT_PRSTATUS notes (default 2, max %d)\n"
"  --panic-cpu N        CPU running the crashing task (default 1, 0 if 1 CPU)\n"
"  --kaslr HEX          KERNELOFFSET, 2 MiB aligned (default 0x%" PRIx64 ";\n"
"                       0: no KERNELOFFSET line)\n"
"  --mem MIB            guest RAM in MiB (default %d, %d..%d)\n"
"  --no-vmcoreinfo      omit the VMCOREINFO note\n"
"  --no-swapper         omit SYMBOL(swapper_pg_dir) from VMCOREINFO\n"
"  --truncate BYTES     cut the file to BYTES after writing it\n"
"  --sparse-segments N  big sparse dump: N PT_LOADs over --sparse-gib GiB\n"
"  --sparse-gib G       physical span of the sparse dump (default %d)\n"
"  --expect FILE        write the expectations file\n",
		MAX_CPUS, DEFAULT_KASLR, DEFAULT_MEM_MIB,
		MEM_MIN_MIB, MEM_MAX_MIB, DEFAULT_SPARSE_GIB);
}

static int parse_u64(struct gen *g, const char *opt, const char *s, int base,
		     uint64_t *ret)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return fail(g, "--%s: bad number '%s'", opt, s);
	*ret = strtoull(s, &end, base);
	if (errno || *end)
		return fail(g, "--%s: bad number '%s'", opt, s);
	return 0;
}

static int parse_range(struct gen *g, const char *opt, const char *s,
		       uint64_t lo, uint64_t hi, uint64_t *ret)
{
	if (parse_u64(g, opt, s, 0, ret))
		return -1;
	if (*ret < lo || *ret > hi)
		return fail(g, "--%s: %s is not in %" PRIu64 "..%" PRIu64,
			    opt, s, lo, hi);
	return 0;
}

enum {
	OPT_CLASS = 256, OPT_LEVELS, OPT_CPUS, OPT_PANIC_CPU, OPT_KASLR,
	OPT_MEM, OPT_NO_VMCOREINFO, OPT_NO_SWAPPER, OPT_TRUNCATE,
	OPT_SPARSE_SEGS, OPT_SPARSE_GIB, OPT_EXPECT, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "class", required_argument, NULL, OPT_CLASS },
	{ "levels", required_argument, NULL, OPT_LEVELS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "panic-cpu", required_argument, NULL, OPT_PANIC_CPU },
	{ "kaslr", required_argument, NULL, OPT_KASLR },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "no-vmcoreinfo", no_argument, NULL, OPT_NO_VMCOREINFO },
	{ "no-swapper", no_argument, NULL, OPT_NO_SWAPPER },
	{ "truncate", required_argument, NULL, OPT_TRUNCATE },
	{ "sparse-segments", required_argument, NULL, OPT_SPARSE_SEGS },
	{ "sparse-gib", required_argument, NULL, OPT_SPARSE_GIB },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->elf_class = 64;
	o->levels = 4;
	o->cpus = 2;
	o->panic_cpu = -1;
	o->kaslr = DEFAULT_KASLR;
	o->mem = DEFAULT_MEM_MIB * MiB;
	o->vmcoreinfo = true;
	o->swapper_sym = true;
}

/* One option; returns 0, -1 on error, 1 for --help. */
static int parse_one(struct gen *g, int c, const char *arg, bool *gib_set)
{
	struct options *o = &g->opt;
	uint64_t v;

	switch (c) {
	case OPT_CLASS:
		if (parse_range(g, "class", arg, 32, 64, &v))
			return -1;
		if (v != 32 && v != 64)
			return fail(g, "--class: must be 32 or 64");
		o->elf_class = (int)v;
		return 0;
	case OPT_LEVELS:
		if (parse_range(g, "levels", arg, 4, 5, &v))
			return -1;
		o->levels = (int)v;
		return 0;
	case OPT_CPUS:
		if (parse_range(g, "cpus", arg, 1, MAX_CPUS, &v))
			return -1;
		o->cpus = (int)v;
		return 0;
	case OPT_PANIC_CPU:
		if (parse_range(g, "panic-cpu", arg, 0, MAX_CPUS - 1, &v))
			return -1;
		o->panic_cpu = (int)v;
		return 0;
	case OPT_KASLR:
		if (parse_u64(g, "kaslr", arg, 16, &o->kaslr))
			return -1;
		if (o->kaslr % KASLR_ALIGN || o->kaslr > KASLR_MAX)
			return fail(g, "--kaslr: 0x%" PRIx64 " must be a multiple "
				    "of 2 MiB and at most 0x%" PRIx64, o->kaslr,
				    KASLR_MAX);
		return 0;
	case OPT_MEM:
		if (parse_range(g, "mem", arg, MEM_MIN_MIB, MEM_MAX_MIB, &v))
			return -1;
		o->mem = v * MiB;
		return 0;
	case OPT_NO_VMCOREINFO:
		o->vmcoreinfo = false;
		return 0;
	case OPT_NO_SWAPPER:
		o->swapper_sym = false;
		return 0;
	case OPT_TRUNCATE:
		o->truncate = true;
		return parse_u64(g, "truncate", arg, 0, &o->truncate_len);
	case OPT_SPARSE_SEGS:
		if (parse_range(g, "sparse-segments", arg, 1, MAX_SPARSE_SEGS,
				&v))
			return -1;
		o->sparse_segs = (unsigned)v;
		return 0;
	case OPT_SPARSE_GIB:
		*gib_set = true;
		return parse_range(g, "sparse-gib", arg, 1, 4096,
				   &o->sparse_gib);
	case OPT_EXPECT:
		o->expect_path = arg;
		return 0;
	case OPT_HELP:
		return 1;
	default:
		return fail(g, "bad option (see --help)");
	}
}

static int check_options(struct gen *g, bool gib_set)
{
	struct options *o = &g->opt;

	if (o->panic_cpu < 0)
		o->panic_cpu = o->cpus > 1 ? 1 : 0;
	if (o->panic_cpu >= o->cpus)
		return fail(g, "--panic-cpu %d: only %d CPUs", o->panic_cpu,
			    o->cpus);
	if (gib_set && !o->sparse_segs)
		return fail(g, "--sparse-gib needs --sparse-segments");
	if (!o->sparse_gib)
		o->sparse_gib = DEFAULT_SPARSE_GIB;
	if (o->elf_class == 32 && o->sparse_segs && o->sparse_gib > 4)
		return fail(g, "--class 32: physical addresses must stay "
			    "below 4 GiB (--sparse-gib <= 4)");
	return 0;
}

/* Returns 0, -1 on error, 1 for --help. */
static int parse_args(struct gen *g, int argc, char **argv)
{
	bool gib_set = false;
	int c, r;

	default_options(&g->opt);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h')
			c = OPT_HELP;
		if (c == '?')
			return fail(g, "unknown option or missing argument: %s",
				    argv[optind - 1]);
		r = parse_one(g, c, optarg, &gib_set);
		if (r)
			return r;
	}
	if (optind != argc - 1)
		return fail(g, "expected exactly one output file (see --help)");
	g->opt.out_path = argv[optind];
	return check_options(g, gib_set);
}

/* ------------------------------------------------------------------ */
/* Layout                                                              */

static void compute_layout(struct gen *g)
{
	const struct options *o = &g->opt;
	struct layout *l = &g->lay;

	l->page_offset = o->levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
	l->vmalloc = o->levels == 5 ? VMALLOC_L5 : VMALLOC_L4;
	l->image_vaddr = KTEXT_BASE + o->kaslr;
	l->swapper_vaddr = l->image_vaddr + SWAPPER_OFF;
	l->swapper_paddr = KPHYS + SWAPPER_OFF;
	l->uts_vaddr = l->image_vaddr + UTS_OFF;
	l->uts_paddr = KPHYS + UTS_OFF;
	/* __pa_symbol(_stext) == KPHYS; wraps, printed signed like %ld. */
	l->phys_base = (int64_t)(KPHYS - (KTEXT_BASE - START_KERNEL_MAP) -
				 o->kaslr);
}

/* The value stored in p_vaddr: ELF32 keeps the low 32 bits. */
static uint64_t elf_vaddr(const struct gen *g, uint64_t vaddr)
{
	return g->opt.elf_class == 32 ? (uint32_t)vaddr : vaddr;
}

static void add_segment(struct gen *g, uint64_t paddr, uint64_t vaddr,
			uint64_t size, uint64_t content)
{
	struct segment *s = &g->segs[g->nsegs++];

	s->paddr = paddr;
	s->vaddr = elf_vaddr(g, vaddr);
	s->memsz = size;
	s->content = content;
}

/* File offsets: data page aligned after the headers, in header order. */
static int place_segments(struct gen *g)
{
	size_t phnum = g->nsegs + 1;
	size_t ehsize = g->opt.elf_class == 64 ? sizeof(Elf64_Ehdr)
					       : sizeof(Elf32_Ehdr);
	size_t phsize = g->opt.elf_class == 64 ? sizeof(Elf64_Phdr)
					       : sizeof(Elf32_Phdr);
	uint64_t off;

	off = align_up(ehsize + phnum * phsize + g->notes_len, PAGE_SIZE);
	g->data_start = off;
	for (size_t i = 0; i < g->nsegs; i++) {
		g->segs[i].offset = off;
		off += g->segs[i].memsz;
	}
	g->file_size = off;
	if (g->opt.elf_class == 32 && off > UINT32_MAX)
		return fail(g, "--class 32: the file would be %" PRIu64
			    " bytes, over 4 GiB", off);
	return 0;
}

static int plan_normal(struct gen *g)
{
	uint64_t po = g->lay.page_offset;

	g->segs = calloc(4, sizeof(*g->segs));
	if (!g->segs)
		return fail(g, "out of memory");
	add_segment(g, KPHYS, g->lay.image_vaddr, IMAGE_SIZE, IMAGE_SIZE);
	for (size_t i = 0; i < 2; i++) {
		const struct ram_range *r = &ram_fixed[i];

		add_segment(g, r->start, po + r->start, r->end - r->start,
			    r->end - r->start);
	}
	add_segment(g, HOLE_END, po + HOLE_END, g->opt.mem - HOLE_END,
		    g->opt.mem - HOLE_END);
	return 0;
}

/*
 * N segments over G GiB: segment i at i * stride, stride - 4 KiB long (a
 * one-page gap after each), only its first page written.
 */
static int plan_sparse(struct gen *g)
{
	uint64_t span = g->opt.sparse_gib * GiB;
	uint64_t stride = (span / g->opt.sparse_segs) & ~(PAGE_SIZE - 1);

	if (stride < 2 * PAGE_SIZE)
		return fail(g, "--sparse-segments %u: too many for %" PRIu64
			    " GiB", g->opt.sparse_segs, g->opt.sparse_gib);
	g->lay.sparse_stride = stride;
	g->segs = calloc(g->opt.sparse_segs, sizeof(*g->segs));
	if (!g->segs)
		return fail(g, "out of memory");
	for (uint64_t i = 0; i < g->opt.sparse_segs; i++) {
		uint64_t pa = i * stride;

		add_segment(g, pa, g->lay.page_offset + pa, stride - PAGE_SIZE,
			    PAGE_SIZE);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Page tables                                                         */

static unsigned pt_index(uint64_t vaddr, int level)
{
	return (unsigned)(vaddr >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static uint64_t level_size(int level)
{
	return UINT64_C(1) << (12 + 9 * (level - 1));
}

static const char *level_name(const struct gen *g, int level)
{
	if (level == g->opt.levels)
		return "pgd";
	return level_names[level];
}

static struct ptpage *pt_find(struct pgtables *pt, uint64_t paddr)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->pg[i].paddr == paddr)
			return &pt->pg[i];
	return NULL;
}

static struct ptpage *pt_new(struct gen *g, uint64_t paddr, int level)
{
	struct pgtables *pt = &g->pt;
	struct ptpage *p;

	if (pt->n == PT_MAX) {
		fail(g, "page-table pool exhausted (%d pages)", PT_MAX);
		return NULL;
	}
	p = &pt->pg[pt->n++];
	memset(p, 0, sizeof(*p));
	p->paddr = paddr;
	p->level = level;
	return p;
}

static void pt_init(struct gen *g)
{
	g->pt.levels = g->opt.levels;
	g->pt.n = 0;
	g->pt.next_free = PT_POOL_BASE;
	pt_new(g, g->lay.swapper_paddr, g->opt.levels);
}

/* The table below entry IDX of P, allocated from the pool if absent. */
static struct ptpage *pt_descend(struct gen *g, struct ptpage *p, unsigned idx)
{
	uint64_t e = p->e[idx];
	struct ptpage *next;

	if (e & PTE_P) {
		if (e & PTE_PS) {
			fail(g, "mapping conflict: %s entry %u is a leaf",
			     level_name(g, p->level), idx);
			return NULL;
		}
		next = pt_find(&g->pt, e & PTE_ADDR);
		if (!next)
			fail(g, "%s entry %u points to an unknown table",
			     level_name(g, p->level), idx);
		return next;
	}
	next = pt_new(g, g->pt.next_free, p->level - 1);
	if (!next)
		return NULL;
	g->pt.next_free += PAGE_SIZE;
	p->e[idx] = next->paddr | KERNPG_TABLE;
	return next;
}

/* Map one page of level LEAF (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static int pt_map_one(struct gen *g, uint64_t vaddr, uint64_t paddr, int leaf,
		      uint64_t flags)
{
	struct ptpage *p = &g->pt.pg[0];
	unsigned idx;

	if ((vaddr | paddr) & (level_size(leaf) - 1))
		return fail(g, "unaligned mapping 0x%" PRIx64 " -> 0x%" PRIx64,
			    vaddr, paddr);
	while (p->level > leaf) {
		p = pt_descend(g, p, pt_index(vaddr, p->level));
		if (!p)
			return -1;
	}
	idx = pt_index(vaddr, leaf);
	if (p->e[idx] & PTE_P)
		return fail(g, "mapping conflict at 0x%" PRIx64, vaddr);
	p->e[idx] = paddr | flags | (leaf > 1 ? PTE_PS : 0);
	return 0;
}

/* Map [vaddr, vaddr + size) with LEAF pages and record it for --expect. */
static int pt_map(struct gen *g, uint64_t vaddr, uint64_t paddr,
		  uint64_t size, int leaf, uint64_t flags)
{
	uint64_t step = level_size(leaf);

	for (uint64_t off = 0; off < size; off += step)
		if (pt_map_one(g, vaddr + off, paddr + off, leaf, flags))
			return -1;
	if (g->nmaps == sizeof(g->maps) / sizeof(g->maps[0]))
		return fail(g, "too many mappings");
	g->maps[g->nmaps++] = (struct mapping){ vaddr, paddr, size };
	return 0;
}

/*
 * Walk our own tables.  Returns true with *paddr, or false with *level =
 * the level whose entry is not present.
 */
static bool pt_walk(struct gen *g, uint64_t vaddr, uint64_t *paddr,
		    int *level)
{
	struct ptpage *p = &g->pt.pg[0];

	for (;;) {
		uint64_t e = p->e[pt_index(vaddr, p->level)];
		uint64_t mask = level_size(p->level) - 1;

		if (!(e & PTE_P)) {
			*level = p->level;
			return false;
		}
		if (p->level == 1 || (e & PTE_PS)) {
			*paddr = (e & PTE_ADDR & ~mask) | (vaddr & mask);
			return true;
		}
		p = pt_find(&g->pt, e & PTE_ADDR);
		if (!p) {
			*level = 0;
			return false;
		}
	}
}

static int map_kernel(struct gen *g)
{
	uint64_t gib = align_up(g->opt.mem, GiB);
	uint64_t vbase = g->lay.vmalloc;
	int r = 0;

	/* Kernel image: 2 MiB pages, executable. */
	r |= pt_map(g, g->lay.image_vaddr, KPHYS, IMAGE_SIZE, 2, PG_KERNEL);
	/* Direct map: 1 GiB pages (one for the default RAM sizes). */
	r |= pt_map(g, g->lay.page_offset, 0, gib, 3, PG_KERNEL | PTE_NX);
	/* vmalloc: 4 KiB pages from the top of [.., 40 MiB), one hole. */
	for (uint64_t i = 0; i < VMALLOC_PAGES && !r; i++) {
		if (i == VMALLOC_HOLE)
			continue;
		r |= pt_map(g, vbase + i * PAGE_SIZE,
			    VMALLOC_PHYS_TOP - (i + 1) * PAGE_SIZE, PAGE_SIZE,
			    1, PG_KERNEL | PTE_NX);
	}
	/* Modules: 4 KiB pages, executable. */
	for (uint64_t i = 0; i < MODULE_PAGES && !r; i++)
		r |= pt_map(g, MODULES_VADDR + i * PAGE_SIZE,
			    MODULE_PHYS + i * PAGE_SIZE, PAGE_SIZE, 1,
			    PG_KERNEL);
	return r ? -1 : 0;
}

/* Prove every mapping through our own walker; collect failing addresses. */
static int self_check(struct gen *g)
{
	const struct {
		uint64_t vaddr;
		bool optional;	/* may be mapped for some options */
	} probes[] = {
		{ g->lay.vmalloc + VMALLOC_HOLE * PAGE_SIZE, false },
		{ g->lay.vmalloc + 2 * MiB, false },
		{ g->lay.vmalloc + 1 * GiB, false },
		{ MODULES_VADDR + MODULE_PAGES * PAGE_SIZE, false },
		/* == MODULES_VADDR with the largest KASLR offset */
		{ g->lay.image_vaddr + IMAGE_SIZE, true },
		{ g->lay.page_offset + 512 * GiB, false },	/* p4d (5 levels) */
		{ 0x400000, false },	/* user space: nothing at the top */
	};
	uint64_t pa;
	int level;

	for (size_t i = 0; i < g->nmaps; i++) {
		const struct mapping *m = &g->maps[i];
		uint64_t last = m->size - 8;

		if (!pt_walk(g, m->vaddr, &pa, &level) || pa != m->paddr ||
		    !pt_walk(g, m->vaddr + last, &pa, &level) ||
		    pa != m->paddr + last)
			return fail(g, "self-check: 0x%" PRIx64 " mis-mapped",
				    m->vaddr);
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t va = probes[i].vaddr;

		if (pt_walk(g, va, &pa, &level) && probes[i].optional)
			continue;
		if (pt_walk(g, va, &pa, &level) || level == 0)
			return fail(g, "self-check: 0x%" PRIx64 " is mapped", va);
		g->unmaps[g->nunmaps++] = (struct unmapped){ va, level };
	}
	if (g->pt.next_free > KPHYS)
		return fail(g, "page-table pool overflows into the image");
	return 0;
}

static int build_page_tables(struct gen *g)
{
	pt_init(g);
	if (map_kernel(g))
		return -1;
	return self_check(g);
}

/* ------------------------------------------------------------------ */
/* init_uts_ns, VMCOREINFO and the notes                               */

static void build_uts(struct gen *g)
{
	static const char *const fields[6] = {
		"Linux", "synthetic", RELEASE,
		"#1 SMP PREEMPT_DYNAMIC Tue Nov 14 22:13:20 UTC 2023",
		"x86_64", "(none)",
	};

	memset(g->uts, 0, sizeof(g->uts));
	put_le32(g->uts, 1);	/* kref */
	for (size_t i = 0; i < 6; i++)
		memcpy(g->uts + UTS_KREF + i * UTS_LEN, fields[i],
		       strlen(fields[i]));
}

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room = sizeof(sb->s) - sb->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->s + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		sb->overflow = true;
	else
		sb->len += (size_t)n;
}

/* The lines the kernel writes (kernel/crash_core.c, arch/x86). */
static int build_vmcoreinfo(struct gen *g)
{
	const struct layout *l = &g->lay;
	struct strbuf *sb = &g->vmcoreinfo;
	bool full = !g->opt.sparse_segs;

	sb->len = 0;
	sb_printf(sb, "OSRELEASE=%s\n", RELEASE);
	sb_printf(sb, "BUILD-ID=%s\n", BUILD_ID);
	sb_printf(sb, "PAGESIZE=%" PRIu64 "\n", PAGE_SIZE);
	if (full) {
		sb_printf(sb, "SYMBOL(init_uts_ns)=%" PRIx64 "\n", l->uts_vaddr);
		sb_printf(sb, "OFFSET(uts_namespace.name)=%d\n", UTS_KREF);
	}
	if (full && g->opt.swapper_sym)
		sb_printf(sb, "SYMBOL(swapper_pg_dir)=%" PRIx64 "\n",
			  l->swapper_vaddr);
	sb_printf(sb, "SYMBOL(_stext)=%" PRIx64 "\n", l->image_vaddr);
	sb_printf(sb, "NUMBER(phys_base)=%" PRId64 "\n", l->phys_base);
	sb_printf(sb, "NUMBER(pgtable_l5_enabled)=%d\n",
		  g->opt.levels == 5);
	if (g->opt.kaslr)
		sb_printf(sb, "KERNELOFFSET=%" PRIx64 "\n", g->opt.kaslr);
	sb_printf(sb, "CRASHTIME=%d\n", CRASHTIME);
	if (sb->overflow)
		return fail(g, "VMCOREINFO too long");
	return 0;
}

/*
 * vmalloc + 0x3000 + 0x100 * cpu: page 3 for CPUs 0..15, 4 for 16..31, ...;
 * CPUs 32..47 would land in the unmapped page 5 and get page 7 instead.
 */
static uint64_t cpu_rsp(const struct gen *g, uint64_t c)
{
	uint64_t off = 0x3000 + 0x100 * c;

	if (off / PAGE_SIZE == VMALLOC_HOLE)
		off += 2 * PAGE_SIZE;
	return g->lay.vmalloc + off;
}

static uint64_t reg_value(const struct gen *g, int cpu, int slot)
{
	uint64_t c = (uint64_t)cpu;

	switch (slot) {
	case REG_ORIG_RAX:
		return UINT64_MAX;
	case REG_RIP:
		return g->lay.image_vaddr + 0x1000 * (c + 1);
	case REG_CS:
		return 0x10;
	case REG_EFLAGS:
		return cpu == g->opt.panic_cpu ? 0x46 : 0x246;
	case REG_RSP:
		return cpu_rsp(g, c);
	case REG_SS:
		return 0x18;
	default:
		return 0x1000 * (c + 1) + (uint64_t)slot;
	}
}

static int cpu_pid(const struct gen *g, int cpu)
{
	return cpu == g->opt.panic_cpu ? PANIC_PID : 0;
}

/* One note at P: header, name and desc padded to 4; returns its size. */
static size_t put_note(uint8_t *p, const char *name, uint32_t type,
		       const void *desc, size_t descsz)
{
	size_t namesz = strlen(name) + 1;
	size_t off = sizeof(Elf64_Nhdr);

	/* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words. */
	put_le32(p, (uint32_t)namesz);
	put_le32(p + 4, (uint32_t)descsz);
	put_le32(p + 8, type);
	memcpy(p + off, name, namesz);
	off += align_up(namesz, 4);
	memcpy(p + off, desc, descsz);
	return off + align_up(descsz, 4);
}

static size_t note_size(const char *name, size_t descsz)
{
	return sizeof(Elf64_Nhdr) + align_up(strlen(name) + 1, 4) +
	       align_up(descsz, 4);
}

static void build_prstatus(const struct gen *g, int cpu, uint8_t *pr)
{
	memset(pr, 0, PRSTATUS_SIZE);
	put_le32(pr + PRSTATUS_PID, (uint32_t)cpu_pid(g, cpu));
	for (int k = 0; k < NREGS; k++)
		put_le64(pr + PRSTATUS_REG + 8 * k, reg_value(g, cpu, k));
}

static int build_notes(struct gen *g)
{
	uint8_t pr[PRSTATUS_SIZE];
	size_t len, off = 0;

	len = (size_t)g->opt.cpus * note_size("CORE", PRSTATUS_SIZE);
	if (g->opt.vmcoreinfo)
		len += note_size("VMCOREINFO", g->vmcoreinfo.len);
	g->notes = calloc(1, len);
	if (!g->notes)
		return fail(g, "out of memory");
	for (int c = 0; c < g->opt.cpus; c++) {
		build_prstatus(g, c, pr);
		off += put_note(g->notes + off, "CORE", NT_PRSTATUS, pr,
				sizeof(pr));
	}
	if (g->opt.vmcoreinfo)
		off += put_note(g->notes + off, "VMCOREINFO", 0,
				g->vmcoreinfo.s, g->vmcoreinfo.len);
	g->notes_len = off;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ELF headers                                                         */

static void put_ehdr(const struct gen *g, uint8_t *p, size_t phnum)
{
	unsigned char ident[EI_NIDENT] = {
		ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3,
		g->opt.elf_class == 64 ? ELFCLASS64 : ELFCLASS32,
		ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE,
	};

	if (g->opt.elf_class == 64) {
		Elf64_Ehdr e = {
			.e_type = ET_CORE, .e_machine = EM_X86_64,
			.e_version = EV_CURRENT, .e_phoff = sizeof(e),
			.e_ehsize = sizeof(e), .e_phentsize = sizeof(Elf64_Phdr),
			.e_phnum = (Elf64_Half)phnum,
		};
		memcpy(e.e_ident, ident, EI_NIDENT);
		memcpy(p, &e, sizeof(e));
	} else {
		Elf32_Ehdr e = {
			.e_type = ET_CORE, .e_machine = EM_X86_64,
			.e_version = EV_CURRENT, .e_phoff = sizeof(e),
			.e_ehsize = sizeof(e), .e_phentsize = sizeof(Elf32_Phdr),
			.e_phnum = (Elf32_Half)phnum,
		};
		memcpy(e.e_ident, ident, EI_NIDENT);
		memcpy(p, &e, sizeof(e));
	}
}

/* A program header at P, from its 64-bit description; returns its size. */
static size_t put_phdr(const struct gen *g, uint8_t *p, const Elf64_Phdr *ph)
{
	if (g->opt.elf_class == 64) {
		memcpy(p, ph, sizeof(*ph));
		return sizeof(*ph);
	}
	Elf32_Phdr h = {
		.p_type = ph->p_type, .p_offset = (Elf32_Off)ph->p_offset,
		.p_vaddr = (Elf32_Addr)ph->p_vaddr,
		.p_paddr = (Elf32_Addr)ph->p_paddr,
		.p_filesz = (Elf32_Word)ph->p_filesz,
		.p_memsz = (Elf32_Word)ph->p_memsz, .p_flags = ph->p_flags,
		.p_align = (Elf32_Word)ph->p_align,
	};
	memcpy(p, &h, sizeof(h));
	return sizeof(h);
}

/* ELF header, program headers and notes, in a zeroed DATA_START buffer. */
static uint8_t *build_headers(struct gen *g)
{
	size_t ehsize = g->opt.elf_class == 64 ? sizeof(Elf64_Ehdr)
					       : sizeof(Elf32_Ehdr);
	size_t phnum = g->nsegs + 1;
	size_t off = ehsize;
	uint8_t *h = calloc(1, g->data_start);
	Elf64_Phdr ph;

	if (!h) {
		fail(g, "out of memory");
		return NULL;
	}
	put_ehdr(g, h, phnum);
	/* Like kexec: the notes follow the program headers. */
	ph = (Elf64_Phdr){
		.p_type = PT_NOTE,
		.p_offset = ehsize + phnum * (g->opt.elf_class == 64 ?
				sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)),
		.p_filesz = g->notes_len, .p_memsz = g->notes_len,
	};
	memcpy(h + ph.p_offset, g->notes, g->notes_len);
	off += put_phdr(g, h + off, &ph);
	for (size_t i = 0; i < g->nsegs; i++) {
		const struct segment *s = &g->segs[i];

		ph = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			.p_offset = s->offset, .p_vaddr = s->vaddr,
			.p_paddr = s->paddr, .p_filesz = s->memsz,
			.p_memsz = s->memsz,
		};
		off += put_phdr(g, h + off, &ph);
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Memory contents                                                     */

/* Copy the part of [src_pa, src_pa + len) that falls in the buffer. */
static void overlay(uint8_t *buf, uint64_t pa, uint64_t n, uint64_t src_pa,
		    const void *src, uint64_t len)
{
	uint64_t lo = src_pa > pa ? src_pa : pa;
	uint64_t hi = src_pa + len < pa + n ? src_pa + len : pa + n;

	if (lo < hi)
		memcpy(buf + (lo - pa), (const uint8_t *)src + (lo - src_pa),
		       hi - lo);
}

/* The bytes of physical [pa, pa + n); pa and n are multiples of 8. */
static void fill_phys(const struct gen *g, uint8_t *buf, uint64_t pa,
		      uint64_t n)
{
	for (uint64_t i = 0; i < n; i += 8)
		put_le64(buf + i, PATTERN | (pa + i));
	if (g->opt.sparse_segs)
		return;
	for (size_t i = 0; i < g->pt.n; i++)
		overlay(buf, pa, n, g->pt.pg[i].paddr, g->pt.pg[i].e,
			PAGE_SIZE);
	overlay(buf, pa, n, g->lay.uts_paddr, g->uts, sizeof(g->uts));
}

static int pwrite_all(struct gen *g, int fd, const void *buf, size_t len,
		      uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(g, "%s: write: %s", g->opt.out_path,
				    n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_segment(struct gen *g, int fd, const struct segment *s)
{
	for (uint64_t done = 0; done < s->content; done += CHUNK) {
		uint64_t n = s->content - done < CHUNK ? s->content - done
						       : CHUNK;

		fill_phys(g, g->buf, s->paddr + done, n);
		if (pwrite_all(g, fd, g->buf, n, s->offset + done))
			return -1;
	}
	return 0;
}

static int write_dump(struct gen *g)
{
	uint8_t *hdr = build_headers(g);
	int fd, r = -1;

	if (!hdr)
		return -1;
	fd = open(g->opt.out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		free(hdr);
		return fail(g, "%s: %s", g->opt.out_path, strerror(errno));
	}
	if (pwrite_all(g, fd, hdr, g->data_start, 0))
		goto out;
	for (size_t i = 0; i < g->nsegs; i++)
		if (write_segment(g, fd, &g->segs[i]))
			goto out;
	/* Sparse dumps: the unwritten rest becomes a hole. */
	if (ftruncate(fd, (off_t)g->file_size) ||
	    (g->opt.truncate && ftruncate(fd, (off_t)g->opt.truncate_len))) {
		fail(g, "%s: ftruncate: %s", g->opt.out_path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(hdr);
	if (close(fd) && !r)
		r = fail(g, "%s: close: %s", g->opt.out_path, strerror(errno));
	return r;
}

/* ------------------------------------------------------------------ */
/* Expectations file                                                   */

static void expect_header(const struct gen *g, FILE *f)
{
	const struct options *o = &g->opt;
	const struct layout *l = &g->lay;

	fprintf(f, "# mkvmcore expectations: KEY VALUES..., one fact per "
		   "line; numbers 0x-hex or signed decimal\n");
	fprintf(f, "layout %s\n", o->sparse_segs ? "sparse" : "normal");
	fprintf(f, "class %d\n", o->elf_class);
	fprintf(f, "kaslr 0x%" PRIx64 "\n", o->kaslr);
	fprintf(f, "phys_base %" PRId64 "\n", l->phys_base);
	fprintf(f, "levels %d\n", o->levels);
	fprintf(f, "page_offset 0x%" PRIx64 "\n", l->page_offset);
	fprintf(f, "vmalloc 0x%" PRIx64 "\n", l->vmalloc);
	fprintf(f, "modules 0x%" PRIx64 "\n", MODULES_VADDR);
	fprintf(f, "stext 0x%" PRIx64 "\n", l->image_vaddr);
	fprintf(f, "kernel_phys 0x%" PRIx64 "\n", KPHYS);
	if (!o->sparse_segs) {
		fprintf(f, "swapper_pg_dir 0x%" PRIx64 "\n", l->swapper_vaddr);
		fprintf(f, "swapper_pg_dir_phys 0x%" PRIx64 "\n",
			l->swapper_paddr);
		fprintf(f, "init_uts_ns 0x%" PRIx64 "\n", l->uts_vaddr);
		fprintf(f, "mem 0x%" PRIx64 "\n", o->mem);
	}
	fprintf(f, "vmcoreinfo %s\n", o->vmcoreinfo ? "yes" : "no");
	fprintf(f, "swapper_symbol %s\n",
		o->vmcoreinfo && o->swapper_sym && !o->sparse_segs ? "yes"
								   : "no");
	fprintf(f, "release %s\n", RELEASE);
	fprintf(f, "build_id %s\n", BUILD_ID);
	fprintf(f, "crashtime %d\n", CRASHTIME);
	fprintf(f, "pattern 0x%" PRIx64 "\n", PATTERN);
	fprintf(f, "file_size %" PRIu64 "\n", g->file_size);
	if (o->truncate)
		fprintf(f, "truncate %" PRIu64 "\n", o->truncate_len);
}

static void expect_cpus(const struct gen *g, FILE *f)
{
	fprintf(f, "cpus %d\npanic_cpu %d\n", g->opt.cpus, g->opt.panic_cpu);
	fprintf(f, "# cpu INDEX PID RIP RSP\n");
	for (int c = 0; c < g->opt.cpus; c++)
		fprintf(f, "cpu %d %d 0x%" PRIx64 " 0x%" PRIx64 "\n", c,
			cpu_pid(g, c), reg_value(g, c, REG_RIP),
			reg_value(g, c, REG_RSP));
	fprintf(f, "# reg CPU NAME VALUE (user_regs_struct order)\n");
	for (int c = 0; c < g->opt.cpus; c++)
		for (int k = 0; k < NREGS; k++)
			fprintf(f, "reg %d %s 0x%" PRIx64 "\n", c,
				reg_names[k], reg_value(g, c, k));
}

static void expect_segments(const struct gen *g, FILE *f)
{
	fprintf(f, "# segment PADDR VADDR MEMSZ FILESZ (file order; VADDR "
		   "as stored, ELF32 keeps the low 32 bits)\n");
	for (size_t i = 0; i < g->nsegs; i++) {
		const struct segment *s = &g->segs[i];

		fprintf(f, "segment 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			" 0x%" PRIx64 "\n", s->paddr, s->vaddr, s->memsz,
			s->memsz);
	}
}

static void expect_normal(const struct gen *g, FILE *f)
{
	fprintf(f, "# map VADDR PADDR SIZE: translation through the page "
		   "tables (data only where a segment holds PADDR)\n");
	for (size_t i = 0; i < g->nmaps; i++)
		fprintf(f, "map 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
			g->maps[i].vaddr, g->maps[i].paddr, g->maps[i].size);
	fprintf(f, "# unmapped VADDR LEVEL: the entry not present\n");
	for (size_t i = 0; i < g->nunmaps; i++)
		fprintf(f, "unmapped 0x%" PRIx64 " %s\n", g->unmaps[i].vaddr,
			level_name(g, g->unmaps[i].level));
	fprintf(f, "# nodump PADDR: not in any PT_LOAD\n");
	fprintf(f, "nodump 0x0\nnodump 0x9f000\nnodump 0xa0000\n");
	fprintf(f, "nodump 0x%" PRIx64 "\n", HOLE_START + 0x1000);
	fprintf(f, "nodump 0x%" PRIx64 "\n", g->opt.mem);
	fprintf(f, "nodump 0x%" PRIx64 "\n", g->opt.mem + 0x1000);
	fprintf(f, "# nopattern PADDR SIZE WHAT: not the 0xab.. pattern\n");
	for (size_t i = 0; i < g->pt.n; i++)
		fprintf(f, "nopattern 0x%" PRIx64 " 0x%" PRIx64 " pagetable-%s\n",
			g->pt.pg[i].paddr, PAGE_SIZE,
			level_name(g, g->pt.pg[i].level));
	fprintf(f, "nopattern 0x%" PRIx64 " 0x%zx init_uts_ns\n",
		g->lay.uts_paddr, sizeof(g->uts));
}

static void expect_sparse(const struct gen *g, FILE *f)
{
	uint64_t stride = g->lay.sparse_stride;

	fprintf(f, "sparse_stride 0x%" PRIx64 "\n", stride);
	fprintf(f, "# map VADDR PADDR SIZE: through PT_LOAD p_vaddr only "
		   "(no page tables in sparse dumps; none for ELF32, whose "
		   "p_vaddr is truncated)\n");
	for (size_t i = 0; i < g->nsegs && g->opt.elf_class == 64; i++)
		fprintf(f, "map 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "\n",
			g->lay.page_offset + g->segs[i].paddr,
			g->segs[i].paddr, PAGE_SIZE);
	fprintf(f, "# zero PADDR SIZE: in the dump, reads as zeros\n");
	for (size_t i = 0; i < g->nsegs; i++)
		fprintf(f, "zero 0x%" PRIx64 " 0x%" PRIx64 "\n",
			g->segs[i].paddr + PAGE_SIZE,
			g->segs[i].memsz - PAGE_SIZE);
	fprintf(f, "# nodump PADDR: the page after each segment\n");
	for (size_t i = 0; i < g->nsegs; i++)
		fprintf(f, "nodump 0x%" PRIx64 "\n",
			g->segs[i].paddr + stride - PAGE_SIZE);
	fprintf(f, "nodump 0x%" PRIx64 "\n", g->nsegs * stride);
}

static int write_expect(struct gen *g)
{
	FILE *f = fopen(g->opt.expect_path, "w");

	if (!f)
		return fail(g, "%s: %s", g->opt.expect_path, strerror(errno));
	expect_header(g, f);
	expect_cpus(g, f);
	expect_segments(g, f);
	if (g->opt.sparse_segs)
		expect_sparse(g, f);
	else
		expect_normal(g, f);
	if (ferror(f) | fclose(f))
		return fail(g, "%s: write error", g->opt.expect_path);
	return 0;
}

/* ------------------------------------------------------------------ */

static int generate(struct gen *g)
{
	compute_layout(g);
	if (g->opt.sparse_segs) {
		if (plan_sparse(g))
			return -1;
	} else {
		if (plan_normal(g) || build_page_tables(g))
			return -1;
		build_uts(g);
	}
	if (build_vmcoreinfo(g) || build_notes(g) || place_segments(g))
		return -1;
	if (g->opt.truncate && g->opt.truncate_len > g->file_size)
		return fail(g, "--truncate %" PRIu64 ": the file is only %"
			    PRIu64 " bytes", g->opt.truncate_len,
			    g->file_size);
	g->buf = malloc(CHUNK);
	if (!g->buf)
		return fail(g, "out of memory");
	if (write_dump(g))
		return -1;
	return g->opt.expect_path ? write_expect(g) : 0;
}

static void gen_free(struct gen *g)
{
	free(g->segs);
	free(g->notes);
	free(g->buf);
	free(g);
}

int main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof(*g));
	int r;

	if (!g) {
		fprintf(stderr, "mkvmcore: out of memory\n");
		return 1;
	}
	r = parse_args(g, argc, argv);
	if (r) {
		if (r > 0)
			usage(stdout);
		else
			fprintf(stderr, "mkvmcore: %s\n", g->err);
		gen_free(g);
		return r > 0 ? 0 : 2;
	}
	r = generate(g);
	if (r)
		fprintf(stderr, "mkvmcore: %s\n", g->err);
	gen_free(g);
	return r ? 1 : 0;
}
