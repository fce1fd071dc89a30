/* SPDX-License-Identifier: MIT */
/*
 * The kdump-compressed reader (libvmcore/format_kdump.c) on damaged
 * files: a synthetic ELF dump is encoded by the tests' own encoder
 * ($VMC_BUILD/tests/mkkdump, which does not use libvmcore), then cut and
 * corrupted.  Every case must give a clear error or warning, never a
 * crash (run under ASan too) and never wrong bytes.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

#define PAGES 16
#define BASE 0x100000

struct kfile {
	uint8_t *data;
	size_t len;
	uint64_t bitmap1, bitmap2, desc;	/* file offsets */
	uint32_t bs;
};

static uint8_t pat(uint64_t paddr)
{
	return (uint8_t)(paddr * 13 + (paddr >> 12) * 7 + 1);
}

static bool slurp(const char *path, struct kfile *k)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f || fstat(fileno(f), &st) != 0)
		return false;
	k->len = (size_t)st.st_size;
	k->data = unit_xmalloc(k->len);
	if (fread(k->data, 1, k->len, f) != k->len) {
		fclose(f);
		return false;
	}
	fclose(f);
	return true;
}

static uint32_t get32(const struct kfile *k, size_t off)
{
	uint32_t v;

	memcpy(&v, k->data + off, 4);
	return v;
}

static void put32(struct kfile *k, size_t off, uint32_t v)
{
	memcpy(k->data + off, &v, 4);
}

/* An ELF dump of PAGES pages of known bytes (one zero page, to be
 * excluded with --exclude-zero), encoded by mkkdump with ARGS. */
static bool make_kdump(const char *args, struct kfile *k)
{
	char dir[256], elf[300], out[300], cmd[1200], gen[512];
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf cf;
	struct cf_image img;
	struct stat st;
	FILE *f;
	bool ok;

	snprintf(gen, sizeof(gen), "%s/tests/mkkdump", unit_builddir());
	if (stat(gen, &st) != 0) {
		unit_missing("%s not built", gen);
		return false;
	}
	if (!unit_tmpdir(dir, sizeof(dir)))
		return CHECK(false, "no temporary directory");
	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 0, regs);
	cf_x86_cpu(&cf, 7, regs);
	cf_vmcoreinfo(&cf, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		      "NUMBER(phys_base)=0\n");
	{
		size_t li = cf_load(&cf, BASE, 0, PAGES * 4096, PAGES * 4096);

		for (size_t i = 0; i < PAGES * 4096; i++)
			cf.loads[li].data[i] = i / 4096 == 3 ? 0 : pat(BASE + i);
	}
	cf_build(&cf, &img);
	snprintf(elf, sizeof(elf), "%s/elf", dir);
	snprintf(out, sizeof(out), "%s/kdump", dir);
	f = fopen(elf, "wb");
	ok = f && fwrite(img.data, 1, img.len, f) == img.len;
	if (f)
		fclose(f);
	cf_image_free(&img);
	cf_deinit(&cf);
	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' '%s'", gen, args, elf, out);
	ok = ok && CHECK(system(cmd) == 0, "failed: %s", cmd) && slurp(out, k);
	unlink(elf);
	unlink(out);
	rmdir(dir);
	if (ok) {
		k->bs = get32(k, 428);
		k->bitmap1 = (1 + get32(k, 432)) * (uint64_t)k->bs;
		k->bitmap2 = k->bitmap1 + get32(k, 436) / 2 * (uint64_t)k->bs;
		k->desc = k->bitmap2 + get32(k, 436) / 2 * (uint64_t)k->bs;
	}
	return ok;
}

static struct vmc_error *open_k(const struct kfile *k, size_t len,
				struct vmcore **vc)
{
	char path[256];
	struct vmc_error *err;

	*vc = NULL;
	if (!unit_write_tmp(k->data, len, path, sizeof(path)))
		return vmc_error_create(VMC_ERR_OS, "cannot write a tmp file");
	err = vmcore_open(path, vc);
	unlink(path);
	return err;
}

/* Page I (of PAGES) reads right, or fails with an error; never wrong. */
static bool page_ok_or_error(struct vmcore *vc, unsigned i, bool *read)
{
	uint8_t buf[4096];
	struct vmc_error *err = vmcore_read_phys(vc, BASE + i * 4096ull, buf,
						 sizeof(buf), NULL);

	*read = !err;
	if (err) {
		bool ok = CHECK(err->message && *err->message, "empty error");

		vmc_error_destroy(err);
		return ok;
	}
	for (size_t b = 0; b < sizeof(buf); b++) {
		uint8_t want = i == 3 ? 0 : pat(BASE + i * 4096ull + b);

		if (!CHECK(buf[b] == want, "page %u byte %zu: 0x%02x, want "
			   "0x%02x", i, b, buf[b], want))
			return false;
	}
	return true;
}

TEST(reads_every_compression)
{
	static const char *const args[] = {
		"--compress none", "--compress zlib", "--compress lzo",
		"--compress snappy", "--compress zstd", "--compress zlib --flatten",
		"--compress zlib --header32 --machine x86_64",
	};

	for (size_t a = 0; a < sizeof(args) / sizeof(args[0]); a++) {
		struct kfile k;
		struct vmcore *vc;
		bool read;

		if (!make_kdump(args[a], &k))
			continue;
		if (CHECK_OK(open_k(&k, k.len, &vc))) {
			for (unsigned i = 0; i < PAGES; i++)
				CHECK(page_ok_or_error(vc, i, &read) && read,
				      "%s: page %u", args[a], i);
			CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"),
				  "6.1.0-test");
			CHECK_U64(vmcore_num_cpus(vc), 2);
			vmcore_close(vc);
		}
		free(k.data);
	}
}

TEST(excluded_pages)
{
	struct kfile k;
	struct vmcore *vc;
	uint8_t buf[16];

	if (!make_kdump("--exclude-zero", &k))
		return;
	if (CHECK_OK(open_k(&k, k.len, &vc))) {
		CHECK_I64(vmcore_dump_level(vc), 1);
		CHECK_U64(vmcore_excluded_pages(vc), 1);
		CHECK_ERR(vmcore_read_phys(vc, BASE + 3 * 4096, buf, 16, NULL),
			  VMC_ERR_EXCLUDED, "excluded");
		vmcore_set_zero_excluded(vc, true);
		if (CHECK_OK(vmcore_read_phys(vc, BASE + 3 * 4096, buf, 16,
					      NULL)))
			CHECK_MEM(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		vmcore_set_zero_excluded(vc, false);
		CHECK_ERR(vmcore_read_phys(vc, BASE + 3 * 4096, buf, 16, NULL),
			  VMC_ERR_EXCLUDED, "excluded");
		/* Outside RAM: not in the dump, whatever the setting. */
		CHECK_ERR(vmcore_read_phys(vc, BASE + PAGES * 4096, buf, 16,
					   NULL), VMC_ERR_FAULT, "not in the dump");
		vmcore_close(vc);
	}
	free(k.data);
}

/* Cut anywhere: an error at open, or a warning and only errors or
 * right bytes afterwards. */
TEST(truncated_anywhere)
{
	struct kfile k;

	if (!make_kdump("--compress zlib", &k))
		return;
	for (size_t len = 0; len < k.len; len += len < 8192 ? 61 : 509) {
		struct vmcore *vc;
		struct vmc_error *err = open_k(&k, len, &vc);
		unsigned nread = 0;
		bool read;

		if (err) {
			CHECK(err->code == VMC_ERR_FORMAT, "cut at %zu: code %d:"
			      " %s", len, err->code, err->message);
			vmc_error_destroy(err);
			continue;
		}
		for (unsigned i = 0; i < PAGES; i++) {
			page_ok_or_error(vc, i, &read);
			nread += read;
		}
		if (nread < PAGES)
			CHECK(vmcore_num_warnings(vc) > 0, "cut at %zu of %zu: "
			      "%u pages lost without a warning", len, k.len,
			      PAGES - nread);
		vmcore_close(vc);
	}
	free(k.data);
}

TEST(corrupt_header_fields)
{
	static const struct { size_t off; uint32_t value; const char *msg; }
	cases[] = {
		{ 8, 0, "header_version" },		/* version 0 */
		{ 8, 99, "header_version" },
		{ 428, 4097, "block_size" },		/* not a power of 2 */
		{ 428, 0, "block_size" },
		{ 436, 3, "bitmap_blocks" },		/* odd */
		{ 436, 0x7fffffff, "bitmap" },		/* past the file */
		{ 432, 0x7fffffff, "sub-header" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct kfile k;
		struct vmcore *vc;

		if (!make_kdump("--compress zlib", &k))
			return;
		put32(&k, cases[c].off, cases[c].value);
		CHECK_ERR(open_k(&k, k.len, &vc), VMC_ERR_FORMAT, cases[c].msg);
		free(k.data);
	}
}

/* Damaged descriptors and page data: those pages fail, clearly. */
TEST(corrupt_pages)
{
	struct kfile k;
	struct vmcore *vc;
	uint8_t buf[4096];

	if (!make_kdump("--compress zlib", &k))
		return;
	/* Page 0: size larger than a page.  Page 1: garbage compressed
	 * bytes.  Page 2: data offset past the end of the file. */
	put32(&k, k.desc + 0 * 24 + 8, 5000);
	memset(k.data + *(uint64_t *)(void *)(k.data + k.desc + 24), 0x5a,
	       get32(&k, k.desc + 24 + 8));
	{
		uint64_t far = (uint64_t)k.len + 4096;

		memcpy(k.data + k.desc + 2 * 24, &far, 8);
	}
	if (CHECK_OK(open_k(&k, k.len, &vc))) {
		CHECK_ERR(vmcore_read_phys(vc, BASE, buf, 16, NULL),
			  VMC_ERR_FORMAT, "page descriptor");
		CHECK_ERR(vmcore_read_phys(vc, BASE + 4096, buf, 16, NULL),
			  VMC_ERR_FORMAT, "does not decompress");
		CHECK_ERR(vmcore_read_phys(vc, BASE + 2 * 4096, buf, 16, NULL),
			  VMC_ERR_FAULT, "missing");
		/* The others still read. */
		for (unsigned i = 4; i < PAGES; i++) {
			bool read;

			CHECK(page_ok_or_error(vc, i, &read) && read,
			      "page %u", i);
		}
		vmcore_close(vc);
	}
	free(k.data);
}

TEST(incomplete_flag)
{
	struct kfile k;
	struct vmcore *vc;
	unsigned nread = 0;

	if (!make_kdump("--compress zlib --incomplete", &k))
		return;
	if (CHECK_OK(open_k(&k, k.len, &vc))) {
		bool warned = false, read;

		for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
			warned |= strstr(vmcore_warning(vc, i),
					 "incomplete") != NULL;
		CHECK(warned, "no warning about the incomplete dump");
		for (unsigned i = 0; i < PAGES; i++) {
			CHECK(page_ok_or_error(vc, i, &read), "page %u", i);
			nread += read;
		}
		CHECK(nread > 0 && nread < PAGES, "%u of %u pages read", nread,
		      PAGES);
		vmcore_close(vc);
	}
	free(k.data);
}

/* Header versions 1 to 6: pages always read; VMCOREINFO from version 3,
 * the CPU notes from version 4 (before that the dump has none). */
TEST(header_versions)
{
	for (int v = 1; v <= 6; v++) {
		char args[64];
		struct kfile k;
		struct vmcore *vc;
		bool read;

		snprintf(args, sizeof(args), "--header-version %d", v);
		if (!make_kdump(args, &k))
			return;
		if (CHECK_OK(open_k(&k, k.len, &vc))) {
			for (unsigned i = 0; i < PAGES; i++)
				CHECK(page_ok_or_error(vc, i, &read) && read,
				      "version %d: page %u", v, i);
			CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"),
				  v >= 3 ? "6.1.0-test" : NULL);
			CHECK_U64(vmcore_num_cpus(vc), v >= 4 ? 2 : 0);
			snprintf(args, sizeof(args), "kdump-compressed v%d", v);
			CHECK_CONTAINS(vmcore_format(vc), args);
			vmcore_close(vc);
		}
		free(k.data);
	}
}

/* The N files of a split set (mkkdump --split K/N, EXTRA options), written
 * to temporary files whose paths go to PATHS[0..N-1]. */
static bool make_split(const char *extra, int n, char paths[][256])
{
	for (int k = 1; k <= n; k++) {
		char args[128];
		struct kfile f;
		bool ok;

		snprintf(args, sizeof(args), "--split %d/%d %s", k, n, extra);
		if (!make_kdump(args, &f))
			return false;
		ok = unit_write_tmp(f.data, f.len, paths[k - 1], 256);
		free(f.data);
		if (!CHECK(ok, "cannot write a tmp file"))
			return false;
	}
	return true;
}

static void unlink_all(char paths[][256], int n)
{
	for (int i = 0; i < n; i++)
		unlink(paths[i]);
}

static struct vmc_error *open_paths(struct vmcore **vc, int n, ...)
{
	const char *p[8];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n && i < 8; i++)
		p[i] = va_arg(ap, const char *);
	va_end(ap);
	*vc = NULL;
	return vmcore_open_set(p, (size_t)n, vc);
}

/* A split set reads as one dump in any order; its files' ranges follow
 * each other and every page is in exactly one of them. */
TEST(split_set)
{
	char p[3][256];
	static const int orders[][3] = { { 0, 1, 2 }, { 2, 0, 1 }, { 1, 2, 0 } };
	struct vmcore *vc;
	bool read;

	if (!make_split("--compress zstd --exclude-zero", 3, p))
		return;
	for (size_t o = 0; o < 3; o++) {
		if (!CHECK_OK(open_paths(&vc, 3, p[orders[o][0]],
					 p[orders[o][1]], p[orders[o][2]])))
			continue;
		for (unsigned i = 0; i < PAGES; i++) {
			if (i == 3)
				continue;	/* excluded zero page */
			CHECK(page_ok_or_error(vc, i, &read) && read,
			      "order %zu: page %u", o, i);
		}
		CHECK_U64(vmcore_excluded_pages(vc), 1);
		CHECK_CONTAINS(vmcore_format(vc), "split set of 3 files");
		for (size_t w = 0; w < vmcore_num_warnings(vc); w++)
			CHECK(!strstr(vmcore_warning(vc, w), "split"),
			      "warning: %s", vmcore_warning(vc, w));
		CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), "6.1.0-test");
		vmcore_close(vc);
	}
	unlink_all(p, 3);
}

/* One file alone: a warning, its own pages read, the others' fail and
 * say why. */
TEST(split_lone_file)
{
	char p[3][256];
	struct vmcore *vc;
	unsigned nread = 0;
	bool read;

	if (!make_split("--compress lzo", 3, p))
		return;
	if (CHECK_OK(open_paths(&vc, 1, p[1]))) {
		/* The other warning: no page tables in this dump. */
		CHECK_U64(vmcore_num_warnings(vc), 2);
		CHECK_CONTAINS(vmcore_warning(vc, 0),
			       "one file of a split dump set");
		CHECK_CONTAINS(vmcore_format(vc), "split part");
		for (unsigned i = 0; i < PAGES; i++) {
			uint8_t buf[8];
			struct vmc_error *err;

			CHECK(page_ok_or_error(vc, i, &read), "page %u", i);
			nread += read;
			err = vmcore_read_phys(vc, BASE + i * 4096ull, buf, 8,
					       NULL);
			if (err)
				CHECK_CONTAINS(err->message,
					       "give every file of the set");
			vmc_error_destroy(err);
		}
		/* 16 pages in 3 files: the middle one has 5 or 6. */
		CHECK(nread >= 5 && nread <= 6, "%u pages read", nread);
		vmcore_close(vc);
	}
	unlink_all(p, 3);
}

/* Sets given wrongly are refused, naming what is wrong. */
TEST(split_bad_sets)
{
	char p[3][256], q[2][256], whole[256];
	struct kfile f;
	struct vmcore *vc;

	if (!make_split("--compress zlib", 3, p) ||
	    !make_split("--compress snappy", 2, q) || !make_kdump("", &f))
		return;
	if (CHECK(unit_write_tmp(f.data, f.len, whole, sizeof(whole)),
		  "tmp file")) {
		CHECK_ERR(open_paths(&vc, 2, p[0], p[2]), VMC_ERR_INVALID,
			  "a file of the set is missing");
		CHECK_ERR(open_paths(&vc, 2, p[0], p[1]), VMC_ERR_INVALID,
			  "a file of the set is missing");
		CHECK_ERR(open_paths(&vc, 2, p[1], p[2]), VMC_ERR_INVALID,
			  "a file of the set is missing");
		CHECK_ERR(open_paths(&vc, 4, p[0], p[1], p[1], p[2]),
			  VMC_ERR_INVALID, "given twice");
		CHECK_ERR(open_paths(&vc, 3, p[0], p[1], whole),
			  VMC_ERR_INVALID, "not a file of a split dump set");
		CHECK_ERR(open_paths(&vc, 2, whole, p[0]), VMC_ERR_INVALID,
			  "not a file of a split dump set");
		CHECK_ERR(open_paths(&vc, 3, p[0], q[1], p[2]),
			  VMC_ERR_INVALID, "different split dumps");
		CHECK_ERR(open_paths(&vc, 0), VMC_ERR_INVALID, "no dump");
		unlink(whole);
	}
	free(f.data);
	unlink_all(p, 3);
	unlink_all(q, 2);
}

/* A corrupt range in the sub-header (start past end, end past
 * max_mapnr) is a clear error. */
TEST(split_corrupt_range)
{
	struct kfile k;
	struct vmcore *vc;
	uint64_t v;

	if (!make_kdump("--split 1/2", &k))
		return;
	/* 64-bit sub-header at block 1: start_pfn 16, end_pfn 24,
	 * start_pfn_64 80, end_pfn_64 88. */
	v = 1000000;
	memcpy(k.data + k.bs + 24, &v, 8);
	memcpy(k.data + k.bs + 88, &v, 8);
	CHECK_ERR(open_k(&k, k.len, &vc), VMC_ERR_FORMAT,
		  "corrupt split-dump range");
	v = 5;
	memcpy(k.data + k.bs + 24, &v, 8);
	memcpy(k.data + k.bs + 88, &v, 8);
	v = 6;
	memcpy(k.data + k.bs + 16, &v, 8);
	memcpy(k.data + k.bs + 80, &v, 8);
	CHECK_ERR(open_k(&k, k.len, &vc), VMC_ERR_FORMAT,
		  "corrupt split-dump range");
	free(k.data);
}
