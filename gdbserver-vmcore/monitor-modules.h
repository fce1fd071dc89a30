/* SPDX-License-Identifier: MIT */
#ifndef VMC_MONITOR_MODULES_H
#define VMC_MONITOR_MODULES_H

#include "strbuf.h"

struct server;

/* monitor modules: each module, its base and its add-symbol-file line. */
void monitor_modules(struct server *s, struct strbuf *out);

#endif
