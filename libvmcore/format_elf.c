/* SPDX-License-Identifier: MIT */
/*
 * ELF32 and ELF64 vmcores through libelf: /proc/vmcore as saved by cp or
 * makedumpfile -E, kexec's core headers, QEMU dump-guest-memory.
 */
#include <elf.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "internal.h"

struct elf_state {
	Elf *elf;
	char *image;	/* headers and notes, for a flattened stream */
};

static bool elf_probe(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

static struct vmc_error *libelf_error(const struct vmcore *vc,
				      const char *what)
{
	return vmc_error_create(VMC_ERR_FORMAT, "%s: %s: %s", vc->path, what,
				elf_errmsg(-1));
}

static struct vmc_error *check_header(struct vmcore *vc, Elf *elf)
{
	GElf_Ehdr ehdr;
	int cls;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return libelf_error(vc, "bad ELF header");
	cls = gelf_getclass(elf);
	if (ehdr.e_type != ET_CORE)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s is an ELF file of type %u, not a core dump "
			"(ET_CORE)%s", vc->path, ehdr.e_type,
			ehdr.e_type == ET_EXEC ?
			"; it looks like a kernel image: give the vmcore "
			"here and vmlinux to gdb" : "");
	vc->arch = arch_from_machine(ehdr.e_machine);
	if (!vc->arch)
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"%s: machine %u (ELF e_machine) is not supported; "
			"supported: %s", vc->path, ehdr.e_machine,
			arch_supported_list());
	snprintf(vc->format_name, sizeof(vc->format_name), "ELF%d",
		 cls == ELFCLASS32 ? 32 : 64);
	return NULL;
}

static void human(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (UINT64_C(1) << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1 << 30));
	else if (bytes >= (UINT64_C(1) << 20))
		snprintf(buf, len, "%.1f MiB", (double)bytes / (1 << 20));
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
}

static struct vmc_error *add_load(struct vmcore *vc, size_t phnum,
				  const GElf_Phdr *ph)
{
	struct vmc_segment *s = &vc->segs[vc->nsegs++];
	struct vmc_error *err = NULL;

	s->paddr = ph->p_paddr;
	s->vaddr = ph->p_vaddr;
	s->memsz = ph->p_memsz;
	s->filesz = ph->p_filesz;
	s->offset = ph->p_offset;
	if (s->filesz > s->memsz) {
		err = vmc_warn(vc, "PT_LOAD %zu: p_filesz 0x%" PRIx64 " > "
			       "p_memsz 0x%" PRIx64 "; using p_memsz", phnum,
			       s->filesz, s->memsz);
		s->filesz = s->memsz;
	}
	/* Ranges are [paddr, paddr + memsz) in 64 bits: the last byte of
	 * the address space cannot be served (no real dump has it). */
	if (s->memsz > UINT64_MAX - s->paddr) {
		s->memsz = UINT64_MAX - s->paddr;
		if (s->filesz > s->memsz)
			s->filesz = s->memsz;
		err = vmc_warn(vc, "PT_LOAD %zu (physical 0x%" PRIx64 ", size "
			       "0x%" PRIx64 ") runs past the end of the "
			       "physical address space; cut at 0x%" PRIx64,
			       phnum, s->paddr, ph->p_memsz, UINT64_MAX);
	}
	if (s->offset > vc->file_size)
		s->avail = 0;
	else if (s->filesz > vc->file_size - s->offset)
		s->avail = vc->file_size - s->offset;
	else
		s->avail = s->filesz;
	if (!err && s->avail < s->filesz) {
		char miss[32], all[32];

		human(miss, sizeof(miss), s->filesz - s->avail);
		human(all, sizeof(all), s->filesz);
		err = vmc_warn(vc, "dump is truncated: PT_LOAD %zu (physical "
			"0x%" PRIx64 "-0x%" PRIx64 ") ends at file offset 0x%"
			PRIx64 " but the file ends at 0x%" PRIx64 "; %s of its "
			"%s are missing and read as errors", phnum, s->paddr,
			s->paddr + s->memsz, s->offset + s->filesz,
			vc->file_size, miss, all);
	}
	return err;
}

static struct vmc_error *read_notes(struct vmcore *vc, Elf *elf,
				    size_t phnum, const GElf_Phdr *ph)
{
	uint64_t avail = ph->p_filesz;
	Elf_Data *data;
	GElf_Nhdr nhdr;
	size_t off = 0, name_off, desc_off;
	struct vmc_error *err = NULL;

	if (ph->p_offset >= vc->file_size)
		return vmc_warn(vc, "PT_NOTE %zu at 0x%" PRIx64 " is past the "
				"end of the file: notes lost", phnum,
				ph->p_offset);
	if (avail > vc->file_size - ph->p_offset) {
		avail = vc->file_size - ph->p_offset;
		err = vmc_warn(vc, "PT_NOTE %zu is cut by the end of the file: "
			       "reading its first %" PRIu64 " of %" PRIu64
			       " bytes", phnum, avail, (uint64_t)ph->p_filesz);
		if (err)
			return err;
	}
	data = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, avail,
				    ELF_T_NHDR);
	if (!data)
		return libelf_error(vc, "reading notes");
	while (off < data->d_size &&
	       (off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off))) {
		const char *name = nhdr.n_namesz ?
			(const char *)data->d_buf + name_off : "";

		if (nhdr.n_namesz && name[nhdr.n_namesz - 1] != '\0')
			continue;	/* unterminated name: not ours */
		err = vmc_add_note(vc, name, nhdr.n_type,
				   (const uint8_t *)data->d_buf + desc_off,
				   nhdr.n_descsz);
		if (err)
			return err;
	}
	return NULL;
}

/* libelf counts only the program headers that fit in the file: say so
 * when a cut file lost some (their memory would vanish silently). */
static struct vmc_error *check_phdr_table(struct vmcore *vc, Elf *elf,
					  size_t phnum)
{
	GElf_Ehdr eh;
	uint64_t need;

	if (!gelf_getehdr(elf, &eh))
		return libelf_error(vc, "bad ELF header");
	if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM || phnum >= eh.e_phnum)
		return NULL;
	need = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	return vmc_warn(vc, "dump is truncated inside its program header "
			"table (file offsets 0x%" PRIx64 "-0x%" PRIx64 ", file "
			"size 0x%" PRIx64 "): only %zu of %u segments are known",
			(uint64_t)eh.e_phoff, need, vc->file_size, phnum,
			eh.e_phnum);
}

static struct vmc_error *read_phdrs(struct vmcore *vc, Elf *elf)
{
	size_t phnum;
	struct vmc_error *err;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return libelf_error(vc, "reading the program header count");
	if ((err = check_phdr_table(vc, elf, phnum)))
		return err;
	vc->segs = calloc(phnum ? phnum : 1, sizeof(*vc->segs));
	if (!vc->segs)
		return &vmc_enomem;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return libelf_error(vc, "reading program headers");
		if (ph.p_type == PT_LOAD)
			err = add_load(vc, i, &ph);
		else if (ph.p_type == PT_NOTE)
			err = read_notes(vc, elf, i, &ph);
		else
			err = NULL;
		if (err)
			return err;
	}
	if (vc->nsegs == 0)
		return vmc_warn(vc, "the dump has no PT_LOAD segment: "
				"no memory can be read");
	return NULL;
}

/* Bytes [0, LEN) of the ELF file inside a flattened stream, for libelf. */
static struct vmc_error *load_image(struct vmcore *vc, struct elf_state *st,
				    uint64_t len)
{
	struct vmc_error *err;

	if (len > vc->file_size)
		len = vc->file_size;
	if (len > (64u << 20))
		return vmc_error_create(VMC_ERR_UNSUPPORTED,
			"%s: the ELF headers and notes inside the flattened "
			"stream span 0x%" PRIx64 " bytes; more than 64 MiB is "
			"not supported", vc->path, len);
	if (st->elf)
		elf_end(st->elf);
	free(st->image);
	st->elf = NULL;
	st->image = malloc(len ? len : 1);
	if (!st->image)
		return &vmc_enomem;
	if ((err = vmc_file_read(vc, 0, st->image, len)))
		return vmc_error_prefix(err, "%s: ELF headers: ", vc->path);
	st->elf = elf_memory(st->image, len);
	if (!st->elf)
		return libelf_error(vc, "opening");
	return NULL;
}

/*
 * ELF inside a flattened stream: libelf reads from memory, so load the
 * headers, then as much more as the notes need (they follow the program
 * headers in every dump writer we know).
 */
static struct vmc_error *elf_from_stream(struct vmcore *vc,
					 struct elf_state *st)
{
	uint64_t need = sizeof(Elf64_Ehdr);
	struct vmc_error *err;
	GElf_Ehdr eh;
	size_t phnum;

	if ((err = load_image(vc, st, need)))
		return err;
	if (elf_kind(st->elf) != ELF_K_ELF || !gelf_getehdr(st->elf, &eh))
		return libelf_error(vc, "bad ELF header");
	need = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	if (eh.e_phoff > vc->file_size || need > vc->file_size)
		need = vc->file_size;
	if ((err = load_image(vc, st, need)))
		return err;
	if (elf_getphdrnum(st->elf, &phnum) != 0)
		return libelf_error(vc, "reading the program header count");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(st->elf, (int)i, &ph) && ph.p_type == PT_NOTE &&
		    ph.p_offset + ph.p_filesz > need &&
		    ph.p_offset + ph.p_filesz >= ph.p_offset)
			need = ph.p_offset + ph.p_filesz;
	}
	return load_image(vc, st, need);
}

static struct vmc_error *elf_open(struct vmcore *vc)
{
	struct elf_state *st = calloc(1, sizeof(*st));
	struct vmc_error *err = NULL;

	if (!st)
		return &vmc_enomem;
	vc->format_data = st;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return libelf_error(vc, "libelf initialisation");
	if (vc->flat)
		err = elf_from_stream(vc, st);
	else if (!(st->elf = elf_begin(vc->fd, ELF_C_READ, NULL)))
		err = libelf_error(vc, "opening");
	if (err)
		return err;
	if ((err = check_header(vc, st->elf)))
		return err;
	return read_phdrs(vc, st->elf);
}

static struct vmc_error *elf_read_phys(struct vmcore *vc, uint64_t paddr,
				       void *buf, size_t len, size_t *done_ret)
{
	return vmc_read_pranges(vc, paddr, buf, len, done_ret);
}

static void elf_close(struct vmcore *vc)
{
	struct elf_state *st = vc->format_data;

	if (!st)
		return;
	if (st->elf)
		elf_end(st->elf);
	free(st->image);
	free(st);
	vc->format_data = NULL;
}

const struct vmc_format_ops vmc_format_elf = {
	.name = "ELF",
	.probe = elf_probe,
	.open = elf_open,
	.read_phys = elf_read_phys,
	.close = elf_close,
};
