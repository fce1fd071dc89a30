/* SPDX-License-Identifier: MIT */
/*
 * monitor modules: the dumped kernel's modules and, for each, the
 * add-symbol-file command that puts its debug symbols where the kernel
 * loaded it (what Linux's lx-symbols does, which cannot on a dump: it
 * reloads the vmlinux without the KASLR offset).
 */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../arch/arch.h"
#include "modules.h"
#include "monitor-modules.h"
#include "server.h"

/* What one walk of the debug modules tree looks for and has found. */
struct ko_find {
	const struct kmodule_list *mods;
	char **paths;		/* per module: its .ko, or NULL */
	size_t left;		/* modules still without one */
};

/* FILE is NAME.ko, where file names may use '-' for the module's '_'. */
static bool is_ko_of(const char *file, const char *name)
{
	for (; *file && *name; file++, name++) {
		if (*file != *name && !(*file == '-' && *name == '_'))
			return false;
	}
	return *name == '\0' && strcmp(file, ".ko") == 0;
}

static void found_file(struct ko_find *f, const char *path, const char *file)
{
	for (size_t i = 0; i < f->mods->n; i++) {
		if (f->paths[i] || !is_ko_of(file, f->mods->v[i].name))
			continue;
		if ((f->paths[i] = strdup(path)))
			f->left--;
		return;
	}
}

/*
 * Every NAME.ko under DIR (PATH_MAX bytes, holding LEN of them; restored
 * on return), one walk for all modules; symbolic links are not followed
 * and the depth is bounded (Debian's tree is 6 deep).
 */
static void find_kos(struct ko_find *f, char *dir, size_t len, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *e;

	while (d && f->left && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' || len + 1 + n >= PATH_MAX)
			continue;
		dir[len] = '/';
		memcpy(dir + len + 1, e->d_name, n + 1);
		/* lstat() fails for what went away meanwhile: skip it. */
		bool there = lstat(dir, &st) == 0;

		if (there && S_ISDIR(st.st_mode))
			find_kos(f, dir, len + 1 + n, depth + 1);
		else if (there && S_ISREG(st.st_mode) && n > 3 &&
			 strcmp(e->d_name + n - 3, ".ko") == 0)
			found_file(f, dir, e->d_name);
		dir[len] = '\0';
	}
	if (d)
		closedir(d);
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

static void module_line(struct server *s, const struct kmodule *m,
			const char *ko, struct strbuf *out)
{

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
	struct ko_find f = { 0 };
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
	f.mods = &mods;
	f.left = mods.n;
	f.paths = calloc(mods.n + 1, sizeof(*f.paths));
	if (!debug_modules_dir(s, dir, sizeof(dir)))
		dir[0] = '\0';
	else if (f.paths)
		find_kos(&f, dir, strlen(dir), 0);
	for (size_t i = 0; i < mods.n && !out->oom; i++)
		module_line(s, &mods.v[i], f.paths ? f.paths[i] : NULL, out);
	strbuf_addf(out, "%zu modules", mods.n);
	if (dir[0])
		strbuf_addf(out, "; .ko files looked for under %s", dir);
	strbuf_adds(out, "\n");
	if (warnings.len)
		strbuf_add(out, warnings.data, warnings.len);
	strbuf_deinit(&warnings);
	for (size_t i = 0; f.paths && i < mods.n; i++)
		free(f.paths[i]);
	free(f.paths);
	modules_deinit(&mods);
}
