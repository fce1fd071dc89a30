/* SPDX-License-Identifier: MIT */
/*
 * x86_64 registers: prstatus decoding against an independent copy of
 * the expected layout, and target.xml (well-formedness, order, features;
 * cross-checked with python3's XML parser and with gdb itself when they
 * are installed).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "corefile.h"
#include "unit.h"

/*
 * gdb's amd64 register numbering (gdb/amd64-tdep.h, features/i386/
 * 64bit-*.xml) and where each lives in pr_reg; slot -1: not in dumps.
 * Written out here on purpose instead of derived from arch/x86_64.c.
 */
static const struct {
	const char *name;
	int slot;
	unsigned bits;
	const char *feature;
} want_regs[] = {
	{ "rax", CF_RAX, 64, "core" }, { "rbx", CF_RBX, 64, "core" },
	{ "rcx", CF_RCX, 64, "core" }, { "rdx", CF_RDX, 64, "core" },
	{ "rsi", CF_RSI, 64, "core" }, { "rdi", CF_RDI, 64, "core" },
	{ "rbp", CF_RBP, 64, "core" }, { "rsp", CF_RSP, 64, "core" },
	{ "r8", CF_R8, 64, "core" }, { "r9", CF_R9, 64, "core" },
	{ "r10", CF_R10, 64, "core" }, { "r11", CF_R11, 64, "core" },
	{ "r12", CF_R12, 64, "core" }, { "r13", CF_R13, 64, "core" },
	{ "r14", CF_R14, 64, "core" }, { "r15", CF_R15, 64, "core" },
	{ "rip", CF_RIP, 64, "core" }, { "eflags", CF_EFLAGS, 32, "core" },
	{ "cs", CF_CS, 32, "core" }, { "ss", CF_SS, 32, "core" },
	{ "ds", CF_DS, 32, "core" }, { "es", CF_ES, 32, "core" },
	{ "fs", CF_FS, 32, "core" }, { "gs", CF_GS, 32, "core" },
	{ "st0", -1, 80, "core" }, { "st1", -1, 80, "core" },
	{ "st2", -1, 80, "core" }, { "st3", -1, 80, "core" },
	{ "st4", -1, 80, "core" }, { "st5", -1, 80, "core" },
	{ "st6", -1, 80, "core" }, { "st7", -1, 80, "core" },
	{ "fctrl", -1, 32, "core" }, { "fstat", -1, 32, "core" },
	{ "ftag", -1, 32, "core" }, { "fiseg", -1, 32, "core" },
	{ "fioff", -1, 32, "core" }, { "foseg", -1, 32, "core" },
	{ "fooff", -1, 32, "core" }, { "fop", -1, 32, "core" },
	{ "orig_rax", CF_ORIG_RAX, 64, "linux" },
	{ "fs_base", CF_FS_BASE, 64, "segments" },
	{ "gs_base", CF_GS_BASE, 64, "segments" },
};
#define NWANT (sizeof(want_regs) / sizeof(want_regs[0]))

/* A distinct value per slot, different in every byte position. */
static uint64_t slot_value(int slot)
{
	return UINT64_C(0xa1b2c3d400000000) | (uint64_t)(slot + 1) << 24 |
	       (uint64_t)(slot + 1) << 16 | (uint64_t)(0x5a + slot) << 8 |
	       (uint64_t)(0x10 + slot);
}

static void make_prstatus(uint8_t prs[CF_PRSTATUS_SIZE])
{
	uint64_t regs[CF_X86_NREGS];

	for (int i = 0; i < CF_X86_NREGS; i++)
		regs[i] = slot_value(i);
	cf_x86_prstatus(prs, 4242, regs);
}

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0)
		v = v << 8 | p[bytes];
	return v;
}

TEST(arch_selection)
{
	CHECK(arch_from_machine(EM_X86_64) == &arch_x86_64);
	CHECK(arch_from_name("x86_64") == &arch_x86_64);
	CHECK(arch_from_machine(EM_SPARCV9) == NULL);
	CHECK(arch_from_machine(EM_MIPS) == NULL);
	CHECK(arch_from_machine(0) == NULL);
	CHECK_CONTAINS(arch_supported_list(), "x86_64");
	CHECK_STR(arch_x86_64.name, "x86_64");
	CHECK_U64(arch_x86_64.word_size, 8);
	CHECK(!arch_x86_64.big_endian);
	CHECK_U64(arch_x86_64.prstatus.size, 336);
	CHECK_U64(arch_x86_64.prstatus.pid_offset, 32);
	CHECK_U64(arch_x86_64.prstatus.reg_offset, 112);
	CHECK_U64(arch_x86_64.prstatus.reg_size, 27 * 8);
}

TEST(register_table)
{
	const struct arch *a = &arch_x86_64;

	if (!CHECK_U64(a->nregs, NWANT))
		return;
	for (size_t i = 0; i < NWANT; i++) {
		CHECK(strcmp(a->regs[i].name, want_regs[i].name) == 0,
		      "reg %zu is %s, want %s", i, a->regs[i].name,
		      want_regs[i].name);
		CHECK(a->regs[i].bitsize == want_regs[i].bits,
		      "%s: %u bits, want %u", want_regs[i].name,
		      a->regs[i].bitsize, want_regs[i].bits);
		CHECK(a->regs[i].prstatus_offset ==
		      (want_regs[i].slot < 0 ? -1 : want_regs[i].slot * 8),
		      "%s: offset %d", want_regs[i].name,
		      a->regs[i].prstatus_offset);
		CHECK(a->regs[i].feature < a->nfeatures);
	}
	CHECK_STR(a->regs[a->pc_reg].name, "rip");
	CHECK_STR(a->regs[a->sp_reg].name, "rsp");
}

TEST(reg_from_prstatus)
{
	const struct arch *a = &arch_x86_64;
	uint8_t prs[CF_PRSTATUS_SIZE];

	make_prstatus(prs);
	for (size_t i = 0; i < NWANT && i < a->nregs; i++) {
		uint8_t buf[64];
		unsigned bytes = want_regs[i].bits / 8;
		bool got;

		memset(buf, 0xcc, sizeof(buf));
		got = arch_reg_from_prstatus(a, i, prs, sizeof(prs), buf);
		if (want_regs[i].slot < 0) {
			CHECK(!got, "%s should be unavailable",
			      want_regs[i].name);
			continue;
		}
		if (!CHECK(got, "%s unavailable", want_regs[i].name))
			continue;
		/* 32-bit registers are the low half of their slot. */
		CHECK(le(buf, bytes) == (bytes == 8 ? slot_value(want_regs[i].slot)
				: slot_value(want_regs[i].slot) & 0xffffffff),
		      "%s = 0x%" PRIx64 ", want slot %d", want_regs[i].name,
		      le(buf, bytes), want_regs[i].slot);
		CHECK(buf[bytes] == 0xcc, "%s wrote past %u bytes",
		      want_regs[i].name, bytes);
	}
}

TEST(reg_wrong_prstatus_size)
{
	const struct arch *a = &arch_x86_64;
	uint8_t prs[CF_PRSTATUS_SIZE + 8];
	static const size_t sizes[] = { 0, 112, 328, 335, 337, 344 };

	make_prstatus(prs);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t i = 0; i < a->nregs; i++) {
			uint8_t buf[64];

			CHECK(!arch_reg_from_prstatus(a, i, prs, sizes[s], buf),
			      "%s readable from a %zu-byte prstatus",
			      a->regs[i].name, sizes[s]);
		}
	}
}

TEST(irqs_disabled)
{
	uint8_t prs[CF_PRSTATUS_SIZE];
	uint64_t regs[CF_X86_NREGS] = { 0 };

	if (!CHECK(arch_x86_64.irqs_disabled != NULL))
		return;
	regs[CF_EFLAGS] = 0x246;	/* IF set */
	cf_x86_prstatus(prs, 1, regs);
	CHECK(!arch_x86_64.irqs_disabled(prs, sizeof(prs)));
	regs[CF_EFLAGS] = 0x46;		/* IF clear */
	cf_x86_prstatus(prs, 1, regs);
	CHECK(arch_x86_64.irqs_disabled(prs, sizeof(prs)));
	/* IF in the upper half of the slot does not count. */
	regs[CF_EFLAGS] = UINT64_C(0x20000000046);
	cf_x86_prstatus(prs, 1, regs);
	CHECK(arch_x86_64.irqs_disabled(prs, sizeof(prs)));
	/* Unknown layout: not "disabled". */
	CHECK(!arch_x86_64.irqs_disabled(prs, 300));
}

/* ---- target.xml -------------------------------------------------------- */

/* A small well-formedness check: balanced tags, quoted attributes, no
 * stray '<' or '&'.  Returns NULL or what is wrong. */
static const char *xml_wellformed(const char *x)
{
	const char *stack[32];
	size_t depth = 0, roots = 0;

	while (*x) {
		if (*x == '&') {
			if (strncmp(x, "&lt;", 4) && strncmp(x, "&gt;", 4) &&
			    strncmp(x, "&amp;", 5) && strncmp(x, "&quot;", 6))
				return "bad entity";
			x++;
			continue;
		}
		if (*x != '<') {
			if (*x == '>')
				return "stray '>'";
			x++;
			continue;
		}
		if (x[1] == '?' || x[1] == '!') {
			const char *e = strchr(x, '>');

			if (!e)
				return "unterminated declaration";
			x = e + 1;
			continue;
		}
		if (x[1] == '/') {
			size_t n = strcspn(x + 2, ">");

			if (depth == 0 || strncmp(stack[depth - 1], x + 2, n) ||
			    strcspn(stack[depth - 1], " />") != n)
				return "mismatched end tag";
			depth--;
			x += 2 + n + 1;
			continue;
		}
		/* Start tag: name, then name="value" attributes. */
		{
			const char *name = x + 1;
			const char *p = name + strcspn(name, " />");
			bool quote = false;

			if (p == name)
				return "empty tag name";
			for (; *p && (quote || *p != '>'); p++) {
				if (*p == '"')
					quote = !quote;
				else if (*p == '<')
					return "'<' inside a tag";
			}
			if (!*p)
				return "unterminated tag";
			if (depth == 0 && roots++)
				return "two root elements";
			if (p[-1] != '/') {
				if (depth == sizeof(stack) / sizeof(stack[0]))
					return "too deep";
				stack[depth++] = name;
			}
			x = p + 1;
		}
	}
	return depth ? "unclosed element" : roots == 1 ? NULL : "no root";
}

TEST(xml_checker_works)
{
	/* The checker above must be able to say no. */
	CHECK(xml_wellformed("<a><b/></a>") == NULL);
	CHECK(xml_wellformed("<a><b></a>") != NULL);
	CHECK(xml_wellformed("<a x=\"1>\"/><b/>") != NULL);
	CHECK(xml_wellformed("<a x=\"1/>") != NULL);
	CHECK(xml_wellformed("<a>&</a>") != NULL);
}

static char *target_xml(void)
{
	char *xml = NULL;
	size_t len = 0;

	if (!CHECK_OK(arch_target_xml(&arch_x86_64, &xml, &len)))
		return NULL;
	CHECK_U64(len, strlen(xml));
	return xml;
}

TEST(target_xml_content)
{
	char *xml = target_xml();
	const char *why, *p;
	char needle[160];

	if (!xml)
		return;
	why = xml_wellformed(xml);
	CHECK(why == NULL, "not well-formed: %s", why);
	CHECK(strncmp(xml, "<?xml version=\"1.0\"?>", 21) == 0);
	CHECK_CONTAINS(xml, "<architecture>i386:x86-64</architecture>");
	CHECK_CONTAINS(xml, "<osabi>GNU/Linux</osabi>");
	CHECK_CONTAINS(xml, "<feature name=\"org.gnu.gdb.i386.core\">");
	CHECK_CONTAINS(xml, "<feature name=\"org.gnu.gdb.i386.linux\">");
	CHECK_CONTAINS(xml, "<feature name=\"org.gnu.gdb.i386.segments\">");
	CHECK_CONTAINS(xml, "<flags id=\"i386_eflags\" size=\"4\">");
	/* Every register, in order, with its number and size. */
	p = xml;
	for (size_t i = 0; i < NWANT; i++) {
		const char *hit;

		snprintf(needle, sizeof(needle),
			 "<reg name=\"%s\" bitsize=\"%u\" ", want_regs[i].name,
			 want_regs[i].bits);
		hit = strstr(p, needle);
		if (!CHECK(hit, "%s missing or out of order", needle))
			continue;
		snprintf(needle, sizeof(needle), "regnum=\"%zu\"", i);
		CHECK(strstr(hit, needle) && strstr(hit, needle) <
		      strchr(hit, '>'), "%s: no %s", want_regs[i].name,
		      needle);
		p = hit;
	}
	/* The Linux and segment registers sit in their own features. */
	p = strstr(xml, "org.gnu.gdb.i386.linux");
	CHECK(p && strstr(p, "\"orig_rax\"") &&
	      strstr(p, "\"orig_rax\"") < strstr(p, "</feature>"));
	p = strstr(xml, "org.gnu.gdb.i386.segments");
	CHECK(p && strstr(p, "\"fs_base\"") && strstr(p, "\"gs_base\"") &&
	      strstr(p, "\"gs_base\"") < strstr(p, "</feature>"));
	free(xml);
}

/* Run a shell command with XML on its stdin; its stdout into OUT. */
static bool run_filter(const char *cmd, const char *xml, char *out,
		       size_t cap)
{
	char path[256], full[1024];
	FILE *f;
	size_t n;

	if (!unit_write_tmp(xml, strlen(xml), path, sizeof(path)))
		return false;
	snprintf(full, sizeof(full), "%s < '%s' 2>&1", cmd, path);
	f = popen(full, "r");
	if (!f) {
		unlink(path);
		return false;
	}
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	pclose(f);
	unlink(path);
	return true;
}

static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

TEST(target_xml_python)
{
	static const char script[] =
		"python3 -c '\n"
		"import sys, xml.etree.ElementTree as ET\n"
		"t = ET.parse(sys.stdin).getroot()\n"
		"print(t.tag, t.find(\"architecture\").text)\n"
		"for f in t.findall(\"feature\"):\n"
		"    for r in f.findall(\"reg\"):\n"
		"        print(f.get(\"name\").split(\".\")[-1], r.get(\"regnum\"),"
		" r.get(\"name\"), r.get(\"bitsize\"))\n"
		"'";
	char *xml, *out, want[256];

	if (!have("python3")) {
		unit_missing("python3 not installed");
		return;
	}
	xml = target_xml();
	if (!xml)
		return;
	out = unit_xmalloc(65536);
	if (CHECK(run_filter(script, xml, out, 65536))) {
		CHECK(strncmp(out, "target i386:x86-64\n", 19) == 0,
		      "python3 says: %.300s", out);
		for (size_t i = 0; i < NWANT; i++) {
			snprintf(want, sizeof(want), "\n%s %zu %s %u\n",
				 want_regs[i].feature, i, want_regs[i].name,
				 want_regs[i].bits);
			CHECK(strstr(out, want), "python3 lacks \"%s\"",
			      want + 1);
		}
	}
	free(out);
	free(xml);
}

/*
 * gdb itself: load the description with "set tdesc filename" and check
 * its register layout ("maint print remote-registers": name, number,
 * relative number, offset, size, type, remote number, g-packet offset).
 */
TEST(target_xml_gdb)
{
	char *xml, *out, path[256], cmd[512];
	size_t goff = 0;

	if (!have("gdb")) {
		unit_missing("gdb not installed");
		return;
	}
	xml = target_xml();
	if (!xml)
		return;
	if (!CHECK(unit_write_tmp(xml, strlen(xml), path, sizeof(path)))) {
		free(xml);
		return;
	}
	snprintf(cmd, sizeof(cmd), "gdb -batch -nx -ex 'set tdesc filename %s'"
		 " -ex 'maint print remote-registers'", path);
	out = unit_xmalloc(65536);
	if (CHECK(run_filter(cmd, "", out, 65536))) {
		CHECK(!strstr(out, "rejected") && !strstr(out, "arning"),
		      "gdb: %.500s", out);
		for (size_t i = 0; i < NWANT; i++) {
			char want[128];
			const char *line;
			unsigned long nr, rel, off, size, rnr, g;
			char name[32];

			snprintf(want, sizeof(want), "\n %s ", want_regs[i].name);
			line = strstr(out, want);
			if (!CHECK(line, "gdb does not list %s",
				   want_regs[i].name))
				continue;
			/* " rax 0 0 0 8 int64_t 0 0" */
			if (!CHECK(sscanf(line, " %31s %lu %lu %lu %lu %*s %lu %lu",
					  name, &nr, &rel, &off, &size, &rnr,
					  &g) == 7, "cannot parse: %.80s", line))
				continue;
			/* gdb's internal numbers (nr) differ for orig_rax
			 * and the bases; the remote ones must not. */
			CHECK(rnr == i && size * 8 == want_regs[i].bits &&
			      g == goff, "gdb: %s remote %lu size %lu g offset "
			      "%lu, want %zu/%u/%zu", name, rnr, size, g, i,
			      want_regs[i].bits / 8, goff);
			goff += want_regs[i].bits / 8;
		}
	}
	unlink(path);
	free(out);
	free(xml);
}
