/* SPDX-License-Identifier: MIT */
/* The dumped kernel's modules as gdb's shared libraries (libraries.c). */
#ifndef VMC_LIBRARIES_H
#define VMC_LIBRARIES_H

#include <stddef.h>

#include "../libkernel/strbuf.h"

struct server;
struct server_modules;

/* The modules and their files, looked up at the first call (NULL: out
 * of memory). */
struct server_modules *libraries_get(struct server *s);
void libraries_destroy(struct server *s);

/* monitor modules: per module, its file and what gdb gets, or why not. */
void libraries_monitor(struct server *s, struct strbuf *out);
/* qXfer:libraries-svr4:read: (ARGS: ":OFFSET,LENGTH") and vFile: (after
 * it). */
void libraries_xfer(struct server *s, const char *args, size_t len);
void libraries_vfile(struct server *s, const char *args, size_t len);

#endif
