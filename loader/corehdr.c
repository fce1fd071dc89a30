/* SPDX-License-Identifier: MIT */
/*
 * The ELF core header for the kexec_load path: one code path for ELF32
 * and ELF64, fields written at the offsets and widths of the class chosen
 * (a small layout table), not two copies of the same function.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "corehdr.h"

/* Where each field goes in the class's Ehdr/Phdr, and its width. */
struct field {
	uint8_t off, width;
};

struct layout {
	unsigned char elfclass;
	uint16_t ehsize, phentsize;
	struct field e_entry, e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize,
		     e_phnum;
	struct field p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz,
		     p_memsz, p_align;
};

#define F(s, m) { offsetof(s, m), sizeof(((s *)0)->m) }
#define LAYOUT(c, E, P) { c, sizeof(E), sizeof(P), \
	F(E, e_entry), F(E, e_phoff), F(E, e_shoff), F(E, e_flags), \
	F(E, e_ehsize), F(E, e_phentsize), F(E, e_phnum), \
	F(P, p_type), F(P, p_flags), F(P, p_offset), F(P, p_vaddr), \
	F(P, p_paddr), F(P, p_filesz), F(P, p_memsz), F(P, p_align) }

static const struct layout layouts[] = {
	LAYOUT(ELFCLASS32, Elf32_Ehdr, Elf32_Phdr),
	LAYOUT(ELFCLASS64, Elf64_Ehdr, Elf64_Phdr),
};

static void put(uint8_t *base, struct field f, uint64_t v)
{
	for (unsigned i = 0; i < f.width; i++)	/* little-endian targets */
		base[f.off + i] = (uint8_t)(v >> (8 * i));
}

struct vmc_error *corehdr_crash_ranges(const struct iomem *io,
				       struct core_range **ret, size_t *n)
{
	size_t cap = 16, k = 0;
	struct core_range *r = malloc(cap * sizeof(*r));

	if (!r)
		return &vmc_enomem;
	for (size_t i = 0; i < io->n; i++) {
		const struct iomem_range *ram = &io->r[i];
		uint64_t at = ram->start, end = ram->end + 1;

		if (ram->depth || strcmp(ram->name, "System RAM"))
			continue;
		/* Cut out each crash-kernel range inside this one, in order
		 * (iomem lists children sorted). */
		for (size_t j = 0; at < end; j++) {
			const struct iomem_range *ck = iomem_find(io,
							"Crash kernel", j);
			uint64_t cut = ck ? ck->start : end, resume = ck ?
				       ck->end + 1 : end;

			if (ck && (ck->end + 1 <= at || ck->start >= end))
				continue;
			if (cut > end)
				cut = end;
			if (cut > at) {
				if (k == cap) {
					struct core_range *t = realloc(r,
						2 * cap * sizeof(*r));

					if (!t) {
						free(r);
						return &vmc_enomem;
					}
					r = t;
					cap *= 2;
				}
				r[k++] = (struct core_range){ at, cut };
			}
			at = resume;
		}
	}
	if (k == 0) {
		free(r);
		return vmc_error_create(VMC_ERR_NOT_FOUND, "/proc/iomem lists "
			"no System RAM outside the Crash kernel ranges%s",
			io->zeroed ? " (its addresses read as 0: not root)" :
			"");
	}
	*ret = r;
	*n = k;
	return NULL;
}

struct vmc_error *corehdr_fits_elf32(const struct corehdr_spec *s)
{
	const uint64_t lim = UINT64_C(1) << 32;

	for (size_t i = 0; i < s->nram; i++)
		if (s->ram[i].end > lim)
			return vmc_error_create(VMC_ERR_INVALID, "ELF32 core "
				"headers cannot describe RAM at physical "
				"0x%" PRIx64 "-0x%" PRIx64 " (above 4 GiB): "
				"use --elf64-core-headers", s->ram[i].start,
				s->ram[i].end - 1);
	for (size_t i = 0; i < s->nnotes; i++)
		if (s->notes[i].paddr + s->notes[i].size > lim)
			return vmc_error_create(VMC_ERR_INVALID, "ELF32 core "
				"headers cannot point at CPU %zu's crash notes "
				"at physical 0x%" PRIx64 ": use "
				"--elf64-core-headers", i, s->notes[i].paddr);
	if (s->vmcoreinfo.paddr + s->vmcoreinfo.size > lim || s->text)
		return vmc_error_create(VMC_ERR_INVALID, "ELF32 core headers "
			"cannot describe %s: use --elf64-core-headers",
			s->text ? "a 64-bit kernel's text mapping" :
			"VMCOREINFO above 4 GiB");
	return NULL;
}

static size_t count_loads(const struct corehdr_spec *s)
{
	size_t n = s->text;

	for (size_t i = 0; i < s->nram; i++)
		n += 1 + (s->lowmem_limit && s->ram[i].start < s->lowmem_limit &&
			  s->ram[i].end > s->lowmem_limit);
	return n;
}

struct phdr_writer {
	const struct layout *l;
	uint8_t *buf;
	size_t next;
};

static void phdr(struct phdr_writer *w, uint32_t type, uint32_t flags,
		 uint64_t offset, uint64_t vaddr, uint64_t paddr, uint64_t size)
{
	uint8_t *p = w->buf + w->l->ehsize + w->next++ * w->l->phentsize;

	put(p, w->l->p_type, type);
	put(p, w->l->p_flags, flags);
	put(p, w->l->p_offset, offset);
	put(p, w->l->p_vaddr, vaddr);
	put(p, w->l->p_paddr, paddr);
	put(p, w->l->p_filesz, size);
	put(p, w->l->p_memsz, size);
	put(p, w->l->p_align, 0);
}

/* A RAM range as PT_LOADs: linear-mapped below lowmem_limit, vaddr -1
 * (no permanent mapping: 32-bit highmem) above. */
static void ram_loads(struct phdr_writer *w, const struct corehdr_spec *s,
		      struct core_range r)
{
	const uint32_t rwx = PF_R | PF_W | PF_X;
	uint64_t none = s->elfclass == 32 ? UINT32_MAX : UINT64_MAX;

	if (s->lowmem_limit && r.start < s->lowmem_limit &&
	    r.end > s->lowmem_limit) {
		ram_loads(w, s, (struct core_range){ r.start, s->lowmem_limit });
		r.start = s->lowmem_limit;
	}
	phdr(w, PT_LOAD, rwx, r.start,
	     s->lowmem_limit && r.start >= s->lowmem_limit ? none :
	     r.start + s->page_offset, r.start, r.end - r.start);
}

struct vmc_error *corehdr_build(const struct corehdr_spec *s, uint8_t **buf,
				size_t *len)
{
	const struct layout *l = &layouts[s->elfclass == 64];
	size_t nph = s->nnotes + (s->vmcoreinfo.size > 0) + count_loads(s);
	struct phdr_writer w = { l, NULL, 0 };
	struct vmc_error *err;

	if (s->elfclass != 32 && s->elfclass != 64)
		return vmc_error_create(VMC_ERR_INVALID, "ELF class %u",
					s->elfclass);
	if (s->elfclass == 32 && (err = corehdr_fits_elf32(s)))
		return err;
	if (nph >= PN_XNUM)
		return vmc_error_create(VMC_ERR_INVALID, "%zu program headers "
			"are too many for an ELF core header", nph);
	*len = l->ehsize + nph * l->phentsize;
	if (!(w.buf = calloc(1, *len)))
		return &vmc_enomem;
	memcpy(w.buf, ELFMAG, SELFMAG);
	w.buf[EI_CLASS] = l->elfclass;
	w.buf[EI_DATA] = ELFDATA2LSB;
	w.buf[EI_VERSION] = EV_CURRENT;
	w.buf[EI_OSABI] = ELFOSABI_NONE;
	/* e_type, e_machine, e_version: the same place in both classes. */
	put(w.buf, (struct field){ 16, 2 }, ET_CORE);
	put(w.buf, (struct field){ 18, 2 }, s->machine);
	put(w.buf, (struct field){ 20, 4 }, EV_CURRENT);
	put(w.buf, l->e_entry, 0);
	put(w.buf, l->e_phoff, l->ehsize);
	put(w.buf, l->e_shoff, 0);
	put(w.buf, l->e_flags, 0);
	put(w.buf, l->e_ehsize, l->ehsize);
	put(w.buf, l->e_phentsize, l->phentsize);
	put(w.buf, l->e_phnum, nph);
	for (size_t i = 0; i < s->nnotes; i++)
		phdr(&w, PT_NOTE, 0, s->notes[i].paddr, 0, s->notes[i].paddr,
		     s->notes[i].size);
	if (s->vmcoreinfo.size)
		phdr(&w, PT_NOTE, 0, s->vmcoreinfo.paddr, 0,
		     s->vmcoreinfo.paddr, s->vmcoreinfo.size);
	if (s->text)
		phdr(&w, PT_LOAD, PF_R | PF_W | PF_X, s->text_paddr,
		     s->text_vaddr, s->text_paddr, s->text_size);
	for (size_t i = 0; i < s->nram; i++)
		ram_loads(&w, s, s->ram[i]);
	*buf = w.buf;
	return NULL;
}
