/* SPDX-License-Identifier: MIT */
/*
 * The architectures other than x86_64 (test-regs.c has that one): how
 * they are picked, their prstatus layouts and register tables against
 * independent copies written out here (from the kernel's uapi headers
 * and gdb's features/ XML files, not from arch/), 'g' and 'p' replies on
 * synthetic ELF dumps (32-bit and big-endian ones included), wrong-sized
 * notes, the PT_LOAD fallback for memory, and target.xml as python3's
 * XML parser and gdb-multiarch read it.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../gdbserver-vmcore/server.h"
#include "corefile.h"
#include "unit.h"

#define NONE (-1)	/* not in the prstatus: unavailable */
#define ZERO (-2)	/* always zero */

/* A register as gdb numbers it: where its pr_reg slot is and how wide the
 * slot is (a register may be the low part of a wider slot). */
struct want_reg {
	const char *name;
	unsigned bits;
	int off;		/* byte offset of the slot in pr_reg */
	unsigned slot;		/* bytes in the slot */
	const char *feature;	/* last part of the feature name */
};

struct want_arch {
	const struct arch *arch;
	const char *name;
	const char *unames[10];		/* uname machines, NULL-ended */
	uint16_t machine;
	const char *machine_name;
	int elfclass;
	bool big_endian;
	unsigned word;
	size_t prs_size, pid_off, reg_off, reg_len;
	const char *gdb_arch;
	const char *feature_prefix;
	const char *pc, *sp;
	const struct want_reg *regs;
	size_t nregs;
};

/* ---- the expected tables ------------------------------------------------ */

/* i386: user_regs_struct (asm/user_32.h) slots ebx ecx edx esi edi ebp
 * eax ds es fs gs orig_eax eip cs eflags esp ss; gdb 32bit-core.xml and
 * 32bit-linux.xml. */
#define I386(n, slot) { n, 32, (slot) * 4, 4, "core" }
#define I387(n, bits) { n, bits, NONE, 0, "core" }
static const struct want_reg i386_regs[] = {
	I386("eax", 6), I386("ecx", 1), I386("edx", 2), I386("ebx", 0),
	I386("esp", 15), I386("ebp", 5), I386("esi", 3), I386("edi", 4),
	I386("eip", 12), I386("eflags", 14), I386("cs", 13), I386("ss", 16),
	I386("ds", 7), I386("es", 8), I386("fs", 9), I386("gs", 10),
	I387("st0", 80), I387("st1", 80), I387("st2", 80), I387("st3", 80),
	I387("st4", 80), I387("st5", 80), I387("st6", 80), I387("st7", 80),
	I387("fctrl", 32), I387("fstat", 32), I387("ftag", 32),
	I387("fiseg", 32), I387("fioff", 32), I387("foseg", 32),
	I387("fooff", 32), I387("fop", 32),
	{ "orig_eax", 32, 11 * 4, 4, "linux" },
};

/* aarch64: user_pt_regs regs[31], sp, pc, pstate; aarch64-core.xml. */
#define A64(n) { "x" #n, 64, (n) * 8, 8, "core" }
static const struct want_reg aarch64_regs[] = {
	A64(0), A64(1), A64(2), A64(3), A64(4), A64(5), A64(6), A64(7),
	A64(8), A64(9), A64(10), A64(11), A64(12), A64(13), A64(14), A64(15),
	A64(16), A64(17), A64(18), A64(19), A64(20), A64(21), A64(22),
	A64(23), A64(24), A64(25), A64(26), A64(27), A64(28), A64(29),
	A64(30),
	{ "sp", 64, 31 * 8, 8, "core" },
	{ "pc", 64, 32 * 8, 8, "core" },
	{ "cpsr", 32, 33 * 8, 8, "core" },
	/* aarch64-fpu.xml: not in crash dumps. */
#define A64V(n) { "v" #n, 128, NONE, 0, "fpu" }
	A64V(0), A64V(1), A64V(2), A64V(3), A64V(4), A64V(5), A64V(6),
	A64V(7), A64V(8), A64V(9), A64V(10), A64V(11), A64V(12), A64V(13),
	A64V(14), A64V(15), A64V(16), A64V(17), A64V(18), A64V(19), A64V(20),
	A64V(21), A64V(22), A64V(23), A64V(24), A64V(25), A64V(26), A64V(27),
	A64V(28), A64V(29), A64V(30), A64V(31),
	{ "fpsr", 32, NONE, 0, "fpu" },
	{ "fpcr", 32, NONE, 0, "fpu" },
};

/* arm: uregs[18] = r0-r15, cpsr, ORIG_r0; arm/arm-core.xml. */
#define ARM(n) { "r" #n, 32, (n) * 4, 4, "core" }
static const struct want_reg arm_regs[] = {
	ARM(0), ARM(1), ARM(2), ARM(3), ARM(4), ARM(5), ARM(6), ARM(7),
	ARM(8), ARM(9), ARM(10), ARM(11), ARM(12),
	{ "sp", 32, 13 * 4, 4, "core" },
	{ "lr", 32, 14 * 4, 4, "core" },
	{ "pc", 32, 15 * 4, 4, "core" },
	{ "cpsr", 32, 16 * 4, 4, "core" },
};

/* ppc64: pt_regs gpr[32], nip, msr, orig_gpr3, ctr, link, xer, ccr,
 * softe, trap, ...; rs6000/power64-core.xml and power64-linux.xml. */
#define PPC(n) { "r" #n, 64, (n) * 8, 8, "core" }
static const struct want_reg ppc64le_regs[] = {
	PPC(0), PPC(1), PPC(2), PPC(3), PPC(4), PPC(5), PPC(6), PPC(7),
	PPC(8), PPC(9), PPC(10), PPC(11), PPC(12), PPC(13), PPC(14), PPC(15),
	PPC(16), PPC(17), PPC(18), PPC(19), PPC(20), PPC(21), PPC(22),
	PPC(23), PPC(24), PPC(25), PPC(26), PPC(27), PPC(28), PPC(29),
	PPC(30), PPC(31),
	{ "pc", 64, 32 * 8, 8, "core" },
	{ "msr", 64, 33 * 8, 8, "core" },
	{ "cr", 32, 38 * 8, 8, "core" },
	{ "lr", 64, 36 * 8, 8, "core" },
	{ "ctr", 64, 35 * 8, 8, "core" },
	{ "xer", 32, 37 * 8, 8, "core" },
	{ "orig_r3", 64, 34 * 8, 8, "linux" },
	{ "trap", 64, 40 * 8, 8, "linux" },
};

/* s390x: s390_regs psw (mask, addr), gprs[16], acrs[16] (4 bytes),
 * orig_gpr2; s390x-core64.xml, s390-acr.xml, s390-fpr.xml,
 * s390x-linux64.xml. */
#define S390R(n) { "r" #n, 64, 16 + (n) * 8, 8, "core" }
#define S390A(n) { "acr" #n, 32, 144 + (n) * 4, 4, "acr" }
#define S390F(n) { "f" #n, 64, NONE, 0, "fpr" }
static const struct want_reg s390x_regs[] = {
	{ "pswm", 64, 0, 8, "core" }, { "pswa", 64, 8, 8, "core" },
	S390R(0), S390R(1), S390R(2), S390R(3), S390R(4), S390R(5),
	S390R(6), S390R(7), S390R(8), S390R(9), S390R(10), S390R(11),
	S390R(12), S390R(13), S390R(14), S390R(15),
	S390A(0), S390A(1), S390A(2), S390A(3), S390A(4), S390A(5),
	S390A(6), S390A(7), S390A(8), S390A(9), S390A(10), S390A(11),
	S390A(12), S390A(13), S390A(14), S390A(15),
	{ "fpc", 32, NONE, 0, "fpr" },
	S390F(0), S390F(1), S390F(2), S390F(3), S390F(4), S390F(5),
	S390F(6), S390F(7), S390F(8), S390F(9), S390F(10), S390F(11),
	S390F(12), S390F(13), S390F(14), S390F(15),
	{ "orig_r2", 64, 208, 8, "linux" },
};

/* riscv64: user_regs_struct pc, ra, sp, ..., t6 (slot n = xn);
 * riscv/64bit-cpu.xml. */
#define RV(name, n) { name, 64, (n) * 8, 8, "cpu" }
static const struct want_reg riscv64_regs[] = {
	{ "zero", 64, ZERO, 0, "cpu" },
	RV("ra", 1), RV("sp", 2), RV("gp", 3), RV("tp", 4), RV("t0", 5),
	RV("t1", 6), RV("t2", 7), RV("fp", 8), RV("s1", 9), RV("a0", 10),
	RV("a1", 11), RV("a2", 12), RV("a3", 13), RV("a4", 14), RV("a5", 15),
	RV("a6", 16), RV("a7", 17), RV("s2", 18), RV("s3", 19), RV("s4", 20),
	RV("s5", 21), RV("s6", 22), RV("s7", 23), RV("s8", 24), RV("s9", 25),
	RV("s10", 26), RV("s11", 27), RV("t3", 28), RV("t4", 29),
	RV("t5", 30), RV("t6", 31),
	{ "pc", 64, 0, 8, "cpu" },
};

#define REGS(t) t, sizeof(t) / sizeof(t[0])

/*
 * struct elf_prstatus (include/uapi/linux/elfcore.h): 32-bit targets have
 * pr_pid at 24 and pr_reg at 72, 64-bit ones 32 and 112; pr_fpvalid
 * follows pr_reg and the size is rounded to the alignment of long.
 */
static const struct want_arch want[] = {
	{ &arch_i386, "i386", { "i386", "i486", "i586", "i686", NULL },
	  EM_386, "EM_386", ELFCLASS32, false, 4, 144, 24, 72, 68,
	  "i386", "org.gnu.gdb.i386.", "eip", "esp", REGS(i386_regs) },
	{ &arch_aarch64, "aarch64", { "aarch64", NULL },
	  EM_AARCH64, "EM_AARCH64", ELFCLASS64, false, 8, 392, 32, 112, 272,
	  "aarch64", "org.gnu.gdb.aarch64.", "pc", "sp",
	  REGS(aarch64_regs) },
	{ &arch_arm, "arm", { "armv5tel", "armv6l", "armv7l", NULL },
	  EM_ARM, "EM_ARM", ELFCLASS32, false, 4, 148, 24, 72, 72,
	  "arm", "org.gnu.gdb.arm.", "pc", "sp", REGS(arm_regs) },
	{ &arch_ppc64le, "ppc64le", { "ppc64le", NULL },
	  EM_PPC64, "EM_PPC64", ELFCLASS64, false, 8, 504, 32, 112, 384,
	  "powerpc:common64", "org.gnu.gdb.power.", "pc", "r1",
	  REGS(ppc64le_regs) },
	{ &arch_s390x, "s390x", { "s390x", NULL },
	  EM_S390, "EM_S390", ELFCLASS64, true, 8, 336, 32, 112, 216,
	  "s390:64-bit", "org.gnu.gdb.s390.", "pswa", "r15",
	  REGS(s390x_regs) },
	{ &arch_riscv64, "riscv64", { "riscv64", NULL },
	  EM_RISCV, "EM_RISCV", ELFCLASS64, false, 8, 376, 32, 112, 256,
	  "riscv:rv64", "org.gnu.gdb.riscv.", "pc", "sp",
	  REGS(riscv64_regs) },
};
#define NWANT (sizeof(want) / sizeof(want[0]))

/* ---- values ------------------------------------------------------------- */

/* A distinct value per CPU and slot whose high and low halves differ, so
 * a register read from the wrong offset, half or byte order shows. */
static uint64_t slot_value(unsigned cpu, int off, unsigned bytes)
{
	uint64_t lo = UINT64_C(0x5c00003d) | (uint64_t)off << 8 |
		      (uint64_t)cpu << 20;
	uint64_t hi = UINT64_C(0xa1b20000) | (uint64_t)off |
		      (uint64_t)cpu << 12;

	return bytes == 8 ? hi << 32 | lo : lo;
}

/* pr_reg of CPU: a background that is no register's value, then every
 * register's slot. */
static void make_pr_reg(const struct want_arch *w, unsigned cpu,
			uint8_t *reg)
{
	for (size_t i = 0; i < w->reg_len; i++)
		reg[i] = (uint8_t)(0xe7 ^ i);
	for (size_t i = 0; i < w->nregs; i++) {
		const struct want_reg *r = &w->regs[i];

		if (r->off >= 0)
			cf_put(reg + r->off, slot_value(cpu, r->off, r->slot),
			       r->slot, w->big_endian);
	}
}

static void make_prstatus(const struct want_arch *w, unsigned cpu,
			  int32_t pid, uint8_t *prs)
{
	uint8_t reg[512];

	make_pr_reg(w, cpu, reg);
	cf_prstatus(prs, w->prs_size, w->pid_off, w->reg_off, w->big_endian,
		    pid, reg, w->reg_len);
}

/* The register's value as target-order bytes; false: unavailable. */
static bool want_bytes(const struct want_arch *w, const struct want_reg *r,
		       unsigned cpu, uint8_t *out)
{
	if (r->off == NONE)
		return false;
	if (r->off == ZERO)
		memset(out, 0, r->bits / 8);
	else
		cf_put(out, slot_value(cpu, r->off, r->slot), r->bits / 8,
		       w->big_endian);
	return true;
}

/* What the 'g' or 'p' reply holds for R. */
static void want_hex(const struct want_arch *w, const struct want_reg *r,
		     unsigned cpu, char *out)
{
	uint8_t b[16];
	unsigned n = r->bits / 8;

	if (!want_bytes(w, r, cpu, b)) {
		for (unsigned i = 0; i < n; i++)
			memcpy(out + 2 * i, "xx", 2);
	} else {
		for (unsigned i = 0; i < n; i++)
			sprintf(out + 2 * i, "%02x", b[i]);
	}
	out[2 * n] = '\0';
}

static size_t reg_index(const struct want_arch *w, const char *name)
{
	for (size_t i = 0; i < w->nregs; i++)
		if (strcmp(w->regs[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* Run FN for every architecture. */
static void each_arch(void (*fn)(const struct want_arch *w))
{
	for (size_t a = 0; a < NWANT; a++)
		fn(&want[a]);
}

/* ---- tables ------------------------------------------------------------- */

static void check_selection(const struct want_arch *w)
{
	CHECK(arch_from_machine(w->machine) == w->arch, "%s: e_machine %u",
	      w->name, w->machine);
	CHECK_STR(w->arch->name, w->name);
	CHECK(arch_from_name(w->name) == w->arch, "%s", w->name);
	for (size_t i = 0; w->unames[i]; i++)
		CHECK(arch_from_name(w->unames[i]) == w->arch,
		      "uname \"%s\" is not %s", w->unames[i], w->name);
	CHECK_CONTAINS(arch_supported_list(), w->name);
	CHECK_CONTAINS(arch_supported_list(), w->machine_name);
}

TEST(selection)
{
	/* Big-endian or 31/32-bit relatives are not ours. */
	static const char *const not_ours[] = {
		"ppc64", "s390", "armv7b", "aarch64_be", "riscv32", "i786",
		"", "x86", "amd64",
	};

	each_arch(check_selection);
	CHECK_CONTAINS(arch_supported_list(), "x86_64");
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
		const struct arch *got = arch_from_name(not_ours[i]);

		CHECK(got == NULL, "\"%s\" -> %s", not_ours[i],
		      got ? got->name : "NULL");
	}
}

static void check_layout(const struct want_arch *w)
{
	const struct arch *x = w->arch;
	const struct arch_prstatus *ps = &x->prstatus;

	CHECK(x->word_size == w->word, "%s word %u", w->name, x->word_size);
	CHECK(x->big_endian == w->big_endian, "%s byte order", w->name);
	CHECK(ps->size == w->prs_size, "%s prstatus %zu", w->name, ps->size);
	CHECK(ps->pid_offset == w->pid_off, "%s pr_pid at %zu", w->name,
	      ps->pid_offset);
	CHECK(ps->reg_offset == w->reg_off, "%s pr_reg at %zu", w->name,
	      ps->reg_offset);
	CHECK(ps->reg_size == w->reg_len, "%s pr_reg %zu bytes", w->name,
	      ps->reg_size);
	/* pr_reg then a 4-byte pr_fpvalid, rounded up to a long. */
	CHECK_U64(w->prs_size,
		  (w->reg_off + w->reg_len + 4 + w->word - 1) / w->word *
		  w->word);
	CHECK_STR(x->gdb_arch, w->gdb_arch);
	CHECK_STR(x->gdb_osabi, "GNU/Linux");
	CHECK(!x->percpu_zero_based, "%s", w->name);
	/* i386 and aarch64 walk their page tables (test-pgwalk.c); the
	 * others have no walker yet: reads use the PT_LOAD virtual addresses. */
	CHECK((x->pgt_init == arch_pgt_unsupported) ==
	      (x != &arch_i386 && x != &arch_aarch64), "%s pgt_init", w->name);
}

TEST(layout)
{
	each_arch(check_layout);
}

static void check_reg_entry(const struct want_arch *w, size_t i)
{
	const struct want_reg *r = &w->regs[i];
	const struct arch_reg *g = &w->arch->regs[i];
	/* A narrower register is the low part of its slot. */
	int off = r->off < 0 ? r->off : r->off +
		  (w->big_endian ? (int)(r->slot - r->bits / 8) : 0);
	char fname[96];

	CHECK(strcmp(g->name, r->name) == 0, "%s reg %zu is %s, want %s",
	      w->name, i, g->name, r->name);
	CHECK(g->bitsize == r->bits, "%s %s: %u bits", w->name, r->name,
	      g->bitsize);
	CHECK(g->prstatus_offset == off, "%s %s: offset %d, want %d",
	      w->name, r->name, g->prstatus_offset, off);
	if (!CHECK(g->feature < w->arch->nfeatures, "%s %s", w->name,
		   r->name))
		return;
	snprintf(fname, sizeof(fname), "%s%s", w->feature_prefix,
		 r->feature);
	CHECK_STR(w->arch->features[g->feature].name, fname);
}

static void check_register_table(const struct want_arch *w)
{
	const struct arch *x = w->arch;
	size_t n = x->nregs;

	/* Registers valued from the dump as a whole (aarch64's pauth
	 * masks) or from the task (sp_el0) come last; test-pauth.c has
	 * them. */
	while (n > 0 && (x->regs[n - 1].prstatus_offset == ARCH_REG_DUMP ||
			 x->regs[n - 1].prstatus_offset == ARCH_REG_TASK))
		n--;
	if (!CHECK(n == w->nregs, "%s: %zu registers, want %zu",
		   w->name, n, w->nregs))
		return;
	for (size_t i = 0; i < w->nregs; i++)
		check_reg_entry(w, i);
	CHECK(x->pc_reg >= 0 && (size_t)x->pc_reg == reg_index(w, w->pc),
	      "%s pc", w->name);
	CHECK(x->sp_reg >= 0 && (size_t)x->sp_reg == reg_index(w, w->sp),
	      "%s sp", w->name);
}

TEST(register_table)
{
	each_arch(check_register_table);
}

static void check_reg_from_prstatus(const struct want_arch *w)
{
	uint8_t prs[600];

	make_prstatus(w, 0, 77, prs);
	for (size_t i = 0; i < w->nregs && i < w->arch->nregs; i++) {
		const struct want_reg *r = &w->regs[i];
		uint8_t buf[64], exp[16];
		unsigned n = r->bits / 8;
		bool got, avail;

		memset(buf, 0xcc, sizeof(buf));
		got = arch_reg_from_prstatus(w->arch, i, prs, w->prs_size, buf);
		avail = want_bytes(w, r, 0, exp);
		if (!CHECK(got == avail, "%s %s: available %d, want %d",
			   w->name, r->name, got, avail) || !avail)
			continue;
		CHECK(memcmp(buf, exp, n) == 0, "%s %s: %02x%02x%02x%02x.., "
		      "want %02x%02x%02x%02x..", w->name, r->name, buf[0],
		      buf[1], buf[2], buf[3], exp[0], exp[1], exp[2], exp[3]);
		CHECK(buf[n] == 0xcc, "%s %s wrote past %u bytes", w->name,
		      r->name, n);
	}
}

TEST(reg_from_prstatus)
{
	each_arch(check_reg_from_prstatus);
}

static void check_reg_wrong_size(const struct want_arch *w)
{
	const size_t sizes[] = { 0, w->reg_off, w->prs_size - 8,
				 w->prs_size - 1, w->prs_size + 1,
				 w->prs_size + 8 };
	uint8_t prs[600], buf[64];

	make_prstatus(w, 0, 77, prs);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t i = 0; i < w->nregs; i++) {
			bool got = arch_reg_from_prstatus(w->arch, i, prs,
							  sizes[s], buf);

			/* Only a zero register is known regardless. */
			CHECK(got == (w->regs[i].off == ZERO),
			      "%s %s readable from a %zu-byte prstatus",
			      w->name, w->arch->regs[i].name, sizes[s]);
		}
	}
}

TEST(reg_wrong_prstatus_size)
{
	each_arch(check_reg_wrong_size);
}

/* ---- through the server, on synthetic dumps ----------------------------- */

#define DATA_PADDR UINT64_C(0x100000)

static uint64_t data_vaddr(const struct want_arch *w)
{
	return w->word == 4 ? UINT64_C(0xc0100000)
			    : UINT64_C(0xffff800000100000);
}

/* A dump of two CPUs (CPU 1 runs pid 4242) and one PT_LOAD whose bytes
 * count up; PRS_SIZE is the size of the prstatus notes. */
static void build_dump(const struct want_arch *w, size_t prs_size,
		       const char *vmcoreinfo, struct cf_image *img)
{
	struct cf cf;
	uint8_t prs[600];
	size_t l;

	cf_init(&cf, w->elfclass, w->machine);
	cf.big_endian = w->big_endian;
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		make_prstatus(w, cpu, cpu ? 4242 : 0, prs);
		cf_note(&cf, "CORE", NT_PRSTATUS, prs, prs_size);
	}
	if (vmcoreinfo)
		cf_vmcoreinfo(&cf, vmcoreinfo);
	l = cf_load(&cf, DATA_PADDR, data_vaddr(w), 0x1000, 0x1000);
	for (size_t i = 0; i < 0x1000; i++)
		cf.loads[l].data[i] = (uint8_t)(i * 3 + 1);
	cf_build(&cf, img);
	cf_deinit(&cf);
}

struct fixture {
	struct vmcore *vc;
	struct server *s;
};

static bool open_dump(const struct want_arch *w, size_t prs_size,
		      const char *vmcoreinfo, struct fixture *fx)
{
	struct cf_image img;
	struct server_opts opts = { .quiet = true };
	char path[256] = "";
	bool ok = false;

	memset(fx, 0, sizeof(*fx));
	build_dump(w, prs_size, vmcoreinfo, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	    CHECK_OK(vmcore_open(path, &fx->vc)))
		ok = CHECK_OK(server_create(fx->vc, &opts, &fx->s));
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	return ok;
}

static void close_dump(struct fixture *fx)
{
	server_destroy(fx->s);
	vmcore_close(fx->vc);
}

static const char *req(struct fixture *fx, const char *pkt)
{
	server_handle(fx->s, pkt, strlen(pkt));
	return fx->s->reply.data && fx->s->reply.len ? fx->s->reply.data : "";
}

/* The whole 'g' reply expected for CPU. */
static char *want_g(const struct want_arch *w, unsigned cpu)
{
	char *g = unit_xmalloc(w->nregs * 32 + 1);
	size_t len = 0;

	g[0] = '\0';
	for (size_t i = 0; i < w->nregs; i++) {
		want_hex(w, &w->regs[i], cpu, g + len);
		len += strlen(g + len);
	}
	return g;
}

/* 'p' for the first, last, pc and sp registers, every narrow or
 * unavailable one, and one in between. */
static void check_p(struct fixture *fx, const struct want_arch *w,
		    unsigned cpu)
{
	for (size_t i = 0; i < w->nregs; i++) {
		const struct want_reg *r = &w->regs[i];
		char pkt[32], exp[64];

		if (!(i == 0 || i + 1 == w->nregs || i == w->nregs / 2 ||
		      i == reg_index(w, w->pc) || i == reg_index(w, w->sp) ||
		      r->off < 0 || r->bits / 8 != r->slot))
			continue;
		snprintf(pkt, sizeof(pkt), "p%zx", i);
		want_hex(w, r, cpu, exp);
		CHECK(strcmp(req(fx, pkt), exp) == 0, "%s CPU %u %s (%s): %s, "
		      "want %s", w->name, cpu, pkt, r->name, req(fx, pkt), exp);
	}
}

static void check_server_registers(const struct want_arch *w)
{
	struct fixture fx;
	char pkt[32], *g;

	if (!open_dump(w, w->prs_size, NULL, &fx))
		return;
	CHECK(vmcore_arch(fx.vc) == w->arch, "%s", w->name);
	CHECK_STR(vmcore_format(fx.vc),
		  w->elfclass == ELFCLASS64 ? "ELF64" : "ELF32");
	/* The one warning: no translation (i386 and aarch64 have walkers,
	 * but these dumps have no VMCOREINFO for them). */
	CHECK(vmcore_num_warnings(fx.vc) == 1 &&
	      strstr(vmcore_warning(fx.vc, 0),
		     w->arch == &arch_i386 ? "SYMBOL(swapper_pg_dir)" :
		     w->arch == &arch_aarch64 ? "no VMCOREINFO note (for "
		     "PAGESIZE)" : "no page-table walker"),
	      "%s: %zu warnings, first: %s", w->name,
	      vmcore_num_warnings(fx.vc), vmcore_num_warnings(fx.vc) ?
	      vmcore_warning(fx.vc, 0) : "-");
	/* pr_pid in the target's byte order. */
	CHECK(vmcore_num_cpus(fx.vc) == 2 && vmcore_cpu(fx.vc, 0)->pid == 0 &&
	      vmcore_cpu(fx.vc, 1)->pid == 4242, "%s pids", w->name);
	/* The only CPU running a task is taken as the panicking one. */
	CHECK(strcmp(req(&fx, "?"), "T05thread:2;core:1;") == 0,
	      "%s: ? -> %s", w->name, req(&fx, "?"));
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		snprintf(pkt, sizeof(pkt), "Hg%u", cpu + 1);
		CHECK_STR(req(&fx, pkt), "OK");
		g = want_g(w, cpu);
		CHECK(strcmp(req(&fx, "g"), g) == 0, "%s CPU %u g:\n  %s\n"
		      "want\n  %s", w->name, cpu, req(&fx, "g"), g);
		free(g);
		check_p(&fx, w, cpu);
	}
	snprintf(pkt, sizeof(pkt), "p%zx", w->nregs);
	CHECK(strcmp(req(&fx, pkt), "E16") == 0, "%s %s", w->name, pkt);
	/* target.xml as served names the architecture. */
	CHECK_CONTAINS(req(&fx, "qXfer:features:read:target.xml:0,4000"),
		       w->gdb_arch);
	close_dump(&fx);
}

TEST(server_registers)
{
	each_arch(check_server_registers);
}

/* Notes of SIZE bytes: a warning, and every register unavailable (a zero
 * register stays 0). */
static void check_wrong_size_dump(const struct want_arch *w, size_t size)
{
	struct fixture fx;
	char msg[160], *g;
	bool warned = false;

	if (!open_dump(w, size, NULL, &fx))
		return;
	snprintf(msg, sizeof(msg), "NT_PRSTATUS note of CPU 0 has %zu bytes "
		 "where %s uses %zu", size, w->name, w->prs_size);
	for (size_t i = 0; i < vmcore_num_warnings(fx.vc); i++)
		warned |= strstr(vmcore_warning(fx.vc, i), msg) != NULL;
	CHECK(warned, "%s: no warning \"%s\"", w->name, msg);
	g = unit_xcalloc(w->nregs * 32 + 1, 1);
	for (size_t i = 0; i < w->nregs; i++) {
		for (unsigned b = 0; b < w->regs[i].bits / 8; b++)
			strcat(g, w->regs[i].off == ZERO ? "00" : "xx");
	}
	CHECK(strcmp(req(&fx, "g"), g) == 0, "%s %zu-byte notes: g -> %s",
	      w->name, size, req(&fx, "g"));
	free(g);
	close_dump(&fx);
}

static void check_wrong_size_dumps(const struct want_arch *w)
{
	check_wrong_size_dump(w, w->prs_size - 8);
	check_wrong_size_dump(w, w->prs_size + 8);
}

TEST(wrong_prstatus_size)
{
	each_arch(check_wrong_size_dumps);
}

/* Without a page-table walker (or, for i386 and aarch64, without what
 * their walkers need in VMCOREINFO), memory reads through the PT_LOAD
 * virtual ranges; KERNELOFFSET is not turned into qOffsets where there is
 * no link address.  i386 has one (SYMBOL(_stext), else the default
 * 0xc1000000), though its kernels write no KERNELOFFSET. */
static void check_memory_and_offsets(const struct want_arch *w)
{
	struct fixture fx;
	uint8_t buf[16];
	size_t done = 0;
	char pkt[64];

	if (!open_dump(w, w->prs_size, "OSRELEASE=6.1.0\n"
		       "KERNELOFFSET=1000000\n", &fx))
		return;
	CHECK(vmcore_pgt(fx.vc) == NULL, "%s", w->name);
	CHECK_CONTAINS(vmcore_translation(fx.vc), "PT_LOAD");
	CHECK_OK(vmcore_read_virt(fx.vc, data_vaddr(w) + 0x10, buf, 16,
				  &done));
	CHECK_U64(done, 16);
	for (unsigned i = 0; i < 16; i++)
		CHECK(buf[i] == (uint8_t)((0x10 + i) * 3 + 1), "%s byte %u",
		      w->name, i);
	/* Bytes 0x10-0x13 of the segment: 0x31, 0x34, 0x37, 0x3a. */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",4", data_vaddr(w) + 0x10);
	CHECK(strcmp(req(&fx, pkt), "3134373a") == 0, "%s %s -> %s",
	      w->name, pkt, req(&fx, pkt));
	CHECK(strcmp(req(&fx, "qOffsets"), w->arch == &arch_i386 ?
		     "TextSeg=c2000000" : "") == 0, "%s qOffsets -> %s",
	      w->name, req(&fx, "qOffsets"));
	close_dump(&fx);
}

TEST(memory_and_offsets)
{
	each_arch(check_memory_and_offsets);
}

/* aarch64 qOffsets: TextSeg is the running _text, SEGMENT_ALIGN (64K)
 * below VMCOREINFO's _stext (as in Debian's 6.1 vmlinux: _text
 * ffff800008000000, _stext ffff800008010000); no KERNELOFFSET, no
 * offsets. */
TEST(aarch64_offsets)
{
	const struct want_arch *w = NULL;
	struct fixture fx;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i].arch == &arch_aarch64)
			w = &want[i];
	}
	if (!CHECK(w, "no aarch64 entry"))
		return;
	if (open_dump(w, w->prs_size, "SYMBOL(_stext)=ffff8000184b0000\n"
		      "KERNELOFFSET=104a0000\n", &fx)) {
		CHECK_STR(req(&fx, "qOffsets"), "TextSeg=ffff8000184a0000");
		close_dump(&fx);
	}
	if (open_dump(w, w->prs_size, "SYMBOL(_stext)=ffff800008010000\n",
		      &fx)) {
		CHECK_STR(req(&fx, "qOffsets"), "");
		close_dump(&fx);
	}
}

/*
 * i386 in an ELF64 container (e_machine EM_386): what kexec
 * --elf64-core-headers and QEMU's dump-guest-memory write.  Still i386,
 * with its 144-byte prstatus notes, registers and 32-bit addresses.
 */
TEST(i386_in_elf64)
{
	struct want_arch w = want[0];

	if (!CHECK(w.arch == &arch_i386, "want[0] is %s", w.name))
		return;
	w.elfclass = ELFCLASS64;
	check_server_registers(&w);
	check_wrong_size_dumps(&w);
	check_memory_and_offsets(&w);
}

/* ---- target.xml --------------------------------------------------------- */

static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/*
 * W's target.xml in a temporary file, then the shell command CMD (where
 * "%s", if any, is that file's path) with the file on its stdin.  Returns what the
 * command printed (stdout and stderr), or NULL after a failed check.
 */
static char *run_on_xml(const struct want_arch *w, const char *cmd)
{
	char *xml = NULL, *out = NULL, path[256] = "", full[1100], cmdp[768];
	size_t len = 0, n;
	FILE *f;

	if (!CHECK_OK(arch_target_xml(w->arch, &xml, &len)))
		return NULL;
	CHECK_U64(len, strlen(xml));
	if (!CHECK(unit_write_tmp(xml, len, path, sizeof(path))))
		goto out;
	snprintf(cmdp, sizeof(cmdp), cmd, path);
	snprintf(full, sizeof(full), "%s < '%s' 2>&1", cmdp, path);
	f = popen(full, "r");
	if (!CHECK(f, "%s: cannot run %s", w->name, full))
		goto out;
	out = unit_xmalloc(65536);
	n = fread(out, 1, 65535, f);
	out[n] = '\0';
	pclose(f);
out:
	if (path[0])
		unlink(path);
	free(xml);
	return out;
}

static const char python_script[] =
	"python3 -c '\n"
	"import sys, xml.etree.ElementTree as ET\n"
	"t = ET.parse(sys.stdin).getroot()\n"
	"print(t.tag, t.find(\"architecture\").text, t.find(\"osabi\").text)\n"
	"for f in t.findall(\"feature\"):\n"
	"    for r in f.findall(\"reg\"):\n"
	"        print(f.get(\"name\"), r.get(\"regnum\"), r.get(\"name\"),"
	" r.get(\"bitsize\"))\n"
	"'";

/* python3's XML parser: well-formed, every register with its number in
 * its feature. */
static void check_xml_python(const struct want_arch *w)
{
	char *out = run_on_xml(w, python_script), line[256];

	if (!out)
		return;
	snprintf(line, sizeof(line), "target %s GNU/Linux\n", w->gdb_arch);
	CHECK(strncmp(out, line, strlen(line)) == 0, "%s: python3 says: "
	      "%.300s", w->name, out);
	for (size_t i = 0; i < w->nregs; i++) {
		snprintf(line, sizeof(line), "\n%s%s %zu %s %u\n",
			 w->feature_prefix, w->regs[i].feature, i,
			 w->regs[i].name, w->regs[i].bits);
		CHECK(strstr(out, line), "%s: python3 lacks \"%s\"", w->name,
		      line + 1);
	}
	free(out);
}

TEST(target_xml_python)
{
	if (!have("python3")) {
		unit_missing("python3 not installed");
		return;
	}
	each_arch(check_xml_python);
}

/*
 * gdb itself: gdb-multiarch loads each description with "set tdesc
 * filename" and must take it (an architecture that rejects one says so
 * and stays i386); its remote register numbers, sizes and 'g' offsets
 * must be ours ("maint print remote-registers": name, number, relative
 * number, offset, size, type, remote number, 'g' offset).
 */
static void check_xml_gdb(const struct want_arch *w)
{
	char *out = run_on_xml(w, "gdb-multiarch -batch -nx "
			       "-ex 'set tdesc filename %s' "
			       "-ex 'show architecture' -ex 'show osabi' "
			       "-ex 'maint print remote-registers'");
	char arch[96];
	size_t goff = 0;

	if (!out)
		return;
	snprintf(arch, sizeof(arch), "(currently \"%s\")", w->gdb_arch);
	CHECK(strstr(out, arch) && !strstr(out, "rejected") &&
	      !strstr(out, "arning"), "%s: gdb: %.500s", w->name, out);
	CHECK(strstr(out, "(currently \"GNU/Linux\")"), "%s: osabi", w->name);
	for (size_t i = 0; i < w->nregs; i++) {
		const struct want_reg *r = &w->regs[i];
		char needle[64], name[32];
		const char *line;
		unsigned long nr, rel, off, size, rnr, g;

		snprintf(needle, sizeof(needle), "\n %s ", r->name);
		line = strstr(out, needle);
		if (!CHECK(line, "%s: gdb does not list %s", w->name, r->name))
			continue;
		if (!CHECK(sscanf(line, " %31s %lu %lu %lu %lu %*s %lu %lu",
				  name, &nr, &rel, &off, &size, &rnr, &g) == 7,
			   "%s: cannot parse: %.80s", w->name, line))
			continue;
		CHECK(rnr == i && size * 8 == r->bits && g == goff, "%s: gdb "
		      "has %s remote %lu size %lu g offset %lu, want "
		      "%zu/%u/%zu", w->name, name, rnr, size, g, i,
		      r->bits / 8, goff);
		goff += r->bits / 8;
	}
	free(out);
}

TEST(target_xml_gdb)
{
	if (!have("gdb-multiarch")) {
		unit_missing("gdb-multiarch not installed "
			     "(mk/install-deps.sh test installs it)");
		return;
	}
	each_arch(check_xml_gdb);
}
