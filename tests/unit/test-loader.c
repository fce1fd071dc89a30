/* SPDX-License-Identifier: MIT */
/* The loader's parsers: crashkernel=, /proc/iomem, the capture command
 * line, save's options; save's refusal to overwrite. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libvmcore/kdumpwrite.h"
#include "../../loader/cmdline.h"
#include "../../loader/crashkernel.h"
#include "../../loader/iomem.h"
#include "../../loader/loader.h"
#include "../../loader/sshremote.h"
#include "unit.h"

#define M (UINT64_C(1) << 20)
#define G (UINT64_C(1) << 30)

static bool parse_ok(const char *s, struct crashkernel *ck)
{
	return CHECK_OK(crashkernel_parse(s, ck));
}

TEST(crashkernel_size_forms)
{
	struct crashkernel ck;

	if (parse_ok("128M", &ck)) {
		CHECK_I64(ck.kind, CK_SIZE);
		CHECK_U64(crashkernel_size(&ck, 512 * M), 128 * M);
		CHECK(!ck.has_offset);
	}
	if (parse_ok("64M@16M", &ck)) {
		CHECK_U64(ck.size, 64 * M);
		CHECK(ck.has_offset);
		CHECK_U64(ck.offset, 16 * M);
	}
	if (parse_ok("0x10000000", &ck))
		CHECK_U64(ck.size, 256 * M);
	if (parse_ok("262144k", &ck))
		CHECK_U64(ck.size, 256 * M);
	if (parse_ok("256M,high", &ck)) {
		CHECK_I64(ck.kind, CK_HIGH);
		CHECK_U64(ck.size, 256 * M);
	}
	if (parse_ok("72M,low", &ck))
		CHECK_I64(ck.kind, CK_LOW);
}

TEST(crashkernel_ranges)
{
	struct crashkernel ck;

	if (parse_ok("512M-2G:64M,2G-:128M", &ck)) {
		CHECK_I64(ck.kind, CK_RANGES);
		CHECK_U64(ck.nranges, 2);
		CHECK_U64(crashkernel_size(&ck, 256 * M), 0);	/* below all */
		CHECK_U64(crashkernel_size(&ck, 512 * M), 64 * M);
		CHECK_U64(crashkernel_size(&ck, 2 * G - 1), 64 * M);
		CHECK_U64(crashkernel_size(&ck, 2 * G), 128 * M);	/* end excluded */
		CHECK_U64(crashkernel_size(&ck, 1024 * G), 128 * M);
	}
	if (parse_ok("1G-4G:192M,4G-64G:256M,64G-:512M@16M", &ck)) {
		CHECK_U64(crashkernel_size(&ck, 8 * G), 256 * M);
		CHECK(ck.has_offset);
		CHECK_U64(ck.offset, 16 * M);
	}
}

static void check_bad(const char *s, const char *msg)
{
	struct crashkernel ck;

	CHECK_ERR(crashkernel_parse(s, &ck), VMC_ERR_INVALID, msg);
}

TEST(crashkernel_malformed)
{
	check_bad("", "a size was expected at the end");
	check_bad("abc", "a size was expected at column 1 ('a')");
	check_bad("128X", "unexpected text at column 4 ('X')");
	check_bad("128M@", "a size was expected at the end");
	check_bad("512M-2G", "unexpected text");
	check_bad("512M-2G,64M", "unexpected text");
	check_bad("512M:64M", "'-' expected after the range start at column 5");
	check_bad("2G-1G:64M", "the range ends before it starts");
	check_bad("1G-:", "a size was expected at the end");
	check_bad("128M,middle", "unknown suffix (,high or ,low expected)");
	check_bad("128M,high@16M", "unknown suffix");
	check_bad("0", "reserves nothing");
	check_bad("99999999999999999999", "number too large");
	check_bad("17179869184G", "size too large");
}

TEST(crashkernel_format)
{
	char b[32];

	crashkernel_format_size(128 * M, b, sizeof(b));
	CHECK_STR(b, "128M");
	crashkernel_format_size(2 * G, b, sizeof(b));
	CHECK_STR(b, "2G");
	crashkernel_format_size(1536 * M, b, sizeof(b));
	CHECK_STR(b, "1536M");
	crashkernel_format_size(4097, b, sizeof(b));
	CHECK_STR(b, "4097");
}

TEST(crashkernel_on_cmdline)
{
	const char *v[4];
	size_t l[4];
	size_t n = cmdline_crashkernel("ro crashkernel=128M quiet "
				       "crashkernel=64M,low xcrashkernel=1G\n",
				       v, l, 4);

	if (CHECK_U64(n, 2)) {
		CHECK(l[0] == 4 && strncmp(v[0], "128M", 4) == 0);
		CHECK(l[1] == 7 && strncmp(v[1], "64M,low", 7) == 0);
	}
	CHECK_U64(cmdline_crashkernel("ro quiet", v, l, 4), 0);
}

static const char iomem_text[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"000a0000-000bffff : PCI Bus 0000:00\n"
	"00100000-3ffdffff : System RAM\n"
	"  01000000-01e02a46 : Kernel code\n"
	"  2b000000-3affffff : Crash kernel\n"
	"3ffe0000-3fffffff : Reserved\n"
	"100000000-13fffffff : System RAM\n";

TEST(iomem_totals)
{
	struct iomem io;
	const struct iomem_range *ck;

	if (!CHECK_OK(iomem_parse(iomem_text, &io)))
		return;
	CHECK_U64(io.n, 8);
	CHECK(!io.zeroed);
	CHECK_U64(iomem_total(&io, "System RAM", false),
		  0x9ec00 + 0x3fee0000 + 0x40000000);
	CHECK_U64(iomem_total(&io, "Crash kernel", true), 256 * M);
	ck = iomem_find(&io, "Crash kernel", 0);
	if (CHECK(ck)) {
		CHECK_U64(ck->start, 0x2b000000);
		CHECK_U64(ck->depth, 1);
	}
	CHECK(iomem_find(&io, "Crash kernel", 1) == NULL);
	iomem_free(&io);
}

TEST(iomem_unprivileged_and_bad)
{
	struct iomem io;

	if (CHECK_OK(iomem_parse("00000000-00000000 : System RAM\n"
				 "  00000000-00000000 : Crash kernel\n", &io))) {
		CHECK(io.zeroed);
		iomem_free(&io);
	}
	CHECK_ERR(iomem_parse("00001000-0009fbff : System RAM\nzzz\n", &io),
		  VMC_ERR_FORMAT, "line 2: no START-END");
	CHECK_ERR(iomem_parse("2000-1000 : System RAM\n", &io),
		  VMC_ERR_FORMAT, "line 1: the range ends before it starts");
	CHECK_ERR(iomem_parse("1000-2000 System RAM\n", &io),
		  VMC_ERR_FORMAT, "no ' : '");
}

static void check_cmdline(const char *running, const char *defaults,
			  const char *append, const char *want)
{
	char *got = NULL;

	if (CHECK_OK(capture_cmdline(running, defaults, append, &got)))
		CHECK_STR(got, want);
	free(got);
}

TEST(capture_cmdline_rewrite)
{
	check_cmdline("BOOT_IMAGE=/boot/vmlinuz-6.1 root=UUID=ab ro "
		      "crashkernel=256M quiet hugepages=10 console=ttyS0\n",
		      "irqpoll nr_cpus=1 reset_devices", NULL,
		      "root=UUID=ab ro console=ttyS0 irqpoll nr_cpus=1 "
		      "reset_devices");
	/* APPEND overrides what it sets; init arguments stay last. */
	check_cmdline("root=/dev/vda console=ttyS0 nr_cpus=4 -- single",
		      "irqpoll nr_cpus=1", "console=ttyS1 panic=10",
		      "root=/dev/vda irqpoll nr_cpus=1 console=ttyS1 panic=10 "
		      "-- single");
	/* Quoted values are one parameter. */
	check_cmdline("dyndbg=\"file a.c +p\" crashkernel=1G,high "
		      "crashkernel=72M,low ro", "", NULL,
		      "dyndbg=\"file a.c +p\" ro");
	check_cmdline("", "irqpoll", NULL, "irqpoll");
}

/* Every architecture's recommended crashkernel= parses and reserves
 * something for a 4 GiB machine; every one has capture options. */
#include "../../arch/arch.h"

TEST(arch_kdump_defaults)
{
	static const struct arch *const arches[] = {
		&arch_x86_64, &arch_i386, &arch_aarch64, &arch_arm,
		&arch_ppc64le, &arch_s390x, &arch_riscv64,
	};

	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const struct arch *a = arches[i];
		struct crashkernel ck;

		if (!CHECK(a->kdump.crashkernel && a->kdump.capture_cmdline,
			   "%s", a->name))
			continue;
		if (CHECK_OK(crashkernel_parse(a->kdump.crashkernel, &ck)))
			CHECK(crashkernel_size(&ck, 4 * G) >= 128 * M, "%s: %s",
			      a->name, a->kdump.crashkernel);
		CHECK(strstr(a->kdump.capture_cmdline, "cpus=1") != NULL,
		      "%s capture options: %s", a->name,
		      a->kdump.capture_cmdline);
	}
}

#include <errno.h>
#include <unistd.h>

#include "../../loader/loader.h"

/* Each kexec_file_load failure is explained in user terms. */
TEST(kexec_errors_explained)
{
	struct kdump_state none = { 0 }, small = { .reserved = 64 * M };
	char buf[300];
	const char *h;

	h = kexec_errno_hint(ENOSYS, &small, 0, 0, buf, sizeof(buf));
	CHECK(h && strstr(h, "no kexec_file_load") && strstr(h, "kexec_load(2)"),
	      "ENOSYS: %s", h ? h : "(none)");
	h = kexec_errno_hint(EPERM, &small, 0, 0, buf, sizeof(buf));
	CHECK(h && strstr(h, geteuid() ? "needs root" : "lockdown"),
	      "EPERM: %s", h ? h : "(none)");
	h = kexec_errno_hint(EKEYREJECTED, &small, 0, 0, buf, sizeof(buf));
	CHECK(h && strstr(h, "signed"), "EKEYREJECTED: %s", h ? h : "(none)");
	h = kexec_errno_hint(ENOMEM, &none, 0, 0, buf, sizeof(buf));
	CHECK(h && strstr(h, "add crashkernel="), "no reservation: %s",
	      h ? h : "(none)");
	h = kexec_errno_hint(ENOMEM, &small, 40 * M, 30 * M, buf, sizeof(buf));
	CHECK(h && strstr(h, "kernel (40 MiB) and initrd (30 MiB) do not fit "
			  "in the 64 MiB reserved"), "too big: %s",
	      h ? h : "(none)");
	h = kexec_errno_hint(EINVAL, &small, 8 * M, 2 * M, buf, sizeof(buf));
	CHECK(h && strstr(h, "see dmesg"), "EINVAL that fits: %s",
	      h ? h : "(none)");
	CHECK(kexec_errno_hint(EIO, &small, 0, 0, buf, sizeof(buf)) == NULL,
	      "EIO has no special explanation");
}

#include <elf.h>
#include <gelf.h>

#include "../../loader/corehdr.h"

/* The i386 guest of tests/real/make-dump-i386.sh: 1 GiB, crashkernel=128M. */
static const char i386_iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"0009fc00-0009ffff : Reserved\n"
	"000f0000-000fffff : Reserved\n"
	"00100000-3ffdcfff : System RAM\n"
	"  01000000-0188ffff : Kernel code\n"
	"  18000000-1fffffff : Crash kernel\n"
	"3ffdd000-3fffffff : Reserved\n"
	"fec00000-fec003ff : IOAPIC 0\n";

struct want_ph {
	uint32_t type;
	uint64_t offset, vaddr, paddr, size;
};

static void check_header(const uint8_t *buf, size_t len, int cls,
			 uint16_t machine, const struct want_ph *want,
			 size_t nwant)
{
	Elf *e;
	GElf_Ehdr eh;
	size_t nph = 0;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)buf, len);
	if (!CHECK(e && gelf_getehdr(e, &eh), "libelf reads the header: %s",
		   elf_errmsg(-1)))
		return;
	CHECK(gelf_getclass(e) == cls, "class %d, want %d", gelf_getclass(e),
	      cls);
	CHECK(eh.e_type == ET_CORE && eh.e_machine == machine &&
	      eh.e_version == EV_CURRENT && eh.e_entry == 0,
	      "type %u machine %u", eh.e_type, eh.e_machine);
	CHECK(elf_getphdrnum(e, &nph) == 0 && nph == nwant,
	      "%zu program headers, want %zu", nph, nwant);
	for (size_t i = 0; i < nph && i < nwant; i++) {
		GElf_Phdr ph;

		if (!CHECK(gelf_getphdr(e, (int)i, &ph), "phdr %zu", i))
			continue;
		CHECK(ph.p_type == want[i].type && ph.p_offset == want[i].offset &&
		      ph.p_vaddr == want[i].vaddr && ph.p_paddr == want[i].paddr &&
		      ph.p_filesz == want[i].size && ph.p_memsz == want[i].size,
		      "phdr %zu: type %u offset 0x%llx vaddr 0x%llx paddr 0x%llx "
		      "size 0x%llx", i, ph.p_type,
		      (unsigned long long)ph.p_offset,
		      (unsigned long long)ph.p_vaddr,
		      (unsigned long long)ph.p_paddr,
		      (unsigned long long)ph.p_filesz);
		CHECK(ph.p_type != PT_LOAD ||
		      ph.p_flags == (PF_R | PF_W | PF_X), "phdr %zu flags", i);
	}
	elf_end(e);
}

/* The PT_LOADs are the ones kexec-tools wrote for the same machine (the
 * suite's real 686-pae ELF32 kdump): lowmem linear at 0xc0000000,
 * highmem above 896 MiB with vaddr -1, the crash kernel left out. */
TEST(corehdr_i386_like_kexec_tools)
{
	struct iomem io;
	struct core_range *ram = NULL;
	size_t nram = 0;
	struct core_note notes[] = { { 0x37d1b0a0, 0x90 + 0x14 + 0xc },
				     { 0x37d2b0a0, 0xb0 } };
	struct corehdr_spec s = {
		.elfclass = 32, .machine = EM_386, .page_offset = 0xc0000000,
		.lowmem_limit = 0x38000000, .notes = notes, .nnotes = 2,
		.vmcoreinfo = { 0x1d9a000, 0x1000 },
	};
	uint8_t *buf = NULL;
	size_t len = 0;
	const struct want_ph want[] = {
		{ PT_NOTE, 0x37d1b0a0, 0, 0x37d1b0a0, 0xb0 },
		{ PT_NOTE, 0x37d2b0a0, 0, 0x37d2b0a0, 0xb0 },
		{ PT_NOTE, 0x1d9a000, 0, 0x1d9a000, 0x1000 },
		{ PT_LOAD, 0x1000, 0xc0001000, 0x1000, 0x9ec00 },
		{ PT_LOAD, 0x100000, 0xc0100000, 0x100000, 0x17f00000 },
		{ PT_LOAD, 0x20000000, 0xe0000000, 0x20000000, 0x18000000 },
		{ PT_LOAD, 0x38000000, 0xffffffff, 0x38000000, 0x7fdd000 },
	};

	if (!CHECK_OK(iomem_parse(i386_iomem, &io)))
		return;
	if (CHECK_OK(corehdr_crash_ranges(&io, &ram, &nram))) {
		CHECK(nram == 3, "%zu crash ranges", nram);
		s.ram = ram;
		s.nram = nram;
		if (CHECK_OK(corehdr_build(&s, &buf, &len)))
			check_header(buf, len, ELFCLASS32, EM_386, want, 7);
		free(buf);
		/* The same machine with ELF64 headers: same segments. */
		s.elfclass = 64;
		if (CHECK_OK(corehdr_build(&s, &buf, &len))) {
			struct want_ph w64[7];

			memcpy(w64, want, sizeof(w64));
			w64[6].vaddr = UINT64_MAX;
			check_header(buf, len, ELFCLASS64, EM_386, w64, 7);
		}
		free(buf);
	}
	free(ram);
	iomem_free(&io);
}

/* x86_64: the kernel text PT_LOAD first, then the direct map; RAM above
 * 4 GiB makes ELF32 impossible, and the refusal says what and why. */
TEST(corehdr_x86_64_and_elf32_refused)
{
	static const char iomem[] =
		"00001000-0009fbff : System RAM\n"
		"00100000-bffdffff : System RAM\n"
		"  27400000-29c2ffff : Kernel code\n"
		"  2b000000-3affffff : Crash kernel\n"
		"100000000-23fffffff : System RAM\n";
	struct iomem io;
	struct core_range *ram = NULL;
	size_t nram = 0, len = 0;
	struct core_note notes[] = { { 0x23fc1c000, 0x1d0 } };
	struct corehdr_spec s = {
		.elfclass = 64, .machine = EM_X86_64,
		.page_offset = 0xffff8bc840000000, .notes = notes, .nnotes = 1,
		.vmcoreinfo = { 0x23e2a000, 0x1000 }, .text = true,
		.text_vaddr = 0xffffffff9a800000, .text_paddr = 0x27400000,
		.text_size = 0x2830000,
	};
	uint8_t *buf = NULL;
	const struct want_ph want[] = {
		{ PT_NOTE, 0x23fc1c000, 0, 0x23fc1c000, 0x1d0 },
		{ PT_NOTE, 0x23e2a000, 0, 0x23e2a000, 0x1000 },
		{ PT_LOAD, 0x27400000, 0xffffffff9a800000, 0x27400000, 0x2830000 },
		{ PT_LOAD, 0x1000, 0xffff8bc840001000, 0x1000, 0x9ec00 },
		{ PT_LOAD, 0x100000, 0xffff8bc840100000, 0x100000, 0x2af00000 },
		{ PT_LOAD, 0x3b000000, 0xffff8bc87b000000, 0x3b000000, 0x84fe0000 },
		{ PT_LOAD, 0x100000000, 0xffff8bc940000000, 0x100000000, 0x140000000 },
	};
	struct vmc_error *err;

	if (!CHECK_OK(iomem_parse(iomem, &io)))
		return;
	if (CHECK_OK(corehdr_crash_ranges(&io, &ram, &nram))) {
		s.ram = ram;
		s.nram = nram;
		if (CHECK_OK(corehdr_build(&s, &buf, &len)))
			check_header(buf, len, ELFCLASS64, EM_X86_64, want, 7);
		free(buf);
		buf = NULL;
		s.elfclass = 32;
		err = corehdr_build(&s, &buf, &len);
		CHECK(err && err->code == VMC_ERR_INVALID &&
		      strstr(err->message, "RAM at physical 0x100000000-"
			     "0x23fffffff (above 4 GiB): use "
			     "--elf64-core-headers"), "refusal: %s",
		      err ? err->message : "(none)");
		CHECK(!buf, "nothing built");
		vmc_error_destroy(err);
	}
	free(ram);
	iomem_free(&io);
}

/* Everything reserved for the crash kernel, or iomem read as non-root. */
TEST(corehdr_no_crash_memory)
{
	struct iomem io;
	struct core_range *ram = NULL;
	size_t nram = 0;
	struct vmc_error *err;

	if (!CHECK_OK(iomem_parse("00000000-00000000 : System RAM\n"
				  "  00000000-00000000 : Crash kernel\n", &io)))
		return;
	err = corehdr_crash_ranges(&io, &ram, &nram);
	CHECK(err && strstr(err->message, "no System RAM outside") &&
	      strstr(err->message, "not root"), "%s",
	      err ? err->message : "(none)");
	vmc_error_destroy(err);
	free(ram);
	iomem_free(&io);
}

/* ---- save's options ---------------------------------------------------- */

#define SAVE_ARGS(...) save_args((const char *[]){ "save", __VA_ARGS__, NULL })

static int save_args_o(const char **argv, struct save_opts *o,
		       enum final_action *then)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return save_parse_args(argc, (char **)argv, NULL, false, o, then);
}

static int save_args(const char **argv)
{
	struct save_opts o;
	enum final_action then;

	return save_args_o(argv, &o, &then);
}

TEST(save_args_defaults)
{
	const char *argv[] = { "save", NULL };
	struct save_opts o;
	enum final_action then = FINAL_SHELL;

	CHECK_I64(save_args_o(argv, &o, &then), -1);
	CHECK_STR(o.vmcore, "/proc/vmcore");
	CHECK_STR(o.dir, "/var/crash");
	CHECK(!o.kdump, "the command line's default is today's ELF copy");
	CHECK_I64(o.compress, VMC_COMPRESS_ZSTD);
	CHECK_I64(o.dump_level, 0);
	CHECK_I64(o.keep, 0);
	CHECK_I64(then, FINAL_NONE);
}

TEST(save_args_kdump)
{
	const char *argv[] = { "save", "--format", "kdump", "--compress", "lzo",
		"--dump-level", "31", "--dir", "/mnt/crash", "--vmcore", "/x",
		"--keep", "3", "--then", "poweroff", "--host", "h", "--quiet",
		NULL };
	const char *elf[] = { "save", "--format=kdump", "--format", "elf",
			      NULL };
	static const char *const algs[] = { "zstd", "lzo", "snappy", "zlib",
					     "none" };
	static const int want[] = { VMC_COMPRESS_ZSTD, VMC_COMPRESS_LZO,
		VMC_COMPRESS_SNAPPY, VMC_COMPRESS_ZLIB, VMC_COMPRESS_NONE };
	struct save_opts o;
	enum final_action then;

	CHECK_I64(save_args_o(argv, &o, &then), -1);
	CHECK(o.kdump);
	CHECK_I64(o.compress, VMC_COMPRESS_LZO);
	CHECK_I64(o.dump_level, 31);
	CHECK_STR(o.dir, "/mnt/crash");
	CHECK_STR(o.vmcore, "/x");
	CHECK_STR(o.host, "h");
	CHECK_I64(o.keep, 3);
	CHECK(o.quiet);
	CHECK_I64(then, FINAL_POWEROFF);
	CHECK_I64(save_args_o(elf, &o, &then), -1);
	CHECK(!o.kdump, "the last --format wins");
	for (size_t i = 0; i < 5; i++) {
		const char *a[] = { "save", "--format", "kdump", "--compress",
				    algs[i], NULL };

		CHECK_I64(save_args_o(a, &o, &then), -1);
		CHECK_I64(o.compress, want[i]);
	}
}

TEST(save_args_refused)
{
	CHECK_I64(SAVE_ARGS("--compress", "zstd"), 2);	/* not kdump */
	CHECK_I64(SAVE_ARGS("--dump-level", "31"), 2);
	CHECK_I64(SAVE_ARGS("--format", "elf", "--dump-level", "1"), 2);
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--dump-level", "32"), 2);
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--dump-level", "-1"), 2);
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--dump-level", "3x"), 2);
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--dump-level", ""), 2);
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--compress", "gzip"), 2);
	CHECK_I64(SAVE_ARGS("--format", "xml"), 2);
	CHECK_I64(SAVE_ARGS("--keep", "many"), 2);
	CHECK_I64(SAVE_ARGS("--then", "explode"), 2);
	CHECK_I64(SAVE_ARGS("--no-such-option"), 2);
	CHECK_I64(SAVE_ARGS("/proc/vmcore"), 2);	/* a stray word */
	CHECK_I64(SAVE_ARGS("--format", "kdump", "--dump-level", "0",
			    "--compress", "none"), -1);
}

TEST(save_args_ssh)
{
	const char *argv[] = { "save", "--ssh", "u@h:2222", "--ssh-key", "/k",
		"--ssh-known-hosts", "/kh", "--ssh-client", "dbclient", "--dir",
		"/srv/dumps", NULL };
	struct save_opts o;
	enum final_action then;

	CHECK_I64(save_args_o(argv, &o, &then), -1);
	CHECK_STR(o.ssh, "u@h:2222");
	CHECK_STR(o.ssh_key, "/k");
	CHECK_STR(o.ssh_known_hosts, "/kh");
	CHECK_STR(o.ssh_client, "dbclient");
	CHECK_STR(o.dir, "/srv/dumps");
	CHECK_I64(SAVE_ARGS("--ssh", "u@[fe80::1]:22"), -1);
	CHECK_I64(SAVE_ARGS("--ssh", "host"), -1);
	CHECK_I64(SAVE_ARGS("--ssh-key", "/k"), 2);	/* without --ssh */
	CHECK_I64(SAVE_ARGS("--ssh", "u@h", "--keep", "2"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@h:0"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@h:65536"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@h:22x"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@::1"), 2);	/* IPv6 without [ ] */
	CHECK_I64(SAVE_ARGS("--ssh", "u@[::1"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "@h"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "-oProxyCommand=x"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@h;reboot"), 2);
	CHECK_I64(SAVE_ARGS("--ssh", "u@h", "--dir", "a\nb"), 2);
}

TEST(ssh_dest_split)
{
	struct ssh_dest d;

	if (!CHECK_OK(ssh_dest_parse("u@[fe80::1]:2222", &d)))
		return;
	CHECK_STR(d.login, "u@fe80::1");
	CHECK_STR(d.port, "2222");
	ssh_dest_deinit(&d);
	if (!CHECK_OK(ssh_dest_parse("root@dumps.example:22", &d)))
		return;
	CHECK_STR(d.login, "root@dumps.example");
	CHECK_STR(d.port, "22");
	ssh_dest_deinit(&d);
	if (!CHECK_OK(ssh_dest_parse("dumps", &d)))
		return;
	CHECK_STR(d.login, "dumps");
	CHECK(d.port == NULL, "no port: the client's default");
	ssh_dest_deinit(&d);
}

/* ---- save never overwrites --------------------------------------------- */

static bool file_is(const char *path, const char *want)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n >= 0 && !strcmp(buf, want);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(save_never_overwrites)
{
	char dir[256], tmp[300], final[300];
	struct vmc_error *err;
	int fd = -1;

	if (!CHECK(unit_tmpdir(dir, sizeof(dir))))
		return;
	snprintf(tmp, sizeof(tmp), "%s/vmcore-incomplete", dir);
	snprintf(final, sizeof(final), "%s/vmcore", dir);
	/* An incomplete file already there is not reused. */
	put(tmp, "older");
	err = save_create(tmp, &fd);
	if (CHECK(err)) {
		CHECK_I64(err->errnum, EEXIST);
		CHECK_CONTAINS(err->message, "never overwritten");
		vmc_error_destroy(err);
	}
	CHECK(file_is(tmp, "older"), "the existing file is untouched");
	unlink(tmp);
	if (!CHECK_OK(save_create(tmp, &fd)))
		goto out;
	CHECK(write(fd, "new", 3) == 3);
	close(fd);
	/* A complete dump of that name is never replaced... */
	put(final, "first");
	err = save_publish(tmp, final);
	if (CHECK(err)) {
		CHECK_I64(err->errnum, EEXIST);
		CHECK_CONTAINS(err->message, "never overwritten");
		vmc_error_destroy(err);
	}
	CHECK(file_is(final, "first"), "the complete dump is untouched");
	CHECK(file_is(tmp, "new"), "the new one stays incomplete");
	/* ...and without one the rename goes through. */
	unlink(final);
	CHECK_OK(save_publish(tmp, final));
	CHECK(file_is(final, "new"));
	CHECK(access(tmp, F_OK) < 0, "no incomplete file left");
out:
	unlink(tmp);
	unlink(final);
	rmdir(dir);
}
