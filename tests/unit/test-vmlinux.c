/* SPDX-License-Identifier: MIT */
/*
 * --vmlinux: the KASLR offset of dumps without KERNELOFFSET (32-bit x86)
 * as VMCOREINFO SYMBOL(_stext) minus the vmlinux's _stext, the checks that
 * the vmlinux is the dumped kernel's, qOffsets and the startup warning
 * without it.  The vmlinux files are written here with libelf: a .rodata
 * holding linux_banner, and a symbol table with _stext and linux_banner.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../gdbserver-vmcore/server.h"
#include "../../libkernel/vmlinux.h"
#include "corefile.h"
#include "unit.h"

#define LINK_STEXT UINT64_C(0xc1000000)
#define LINK_BANNER UINT64_C(0xc1800040)
#define KASLR UINT64_C(0x2200000)
#define BANNER "Linux version 6.1.0-57-686-pae (test@example) #1 SMP\n"

struct fake_vmlinux {
	int elfclass;
	uint16_t machine;
	bool symtab;		/* write a symbol table at all */
	bool stext;		/* with _stext in it */
	const char *banner;
};

static Elf_Scn *add_section(Elf *elf, const char *what, size_t name,
			    uint32_t type, uint64_t flags, uint64_t addr,
			    void *buf, size_t size, size_t entsize)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	GElf_Shdr sh;

	if (!d || !gelf_getshdr(scn, &sh)) {
		fprintf(stderr, "libelf: %s: %s\n", what, elf_errmsg(-1));
		abort();
	}
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh.sh_name = (uint32_t)name;
	sh.sh_type = type;
	sh.sh_flags = flags;
	sh.sh_addr = addr;
	sh.sh_entsize = entsize;
	gelf_update_shdr(scn, &sh);
	return scn;
}

/* Symbol I of a 32- or 64-bit symbol table in BUF. */
static void put_sym(const struct fake_vmlinux *v, uint8_t *buf, size_t i,
		    uint32_t name, uint64_t value)
{
	if (v->elfclass == ELFCLASS32) {
		Elf32_Sym *s = (Elf32_Sym *)buf + i;

		s->st_name = name;
		s->st_value = (uint32_t)value;
		s->st_info = ELF32_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		s->st_shndx = SHN_ABS;
	} else {
		Elf64_Sym *s = (Elf64_Sym *)buf + i;

		s->st_name = name;
		s->st_value = value;
		s->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
		s->st_shndx = SHN_ABS;
	}
}

static void write_vmlinux(const struct fake_vmlinux *v, const char *path)
{
	static char shstr[] = "\0.rodata\0.symtab\0.strtab\0.shstrtab";
	static char strtab[] = "\0_stext\0linux_banner\0other";
	size_t symsz = v->elfclass == ELFCLASS32 ? sizeof(Elf32_Sym)
						 : sizeof(Elf64_Sym);
	uint8_t syms[4 * sizeof(Elf64_Sym)] = { 0 };
	char rodata[256] = { 0 };
	int fd = open(path, O_WRONLY | O_TRUNC);
	Elf *elf;
	GElf_Ehdr eh;
	Elf_Scn *str;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (fd < 0 || !elf || !gelf_newehdr(elf, v->elfclass)) {
		fprintf(stderr, "libelf: %s: %s\n", path, elf_errmsg(-1));
		abort();
	}
	gelf_getehdr(elf, &eh);
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = v->machine;
	eh.e_version = EV_CURRENT;
	gelf_update_ehdr(elf, &eh);
	snprintf(rodata + 0x40, sizeof(rodata) - 0x40, "%s", v->banner);
	add_section(elf, ".rodata", 1, SHT_PROGBITS, SHF_ALLOC,
		    LINK_BANNER - 0x40, rodata, sizeof(rodata), 0);
	put_sym(v, syms, 1, 21, 0x1234);		/* "other" */
	put_sym(v, syms, 2, 8, LINK_BANNER);		/* linux_banner */
	if (v->stext)
		put_sym(v, syms, 3, 1, LINK_STEXT);	/* _stext */
	if (v->symtab) {
		Elf_Scn *sym = add_section(elf, ".symtab", 9, SHT_SYMTAB, 0, 0,
					   syms, symsz * (v->stext ? 4 : 3),
					   symsz);
		GElf_Shdr sh;

		str = add_section(elf, ".strtab", 17, SHT_STRTAB, 0, 0, strtab,
				  sizeof(strtab), 0);
		gelf_getshdr(sym, &sh);
		sh.sh_link = (uint32_t)elf_ndxscn(str);
		sh.sh_info = 1;
		gelf_update_shdr(sym, &sh);
	}
	str = add_section(elf, ".shstrtab", 25, SHT_STRTAB, 0, 0, shstr,
			  sizeof(shstr), 0);
	gelf_getehdr(elf, &eh);
	eh.e_shstrndx = (uint16_t)elf_ndxscn(str);
	gelf_update_ehdr(elf, &eh);
	if (elf_update(elf, ELF_C_WRITE) < 0) {
		fprintf(stderr, "libelf: writing %s: %s\n", path, elf_errmsg(-1));
		abort();
	}
	elf_end(elf);
	close(fd);
}

/* A temporary file holding V; the caller unlinks PATH. */
static bool make_vmlinux(const struct fake_vmlinux *v, char *path, size_t n)
{
	if (!CHECK(unit_write_tmp("", 0, path, n)))
		return false;
	write_vmlinux(v, path);
	return true;
}

static const struct fake_vmlinux good32 = {
	ELFCLASS32, EM_386, true, true, BANNER,
};

/*
 * An i386 dump (ELF32, or ELF64 with EM_386): no KERNELOFFSET,
 * SYMBOL(_stext) at the link address plus KASLR, and a PT_LOAD whose
 * bytes at the relocated linux_banner hold DUMP_BANNER.
 */
static bool open_i386(int elfclass, const char *vmcoreinfo,
		      const char *dump_banner, struct vmcore **vc)
{
	struct cf cf;
	struct cf_image img;
	uint8_t prs[144] = { 0 };
	char path[256] = "";
	size_t l;
	bool ok;

	cf_init(&cf, elfclass, EM_386);
	cf_note(&cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	cf_vmcoreinfo(&cf, vmcoreinfo);
	/* The kernel's direct map: virtual = physical + 0xc0000000. */
	l = cf_load(&cf, LINK_BANNER + KASLR - 0xc0000040, LINK_BANNER + KASLR - 0x40,
		    0x1000, 0x1000);
	snprintf((char *)cf.loads[l].data + 0x40, 0x1000 - 0x40, "%s",
		 dump_banner);
	cf_build(&cf, &img);
	ok = CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	     CHECK_OK(vmcore_open(path, vc));
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	cf_deinit(&cf);
	return ok;
}

#define VMCOREINFO_I386							\
	"OSRELEASE=6.1.0-57-686-pae\n"					\
	"PAGESIZE=4096\n"						\
	"SYMBOL(_stext)=c3200000\n"					\
	"CONFIG_X86_PAE=y\n"

static const char *qoffsets(struct vmcore *vc, struct server **s)
{
	struct server_opts opts = { .quiet = true };

	if (!CHECK_OK(server_create(vc, &opts, s)))
		return "(no server)";
	server_handle(*s, "qOffsets", 8);
	return (*s)->reply.len ? (*s)->reply.data : "";
}

static void check_good(int elfclass)
{
	struct vmcore *vc;
	struct server *s = NULL;
	struct strbuf w;
	char vm[256];

	if (!make_vmlinux(&good32, vm, sizeof(vm)))
		return;
	if (open_i386(elfclass, VMCOREINFO_I386, BANNER, &vc)) {
		CHECK(!vmcore_kaslr_known(vc), "known before --vmlinux");
		strbuf_init(&w);
		CHECK_OK(vmlinux_apply(vc, vm, &w));
		CHECK(w.len == 0, "warnings: %.*s", (int)w.len, w.data);
		CHECK(vmcore_kaslr_known(vc), "");
		CHECK_U64(vmcore_kaslr_offset(vc), KASLR);
		/* TextSeg = the first segment's (_stext's) link address +
		 * the offset = SYMBOL(_stext). */
		CHECK_STR(qoffsets(vc, &s), "TextSeg=c3200000");
		CHECK(server_offsets_warning(s) == NULL, "");
		server_destroy(s);
		strbuf_deinit(&w);
		vmcore_close(vc);
	}
	unlink(vm);
}

TEST(offset_from_vmlinux_elf32) { check_good(ELFCLASS32); }
TEST(offset_from_vmlinux_elf64_em386) { check_good(ELFCLASS64); }

TEST(no_vmlinux_offset_unknown)
{
	struct vmcore *vc;
	struct server *s = NULL;

	if (!open_i386(ELFCLASS32, VMCOREINFO_I386, BANNER, &vc))
		return;
	CHECK(!vmcore_kaslr_known(vc), "");
	CHECK_U64(vmcore_kaslr_offset(vc), 0);
	/* No offset known: no qOffsets, and the server says why. */
	CHECK_STR(qoffsets(vc, &s), "");
	if (s) {
		CHECK(server_offsets_warning(s) != NULL, "no warning");
		if (server_offsets_warning(s)) {
			CHECK_CONTAINS(server_offsets_warning(s), "--vmlinux");
			CHECK_CONTAINS(server_offsets_warning(s), "KASLR offset "
				       "is unknown");
		}
	}
	server_destroy(s);
	vmcore_close(vc);
}

/* An unusable --vmlinux is an error that says what is wrong with it. */
static void check_bad(const struct fake_vmlinux *v, const char *raw,
		      const char *want)
{
	struct vmcore *vc;
	struct strbuf w;
	char vm[256];

	if (v) {
		if (!make_vmlinux(v, vm, sizeof(vm)))
			return;
	} else if (!CHECK(unit_write_tmp(raw, strlen(raw), vm, sizeof(vm)))) {
		return;
	}
	if (open_i386(ELFCLASS32, VMCOREINFO_I386, BANNER, &vc)) {
		strbuf_init(&w);
		CHECK_ERR(vmlinux_apply(vc, vm, &w), VMC_ERR_INVALID, want);
		CHECK(!vmcore_kaslr_known(vc), "%s", want);
		strbuf_deinit(&w);
		vmcore_close(vc);
	}
	unlink(vm);
}

TEST(bad_vmlinux)
{
	struct fake_vmlinux v = good32;

	check_bad(NULL, "\x1f\x8b\x08 a gzip'd vmlinuz", "is not an ELF file");
	check_bad(NULL, "", "is not an ELF file");
	v.stext = false;
	check_bad(&v, NULL, "has no _stext symbol");
	v = good32;
	v.symtab = false;
	check_bad(&v, NULL, "has no symbol table");
	v = good32;
	v.machine = EM_X86_64;
	v.elfclass = ELFCLASS64;
	check_bad(&v, NULL, "is for x86_64 (e_machine 62) but the dump is i386");
}

TEST(missing_vmlinux_file)
{
	struct vmcore *vc;
	struct strbuf w;

	if (!open_i386(ELFCLASS32, VMCOREINFO_I386, BANNER, &vc))
		return;
	strbuf_init(&w);
	CHECK_ERR(vmlinux_apply(vc, "/nonexistent/vmlinux", &w), VMC_ERR_OS,
		  "/nonexistent/vmlinux");
	strbuf_deinit(&w);
	vmcore_close(vc);
}

/* A vmlinux of another build: warnings, not errors. */
static void check_mismatch(const char *vmcoreinfo, const char *vm_banner,
			   const char *dump_banner, const char *want,
			   bool offset_known)
{
	struct fake_vmlinux v = good32;
	struct vmcore *vc;
	struct strbuf w;
	char vm[256];

	v.banner = vm_banner;
	if (!make_vmlinux(&v, vm, sizeof(vm)))
		return;
	if (open_i386(ELFCLASS32, vmcoreinfo, dump_banner, &vc)) {
		strbuf_init(&w);
		CHECK_OK(vmlinux_apply(vc, vm, &w));
		CHECK(w.len && strstr(w.data, want), "want \"%s\" in: %.*s",
		      want, (int)w.len, w.data ? w.data : "");
		CHECK(vmcore_kaslr_known(vc) == offset_known, "%s", want);
		strbuf_deinit(&w);
		vmcore_close(vc);
	}
	unlink(vm);
}

TEST(mismatching_vmlinux)
{
	const char *other = "Linux version 6.1.0-99-686-pae (x@y) #1 SMP\n";

	/* Another release: its banner says so. */
	check_mismatch(VMCOREINFO_I386, other, other,
		       "is Linux 6.1.0-99-686-pae but the dump is Linux "
		       "6.1.0-57-686-pae", true);
	/* Same release string, other build: the dump's banner differs. */
	check_mismatch(VMCOREINFO_I386, BANNER,
		       "Linux version 6.1.0-57-686-pae (other@host) #2 SMP\n",
		       "(other@host) #2 SMP\", not the \"Linux version "
		       "6.1.0-57-686-pae (test@example) #1 SMP\" of --vmlinux",
		       true);
	/* _stext a fraction of a page off. */
	check_mismatch("OSRELEASE=6.1.0-57-686-pae\n"
		       "SYMBOL(_stext)=c3200010\n", BANNER, BANNER,
		       "is not a whole number of pages", false);
	/* A dump with KERNELOFFSET that disagrees: KERNELOFFSET stays. */
	check_mismatch("OSRELEASE=6.1.0-57-686-pae\n"
		       "SYMBOL(_stext)=c3200000\nKERNELOFFSET=1000000\n",
		       BANNER, BANNER, "is 0x2200000, not its KERNELOFFSET "
		       "0x1000000", true);
	/* No SYMBOL(_stext): nothing to compute with. */
	check_mismatch("OSRELEASE=6.1.0-57-686-pae\n", BANNER, BANNER,
		       "not used: cannot compute the KASLR offset", false);
}

/* KASLR off: the offset is known to be 0, so no qOffsets and no
 * warning. */
TEST(kaslr_off)
{
	struct vmcore *vc;
	struct server *s = NULL;
	struct strbuf w;
	char vm[256];

	if (!make_vmlinux(&good32, vm, sizeof(vm)))
		return;
	if (open_i386(ELFCLASS32, "OSRELEASE=6.1.0-57-686-pae\n"
		      "SYMBOL(_stext)=c1000000\n", "", &vc)) {
		strbuf_init(&w);
		CHECK_OK(vmlinux_apply(vc, vm, &w));
		CHECK(vmcore_kaslr_known(vc), "");
		CHECK_U64(vmcore_kaslr_offset(vc), 0);
		CHECK_STR(qoffsets(vc, &s), "");
		CHECK(server_offsets_warning(s) == NULL, "");
		server_destroy(s);
		strbuf_deinit(&w);
		vmcore_close(vc);
	}
	unlink(vm);
}

/* A vmlinux without DWARF gives the KASLR offset but no task list: the
 * threads stay CPUs, with a warning that says why. */
TEST(no_dwarf_threads_are_cpus)
{
	enum server_threads modes[] = { THREADS_AUTO, THREADS_TASKS };
	struct vmlinux_info info;
	struct vmcore *vc;
	struct strbuf w;
	char vm[256];

	if (!make_vmlinux(&good32, vm, sizeof(vm)))
		return;
	for (size_t i = 0; i < 2; i++) {
		struct server_opts opts = { .quiet = true, .threads = modes[i],
					    .vmlinux = vm,
					    .vmlinux_info = &info };
		struct server *s = NULL;

		if (!open_i386(ELFCLASS32, VMCOREINFO_I386, BANNER, &vc))
			break;
		strbuf_init(&w);
		CHECK_OK(vmlinux_apply_info(vc, vm, &w, &info));
		if (CHECK_OK(server_create(vc, &opts, &s))) {
			CHECK(!s->task_threads, "");
			CHECK_U64(s->nthreads, vmcore_num_cpus(vc));
			CHECK_CONTAINS(s->thread_warnings.data,
				       "threads are CPUs, not tasks");
		}
		server_destroy(s);
		strbuf_deinit(&w);
		vmcore_close(vc);
	}
	unlink(vm);
}
