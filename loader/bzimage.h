/* SPDX-License-Identifier: MIT */
/*
 * x86 bzImage for the kexec_load path: the setup header (Documentation/
 * arch/x86/boot.rst) and the boot_params ("zero page") the capture kernel
 * starts with: setup header copied from the image, command line, initrd,
 * e820 map of the memory it may use, and the console/firmware fields of
 * the running kernel's own boot_params (as kexec_file_load does).
 */
#ifndef LOADER_BZIMAGE_H
#define LOADER_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"

#define BOOT_PARAMS_SIZE 4096
#define E820_MAX 128
enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4 };

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

struct bzimage {
	const uint8_t *data;
	size_t size;
	size_t setup_size;	/* real-mode part; the kernel follows */
	uint16_t version;	/* boot protocol */
	uint32_t kernel_alignment, init_size, cmdline_size, initrd_addr_max;
	bool entry64;		/* XLF_KERNEL_64: 64-bit entry at +0x200 */
};

/* Check and read the header; errors say what is wrong with the file. */
struct vmc_error *bzimage_parse(const char *path, const uint8_t *data,
				size_t size, struct bzimage *ret);

struct boot_setup {
	uint64_t cmdline_addr, initrd_addr, initrd_size;
	const struct e820_entry *e820;
	size_t ne820;
	const uint8_t *running;	/* running kernel's boot_params, or NULL */
};

void bzimage_boot_params(const struct bzimage *bz, const struct boot_setup *s,
			 uint8_t zp[BOOT_PARAMS_SIZE]);

#endif
