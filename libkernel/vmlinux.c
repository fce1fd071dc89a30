/* SPDX-License-Identifier: MIT */
/* --vmlinux: _stext and linux_banner from the vmlinux's symbol table. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "vmlinux.h"

#define BANNER_PREFIX "Linux version "

struct elf_file {
	const char *path;
	int fd;
	Elf *elf;
};

static struct vmc_error *elf_file_open(const char *path, struct elf_file *f)
{
	uint8_t magic[SELFMAG];
	ssize_t n;

	f->path = path;
	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return vmc_error_errno(errno, "--vmlinux %s", path);
	n = pread(f->fd, magic, sizeof(magic), 0);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, ELFMAG, SELFMAG))
		return vmc_error_create(VMC_ERR_INVALID,
			"--vmlinux %s is not an ELF file: give the dumped "
			"kernel's uncompressed vmlinux with its symbol table "
			"(Debian: /usr/lib/debug/boot/vmlinux-VERSION from "
			"linux-image-VERSION-dbg), not a vmlinuz", path);
	elf_version(EV_CURRENT);
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF)
		return vmc_error_create(VMC_ERR_INVALID,
			"--vmlinux %s: bad ELF file: %s", path, elf_errmsg(-1));
	return NULL;
}

static void elf_file_close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
}

/* The SHT_SYMTAB section, or NULL. */
static Elf_Scn *find_symtab(Elf *elf, GElf_Shdr *shdr)
{
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn;
	     scn = elf_nextscn(elf, scn)) {
		if (gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_SYMTAB)
			return scn;
	}
	return NULL;
}

static const char *const vsym_names[VSYM_COUNT] = {
	[VSYM_INIT_TASK] = "init_task",
	[VSYM_CURRENT_TASK] = "current_task",
	[VSYM_PCPU_HOT] = "pcpu_hot",
	[VSYM_PER_CPU_OFFSET] = "__per_cpu_offset",
	[VSYM_IDLE_THREADS] = "idle_threads",
	[VSYM_PER_CPU_START] = "__per_cpu_start",
	[VSYM_MODULES] = "modules",
};

static void note_symbol(struct vmlinux_info *info, const char *name,
			uint64_t value)
{
	for (unsigned i = 0; i < VSYM_COUNT; i++) {
		if (!info->have_sym[i] && strcmp(name, vsym_names[i]) == 0) {
			info->sym[i] = value;
			info->have_sym[i] = true;
		}
	}
}

/* _stext, linux_banner and the task-list symbols from the symbol table. */
static struct vmc_error *read_symbols(struct elf_file *f,
				      struct vmlinux_info *info)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_symtab(f->elf, &shdr);
	Elf_Data *data;
	bool have_stext = false;

	if (!scn || !(data = elf_getdata(scn, NULL)) || !shdr.sh_entsize)
		return vmc_error_create(VMC_ERR_INVALID,
			"--vmlinux %s has no symbol table (stripped?): give "
			"the unstripped vmlinux", f->path);
	for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		name = elf_strptr(f->elf, shdr.sh_link, sym.st_name);
		if (!name)
			continue;
		if (!strcmp(name, "_stext")) {
			info->stext = sym.st_value;
			have_stext = true;
		} else if (!strcmp(name, "linux_banner")) {
			info->banner_addr = sym.st_value;
			info->have_banner = true;
		} else {
			note_symbol(info, name, sym.st_value);
		}
	}
	if (!have_stext)
		return vmc_error_create(VMC_ERR_INVALID,
			"--vmlinux %s has no _stext symbol: is it a Linux "
			"kernel?", f->path);
	return NULL;
}

/* The bytes of linux_banner from the section that holds it. */
static void read_banner(struct elf_file *f, struct vmlinux_info *info)
{
	size_t max = sizeof(info->banner) - 1;

	for (Elf_Scn *scn = elf_nextscn(f->elf, NULL); scn && info->have_banner;
	     scn = elf_nextscn(f->elf, scn)) {
		GElf_Shdr sh;
		uint64_t off;
		ssize_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || info->banner_addr < sh.sh_addr ||
		    info->banner_addr - sh.sh_addr >= sh.sh_size)
			continue;
		off = info->banner_addr - sh.sh_addr;
		if (max > sh.sh_size - off)
			max = (size_t)(sh.sh_size - off);
		n = pread(f->fd, info->banner, max, (off_t)(sh.sh_offset + off));
		info->banner[n > 0 ? n : 0] = '\0';
		return;
	}
	info->have_banner = false;
}

struct vmc_error *vmlinux_read(const char *path, struct vmlinux_info *info)
{
	struct elf_file f;
	GElf_Ehdr ehdr;
	struct vmc_error *err;

	memset(info, 0, sizeof(*info));
	if ((err = elf_file_open(path, &f)))
		goto out;
	if (!gelf_getehdr(f.elf, &ehdr)) {
		err = vmc_error_create(VMC_ERR_INVALID, "--vmlinux %s: bad ELF "
				       "header: %s", path, elf_errmsg(-1));
		goto out;
	}
	if (ehdr.e_type == ET_CORE) {
		err = vmc_error_create(VMC_ERR_INVALID, "--vmlinux %s is a core "
			"dump; give the dump as the argument and the kernel's "
			"vmlinux to --vmlinux", path);
		goto out;
	}
	info->e_machine = ehdr.e_machine;
	if (!(err = read_symbols(&f, info)))
		read_banner(&f, info);
out:
	elf_file_close(&f);
	return err;
}

/* "Linux version RELEASE ..." against the dump's OSRELEASE. */
static void check_release(struct vmcore *vc, const struct vmlinux_info *info,
			  const char *path, struct strbuf *warnings)
{
	const char *rel = vmcore_vmcoreinfo(vc, "OSRELEASE");
	const char *b = info->banner;
	size_t plen = strlen(BANNER_PREFIX), rlen;

	if (!rel || !info->have_banner || strncmp(b, BANNER_PREFIX, plen))
		return;
	rlen = strcspn(b + plen, " \n");
	if (rlen != strlen(rel) || strncmp(b + plen, rel, rlen))
		strbuf_addf(warnings, "--vmlinux %s is Linux %.*s but the dump "
			    "is Linux %s: symbols and types may not match\n",
			    path, (int)rlen, b + plen, rel);
}

/* The dump's linux_banner, where the vmlinux says it is once relocated,
 * must be the vmlinux's: a check of the vmlinux and of the offset. */
static void check_banner(struct vmcore *vc, const struct vmlinux_info *info,
			 const char *path, struct strbuf *warnings)
{
	size_t len = strlen(info->banner);
	uint64_t addr = info->banner_addr + vmcore_kaslr_offset(vc);
	char mem[sizeof(info->banner)];
	struct vmc_error *err;

	if (!info->have_banner || !len)
		return;
	if (vmcore_arch(vc)->word_size == 4)
		addr &= UINT32_MAX;
	err = vmcore_read_virt(vc, addr, mem, len, NULL);
	if (err) {
		vmc_error_destroy(err);	/* not in the dump: nothing to say */
		return;
	}
	if (memcmp(mem, info->banner, len))
		strbuf_addf(warnings, "the dump's linux_banner at 0x%" PRIx64
			    " is \"%.*s\", not the \"%.*s\" of --vmlinux %s: "
			    "that vmlinux is not the dumped kernel's\n", addr,
			    (int)strcspn(mem, "\n"), mem,
			    (int)strcspn(info->banner, "\n"), info->banner,
			    path);
}

struct vmc_error *vmlinux_apply(struct vmcore *vc, const char *path,
				struct strbuf *warnings)
{
	struct vmlinux_info info;

	return vmlinux_apply_info(vc, path, warnings, &info);
}

struct vmc_error *vmlinux_apply_info(struct vmcore *vc, const char *path,
				     struct strbuf *warnings,
				     struct vmlinux_info *ret)
{
	const struct arch *arch = vmcore_arch(vc);
	struct vmlinux_info info;
	struct vmc_error *err = vmlinux_read(path, &info);

	if (err)
		return err;
	if (info.e_machine != arch->e_machine) {
		const struct arch *other = arch_from_machine(info.e_machine);

		return vmc_error_create(VMC_ERR_INVALID, "--vmlinux %s is for "
			"%s (e_machine %u) but the dump is %s", path,
			other ? other->name : "another machine",
			info.e_machine, arch->name);
	}
	check_release(vc, &info, path, warnings);
	err = vmcore_set_link_stext(vc, info.stext);
	if (err && err->code == VMC_ERR_INVALID) {
		strbuf_addf(warnings, "--vmlinux %s: %s\n", path, err->message);
		vmc_error_destroy(err);
		*ret = info;
		return NULL;
	}
	if (err && err->code == VMC_ERR_NOT_FOUND) {
		/* KERNELOFFSET, if any, still serves. */
		if (!vmcore_kaslr_known(vc))
			strbuf_addf(warnings, "--vmlinux %s not used: %s\n",
				    path, err->message);
		vmc_error_destroy(err);
		*ret = info;
		return NULL;
	}
	if (err)
		return vmc_error_prefix(err, "--vmlinux %s: ", path);
	check_banner(vc, &info, path, warnings);
	*ret = info;
	return NULL;
}
