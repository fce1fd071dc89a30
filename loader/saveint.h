/* SPDX-License-Identifier: MIT */
/* save's pieces shared by the local save (save.c) and save --ssh
 * (savessh.c). */
#ifndef LOADER_SAVEINT_H
#define LOADER_SAVEINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "loader.h"

struct vmcore;

/* The progress line (on a terminal only): DONE of TOTAL source bytes. */
void save_progress(const struct save_opts *o, uint64_t done, uint64_t total,
		   time_t start);
/* The dump directory's time stamp, YYYY-MM-DD-HH:MM:SS (UTC). */
void save_stamp(char *buf, size_t len);
/* The dump directory's host name (--host, the dump's, this system's). */
void save_pick_host(const struct save_opts *o, struct vmcore *vc,
		    char *host, size_t n);
/* The source through libvmcore, or NULL (*OPEN_ERR says why; *KDUMP is
 * then false: a plain copy). */
struct vmcore *save_open_source(const struct save_opts *o, bool *kdump,
				struct vmc_error **open_err);
/* --format kdump to OUT (FLAT: the flattened stream, for a pipe);
 * *STREAM_BYTES_RET (may be NULL): the bytes written to OUT. */
struct vmc_error *save_write_kdump(const struct save_opts *o,
				   struct vmcore *vc, int out, bool flat,
				   uint64_t *stream_bytes_ret);
/* vmcore_dmesg()'s callback: one line to a struct dmesg_out's F. */
struct dmesg_out {
	FILE *f;
};
int save_dmesg_line(void *arg, uint64_t seq, uint64_t ts, const char *text,
		    size_t len);
/* save --ssh (savessh.c): IN is the open source. */
struct vmc_error *save_dump_ssh(const struct save_opts *o, int in,
				char **saved_ret);

#endif
