/* SPDX-License-Identifier: MIT */
/*
 * The output ELF core: plan it from the dump model, then write it.
 *
 * Layout: ELF header, program headers (PT_NOTE, then the PT_LOADs), the
 * notes, then each PT_LOAD's bytes at a page-aligned offset.  Nothing
 * depends on the input's layout: every byte of memory is read through
 * libvmcore, so ELF, kdump-compressed, flattened and split inputs are
 * all the same here.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "../libvmcore/vmcore.h"
#include "convert.h"

#define PAGE 4096u
#define FOUR_G (UINT64_C(1) << 32)
/* makedumpfile writes runs of fewer excluded pages than this as zeros
 * and leaves longer ones out of its ELF output (PFN_EXCLUDED). */
#define EXCLUDED_RUN_MIN 256
#define CHUNK (1024u * 1024)
#define WRITEBACK (UINT64_C(32) << 20)
#define MAX_PHNUM 0xfffe	/* PN_XNUM (0xffff) would need a section */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static struct vmc_error *add_seg(struct plan *p, uint64_t paddr,
				 uint64_t vaddr, uint64_t memsz,
				 uint64_t filesz)
{
	if (p->nsegs == p->segs_cap) {
		size_t cap = p->segs_cap ? 2 * p->segs_cap : 16;
		struct out_seg *n = realloc(p->segs, cap * sizeof(*n));

		if (!n)
			return &vmc_enomem;
		p->segs = n;
		p->segs_cap = cap;
	}
	p->segs[p->nsegs++] = (struct out_seg){
		.paddr = paddr, .vaddr = vaddr, .memsz = memsz,
		.filesz = filesz,
	};
	return NULL;
}

/* ---- class ----------------------------------------------------------- */

static int input_class(const struct vmcore *vc)
{
	const char *f = vmcore_format(vc);

	if (strncmp(f, "ELF32", 5) == 0)
		return ELFCLASS32;
	if (strncmp(f, "ELF64", 5) == 0)
		return ELFCLASS64;
	return vmcore_arch(vc)->word_size == 4 ? ELFCLASS32 : ELFCLASS64;
}

static struct vmc_error *choose_class(const struct vmcore *vc,
				      enum class_choice c, int *ret)
{
	const struct arch *a = vmcore_arch(vc);

	if (c == CLASS_64) {
		*ret = ELFCLASS64;
	} else if (c == CLASS_32) {
		if (a->word_size != 4)
			return vmc_error_create(VMC_ERR_INVALID,
				"--class 32: %s is a 64-bit machine; an ELF32 "
				"core of it would describe an x32 (ILP32) process "
				"to gdb, and its 64-bit kernel addresses and "
				"registers do not fit; use --class 64 or auto",
				a->name);
		*ret = ELFCLASS32;
	} else {
		/* 32-bit machines get ELF32: what their debuggers read. */
		*ret = a->word_size == 4 ? ELFCLASS32 : input_class(vc);
	}
	return NULL;
}

/* ---- segments -------------------------------------------------------- */

static bool is_elf(const struct vmcore *vc)
{
	return strncmp(vmcore_format(vc), "ELF", 3) == 0;
}

/* ELF input: the same segments (what a truncated file lacks, left out). */
static struct vmc_error *segs_from_elf(struct vmcore *vc, struct plan *p)
{
	struct vmc_error *err = NULL;

	for (size_t i = 0; !err && i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);
		uint64_t filesz = s->avail < s->filesz ? s->avail : s->filesz;
		uint64_t memsz = s->avail < s->filesz ? s->avail : s->memsz;

		if (memsz == 0 && s->memsz != 0)
			continue;	/* nothing of it in the file */
		err = add_seg(p, s->paddr, s->vaddr, memsz, filesz);
	}
	return err;
}

/*
 * Kernel virtual addresses for a kdump-compressed input, which has none:
 * the linear map's offset, from a VMCOREINFO symbol that lives in it
 * (mem_section is allocated from memblock, in the linear map), and the
 * kernel image mapping from _stext (x86_64 maps the image apart).
 */
static bool linear_offset(struct vmcore *vc, uint64_t *ret)
{
	uint64_t va, pa;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(mem_section)",
						      &va);

	if (!err)
		err = vmcore_vtop(vc, va, &pa);
	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	*ret = va - pa;
	return (*ret & (PAGE - 1)) == 0;
}

static bool maps_linearly(struct vmcore *vc, uint64_t paddr, uint64_t size,
			  uint64_t lin)
{
	uint64_t pa[2];
	struct vmc_error *e1 = vmcore_vtop(vc, paddr + lin, &pa[0]);
	struct vmc_error *e2 = vmcore_vtop(vc, paddr + size - 1 + lin, &pa[1]);
	bool ok = !e1 && !e2 && pa[0] == paddr && pa[1] == paddr + size - 1;

	vmc_error_destroy(e1);
	vmc_error_destroy(e2);
	return ok;
}

/* The kernel image as its own PT_LOAD, as kexec writes it; 0 when the
 * image is inside the linear map (i386, arm) or cannot be walked. */
static struct vmc_error *image_seg(struct vmcore *vc, struct plan *p,
				   uint64_t lin, bool have_lin)
{
	uint64_t stext, pa0, pa, va;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(_stext)",
						      &stext);

	if (!err)
		err = vmcore_vtop(vc, stext, &pa0);
	if (err) {
		vmc_error_destroy(err);
		return NULL;
	}
	if (have_lin && stext - lin == pa0)
		return NULL;	/* in the linear map: the RAM segments have it */
	/* The image is mapped contiguously up to _end (x86_64: rounded up
	 * to 2 MiB; the rest of the 1 GiB image area is unmapped). */
	for (va = stext; va - stext < (UINT64_C(1) << 30); va += PAGE) {
		err = vmcore_vtop(vc, va, &pa);
		if (err || pa != pa0 + (va - stext))
			break;
	}
	vmc_error_destroy(err);
	p->vaddrs_derived = true;
	return add_seg(p, pa0, stext, va - stext, va - stext);
}

/* A RAM range of a kdump-compressed input, minus long excluded runs. */
static struct vmc_error *ram_seg(struct vmcore *vc, struct plan *p,
				 const struct vmc_segment *s, uint64_t lin,
				 bool have_lin)
{
	uint64_t start = s->paddr, end = s->paddr + s->memsz, run = start;
	uint64_t pa = start, excl_start = 0;
	size_t excl = 0;
	struct vmc_error *err = NULL;

	for (; !err && pa <= end; pa += PAGE) {
		bool x = pa < end && vmcore_page_excluded(vc, pa);

		if (x) {
			if (excl++ == 0)
				excl_start = pa;
			continue;
		}
		if (excl >= EXCLUDED_RUN_MIN) {
			if (excl_start > run) {
				uint64_t va = have_lin && maps_linearly(vc, run,
					excl_start - run, lin) ? run + lin : 0;

				err = add_seg(p, run, va, excl_start - run,
					      excl_start - run);
			}
			p->excluded_runs++;
			p->excluded_bytes += (uint64_t)excl * PAGE;
			run = pa;
		}
		excl = 0;
	}
	if (!err && end > run) {
		uint64_t va = have_lin && maps_linearly(vc, run, end - run, lin)
			? run + lin : 0;

		err = add_seg(p, run, va, end - run, end - run);
	}
	if (have_lin)
		p->vaddrs_derived = true;
	return err;
}

static struct vmc_error *segs_from_pages(struct vmcore *vc, struct plan *p)
{
	uint64_t lin = 0;
	bool have_lin = linear_offset(vc, &lin);
	struct vmc_error *err = image_seg(vc, p, lin, have_lin);

	for (size_t i = 0; !err && i < vmcore_num_segments(vc); i++)
		err = ram_seg(vc, p, vmcore_segment(vc, i), lin, have_lin);
	return err;
}

/* ---- ELF32 limits ---------------------------------------------------- */

static bool fits32(const struct out_seg *s)
{
	return s->paddr + s->memsz <= FOUR_G && s->vaddr + s->memsz <= FOUR_G;
}

static struct vmc_error *refuse_above_4g(const struct plan *p)
{
	char list[1024] = "";
	size_t n = 0, len = 0;

	for (size_t i = 0; i < p->nsegs; i++) {
		const struct out_seg *s = &p->segs[i];

		if (fits32(s))
			continue;
		if (n++ < 8 && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
				"\n  PT_LOAD %zu: physical 0x%" PRIx64 "-0x%"
				PRIx64 ", virtual 0x%" PRIx64, i, s->paddr,
				s->paddr + s->memsz, s->vaddr);
	}
	return vmc_error_create(VMC_ERR_INVALID,
		"ELF32 cannot describe %zu segment%s above 4 GiB:%s%s\n"
		"use --drop-above-4g to leave them out (a 32-bit kernel cannot "
		"have used them without PAE), or --class 64", n,
		n == 1 ? "" : "s", list, n > 8 ? "\n  ..." : "");
}

/* Cut what is above 4 GiB; count it. */
static void drop_above_4g(struct plan *p)
{
	size_t k = 0;

	for (size_t i = 0; i < p->nsegs; i++) {
		struct out_seg s = p->segs[i];

		if (!fits32(&s)) {
			uint64_t keep = s.paddr < FOUR_G ? FOUR_G - s.paddr : 0;

			if (s.vaddr && s.vaddr + keep > FOUR_G)
				keep = s.vaddr < FOUR_G ? FOUR_G - s.vaddr : 0;
			p->dropped++;
			p->dropped_bytes += s.memsz - keep;
			s.filesz = s.filesz < keep ? s.filesz : keep;
			s.memsz = keep;
			if (!keep)
				continue;
		}
		p->segs[k++] = s;
	}
	p->nsegs = k;
}

/* ---- notes ----------------------------------------------------------- */

static void put(uint8_t *b, uint64_t v, unsigned width, bool be)
{
	for (unsigned i = 0; i < width; i++)
		b[be ? width - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static size_t note_size(const char *name, size_t descsz)
{
	size_t namesz = *name ? strlen(name) + 1 : 0;

	return 12 + align_up(namesz, 4) + align_up(descsz, 4);
}

static size_t put_note(uint8_t *b, bool be, const char *name, uint32_t type,
		       const void *desc, size_t descsz)
{
	size_t namesz = *name ? strlen(name) + 1 : 0;

	memset(b, 0, note_size(name, descsz));
	put(b, namesz, 4, be);
	put(b + 4, descsz, 4, be);
	put(b + 8, type, 4, be);
	memcpy(b + 12, name, namesz);
	memcpy(b + 12 + align_up(namesz, 4), desc, descsz);
	return note_size(name, descsz);
}

/* The notes as the dump has them (the Elf32_Nhdr and Elf64_Nhdr layouts
 * are the same), plus VMCOREINFO when it was found in memory. */
static struct vmc_error *make_notes(struct vmcore *vc, struct plan *p)
{
	uint64_t vi_paddr = 0;
	const char *vi = vmcore_vmcoreinfo_text(vc, &vi_paddr);
	size_t len = 0, off = 0;

	for (size_t i = 0; i < vmcore_num_notes(vc); i++)
		len += note_size(vmcore_note(vc, i)->name,
				 vmcore_note(vc, i)->descsz);
	if (vi && vi_paddr)
		len += note_size("VMCOREINFO", strlen(vi));
	p->notes = calloc(1, len + 1);
	if (!p->notes)
		return &vmc_enomem;
	for (size_t i = 0; i < vmcore_num_notes(vc); i++) {
		const struct vmc_note *n = vmcore_note(vc, i);

		off += put_note(p->notes + off, p->big_endian, n->name,
				n->type, n->desc, n->descsz);
	}
	if (vi && vi_paddr) {
		off += put_note(p->notes + off, p->big_endian, "VMCOREINFO", 0,
				vi, strlen(vi));
		p->vmcoreinfo_added = true;
	}
	p->notes_len = off;
	return NULL;
}

/* ---- layout ---------------------------------------------------------- */

static struct vmc_error *layout(struct plan *p)
{
	size_t phnum = 1 + p->nsegs;
	uint64_t off;

	if (phnum > MAX_PHNUM)
		return vmc_error_create(VMC_ERR_INVALID,
			"the output would need %zu program headers; ELF allows "
			"%u without an extension gdb does not read", phnum,
			MAX_PHNUM);
	p->headers_len = p->elfclass == ELFCLASS64
		? sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr)
		: sizeof(Elf32_Ehdr) + phnum * sizeof(Elf32_Phdr);
	off = align_up(p->headers_len + p->notes_len, PAGE);
	p->data_bytes = 0;
	for (size_t i = 0; i < p->nsegs; i++) {
		p->segs[i].offset = p->segs[i].filesz ? off : 0;
		off = align_up(off + p->segs[i].filesz, PAGE);
		p->data_bytes += p->segs[i].filesz;
	}
	p->file_size = p->nsegs ? p->segs[p->nsegs - 1].offset +
				  p->segs[p->nsegs - 1].filesz
				: p->headers_len + p->notes_len;
	if (p->elfclass == ELFCLASS32 && p->file_size > FOUR_G)
		return vmc_error_create(VMC_ERR_INVALID,
			"an ELF32 file cannot be larger than 4 GiB (file "
			"offsets are 32-bit); this one would be %" PRIu64
			" bytes: use --class 64", p->file_size);
	return NULL;
}

struct vmc_error *plan_make(struct vmcore *vc, const struct plan_opts *o,
			    struct plan *p)
{
	const struct arch *a = vmcore_arch(vc);
	struct vmc_error *err;
	bool above = false;

	memset(p, 0, sizeof(*p));
	p->machine = a->e_machine;
	p->big_endian = a->big_endian;
	if ((err = choose_class(vc, o->elfclass, &p->elfclass)) ||
	    (err = is_elf(vc) ? segs_from_elf(vc, p) : segs_from_pages(vc, p)))
		return err;
	for (size_t i = 0; p->elfclass == ELFCLASS32 && i < p->nsegs; i++)
		above |= !fits32(&p->segs[i]);
	if (above && !o->drop_above_4g)
		return refuse_above_4g(p);
	if (above)
		drop_above_4g(p);
	if ((err = make_notes(vc, p)))
		return err;
	return layout(p);
}

void plan_free(struct plan *p)
{
	free(p->segs);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}

/* ---- writing --------------------------------------------------------- */

static size_t put_ehdr(const struct plan *p, uint8_t *b)
{
	bool be = p->big_endian, e64 = p->elfclass == ELFCLASS64;
	size_t phnum = 1 + p->nsegs;
	size_t ehsize = e64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phentsize = e64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned w = e64 ? 8 : 4;

	memset(b, 0, ehsize);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = (uint8_t)p->elfclass;
	b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	b[EI_OSABI] = ELFOSABI_NONE;
	put(b + 16, ET_CORE, 2, be);
	put(b + 18, p->machine, 2, be);
	put(b + 20, EV_CURRENT, 4, be);
	/* e_entry (w), e_phoff (w), e_shoff (w), e_flags, e_ehsize, ... */
	put(b + 24 + w, ehsize, w, be);
	put(b + 24 + 3 * w + 4, ehsize, 2, be);
	put(b + 24 + 3 * w + 6, phentsize, 2, be);
	put(b + 24 + 3 * w + 8, phnum, 2, be);
	return ehsize;
}

static size_t put_phdr(const struct plan *p, uint8_t *b, uint32_t type,
		       uint64_t offset, uint64_t vaddr, uint64_t paddr,
		       uint64_t filesz, uint64_t memsz, uint32_t flags)
{
	bool be = p->big_endian;

	if (p->elfclass == ELFCLASS64) {
		put(b, type, 4, be);
		put(b + 4, flags, 4, be);
		put(b + 8, offset, 8, be);
		put(b + 16, vaddr, 8, be);
		put(b + 24, paddr, 8, be);
		put(b + 32, filesz, 8, be);
		put(b + 40, memsz, 8, be);
		put(b + 48, type == PT_LOAD ? 0 : 4, 8, be);	/* p_align */
		return sizeof(Elf64_Phdr);
	}
	put(b, type, 4, be);
	put(b + 4, offset, 4, be);
	put(b + 8, vaddr, 4, be);
	put(b + 12, paddr, 4, be);
	put(b + 16, filesz, 4, be);
	put(b + 20, memsz, 4, be);
	put(b + 24, flags, 4, be);
	put(b + 28, type == PT_LOAD ? 0 : 4, 4, be);
	return sizeof(Elf32_Phdr);
}

/* All of LEN bytes at OFF, or an error; pipes get them in order. */
static struct vmc_error *out(int fd, bool seekable, const void *buf,
			     size_t len, uint64_t off)
{
	const uint8_t *b = buf;

	while (len) {
		ssize_t n = seekable ? pwrite(fd, b, len, (off_t)off)
				     : write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vmc_error_errno(n < 0 ? errno : EIO,
				"writing %zu bytes at offset %" PRIu64, len,
				off);
		b += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

static struct vmc_error *write_headers(const struct plan *p, int fd,
				       bool seekable)
{
	uint64_t data0 = align_up(p->headers_len + p->notes_len, PAGE);
	uint8_t *b = calloc(1, data0);
	size_t off;
	struct vmc_error *err;

	if (!b)
		return &vmc_enomem;
	off = put_ehdr(p, b);
	off += put_phdr(p, b + off, PT_NOTE, p->headers_len, 0, 0,
			p->notes_len, p->notes_len, 0);
	for (size_t i = 0; i < p->nsegs; i++) {
		const struct out_seg *s = &p->segs[i];

		off += put_phdr(p, b + off, PT_LOAD, s->offset, s->vaddr,
				s->paddr, s->filesz, s->memsz,
				PF_R | PF_W | PF_X);
	}
	memcpy(b + p->headers_len, p->notes, p->notes_len);
	/* The padding before the first segment: only a pipe needs it. */
	err = out(fd, seekable, b, seekable ? p->headers_len + p->notes_len
					    : data0, 0);
	free(b);
	return err;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)b;

	for (size_t i = 0; i < n / 8; i++) {
		if (w[i])
			return false;
	}
	return true;
}

/* BUF at OFF, leaving its zero pages as holes: one pwrite per run of
 * non-zero pages. */
static struct vmc_error *out_sparse(int fd, const uint8_t *buf, size_t n,
				    uint64_t off)
{
	size_t k = 0;

	while (k < n) {
		size_t start;

		while (k < n && all_zero(buf + k, n - k < PAGE ? n - k : PAGE))
			k += PAGE;
		start = k;
		while (k < n && !all_zero(buf + k, n - k < PAGE ? n - k : PAGE))
			k += PAGE;
		if (k > n)
			k = n;
		if (k > start) {
			struct vmc_error *err = out(fd, true, buf + start,
						    k - start, off + start);

			if (err)
				return err;
		}
	}
	return NULL;
}

/* Memory [paddr, paddr+len) into BUF; pages that cannot be read (data
 * missing from an incomplete input) become zeros, counted in *ZEROED.
 * Excluded pages in short runs read as zeros (zero_excluded is on). */
static struct vmc_error *read_chunk(struct vmcore *vc, uint64_t paddr,
				    uint8_t *buf, size_t len,
				    uint64_t *zeroed)
{
	size_t done = 0;
	struct vmc_error *err = vmcore_read_phys(vc, paddr, buf, len, &done);

	while (err) {
		if (err->code != VMC_ERR_EXCLUDED && err->code != VMC_ERR_FAULT)
			return err;
		vmc_error_destroy(err);
		err = NULL;
		/* Zero the failing page and go on after it. */
		size_t stop = (size_t)align_up(paddr + done + 1, PAGE) - paddr;

		if (stop > len)
			stop = len;
		memset(buf + done, 0, stop - done);
		done = stop;
		++*zeroed;
		if (done < len) {
			size_t more = 0;

			err = vmcore_read_phys(vc, paddr + done, buf + done,
					       len - done, &more);
			done += more;
		}
	}
	return NULL;
}

struct vmc_error *plan_write(struct vmcore *vc, const struct plan *p, int fd,
			     bool seekable, progress_fn *progress,
			     void *arg, struct write_result *res)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t done = 0, pos = align_up(p->headers_len + p->notes_len, PAGE);
	struct vmc_error *err;

	memset(res, 0, sizeof(*res));
	if (!buf)
		return &vmc_enomem;
	err = write_headers(p, fd, seekable);
	for (size_t i = 0; !err && i < p->nsegs; i++) {
		const struct out_seg *s = &p->segs[i];

		/* A pipe gets the padding between segments as zeros. */
		if (!seekable && s->filesz && s->offset > pos) {
			memset(buf, 0, s->offset - pos);
			err = out(fd, false, buf, s->offset - pos, pos);
		}
		for (uint64_t o = 0; !err && o < s->filesz; o += CHUNK) {
			size_t n = s->filesz - o < CHUNK ? s->filesz - o : CHUNK;

			if ((err = read_chunk(vc, s->paddr + o, buf, n,
					      &res->zeroed_pages)))
				break;
			err = seekable ? out_sparse(fd, buf, n, s->offset + o)
				       : out(fd, false, buf, n, s->offset + o);
			done += n;
			/* Start writeback as we go: the final fsync then has
			 * little left to wait for. */
			if (seekable && !err && (done & (WRITEBACK - 1)) < n)
				sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
			if (progress)
				progress(arg, done, p->data_bytes);
		}
		if (s->filesz)
			pos = s->offset + s->filesz;
	}
	/* Trailing holes: the file must still have its full size. */
	if (!err && seekable && ftruncate(fd, (off_t)p->file_size) < 0)
		err = vmc_error_errno(errno, "setting the size to %" PRIu64,
				      p->file_size);
	free(buf);
	res->data_done = done;
	return err;
}
