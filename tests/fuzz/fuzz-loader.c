/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for what the loader parses from files it is given:
 * a kernel image (bzimage_parse, then boot_params from it) and /proc/iomem
 * text (iomem_parse, the crash memory ranges, and a core header built from
 * them in both classes).  The first byte picks which.  Built and run by
 * tests/fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "../../loader/bzimage.h"
#include "../../loader/corehdr.h"
#include "../../loader/iomem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kernel_image(const uint8_t *data, size_t size)
{
	struct bzimage bz;
	struct e820_entry e[2] = { { 0x1000, 0x9f000, E820_RAM },
				   { 0x1000000, 0x4000000, E820_RAM } };
	struct boot_setup s = { 0x2000000, 0x3000000, 4096, e, 2, NULL };
	static uint8_t zp[BOOT_PARAMS_SIZE];
	struct vmc_error *err = bzimage_parse("fuzz", data, size, &bz);

	if (err) {
		vmc_error_destroy(err);
		return;
	}
	bzimage_boot_params(&bz, &s, zp);
}

static void iomem_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct iomem io;
	struct core_range *r = NULL;
	size_t n = 0;
	struct core_note note = { 0x1000, 0x100 };
	struct vmc_error *err;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = 0;
	if ((err = iomem_parse(text, &io))) {
		vmc_error_destroy(err);
	} else {
		if ((err = corehdr_crash_ranges(&io, &r, &n))) {
			vmc_error_destroy(err);
		} else {
			for (unsigned cls = 32; cls <= 64; cls += 32) {
				struct corehdr_spec s = {
					.elfclass = cls, .machine = 3,
					.page_offset = 0xc0000000,
					.lowmem_limit = 0x38000000,
					.ram = r, .nram = n, .notes = &note,
					.nnotes = 1, .vmcoreinfo = note,
				};
				uint8_t *hdr = NULL;
				size_t len;

				vmc_error_destroy(corehdr_build(&s, &hdr, &len));
				free(hdr);
			}
			free(r);
		}
		iomem_free(&io);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		kernel_image(data + 1, size - 1);
	else
		iomem_text(data + 1, size - 1);
	return 0;
}
