/* SPDX-License-Identifier: MIT */
/*
 * elfconv's plan and writer (elfconv/convert.c) on synthetic dumps:
 * class changes, memory above 4 GiB, notes and memory kept, holes.
 * The command line (files, refusals, pipes, progress) is tested by
 * tests/elfconv/run.sh on real dumps.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../elfconv/convert.h"
#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

/* i386 struct elf_prstatus: 144 bytes, pr_pid at 24, pr_reg at 72. */
#define I386_PRS 144

static uint8_t pat(uint64_t paddr)
{
	return (uint8_t)(paddr * 7 + (paddr >> 12) * 13);
}

/* An i386 dump in an ELF64 container (kexec --elf64-core-headers):
 * two CPUs, VMCOREINFO, a data segment, a zero page, a zero-fill tail. */
static void i386_core(struct cf *cf, int elfclass)
{
	uint8_t prs[I386_PRS], reg[68] = { 0 };
	size_t li;

	cf_init(cf, elfclass, EM_386);
	for (int cpu = 0; cpu < 2; cpu++) {
		cf_put(reg + 12 * 4, 0xc1000000u + (unsigned)cpu, 4, false);
		cf_prstatus(prs, sizeof(prs), 24, 72, false, 100 + cpu, reg,
			    sizeof(reg));
		cf_note(cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	}
	cf_vmcoreinfo(cf, "OSRELEASE=6.1.0-57-686-pae\nPAGESIZE=4096\n");
	cf_note(cf, "LINUX", 0x202, "xstate", 6);
	li = cf_load(cf, 0x100000, 0xc0100000, 0x3000, 0x3000);
	for (uint64_t i = 0; i < 0x3000; i++)	/* the middle page stays 0 */
		if (i < 0x1000 || i >= 0x2000)
			cf->loads[li].data[i] = pat(0x100000 + i);
	cf_load(cf, 0x200000, 0xc0200000, 0x2000, 0x1000);	/* zero fill */
}

static struct vmc_error *open_img(const struct cf_image *img,
				  struct vmcore **vc, char *path, size_t n)
{
	if (!unit_write_tmp(img->data, img->len, path, n))
		return vmc_error_create(VMC_ERR_OS, "cannot write a tmp file");
	return vmcore_open(path, vc);
}

/* Convert VC with OPTS into a new temp file; open it as *OUT. */
static bool convert(struct vmcore *vc, enum class_choice c, char *path,
		    size_t n, struct vmcore **out, uint64_t *size)
{
	struct plan_opts o = { .elfclass = c };
	struct plan p;
	struct write_result r;
	int fd;
	bool ok = false;

	snprintf(path, n, "/tmp/test-elfconv-XXXXXX");
	fd = mkstemp(path);
	if (!CHECK(fd >= 0))
		return false;
	vmcore_set_zero_excluded(vc, true);
	if (CHECK_OK(plan_make(vc, &o, &p)) &&
	    CHECK_OK(plan_write(vc, &p, fd, true, NULL, NULL, &r))) {
		*size = p.file_size;
		ok = CHECK_OK(vmcore_open(path, out));
	}
	plan_free(&p);
	close(fd);
	return ok;
}

static void check_same(struct vmcore *a, struct vmcore *b)
{
	uint8_t x[0x3000], y[0x3000];

	CHECK_U64(vmcore_num_segments(b), vmcore_num_segments(a));
	for (size_t i = 0; i < vmcore_num_segments(a) &&
			   i < vmcore_num_segments(b); i++) {
		CHECK_U64(vmcore_segment(b, i)->paddr, vmcore_segment(a, i)->paddr);
		CHECK_U64(vmcore_segment(b, i)->vaddr, vmcore_segment(a, i)->vaddr);
		CHECK_U64(vmcore_segment(b, i)->memsz, vmcore_segment(a, i)->memsz);
		CHECK_U64(vmcore_segment(b, i)->filesz,
			  vmcore_segment(a, i)->filesz);
	}
	CHECK_U64(vmcore_num_notes(b), vmcore_num_notes(a));
	for (size_t i = 0; i < vmcore_num_notes(a) && i < vmcore_num_notes(b);
	     i++) {
		const struct vmc_note *na = vmcore_note(a, i), *nb = vmcore_note(b, i);

		CHECK_STR(nb->name, na->name);
		CHECK_U64(nb->type, na->type);
		if (CHECK_U64(nb->descsz, na->descsz))
			CHECK_MEM(nb->desc, na->desc, na->descsz);
	}
	CHECK_U64(vmcore_num_cpus(b), 2);
	CHECK_STR(vmcore_arch(b)->name, "i386");
	if (CHECK_OK(vmcore_read_phys(a, 0x100000, x, sizeof(x), NULL)) &&
	    CHECK_OK(vmcore_read_phys(b, 0x100000, y, sizeof(y), NULL)))
		CHECK_MEM(y, x, sizeof(x));
	if (CHECK_OK(vmcore_read_phys(b, 0x200000, y, 0x2000, NULL)))
		CHECK(y[0] == 0 && y[0x1fff] == 0);
}

TEST(i386_elf64_to_elf32_and_back)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *in, *e32, *e64, *again;
	char pin[256], p32[256], p64[256], pag[256];
	uint64_t s32, s64, sag;
	struct stat st;

	i386_core(&cf, ELFCLASS64);
	cf_build(&cf, &img);
	if (!CHECK_OK(open_img(&img, &in, pin, sizeof(pin))))
		goto out;
	/* auto: a 32-bit machine gets ELF32. */
	if (convert(in, CLASS_AUTO, p32, sizeof(p32), &e32, &s32)) {
		CHECK_STR(vmcore_format(e32), "ELF32");
		check_same(in, e32);
		/* The zero page and the padding are holes. */
		if (CHECK(stat(p32, &st) == 0))
			CHECK((uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size,
			      "%lld blocks for %lld bytes", (long long)st.st_blocks,
			      (long long)st.st_size);
		/* ELF32 -> ELF64 -> ELF32: the same bytes again. */
		if (convert(e32, CLASS_64, p64, sizeof(p64), &e64, &s64)) {
			CHECK_STR(vmcore_format(e64), "ELF64");
			check_same(e32, e64);
			if (convert(e64, CLASS_AUTO, pag, sizeof(pag), &again,
				    &sag)) {
				CHECK_U64(sag, s32);
				char cmd[600];
				snprintf(cmd, sizeof(cmd), "cmp -s %s %s", p32, pag);
				CHECK(system(cmd) == 0, "%s differs from %s", pag,
				      p32);
				vmcore_close(again);
				unlink(pag);
			}
			vmcore_close(e64);
			unlink(p64);
		}
		vmcore_close(e32);
		unlink(p32);
	}
	vmcore_close(in);
	unlink(pin);
out:
	cf_image_free(&img);
	cf_deinit(&cf);
}

static struct vmc_error *plan_of(struct cf *cf, struct plan_opts *o,
				 struct plan *p)
{
	struct cf_image img;
	struct vmcore *vc;
	char path[256];
	struct vmc_error *err;

	cf_build(cf, &img);
	err = open_img(&img, &vc, path, sizeof(path));
	unlink(path);
	cf_image_free(&img);
	if (err)
		return err;
	err = plan_make(vc, o, p);
	vmcore_close(vc);
	return err;
}

TEST(above_4g_refused_or_dropped)
{
	struct cf cf;
	struct plan p;
	struct plan_opts o = { .elfclass = CLASS_AUTO };

	i386_core(&cf, ELFCLASS64);
	cf_load(&cf, 0xfffff000, 0, 0x2000, 0x2000);	/* straddles 4 GiB */
	cf_load(&cf, 0x140000000, 0, 0x1000, 0x1000);	/* PAE high memory */
	CHECK_ERR(plan_of(&cf, &o, &p), VMC_ERR_INVALID,
		  "ELF32 cannot describe 2 segments above 4 GiB");
	plan_free(&p);
	CHECK_ERR(plan_of(&cf, &o, &p), VMC_ERR_INVALID,
		  "physical 0x140000000-0x140001000");
	plan_free(&p);
	o.drop_above_4g = true;
	if (CHECK_OK(plan_of(&cf, &o, &p))) {
		CHECK_U64(p.elfclass, ELFCLASS32);
		CHECK_U64(p.dropped, 2);
		CHECK_U64(p.dropped_bytes, 0x1000 + 0x1000);
		CHECK_U64(p.nsegs, 3);
		CHECK_U64(p.segs[2].paddr, 0xfffff000);
		CHECK_U64(p.segs[2].memsz, 0x1000);
	}
	plan_free(&p);
	/* --class 64 keeps everything. */
	o.elfclass = CLASS_64;
	o.drop_above_4g = false;
	if (CHECK_OK(plan_of(&cf, &o, &p))) {
		CHECK_U64(p.nsegs, 4);
		CHECK_U64(p.dropped, 0);
	}
	plan_free(&p);
	cf_deinit(&cf);
}

TEST(elf32_of_x86_64_refused)
{
	struct cf cf;
	struct plan p;
	struct plan_opts o = { .elfclass = CLASS_32 };
	uint64_t regs[CF_X86_NREGS] = { 0 };

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_load(&cf, 0x100000, 0xffff888000100000, 0x1000, 0x1000);
	CHECK_ERR(plan_of(&cf, &o, &p), VMC_ERR_INVALID,
		  "x86_64 is a 64-bit machine");
	plan_free(&p);
	/* auto keeps ELF64. */
	o.elfclass = CLASS_AUTO;
	if (CHECK_OK(plan_of(&cf, &o, &p)))
		CHECK_U64(p.elfclass, ELFCLASS64);
	plan_free(&p);
	cf_deinit(&cf);
}

/* A dump without a VMCOREINFO note gets the one found in its memory. */
TEST(vmcoreinfo_from_memory_becomes_a_note)
{
	struct cf cf;
	struct plan p;
	struct plan_opts o = { .elfclass = CLASS_AUTO };
	uint64_t regs[CF_X86_NREGS] = { 0 };
	static const char text[] = "OSRELEASE=6.1.0-57-cloud-amd64\n";
	uint8_t *m;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	m = cf_phys(&cf, 0x300000);
	cf_put(m, 11, 4, false);
	cf_put(m + 4, sizeof(text) - 1, 4, false);
	memcpy(m + 12, "VMCOREINFO", 11);
	memcpy(m + 24, text, sizeof(text) - 1);
	if (CHECK_OK(plan_of(&cf, &o, &p))) {
		CHECK(p.vmcoreinfo_added);
		CHECK(memmem(p.notes, p.notes_len, "VMCOREINFO\0\0" "OSRELEASE=",
			     22) != NULL, "no VMCOREINFO note in the plan");
	}
	plan_free(&p);
	cf_deinit(&cf);
}
