/* SPDX-License-Identifier: MIT */
/*
 * The makedumpfile flattened format (libvmcore/flat.c): an ELF dump cut
 * into records in various orders, with overlaps, gaps and damage, must
 * read exactly like the plain file (holes as zeros), or fail clearly.
 */
#include <elf.h>
#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libvmcore/vmcore.h"
#include "corefile.h"
#include "unit.h"

#define FLAT_HEADER 4096

struct stream {
	uint8_t *data;
	size_t len, cap;
};

static void put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->data = unit_xrealloc(s->data, s->cap);
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
}

static void put_be64(struct stream *s, int64_t v)
{
	uint64_t be = htobe64((uint64_t)v);

	put(s, &be, 8);
}

static void start(struct stream *s)
{
	uint8_t h[FLAT_HEADER] = "makedumpfile";

	memset(s, 0, sizeof(*s));
	put(s, h, sizeof(h));
	s->len = 16;
	put_be64(s, 1);		/* type */
	put_be64(s, 1);		/* version */
	s->len = FLAT_HEADER;
}

static void record(struct stream *s, const uint8_t *file, uint64_t off,
		   uint64_t size)
{
	put_be64(s, (int64_t)off);
	put_be64(s, (int64_t)size);
	put(s, file + off, size);
}

static void finish(struct stream *s)
{
	put_be64(s, -1);
	put_be64(s, -1);
}

/* An ELF dump: 2 CPUs, VMCOREINFO, three segments of known bytes. */
static void make_elf(struct cf *cf, struct cf_image *img)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };

	cf_init(cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(cf, 0, regs);
	cf_x86_cpu(cf, 42, regs);
	cf_vmcoreinfo(cf, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n");
	for (int i = 0; i < 3; i++) {
		size_t li = cf_load(cf, 0x100000 * (uint64_t)(i + 1), 0, 0x3000,
				    0x3000);

		for (size_t b = 0; b < 0x3000; b++)
			cf->loads[li].data[b] = (uint8_t)(b * 7 + i * 31 + 1);
	}
	cf_build(cf, img);
}

static struct vmc_error *open_stream(const struct stream *s, size_t len,
				     struct vmcore **vc)
{
	char path[256];
	struct vmc_error *err;

	*vc = NULL;
	if (!unit_write_tmp(s->data, len, path, sizeof(path)))
		return vmc_error_create(VMC_ERR_OS, "cannot write a tmp file");
	err = vmcore_open(path, vc);
	unlink(path);
	return err;
}

/* Every segment reads as in the plain image. */
static void check_same(struct vmcore *vc, const struct cf_image *img)
{
	uint8_t buf[0x3000];

	CHECK_STR(vmcore_format(vc), "ELF64");
	CHECK_U64(vmcore_num_cpus(vc), 2);
	CHECK_I64(vmcore_cpu(vc, 1)->pid, 42);
	CHECK_STR(vmcore_vmcoreinfo(vc, "OSRELEASE"), "6.1.0-test");
	for (int i = 0; i < 3; i++) {
		if (CHECK_OK(vmcore_read_phys(vc, 0x100000 * (uint64_t)(i + 1),
					      buf, sizeof(buf), NULL)))
			CHECK_MEM(buf, img->data + img->load_off[i],
				  sizeof(buf));
	}
}

/* In order, in chunks of CHUNK bytes. */
static void flatten(struct stream *s, const struct cf_image *img,
		    size_t chunk)
{
	start(s);
	for (size_t off = 0; off < img->len; off += chunk)
		record(s, img->data, off, off + chunk <= img->len ? chunk
							   : img->len - off);
	finish(s);
}

TEST(in_order)
{
	static const size_t chunks[] = { 1, 13, 512, 4096, 1 << 20 };
	struct cf cf;
	struct cf_image img;

	make_elf(&cf, &img);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct stream s;
		struct vmcore *vc;

		flatten(&s, &img, chunks[i]);
		if (CHECK_OK(open_stream(&s, s.len, &vc))) {
			check_same(vc, &img);
			CHECK(vmcore_flat_records(vc) >= 1);
			vmcore_close(vc);
		}
		free(s.data);
	}
	cf_image_free(&img);
	cf_deinit(&cf);
}

/*
 * The header written last (as makedumpfile does), records backwards,
 * and records rewriting earlier ones: first garbage everywhere, then the
 * real bytes in pieces that split and trim what came before.
 */
TEST(out_of_order_and_overwritten)
{
	struct cf cf;
	struct cf_image img;
	struct stream s;
	struct vmcore *vc;
	uint8_t *junk;
	size_t n;

	make_elf(&cf, &img);
	n = img.len;
	junk = unit_xmalloc(n);
	memset(junk, 0xa5, n);
	start(&s);
	record(&s, junk, 0, n);			/* all garbage */
	record(&s, junk, 100, 50);		/* garbage inside garbage */
	for (size_t off = n; off > 4096;) {	/* backwards, 3000-byte pieces */
		size_t sz = off - 4096 >= 3000 ? 3000 : off - 4096;

		off -= sz;
		record(&s, img.data, off, sz);
	}
	record(&s, junk, 10, 20);		/* garbage inside the header... */
	record(&s, img.data, 0, 4096);		/* ...which is written last */
	finish(&s);
	if (CHECK_OK(open_stream(&s, s.len, &vc))) {
		check_same(vc, &img);
		vmcore_close(vc);
	}
	free(s.data);
	free(junk);
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* Bytes no record wrote read as zeros, like the file makedumpfile -R
 * would rebuild (which has holes there). */
TEST(holes_read_as_zeros)
{
	struct cf cf;
	struct cf_image img;
	struct stream s;
	struct vmcore *vc;
	uint8_t buf[0x3000], want[0x3000];

	make_elf(&cf, &img);
	start(&s);
	/* Everything but the middle 0x1000 bytes of the second segment. */
	record(&s, img.data, 0, img.load_off[1] + 0x1000);
	record(&s, img.data, img.load_off[1] + 0x2000,
	       img.len - img.load_off[1] - 0x2000);
	finish(&s);
	if (CHECK_OK(open_stream(&s, s.len, &vc))) {
		memcpy(want, img.data + img.load_off[1], sizeof(want));
		memset(want + 0x1000, 0, 0x1000);
		if (CHECK_OK(vmcore_read_phys(vc, 0x200000, buf, sizeof(buf),
					      NULL)))
			CHECK_MEM(buf, want, sizeof(buf));
		vmcore_close(vc);
	}
	free(s.data);
	cf_image_free(&img);
	cf_deinit(&cf);
}

/* A stream cut anywhere: opens with a warning about the cut (or fails
 * clearly when the ELF headers are gone), and never reads garbage. */
TEST(truncated_stream)
{
	struct cf cf;
	struct cf_image img;
	struct stream s;

	make_elf(&cf, &img);
	flatten(&s, &img, 4096);
	for (size_t len = FLAT_HEADER + 1; len < s.len; len += 997) {
		struct vmcore *vc;
		struct vmc_error *err = open_stream(&s, len, &vc);
		bool warned = false;

		if (err) {
			CHECK(err->code == VMC_ERR_FORMAT, "cut at %zu: code "
			      "%d: %s", len, err->code, err->message);
			vmc_error_destroy(err);
			continue;
		}
		for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
			warned |= strstr(vmcore_warning(vc, i),
					 "truncated") != NULL;
		CHECK(warned, "cut at %zu of %zu: no truncation warning", len,
		      s.len);
		vmcore_close(vc);
	}
	/* Cut exactly at the end marker: also a warning. */
	{
		struct vmcore *vc;

		if (CHECK_OK(open_stream(&s, s.len - 16, &vc))) {
			CHECK(vmcore_num_warnings(vc) > 0);
			check_same(vc, &img);
			vmcore_close(vc);
		}
	}
	free(s.data);
	cf_image_free(&img);
	cf_deinit(&cf);
}

TEST(corrupt_records)
{
	struct cf cf;
	struct cf_image img;
	struct stream s;
	struct vmcore *vc;
	uint64_t bad;

	make_elf(&cf, &img);
	/* A negative offset. */
	start(&s);
	record(&s, img.data, 0, 4096);
	put_be64(&s, -5);
	put_be64(&s, 10);
	finish(&s);
	CHECK_ERR(open_stream(&s, s.len, &vc), VMC_ERR_FORMAT,
		  "flattened record 1");
	free(s.data);
	/* Offset + size wrapping around. */
	start(&s);
	put_be64(&s, INT64_MAX);
	put_be64(&s, INT64_MAX);
	finish(&s);
	CHECK_ERR(open_stream(&s, s.len, &vc), VMC_ERR_FORMAT, "corrupt");
	free(s.data);
	/* Unknown type. */
	flatten(&s, &img, 4096);
	bad = htobe64(7);
	memcpy(s.data + 16, &bad, 8);
	CHECK_ERR(open_stream(&s, s.len, &vc), VMC_ERR_UNSUPPORTED, "type 7");
	/* Shorter than its header. */
	CHECK_ERR(open_stream(&s, 100, &vc), VMC_ERR_FORMAT, "header");
	free(s.data);
	/* Something that is not a dump inside. */
	start(&s);
	record(&s, (const uint8_t *)"not a dump at all", 0, 17);
	finish(&s);
	CHECK_ERR(open_stream(&s, s.len, &vc), VMC_ERR_FORMAT,
		  "inside a flattened stream");
	free(s.data);
	cf_image_free(&img);
	cf_deinit(&cf);
}
