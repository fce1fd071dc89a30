/* SPDX-License-Identifier: MIT */
/*
 * elfconv --dump-level: the page filter given to the kdump writer.
 *
 * Bit 1 (zero pages) is the writer's own: every all-zero page shares one
 * descriptor and one copy of the data, so no page needs leaving out.  The
 * other bits (2 and 4 page cache, 8 user, 16 free pages), and the
 * hardware-poisoned and offline pages makedumpfile always leaves out, are
 * decided from the dumped kernel's struct pages by libkernel/dumplevel.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../libkernel/dumplevel.h"
#include "../libvmcore/pagefilter.h"
#include "../libvmcore/vmcore.h"
#include "convert.h"

struct vmc_error *dump_filter_make(struct vmcore *vc, int level,
				   struct vmc_page_filter *f)
{
	struct dumplevel *dl;
	struct vmc_error *err;

	f->keep_window = NULL;
	f->ctx = NULL;
	f->dump_level = level;
	if ((err = dumplevel_create(vc, level, &dl)))
		return err;
	dumplevel_hook(dl, f);
	return NULL;
}

void dump_filter_report(const struct vmc_page_filter *f, bool verbose,
			FILE *out)
{
	const struct dumplevel *dl = f->ctx;
	char *sum;

	if (!dl)
		return;
	for (size_t i = 0; i < dumplevel_num_warnings(dl); i++)
		fprintf(out, "elfconv: warning: dump level %d: %s\n",
			f->dump_level, dumplevel_warning(dl, i));
	if (!verbose || !(sum = dumplevel_summary(dl)))
		return;
	fprintf(out, "elfconv: dump %s\n", sum);
	free(sum);
}

void dump_filter_free(struct vmc_page_filter *f)
{
	dumplevel_destroy(f->ctx);
	f->keep_window = NULL;
	f->ctx = NULL;
}
