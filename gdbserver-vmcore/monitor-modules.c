/* SPDX-License-Identifier: MIT */
/*
 * monitor modules: the dumped kernel's modules and, for each, the
 * add-symbol-file command that puts its debug symbols where the kernel
 * loaded it (what Linux's lx-symbols does, which cannot on a dump: it
 * reloads the vmlinux without the KASLR offset).
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../arch/arch.h"
#include "modules.h"
#include "monitor-modules.h"
#include "server.h"

/* nftw() has no argument: the search state for one lookup. */
static struct {
	const char *want;	/* "virtio_blk.ko" */
	char found[PATH_MAX];
} ko_search;

/* File names may use '-' where the module name has '_'. */
static bool same_ko_name(const char *file, const char *want)
{
	for (; *file && *want; file++, want++) {
		if (*file != *want && !(*file == '-' && *want == '_'))
			return false;
	}
	return *file == *want;
}

static int ko_visit(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	if (type != FTW_F || !same_ko_name(path + ftw->base, ko_search.want))
		return 0;
	snprintf(ko_search.found, sizeof(ko_search.found), "%s", path);
	return 1;
}

/*
 * The debug modules directory of the vmlinux's tree: VMLINUX is
 * ROOT/usr/lib/debug/boot/vmlinux-R (Debian's -dbg layout), the modules
 * ROOT/usr/lib/debug/lib/modules/R.
 */
static bool debug_modules_dir(const struct server *s, char *buf, size_t size)
{
	static const char boot[] = "/usr/lib/debug/boot/";
	const char *v = s->opts.vmlinux, *at, *release;

	release = vmcore_vmcoreinfo(s->vc, "OSRELEASE");
	if (!v || !release || !(at = strstr(v, boot)))
		return false;
	return snprintf(buf, size, "%.*s/usr/lib/debug/lib/modules/%s",
			(int)(at - v), v, release) < (int)size;
}

/* The path of NAME.ko under DIR, or NULL. */
static const char *find_ko(const char *dir, const char *name)
{
	char want[80];

	snprintf(want, sizeof(want), "%s.ko", name);
	ko_search.want = want;
	ko_search.found[0] = '\0';
	if (nftw(dir, ko_visit, 16, FTW_PHYS) != 1)
		return NULL;
	return ko_search.found;
}

static void module_line(struct server *s, const struct kmodule *m,
			const char *dir, struct strbuf *out)
{
	const char *ko = dir[0] ? find_ko(dir, m->name) : NULL;

	strbuf_addf(out, "%-24s 0x%0*" PRIx64 "  %zu sections\n", m->name,
		    2 * (int)s->arch->word_size, m->base, m->nsections);
	if (m->nsections == 0)
		return;
	if (ko)
		strbuf_addf(out, "  add-symbol-file %s", ko);
	else
		strbuf_addf(out, "  add-symbol-file %s.ko", m->name);
	for (size_t i = 0; i < m->nsections; i++)
		strbuf_addf(out, " -s %s 0x%" PRIx64, m->sections[i].name,
			    m->sections[i].addr);
	strbuf_adds(out, "\n");
}

void monitor_modules(struct server *s, struct strbuf *out)
{
	struct kmodule_list mods;
	struct strbuf warnings;
	struct vmc_error *err;
	char dir[PATH_MAX] = "";

	if (!s->types || !s->opts.vmlinux_info) {
		strbuf_adds(out, "no module list: it needs the vmlinux with "
			    "debug info (task threads)\n");
		return;
	}
	strbuf_init(&warnings);
	err = modules_read(s->vc, s->types, s->opts.vmlinux_info, &warnings,
			   &mods);
	if (err) {
		strbuf_addf(out, "no module list: %s\n", err->message);
		vmc_error_destroy(err);
		strbuf_deinit(&warnings);
		return;
	}
	if (!debug_modules_dir(s, dir, sizeof(dir)))
		dir[0] = '\0';
	for (size_t i = 0; i < mods.n && !out->oom; i++)
		module_line(s, &mods.v[i], dir, out);
	strbuf_addf(out, "%zu modules", mods.n);
	if (dir[0])
		strbuf_addf(out, "; .ko files looked for under %s", dir);
	strbuf_adds(out, "\n");
	if (warnings.len)
		strbuf_add(out, warnings.data, warnings.len);
	strbuf_deinit(&warnings);
	modules_deinit(&mods);
}
