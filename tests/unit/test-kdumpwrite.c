/* SPDX-License-Identifier: MIT */
/*
 * The kdump-compressed writer (libvmcore/write_kdump.c) on synthetic ELF
 * dumps: every compression and the flattened stream read back page for
 * page; the raw, zero and edge pages; the filter hook; a truncated
 * source; the 32-bit layout; output errors.  The tests' own encoder
 * ($VMC_BUILD/tests/mkkdump, written apart from libvmcore and checked
 * byte for byte against makedumpfile by check-kdump) must write the same
 * bytes as the writer for the same dump.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../libvmcore/kdumpwrite.h"
#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

#define BASE 0x100000
#define PAGES 24		/* first segment */
#define ZERO_PAGE 3
#define RANDOM_PAGE 5		/* does not compress: stored raw */
#define BASE2 0x200000		/* second segment: 2.5 pages, then a hole */
#define LEN2 0x2800
#define I386_PRS 144

static uint8_t pat(uint64_t paddr)
{
	return (uint8_t)((paddr / 64) * 13 + (paddr >> 12) * 7 + 1);
}

/* What the dump holds at PADDR (outside any segment: 0, as written). */
static uint8_t want_byte(uint64_t paddr)
{
	static uint8_t rnd[4096];
	static bool have;

	if (!have) {
		uint32_t x = 12345;

		for (size_t i = 0; i < sizeof(rnd); i++) {
			x = x * 1103515245 + 12345;
			rnd[i] = (uint8_t)(x >> 16);
		}
		have = true;
	}
	if (paddr >= BASE && paddr < BASE + PAGES * 4096ull) {
		uint64_t page = (paddr - BASE) / 4096;

		if (page == ZERO_PAGE)
			return 0;
		if (page == RANDOM_PAGE)
			return rnd[paddr % 4096];
		return pat(paddr);
	}
	if (paddr >= BASE2 && paddr < BASE2 + LEN2)
		return pat(paddr);
	return 0;
}

static void fill(struct cf *cf, size_t li, uint64_t paddr, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		cf->loads[li].data[i] = want_byte(paddr + i);
}

/* An x86_64 (or i386) ELF dump: 2 CPUs, VMCOREINFO, two segments. */
static void make_core(struct cf_image *img, bool i386)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf cf;

	cf_init(&cf, i386 ? ELFCLASS32 : ELFCLASS64, i386 ? EM_386
							   : EM_X86_64);
	if (i386) {
		uint8_t prs[I386_PRS], reg[68] = { 0 };

		for (int cpu = 0; cpu < 2; cpu++) {
			cf_prstatus(prs, sizeof(prs), 24, 72, false, 1 + cpu,
				    reg, sizeof(reg));
			cf_note(&cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
		}
	} else {
		cf_x86_cpu(&cf, 0, regs);
		cf_x86_cpu(&cf, 42, regs);
	}
	cf_vmcoreinfo(&cf, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		      "NUMBER(phys_base)=0\nCRASHTIME=1700000000\n");
	fill(&cf, cf_load(&cf, BASE, 0, PAGES * 4096, PAGES * 4096), BASE,
	     PAGES * 4096);
	fill(&cf, cf_load(&cf, BASE2, 0, LEN2, LEN2), BASE2, LEN2);
	cf_build(&cf, img);
	cf_deinit(&cf);
}

static struct vmc_error *open_tmp(const void *data, size_t len,
				  struct vmcore **vc, char *path, size_t n)
{
	if (!unit_write_tmp(data, len, path, n))
		return vmc_error_create(VMC_ERR_OS, "cannot write a tmp file");
	return vmcore_open(path, vc);
}

/* Write SRC as kdump with O into a new temporary file, PATH. */
static struct vmc_error *write_tmp(struct vmcore *src,
				   const struct vmc_kdump_opts *o,
				   struct vmc_kdump_stats *st, char *path,
				   size_t n)
{
	struct vmc_error *err;
	int fd;

	if (!unit_write_tmp("", 0, path, n) ||
	    (fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		return vmc_error_create(VMC_ERR_OS, "cannot make a tmp file");
	err = vmcore_write_kdump(src, fd, o, st);
	close(fd);
	return err;
}

/* Every page of the two segments reads back as written. */
static bool pages_match(struct vmcore *vc, const char *what)
{
	static const struct { uint64_t start, len; } r[] = {
		{ BASE, PAGES * 4096 }, { BASE2, 0x3000 },
	};
	uint8_t buf[4096];

	for (size_t k = 0; k < 2; k++) {
		for (uint64_t p = r[k].start; p < r[k].start + r[k].len;
		     p += 4096) {
			if (!CHECK_OK(vmcore_read_phys(vc, p, buf, 4096, NULL)))
				return false;
			for (size_t b = 0; b < 4096; b++)
				if (!CHECK(buf[b] == want_byte(p + b), "%s: "
					   "physical 0x%" PRIx64 ": 0x%02x, want "
					   "0x%02x", what, p + b, buf[b],
					   want_byte(p + b)))
					return false;
		}
	}
	return true;
}

TEST(every_compression_reads_back)
{
	struct cf_image img;
	struct vmcore *src, *out;
	char spath[256], opath[256], what[64];

	make_core(&img, false);
	if (!CHECK_OK(open_tmp(img.data, img.len, &src, spath, sizeof(spath))))
		goto done;
	for (int c = VMC_COMPRESS_NONE; c <= VMC_COMPRESS_ZSTD; c++) {
		for (int flat = 0; flat < 2; flat++) {
			struct vmc_kdump_opts o = { .compress = c,
						    .flat = flat };
			struct vmc_kdump_stats st;

			snprintf(what, sizeof(what), "%s%s",
				 vmc_compress_name(c), flat ? " flat" : "");
			if (!CHECK_OK(write_tmp(src, &o, &st, opath,
						sizeof(opath))))
				continue;
			CHECK_U64(st.ram_pages, PAGES + 3);
			CHECK_U64(st.dumped, PAGES + 3);
			CHECK_U64(st.zero, 1);
			CHECK_U64(st.missing, 0);
			/* The random page never shrinks; with none, none do. */
			CHECK_U64(st.raw, c == VMC_COMPRESS_NONE ? PAGES + 2 : 1);
			/* What a receiver of the stream must hold (save
			 * --ssh's commit checks it): the file's size. */
			{
				struct stat fs;

				if (CHECK(stat(opath, &fs) == 0))
					CHECK_U64(st.stream_bytes,
						  (uint64_t)fs.st_size);
				if (!flat)
					CHECK_U64(st.stream_bytes, st.bytes);
			}
			if (CHECK_OK(vmcore_open(opath, &out))) {
				CHECK_CONTAINS(vmcore_format(out),
					c ? vmc_compress_name(c)
					  : "uncompressed");
				CHECK_I64(vmcore_dump_level(out), 0);
				CHECK_U64(vmcore_num_cpus(out), 2);
				CHECK_I64(vmcore_cpu(out, 1)->pid, 42);
				CHECK_STR(vmcore_vmcoreinfo(out, "OSRELEASE"),
					  "6.1.0-test");
				/* (No page tables: a warning says so.) */
				for (size_t w = 0; w < vmcore_num_warnings(out);
				     w++)
					CHECK(!strstr(vmcore_warning(out, w),
						      "incomplete"), "%s",
					      vmcore_warning(out, w));
				pages_match(out, what);
				vmcore_close(out);
			}
			unlink(opath);
		}
	}
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}

static bool slurp(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	bool ok;

	if (!f || fstat(fileno(f), &st) != 0) {
		if (f)
			fclose(f);
		return false;
	}
	*len = (size_t)st.st_size;
	*data = unit_xmalloc(*len + 1);
	ok = fread(*data, 1, *len, f) == *len;
	fclose(f);
	return ok;
}

/* mkkdump --share-zero writes what makedumpfile -d 1 writes; ours at
 * dump level 1 must be the same file, for each compression. */
TEST(same_bytes_as_the_tests_encoder)
{
	static const char *const names[] = { "zlib", "lzo", "snappy", "zstd",
					     "none" };
	char gen[512], spath[256], opath[256], mpath[300], cmd[1400];
	struct vmc_page_filter level1 = { .dump_level = 1 };
	struct cf_image img;
	struct vmcore *src;
	struct stat sb;

	snprintf(gen, sizeof(gen), "%s/tests/mkkdump", unit_builddir());
	if (stat(gen, &sb) != 0) {
		unit_missing("%s not built", gen);
		return;
	}
	make_core(&img, false);
	if (!CHECK_OK(open_tmp(img.data, img.len, &src, spath, sizeof(spath))))
		goto done;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct vmc_kdump_opts o = {
			.compress = vmc_compress_from_name(names[i]),
			.filter = &level1,
		};
		uint8_t *a = NULL, *b = NULL;
		size_t alen = 0, blen = 0;

		if (!CHECK_OK(write_tmp(src, &o, NULL, opath, sizeof(opath))))
			continue;
		snprintf(mpath, sizeof(mpath), "%s.mk", opath);
		snprintf(cmd, sizeof(cmd), "'%s' --compress %s --share-zero "
			 "'%s' '%s'", gen, names[i], spath, mpath);
		if (CHECK(system(cmd) == 0, "failed: %s", cmd) &&
		    CHECK(slurp(opath, &a, &alen) && slurp(mpath, &b, &blen))) {
			CHECK_U64(alen, blen);
			if (alen == blen)
				CHECK(memcmp(a, b, alen) == 0, "%s: the files "
				      "differ", names[i]);
		}
		free(a);
		free(b);
		unlink(opath);
		unlink(mpath);
	}
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}

/* Drops odd pfns, tries to add pfns that are not there, counts calls. */
struct odd_filter {
	unsigned calls;
	uint64_t seen;
};

static struct vmc_error *drop_odd(void *ctx, struct vmcore *vc,
				  uint64_t start, uint64_t n, uint8_t *bits)
{
	struct odd_filter *f = ctx;

	(void)vc;
	f->calls++;
	for (uint64_t i = 0; i < n; i++) {
		if (bits[i / 8] >> (i % 8) & 1)
			f->seen++;
		if ((start + i) % 2)
			bits[i / 8] &= (uint8_t)~(1u << (i % 8));
		else
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	return NULL;
}

static struct vmc_error *fail_filter(void *ctx, struct vmcore *vc,
				     uint64_t start, uint64_t n, uint8_t *bits)
{
	(void)ctx, (void)vc, (void)start, (void)n, (void)bits;
	return vmc_error_create(VMC_ERR_NOMEM, "no memory for the window");
}

TEST(filter_hook)
{
	struct odd_filter ctx = { 0 };
	struct vmc_page_filter f = { .keep_window = drop_odd, .ctx = &ctx,
				     .dump_level = 16 };
	struct vmc_kdump_opts o = { .compress = VMC_COMPRESS_ZSTD,
				    .filter = &f };
	struct vmc_kdump_stats st;
	struct cf_image img;
	struct vmcore *src, *out;
	char spath[256], opath[256];
	uint8_t buf[4096];

	make_core(&img, false);
	if (!CHECK_OK(open_tmp(img.data, img.len, &src, spath, sizeof(spath))))
		goto done;
	if (CHECK_OK(write_tmp(src, &o, &st, opath, sizeof(opath)))) {
		CHECK_U64(ctx.calls, 1);	/* 0x203 pfns: one window */
		CHECK_U64(ctx.seen, PAGES + 3);
		/* pfns 0x100-0x117 and 0x200-0x202: 13 of them odd */
		CHECK_U64(st.filtered, 13);
		CHECK_U64(st.dumped, PAGES + 3 - 13);
		if (CHECK_OK(vmcore_open(opath, &out))) {
			CHECK_I64(vmcore_dump_level(out), 16);
			CHECK_U64(vmcore_excluded_pages(out), 13);
			CHECK_ERR(vmcore_read_phys(out, BASE + 4096, buf, 16,
						   NULL), VMC_ERR_EXCLUDED,
				  "excluded");
			CHECK_OK(vmcore_read_phys(out, BASE + 2 * 4096, buf,
						  4096, NULL));
			CHECK(buf[1] == want_byte(BASE + 2 * 4096 + 1));
			/* Not in the source: setting its bit added nothing. */
			CHECK_ERR(vmcore_read_phys(out, 0x180000, buf, 16,
						   NULL), VMC_ERR_FAULT, NULL);
			vmcore_close(out);
		}
		unlink(opath);
	}
	f.keep_window = fail_filter;
	CHECK_ERR(write_tmp(src, &o, NULL, opath, sizeof(opath)),
		  VMC_ERR_NOMEM, "page filter (dump level 16): no memory");
	unlink(opath);
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}

/* A source cut inside its second segment: the pages it lacks are
 * missing in the output (a read fails), not zeros, and the output says
 * it is incomplete. */
TEST(truncated_source)
{
	struct vmc_kdump_opts o = { .compress = VMC_COMPRESS_LZO };
	struct vmc_kdump_stats st;
	struct cf_image img;
	struct vmcore *src, *out;
	char spath[256], opath[256];
	uint8_t buf[4096];
	size_t cut;

	make_core(&img, false);
	cut = (size_t)cf_phdr_get(&img, img.first_load + 1, CF_P_OFFSET) +
	      0x1800;	/* half of the second segment's second page */
	if (!CHECK_OK(open_tmp(img.data, cut, &src, spath, sizeof(spath))))
		goto done;
	CHECK(vmcore_num_warnings(src) > 0);
	if (CHECK_OK(write_tmp(src, &o, &st, opath, sizeof(opath)))) {
		CHECK_U64(st.missing, 2);	/* pfns 0x201 and 0x202 */
		CHECK_U64(st.dumped, PAGES + 3);
		if (CHECK_OK(vmcore_open(opath, &out))) {
			bool said = false;

			for (size_t w = 0; w < vmcore_num_warnings(out); w++)
				said |= !!strstr(vmcore_warning(out, w),
						 "incomplete");
			CHECK(said, "no warning says the dump is incomplete");
			CHECK_OK(vmcore_read_phys(out, BASE2, buf, 4096, NULL));
			CHECK(buf[100] == want_byte(BASE2 + 100));
			CHECK_ERR(vmcore_read_phys(out, BASE2 + 0x1000, buf,
						   16, NULL), VMC_ERR_FAULT,
				  "data is missing");
			CHECK_ERR(vmcore_read_phys(out, BASE2 + 0x2000, buf,
						   16, NULL), VMC_ERR_FAULT,
				  "data is missing");
			vmcore_close(out);
		}
		unlink(opath);
	}
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}

/* i386: the ILP32 header layout, read back as an i386 dump. */
TEST(i386_layout)
{
	struct vmc_kdump_opts o = { .compress = VMC_COMPRESS_ZLIB };
	struct cf_image img;
	struct vmcore *src, *out;
	char spath[256], opath[256];
	uint8_t *data = NULL;
	size_t len = 0;

	make_core(&img, true);
	if (!CHECK_OK(open_tmp(img.data, img.len, &src, spath, sizeof(spath))))
		goto done;
	if (CHECK_OK(write_tmp(src, &o, NULL, opath, sizeof(opath)))) {
		/* block_size at 416 in the 32-bit layout, 428 in LP64 */
		if (CHECK(slurp(opath, &data, &len) && len > 4096)) {
			uint32_t bs;

			memcpy(&bs, data + 416, 4);
			CHECK_U64(bs, 4096);
		}
		free(data);
		if (CHECK_OK(vmcore_open(opath, &out))) {
			CHECK_STR(vmcore_arch(out)->name, "i386");
			CHECK_U64(vmcore_num_cpus(out), 2);
			pages_match(out, "i386");
			vmcore_close(out);
		}
		unlink(opath);
	}
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}

/* A disk that fills up (RLIMIT_FSIZE) half way through the pages: the
 * write fails, and what it left is a readable incomplete dump.  Runs in
 * a child (the limit stays there), which exits 1 on a failed check. */
static void full_disk(void *arg)
{
	struct vmc_kdump_opts o = { .compress = VMC_COMPRESS_NONE };
	const char *spath = arg;
	struct rlimit rl = { 0x10000, 0x10000 };	/* data ends past it */
	struct vmcore *src, *out;
	char opath[256];
	uint8_t buf[4096];
	unsigned read = 0, missing = 0;
	bool said = false, ok;

	signal(SIGXFSZ, SIG_IGN);
	if (!CHECK_OK(vmcore_open(spath, &src)))
		_exit(1);
	setrlimit(RLIMIT_FSIZE, &rl);
	ok = CHECK_ERR(write_tmp(src, &o, NULL, opath, sizeof(opath)),
		       VMC_ERR_OS, "writing");
	ok = CHECK_OK(vmcore_open(opath, &out)) && ok;
	if (ok) {
		for (size_t w = 0; w < vmcore_num_warnings(out); w++)
			said |= !!strstr(vmcore_warning(out, w), "incomplete");
		ok = CHECK(said, "no warning says the dump is incomplete");
		for (unsigned i = 0; i < PAGES; i++) {
			struct vmc_error *err = vmcore_read_phys(out,
				BASE + i * 4096ull, buf, 4096, NULL);

			if (!err && buf[7] == want_byte(BASE + i * 4096ull + 7))
				read++;
			else if (err && err->code == VMC_ERR_FAULT)
				missing++;
			vmc_error_destroy(err);
		}
		/* 64 KiB: 4 blocks of headers and bitmaps, a descriptor
		 * block, the zero page, then about 9 raw pages. */
		ok = CHECK(read >= 5 && missing >= 5 &&
			   read + missing == PAGES, "%u pages read, %u missing",
			   read, missing) && ok;
		vmcore_close(out);
	}
	unlink(opath);
	vmcore_close(src);
	fflush(stdout);
	_exit(ok ? 0 : 1);
}

TEST(full_disk_leaves_an_incomplete_dump)
{
	struct cf_image img;
	char spath[256];
	const char *how;

	make_core(&img, false);
	if (CHECK(unit_write_tmp(img.data, img.len, spath, sizeof(spath)))) {
		how = unit_in_child(full_disk, spath, 30);
		CHECK_STR(how, "exit 0");
		unlink(spath);
	}
	cf_image_free(&img);
}

TEST(output_errors)
{
	struct vmc_kdump_opts o = { .compress = VMC_COMPRESS_ZSTD,
				    .flat = true };
	struct cf_image img;
	struct vmcore *src;
	char spath[256];
	int fd;

	make_core(&img, false);
	if (!CHECK_OK(open_tmp(img.data, img.len, &src, spath, sizeof(spath))))
		goto done;
	fd = open("/dev/full", O_WRONLY);
	if (CHECK(fd >= 0)) {
		CHECK_ERR(vmcore_write_kdump(src, fd, &o, NULL), VMC_ERR_OS,
			  "No space left");
		close(fd);
	}
	o.compress = (enum vmc_compress)99;
	CHECK_ERR(vmcore_write_kdump(src, 1, &o, NULL), VMC_ERR_INVALID,
		  "compression");
	CHECK_I64(vmc_compress_from_name("lz4"), -1);
	CHECK_I64(vmc_compress_from_name("snappy"), VMC_COMPRESS_SNAPPY);
	vmcore_close(src);
	unlink(spath);
done:
	cf_image_free(&img);
}
