/* SPDX-License-Identifier: MIT */
/* x86 bzImage setup header and boot_params (see bzimage.h). */
#include <string.h>

#include "bzimage.h"

/* Offsets in the image's first sector and in boot_params. */
#define HDR_SETUP_SECTS		0x1f1
#define HDR_START		0x1f1
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_HARDWARE_SUBARCH	0x23c
#define HDR_INIT_SIZE		0x260
#define BP_SCREEN_INFO		0x000	/* 0x40 bytes */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_EFI_INFO		0x1c0	/* 0x20 bytes */
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define LOADED_HIGH		0x01
#define XLF_KERNEL_64		0x01

static uint32_t get(const uint8_t *p, size_t off, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[off + i];
	return v;
}

static void put(uint8_t *p, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[off + i] = (uint8_t)v;
}

struct vmc_error *bzimage_parse(const char *path, const uint8_t *d,
				size_t size, struct bzimage *bz)
{
	unsigned sects;

	memset(bz, 0, sizeof(*bz));
	if (size < 0x270 || memcmp(d + HDR_MAGIC, "HdrS", 4))
		return vmc_error_create(VMC_ERR_FORMAT, "%s is not an x86 "
			"bzImage (no \"HdrS\" setup header at 0x202)", path);
	bz->version = (uint16_t)get(d, HDR_VERSION, 2);
	if (bz->version < 0x20a)
		return vmc_error_create(VMC_ERR_FORMAT, "%s: boot protocol "
			"%u.%02u is too old (2.10 or later needed: init_size, "
			"relocation)", path, bz->version >> 8,
			bz->version & 0xff);
	if (!(d[HDR_LOADFLAGS] & LOADED_HIGH) || !d[HDR_RELOCATABLE])
		return vmc_error_create(VMC_ERR_FORMAT, "%s is not a "
			"relocatable bzImage (CONFIG_RELOCATABLE): it cannot "
			"run from the crash reservation", path);
	sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
	bz->setup_size = (size_t)(sects + 1) * 512;
	if (bz->setup_size >= size)
		return vmc_error_create(VMC_ERR_FORMAT, "%s: truncated (setup "
			"is %zu bytes, file %zu)", path, bz->setup_size, size);
	bz->data = d;
	bz->size = size;
	bz->kernel_alignment = get(d, HDR_KERNEL_ALIGNMENT, 4);
	bz->init_size = get(d, HDR_INIT_SIZE, 4);
	bz->cmdline_size = get(d, HDR_CMDLINE_SIZE, 4);
	bz->initrd_addr_max = get(d, HDR_INITRD_ADDR_MAX, 4);
	bz->entry64 = bz->version >= 0x20c && (d[HDR_XLOADFLAGS] & XLF_KERNEL_64);
	if (!bz->kernel_alignment || (bz->kernel_alignment &
				      (bz->kernel_alignment - 1)))
		return vmc_error_create(VMC_ERR_FORMAT, "%s: kernel_alignment "
			"0x%x is not a power of two", path,
			bz->kernel_alignment);
	return NULL;
}

void bzimage_boot_params(const struct bzimage *bz, const struct boot_setup *s,
			 uint8_t zp[BOOT_PARAMS_SIZE])
{
	size_t end = HDR_JUMP + 2 + bz->data[HDR_JUMP + 1];
	size_t n = s->ne820 < E820_MAX ? s->ne820 : E820_MAX;

	memset(zp, 0, BOOT_PARAMS_SIZE);
	if (s->running) {
		memcpy(zp + BP_SCREEN_INFO, s->running + BP_SCREEN_INFO, 0x40);
		memcpy(zp + BP_ACPI_RSDP_ADDR, s->running + BP_ACPI_RSDP_ADDR, 8);
		memcpy(zp + BP_EFI_INFO, s->running + BP_EFI_INFO, 0x20);
	}
	memcpy(zp + HDR_START, bz->data + HDR_START, end - HDR_START);
	if (s->running)
		memcpy(zp + HDR_HARDWARE_SUBARCH,
		       s->running + HDR_HARDWARE_SUBARCH, 4);
	zp[HDR_TYPE_OF_LOADER] = 0xd0;	/* kexec */
	put(zp, HDR_CMD_LINE_PTR, s->cmdline_addr, 4);
	put(zp, BP_EXT_CMD_LINE_PTR, s->cmdline_addr >> 32, 4);
	put(zp, HDR_RAMDISK_IMAGE, s->initrd_addr, 4);
	put(zp, BP_EXT_RAMDISK_IMAGE, s->initrd_addr >> 32, 4);
	put(zp, HDR_RAMDISK_SIZE, s->initrd_size, 4);
	put(zp, BP_EXT_RAMDISK_SIZE, s->initrd_size >> 32, 4);
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;

		put(e, 0, s->e820[i].addr, 8);
		put(e, 8, s->e820[i].size, 8);
		put(e, 16, s->e820[i].type, 4);
	}
}
