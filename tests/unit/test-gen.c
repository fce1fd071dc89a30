/* SPDX-License-Identifier: MIT */
/*
 * Cross-check with the independent synthetic generator: for several
 * layouts, run $VMC_BUILD/tests/mkvmcore (tests/gen/mkvmcore.c, which
 * does not use libvmcore) with --expect, open its dump with vmcore_open()
 * and check every fact of the expectations file: format, KASLR, release,
 * CPUs and registers, segments, translations, unmapped levels, holes and
 * the memory pattern (qword at P = pattern | P).  Fails when mkvmcore
 * was not built.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../libvmcore/pgwalk.h"
#include "../../libvmcore/vmcore.h"
#include "unit.h"

struct fact {
	char key[32];
	char v[4][64];
	int nv;
	int line;
};

struct expect {
	struct fact *f;
	size_t n;
	char path[400];
};

static const struct fact *get(const struct expect *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++) {
		if (!strcmp(e->f[i].key, key))
			return &e->f[i];
	}
	return NULL;
}

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static bool yes(const struct expect *e, const char *key)
{
	const struct fact *f = get(e, key);

	return f && f->nv > 0 && !strcmp(f->v[0], "yes");
}

static bool load_expect(const char *path, struct expect *e)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	if (!CHECK(f, "%s: %s", path, strerror(errno)))
		return false;
	while (fgets(line, sizeof(line), f)) {
		struct fact *ft;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		e->f = unit_xrealloc(e->f, (e->n + 1) * sizeof(*e->f));
		ft = &e->f[e->n++];
		memset(ft, 0, sizeof(*ft));
		ft->line = lineno;
		ft->nv = sscanf(line, "%31s %63s %63s %63s %63s", ft->key,
				ft->v[0], ft->v[1], ft->v[2], ft->v[3]) - 1;
	}
	fclose(f);
	return CHECK(e->n > 10, "%s: only %zu facts", path, e->n);
}

/* Run mkvmcore ARGS into DIR; false (and a failure) if it is not built. */
static bool generate(const char *dir, const char *args, char *dump,
		     char *exp, size_t cap)
{
	char gen[512], cmd[2048];
	struct stat st;

	snprintf(gen, sizeof(gen), "%s/tests/mkvmcore", unit_builddir());
	if (stat(gen, &st) != 0) {
		unit_missing("%s not built", gen);
		return false;
	}
	snprintf(dump, cap, "%s/vmcore", dir);
	snprintf(exp, cap, "%s/expect", dir);
	snprintf(cmd, sizeof(cmd), "'%s' %s --expect '%s' '%s'", gen, args,
		 exp, dump);
	return CHECK(system(cmd) == 0, "failed: %s", cmd);
}

#define ECHECK(e, ft, cond, fmt, ...)					\
	CHECK(cond, "expect line %d (%s): " fmt, (ft)->line, (ft)->key,	\
	      ##__VA_ARGS__)

static size_t reg_index(const struct arch *a, const char *name)
{
	for (size_t i = 0; i < a->nregs; i++) {
		if (!strcmp(a->regs[i].name, name))
			return i;
	}
	return SIZE_MAX;
}

static void check_header(struct vmcore *vc, const struct expect *e)
{
	const struct fact *f;
	char want[64];

	if ((f = get(e, "class")))
		CHECK_STR(vmcore_format(vc), num(f->v[0]) == 32 ? "ELF32"
								 : "ELF64");
	/* file_size is before --truncate cut it. */
	if ((f = get(e, "truncate")) || (f = get(e, "file_size")))
		CHECK_U64(vmcore_file_size(vc), num(f->v[0]));
	if ((f = get(e, "release")) && yes(e, "vmcoreinfo"))
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), f->v[0]);
	if ((f = get(e, "kaslr")) && yes(e, "vmcoreinfo"))
		CHECK_U64(vmcore_kaslr_offset(vc), num(f->v[0]));
	if ((f = get(e, "cpus")))
		CHECK_U64(vmcore_num_cpus(vc), num(f->v[0]));
	if (yes(e, "swapper_symbol") && (f = get(e, "levels"))) {
		snprintf(want, sizeof(want), "%d-level", (int)num(f->v[0]));
		CHECK_CONTAINS(vmcore_translation(vc), want);
		f = get(e, "swapper_pg_dir_phys");
		if (f) {
			snprintf(want, sizeof(want), "root at physical 0x%"
				 PRIx64, num(f->v[0]));
			CHECK_CONTAINS(vmcore_translation(vc), want);
		}
	} else {
		CHECK(vmcore_pgt(vc) == NULL, "page tables without a root");
	}
}

static void check_cpus_regs(struct vmcore *vc, const struct expect *e)
{
	const struct arch *a = vmcore_arch(vc);

	for (size_t i = 0; i < e->n; i++) {
		const struct fact *f = &e->f[i];
		const struct vmc_cpu *cpu;
		uint8_t buf[16] = { 0 };
		uint64_t v = 0;
		size_t r;

		if (strcmp(f->key, "cpu") && strcmp(f->key, "reg"))
			continue;
		cpu = vmcore_cpu(vc, (size_t)num(f->v[0]));
		if (!ECHECK(e, f, cpu, "no CPU %s", f->v[0]))
			continue;
		if (!strcmp(f->key, "cpu")) {
			ECHECK(e, f, cpu->pid == (int32_t)num(f->v[1]),
			       "pid %d", cpu->pid);
			continue;
		}
		r = reg_index(a, f->v[1]);
		if (!ECHECK(e, f, r != SIZE_MAX, "no register %s", f->v[1]) ||
		    !ECHECK(e, f, arch_reg_from_prstatus(a, r, cpu->prstatus,
							cpu->prstatus_size, buf),
			    "%s unavailable", f->v[1]))
			continue;
		for (int b = (int)a->regs[r].bitsize / 8 - 1; b >= 0; b--)
			v = v << 8 | buf[b];
		ECHECK(e, f, v == (a->regs[r].bitsize == 32 ?
				   (num(f->v[2]) & 0xffffffff) : num(f->v[2])),
		       "%s = 0x%" PRIx64, f->v[1], v);
	}
}

/* The pattern qword at P, unless P is a nopattern range. */
static bool has_pattern(const struct expect *e, uint64_t p)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct fact *f = &e->f[i];

		if (!strcmp(f->key, "nopattern") && p >= num(f->v[0]) &&
		    p - num(f->v[0]) < num(f->v[1]))
			return false;
	}
	return true;
}

static void check_qword(struct vmcore *vc, const struct expect *e,
			uint64_t p, bool virt, uint64_t va)
{
	uint64_t pattern = num(get(e, "pattern")->v[0]), v = 0;
	uint8_t b[8];
	struct vmc_error *err = virt ? vmcore_read_virt(vc, va, b, 8, NULL)
				     : vmcore_read_phys(vc, p, b, 8, NULL);

	if (err && get(e, "truncate") && strstr(err->message, "truncated")) {
		vmc_error_destroy(err);
		return;
	}
	if (!CHECK(!err, "%s 0x%" PRIx64 " (phys 0x%" PRIx64 "): %s",
		   virt ? "virtual" : "physical", virt ? va : p, p,
		   err ? err->message : "")) {
		vmc_error_destroy(err);
		return;
	}
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	CHECK(v == (pattern | p), "qword at phys 0x%" PRIx64 " = 0x%" PRIx64,
	      p, v);
}

static void check_segments(struct vmcore *vc, const struct expect *e)
{
	size_t seg = 0;

	for (size_t i = 0; i < e->n; i++) {
		const struct fact *f = &e->f[i];
		const struct vmc_segment *s;

		if (strcmp(f->key, "segment"))
			continue;
		s = vmcore_segment(vc, seg++);
		if (!ECHECK(e, f, s, "segment %zu missing", seg - 1))
			continue;
		ECHECK(e, f, s->paddr == num(f->v[0]) &&
		       s->vaddr == num(f->v[1]) && s->memsz == num(f->v[2]) &&
		       s->filesz == num(f->v[3]), "got 0x%" PRIx64 " 0x%" PRIx64
		       " 0x%" PRIx64 " 0x%" PRIx64, s->paddr, s->vaddr,
		       s->memsz, s->filesz);
		/* The pattern at 64 points across the segment. */
		for (uint64_t k = 0; k < 64; k++) {
			uint64_t p = (s->paddr + s->memsz / 64 * k) & ~7ULL;

			if (has_pattern(e, p) && p - s->paddr < s->filesz)
				check_qword(vc, e, p, false, 0);
		}
	}
	CHECK_U64(vmcore_num_segments(vc), seg);
}

static bool in_dump(struct vmcore *vc, uint64_t p)
{
	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (p >= s->paddr && p - s->paddr < s->filesz)
			return true;
	}
	return false;
}

static void check_translation(struct vmcore *vc, const struct expect *e)
{
	size_t maps = 0, unmapped = 0;

	for (size_t i = 0; i < e->n; i++) {
		maps += !strcmp(e->f[i].key, "map");
		unmapped += !strcmp(e->f[i].key, "unmapped");
	}
	CHECK(maps > 0 && unmapped > 0, "%zu map and %zu unmapped facts",
	      maps, unmapped);
	for (size_t i = 0; i < e->n; i++) {
		const struct fact *f = &e->f[i];
		struct vmc_walk walk;
		struct vmc_error *err;
		char needle[96];
		uint64_t pa = 0;

		if (!strcmp(f->key, "map")) {
			uint64_t va = num(f->v[0]), p = num(f->v[1]),
				 size = num(f->v[2]);
			const uint64_t offs[] = { 0, size / 2 + 8, size - 8 };

			for (int k = 0; k < 3; k++) {
				err = vmcore_vtop(vc, va + offs[k], &pa);
				ECHECK(e, f, !err && pa == p + offs[k],
				       "vtop 0x%" PRIx64 " = 0x%" PRIx64 " %s",
				       va + offs[k], pa, err ? err->message : "");
				vmc_error_destroy(err);
				if (in_dump(vc, p + offs[k]) &&
				    has_pattern(e, p + offs[k]))
					check_qword(vc, e, p + offs[k], true,
						    va + offs[k]);
			}
		} else if (!strcmp(f->key, "unmapped")) {
			err = vmcore_pgwalk(vc, num(f->v[0]), &walk);
			snprintf(needle, sizeof(needle), " %s entry ", f->v[1]);
			ECHECK(e, f, err && err->code == VMC_ERR_FAULT &&
			       strstr(err->message, needle), "%s",
			       err ? err->message : "mapped");
			vmc_error_destroy(err);
			err = vmcore_vtop(vc, num(f->v[0]), &pa);
			ECHECK(e, f, err, "vtop gave 0x%" PRIx64, pa);
			vmc_error_destroy(err);
		} else if (!strcmp(f->key, "nodump")) {
			uint8_t b;

			err = vmcore_read_phys(vc, num(f->v[0]), &b, 1, NULL);
			ECHECK(e, f, err && err->code == VMC_ERR_FAULT, "read "
			       "0x%s", f->v[0]);
			vmc_error_destroy(err);
		}
	}
}

static void run_layout(const char *args)
{
	char dir[256], dump[320], exp[320], cmd[700];
	struct expect e;
	struct vmcore *vc;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))))
		return;
	if (generate(dir, args, dump, exp, sizeof(dump)) &&
	    load_expect(exp, &e)) {
		if (CHECK_OK(vmcore_open(dump, &vc))) {
			check_header(vc, &e);
			check_cpus_regs(vc, &e);
			check_segments(vc, &e);
			if (yes(&e, "swapper_symbol"))
				check_translation(vc, &e);
			vmcore_close(vc);
		}
		free(e.f);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

TEST(default_4level) { run_layout("--mem 48"); }
TEST(five_level) { run_layout("--mem 48 --levels 5"); }
TEST(elf32) { run_layout("--mem 48 --class 32"); }
TEST(no_kaslr_4cpus) { run_layout("--mem 48 --kaslr 0 --cpus 4 --panic-cpu 3"); }
TEST(no_swapper) { run_layout("--mem 48 --no-swapper"); }
TEST(truncated) { run_layout("--mem 48 --truncate 40000000"); }
