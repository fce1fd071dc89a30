/* SPDX-License-Identifier: MIT */
/*
 * The dumped kernel's modules as gdb's shared libraries, so module
 * symbols need no command: qXfer:libraries-svr4 lists each module whose
 * file was found (libkernel/modfind.c), with l_addr 0, and vFile
 * serves that file as gdb must see it: decompressed, every loaded
 * section's sh_addr where the kernel put it (modfind_place()).  gdb's
 * default sysroot, "target:", reads library files through vFile.  Why
 * this form: docs/design.md, "Modules as libraries".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "../libkernel/ktypes.h"
#include "../libkernel/modfind.h"
#include "../libkernel/modules.h"
#include "libraries.h"
#include "server.h"

/* gdb's File-I/O errno values (gdb manual, "Errno Values"). */
#define FIO_ENOENT 2
#define FIO_EBADF 9
#define FIO_EACCES 13
#define FIO_EINVAL 22
#define FIO_EMFILE 24
#define FIO_ENOMEM 12	/* not in the list: gdb maps unknown ones */

/* At most this many files open at once (gdb keeps one per library). */
#define VFILE_MAX 8192

struct vfile {
	uint8_t *data;		/* NULL: the slot is free */
	size_t size;
};

struct server_modules {
	char why[256];			/* no module list: why */
	struct kmodule_list mods;
	struct modfind_result *res;	/* mods.n of them */
	struct ktypes *types;		/* the CPU view's own; or NULL */
	struct strbuf warnings;		/* from the module walk */
	struct strbuf xml;		/* the library list */
	struct vfile *files;
	size_t nfiles;
};

static void add_xml_escaped(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_adds(sb, "&amp;"); break;
		case '<': strbuf_adds(sb, "&lt;"); break;
		case '>': strbuf_adds(sb, "&gt;"); break;
		case '"': strbuf_adds(sb, "&quot;"); break;
		default: strbuf_add(sb, s, 1);
		}
	}
}

/* Every module with a file, identified by its struct module address. */
static void make_xml(struct server_modules *m)
{
	strbuf_adds(&m->xml, "<library-list-svr4 version=\"1.0\">\n");
	for (size_t i = 0; i < m->mods.n; i++) {
		if (!m->res[i].path || !m->mods.v[i].nsections)
			continue;
		strbuf_adds(&m->xml, "  <library name=\"");
		add_xml_escaped(&m->xml, m->res[i].path);
		strbuf_addf(&m->xml, "\" lm=\"0x%" PRIx64 "\" l_addr=\"0x0\" lmid=\"0x0\" "
			    "l_ld=\"0x0\"/>\n", m->mods.v[i].addr);
	}
	strbuf_adds(&m->xml, "</library-list-svr4>\n");
}

static void look_up(struct server *s, struct server_modules *m)
{
	struct modfind_search search = {
		.root = s->opts.root,
		.release = vmcore_vmcoreinfo(s->vc, "OSRELEASE"),
		.vmlinux = s->opts.vmlinux,
		.dirs = s->opts.search_dirs,
		.ndirs = s->opts.nsearch_dirs,
	};
	struct ktypes *kt = s->types;	/* the task view's */
	struct vmc_error *err = NULL;

	if (!s->opts.vmlinux || !s->opts.vmlinux_info) {
		snprintf(m->why, sizeof(m->why), "it needs the vmlinux with "
			 "debug info (--vmlinux, or gdb's exec file found)");
		return;
	}
	if (!kt && !(err = ktypes_open(s->opts.vmlinux, &m->types)))
		kt = m->types;
	if (!err)
		err = modules_read(s->vc, kt, s->opts.vmlinux_info,
				   &m->warnings, &m->mods);
	if (!err && !(m->res = calloc(m->mods.n + 1, sizeof(*m->res))))
		err = &vmc_enomem;
	if (!err)
		err = modfind_all(s->vc, &search, &m->mods, m->res);
	if (err) {
		snprintf(m->why, sizeof(m->why), "%s", err->message);
		vmc_error_destroy(err);
	}
}

struct server_modules *libraries_get(struct server *s)
{
	struct server_modules *m = s->modules;

	if (m)
		return m;
	if (!(m = calloc(1, sizeof(*m))))
		return NULL;
	strbuf_init(&m->warnings);
	strbuf_init(&m->xml);
	look_up(s, m);
	if (!m->why[0])
		make_xml(m);
	else
		strbuf_adds(&m->xml, "<library-list-svr4 version=\"1.0\"/>\n");
	s->modules = m;
	return m;
}

void libraries_destroy(struct server *s)
{
	struct server_modules *m = s->modules;

	if (!m)
		return;
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].data);
	free(m->files);
	modfind_results_deinit(m->res, m->mods.n);
	free(m->res);
	modules_deinit(&m->mods);
	ktypes_close(m->types);
	strbuf_deinit(&m->warnings);
	strbuf_deinit(&m->xml);
	free(m);
	s->modules = NULL;
}

/* ---- what monitor modules prints --------------------------------------- */

static void module_lines(struct server *s, const struct kmodule *km,
			 const struct modfind_result *r, struct strbuf *out)
{
	strbuf_addf(out, "%-24s 0x%0*" PRIx64 "  %zu sections\n", km->name,
		    2 * (int)s->arch->word_size, km->base, km->nsections);
	strbuf_addf(out, "  build-id %s\n", r->build_id[0] ? r->build_id :
		    "unknown (not in the module's memory)");
	if (r->path && km->nsections)
		strbuf_addf(out, "  gdb gets %s\n", r->report.data);
	else if (r->path)
		strbuf_addf(out, "  not served to gdb (no section addresses): "
			    "%s\n", r->report.data);
	else
		strbuf_addf(out, "  not served to gdb: %s\n", r->report.data);
	if (km->nsections == 0)
		return;
	strbuf_addf(out, "  add-symbol-file %s", r->path ? r->path : "");
	if (!r->path)
		strbuf_addf(out, "%s.ko", km->name);
	for (size_t i = 0; i < km->nsections; i++)
		strbuf_addf(out, " -s %s 0x%" PRIx64, km->sections[i].name,
			    km->sections[i].addr);
	strbuf_adds(out, "\n");
}

void libraries_monitor(struct server *s, struct strbuf *out)
{
	struct server_modules *m = libraries_get(s);
	size_t served = 0;

	if (!m) {
		out->oom = true;
		return;
	}
	if (m->why[0]) {
		strbuf_addf(out, "no module list: %s\n", m->why);
		return;
	}
	for (size_t i = 0; i < m->mods.n && !out->oom; i++) {
		module_lines(s, &m->mods.v[i], &m->res[i], out);
		served += m->res[i].path && m->mods.v[i].nsections;
	}
	strbuf_addf(out, "%zu modules, %zu with a file gdb loads as a shared "
		    "library (info sharedlibrary)\n", m->mods.n, served);
	if (m->warnings.len)
		strbuf_add(out, m->warnings.data, m->warnings.len);
}

/* ---- qXfer:libraries-svr4 ---------------------------------------------- */

void libraries_xfer(struct server *s, const char *args, size_t len)
{
	struct server_modules *m;

	if (len < 1 || args[0] != ':') {	/* the annex is empty */
		strbuf_adds(&s->reply, "E00");
		return;
	}
	if (!(m = libraries_get(s))) {
		s->reply.oom = true;
		return;
	}
	server_xfer_reply(s, m->xml.data, m->xml.len, args + 1, args + len);
}

/* ---- vFile ------------------------------------------------------------- */

static void fio_error(struct server *s, int fio_errno)
{
	strbuf_addf(&s->reply, "F-1,%x", fio_errno);
}

/* "HEX,HEX,..." into V (N of them); false if malformed. */
static bool parse_args(const char *p, const char *end, uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!parse_hex_u64(&p, end, &v[i]) ||
		    (i + 1 < n && (p == end || *p++ != ',')))
			return false;
	}
	return p == end;
}

/* The module whose served file is NAME, or -1. */
static long module_of(const struct server_modules *m, const char *name)
{
	for (size_t i = 0; i < m->mods.n; i++)
		if (m->res[i].path && m->mods.v[i].nsections &&
		    strcmp(m->res[i].path, name) == 0)
			return (long)i;
	return -1;
}

static long free_slot(struct server_modules *m)
{
	struct vfile *v;

	for (size_t i = 0; i < m->nfiles; i++)
		if (!m->files[i].data)
			return (long)i;
	if (m->nfiles == VFILE_MAX ||
	    !(v = realloc(m->files, (m->nfiles + 1) * sizeof(*v))))
		return -1;
	m->files = v;
	m->files[m->nfiles].data = NULL;
	return (long)m->nfiles++;
}

/* The module file as gdb gets it, into slot FD.  A failure is added to
 * the module's report (monitor modules): a vFile reply cannot carry a
 * message, and console output is for monitor commands only. */
static int open_image(struct server_modules *m, long fd, size_t mod)
{
	struct vfile *f = &m->files[fd];
	struct vmc_error *err = modfind_load(m->res[mod].path, &f->data,
					     &f->size);

	if (!err && (err = modfind_place(f->data, f->size,
					 &m->mods.v[mod]))) {
		free(f->data);
		f->data = NULL;
	}
	if (!err)
		return 0;
	int e = err == &vmc_enomem ? FIO_ENOMEM : FIO_EINVAL;

	strbuf_addf(&m->res[mod].report, "; serving it to gdb failed: %s",
		    err->message);
	vmc_error_destroy(err);
	return e;
}

/* vFile:open:HEXNAME,FLAGS,MODE: only the served module files, read
 * only. */
static void vfile_open(struct server *s, const char *p, const char *end)
{
	struct server_modules *m = libraries_get(s);
	const char *comma = memchr(p, ',', (size_t)(end - p));
	char name[4096];
	uint64_t fm[2];
	long n, mod, fd;
	int e;

	if (!m) {
		fio_error(s, FIO_ENOMEM);
		return;
	}
	if (!comma || !parse_args(comma + 1, end, fm, 2) ||
	    (n = hex_decode(p, (size_t)(comma - p), (uint8_t *)name,
			    sizeof(name) - 1)) < 0) {
		fio_error(s, FIO_EINVAL);
		return;
	}
	name[n] = '\0';
	if ((mod = module_of(m, name)) < 0) {
		fio_error(s, FIO_ENOENT);
		return;
	}
	if (fm[0] & 3) {		/* O_WRONLY, O_RDWR */
		fio_error(s, FIO_EACCES);
		return;
	}
	if ((fd = free_slot(m)) < 0) {
		fio_error(s, FIO_EMFILE);
		return;
	}
	if ((e = open_image(m, fd, (size_t)mod)))
		fio_error(s, e);
	else
		strbuf_addf(&s->reply, "F%lx", fd);
}

static struct vfile *file_of(struct server *s, uint64_t fd)
{
	struct server_modules *m = s->modules;

	return m && fd < m->nfiles && m->files[fd].data ? &m->files[fd] :
	       NULL;
}

/* vFile:pread:FD,COUNT,OFFSET: "F" COUNT ";" and the bytes, binary. */
static void vfile_pread(struct server *s, const char *p, const char *end)
{
	uint64_t a[3];
	struct vfile *f;
	size_t n;

	if (!parse_args(p, end, a, 3)) {
		fio_error(s, FIO_EINVAL);
		return;
	}
	if (!(f = file_of(s, a[0]))) {
		fio_error(s, FIO_EBADF);
		return;
	}
	n = a[2] >= f->size ? 0 : f->size - a[2];
	if (n > a[1])
		n = a[1];
	if (n > RSP_MAX_PACKET - 32)	/* the reply fits a packet */
		n = RSP_MAX_PACKET - 32;
	strbuf_addf(&s->reply, "F%zx;", n);
	strbuf_add(&s->reply, f->data + (n ? a[2] : 0), n);
}

static void vfile_close(struct server *s, const char *p, const char *end)
{
	uint64_t fd;
	struct vfile *f;

	if (!parse_args(p, end, &fd, 1) || !(f = file_of(s, fd))) {
		fio_error(s, FIO_EBADF);
		return;
	}
	free(f->data);
	f->data = NULL;
	strbuf_adds(&s->reply, "F0");
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[n - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* vFile:fstat:FD: gdb's struct stat (File-I/O "struct stat", 64 bytes,
 * big-endian): a regular read-only file of the served size. */
static void vfile_fstat(struct server *s, const char *p, const char *end)
{
	uint8_t st[64] = { 0 };
	uint64_t fd;
	struct vfile *f;

	if (!parse_args(p, end, &fd, 1) || !(f = file_of(s, fd))) {
		fio_error(s, FIO_EBADF);
		return;
	}
	put_be(st + 8, 0100444, 4);		/* st_mode */
	put_be(st + 12, 1, 4);			/* st_nlink */
	put_be(st + 28, f->size, 8);		/* st_size */
	put_be(st + 36, 4096, 8);		/* st_blksize */
	put_be(st + 44, (f->size + 511) / 512, 8);	/* st_blocks */
	strbuf_addf(&s->reply, "F%zx;", sizeof(st));
	strbuf_add(&s->reply, st, sizeof(st));
}

void libraries_vfile(struct server *s, const char *args, size_t len)
{
	static const struct {
		const char *name;
		void (*fn)(struct server *, const char *, const char *);
	} ops[] = {
		{ "open:", vfile_open }, { "pread:", vfile_pread },
		{ "close:", vfile_close }, { "fstat:", vfile_fstat },
	};
	const char *end = args + len;

	/* setfs: one file system, whichever process gdb names. */
	if (len >= 6 && memcmp(args, "setfs:", 6) == 0) {
		strbuf_adds(&s->reply, "F0");
		return;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].name);

		if (len >= n && memcmp(args, ops[i].name, n) == 0) {
			ops[i].fn(s, args + n, end);
			return;
		}
	}
	/* Anything else (unlink, readlink, pwrite...): not supported. */
}
