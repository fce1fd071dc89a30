/* SPDX-License-Identifier: MIT */
/* Finding the loaded modules' files (see modfind.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../arch/arch.h"
#include "modfind.h"
#include "vmlinux-find.h"

/* ---- the build-id in the module's memory ------------------------------- */

static uint32_t get32(const uint8_t *p, bool big)
{
	return big ? (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3] :
		     (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

/*
 * The module's .note.gnu.build-id section is loaded with it (SHF_ALLOC;
 * module->notes_attrs, /sys/module/NAME/notes, points at the same
 * bytes) and sect_attrs has its address: one note, "GNU", type
 * NT_GNU_BUILD_ID.
 */
struct vmc_error *modfind_build_id(struct vmcore *vc, const struct kmodule *m,
				   char *hex)
{
	bool big = vmcore_arch(vc)->big_endian;
	uint8_t note[16 + MODFIND_BUILD_ID_MAX];
	uint32_t namesz, descsz, type;
	struct vmc_error *err;
	size_t i;

	hex[0] = '\0';
	for (i = 0; i < m->nsections; i++)
		if (strcmp(m->sections[i].name, ".note.gnu.build-id") == 0)
			break;
	if (i == m->nsections)
		return vmc_error_create(VMC_ERR_NOT_FOUND, "no "
					".note.gnu.build-id section");
	if ((err = vmcore_read_virt(vc, m->sections[i].addr, note, 16, NULL)))
		return err;
	namesz = get32(note, big);
	descsz = get32(note + 4, big);
	type = get32(note + 8, big);
	if (namesz != 4 || memcmp(note + 12, "GNU", 4) ||
	    type != NT_GNU_BUILD_ID || descsz == 0 ||
	    descsz > MODFIND_BUILD_ID_MAX)
		return vmc_error_create(VMC_ERR_FORMAT, "the note at 0x%" PRIx64
					" is not a GNU build-id",
					m->sections[i].addr);
	if ((err = vmcore_read_virt(vc, m->sections[i].addr + 16, note + 16,
				    descsz, NULL)))
		return err;
	for (i = 0; i < descsz; i++)
		snprintf(hex + 2 * i, 3, "%02x", note[16 + i]);
	return NULL;
}

/* ---- reading a module file --------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct vmc_error *read_whole(const char *path, uint8_t **data_ret,
				    size_t *size_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct vmc_error *err = NULL;
	struct stat st;
	uint8_t *data = NULL;
	size_t done = 0;

	if (fd < 0)
		return vmc_error_errno(errno, "%s", path);
	if (fstat(fd, &st) < 0)
		err = vmc_error_errno(errno, "%s", path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MODFIND_FILE_MAX)
		err = vmc_error_create(VMC_ERR_INVALID, "%s: not a regular file "
				       "of at most %llu bytes", path,
				       MODFIND_FILE_MAX);
	else if (!(data = malloc(st.st_size ? st.st_size : 1)))
		err = &vmc_enomem;
	while (!err && done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, st.st_size - done);

		if (n <= 0)
			err = n ? vmc_error_errno(errno, "%s", path) :
			      vmc_error_create(VMC_ERR_FORMAT, "%s: shrank "
					       "while read", path);
		else
			done += n;
	}
	close(fd);
	if (err) {
		free(data);
		return err;
	}
	*data_ret = data;
	*size_ret = done;
	return NULL;
}

/* Room for N more bytes after LEN in *BUF (capacity *CAP). */
static bool grow(uint8_t **buf, size_t *cap, size_t len, size_t n)
{
	size_t want = *cap ? *cap : 1 << 20;
	uint8_t *p;

	while (want - len < n)
		want *= 2;
	if (want == *cap)
		return true;
	if (want > MODFIND_FILE_MAX || !(p = realloc(*buf, want)))
		return false;
	*buf = p;
	*cap = want;
	return true;
}

static struct vmc_error *unxz(const char *path, const uint8_t *in,
			      size_t insz, uint8_t **out_ret, size_t *size_ret)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	uint8_t *out = NULL;
	size_t cap = 0;
	lzma_ret r = lzma_stream_decoder(&strm, UINT64_MAX, 0);

	strm.next_in = in;
	strm.avail_in = insz;
	while (r == LZMA_OK) {
		if (!grow(&out, &cap, strm.total_out, 1 << 16)) {
			r = LZMA_MEM_ERROR;
			break;
		}
		strm.next_out = out + strm.total_out;
		strm.avail_out = cap - strm.total_out;
		r = lzma_code(&strm, LZMA_FINISH);
	}
	*size_ret = strm.total_out;
	lzma_end(&strm);
	if (r != LZMA_STREAM_END) {
		free(out);
		return vmc_error_create(VMC_ERR_FORMAT, "%s: xz decompression "
					"failed (liblzma error %d)", path, r);
	}
	*out_ret = out;
	return NULL;
}

static struct vmc_error *unzstd(const char *path, const uint8_t *in,
				size_t insz, uint8_t **out_ret,
				size_t *size_ret)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, insz, 0 };
	uint8_t *out = NULL;
	size_t cap = 0, len = 0, r = 1;

	if (!ds)
		return &vmc_enomem;
	while (r != 0 && !ZSTD_isError(r)) {
		ZSTD_outBuffer ob;

		if (!grow(&out, &cap, len, 1 << 16))
			break;
		ob = (ZSTD_outBuffer){ out + len, cap - len, 0 };
		r = ZSTD_decompressStream(ds, &ob, &ib);
		len += ob.pos;
		if (!ZSTD_isError(r) && r != 0 && ib.pos == ib.size &&
		    ob.pos < ob.size)
			break;		/* truncated */
	}
	ZSTD_freeDStream(ds);
	if (r != 0) {
		free(out);
		return vmc_error_create(VMC_ERR_FORMAT, "%s: zstd decompression "
					"failed%s%s", path,
					ZSTD_isError(r) ? ": " : " (truncated)",
					ZSTD_isError(r) ? ZSTD_getErrorName(r) :
					"");
	}
	*out_ret = out;
	*size_ret = len;
	return NULL;
}

struct vmc_error *modfind_load(const char *path, uint8_t **data_ret,
			       size_t *size_ret)
{
	uint8_t *raw = NULL;
	size_t rawsz = 0;
	struct vmc_error *err = read_whole(path, &raw, &rawsz);

	if (err)
		return err;
	if (ends_with(path, ".xz"))
		err = unxz(path, raw, rawsz, data_ret, size_ret);
	else if (ends_with(path, ".zst"))
		err = unzstd(path, raw, rawsz, data_ret, size_ret);
	else {
		*data_ret = raw;
		*size_ret = rawsz;
		return NULL;
	}
	free(raw);
	return err;
}

/* The build-id of the ELF file in DATA: "" if it has none; false if
 * DATA is not ELF. */
static bool file_build_id(uint8_t *data, size_t size, char *hex, size_t hexsz)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return false;
	}
	if (!vmlinux_elf_build_id(elf, hex, hexsz))
		hex[0] = '\0';
	elf_end(elf);
	return true;
}

/* ---- looking ----------------------------------------------------------- */

struct cand {
	char *path;
	const char *origin;
};

struct finder {
	const struct kmodule_list *mods;
	struct cand (*cands)[MODFIND_CANDIDATES_MAX];
	size_t *ncands;
	const char *origin;	/* of the files the current walk finds */
	bool oom;
};

static void add_cand(struct finder *f, size_t i, const char *path)
{
	struct cand *c;

	if (f->ncands[i] == MODFIND_CANDIDATES_MAX)
		return;
	for (size_t k = 0; k < f->ncands[i]; k++)
		if (strcmp(f->cands[i][k].path, path) == 0)
			return;		/* two trees that are one */
	c = &f->cands[i][f->ncands[i]];
	if (!(c->path = strdup(path))) {
		f->oom = true;
		return;
	}
	c->origin = f->origin;
	f->ncands[i]++;
}

/* FILE is NAME.ko[.xz|.zst], where file names may use '-' for the
 * module's '_'. */
static bool is_file_of(const char *file, const char *name)
{
	for (; *file && *name; file++, name++) {
		if (*file != *name && !(*file == '-' && *name == '_'))
			return false;
	}
	return *name == '\0' && (strcmp(file, ".ko") == 0 ||
				 strcmp(file, ".ko.xz") == 0 ||
				 strcmp(file, ".ko.zst") == 0);
}

static void found_file(struct finder *f, const char *path, const char *file)
{
	for (size_t i = 0; i < f->mods->n; i++)
		if (is_file_of(file, f->mods->v[i].name))
			add_cand(f, i, path);
}

/*
 * Every module file under DIR (PATH_MAX bytes, holding LEN of them;
 * restored on return); symbolic links to files are followed, to
 * directories not, and the depth is bounded (Debian's tree is 6 deep).
 */
static void walk(struct finder *f, char *dir, size_t len, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *e;

	while (d && !f->oom && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' || len + 1 + n >= PATH_MAX)
			continue;
		dir[len] = '/';
		memcpy(dir + len + 1, e->d_name, n + 1);
		/* lstat() fails for what went away meanwhile: skip it. */
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			walk(f, dir, len + 1 + n, depth + 1);
		else if (strstr(e->d_name, ".ko") && stat(dir, &st) == 0 &&
			 S_ISREG(st.st_mode))
			found_file(f, dir, e->d_name);
		dir[len] = '\0';
	}
	if (d)
		closedir(d);
}

static void walk_dir(struct finder *f, const char *origin, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

static void walk_dir(struct finder *f, const char *origin, const char *fmt,
		     ...)
{
	char dir[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dir, sizeof(dir), fmt, ap);
	va_end(ap);
	f->origin = origin;
	if (n > 0 && (size_t)n < sizeof(dir))
		walk(f, dir, (size_t)n, 0);
}

/* ROOT/usr/lib/debug/boot/vmlinux-R (Debian's -dbg layout): its
 * modules are in ROOT/usr/lib/debug/lib/modules/R. */
static void walk_vmlinux_tree(struct finder *f, const char *vmlinux,
			      const char *release)
{
	static const char boot[] = "/usr/lib/debug/boot/";
	const char *at = vmlinux ? strstr(vmlinux, boot) : NULL;

	if (at && release)
		walk_dir(f, "in the vmlinux's debug tree",
			 "%.*s/usr/lib/debug/lib/modules/%s",
			 (int)(at - vmlinux), vmlinux, release);
}

/* The build-id tree first, then by name: the search directories, the
 * debug modules trees, the installed modules. */
static void gather(struct finder *f, const struct modfind_search *s,
		   struct modfind_result *res)
{
	const char *r = s->root ? s->root : "", *rel = s->release;
	char path[PATH_MAX];

	f->origin = "in the build-id tree";
	for (size_t i = 0; i < f->mods->n; i++) {
		const char *id = res[i].build_id;

		if (id[0] && snprintf(path, sizeof(path), "%s/usr/lib/debug/"
				      ".build-id/%.2s/%s.debug", r, id,
				      id + 2) < (int)sizeof(path) &&
		    access(path, F_OK) == 0)
			add_cand(f, i, path);
	}
	for (size_t i = 0; i < s->ndirs; i++)
		walk_dir(f, "in a search directory", "%s", s->dirs[i]);
	if (rel)
		walk_dir(f, "in the debug modules tree",
			 "%s/usr/lib/debug/lib/modules/%s", r, rel);
	walk_vmlinux_tree(f, s->vmlinux, rel);
	if (rel)
		walk_dir(f, "in the installed modules", "%s/lib/modules/%s",
			 r, rel);
}

/* Take the first candidate with the module's build-id (any ELF file
 * when the module has none); say why the others were not. */
static void choose(struct cand *c, size_t n, struct modfind_result *res)
{
	struct strbuf not;

	strbuf_init(&not);
	for (size_t k = 0; k < n && !res->path; k++) {
		char id[2 * MODFIND_BUILD_ID_MAX + 1];
		uint8_t *data;
		size_t size;
		struct vmc_error *err = modfind_load(c[k].path, &data, &size);

		if (err) {
			strbuf_addf(&not, "; %s does not read: %s", c[k].path,
				    err->message);
			vmc_error_destroy(err);
			continue;
		}
		if (!file_build_id(data, size, id, sizeof(id)))
			strbuf_addf(&not, "; %s is not ELF", c[k].path);
		else if (res->build_id[0] && strcmp(id, res->build_id))
			strbuf_addf(&not, "; refused %s: its build-id is %s, "
				    "not the module's", c[k].path,
				    id[0] ? id : "missing");
		else {
			res->path = c[k].path;
			c[k].path = NULL;
			strbuf_addf(&res->report, "%s (%s, %s)", res->path,
				    c[k].origin, res->build_id[0] ?
				    "build-id matches" : "the dump has no "
				    "build-id to check");
		}
		free(data);
	}
	if (!res->path)
		strbuf_addf(&res->report, "no file%s%s%s", n ? "" : " named "
			    "like it in the search paths",
			    res->build_id[0] ? " with build-id " : "",
			    res->build_id);
	if (not.len)
		strbuf_add(&res->report, not.data, not.len);
	strbuf_deinit(&not);
}

struct vmc_error *modfind_all(struct vmcore *vc,
			      const struct modfind_search *search,
			      const struct kmodule_list *mods,
			      struct modfind_result *res)
{
	struct finder f = { .mods = mods };
	size_t n = mods->n ? mods->n : 1;

	f.cands = calloc(n, sizeof(*f.cands));
	f.ncands = calloc(n, sizeof(*f.ncands));
	for (size_t i = 0; i < mods->n; i++) {
		struct vmc_error *err;

		memset(&res[i], 0, sizeof(res[i]));
		strbuf_init(&res[i].report);
		err = modfind_build_id(vc, &mods->v[i], res[i].build_id);
		vmc_error_destroy(err);		/* then matched by name */
	}
	if (f.cands && f.ncands)
		gather(&f, search, res);
	for (size_t i = 0; i < mods->n && f.cands && f.ncands && !f.oom; i++)
		choose(f.cands[i], f.ncands[i], &res[i]);
	for (size_t i = 0; f.cands && f.ncands && i < mods->n; i++)
		for (size_t k = 0; k < f.ncands[i]; k++)
			free(f.cands[i][k].path);
	if (!f.cands || !f.ncands)
		f.oom = true;
	free(f.cands);
	free(f.ncands);
	for (size_t i = 0; i < mods->n; i++)
		f.oom |= res[i].report.oom;
	return f.oom ? &vmc_enomem : NULL;
}

void modfind_results_deinit(struct modfind_result *res, size_t n)
{
	for (size_t i = 0; res && i < n; i++) {
		free(res[i].path);
		strbuf_deinit(&res[i].report);
	}
}

/* ---- placing the sections ---------------------------------------------- */

static void put(uint8_t *p, uint64_t v, size_t n, bool big)
{
	for (size_t i = 0; i < n; i++)
		p[big ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static const struct kmodule_section *section_of(const struct kmodule *m,
						const char *name)
{
	for (size_t i = 0; name && i < m->nsections; i++)
		if (strcmp(m->sections[i].name, name) == 0)
			return &m->sections[i];
	return NULL;
}

struct vmc_error *modfind_place(uint8_t *data, size_t size,
				const struct kmodule *m)
{
	bool big, is64;
	size_t shstrndx, shnum, placed = 0;
	GElf_Ehdr eh;
	Elf *elf;
	struct vmc_error *err = NULL;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	is64 = elf && gelf_getclass(elf) == ELFCLASS64;
	/* The headers are patched in DATA itself: all of them in it. */
	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_type != ET_REL ||
	    elf_getshdrstrndx(elf, &shstrndx) || elf_getshdrnum(elf, &shnum) ||
	    eh.e_shentsize < (is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) ||
	    eh.e_shoff > size || (size - eh.e_shoff) / eh.e_shentsize < shnum) {
		err = vmc_error_create(VMC_ERR_FORMAT, "not a relocatable ELF "
				       "file with its section headers");
		goto out;
	}
	big = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn;
	     scn = elf_nextscn(elf, scn)) {
		uint8_t *sh = data + eh.e_shoff + elf_ndxscn(scn) *
			      (size_t)eh.e_shentsize;
		const struct kmodule_section *ks;
		GElf_Shdr shdr;

		if (elf_ndxscn(scn) >= shnum || !gelf_getshdr(scn, &shdr) ||
		    !(shdr.sh_flags & SHF_ALLOC))
			continue;
		ks = section_of(m, elf_strptr(elf, shstrndx, shdr.sh_name));
		if (ks) {	/* sh_addr: Elf64 at 16, Elf32 at 12 */
			put(sh + (is64 ? 16 : 12), ks->addr, is64 ? 8 : 4, big);
			placed++;
		} else {	/* sh_flags: at 8 in both */
			put(sh + 8, shdr.sh_flags & ~(uint64_t)SHF_ALLOC,
			    is64 ? 8 : 4, big);
		}
	}
	if (!placed)
		err = vmc_error_create(VMC_ERR_NOT_FOUND, "none of its sections "
				       "is one the kernel loaded");
out:
	if (elf)
		elf_end(elf);
	return err;
}
