/* SPDX-License-Identifier: MIT */
/*
 * Finding the dumped kernel's vmlinux without --vmlinux: gdb's exec and
 * symbol files first (what the user debugs with), then extra directories,
 * then the usual debug paths.  A file is taken only when its build-id is
 * the dump's VMCOREINFO BUILD-ID, which 6.1 kernels write on every
 * architecture (kernel commit 0935288c6e00, v5.9); dumps without one are
 * matched by linux_banner, read in the dump where the vmlinux puts it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "vmlinux-find.h"
#include "vmlinux.h"

/* How far up the process tree gdb may be: gdb -> sh -c -> us is 2. */
#define MAX_ANCESTORS 16
/* A gdb command line longer than this is cut (its files come early). */
#define MAX_CMDLINE 65536

struct finder {
	struct vmcore *vc;
	const struct vmlinux_search *search;
	char dump_id[2 * VMLINUX_BUILD_ID_MAX + 1];	/* "" if none */
	const char *release;
	struct strbuf tried;	/* "PATH (why not)" for files that exist */
	size_t ntried, nabsent;
	char *found;
	struct strbuf why;	/* why FOUND was taken */
};

/* The hex digits of the build-id in the first note of DATA, if GNU's. */
static bool note_build_id(Elf_Data *data, char *hex, size_t hexsz)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off;

	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4) ||
		    nh.n_descsz > VMLINUX_BUILD_ID_MAX ||
		    hexsz < 2 * nh.n_descsz + 1)
			continue;
		for (size_t i = 0; i < nh.n_descsz; i++)
			snprintf(hex + 2 * i, 3, "%02x", desc[i]);
		hex[2 * nh.n_descsz] = '\0';
		return true;
	}
	return false;
}

bool vmlinux_elf_build_id(Elf *elf, char *hex, size_t hexsz)
{
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn;
	     scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    (data = elf_getdata(scn, NULL)) &&
		    note_build_id(data, hex, hexsz))
			return true;
	}
	return false;
}

struct vmc_error *vmlinux_build_id(const char *path, char *hex, size_t hexsz)
{
	struct vmc_error *err = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;

	if (fd < 0)
		return vmc_error_errno(errno, "%s", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		err = vmc_error_create(VMC_ERR_INVALID, "%s is not an ELF "
				       "file", path);
	else if (!vmlinux_elf_build_id(elf, hex, hexsz))
		err = vmc_error_create(VMC_ERR_NOT_FOUND, "%s has no build-id "
				       "note", path);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* The dump's BUILD-ID, lower-cased, if it has a plausible one. */
static void dump_build_id(struct vmcore *vc, char *hex, size_t hexsz)
{
	const char *v = vmcore_vmcoreinfo(vc, "BUILD-ID");
	size_t n = 0;

	hex[0] = '\0';
	if (!v)
		return;
	for (; v[n] && isxdigit((unsigned char)v[n]) && n + 1 < hexsz; n++)
		hex[n] = (char)tolower((unsigned char)v[n]);
	hex[n] = '\0';
	if (n < 2 || n % 2 || v[n])
		hex[0] = '\0';	/* not hex: match by banner instead */
}

/* Without a BUILD-ID: is linux_banner, relocated as the vmlinux would be,
 * the vmlinux's own in the dump? */
static bool banner_matches(struct finder *f, const char *path,
			   struct strbuf *why_not)
{
	struct vmlinux_info info;
	struct vmc_error *err = vmlinux_read(path, &info);
	const char *stext = vmcore_vmcoreinfo(f->vc, "SYMBOL(_stext)");
	uint64_t off = 0, addr;
	char mem[sizeof(info.banner)];
	size_t len;

	if (err) {
		strbuf_addf(why_not, "%s", err->message);
		vmc_error_destroy(err);
		return false;
	}
	len = strlen(info.banner);
	if (vmcore_kaslr_known(f->vc))
		off = vmcore_kaslr_offset(f->vc);
	else if (stext)
		off = strtoull(stext, NULL, 16) - info.stext;
	addr = info.banner_addr + off;
	if (vmcore_arch(f->vc)->word_size == 4)
		addr &= UINT32_MAX;
	if (!info.have_banner || !len) {
		strbuf_adds(why_not, "no linux_banner");
		return false;
	}
	err = vmcore_read_virt(f->vc, addr, mem, len, NULL);
	if (err || memcmp(mem, info.banner, len)) {
		strbuf_addf(why_not, "its linux_banner is not the dump's");
		vmc_error_destroy(err);
		return false;
	}
	return true;
}

/* Is PATH the dumped kernel's vmlinux?  WHY_NOT says why not. */
static bool matches(struct finder *f, const char *path, struct strbuf *why_not)
{
	char id[sizeof(f->dump_id)];
	struct vmc_error *err;

	if (!f->dump_id[0])
		return banner_matches(f, path, why_not);
	err = vmlinux_build_id(path, id, sizeof(id));
	if (err) {
		strbuf_adds(why_not, err->code == VMC_ERR_NOT_FOUND ?
			    "no build-id" : "not an ELF file");
		vmc_error_destroy(err);
		return false;
	}
	if (strcmp(id, f->dump_id)) {
		strbuf_addf(why_not, "build-id %s", id);
		return false;
	}
	return true;
}

/* Try PATH, found as ORIGIN ("gdb's exec file", ...); true when taken.
 * QUIET_ABSENT: a path that is no file is not worth a mention. */
static bool try_file(struct finder *f, const char *path, const char *origin,
		     bool quiet_absent)
{
	struct strbuf why_not;
	struct stat st;
	bool ok;

	if (f->found)
		return true;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		f->nabsent += !quiet_absent;
		return false;
	}
	strbuf_init(&why_not);
	ok = matches(f, path, &why_not);
	if (ok) {
		f->found = strdup(path);
		strbuf_addf(&f->why, "%s, %s", origin, f->dump_id[0] ?
			    "its build-id is the dump's" :
			    "its linux_banner is the dump's (the dump has no "
			    "BUILD-ID)");
	} else {
		strbuf_addf(&f->tried, "%s%s (%s)", f->ntried ? ", " : "",
			    path, why_not.data ? why_not.data : "?");
		f->ntried++;
	}
	strbuf_deinit(&why_not);
	return ok;
}

/* ---- gdb among our ancestors --------------------------------------- */

static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size &&
	       (n = read(fd, buf + total, size - (size_t)total)) > 0)
		total += n;
	close(fd);
	return total;
}

/* The parent of PID from /proc/PID/stat ("pid (comm) state ppid ..."). */
static pid_t parent_of(const char *proc, pid_t pid)
{
	char path[PATH_MAX], buf[1024], *p;
	ssize_t n;
	long ppid;

	snprintf(path, sizeof(path), "%s/%d/stat", proc, (int)pid);
	n = read_small(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/* gdb, gdb-multiarch, ...: not gdbserver-anything. */
static bool gdb_name(const char *word)
{
	const char *base = strrchr(word, '/');

	base = base ? base + 1 : word;
	return strncmp(base, "gdb", 3) == 0 && strncmp(base, "gdbserver", 9) &&
	       !strchr(base, ' ');
}

/*
 * Is PID gdb?  Its executable's name says so, or, run through the
 * dynamic loader (ld.so [options] /path/gdb ARGS...), an argument's.
 * *ARGS_RET: where gdb's own arguments start in ARGS (after argv[0], or
 * after the loader's options and the gdb program).
 */
static bool is_gdb(const char *proc, pid_t pid, const char *args, size_t len,
		   size_t *args_ret)
{
	char path[PATH_MAX], exe[PATH_MAX];
	ssize_t n;

	*args_ret = strlen(args) + 1;
	snprintf(path, sizeof(path), "%s/%d/exe", proc, (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (gdb_name(exe))
			return true;
		if (!strstr(exe, "/ld-"))
			return false;
	}
	for (size_t i = 0; i < len; i += strlen(args + i) + 1) {
		if (gdb_name(args + i)) {
			*args_ret = i + strlen(args + i) + 1;
			return true;
		}
	}
	return false;
}

/*
 * The file a gdb command given with -ex loads symbols from: "file F",
 * "symbol-file F", "add-symbol-file F ..." (the way to keep the
 * per-CPU section at 0, gdbserver-vmcore(1) LINUX'S GDB SCRIPTS).
 * Copies the file name into BUF; false when CMD is no such command.
 */
static bool command_file(const char *cmd, char *buf, size_t bufsz)
{
	static const char *const loaders[] = {
		"file", "symbol-file", "add-symbol-file", "exec-file",
	};
	size_t n;

	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t");
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++) {
		if (strlen(loaders[i]) != n || strncmp(cmd, loaders[i], n))
			continue;
		cmd += n;
		cmd += strspn(cmd, " \t");
		n = strcspn(cmd, " \t");
		if (n == 0 || n >= bufsz || cmd[0] == '-')
			return false;
		memcpy(buf, cmd, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

/* Each file argument of gdb PID's command line (ARGS, gdb's own from
 * FIRST on), against its cwd. */
static void gdb_files(struct finder *f, pid_t pid, char *args, size_t len,
		      size_t first)
{
	const char *proc = f->search->proc;
	char path[PATH_MAX], cwd[PATH_MAX], file[2 * PATH_MAX], origin[64];
	char named[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/cwd", proc, (int)pid);
	n = readlink(path, cwd, sizeof(cwd) - 1);
	cwd[n > 0 ? n : 0] = '\0';
	snprintf(origin, sizeof(origin), "a file on gdb's command line "
		 "(pid %d)", (int)pid);
	/* "-e=FILE" style options give their value, and commands that
	 * load symbols (-ex 'add-symbol-file F') their file. */
	for (size_t i = first; i < len && !f->found;
	     i += strlen(args + i) + 1) {
		const char *a = args + i, *eq = strchr(a, '=');

		if (command_file(a, named, sizeof(named)))
			a = named;
		else if (a[0] == '-')
			a = eq ? eq + 1 : "";
		if (!a[0] || strchr(a, '\n'))
			continue;
		snprintf(file, sizeof(file), "%s%s%s", a[0] == '/' ? "" : cwd,
			 a[0] == '/' ? "" : "/", a);
		try_file(f, file, origin, true);
	}
}

static void search_gdb(struct finder *f)
{
	const char *proc = f->search->proc;
	pid_t pid = f->search->pid;
	char path[PATH_MAX];
	char *args = malloc(MAX_CMDLINE + 1);

	if (!args)
		return;
	for (int depth = 0; depth < MAX_ANCESTORS && !f->found; depth++) {
		size_t first;
		ssize_t n;

		pid = parent_of(proc, pid);
		if (pid <= 1)
			break;
		snprintf(path, sizeof(path), "%s/%d/cmdline", proc, (int)pid);
		n = read_small(path, args, MAX_CMDLINE);
		if (n <= 0)
			continue;
		args[n] = '\0';	/* the last word ends even when cut */
		if (is_gdb(proc, pid, args, (size_t)n, &first))
			gdb_files(f, pid, args, (size_t)n, first);
	}
	free(args);
}

/* ---- directories ---------------------------------------------------- */

static void try_pathf(struct finder *f, const char *origin, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void try_pathf(struct finder *f, const char *origin, const char *fmt,
		      ...)
{
	char path[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(path))
		try_file(f, path, origin, false);
}

/* DIR/.build-id/xx/rest.debug, gdb's layout of debug files. */
static void try_build_id_tree(struct finder *f, const char *dir,
			      const char *origin)
{
	if (f->dump_id[0])
		try_pathf(f, origin, "%s/.build-id/%.2s/%s.debug", dir,
			  f->dump_id, f->dump_id + 2);
}

static void search_extra_dirs(struct finder *f)
{
	const char *rel = f->release;

	for (size_t i = 0; i < f->search->ndirs; i++) {
		const char *d = f->search->dirs[i];

		try_build_id_tree(f, d, "in a search directory");
		if (rel) {
			try_pathf(f, "in a search directory", "%s/vmlinux-%s",
				  d, rel);
			try_pathf(f, "in a search directory", "%s/%s/vmlinux",
				  d, rel);
		}
		try_pathf(f, "in a search directory", "%s/vmlinux", d);
	}
}

/* The paths distributions install debug kernels at. */
static void search_debug_paths(struct finder *f)
{
	const char *r = f->search->root, *rel = f->release;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/usr/lib/debug", r);
	try_build_id_tree(f, dir, "in the build-id tree");
	if (!rel)
		return;
	try_pathf(f, "at the debug path of its release",
		  "%s/usr/lib/debug/boot/vmlinux-%s", r, rel);
	try_pathf(f, "at the debug path of its release",
		  "%s/usr/lib/debug/lib/modules/%s/vmlinux", r, rel);
	try_pathf(f, "at the path of its release", "%s/boot/vmlinux-%s",
		  r, rel);
	try_pathf(f, "in its release's build tree",
		  "%s/lib/modules/%s/build/vmlinux", r, rel);
}

static void report(struct finder *f, struct strbuf *out)
{
	if (f->found) {
		strbuf_addf(out, "using vmlinux %s: %s\n", f->found,
			    f->why.data ? f->why.data : "");
		return;
	}
	if (f->dump_id[0])
		strbuf_addf(out, "no vmlinux found with the dump's build-id "
			    "%s", f->dump_id);
	else
		strbuf_adds(out, "no vmlinux found with the dump's "
			    "linux_banner (its VMCOREINFO has no BUILD-ID)");
	if (f->ntried)
		strbuf_addf(out, "; not the dump's: %s", f->tried.data);
	strbuf_addf(out, "; %zu usual path%s absent; give --vmlinux FILE or "
		    "--search-dir DIR\n", f->nabsent, f->nabsent == 1 ? "" : "s");
}

struct vmc_error *vmlinux_find(struct vmcore *vc,
			       const struct vmlinux_search *search,
			       struct strbuf *out, char **path_ret)
{
	struct vmlinux_search s = *search;
	struct finder f = { .vc = vc, .search = &s };

	if (!s.root)
		s.root = "";
	if (!s.proc)
		s.proc = "/proc";
	if (!s.pid)
		s.pid = getpid();
	dump_build_id(vc, f.dump_id, sizeof(f.dump_id));
	f.release = vmcore_vmcoreinfo(vc, "OSRELEASE");
	strbuf_init(&f.tried);
	strbuf_init(&f.why);
	if (s.pid > 0)
		search_gdb(&f);
	search_extra_dirs(&f);
	search_debug_paths(&f);
	report(&f, out);
	strbuf_deinit(&f.tried);
	strbuf_deinit(&f.why);
	*path_ret = f.found;
	return out->oom ? &vmc_enomem : NULL;
}
