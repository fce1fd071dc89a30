/* SPDX-License-Identifier: MIT */
/*
 * The capture kernel's command line, built from the running one: drop
 * what must not reach a capture kernel (the reservation itself, memory
 * that the small reservation cannot give, boot-loader leftovers), add the
 * architecture's capture options, then the user's.
 */
#ifndef LOADER_CMDLINE_H
#define LOADER_CMDLINE_H

#include "../libvmcore/error.h"

/* Parameters removed from the running command line (NULL-terminated). */
extern const char *const capture_cmdline_drop[];

/*
 * RUNNING minus the dropped parameters and minus any parameter that
 * DEFAULTS or APPEND sets, then DEFAULTS, then APPEND; "--" and the init
 * arguments after it stay last.  Quoted values ("a b") are kept whole.
 * *RET is malloc'ed.
 */
struct vmc_error *capture_cmdline(const char *running, const char *defaults,
				  const char *append, char **ret);

#endif
