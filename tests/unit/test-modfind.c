/* SPDX-License-Identifier: MIT */
/*
 * Finding module files (libkernel/modfind.c): the build-id read from a
 * module's memory in a synthetic dump, then files laid out in a made-up
 * root and search directory: the build-id tree first, a copy with
 * another build-id refused with a message, .ko.xz and .ko.zst
 * decompressed, a module without a build-id taken by name, and the
 * sections placed where the module's section table says.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "../../libkernel/modfind.h"
#include "corefile.h"
#include "unit.h"

#define BASE UINT64_C(0xffffffffc0000000)
#define PBASE UINT64_C(0x100000)
#define NOTE_AT (BASE + 0x100)
#define TEXT_AT (BASE + 0x1000)

static const uint8_t id_a[20] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
				  11, 12, 13, 14, 15, 16, 17, 18, 0x19 };
#define ID_A_HEX "aa0102030405060708090a0b0c0d0e0f10111219"

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rmtree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A GNU build-id note with ID (20 bytes) into P (36 bytes). */
static void put_note(uint8_t *p, const uint8_t *id)
{
	cf_put(p, 4, 4, false);
	cf_put(p + 4, 20, 4, false);
	cf_put(p + 8, NT_GNU_BUILD_ID, 4, false);
	memcpy(p + 12, "GNU", 4);
	memcpy(p + 16, id, 20);
}

/* An x86_64 relocatable "module": .text, .note.gnu.build-id (ID, or
 * none), .modinfo (allocated in the file, not by the kernel). */
static size_t make_ko(const uint8_t *id, uint8_t *buf, size_t cap)
{
	static const char names[] = "\0.text\0.note.gnu.build-id\0.modinfo\0"
				    ".shstrtab";
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr sh[5];
	size_t off = sizeof(*eh);

	memset(buf, 0, cap);
	memset(sh, 0, sizeof(sh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_offset = off, .sh_size = 16,
			      .sh_addralign = 16 };
	memset(buf + off, 0xcc, 16);
	off += 16;
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_NOTE,
			      .sh_flags = SHF_ALLOC, .sh_offset = off,
			      .sh_size = id ? 36 : 0, .sh_addralign = 4 };
	if (id)
		put_note(buf + off, id);
	off += 36;
	sh[3] = (Elf64_Shdr){ .sh_name = 26, .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC, .sh_offset = off,
			      .sh_size = 8, .sh_addralign = 1 };
	memcpy(buf + off, "license", 8);
	off += 8;
	sh[4] = (Elf64_Shdr){ .sh_name = 35, .sh_type = SHT_STRTAB,
			      .sh_offset = off, .sh_size = sizeof(names),
			      .sh_addralign = 1 };
	memcpy(buf + off, names, sizeof(names));
	off = (off + sizeof(names) + 7) & ~(size_t)7;
	eh->e_shoff = off;
	memcpy(buf + off, sh, sizeof(sh));
	return off + sizeof(sh);
}

static bool write_file(const char *path, const void *data, size_t len)
{
	char dir[512];
	FILE *f;
	bool ok;

	/* mkdir -p of the parent */
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	f = fopen(path, "wb");
	ok = f && fwrite(data, 1, len, f) == len;
	if (f)
		ok &= fclose(f) == 0;
	return CHECK(ok, "writing %s", path);
}

static bool write_xz(const char *path, const uint8_t *data, size_t len)
{
	size_t cap = len + 4096, n = 0;
	uint8_t *out = malloc(cap);
	bool ok = out && lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
						 data, len, out, &n,
						 cap) == LZMA_OK &&
		  write_file(path, out, n);

	free(out);
	return ok;
}

static bool write_zst(const char *path, const uint8_t *data, size_t len)
{
	size_t cap = ZSTD_compressBound(len), n;
	uint8_t *out = malloc(cap);
	bool ok = out && !ZSTD_isError(n = ZSTD_compress(out, cap, data, len,
							 3)) &&
		  write_file(path, out, n);

	free(out);
	return ok;
}

/* A dump whose memory at NOTE_AT holds module A's build-id note. */
static struct vmcore *dump_with_note(char *path, size_t pathsz)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf cf;
	struct cf_image img;
	struct vmcore *vc = NULL;
	size_t i;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	i = cf_load(&cf, PBASE, BASE, 0x2000, 0x2000);
	put_note(cf.loads[i].data + (NOTE_AT - BASE), id_a);
	cf_build(&cf, &img);
	if (!CHECK(unit_write_tmp(img.data, img.len, path, pathsz)) ||
	    !CHECK_OK(vmcore_open(path, &vc)))
		vc = NULL;
	cf_image_free(&img);
	cf_deinit(&cf);
	return vc;
}

static struct kmodule_section secs_a[] = {
	{ ".note.gnu.build-id", NOTE_AT }, { ".text", TEXT_AT },
	{ ".symtab", BASE + 0x1800 },
};
static struct kmodule_section secs_b[] = { { ".text", BASE + 0x1f00 } };

TEST(build_id_from_memory)
{
	char path[256] = "", hex[2 * MODFIND_BUILD_ID_MAX + 1];
	struct vmcore *vc = dump_with_note(path, sizeof(path));
	struct kmodule a = { .name = "mod_a", .sections = secs_a,
			     .nsections = 3 };
	struct kmodule b = { .name = "mod_b", .sections = secs_b,
			     .nsections = 1 };

	if (vc) {
		CHECK_OK(modfind_build_id(vc, &a, hex));
		CHECK_STR(hex, ID_A_HEX);
		CHECK_ERR(modfind_build_id(vc, &b, hex), VMC_ERR_NOT_FOUND,
			  "no .note.gnu.build-id section");
		/* The note read as another thing: not taken. */
		a.sections[0].addr = TEXT_AT;
		CHECK_ERR(modfind_build_id(vc, &a, hex), VMC_ERR_FORMAT,
			  "is not a GNU build-id");
		a.sections[0].addr = NOTE_AT;
	}
	vmcore_close(vc);
	if (path[0])
		unlink(path);
}

struct tree {
	char root[256], search[256];
	uint8_t ko[1024], other[1024], noid[1024];
	size_t ko_len, other_len, noid_len;
};

/* ROOT: mod_a's file in the build-id tree, its .ko.xz in the installed
 * modules; mod_b (no build-id in memory) as a .ko.zst there.  SEARCH:
 * a mod_a with another build-id, found before the installed one. */
static bool make_tree(struct tree *t)
{
	uint8_t other_id[20];
	char p[512];

	memcpy(other_id, id_a, 20);
	other_id[0] ^= 0xff;
	t->ko_len = make_ko(id_a, t->ko, sizeof(t->ko));
	t->other_len = make_ko(other_id, t->other, sizeof(t->other));
	t->noid_len = make_ko(NULL, t->noid, sizeof(t->noid));
	if (!unit_tmpdir(t->root, sizeof(t->root)) ||
	    !unit_tmpdir(t->search, sizeof(t->search)))
		return false;
	snprintf(p, sizeof(p), "%s/sub/mod-a.ko", t->search);
	if (!write_file(p, t->other, t->other_len))
		return false;
	snprintf(p, sizeof(p), "%s/lib/modules/6.1.0-test/kernel/mod_a.ko.xz",
		 t->root);
	if (!write_xz(p, t->ko, t->ko_len))
		return false;
	snprintf(p, sizeof(p), "%s/lib/modules/6.1.0-test/extra/mod_b.ko.zst",
		 t->root);
	return write_zst(p, t->noid, t->noid_len);
}

static void find(struct vmcore *vc, struct tree *t, struct modfind_result *res)
{
	const char *dirs[] = { t->search };
	struct modfind_search s = { .root = t->root, .release = "6.1.0-test",
				    .dirs = dirs, .ndirs = 1 };
	struct kmodule mods[] = {
		{ .name = "mod_a", .sections = secs_a, .nsections = 3 },
		{ .name = "mod_b", .sections = secs_b, .nsections = 1 },
	};
	struct kmodule_list l = { .v = mods, .n = 2 };

	CHECK_OK(modfind_all(vc, &s, &l, res));
}

TEST(lookup_order_and_refusal)
{
	char path[256] = "", p[512];
	struct vmcore *vc = dump_with_note(path, sizeof(path));
	struct modfind_result res[2];
	struct tree t = { 0 };

	if (!vc || !make_tree(&t))
		goto out;
	/* The installed .ko.xz after refusing the search directory's. */
	find(vc, &t, res);
	CHECK_STR(res[0].build_id, ID_A_HEX);
	snprintf(p, sizeof(p), "%s/lib/modules/6.1.0-test/kernel/mod_a.ko.xz",
		 t.root);
	CHECK_STR(res[0].path ? res[0].path : "", p);
	CHECK_CONTAINS(res[0].report.data, "in the installed modules, "
		       "build-id matches");
	snprintf(p, sizeof(p), "; refused %s/sub/mod-a.ko: its build-id is "
		 "55", t.search);
	CHECK_CONTAINS(res[0].report.data, p);
	/* No build-id in memory: the file by name, said so. */
	CHECK_STR(res[1].build_id, "");
	CHECK(res[1].path && strstr(res[1].path, "/extra/mod_b.ko.zst"), "%s",
	      res[1].report.data);
	CHECK_CONTAINS(res[1].report.data, "the dump has no build-id to check");
	modfind_results_deinit(res, 2);

	/* The build-id tree wins over everything by name. */
	snprintf(p, sizeof(p), "%s/usr/lib/debug/.build-id/aa/%s.debug",
		 t.root, ID_A_HEX + 2);
	if (write_file(p, t.ko, t.ko_len)) {
		find(vc, &t, res);
		CHECK_STR(res[0].path ? res[0].path : "", p);
		CHECK_CONTAINS(res[0].report.data, "in the build-id tree");
		modfind_results_deinit(res, 2);
	}
	rmtree(t.root);
	rmtree(t.search);
out:
	vmcore_close(vc);
	if (path[0])
		unlink(path);
}

TEST(nothing_found)
{
	char path[256] = "";
	struct vmcore *vc = dump_with_note(path, sizeof(path));
	struct modfind_search s = { .root = "/nonexistent",
				    .release = "6.1.0-test" };
	struct kmodule m = { .name = "mod_a", .sections = secs_a,
			     .nsections = 3 };
	struct kmodule_list l = { .v = &m, .n = 1 };
	struct modfind_result res;

	if (vc) {
		CHECK_OK(modfind_all(vc, &s, &l, &res));
		CHECK(res.path == NULL, "%s", res.path);
		CHECK_STR(res.report.data, "no file named like it in the search "
			  "paths with build-id " ID_A_HEX);
		modfind_results_deinit(&res, 1);
	}
	vmcore_close(vc);
	if (path[0])
		unlink(path);
}

/* Decompressed, then placed: .text and the note at the module's
 * addresses, .modinfo (not loaded) no longer allocated. */
TEST(load_and_place)
{
	struct tree t = { 0 };
	char p[512];
	uint8_t *data = NULL;
	size_t size = 0;
	struct kmodule m = { .name = "mod_a", .sections = secs_a,
			     .nsections = 3 };
	Elf *elf;
	Elf_Scn *scn = NULL;
	int checked = 0;

	if (!make_tree(&t))
		return;
	snprintf(p, sizeof(p), "%s/lib/modules/6.1.0-test/kernel/mod_a.ko.xz",
		 t.root);
	if (!CHECK_OK(modfind_load(p, &data, &size)))
		goto out;
	CHECK_U64(size, t.ko_len);
	CHECK_MEM(data, t.ko, t.ko_len);
	CHECK_OK(modfind_place(data, size, &m));
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		gelf_getshdr(scn, &sh);
		name = elf_strptr(elf, 4, sh.sh_name);
		if (strcmp(name, ".text") == 0 && ++checked)
			CHECK_U64(sh.sh_addr, TEXT_AT);
		else if (strcmp(name, ".note.gnu.build-id") == 0 && ++checked)
			CHECK_U64(sh.sh_addr, NOTE_AT);
		else if (strcmp(name, ".modinfo") == 0 && ++checked)
			CHECK(!(sh.sh_flags & SHF_ALLOC) && sh.sh_addr == 0,
			      "flags %#llx", (unsigned long long)sh.sh_flags);
	}
	CHECK(checked == 3, "%d sections checked", checked);
	if (elf)
		elf_end(elf);
	/* None of its sections loaded: refused. */
	m.sections = secs_b + 1;
	m.nsections = 0;
	CHECK_ERR(modfind_place(data, size, &m), VMC_ERR_NOT_FOUND,
		  "none of its sections");
	free(data);
	snprintf(p, sizeof(p), "%s/nothing.ko.zst", t.root);
	write_file(p, "garbage", 7);
	CHECK_ERR(modfind_load(p, &data, &size), VMC_ERR_FORMAT,
		  "zstd decompression failed");
out:
	rmtree(t.root);
	rmtree(t.search);
}
