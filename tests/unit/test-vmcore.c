/* SPDX-License-Identifier: MIT */
/*
 * vmcore_open() on hostile and unusual files built by the test, and
 * physical reads across segment boundaries, holes, truncation, overlaps
 * and zero fill.  Nothing here may crash or read out of bounds (run it
 * under `make asan`).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

static const char vmcoreinfo_text[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"PAGESIZE=4096\n"
	"SYMBOL(swapper_pg_dir)=ffffffff82a0a000\n"
	"NUMBER(phys_base)=0\n";

/* The byte at offset OFF of a segment filled with SEED. */
static uint8_t pat(unsigned seed, uint64_t off)
{
	return (uint8_t)(seed * 61 + off * 7 + (off >> 8) * 13 + (off >> 16));
}

static void fill(struct cf *cf, size_t li, unsigned seed)
{
	for (uint64_t i = 0; i < cf->loads[li].filesz; i++)
		cf->loads[li].data[i] = pat(seed, i);
}

/* A dump with notes (2 CPUs, VMCOREINFO) and no segments yet. */
static void base_core(struct cf *cf, int elfclass)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };

	cf_init(cf, elfclass, EM_X86_64);
	regs[CF_RIP] = 0xffffffff81000010;
	cf_x86_cpu(cf, 0, regs);
	cf_x86_cpu(cf, 77, regs);
	cf_vmcoreinfo(cf, vmcoreinfo_text);
}

static struct vmc_error *open_bytes(const void *data, size_t len,
				    struct vmcore **vc)
{
	char path[256];
	struct vmc_error *err;

	*vc = NULL;
	if (!unit_write_tmp(data, len, path, sizeof(path)))
		return vmc_error_create(VMC_ERR_OS, "cannot write a tmp file");
	err = vmcore_open(path, vc);
	unlink(path);		/* the dump stays open */
	return err;
}

static struct vmc_error *open_image(const struct cf_image *img, size_t len,
				    struct vmcore **vc)
{
	return open_bytes(img->data, len, vc);
}

/* The first warning containing TEXT, or NULL. */
static const char *warning(const struct vmcore *vc, const char *text)
{
	for (size_t i = 0; i < vmcore_num_warnings(vc); i++) {
		if (strstr(vmcore_warning(vc, i), text))
			return vmcore_warning(vc, i);
	}
	return NULL;
}

#define CHECK_WARNING(vc, text)						\
	CHECK(warning((vc), (text)), "no warning with \"%s\"; first: %s",\
	      (text), vmcore_num_warnings(vc) ? vmcore_warning((vc), 0)	\
					      : "(none)")

/* Read [paddr, paddr+len) and compare with segment SEED's pattern
 * starting at segment offset SEGOFF. */
static bool check_read(struct vmcore *vc, uint64_t paddr, size_t len,
		       unsigned seed, uint64_t segoff)
{
	uint8_t *buf = unit_xmalloc(len);
	size_t done = 12345;
	bool ok = CHECK_OK(vmcore_read_phys(vc, paddr, buf, len, &done));

	ok = ok && CHECK_U64(done, len);
	for (size_t i = 0; ok && i < len; i++) {
		ok = CHECK(buf[i] == pat(seed, segoff + i), "byte at 0x%"
			   PRIx64 " is 0x%02x, want 0x%02x (seed %u)",
			   paddr + i, buf[i], pat(seed, segoff + i), seed);
	}
	free(buf);
	return ok;
}

/* ---- files that are not dumps ------------------------------------------ */

TEST(empty_file)
{
	struct vmcore *vc;

	CHECK_ERR(open_bytes("", 0, &vc), VMC_ERR_FORMAT, "empty");
}

TEST(not_elf)
{
	static const char text[] = "hello, this is not a dump at all\n";
	struct vmcore *vc;

	CHECK_ERR(open_bytes(text, sizeof(text) - 1, &vc), VMC_ERR_FORMAT,
		  "68 65 6c 6c");
	/* Shorter than the ELF magic. */
	CHECK_ERR(open_bytes("\177EL", 3, &vc), VMC_ERR_FORMAT, NULL);
}

TEST(elf_header_cut)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	cf_build(&cf, &img);
	for (size_t len = 4; len < sizeof(Elf64_Ehdr); len += 7) {
		struct vmc_error *err = open_image(&img, len, &vc);

		CHECK(err, "a %zu-byte ELF header opened", len);
		if (!err)
			vmcore_close(vc);
		vmc_error_destroy(err);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(elf_exec_is_vmlinux)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	cf.type = ET_EXEC;
	cf_build(&cf, &img);
	CHECK_ERR(open_image(&img, img.len, &vc), VMC_ERR_FORMAT, "vmlinux");
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(elf_wrong_machine)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	cf.machine = EM_SPARCV9;
	cf_build(&cf, &img);
	CHECK_ERR(open_image(&img, img.len, &vc), VMC_ERR_UNSUPPORTED,
		  "x86_64");
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(phdr_table_cut)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	for (int i = 0; i < 4; i++)
		fill(&cf, cf_load(&cf, 0x100000 * (i + 1), 0, 0x1000, 0x1000),
		     i);
	cf_build(&cf, &img);
	/*
	 * Inside the program header table.  libelf's elf_getphdrnum()
	 * silently counts only the headers that fit in the file, so the
	 * others (and their memory) would vanish unnoticed: opening must
	 * fail or at least warn about the program headers.
	 */
	for (size_t len = img.phoff + 1; len < img.notes_off; len += 13) {
		struct vmc_error *err = open_image(&img, len, &vc);

		if (err) {
			vmc_error_destroy(err);
			continue;
		}
		CHECK(warning(vc, "program header"), "file cut at %zu, "
		      "inside the program headers (%zu-%zu): opened with %zu "
		      "of %zu segments and no word about it", len, img.phoff,
		      img.phoff + img.phnum * img.phentsize,
		      vmcore_num_segments(vc), img.phnum - img.first_load);
		vmcore_close(vc);
	}
	/* e_phoff far past the end of the file. */
	{
		Elf64_Ehdr *eh = (Elf64_Ehdr *)img.data;
		struct vmc_error *err;

		eh->e_phoff = 0x7ffffffffff0;
		err = open_image(&img, img.len, &vc);
		CHECK(err, "opened with e_phoff past the end");
		if (!err)
			vmcore_close(vc);
		vmc_error_destroy(err);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(directory)
{
	char dir[256];
	struct vmcore *vc;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))))
		return;
	CHECK_ERR(vmcore_open(dir, &vc), VMC_ERR_INVALID, "directory");
	rmdir(dir);
}

TEST(nonexistent)
{
	char dir[256], path[300];
	struct vmcore *vc;
	struct vmc_error *err;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))))
		return;
	snprintf(path, sizeof(path), "%s/no-such-vmcore", dir);
	err = vmcore_open(path, &vc);
	if (CHECK(err)) {
		CHECK_I64(err->code, VMC_ERR_OS);
		CHECK_I64(err->errnum, ENOENT);
		CHECK_CONTAINS(err->message, strerror(ENOENT));
		CHECK_CONTAINS(err->message, "no-such-vmcore");
		vmc_error_destroy(err);
	}
	rmdir(dir);
}

/* ---- a good dump, ELF64 and ELF32 --------------------------------------- */

static void check_good(int elfclass)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, elfclass);
	fill(&cf, cf_load(&cf, 0x100000, 0xffff888000100000, 0x1000, 0x1000),
	     1);
	fill(&cf, cf_load(&cf, 0x101000, 0xffff888000101000, 0x2000, 0x2000),
	     2);
	fill(&cf, cf_load(&cf, 0x104000, 0, 0x1000, 0x1000), 3);
	cf_build(&cf, &img);
	if (!CHECK_OK(open_image(&img, img.len, &vc)))
		goto out;
	CHECK_STR(vmcore_format(vc), elfclass == ELFCLASS64 ? "ELF64"
							    : "ELF32");
	CHECK_STR(vmcore_arch(vc)->name, "x86_64");
	CHECK_U64(vmcore_file_size(vc), img.len);
	CHECK_U64(vmcore_num_segments(vc), 3);
	CHECK_U64(vmcore_segment(vc, 1)->paddr, 0x101000);
	CHECK_U64(vmcore_segment(vc, 1)->vaddr,
		  elfclass == ELFCLASS64 ? 0xffff888000101000
					 : 0x00101000);	/* 32 bits */
	CHECK_U64(vmcore_segment(vc, 1)->memsz, 0x2000);
	CHECK_U64(vmcore_segment(vc, 1)->avail, 0x2000);
	CHECK(vmcore_segment(vc, 3) == NULL);
	CHECK_U64(vmcore_num_cpus(vc), 2);
	CHECK_I64(vmcore_cpu(vc, 1)->pid, 77);
	CHECK_U64(vmcore_cpu(vc, 1)->prstatus_size, CF_PRSTATUS_SIZE);
	CHECK(vmcore_cpu(vc, 2) == NULL);
	CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), "6.1.0-56-cloud-amd64");
	CHECK_STR(vmcore_vmcoreinfo(vc, "NOPE"), NULL);
	CHECK_U64(vmcore_kaslr_offset(vc), 0);
	/* Adjacent segments read as one. */
	if (check_read(vc, 0x100ff0, 0x10, 1, 0xff0))
		check_read(vc, 0x101000, 0x10, 2, 0);
	{
		uint8_t buf[0x20];
		size_t done;

		CHECK_OK(vmcore_read_phys(vc, 0x100ff0, buf, sizeof(buf),
					  &done));
		CHECK_U64(done, sizeof(buf));
		CHECK(buf[0x0f] == pat(1, 0xfff) && buf[0x10] == pat(2, 0));
	}
	check_read(vc, 0x104000, 0x1000, 3, 0);
	vmcore_close(vc);
out:
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(good_elf64) { check_good(ELFCLASS64); }
TEST(good_elf32) { check_good(ELFCLASS32); }

TEST(elf32_page_tables)
{
	struct cf cf;
	struct cf_pt pt;
	struct cf_image img;
	struct vmcore *vc;
	uint64_t pa = 0;
	uint8_t buf[8];

	/* swapper_pg_dir 0xffffffff82a0a000 -> root 0x2a0a000. */
	base_core(&cf, ELFCLASS32);
	cf_pt_init(&pt, &cf, 0x2a0a000, 4, 0x3000000);
	cf_pt_map(&pt, 0xffffffff81000000, 0x1000000, 1 << 21);
	cf_pt_map(&pt, 0xffff888000100000, 0x100000, 4096);
	cf_poke64(&cf, 0x100008, 0x0123456789abcdef);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_CONTAINS(vmcore_translation(vc), "4-level");
		CHECK_OK(vmcore_vtop(vc, 0xffffffff81012345, &pa));
		CHECK_U64(pa, 0x1012345);
		if (CHECK_OK(vmcore_read_virt(vc, 0xffff888000100008, buf, 8,
					      NULL)))
			CHECK_MEM(buf, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* ---- holes, truncation, zero fill, overlaps ------------------------------ */

TEST(read_across_hole)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[0x2000];
	size_t done = 999;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x101000, 0, 0x2000, 0x2000), 1);
	fill(&cf, cf_load(&cf, 0x104000, 0, 0x1000, 0x1000), 2);
	cf_build(&cf, &img);
	if (!CHECK_OK(open_image(&img, img.len, &vc)))
		goto out;
	/* The short read count is exact and the error names the hole. */
	CHECK_ERR(vmcore_read_phys(vc, 0x102ff0, buf, sizeof(buf), &done),
		  VMC_ERR_FAULT, "0x103000");
	CHECK_U64(done, 0x10);
	CHECK(buf[0] == pat(1, 0x1ff0) && buf[0xf] == pat(1, 0x1fff));
	/* Starting in the hole: nothing. */
	done = 999;
	CHECK_ERR(vmcore_read_phys(vc, 0x103000, buf, 1, &done),
		  VMC_ERR_FAULT, "not in the dump");
	CHECK_U64(done, 0);
	/* Below, between and above all segments. */
	CHECK_ERR(vmcore_read_phys(vc, 0, buf, 8, NULL), VMC_ERR_FAULT, NULL);
	CHECK_ERR(vmcore_read_phys(vc, 0x105000, buf, 8, NULL), VMC_ERR_FAULT,
		  NULL);
	CHECK_ERR(vmcore_read_phys(vc, UINT64_MAX, buf, 1, NULL),
		  VMC_ERR_FAULT, NULL);
	/* Ending exactly at a segment end is fine; zero length too. */
	check_read(vc, 0x104ff8, 8, 2, 0xff8);
	CHECK_OK(vmcore_read_phys(vc, 0x103000, buf, 0, &done));
	CHECK_U64(done, 0);
	vmcore_close(vc);
out:
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(truncated_load)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[0x1000];
	size_t done = 999, cut;
	char want[256];
	const char *w;

	base_core(&cf, ELFCLASS64);
	for (unsigned i = 0; i < 3; i++)
		fill(&cf, cf_load(&cf, 0x100000 * (i + 1), 0, 0x3000, 0x3000),
		     i);
	cf_build(&cf, &img);
	cut = img.load_off[2] + 0x1234;
	if (!CHECK_OK(open_image(&img, cut, &vc)))
		goto out;
	/* PT_LOAD 3 (the PT_NOTE is 0): 0x3000 - 0x1234 = 7628 of 12288
	 * bytes missing. */
	w = warning(vc, "truncated");
	if (CHECK(w, "no truncation warning")) {
		snprintf(want, sizeof(want), "PT_LOAD 3 (physical 0x300000-"
			 "0x303000)");
		CHECK_CONTAINS(w, want);
		snprintf(want, sizeof(want), "ends at file offset 0x%zx",
			 img.load_off[2] + 0x3000);
		CHECK_CONTAINS(w, want);
		snprintf(want, sizeof(want), "the file ends at 0x%zx", cut);
		CHECK_CONTAINS(w, want);
		CHECK_CONTAINS(w, "7628 bytes of its 12288 bytes");
	}
	CHECK_U64(vmcore_num_warnings(vc), 1);
	CHECK_U64(vmcore_segment(vc, 2)->avail, 0x1234);
	CHECK_U64(vmcore_segment(vc, 2)->filesz, 0x3000);
	/* Earlier segments and the bytes before EOF are intact. */
	check_read(vc, 0x100000, 0x3000, 0, 0);
	check_read(vc, 0x300000, 0x1234, 2, 0);
	/* A read running into the cut: exact short count. */
	CHECK_ERR(vmcore_read_phys(vc, 0x301000, buf, 0x1000, &done),
		  VMC_ERR_FAULT, "truncated");
	CHECK_U64(done, 0x234);
	CHECK(buf[0x233] == pat(2, 0x1233));
	CHECK_ERR(vmcore_read_phys(vc, 0x301234, buf, 1, &done),
		  VMC_ERR_FAULT, "truncated");
	CHECK_U64(done, 0);
	CHECK_ERR(vmcore_read_phys(vc, 0x302fff, buf, 1, &done),
		  VMC_ERR_FAULT, NULL);
	vmcore_close(vc);

	/* Cut at the segment's first byte: nothing of it is there. */
	cut = img.load_off[2];
	if (CHECK_OK(open_image(&img, cut, &vc))) {
		CHECK_WARNING(vc, "12288 bytes of its 12288 bytes");
		CHECK_U64(vmcore_segment(vc, 2)->avail, 0);
		CHECK_ERR(vmcore_read_phys(vc, 0x300000, buf, 1, &done),
			  VMC_ERR_FAULT, NULL);
		check_read(vc, 0x200000, 0x3000, 1, 0);
		vmcore_close(vc);
	}
out:
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(load_offset_past_eof)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[16];
	size_t done;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x100000, 0, 0x1000, 0x1000), 1);
	cf_load(&cf, 0x200000, 0, 0x1000, 0);	/* memsz only */
	cf_load(&cf, 0x300000, 0, 0x1000, 0x10);
	cf_build(&cf, &img);
	/* All-zero segment with an offset far outside the file: fine. */
	cf_phdr_set(&img, img.first_load + 1, CF_P_OFFSET, 0x7fffffffffff);
	/* p_offset + p_filesz overflows. */
	cf_phdr_set(&img, img.first_load + 2, CF_P_OFFSET, UINT64_MAX - 8);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_OK(vmcore_read_phys(vc, 0x200ff0, buf, 16, &done));
		CHECK_MEM(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		CHECK_ERR(vmcore_read_phys(vc, 0x300000, buf, 1, &done),
			  VMC_ERR_FAULT, NULL);
		CHECK_WARNING(vc, "PT_LOAD 3");
		check_read(vc, 0x100000, 0x1000, 1, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(filesz_above_memsz)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[8];
	size_t done;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x100000, 0, 0x2000, 0x2000), 1);
	fill(&cf, cf_load(&cf, 0x102000, 0, 0x1000, 0x1000), 2);
	cf_build(&cf, &img);
	cf_phdr_set(&img, img.first_load, CF_P_MEMSZ, 0x1000);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_WARNING(vc, "p_filesz 0x2000 > p_memsz 0x1000");
		CHECK_U64(vmcore_segment(vc, 0)->filesz, 0x1000);
		check_read(vc, 0x100000, 0x1000, 1, 0);
		CHECK_ERR(vmcore_read_phys(vc, 0x101000, buf, 1, &done),
			  VMC_ERR_FAULT, NULL);
		check_read(vc, 0x102000, 0x1000, 2, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(zero_fill)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[0x20];
	size_t done = 0;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x500000, 0, 0x2000, 0x800), 1);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_OK(vmcore_read_phys(vc, 0x5007f0, buf, 0x20, &done));
		CHECK_U64(done, 0x20);
		CHECK(buf[0xf] == pat(1, 0x7ff), "last file byte");
		for (int i = 0x10; i < 0x20; i++)
			CHECK(buf[i] == 0, "byte 0x%x is 0x%02x", i, buf[i]);
		CHECK_OK(vmcore_read_phys(vc, 0x501ff8, buf, 8, &done));
		CHECK_MEM(buf, "\0\0\0\0\0\0\0\0", 8);
		CHECK_ERR(vmcore_read_phys(vc, 0x501ff8, buf, 9, &done),
			  VMC_ERR_FAULT, NULL);
		CHECK_U64(done, 8);
		CHECK_U64(vmcore_num_warnings(vc), 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(overlapping_loads)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t buf[0x20];
	size_t done;

	base_core(&cf, ELFCLASS64);
	/* B overlaps A's tail; C lies inside A; E contains D, same start. */
	fill(&cf, cf_load(&cf, 0x102000, 0, 0x4000, 0x4000), 2);	/* B */
	fill(&cf, cf_load(&cf, 0x100000, 0, 0x4000, 0x4000), 1);	/* A */
	fill(&cf, cf_load(&cf, 0x101000, 0, 0x1000, 0x1000), 3);	/* C */
	fill(&cf, cf_load(&cf, 0x200000, 0, 0x1000, 0x1000), 4);	/* D */
	fill(&cf, cf_load(&cf, 0x200000, 0, 0x3000, 0x3000), 5);	/* E */
	cf_build(&cf, &img);
	if (!CHECK_OK(open_image(&img, img.len, &vc)))
		goto out;
	/* A is read where it is; B's part past A at B's own offsets. */
	check_read(vc, 0x100000, 0x4000, 1, 0);
	check_read(vc, 0x104000, 0x2000, 2, 0x2000);
	CHECK_OK(vmcore_read_phys(vc, 0x103ff0, buf, 0x20, &done));
	CHECK(buf[0xf] == pat(1, 0x3fff) && buf[0x10] == pat(2, 0x2000),
	      "across the A/B seam: 0x%02x 0x%02x", buf[0xf], buf[0x10]);
	CHECK_ERR(vmcore_read_phys(vc, 0x106000, buf, 1, &done),
		  VMC_ERR_FAULT, NULL);
	check_read(vc, 0x200000, 0x3000, 5, 0);
	CHECK_U64(vmcore_num_segments(vc), 5);
	vmcore_close(vc);
out:
	cf_image_free(&img);
	cf_deinit(&cf);
}

/*
 * kexec_file_load dumps hold the kernel image twice: in its own PT_LOAD
 * and inside a RAM PT_LOAD.  When the file is cut inside the RAM
 * segment, the intact image segment must still be served.
 */
TEST(truncated_load_does_not_hide_overlap)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x404000, 0, 0x1000, 0x1000), 7);	/* image */
	fill(&cf, cf_load(&cf, 0x400000, 0, 0x10000, 0x10000), 6);	/* RAM */
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.load_off[1] + 0x2000, &vc))) {
		check_read(vc, 0x400000, 0x2000, 6, 0);
		check_read(vc, 0x404000, 0x1000, 7, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* A segment ending exactly at 2^64 and one running past it: both are cut
 * at 2^64 - 1 (ranges are 64-bit [start, end)) with a warning, and every
 * byte below that stays readable. */
TEST(load_at_top_of_address_space)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0xffffffffffffe000, 0, 0x1000, 0x1000), 1);
	fill(&cf, cf_load(&cf, 0xfffffffffffff000, 0, 0x2000, 0x2000), 2);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_WARNING(vc, "past the end of the physical address space");
		check_read(vc, 0xffffffffffffe000, 0x1000, 1, 0);
		check_read(vc, 0xfffffffffffff000, 0xfff, 2, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);

	/* A zero-fill (p_filesz 0) segment running past 2^64: cutting it
	 * must not turn memory-only bytes into file bytes. */
	base_core(&cf, ELFCLASS64);
	cf_load(&cf, 0xffffffffffff0000, 0, 0x20000, 0);
	cf_build(&cf, &img);
	cf_phdr_set(&img, img.first_load, CF_P_OFFSET, 0);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		uint8_t buf[16] = { 0xff };
		size_t done = 0;

		CHECK_U64(vmcore_segment(vc, 0)->memsz, 0xffff);
		CHECK_U64(vmcore_segment(vc, 0)->filesz, 0);
		CHECK_OK(vmcore_read_phys(vc, 0xffffffffffff0000, buf, 16,
					  &done));
		CHECK_MEM(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(no_loads)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t b;

	base_core(&cf, ELFCLASS64);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_WARNING(vc, "no PT_LOAD");
		CHECK_ERR(vmcore_read_phys(vc, 0, &b, 1, NULL), VMC_ERR_FAULT,
			  NULL);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* Many segments over more than VMC_MAP_WINDOWS windows of the file. */
TEST(many_windows)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	const uint64_t seg = (9 << 20) / 2;	/* 4.5 MiB each */
	static const uint64_t offs[] = {
		0, 0x3ffffc, 0x400000, 0x123457, 0x447fff, 0x1, 0x400001,
	};

	base_core(&cf, ELFCLASS64);
	for (unsigned i = 0; i < 5; i++)
		fill(&cf, cf_load(&cf, 0x10000000 * (i + 1), 0, seg, seg), i);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		/* Round-robin over segments so windows get evicted. */
		for (int round = 0; round < 3; round++)
			for (size_t o = 0; o < sizeof(offs) / sizeof(*offs); o++)
				for (unsigned i = 0; i < 5; i++)
					check_read(vc, 0x10000000 * (i + 1) +
						   offs[o], 4, i, offs[o]);
		/* One read spanning several windows. */
		check_read(vc, 0x30000000, (size_t)seg, 2, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* ---- notes --------------------------------------------------------------- */

TEST(note_past_eof)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;

	base_core(&cf, ELFCLASS64);
	fill(&cf, cf_load(&cf, 0x100000, 0, 0x1000, 0x1000), 1);
	cf_build(&cf, &img);
	cf_phdr_set(&img, 0, CF_P_OFFSET, img.len + 0x100);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_WARNING(vc, "PT_NOTE 0");
		CHECK_WARNING(vc, "notes lost");
		CHECK_U64(vmcore_num_cpus(vc), 0);
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), NULL);
		CHECK(vmcore_pgt(vc) == NULL);
		check_read(vc, 0x100000, 0x1000, 1, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(note_cut_by_eof)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	char want[128];
	size_t cut;

	base_core(&cf, ELFCLASS64);
	cf_build(&cf, &img);
	/* The file ends in the middle of the VMCOREINFO note (the last). */
	cut = img.notes_off + cf.notes_len - 20;
	if (CHECK_OK(open_image(&img, cut, &vc))) {
		snprintf(want, sizeof(want), "reading its first %zu of %zu "
			 "bytes", cut - img.notes_off, cf.notes_len);
		CHECK_WARNING(vc, want);
		CHECK_U64(vmcore_num_cpus(vc), 2);
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), NULL);
		vmcore_close(vc);
	}
	/* p_filesz far beyond the file. */
	cf_phdr_set(&img, 0, CF_P_FILESZ, UINT64_MAX / 2);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_WARNING(vc, "cut by the end of the file");
		CHECK_U64(vmcore_num_cpus(vc), 2);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* Note header word I (0 namesz, 1 descsz, 2 type) of the note at OFF. */
static void set_note_word(struct cf_image *img, size_t off, int i, uint32_t v)
{
	memcpy(img->data + img->notes_off + off + 4 * (size_t)i, &v, 4);
}

TEST(note_sizes_overflow)
{
	/* Offsets of the three notes: CORE (12 + 8 + 336), CORE, VMCOREINFO. */
	const size_t core = 12 + 8 + CF_PRSTATUS_SIZE;
	static const struct {
		int note, word;
		uint32_t value;
		size_t cpus;
		bool vmcoreinfo;
	} cases[] = {
		{ 1, 1, 0xfffffff0, 1, false },	/* descsz wraps */
		{ 1, 0, 0xfffffff0, 1, false },	/* namesz wraps */
		{ 2, 1, 0x7fffffff, 2, false },	/* descsz past the end */
		{ 0, 0, 0x40, 0, false },	/* name runs into desc */
		{ 2, 1, 0, 2, true },		/* empty VMCOREINFO */
		{ 0, 1, 8, 1, true },		/* tiny prstatus */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct cf cf;
		struct cf_image img;
		struct vmcore *vc;

		base_core(&cf, ELFCLASS64);
		cf_build(&cf, &img);
		set_note_word(&img, core * (size_t)cases[c].note,
			      cases[c].word, cases[c].value);
		if (CHECK_OK(open_image(&img, img.len, &vc))) {
			/* Only what precedes the bad note is certain. */
			CHECK(vmcore_num_cpus(vc) >= (size_t)cases[c].note &&
			      vmcore_num_cpus(vc) <= 2, "case %zu: %zu CPUs", c,
			      vmcore_num_cpus(vc));
			for (size_t i = 0; i < vmcore_num_cpus(vc); i++)
				CHECK(vmcore_cpu(vc, i)->prstatus_size <=
				      img.len, "case %zu", c);
			vmcore_close(vc);
		}
		cf_image_free(&img);
		cf_deinit(&cf);
	}
}

TEST(prstatus_wrong_size)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t prs[300] = { 0 };

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	prs[32] = 9;	/* pr_pid */
	cf_note(&cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	cf_note(&cf, "CORE", NT_PRSTATUS, prs, 3);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_U64(vmcore_num_cpus(vc), 2);
		CHECK_WARNING(vc, "has 300 bytes");
		CHECK_I64(vmcore_cpu(vc, 0)->pid, 9);
		CHECK_I64(vmcore_cpu(vc, 1)->pid, 0);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(extra_notes)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint8_t qemu[64] = { 1, 2, 3 };

	base_core(&cf, ELFCLASS64);
	cf_vmcoreinfo(&cf, "OSRELEASE=second\n");
	cf_note(&cf, "QEMU", 0, qemu, sizeof(qemu));
	cf_note(&cf, "QEMU", 0, qemu, sizeof(qemu));
	cf_note(&cf, "QEMU", 0, qemu, sizeof(qemu));
	cf_note(&cf, "LINUX", 0x202, qemu, 16);	/* NT_X86_XSTATE: ignored */
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"),
			  "6.1.0-56-cloud-amd64");
		CHECK_WARNING(vc, "second VMCOREINFO");
		CHECK_WARNING(vc, "no matching NT_PRSTATUS");
		CHECK(vmcore_cpu(vc, 0)->qemu && vmcore_cpu(vc, 1)->qemu);
		CHECK_U64(vmcore_cpu(vc, 1)->qemu_size, sizeof(qemu));
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(no_vmcoreinfo)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint64_t u;
	int64_t d;

	uint64_t regs[CF_X86_NREGS] = { 0 };

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_ERR(vmcore_vmcoreinfo_hex(vc, "KERNELOFFSET", &u),
			  VMC_ERR_NOT_FOUND, "VMCOREINFO");
		CHECK_ERR(vmcore_vmcoreinfo_dec(vc, "NUMBER(phys_base)", &d),
			  VMC_ERR_NOT_FOUND, "VMCOREINFO");
		CHECK_U64(vmcore_kaslr_offset(vc), 0);
		CHECK(vmcore_pgt(vc) == NULL);
		CHECK_CONTAINS(vmcore_translation(vc), "PT_LOAD");
		CHECK_WARNING(vc, "no page-table translation");
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* ---- dumps without a VMCOREINFO note (QEMU without -device vmcoreinfo) -- */

/* The kernel's vmcoreinfo_note at PADDR: an ELF note "VMCOREINFO". */
static void memory_note(struct cf *cf, uint64_t paddr, const char *text)
{
	uint8_t *p = cf_phys(cf, paddr);
	size_t len = strlen(text);

	cf_put(p, 11, 4, false);
	cf_put(p + 4, len, 4, false);
	cf_put(p + 8, 0, 4, false);
	memcpy(p + 12, "VMCOREINFO", 11);
	memcpy(p + 24, text, len);
}

TEST(vmcoreinfo_found_in_memory)
{
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc;
	uint64_t regs[CF_X86_NREGS] = { 0 };

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	/* Decoys: a note whose text is not VMCOREINFO's, and a real-looking
	 * one off a page boundary. */
	memory_note(&cf, 0x100000, "NOT=VMCOREINFO\n");
	memory_note(&cf, 0x101800, "OSRELEASE=wrong\n");
	memory_note(&cf, 0x203000, "OSRELEASE=6.1.0-57-cloud-amd64\n"
		    "KERNELOFFSET=2d400000\n");
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"),
			  "6.1.0-57-cloud-amd64");
		CHECK_U64(vmcore_kaslr_offset(vc), 0x2d400000);
		CHECK_WARNING(vc, "found in memory at physical 0x203000");
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* A QEMU CPU-state note: RIP at 136, CR3 at 416, CR4 at 424. */
static void qemu_note(struct cf *cf, uint64_t rip, uint64_t cr3, uint64_t cr4)
{
	uint8_t st[432] = { 0 };

	cf_put(st, 1, 4, false);
	cf_put(st + 4, sizeof(st), 4, false);
	cf_put(st + 136, rip, 8, false);
	cf_put(st + 416, cr3, 8, false);
	cf_put(st + 424, cr4, 8, false);
	cf_note(cf, "QEMU", 0, st, sizeof(st));
}

static void check_cr3(uint64_t rip0, uint64_t cr3_0, uint64_t rip1,
		      uint64_t cr3_1, const char *want)
{
	struct cf cf;
	struct cf_pt pt;
	struct cf_image img;
	struct vmcore *vc;
	uint64_t regs[CF_X86_NREGS] = { 0 }, pa = 0;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_x86_cpu(&cf, 2, regs);
	qemu_note(&cf, rip0, cr3_0, 0);
	qemu_note(&cf, rip1, cr3_1, 0);
	/* The kernel pgd at 0x2a0a000 maps the text; 0x2a0b000 (its PTI
	 * user twin) stays empty. */
	cf_pt_init(&pt, &cf, 0x2a0a000, 4, 0x3000000);
	cf_pt_map(&pt, 0xffffffff81000000, 0x1000000, 1 << 21);
	*cf_phys(&cf, 0x2a0b000) = 0;
	cf_build(&cf, &img);
	if (CHECK_OK(open_image(&img, img.len, &vc))) {
		CHECK_CONTAINS(vmcore_translation(vc), want);
		CHECK_CONTAINS(vmcore_translation(vc), "root at physical 0x2a0a000");
		if (CHECK_OK(vmcore_vtop(vc, 0xffffffff81012345, &pa)))
			CHECK_U64(pa, 0x1012345);
		vmcore_close(vc);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* No VMCOREINFO anywhere: the page tables come from QEMU's saved CR3,
 * PCID bits dropped, preferring a CPU that was in the kernel. */
TEST(qemu_cr3_kernel_cpu)
{
	check_cr3(0x401000, 0x2a0b000 | 0x5, 0xffffffff81000010,
		  0x2a0a000 | 0x7, "4-level, from a CPU's CR3");
}

TEST(qemu_cr3_user_cpu_pti)
{
	check_cr3(0x401000, 0x2a0b000 | 0x3, 0x402000, 0x2a0b000,
		  "from a user-mode CPU's CR3");
}
