/* SPDX-License-Identifier: MIT */
/* Synthetic ELF vmcores: see corefile.h. */
#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corefile.h"

static void *cf_alloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "corefile: out of memory\n");
		abort();
	}
	return p;
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

void cf_init(struct cf *cf, int elfclass, uint16_t machine)
{
	memset(cf, 0, sizeof(*cf));
	cf->elfclass = elfclass;
	cf->machine = machine;
	cf->type = ET_CORE;
}

void cf_deinit(struct cf *cf)
{
	for (size_t i = 0; i < cf->nloads; i++)
		free(cf->loads[i].data);
	free(cf->loads);
	free(cf->notes);
	memset(cf, 0, sizeof(*cf));
}

static void notes_append(struct cf *cf, const void *data, size_t len)
{
	size_t need = cf->notes_len + align_up(len, 4);

	if (need > cf->notes_cap) {
		cf->notes_cap = need * 2;
		cf->notes = cf_alloc(cf->notes, cf->notes_cap);
	}
	memcpy(cf->notes + cf->notes_len, data, len);
	memset(cf->notes + cf->notes_len + len, 0, align_up(len, 4) - len);
	cf->notes_len = need;
}

void cf_note(struct cf *cf, const char *name, uint32_t type,
	     const void *desc, size_t descsz)
{
	/* Elf32_Nhdr and Elf64_Nhdr are the same three 4-byte words. */
	uint8_t nh[12];

	cf_put(nh, strlen(name) + 1, 4, cf->big_endian);
	cf_put(nh + 4, descsz, 4, cf->big_endian);
	cf_put(nh + 8, type, 4, cf->big_endian);
	notes_append(cf, nh, sizeof(nh));
	notes_append(cf, name, strlen(name) + 1);
	notes_append(cf, desc, descsz);
}

void cf_vmcoreinfo(struct cf *cf, const char *text)
{
	cf_note(cf, "VMCOREINFO", 0, text, strlen(text));
}

void cf_put(uint8_t *p, uint64_t v, unsigned width, bool big_endian)
{
	for (unsigned i = 0; i < width; i++)
		p[big_endian ? width - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	cf_put(p, v, 8, false);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void cf_prstatus(uint8_t *out, size_t size, size_t pid_off, size_t reg_off,
		 bool big_endian, int32_t pid, const uint8_t *reg,
		 size_t reg_len)
{
	memset(out, 0, size);
	cf_put(out + pid_off, (uint32_t)pid, 4, big_endian);
	memcpy(out + reg_off, reg, reg_len);
}

void cf_x86_prstatus(uint8_t out[CF_PRSTATUS_SIZE], int32_t pid,
		     const uint64_t regs[CF_X86_NREGS])
{
	uint8_t reg[CF_X86_NREGS * 8];

	for (int i = 0; i < CF_X86_NREGS; i++)
		put64(reg + 8 * i, regs[i]);
	cf_prstatus(out, CF_PRSTATUS_SIZE, CF_PRSTATUS_PID, CF_PRSTATUS_REG,
		    false, pid, reg, sizeof(reg));
}

void cf_x86_cpu(struct cf *cf, int32_t pid, const uint64_t regs[CF_X86_NREGS])
{
	uint8_t prs[CF_PRSTATUS_SIZE];

	cf_x86_prstatus(prs, pid, regs);
	cf_note(cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
}

size_t cf_load(struct cf *cf, uint64_t paddr, uint64_t vaddr, uint64_t memsz,
	       uint64_t filesz)
{
	struct cf_load *l;

	if (cf->nloads == cf->loads_cap) {
		cf->loads_cap = cf->loads_cap ? 2 * cf->loads_cap : 16;
		cf->loads = cf_alloc(cf->loads,
				     cf->loads_cap * sizeof(*cf->loads));
	}
	l = &cf->loads[cf->nloads];
	memset(l, 0, sizeof(*l));
	l->paddr = paddr;
	l->vaddr = vaddr;
	l->memsz = memsz;
	l->filesz = filesz;
	l->data = cf_alloc(NULL, (size_t)filesz);
	memset(l->data, 0, (size_t)filesz);
	return cf->nloads++;
}

uint8_t *cf_phys(struct cf *cf, uint64_t paddr)
{
	uint64_t page = paddr & ~(uint64_t)(CF_PAGE_SIZE - 1);
	size_t i;

	for (i = 0; i < cf->nloads; i++) {
		if (cf->loads[i].page && cf->loads[i].paddr == page)
			break;
	}
	if (i == cf->nloads) {
		i = cf_load(cf, page, 0, CF_PAGE_SIZE, CF_PAGE_SIZE);
		cf->loads[i].page = true;
	}
	return cf->loads[i].data + (paddr - page);
}

void cf_poke64(struct cf *cf, uint64_t paddr, uint64_t value)
{
	put64(cf_phys(cf, paddr), value);
}

uint64_t cf_peek64(struct cf *cf, uint64_t paddr)
{
	return get64(cf_phys(cf, paddr));
}

/* Write FIELD of an ELF header struct TYPE at its offset in the image. */
#define EH_PUT(img, type, field, v)					\
	cf_put((img)->data + offsetof(type, field), (v),		\
	       sizeof(((type *)0)->field), (img)->big_endian)

static void write_ehdr(const struct cf *cf, struct cf_image *img)
{
	unsigned char ident[EI_NIDENT] = {
		ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, (unsigned char)cf->elfclass,
		cf->big_endian ? ELFDATA2MSB : ELFDATA2LSB, EV_CURRENT,
		ELFOSABI_NONE,
	};

	memcpy(img->data, ident, EI_NIDENT);
	if (cf->elfclass == ELFCLASS64) {
		EH_PUT(img, Elf64_Ehdr, e_type, cf->type);
		EH_PUT(img, Elf64_Ehdr, e_machine, cf->machine);
		EH_PUT(img, Elf64_Ehdr, e_version, EV_CURRENT);
		EH_PUT(img, Elf64_Ehdr, e_phoff, img->phoff);
		EH_PUT(img, Elf64_Ehdr, e_ehsize, sizeof(Elf64_Ehdr));
		EH_PUT(img, Elf64_Ehdr, e_phentsize, sizeof(Elf64_Phdr));
		EH_PUT(img, Elf64_Ehdr, e_phnum, img->phnum);
	} else {
		EH_PUT(img, Elf32_Ehdr, e_type, cf->type);
		EH_PUT(img, Elf32_Ehdr, e_machine, cf->machine);
		EH_PUT(img, Elf32_Ehdr, e_version, EV_CURRENT);
		EH_PUT(img, Elf32_Ehdr, e_phoff, img->phoff);
		EH_PUT(img, Elf32_Ehdr, e_ehsize, sizeof(Elf32_Ehdr));
		EH_PUT(img, Elf32_Ehdr, e_phentsize, sizeof(Elf32_Phdr));
		EH_PUT(img, Elf32_Ehdr, e_phnum, img->phnum);
	}
}

void cf_build(const struct cf *cf, struct cf_image *img)
{
	bool has_notes = cf->notes_len > 0;
	size_t ehsize = cf->elfclass == ELFCLASS64 ? sizeof(Elf64_Ehdr)
						   : sizeof(Elf32_Ehdr);
	size_t off;

	memset(img, 0, sizeof(*img));
	img->elfclass = cf->elfclass;
	img->big_endian = cf->big_endian;
	img->phentsize = cf->elfclass == ELFCLASS64 ? sizeof(Elf64_Phdr)
						    : sizeof(Elf32_Phdr);
	img->phoff = ehsize;
	img->first_load = has_notes ? 1 : 0;
	img->phnum = img->first_load + cf->nloads;
	img->notes_off = align_up(img->phoff + img->phnum * img->phentsize, 8);
	img->load_off = cf_alloc(NULL, (cf->nloads + 1) * sizeof(size_t));
	off = align_up(img->notes_off + cf->notes_len, 8);
	for (size_t i = 0; i < cf->nloads; i++) {
		img->load_off[i] = off;
		off = align_up(off + (size_t)cf->loads[i].filesz, 8);
	}
	img->len = off;
	img->data = cf_alloc(NULL, img->len);
	memset(img->data, 0, img->len);
	write_ehdr(cf, img);
	if (has_notes) {
		memcpy(img->data + img->notes_off, cf->notes, cf->notes_len);
		cf_phdr_set(img, 0, CF_P_TYPE, PT_NOTE);
		cf_phdr_set(img, 0, CF_P_OFFSET, img->notes_off);
		cf_phdr_set(img, 0, CF_P_FILESZ, cf->notes_len);
	}
	for (size_t i = 0; i < cf->nloads; i++) {
		const struct cf_load *l = &cf->loads[i];
		size_t ph = img->first_load + i;

		memcpy(img->data + img->load_off[i], l->data, (size_t)l->filesz);
		cf_phdr_set(img, ph, CF_P_TYPE, PT_LOAD);
		cf_phdr_set(img, ph, CF_P_OFFSET, img->load_off[i]);
		cf_phdr_set(img, ph, CF_P_VADDR, l->vaddr);
		cf_phdr_set(img, ph, CF_P_PADDR, l->paddr);
		cf_phdr_set(img, ph, CF_P_FILESZ, l->filesz);
		cf_phdr_set(img, ph, CF_P_MEMSZ, l->memsz);
	}
}

void cf_image_free(struct cf_image *img)
{
	free(img->data);
	free(img->load_off);
	memset(img, 0, sizeof(*img));
}

/* Offset and width of a program header field. */
static void field_pos(const struct cf_image *img, size_t i, enum cf_field f,
		      size_t *off, size_t *width)
{
	static const size_t off64[] = {
		[CF_P_TYPE] = offsetof(Elf64_Phdr, p_type),
		[CF_P_OFFSET] = offsetof(Elf64_Phdr, p_offset),
		[CF_P_VADDR] = offsetof(Elf64_Phdr, p_vaddr),
		[CF_P_PADDR] = offsetof(Elf64_Phdr, p_paddr),
		[CF_P_FILESZ] = offsetof(Elf64_Phdr, p_filesz),
		[CF_P_MEMSZ] = offsetof(Elf64_Phdr, p_memsz),
	};
	static const size_t off32[] = {
		[CF_P_TYPE] = offsetof(Elf32_Phdr, p_type),
		[CF_P_OFFSET] = offsetof(Elf32_Phdr, p_offset),
		[CF_P_VADDR] = offsetof(Elf32_Phdr, p_vaddr),
		[CF_P_PADDR] = offsetof(Elf32_Phdr, p_paddr),
		[CF_P_FILESZ] = offsetof(Elf32_Phdr, p_filesz),
		[CF_P_MEMSZ] = offsetof(Elf32_Phdr, p_memsz),
	};
	bool is64 = img->elfclass == ELFCLASS64;

	*off = img->phoff + i * img->phentsize + (is64 ? off64[f] : off32[f]);
	*width = (!is64 || f == CF_P_TYPE) ? 4 : 8;
}

uint64_t cf_phdr_get(const struct cf_image *img, size_t i, enum cf_field f)
{
	size_t off, width;
	uint64_t v = 0;

	field_pos(img, i, f, &off, &width);
	for (size_t b = 0; b < width; b++)
		v = v << 8 | img->data[off + (img->big_endian ? b : width - 1 - b)];
	return v;
}

void cf_phdr_set(struct cf_image *img, size_t i, enum cf_field f,
		 uint64_t value)
{
	size_t off, width;

	field_pos(img, i, f, &off, &width);
	cf_put(img->data + off, value, (unsigned)width, img->big_endian);
}

/* ---- x86_64 page tables ------------------------------------------------ */

#define PT_P UINT64_C(0x1)
#define PT_RW UINT64_C(0x2)
#define PT_A UINT64_C(0x20)
#define PT_D UINT64_C(0x40)
#define PT_PS UINT64_C(0x80)
#define PT_ADDR UINT64_C(0x000ffffffffff000)

void cf_pt_init(struct cf_pt *pt, struct cf *cf, uint64_t root,
		unsigned levels, uint64_t pool)
{
	pt->cf = cf;
	pt->root = root;
	pt->levels = levels;
	pt->pool = pool;
	cf_phys(cf, root);	/* an empty top-level table */
}

void cf_pt_map(struct cf_pt *pt, uint64_t vaddr, uint64_t paddr,
	       uint64_t size)
{
	unsigned leaf_shift = size == (UINT64_C(1) << 30) ? 30 :
			      size == (UINT64_C(1) << 21) ? 21 : 12;
	uint64_t table = pt->root;

	for (unsigned shift = 12 + 9 * (pt->levels - 1);; shift -= 9) {
		uint64_t slot = table + ((vaddr >> shift) & 511) * 8;
		uint64_t e;

		if (shift == leaf_shift) {
			cf_poke64(pt->cf, slot, paddr | PT_P | PT_RW | PT_A |
				  PT_D | (shift > 12 ? PT_PS : 0));
			return;
		}
		e = cf_peek64(pt->cf, slot);
		if (!(e & PT_P)) {
			e = pt->pool | PT_P | PT_RW | PT_A | PT_D;
			cf_phys(pt->cf, pt->pool);
			pt->pool += CF_PAGE_SIZE;
			cf_poke64(pt->cf, slot, e);
		}
		table = e & PT_ADDR;
	}
}
