/* SPDX-License-Identifier: MIT */
/* The kexec_load path's boot pieces: SHA-256, the bzImage setup header and
 * boot_params, the built-in purgatory image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>

#include "../../loader/bzimage.h"
#include "../../loader/loader.h"
#include "../../loader/purgatory/purgatory.h"
#include "../../loader/sha256.h"
#include "unit.h"

extern const uint8_t purgatory_image[];
extern const uint32_t purgatory_image_size;

static void hex(const uint8_t *d, char *out)
{
	for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void digest_of(const void *p, size_t n, char out[65])
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	hex(d, out);
}

/* FIPS 180-2 appendix B vectors. */
TEST(sha256_vectors)
{
	char h[65];
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_SIZE], a[1000];

	digest_of("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_of("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, a, sizeof(a));
	sha256_final(&s, d);
	hex(d, h);
	CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* sha256_zeros(N) after any prefix equals hashing N zero bytes. */
TEST(sha256_zeros_equal_zero_bytes)
{
	static uint8_t z[5000];
	static const size_t pre[] = { 0, 1, 63, 64, 65, 100 };
	static uint8_t prefix[128];
	static const size_t len[] = { 0, 1, 55, 56, 64, 127, 4096, 4999 };

	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		for (size_t j = 0; j < sizeof(len) / sizeof(len[0]); j++) {
			struct sha256 a, b;
			uint8_t da[32], db[32];

			sha256_init(&a);
			sha256_init(&b);
			for (size_t k = 0; k < sizeof(prefix); k++)
				prefix[k] = (uint8_t)(k * 7 + 1);
			sha256_update(&a, prefix, pre[i]);
			sha256_update(&b, prefix, pre[i]);
			sha256_update(&a, z, len[j]);
			sha256_zeros(&b, len[j]);
			sha256_final(&a, da);
			sha256_final(&b, db);
			CHECK(!memcmp(da, db, 32), "prefix %zu, %zu zeros",
			      pre[i], len[j]);
		}
	}
}

/* A minimal bzImage: 4 setup sectors + 1, then "kernel" bytes. */
static uint8_t *fake_bzimage(size_t *size, uint16_t version, int reloc)
{
	size_t n = 5 * 512 + 4096;
	uint8_t *d = calloc(1, n);

	d[0x1f1] = 4;
	d[0x200] = 0xeb;
	d[0x201] = 0x66;		/* header ends at 0x268 */
	memcpy(d + 0x202, "HdrS", 4);
	d[0x206] = (uint8_t)version;
	d[0x207] = (uint8_t)(version >> 8);
	d[0x211] = 0x01;		/* LOADED_HIGH */
	d[0x22c] = 0xff, d[0x22d] = 0xff, d[0x22e] = 0xff, d[0x22f] = 0x7f;
	d[0x232] = 0x20;		/* kernel_alignment 0x200000 */
	d[0x234] = (uint8_t)reloc;
	d[0x236] = 0x01;		/* XLF_KERNEL_64 */
	d[0x238] = 0xff, d[0x239] = 0x07;	/* cmdline_size 2047 */
	d[0x262] = 0x40;		/* init_size 0x400000 */
	for (size_t i = 5 * 512; i < n; i++)
		d[i] = (uint8_t)i;
	*size = n;
	return d;
}

TEST(bzimage_header)
{
	size_t n;
	uint8_t *d = fake_bzimage(&n, 0x20f, 1);
	struct bzimage bz;

	if (CHECK_OK(bzimage_parse("k", d, n, &bz))) {
		CHECK_U64(bz.setup_size, 5 * 512);
		CHECK_U64(bz.kernel_alignment, 0x200000);
		CHECK_U64(bz.init_size, 0x400000);
		CHECK_U64(bz.cmdline_size, 2047);
		CHECK_U64(bz.initrd_addr_max, 0x7fffffff);
		CHECK(bz.entry64);
	}
	free(d);
}

TEST(bzimage_refusals)
{
	size_t n;
	uint8_t *d = fake_bzimage(&n, 0x20f, 0);
	struct bzimage bz;

	CHECK_ERR(bzimage_parse("k", d, n, &bz), VMC_ERR_FORMAT,
		  "not a relocatable bzImage");
	d[0x234] = 1;
	CHECK_ERR(bzimage_parse("k", d, 0x200, &bz), VMC_ERR_FORMAT,
		  "is not an x86 bzImage");
	CHECK_ERR(bzimage_parse("k", d, 5 * 512, &bz), VMC_ERR_FORMAT,
		  "truncated");
	d[0x206] = 0x09;
	CHECK_ERR(bzimage_parse("k", d, n, &bz), VMC_ERR_FORMAT,
		  "boot protocol 2.09 is too old");
	d[0x206] = 0x0f;
	memcpy(d + 0x202, "HdrX", 4);
	CHECK_ERR(bzimage_parse("k", d, n, &bz), VMC_ERR_FORMAT, "HdrS");
	free(d);
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

TEST(boot_params_fields)
{
	size_t n;
	uint8_t *d = fake_bzimage(&n, 0x20f, 1), zp[BOOT_PARAMS_SIZE];
	uint8_t running[BOOT_PARAMS_SIZE];
	struct bzimage bz;
	const struct e820_entry e[] = {
		{ 0x1000, 0x9f000, E820_RAM },
		{ 0xf0000, 0x10000, E820_RESERVED },
		{ 0x1000000, 0x4000000, E820_RAM },
	};
	struct boot_setup s = { 0x123456000, 0x2000000, 0x111111, e, 3,
				running };

	memset(running, 0xa5, sizeof(running));
	if (!CHECK_OK(bzimage_parse("k", d, n, &bz)))
		goto out;
	bzimage_boot_params(&bz, &s, zp);
	CHECK(!memcmp(zp + 0x1f1, d + 0x1f1, 0x210 - 0x1f1), "setup header");
	CHECK_U64(zp[0x210], 0xd0);			/* type_of_loader */
	CHECK_U64(get(zp + 0x228, 4), 0x23456000);	/* cmd_line_ptr */
	CHECK_U64(get(zp + 0x0c8, 4), 0x1);		/* ext_cmd_line_ptr */
	CHECK_U64(get(zp + 0x218, 4), 0x2000000);	/* ramdisk_image */
	CHECK_U64(get(zp + 0x21c, 4), 0x111111);	/* ramdisk_size */
	CHECK_U64(zp[0x1e8], 3);			/* e820_entries */
	CHECK_U64(get(zp + 0x2d0 + 40, 8), 0x1000000);
	CHECK_U64(get(zp + 0x2d0 + 48, 8), 0x4000000);
	CHECK_U64(get(zp + 0x2d0 + 56, 4), E820_RAM);
	CHECK_U64(get(zp + 0x2d0 + 36, 4), E820_RESERVED);
	CHECK_U64(zp[0x000], 0xa5);			/* screen_info copied */
	CHECK_U64(zp[0x070], 0xa5);			/* acpi_rsdp_addr */
	CHECK_U64(zp[0x1c0], 0xa5);			/* efi_info */
	CHECK_U64(zp[0x1ef], 0);			/* sentinel clear */
	CHECK_U64(zp[0x268], 0);			/* past the header */
	s.running = NULL;
	bzimage_boot_params(&bz, &s, zp);
	CHECK_U64(zp[0x000], 0);
out:
	free(d);
}

/* The built-in image: header, parameters inside, entry inside. */
TEST(purgatory_image_header)
{
	struct purgatory_header h;

	if (!CHECK(purgatory_image_size > sizeof(h), "no purgatory built in"))
		return;
	memcpy(&h, purgatory_image, sizeof(h));
	CHECK(!memcmp(h.magic, PURGATORY_MAGIC, 8), "magic");
	CHECK(h.entry >= sizeof(h) && h.entry < purgatory_image_size, "entry");
	CHECK(h.params + sizeof(struct purgatory_params) <= purgatory_image_size,
	      "params");
	CHECK(h.params % 8 == 0, "params alignment");
}

TEST(kexec_load_errors_explained)
{
	CHECK_CONTAINS(kexec_load_hint(EADDRNOTAVAIL),
		       "outside the memory reserved for the crash kernel");
	CHECK_CONTAINS(kexec_load_hint(EBUSY), "another kexec load");
	CHECK_CONTAINS(kexec_load_hint(EINVAL), "rejected the segment list");
	CHECK_CONTAINS(kexec_load_hint(ENOSYS), "CONFIG_KEXEC");
	CHECK_CONTAINS(kexec_load_hint(EPERM), geteuid() ? "needs root" :
		       "lockdown");
	CHECK(kexec_load_hint(EIO) == NULL, "no made-up reason for EIO");
}
