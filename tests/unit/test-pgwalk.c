/* SPDX-License-Identifier: MIT */
/*
 * Data-driven page-table walks, in the style of libkdumpfile's
 * tests/addrxlat-x86_64-4l: each tests/unit/pgwalk/NAME.data lists
 * VMCOREINFO lines and physical memory; this program writes them out as
 * a vmcore (ELF64 x86_64 unless the file says otherwise; one PT_LOAD per
 * touched 4 KiB page, p_vaddr 0, plus a PT_NOTE with VMCOREINFO and one
 * NT_PRSTATUS of the architecture's size), opens it with
 * vmcore_open() and checks the expectations of the file with
 * vmcore_pgwalk(), vmcore_vtop() and vmcore_read_virt().
 *
 * Every expectation is checked three times: in file order, again (now
 * through the translation cache) and in reverse order.
 *
 * File format, one directive per line, '#' starts a comment, numbers in
 * C syntax (0x... hex); SIZE is 4k, 2m, 1g or a number:
 *
 *   core CLASS MACHINE        the container, before any memory: CLASS
 *                             elf32 or elf64, MACHINE a uname machine
 *                             (x86_64, i386, aarch64...); default
 *                             elf64 x86_64
 *   vmcoreinfo KEY=VALUE      a line of the VMCOREINFO note
 *   mem PADDR VALUE           a little-endian qword of physical memory
 *   mem32 PADDR VALUE         a little-endian 32-bit word of it
 *   segment PADDR VADDR SIZE  a zero-filled PT_LOAD with a virtual address
 *                             (what translation falls back to)
 *   translation TEXT          vmcore_translation() contains TEXT
 *   nopgt                     no page tables (vmcore_pgt() is NULL)
 *   map VADDR PADDR SIZE      the walk ends in a leaf of SIZE at PADDR;
 *                             vtop agrees, also for the leaf's first and
 *                             last byte
 *   fault VADDR LEVEL         not present at LEVEL (pte pmd pud p4d pgd):
 *                             VMC_ERR_FAULT naming the level; vtop fails
 *   noncanonical VADDR        rejected before any table is read
 *   missing VADDR LEVEL       the LEVEL table is not in the dump: the walk
 *                             fails reading it (table_unreadable)
 *   vtop VADDR PADDR          vmcore_vtop() only (e.g. PT_LOAD fallback)
 *   novtop VADDR              vmcore_vtop() fails cleanly
 *   read VADDR VALUE          vmcore_read_virt() of 8 bytes
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../libvmcore/pgwalk.h"
#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

enum kind { K_MAP, K_FAULT, K_NONCANON, K_MISSING, K_VTOP, K_NOVTOP,
	    K_READ, K_TRANSLATION, K_NOPGT };

struct expect {
	enum kind kind;
	int line;
	uint64_t vaddr, paddr, size, value;
	char text[128];		/* level name or translation text */
};

struct datafile {
	char path[700];
	struct cf cf;
	struct strbuf_lite { char *s; size_t len; } vmcoreinfo;
	struct expect *ex;
	size_t nex;
	bool parse_ok;
	bool have_memory;	/* "core" must come before memory */
};

/* CHECK with the data file's name and line in front of the message. */
#define DCHECK(df, e, cond, fmt, ...)					\
	CHECK(cond, "%s:%d: " fmt, (df)->path, (e)->line, ##__VA_ARGS__)

static bool parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (end == s || errno)
		return false;
	if (*end == 'k' || *end == 'K')
		*v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		*v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		*v <<= 30, end++;
	return *end == '\0';
}

static void add_vmcoreinfo(struct datafile *df, const char *line)
{
	size_t n = strlen(line);

	df->vmcoreinfo.s = unit_xrealloc(df->vmcoreinfo.s,
					 df->vmcoreinfo.len + n + 2);
	memcpy(df->vmcoreinfo.s + df->vmcoreinfo.len, line, n);
	df->vmcoreinfo.len += n;
	df->vmcoreinfo.s[df->vmcoreinfo.len++] = '\n';
	df->vmcoreinfo.s[df->vmcoreinfo.len] = '\0';
}

static struct expect *new_expect(struct datafile *df, enum kind k, int line)
{
	struct expect *e;

	df->ex = unit_xrealloc(df->ex, (df->nex + 1) * sizeof(*df->ex));
	e = &df->ex[df->nex++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->line = line;
	return e;
}

/* "core CLASS MACHINE": start over with that container. */
static bool parse_core(struct datafile *df, const char *cls,
		       const char *machine)
{
	int elfclass = !strcmp(cls, "elf32") ? ELFCLASS32 :
		       !strcmp(cls, "elf64") ? ELFCLASS64 : ELFCLASSNONE;
	const struct arch *a = arch_from_name(machine);

	if (df->have_memory || elfclass == ELFCLASSNONE || !a)
		return false;
	cf_deinit(&df->cf);
	cf_init(&df->cf, elfclass, a->e_machine);
	return true;
}

/* One directive; false on a syntax error. */
static bool parse_line(struct datafile *df, char *line, int lineno)
{
	char *w[5] = { 0 };
	size_t nw = 0;
	char *save = NULL, *rest;
	struct expect *e;
	uint64_t a, b, c;

	rest = line + strspn(line, " \t");
	for (char *t = strtok_r(line, " \t", &save); t && nw < 5;
	     t = strtok_r(NULL, " \t", &save))
		w[nw++] = t;
	if (nw == 0)
		return true;
	if (!strcmp(w[0], "core") && nw == 3) {
		return parse_core(df, w[1], w[2]);
	} else if (!strcmp(w[0], "vmcoreinfo") && nw == 2) {
		add_vmcoreinfo(df, w[1]);
	} else if (!strcmp(w[0], "mem") && nw == 3 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b)) {
		cf_poke64(&df->cf, a, b);
		df->have_memory = true;
	} else if (!strcmp(w[0], "mem32") && nw == 3 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b) && b <= UINT32_MAX) {
		cf_put(cf_phys(&df->cf, a), b, 4, false);
		df->have_memory = true;
	} else if (!strcmp(w[0], "segment") && nw == 4 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b) && parse_num(w[3], &c)) {
		cf_load(&df->cf, a, b, c, c);
		df->have_memory = true;
	} else if (!strcmp(w[0], "translation") && nw >= 2) {
		e = new_expect(df, K_TRANSLATION, lineno);
		snprintf(e->text, sizeof(e->text), "%s",
			 rest + strlen("translation") + 1);
	} else if (!strcmp(w[0], "nopgt") && nw == 1) {
		new_expect(df, K_NOPGT, lineno);
	} else if (!strcmp(w[0], "map") && nw == 4 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b) && parse_num(w[3], &c)) {
		e = new_expect(df, K_MAP, lineno);
		e->vaddr = a, e->paddr = b, e->size = c;
	} else if ((!strcmp(w[0], "fault") || !strcmp(w[0], "missing")) &&
		   nw == 3 && parse_num(w[1], &a)) {
		e = new_expect(df, w[0][0] == 'f' ? K_FAULT : K_MISSING,
			       lineno);
		e->vaddr = a;
		snprintf(e->text, sizeof(e->text), "%s", w[2]);
	} else if (!strcmp(w[0], "noncanonical") && nw == 2 &&
		   parse_num(w[1], &a)) {
		new_expect(df, K_NONCANON, lineno)->vaddr = a;
	} else if (!strcmp(w[0], "vtop") && nw == 3 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b)) {
		e = new_expect(df, K_VTOP, lineno);
		e->vaddr = a, e->paddr = b;
	} else if (!strcmp(w[0], "novtop") && nw == 2 && parse_num(w[1], &a)) {
		new_expect(df, K_NOVTOP, lineno)->vaddr = a;
	} else if (!strcmp(w[0], "read") && nw == 3 && parse_num(w[1], &a) &&
		   parse_num(w[2], &b)) {
		e = new_expect(df, K_READ, lineno);
		e->vaddr = a, e->value = b;
	} else {
		return false;
	}
	return true;
}

static bool load_datafile(struct datafile *df, const char *path)
{
	char line[512];
	int lineno = 0;
	FILE *f = fopen(path, "r");

	memset(df, 0, sizeof(*df));
	snprintf(df->path, sizeof(df->path), "%s", path);
	cf_init(&df->cf, ELFCLASS64, EM_X86_64);
	if (!CHECK(f, "%s: %s", path, strerror(errno)))
		return false;
	df->parse_ok = true;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		if (!parse_line(df, line, lineno)) {
			CHECK(0, "%s:%d: bad directive", path, lineno);
			df->parse_ok = false;
		}
	}
	fclose(f);
	CHECK(df->nex > 0, "%s: no expectations", path);
	return df->parse_ok;
}

static void free_datafile(struct datafile *df)
{
	cf_deinit(&df->cf);
	free(df->vmcoreinfo.s);
	free(df->ex);
}

/* Index of the level called NAME, or -1. */
static int level_index(const struct vmc_pgt *pgt, const char *name)
{
	for (unsigned i = 0; i < pgt->nlevels; i++) {
		if (!strcmp(pgt->levels[i].name, name))
			return (int)i;
	}
	return -1;
}

static void check_map(struct datafile *df, struct vmcore *vc,
		      const struct expect *e)
{
	const struct vmc_pgt *pgt = vmcore_pgt(vc);
	struct vmc_walk walk;
	struct vmc_error *err;
	uint64_t pa = 0, first, last;

	if (!DCHECK(df, e, pgt, "no page tables"))
		return;
	err = vmcore_pgwalk(vc, e->vaddr, &walk);
	if (!DCHECK(df, e, !err, "walk of 0x%" PRIx64 ": %s", e->vaddr,
		    err ? err->message : "")) {
		vmc_error_destroy(err);
		return;
	}
	DCHECK(df, e, walk.ok && walk.paddr == e->paddr &&
	       walk.page_size == e->size, "walk of 0x%" PRIx64 " gives "
	       "0x%" PRIx64 " (page 0x%" PRIx64 "), want 0x%" PRIx64
	       " (page 0x%" PRIx64 ")", e->vaddr, walk.paddr, walk.page_size,
	       e->paddr, e->size);
	DCHECK(df, e, walk.vaddr == e->vaddr, "");
	/* One step per level down to the leaf's, each one level lower. */
	for (unsigned i = 0; i < walk.nsteps; i++)
		DCHECK(df, e, walk.steps[i].level == pgt->nlevels - 1 - i,
		       "step %u is level %u", i, walk.steps[i].level);
	if (walk.nsteps > 0) {
		const struct vmc_pgt_level *l =
			&pgt->levels[walk.steps[walk.nsteps - 1].level];

		DCHECK(df, e, (UINT64_C(1) << l->shift) == e->size,
		       "leaf at level %s", l->name);
	}
	err = vmcore_vtop(vc, e->vaddr, &pa);
	DCHECK(df, e, !err && pa == e->paddr, "vtop 0x%" PRIx64 ": 0x%"
	       PRIx64 " %s", e->vaddr, pa, err ? err->message : "");
	vmc_error_destroy(err);
	/* The whole leaf maps linearly. */
	first = e->vaddr & ~(e->size - 1);
	last = first + e->size - 1;
	err = vmcore_vtop(vc, first, &pa);
	DCHECK(df, e, !err && pa == (e->paddr & ~(e->size - 1)),
	       "vtop of leaf start 0x%" PRIx64 ": 0x%" PRIx64, first, pa);
	vmc_error_destroy(err);
	err = vmcore_vtop(vc, last, &pa);
	DCHECK(df, e, !err && pa == (e->paddr | (e->size - 1)),
	       "vtop of leaf end 0x%" PRIx64 ": 0x%" PRIx64, last, pa);
	vmc_error_destroy(err);
}

static void check_not_mapped(struct datafile *df, struct vmcore *vc,
			     const struct expect *e)
{
	const struct vmc_pgt *pgt = vmcore_pgt(vc);
	struct vmc_walk walk;
	struct vmc_error *err;
	char needle[160];
	uint64_t pa = 0x5a5a;
	int li;

	if (!DCHECK(df, e, pgt, "no page tables"))
		return;
	li = level_index(pgt, e->text);
	if (e->kind != K_NONCANON &&
	    !DCHECK(df, e, li >= 0, "no level \"%s\"", e->text))
		return;
	err = vmcore_pgwalk(vc, e->vaddr, &walk);
	if (!DCHECK(df, e, err, "0x%" PRIx64 " maps to 0x%" PRIx64, e->vaddr,
		    walk.paddr))
		return;
	DCHECK(df, e, !walk.ok, "");
	if (e->kind == K_NONCANON) {
		DCHECK(df, e, err->code == VMC_ERR_FAULT &&
		       strstr(err->message, "canonical"), "%s", err->message);
		DCHECK(df, e, walk.nsteps == 0, "%u steps", walk.nsteps);
	} else if (e->kind == K_FAULT) {
		snprintf(needle, sizeof(needle), " %s entry ", e->text);
		DCHECK(df, e, err->code == VMC_ERR_FAULT &&
		       strstr(err->message, needle) &&
		       strstr(err->message, "not present"),
		       "code %d: %s", err->code, err->message);
		DCHECK(df, e, !walk.table_unreadable, "");
		DCHECK(df, e, walk.nsteps == pgt->nlevels - (unsigned)li,
		       "%u steps", walk.nsteps);
	} else {
		snprintf(needle, sizeof(needle), "reading %s entry", e->text);
		DCHECK(df, e, strstr(err->message, needle), "%s",
		       err->message);
		DCHECK(df, e, walk.table_unreadable, "");
		DCHECK(df, e, walk.nsteps == pgt->nlevels - (unsigned)li,
		       "%u steps", walk.nsteps);
	}
	vmc_error_destroy(err);
	if (e->kind == K_MISSING)
		return;		/* vtop may fall back: see vtop/novtop */
	err = vmcore_vtop(vc, e->vaddr, &pa);
	DCHECK(df, e, err, "vtop 0x%" PRIx64 " gave 0x%" PRIx64, e->vaddr, pa);
	vmc_error_destroy(err);
}

static void check_one(struct datafile *df, struct vmcore *vc,
		      const struct expect *e)
{
	struct vmc_error *err;
	uint64_t pa = 0;
	uint8_t buf[8];
	size_t done = 99;

	switch (e->kind) {
	case K_MAP:
		check_map(df, vc, e);
		break;
	case K_FAULT:
	case K_NONCANON:
	case K_MISSING:
		check_not_mapped(df, vc, e);
		break;
	case K_VTOP:
		err = vmcore_vtop(vc, e->vaddr, &pa);
		DCHECK(df, e, !err && pa == e->paddr, "vtop 0x%" PRIx64 ": 0x%"
		       PRIx64 " %s", e->vaddr, pa, err ? err->message : "");
		vmc_error_destroy(err);
		break;
	case K_NOVTOP:
		err = vmcore_vtop(vc, e->vaddr, &pa);
		DCHECK(df, e, err, "vtop 0x%" PRIx64 " gave 0x%" PRIx64,
		       e->vaddr, pa);
		vmc_error_destroy(err);
		break;
	case K_READ:
		err = vmcore_read_virt(vc, e->vaddr, buf, 8, &done);
		pa = 0;
		for (int i = 7; i >= 0; i--)
			pa = pa << 8 | buf[i];
		DCHECK(df, e, !err && done == 8 && pa == e->value,
		       "read 0x%" PRIx64 ": 0x%" PRIx64 " (%zu bytes) %s",
		       e->vaddr, pa, done, err ? err->message : "");
		vmc_error_destroy(err);
		break;
	case K_TRANSLATION:
		DCHECK(df, e, strstr(vmcore_translation(vc), e->text),
		       "translation is \"%s\"", vmcore_translation(vc));
		break;
	case K_NOPGT: {
		struct vmc_walk walk;

		DCHECK(df, e, vmcore_pgt(vc) == NULL, "");
		err = vmcore_pgwalk(vc, 0xffffffff81000000, &walk);
		DCHECK(df, e, err && err->code == VMC_ERR_NOT_FOUND, "");
		vmc_error_destroy(err);
		break;
	}
	}
}

/* One CPU note (pid 1, zero registers) in the dump's architecture. */
static void add_cpu(struct cf *cf)
{
	const struct arch *a = arch_from_machine(cf->machine);
	uint64_t regs[CF_X86_NREGS] = { 0 };
	uint8_t prs[1024], reg[512] = { 0 };

	if (cf->machine == EM_X86_64 || !a ||
	    !CHECK(a->prstatus.size <= sizeof(prs) &&
		   a->prstatus.reg_size <= sizeof(reg), "%s prstatus",
		   a->name)) {
		cf_x86_cpu(cf, 1, regs);
		return;
	}
	cf_prstatus(prs, a->prstatus.size, a->prstatus.pid_offset,
		    a->prstatus.reg_offset, a->big_endian, 1, reg,
		    a->prstatus.reg_size);
	cf_note(cf, "CORE", NT_PRSTATUS, prs, a->prstatus.size);
}

/* With VMC_SAVE_DUMPS=DIR, keep each dump as DIR/NAME (without .data):
 * how the fuzz seeds tests/fuzz/corpus/vmcore/i386-* were made. */
static void save_image(const char *name, const struct cf_image *img)
{
	const char *dir = getenv("VMC_SAVE_DUMPS");
	char path[700];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%.*s", dir,
		 (int)(strlen(name) - strlen(".data")), name);
	f = fopen(path, "wb");
	if (CHECK(f, "%s: %s", path, strerror(errno))) {
		CHECK(fwrite(img->data, 1, img->len, f) == img->len, "%s", path);
		fclose(f);
	}
}

static void run_datafile(const char *name)
{
	struct datafile df;
	struct cf_image img;
	struct vmcore *vc = NULL;
	char path[600], tmp[256];

	snprintf(path, sizeof(path), "%s/tests/unit/pgwalk/%s", unit_srcdir(),
		 name);
	if (!load_datafile(&df, path)) {
		free_datafile(&df);
		return;
	}
	if (df.vmcoreinfo.s)
		cf_vmcoreinfo(&df.cf, df.vmcoreinfo.s);
	add_cpu(&df.cf);
	cf_build(&df.cf, &img);
	save_image(name, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, tmp, sizeof(tmp))) &&
	    CHECK_OK(vmcore_open(tmp, &vc))) {
		for (int pass = 0; pass < 3; pass++) {
			for (size_t i = 0; i < df.nex; i++)
				check_one(&df, vc,
					  &df.ex[pass < 2 ? i : df.nex - 1 - i]);
		}
		vmcore_close(vc);
	}
	unlink(tmp);
	cf_image_free(&img);
	free_datafile(&df);
}

TEST(x86_64_4l) { run_datafile("x86_64-4l.data"); }
TEST(x86_64_5l) { run_datafile("x86_64-5l.data"); }
TEST(x86_64_sme) { run_datafile("x86_64-sme.data"); }
TEST(x86_64_nosme) { run_datafile("x86_64-nosme.data"); }
TEST(x86_64_noroot) { run_datafile("x86_64-noroot.data"); }
TEST(i386_2l) { run_datafile("i386-2l.data"); }
TEST(i386_pae) { run_datafile("i386-pae.data"); }
TEST(i386_pae_elf32) { run_datafile("i386-pae-elf32.data"); }
TEST(i386_vmsplit_1g) { run_datafile("i386-vmsplit-1g.data"); }
TEST(i386_noroot) { run_datafile("i386-noroot.data"); }

/* Any other data file is run too, so adding one needs no C change. */
TEST(other_datafiles)
{
	static const char *const known[] = {
		"x86_64-4l.data", "x86_64-5l.data", "x86_64-sme.data",
		"x86_64-nosme.data", "x86_64-noroot.data",
		"i386-2l.data", "i386-pae.data", "i386-pae-elf32.data",
		"i386-vmsplit-1g.data", "i386-noroot.data",
	};
	const int nknown = (int)(sizeof(known) / sizeof(*known));
	char dir[512];
	struct dirent **names;
	int n, ran = 0, seen = 0;

	snprintf(dir, sizeof(dir), "%s/tests/unit/pgwalk", unit_srcdir());
	n = scandir(dir, &names, NULL, alphasort);
	if (!CHECK(n >= 0, "%s: %s (set VMC_SRCDIR to the source tree)", dir,
		   strerror(errno)))
		return;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		bool is_known = false;

		if (len > 5 && !strcmp(nm + len - 5, ".data")) {
			for (size_t k = 0; k < sizeof(known) / sizeof(*known); k++)
				is_known |= !strcmp(nm, known[k]);
			seen += is_known;
			if (!is_known) {
				unit_note("running %s", nm);
				run_datafile(nm);
				ran++;
			}
		}
		free(names[i]);
	}
	free(names);
	CHECK(seen == nknown, "found %d of the %d known data files in %s",
	      seen, nknown, dir);
	if (!ran)
		unit_note("no extra data files");
}
