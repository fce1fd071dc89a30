/* SPDX-License-Identifier: MIT */
/*
 * The vmlinux search without --vmlinux (vmlinux-find.c): in a temporary
 * root with the usual debug paths and a build-id tree, in extra
 * directories, and on the command line of a gdb found among the
 * ancestors of a fake /proc; only files with the dump's build-id count.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libkernel/vmlinux-find.h"
#include "corefile.h"
#include "unit.h"

#define REL "6.1.0-57-cloud-amd64"
#define ID "01d2640d3a13145ee314eb05b155f141b7b7058b"
#define OTHER_ID "ffd2640d3a13145ee314eb05b155f141b7b70500"

/* An ELF file with a .note.gnu.build-id holding HEX (NULL: no note). */
static void write_elf(const char *path, const char *hex)
{
	static char shstr[] = "\0.note.gnu.build-id\0.shstrtab";
	uint8_t note[12 + 4 + VMLINUX_BUILD_ID_MAX] = { 0 };
	size_t n = hex ? strlen(hex) / 2 : 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	Elf *elf;
	GElf_Ehdr eh;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (fd < 0 || !elf || !gelf_newehdr(elf, ELFCLASS64))
		abort();
	gelf_getehdr(elf, &eh);
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	gelf_update_ehdr(elf, &eh);
	if (hex) {
		Elf_Scn *scn = elf_newscn(elf);
		Elf_Data *d = elf_newdata(scn);
		GElf_Shdr sh;
		uint32_t hdr[3] = { 4, (uint32_t)n, NT_GNU_BUILD_ID };

		memcpy(note, hdr, sizeof(hdr));
		memcpy(note + 12, "GNU", 4);
		hex_decode(hex, 2 * n, note + 16, n);
		d->d_buf = note;
		d->d_size = 16 + ((n + 3) & ~(size_t)3);
		d->d_type = ELF_T_NHDR;
		d->d_align = 4;
		gelf_getshdr(scn, &sh);
		sh.sh_name = 1;
		sh.sh_type = SHT_NOTE;
		sh.sh_flags = SHF_ALLOC;
		gelf_update_shdr(scn, &sh);
	}
	{
		Elf_Scn *scn = elf_newscn(elf);
		Elf_Data *d = elf_newdata(scn);
		GElf_Shdr sh;

		d->d_buf = shstr;
		d->d_size = sizeof(shstr);
		d->d_type = ELF_T_BYTE;
		d->d_align = 1;
		gelf_getshdr(scn, &sh);
		sh.sh_name = 20;
		sh.sh_type = SHT_STRTAB;
		gelf_update_shdr(scn, &sh);
		gelf_getehdr(elf, &eh);
		eh.e_shstrndx = (uint16_t)elf_ndxscn(scn);
		gelf_update_ehdr(elf, &eh);
	}
	if (elf_update(elf, ELF_C_WRITE) < 0) {
		fprintf(stderr, "libelf: %s: %s\n", path, elf_errmsg(-1));
		abort();
	}
	elf_end(elf);
	close(fd);
}

/* mkdir -p the directory of ROOT/REL_PATH, then write an ELF there. */
static void put_elf(const char *root, const char *rel_path, const char *hex)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, rel_path);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	write_elf(path, hex);
}

static void put_text(const char *root, const char *rel_path,
		     const void *text, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel_path);
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(text, 1, len, f);
	fclose(f);
}

static bool open_dump(const char *vmcoreinfo, struct vmcore **vc)
{
	struct cf cf;
	struct cf_image img;
	uint64_t regs[CF_X86_NREGS] = { 0 };
	char path[256] = "";
	bool ok;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_vmcoreinfo(&cf, vmcoreinfo);
	cf_build(&cf, &img);
	ok = CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	     CHECK_OK(vmcore_open(path, vc));
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	cf_deinit(&cf);
	return ok;
}

#define VMCI "OSRELEASE=" REL "\nPAGESIZE=4096\nBUILD-ID=" ID "\n"

/* Search ROOT (no gdb, unless PID); *PATH_RET gets what was found. */
static char *search(struct vmcore *vc, const char *root, const char *proc,
		    pid_t pid, const char *dir, struct strbuf *report)
{
	struct vmlinux_search s = {
		.root = root, .proc = proc, .pid = pid ? pid : -1,
		.dirs = &dir, .ndirs = dir ? 1 : 0,
	};
	char *path = NULL;

	strbuf_init(report);
	CHECK_OK(vmlinux_find(vc, &s, report, &path));
	return path;
}

static void rm_rf(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		unit_note("could not remove %s", dir);
}

TEST(build_id_of_elf)
{
	char dir[256], path[300], hex[2 * VMLINUX_BUILD_ID_MAX + 1];

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))))
		return;
	put_elf(dir, "a", ID);
	put_elf(dir, "b", NULL);
	put_text(dir, "c", "not elf", 7);
	snprintf(path, sizeof(path), "%s/a", dir);
	if (CHECK_OK(vmlinux_build_id(path, hex, sizeof(hex))))
		CHECK_STR(hex, ID);
	snprintf(path, sizeof(path), "%s/b", dir);
	CHECK_ERR(vmlinux_build_id(path, hex, sizeof(hex)), VMC_ERR_NOT_FOUND,
		  "has no build-id note");
	snprintf(path, sizeof(path), "%s/c", dir);
	CHECK_ERR(vmlinux_build_id(path, hex, sizeof(hex)), VMC_ERR_INVALID,
		  "is not an ELF file");
	rm_rf(dir);
}

TEST(build_id_tree)
{
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	put_elf(dir, "usr/lib/debug/.build-id/01/d2640d3a13145ee314eb05b155f"
		"141b7b7058b.debug", ID);
	got = search(vc, dir, NULL, 0, NULL, &r);
	snprintf(want, sizeof(want), "%s/usr/lib/debug/.build-id/01/d2640d3a"
		 "13145ee314eb05b155f141b7b7058b.debug", dir);
	CHECK_STR(got, want);
	CHECK_CONTAINS(r.data, "in the build-id tree, its build-id is the "
		       "dump's");
	free(got);
	strbuf_deinit(&r);
	vmcore_close(vc);
	rm_rf(dir);
}

/* A file of another build at the first path is passed over, and named
 * in the report when nothing else matches. */
TEST(release_paths_only_matching_build_id)
{
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	put_elf(dir, "usr/lib/debug/boot/vmlinux-" REL, OTHER_ID);
	got = search(vc, dir, NULL, 0, NULL, &r);
	CHECK(got == NULL, "took %s", got);
	CHECK_CONTAINS(r.data, "no vmlinux found with the dump's build-id " ID);
	snprintf(want, sizeof(want), "not the dump's: %s/usr/lib/debug/boot/"
		 "vmlinux-" REL " (build-id " OTHER_ID ")", dir);
	CHECK_CONTAINS(r.data, want);
	CHECK_CONTAINS(r.data, "4 usual paths absent");
	free(got);
	strbuf_deinit(&r);

	put_elf(dir, "lib/modules/" REL "/build/vmlinux", ID);
	got = search(vc, dir, NULL, 0, NULL, &r);
	snprintf(want, sizeof(want), "%s/lib/modules/" REL "/build/vmlinux",
		 dir);
	CHECK_STR(got, want);
	CHECK_CONTAINS(r.data, "in its release's build tree");
	free(got);
	strbuf_deinit(&r);
	vmcore_close(vc);
	rm_rf(dir);
}

TEST(extra_dir_first)
{
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], extra[300], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	put_elf(dir, "boot/vmlinux-" REL, ID);
	put_elf(dir, "mine/vmlinux-" REL, ID);
	snprintf(extra, sizeof(extra), "%s/mine", dir);
	got = search(vc, dir, NULL, 0, extra, &r);
	snprintf(want, sizeof(want), "%s/vmlinux-" REL, extra);
	CHECK_STR(got, want);
	CHECK_CONTAINS(r.data, "in a search directory");
	free(got);
	strbuf_deinit(&r);
	vmcore_close(vc);
	rm_rf(dir);
}

/* A fake /proc: 100 is us, 99 `sh -c`, 98 gdb in DIR/work with a
 * relative exec file, a script and a wrong vmlinux on its command line. */
static const char gdb_args[] = "gdb\0-nx\0-x\0script.py\0old/vmlinux\0"
	"--se=vmlinux\0-ex\0target remote | gdbserver-vmcore vmcore";

static void fake_proc_exe(const char *dir, const char *gdb, size_t gdb_len,
			  const char *exe)
{
	static const char sh[] = "sh\0-c\0gdbserver-vmcore x/vmcore";
	static const struct { const char *name, *text; } files[] = {
		{ "proc/100/stat", "100 (gdbserver-vmc) S 99 1 1" },
		{ "proc/99/stat", "99 (sh) S 98 1 1" },
		{ "proc/98/stat", "98 (my gdb) (x) S 1 1 1" },
	};
	char p[600], t[600];

	put_elf(dir, "work/vmlinux", ID);
	put_elf(dir, "work/old/vmlinux", OTHER_ID);
	put_text(dir, "work/script.py", "print(1)\n", 9);
	snprintf(p, sizeof(p), "%s/proc", dir);
	mkdir(p, 0755);
	for (int pid = 98; pid <= 100; pid++) {
		snprintf(p, sizeof(p), "%s/proc/%d", dir, pid);
		mkdir(p, 0755);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put_text(dir, files[i].name, files[i].text,
			 strlen(files[i].text));
	put_text(dir, "proc/99/cmdline", sh, sizeof(sh));
	put_text(dir, "proc/98/cmdline", gdb, gdb_len);
	snprintf(p, sizeof(p), "%s/proc/99/exe", dir);
	CHECK(symlink("/usr/bin/dash", p) == 0);
	snprintf(p, sizeof(p), "%s/proc/98/exe", dir);
	CHECK(symlink(exe, p) == 0);
	snprintf(p, sizeof(p), "%s/proc/98/cwd", dir);
	snprintf(t, sizeof(t), "%s/work", dir);
	CHECK(symlink(t, p) == 0);
}

static void fake_proc(const char *dir, const char *gdb, size_t gdb_len)
{
	fake_proc_exe(dir, gdb, gdb_len, "/usr/bin/gdb-multiarch");
}

TEST(gdb_exec_file)
{
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], proc[300], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	fake_proc(dir, gdb_args, sizeof(gdb_args));
	/* Also at a usual path: gdb's file comes first. */
	put_elf(dir, "boot/vmlinux-" REL, ID);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	got = search(vc, dir, proc, 100, NULL, &r);
	snprintf(want, sizeof(want), "%s/work/vmlinux", dir);
	CHECK_STR(got, want);
	CHECK_CONTAINS(r.data, "a file on gdb's command line (pid 98), its "
		       "build-id is the dump's");
	free(got);
	strbuf_deinit(&r);
	vmcore_close(vc);

	/* Another kernel's dump: gdb's files do not match, nor does the
	 * usual path's; the report names them. */
	if (open_dump("OSRELEASE=" REL "\nBUILD-ID=" "aa" ID "\n", &vc)) {
		got = search(vc, dir, proc, 100, NULL, &r);
		CHECK(got == NULL, "took %s", got);
		snprintf(want, sizeof(want), "%s/work/old/vmlinux (build-id "
			 OTHER_ID ")", dir);
		CHECK_CONTAINS(r.data, want);
		CHECK_CONTAINS(r.data, "script.py (not an ELF file)");
		free(got);
		strbuf_deinit(&r);
		vmcore_close(vc);
	}
	rm_rf(dir);
}

/* No exec file: the vmlinux is loaded by an -ex command (the per-CPU
 * recipe of gdbserver-vmcore(1)); an older kernel's file command before
 * it is passed over by its build-id. */
TEST(gdb_symbol_commands)
{
	static const char gdb[] = "gdb\0-nx\0-ex\0file old/vmlinux\0-ex\0"
		"target remote | gdbserver-vmcore vmcore\0-ex\0"
		"add-symbol-file  vmlinux -o 0x1000 -s .data..percpu 0";
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], proc[300], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	fake_proc(dir, gdb, sizeof(gdb));
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	got = search(vc, dir, proc, 100, NULL, &r);
	snprintf(want, sizeof(want), "%s/work/vmlinux", dir);
	CHECK_STR(got, want);
	CHECK_CONTAINS(r.data, "a file on gdb's command line (pid 98)");
	free(got);
	strbuf_deinit(&r);
	vmcore_close(vc);
	rm_rf(dir);
}

/* gdb run through another system's dynamic loader (a Debian 13 root's
 * gdb 16 on a Debian 12 host): /proc/PID/exe is ld.so, the loader's
 * options and the gdb program come first on the command line.  The
 * vmlinux is found; the loader's files and the gdb program are not
 * taken for gdb's arguments. */
TEST(gdb_through_loader)
{
	static const char gdb[] = "/r/lib64/ld-linux-x86-64.so.2\0"
		"--library-path\0/r/lib/x86_64-linux-gnu:/r/usr/lib\0"
		"r/usr/bin/gdb\0--data-directory=/r/usr/share/gdb\0-nx\0"
		"old/vmlinux\0-ex\0target remote | gdbserver-vmcore vmcore";
	struct vmcore *vc;
	struct strbuf r;
	char dir[256], proc[300], want[512];
	char *got;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))) || !open_dump(VMCI, &vc))
		return;
	fake_proc_exe(dir, gdb, sizeof(gdb),
		      "/r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	/* The gdb program (relative to gdb's cwd here): an ELF file, which
	 * would be tried and reported if taken for an argument. */
	put_elf(dir, "work/r/usr/bin/gdb", OTHER_ID);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	/* old/vmlinux is the other kernel's: nothing matches, and the
	 * report names only gdb's own file argument. */
	got = search(vc, dir, proc, 100, NULL, &r);
	CHECK(got == NULL, "took %s", got);
	snprintf(want, sizeof(want), "%s/work/old/vmlinux (build-id "
		 OTHER_ID ")", dir);
	CHECK_CONTAINS(r.data, want);
	CHECK(!strstr(r.data, "r/usr/bin/gdb"), "%s", r.data);
	free(got);
	strbuf_deinit(&r);
	/* With the dump's vmlinux after it: found, from gdb's arguments. */
	{
		static const char gdb2[] = "/r/lib64/ld-linux-x86-64.so.2\0"
			"--library-path\0/r/lib\0/r/usr/bin/gdb\0-nx\0"
			"vmlinux\0-ex\0target remote | gdbserver-vmcore x";
		put_text(dir, "proc/98/cmdline", gdb2, sizeof(gdb2));
		got = search(vc, dir, proc, 100, NULL, &r);
		snprintf(want, sizeof(want), "%s/work/vmlinux", dir);
		CHECK_STR(got, want);
		CHECK_CONTAINS(r.data, "a file on gdb's command line (pid 98)");
		free(got);
		strbuf_deinit(&r);
	}
	vmcore_close(vc);
	rm_rf(dir);
}
