/* SPDX-License-Identifier: MIT */
/*
 * The dumped kernel's loaded modules (the `modules` list), with the
 * address of each section as the kernel recorded it for
 * /sys/module/NAME/sections (module->sect_attrs), so gdb can be told
 * where to put a module's debug symbols: `monitor modules`.
 */
#ifndef VMC_MODULES_H
#define VMC_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/vmcore.h"
#include "ktypes.h"
#include "strbuf.h"
#include "vmlinux.h"

/* At most this many modules and sections per module are read (a Debian
 * kernel has about 4000 modules to load, a module some 10 to 60
 * sections): a corrupt list costs bounded time and memory. */
#define MODULES_MAX 8192
#define MODULE_SECTIONS_MAX 256

struct kmodule_section {
	char name[64];
	uint64_t addr;
};

struct kmodule {
	uint64_t addr;			/* struct module * */
	char name[64];
	uint64_t base;			/* start of its text */
	struct kmodule_section *sections;
	size_t nsections;
};

struct kmodule_list {
	struct kmodule *v;
	size_t n;
};

/* Where things are in struct module and its section table (from the
 * vmlinux DWARF; the unit tests make them up). */
struct module_layout {
	uint64_t list, name, name_size, base, sect_attrs;
	uint64_t nsections, attrs, attr_size, attr_name, attr_address;
};

/* Walk the list_head at HEAD with layout LAY: as modules_read(). */
struct vmc_error *modules_walk(struct vmcore *vc,
			       const struct module_layout *lay, uint64_t head,
			       struct strbuf *warnings,
			       struct kmodule_list *ret);

/*
 * Walk the module list of VC with the vmlinux's layouts KT and symbols VI.
 * A list or section table that does not read ends with a line in
 * WARNINGS, keeping what was read; errors only for a missing symbol or
 * layout (VMC_ERR_NOT_FOUND) and out of memory.
 */
struct vmc_error *modules_read(struct vmcore *vc, struct ktypes *kt,
			       const struct vmlinux_info *vi,
			       struct strbuf *warnings,
			       struct kmodule_list *ret);
void modules_deinit(struct kmodule_list *l);

#endif
