/* SPDX-License-Identifier: MIT */
/*
 * Finding each loaded module's file: by the build-id the kernel kept in
 * the module's memory (its .note.gnu.build-id section) in the debug
 * build-id tree, and by name in the search directories, the debug
 * modules tree (Debian's linux-image-*-dbg) and /lib/modules/RELEASE
 * (.ko, .ko.xz, .ko.zst).  A file whose build-id is not the module's is
 * refused.  And the file as gdb should see it: decompressed, with every
 * section the kernel loaded at its address (modfind_place()).
 */
#ifndef VMC_MODFIND_H
#define VMC_MODFIND_H

#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/vmcore.h"
#include "modules.h"
#include "strbuf.h"

#define MODFIND_BUILD_ID_MAX 64
/* At most this many files named like a module are weighed for it, and
 * a decompressed module may be this big (Debian's largest debug .ko,
 * amdgpu, is ~60 MiB). */
#define MODFIND_CANDIDATES_MAX 8
#define MODFIND_FILE_MAX (512ull << 20)

/* Where to look.  Zeroed fields take the defaults in brackets. */
struct modfind_search {
	const char *root;	/* prefix of the system paths [""] */
	const char *release;	/* the dump's OSRELEASE [none] */
	const char *vmlinux;	/* in a debug tree: its modules are looked
				 * for there too [none] */
	const char *const *dirs;	/* searched first, recursively */
	size_t ndirs;
};

struct modfind_result {
	char *path;		/* the file taken (malloc'ed), or NULL */
	char build_id[2 * MODFIND_BUILD_ID_MAX + 1];	/* in memory; "" */
	struct strbuf report;	/* what was taken and why, or why none */
};

/* The build-id of module M as the kernel loaded it, as lower-case hex
 * into HEX_RET (2 * MODFIND_BUILD_ID_MAX + 1 bytes). */
struct vmc_error *modfind_build_id(struct vmcore *vc, const struct kmodule *m,
				   char *hex_ret);

/*
 * Look for the file of each module of MODS; RES has MODS->n entries,
 * each initialized here (free with modfind_results_deinit()).  Errors
 * only for out of memory.
 */
struct vmc_error *modfind_all(struct vmcore *vc,
			      const struct modfind_search *search,
			      const struct kmodule_list *mods,
			      struct modfind_result *res);
void modfind_results_deinit(struct modfind_result *res, size_t n);

/* The whole file PATH into *DATA_RET (malloc'ed), decompressed when its
 * name ends in .xz or .zst. */
struct vmc_error *modfind_load(const char *path, uint8_t **data_ret,
			       size_t *size_ret);

/*
 * Make the relocatable module file DATA (SIZE bytes) say where the kernel
 * put it: every SHF_ALLOC section that M has an address for gets it as
 * sh_addr; the other SHF_ALLOC sections (.modinfo, __versions, empty
 * ones: the kernel did not load them) lose the flag.  gdb then places a
 * relocatable file's sections at their addresses as they are, and
 * relocates its DWARF against them.
 */
struct vmc_error *modfind_place(uint8_t *data, size_t size,
				const struct kmodule *m);

#endif
