/* SPDX-License-Identifier: MIT */
/*
 * The vmlinux when --vmlinux is not given: gdb's own files (gdb runs
 * `target remote | gdbserver-vmcore ...` through /bin/sh, so it is one of
 * our ancestors) and the usual debug paths, taking only a file whose ELF
 * build-id is the dump's VMCOREINFO BUILD-ID (or, for dumps without one,
 * whose linux_banner is the dump's).
 */
#ifndef VMC_VMLINUX_FIND_H
#define VMC_VMLINUX_FIND_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../libvmcore/vmcore.h"
#include "strbuf.h"

/* Where to look.  Zeroed fields take the defaults in brackets. */
struct vmlinux_search {
	const char *root;	/* prefix of the usual debug paths [""] */
	const char *proc;	/* procfs, for gdb's command line ["/proc"] */
	pid_t pid;		/* look at this process's ancestors [getpid()];
				 * -1: do not look for gdb */
	const char *const *dirs;	/* extra directories, first */
	size_t ndirs;
};

/* The GNU build-id note of the ELF file PATH, as lower-case hex, into
 * HEX_RET (at least 2 * 64 + 1 bytes). */
#define VMLINUX_BUILD_ID_MAX 64
struct vmc_error *vmlinux_build_id(const char *path, char *hex_ret,
				   size_t hexsz);
/* The same for an ELF file already open in libelf; false: none. */
bool vmlinux_elf_build_id(Elf *elf, char *hex_ret, size_t hexsz);

/*
 * Find the vmlinux of the kernel VC dumped.  *PATH_RET gets a malloc'ed
 * path, or NULL when none matches; either way REPORT gets one line that
 * says which file was taken and why, or why none was.  Errors only for
 * out of memory.
 */
struct vmc_error *vmlinux_find(struct vmcore *vc,
			       const struct vmlinux_search *search,
			       struct strbuf *report, char **path_ret);

#endif
