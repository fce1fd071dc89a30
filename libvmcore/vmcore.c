/* SPDX-License-Identifier: MIT */
/* The dump object: open, format detection, accessors, memory reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "internal.h"

static const struct vmc_format_ops *const formats[] = {
	&vmc_format_elf,
	&vmc_format_kdump,
};

#define SUPPORTED_FORMATS "ELF32 and ELF64 vmcores (/proc/vmcore, kexec, " \
	"makedumpfile -E, QEMU dump-guest-memory), kdump-compressed " \
	"(makedumpfile -c/-l/-p/-z or uncompressed, QEMU -z/-l/-s), and " \
	"either in makedumpfile's flattened format (-F)"

struct vmc_error *vmc_warn(struct vmcore *vc, const char *fmt, ...)
{
	char **w = realloc(vc->warnings,
			   (vc->nwarnings + 1) * sizeof(*vc->warnings));
	va_list ap;
	int ret;

	if (!w)
		return &vmc_enomem;
	vc->warnings = w;
	va_start(ap, fmt);
	ret = vasprintf(&w[vc->nwarnings], fmt, ap);
	va_end(ap);
	if (ret < 0)
		return &vmc_enomem;
	vc->nwarnings++;
	return NULL;
}

struct vmc_error *vmc_file_read(struct vmcore *vc, uint64_t off, void *buf,
				size_t len)
{
	if (vc->flat)
		return vmc_flat_read(vc, off, buf, len);
	return vmc_filemap_read(&vc->map, off, buf, len);
}

static struct vmc_error *read_head(struct vmcore *vc, uint8_t *head,
				   size_t *len)
{
	if (*len > vc->file_size)
		*len = (size_t)vc->file_size;
	return vmc_file_read(vc, 0, head, *len);
}

/* The format, from the first bytes; a flattened stream is unwrapped
 * first and the format of what it holds is detected the same way. */
static struct vmc_error *detect_format(struct vmcore *vc)
{
	uint8_t head[64] = { 0 };
	size_t n = sizeof(head);
	struct vmc_error *err = read_head(vc, head, &n);

	if (err)
		return vmc_error_prefix(err, "%s: reading the header: ",
					vc->path);
	if (vmc_flat_probe(head, n)) {
		if ((err = vmc_flat_open(vc)))
			return err;
		vc->file_size = vmc_flat_size(vc);
		memset(head, 0, sizeof(head));
		n = sizeof(head);
		if ((err = read_head(vc, head, &n)))
			return vmc_error_prefix(err, "%s: reading the header "
						"inside the flattened stream: ",
						vc->path);
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i]->probe(head, n)) {
			vc->ops = formats[i];
			return NULL;
		}
	}
	if (n == 0)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s: the %s is empty; supported: %s", vc->path,
			vc->flat ? "flattened stream" : "file",
			SUPPORTED_FORMATS);
	return vmc_error_create(VMC_ERR_FORMAT,
		"%s: not a dump format we know (first bytes %02x %02x %02x "
		"%02x%s); supported: %s", vc->path, head[0], head[1], head[2],
		head[3], vc->flat ? " inside a flattened stream" : "",
		SUPPORTED_FORMATS);
}

static struct vmc_error *open_file(struct vmcore *vc, const char *path)
{
	struct stat st;

	vc->path = strdup(path);
	if (!vc->path)
		return &vmc_enomem;
	/* Read-only, always: we never write to a dump. */
	vc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vc->fd < 0)
		return vmc_error_errno(errno, "%s", path);
	if (fstat(vc->fd, &st) < 0)
		return vmc_error_errno(errno, "%s", path);
	if (S_ISDIR(st.st_mode))
		return vmc_error_create(VMC_ERR_INVALID,
			"%s is a directory, not a dump file", path);
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(vc->fd, 0, SEEK_END);

		if (end < 0)
			return vmc_error_errno(errno, "%s", path);
		vc->file_size = (uint64_t)end;
	} else if (S_ISREG(st.st_mode)) {
		vc->file_size = (uint64_t)st.st_size;
	} else {
		return vmc_error_create(VMC_ERR_INVALID,
			"%s is not a regular file or block device; give a "
			"saved dump (for a pipe, save it to a file first)",
			path);
	}
	vmc_filemap_init(&vc->map, vc->fd, vc->file_size);
	return NULL;
}

static void setup_translation(struct vmcore *vc)
{
	struct vmc_error *err = NULL;
	int ret;

	memset(vc->tlb.tag, 0xff, sizeof(vc->tlb.tag));
	if (vc->arch->pgt_init)
		err = vc->arch->pgt_init(vc, &vc->pgt);
	if (!err) {
		vc->have_pgt = true;
		ret = asprintf(&vc->translation,
			       "page tables (%s, root at physical 0x%" PRIx64
			       ")", vc->pgt.description, vc->pgt.root);
	} else {
		ret = asprintf(&vc->translation,
			       "PT_LOAD virtual addresses only (%s)",
			       err->message);
		vmc_warn(vc, "no page-table translation: %s; only addresses "
			 "inside the dump's PT_LOAD virtual ranges will read",
			 err->message);
		vmc_error_destroy(err);
	}
	if (ret < 0)
		vc->translation = NULL;
}

/* One file, without page tables yet. */
static struct vmc_error *open_one(const char *path, struct vmcore **ret)
{
	struct vmcore *vc = calloc(1, sizeof(*vc));
	struct vmc_error *err;

	if (!vc)
		return &vmc_enomem;
	vc->fd = -1;
	vc->dump_level = -1;
	if ((err = open_file(vc, path)) || (err = detect_format(vc)) ||
	    (err = vc->ops->open(vc)) || (err = vmc_index_segments(vc))) {
		vmcore_close(vc);
		return err;
	}
	*ret = vc;
	return NULL;
}

/* A file of a split set opened alone still opens: what it holds reads. */
static struct vmc_error *warn_lone_part(struct vmcore *vc)
{
	uint64_t start, end;

	if (!vmc_kdump_split_range(vc, &start, &end))
		return NULL;
	return vmc_warn(vc, "%s is one file of a split dump set (makedumpfile "
			"--split) and holds physical 0x%" PRIx64 "-0x%" PRIx64
			" only; give every file of the set to read the rest",
			vc->path, start, end);
}

/* Open PATHS[1..N-1] and give them to FIRST; their warnings become its. */
static struct vmc_error *join_parts(struct vmcore *first,
				    const char *const *paths, size_t n)
{
	struct vmcore **others = calloc(n - 1, sizeof(*others));
	struct vmc_error *err = NULL;
	size_t i, opened = 0;

	if (!others)
		return &vmc_enomem;
	for (i = 1; i < n && !err; i++) {
		if (!(err = open_one(paths[i], &others[i - 1])))
			opened++;
	}
	if (!err)
		err = vmc_kdump_join(first, others, n - 1);
	for (i = 0; !err && i < opened; i++) {
		for (size_t w = 0; !err && w < others[i]->nwarnings; w++)
			err = vmc_warn(first, "%s", others[i]->warnings[w]);
	}
	if (err) {
		for (i = 0; i < opened; i++)
			vmcore_close(others[i]);
	}
	free(others);
	return err;
}

struct vmc_error *vmcore_open_set(const char *const *paths, size_t n,
				  struct vmcore **ret)
{
	struct vmcore *vc;
	struct vmc_error *err;

	if (n == 0)
		return vmc_error_create(VMC_ERR_INVALID, "no dump file given");
	if ((err = open_one(paths[0], &vc)))
		return err;
	err = n == 1 ? warn_lone_part(vc) : join_parts(vc, paths, n);
	if (!err)
		err = vmc_find_vmcoreinfo(vc);
	if (err) {
		vmcore_close(vc);
		return err;
	}
	setup_translation(vc);
	*ret = vc;
	return NULL;
}

struct vmc_error *vmcore_open(const char *path, struct vmcore **ret)
{
	return vmcore_open_set(&path, 1, ret);
}

void vmcore_close(struct vmcore *vc)
{
	if (!vc)
		return;
	if (vc->ops && vc->ops->close)
		vc->ops->close(vc);
	vmc_flat_close(vc);
	vmc_filemap_deinit(&vc->map);
	if (vc->fd >= 0)
		close(vc->fd);
	vmcoreinfo_deinit(&vc->vmcoreinfo);
	for (size_t i = 0; i < vc->nwarnings; i++)
		free(vc->warnings[i]);
	free(vc->warnings);
	free(vc->segs);
	free(vc->pranges);
	free(vc->vorder);
	free(vc->cpus);
	free(vc->notes);
	free(vc->translation);
	free(vc->path);
	free(vc);
}

const char *vmcore_path(const struct vmcore *vc) { return vc->path; }
const char *vmcore_format(const struct vmcore *vc) { return vc->format_name; }
const struct arch *vmcore_arch(const struct vmcore *vc) { return vc->arch; }
uint64_t vmcore_file_size(const struct vmcore *vc) { return vc->map.size; }
size_t vmcore_flat_records(const struct vmcore *vc)
{
	return vc->flat ? vmc_flat_records(vc) : 0;
}
int vmcore_dump_level(const struct vmcore *vc) { return vc->dump_level; }
uint64_t vmcore_excluded_pages(const struct vmcore *vc)
{
	return vc->excluded_pages;
}
bool vmcore_zero_excluded(const struct vmcore *vc) { return vc->zero_excluded; }

void vmcore_set_zero_excluded(struct vmcore *vc, bool on)
{
	if (vc->zero_excluded == on)
		return;
	vc->zero_excluded = on;
	if (vc->ops->invalidate)
		vc->ops->invalidate(vc);
	memset(vc->tlb.tag, 0xff, sizeof(vc->tlb.tag));
	vc->tlb.last_size = 0;
}
bool vmcore_page_excluded(struct vmcore *vc, uint64_t paddr)
{
	return vc->ops->excluded && vc->ops->excluded(vc, paddr);
}
size_t vmcore_num_warnings(const struct vmcore *vc) { return vc->nwarnings; }
size_t vmcore_num_segments(const struct vmcore *vc) { return vc->nsegs; }
size_t vmcore_num_cpus(const struct vmcore *vc) { return vc->ncpus; }

const char *vmcore_warning(const struct vmcore *vc, size_t i)
{
	return i < vc->nwarnings ? vc->warnings[i] : NULL;
}

const struct vmc_segment *vmcore_segment(const struct vmcore *vc, size_t i)
{
	return i < vc->nsegs ? &vc->segs[i] : NULL;
}

const struct vmc_cpu *vmcore_cpu(const struct vmcore *vc, size_t i)
{
	return i < vc->ncpus ? &vc->cpus[i] : NULL;
}

size_t vmcore_num_notes(const struct vmcore *vc) { return vc->nnotes; }

const struct vmc_note *vmcore_note(const struct vmcore *vc, size_t i)
{
	return i < vc->nnotes ? &vc->notes[i] : NULL;
}

const char *vmcore_vmcoreinfo_text(const struct vmcore *vc,
				   uint64_t *paddr_ret)
{
	if (paddr_ret)
		*paddr_ret = vc->vmcoreinfo_paddr;
	return vc->have_vmcoreinfo ? vc->vmcoreinfo.raw : NULL;
}

const char *vmcore_vmcoreinfo(const struct vmcore *vc, const char *key)
{
	return vc->have_vmcoreinfo ? vmcoreinfo_get(&vc->vmcoreinfo, key)
				   : NULL;
}

static struct vmc_error *no_vmcoreinfo(const char *key)
{
	return vmc_error_create(VMC_ERR_NOT_FOUND,
				"the dump has no VMCOREINFO note (for %s)", key);
}

struct vmc_error *vmcore_vmcoreinfo_hex(const struct vmcore *vc,
					const char *key, uint64_t *ret)
{
	if (!vc->have_vmcoreinfo)
		return no_vmcoreinfo(key);
	return vmcoreinfo_get_hex(&vc->vmcoreinfo, key, ret);
}

struct vmc_error *vmcore_vmcoreinfo_dec(const struct vmcore *vc,
					const char *key, int64_t *ret)
{
	if (!vc->have_vmcoreinfo)
		return no_vmcoreinfo(key);
	return vmcoreinfo_get_dec(&vc->vmcoreinfo, key, ret);
}

struct vmc_error *vmcore_phys_base(const struct vmcore *vc, uint64_t *ret)
{
	int64_t v;
	struct vmc_error *err = vmcore_vmcoreinfo_dec(vc, "NUMBER(phys_base)",
						      &v);

	if (!err) {
		*ret = (uint64_t)v;
		return NULL;
	}
	if (err->code != VMC_ERR_NOT_FOUND || !vc->have_hdr_phys_base)
		return err;
	vmc_error_destroy(err);
	*ret = vc->hdr_phys_base;
	return NULL;
}

/* KERNELOFFSET, if VMCOREINFO has a valid one. */
static bool kerneloffset(const struct vmcore *vc, uint64_t *ret)
{
	struct vmc_error *err;

	if (!vc->have_vmcoreinfo)
		return false;
	err = vmcoreinfo_get_hex(&vc->vmcoreinfo, "KERNELOFFSET", ret);
	vmc_error_destroy(err);
	return !err;
}

uint64_t vmcore_kaslr_offset(const struct vmcore *vc)
{
	uint64_t off;

	if (kerneloffset(vc, &off))
		return off;
	return vc->have_computed_kaslr ? vc->computed_kaslr : 0;
}

bool vmcore_kaslr_known(const struct vmcore *vc)
{
	uint64_t off;

	return kerneloffset(vc, &off) || vc->have_computed_kaslr;
}

struct vmc_error *vmcore_set_link_stext(struct vmcore *vc,
					uint64_t link_stext)
{
	uint64_t stext, off, koff;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)",
						      &stext);

	if (err)
		return vmc_error_prefix(err, "cannot compute the KASLR offset: ");
	/* Modulo 2^64, as addresses wrap; 32-bit ones modulo 2^32. */
	off = stext - link_stext;
	if (vc->arch->word_size == 4)
		off &= UINT32_MAX;
	/* KASLR moves the kernel by CONFIG_PHYSICAL_ALIGN multiples. */
	if (off & 0xfff)
		return vmc_error_create(VMC_ERR_INVALID,
			"the dump's SYMBOL(_stext)=0x%" PRIx64 " is not a whole "
			"number of pages from the vmlinux's _stext 0x%" PRIx64
			": that vmlinux is not the dumped kernel's", stext,
			link_stext);
	if (kerneloffset(vc, &koff) && koff != off)
		return vmc_error_create(VMC_ERR_INVALID,
			"the dump's SYMBOL(_stext)=0x%" PRIx64 " minus the "
			"vmlinux's _stext 0x%" PRIx64 " is 0x%" PRIx64 ", not "
			"its KERNELOFFSET 0x%" PRIx64 ": that vmlinux is not "
			"the dumped kernel's", stext, link_stext, off, koff);
	vc->have_computed_kaslr = true;
	vc->computed_kaslr = off;
	return NULL;
}

const char *vmcore_translation(const struct vmcore *vc)
{
	return vc->translation ? vc->translation : "unknown";
}

struct vmc_error *vmcore_read_phys(struct vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, size_t *done_ret)
{
	size_t done = 0;
	struct vmc_error *err = vc->ops->read_phys(vc, paddr, buf, len,
						   &done);

	if (done_ret)
		*done_ret = done;
	return err;
}
