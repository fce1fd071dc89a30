/* SPDX-License-Identifier: MIT */
/*
 * Registers valued from the dump rather than from a CPU note: aarch64's
 * pointer-authentication masks (gdb's org.gnu.gdb.aarch64.pauth feature,
 * pauth_dmask and pauth_cmask) from VMCOREINFO NUMBER(KERNELPACMASK).
 * They are in target.xml, 'g' and 'p' only when the dump has a nonzero
 * mask; x86_64 is untouched.  gdb-multiarch must take the description
 * with its remote numbers and 'g' offsets.
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

/* struct elf_prstatus on aarch64 (include/uapi/linux/elfcore.h): pr_pid
 * at 32, pr_reg (user_pt_regs: x0-x30, sp, pc, pstate) at 112, 392
 * bytes.  Written out here, not taken from arch/aarch64.c. */
#define PRS_SIZE 392
#define PRS_PID 32
#define PRS_REG 112
#define NCORE 68		/* x0-x30, sp, pc, cpsr, v0-v31, fpsr, fpcr */
#define PAUTH_DMASK 68		/* remote numbers of the masks */
#define PAUTH_CMASK 69
#define SP_EL0 70		/* ours: the task's task_struct, task threads only */
/* 33 64-bit registers, the 32-bit cpsr, then v0-v31, fpsr and fpcr,
 * unavailable ("xx" bytes): 32 * 16 + 4 + 4 bytes. */
#define G_CORE_HEX (33 * 16 + 8 + 2 * (32 * 16 + 8))

struct fixture {
	struct vmcore *vc;
	struct server *s;
	char path[256];
};

/* Register slot N of CPU's pr_reg: distinct on every CPU. */
static uint64_t slot_value(unsigned cpu, unsigned n)
{
	return UINT64_C(0xffff800008000000) + cpu * 0x100000 + n * 8;
}

static bool open_dump(const char *vmcoreinfo, struct fixture *fx)
{
	struct cf cf;
	struct cf_image img;
	struct server_opts opts = { .quiet = true };
	uint8_t prs[PRS_SIZE], reg[34 * 8];
	bool ok = false;

	memset(fx, 0, sizeof(*fx));
	cf_init(&cf, ELFCLASS64, EM_AARCH64);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		for (unsigned n = 0; n < 34; n++)
			cf_put(reg + 8 * n, slot_value(cpu, n), 8, false);
		cf_prstatus(prs, PRS_SIZE, PRS_PID, PRS_REG, false,
			    cpu ? 4242 : 0, reg, sizeof(reg));
		cf_note(&cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	}
	if (vmcoreinfo)
		cf_vmcoreinfo(&cf, vmcoreinfo);
	cf_load(&cf, 0x40000000, UINT64_C(0xffff000000000000), 0x1000, 0x1000);
	cf_build(&cf, &img);
	cf_deinit(&cf);
	if (CHECK(unit_write_tmp(img.data, img.len, fx->path,
				 sizeof(fx->path))) &&
	    CHECK_OK(vmcore_open(fx->path, &fx->vc)))
		ok = CHECK_OK(server_create(fx->vc, &opts, &fx->s));
	cf_image_free(&img);
	return ok;
}

static void close_dump(struct fixture *fx)
{
	server_destroy(fx->s);
	vmcore_close(fx->vc);
	if (fx->path[0])
		unlink(fx->path);
}

static const char *req(struct fixture *fx, const char *pkt)
{
	server_handle(fx->s, pkt, strlen(pkt));
	return fx->s->reply.data && fx->s->reply.len ? fx->s->reply.data : "";
}

/* The little-endian hex of V. */
static void hex64(uint64_t v, char out[17])
{
	for (unsigned i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

/* All of target.xml as served ("l" + the document in one piece). */
static char *served_xml(struct fixture *fx)
{
	const char *r = req(fx, "qXfer:features:read:target.xml:0,3fff");
	char *copy;

	CHECK(r[0] == 'l', "target.xml in one reply: %.40s", r);
	r += r[0] != '\0';
	copy = unit_xmalloc(strlen(r) + 1);
	strcpy(copy, r);
	return copy;
}

/* The registers of CPU before the pauth ones, as 'g' has them. */
static void want_core_g(unsigned cpu, char *out)
{
	for (unsigned n = 0; n < 33; n++)
		hex64(slot_value(cpu, n), out + 16 * n);
	hex64(slot_value(cpu, 33), out + 16 * 33);	/* cpsr: low 4 bytes */
	memset(out + 16 * 33 + 8, 'x', G_CORE_HEX - (16 * 33 + 8));
	out[G_CORE_HEX] = '\0';
}

TEST(masks_from_kernelpacmask)
{
	struct fixture fx;
	char core[G_CORE_HEX + 1], mask[17], want[G_CORE_HEX + 33], *xml;

	if (!open_dump("OSRELEASE=6.1.0-57-cloud-arm64\n"
		       "NUMBER(KERNELPACMASK)=0xffff000000000000\n", &fx))
		return;
	xml = served_xml(&fx);
	CHECK_CONTAINS(xml, "<feature name=\"org.gnu.gdb.aarch64.pauth\">\n"
		       "    <reg name=\"pauth_dmask\" bitsize=\"64\" "
		       "type=\"int\" regnum=\"68\"/>\n"
		       "    <reg name=\"pauth_cmask\" bitsize=\"64\" "
		       "type=\"int\" regnum=\"69\"/>\n  </feature>\n");
	CHECK_CONTAINS(xml, "<feature name=\"org.gnu.gdb.aarch64.core\">");
	free(xml);
	hex64(UINT64_C(0xffff000000000000), mask);
	CHECK_STR(mask, "000000000000ffff");
	/* Every CPU: its own core registers, the dump's masks. */
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		char hg[8];

		snprintf(hg, sizeof(hg), "Hg%u", cpu + 1);
		CHECK_STR(req(&fx, hg), "OK");
		want_core_g(cpu, core);
		snprintf(want, sizeof(want), "%s%s%s", core, mask, mask);
		CHECK_STR(req(&fx, "g"), want);
		CHECK_STR(req(&fx, "p44"), mask);
		CHECK_STR(req(&fx, "p45"), mask);
		CHECK_STR(req(&fx, "p22"), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		hex64(slot_value(cpu, 32), core);
		CHECK_STR(req(&fx, "p20"), core);	/* pc */
	}
	CHECK_STR(req(&fx, "p46"), "E16");
	close_dump(&fx);
}

/* Absent, zero (no address authentication on that CPU) or unreadable:
 * no pauth feature, 'g' ends after cpsr, 'p' of the masks fails. */
static void check_no_masks(const char *vmcoreinfo)
{
	struct fixture fx;
	char core[G_CORE_HEX + 1], *xml;

	if (!open_dump(vmcoreinfo, &fx))
		return;
	xml = served_xml(&fx);
	CHECK(!strstr(xml, "pauth"), "%s: %s", vmcoreinfo ? vmcoreinfo : "-",
	      xml);
	CHECK_CONTAINS(xml, "<reg name=\"fpcr\" bitsize=\"32\" type=\"int\" "
		       "regnum=\"67\" group=\"float\"/>\n  </feature>\n</target>");
	free(xml);
	CHECK_STR(req(&fx, "Hg1"), "OK");
	want_core_g(0, core);
	CHECK_STR(req(&fx, "g"), core);
	CHECK_STR(req(&fx, "p44"), "E16");
	CHECK_STR(req(&fx, "p45"), "E16");
	close_dump(&fx);
}

TEST(no_masks)
{
	check_no_masks(NULL);
	check_no_masks("OSRELEASE=6.1.0\n");
	check_no_masks("NUMBER(KERNELPACMASK)=0x0\n");
	check_no_masks("NUMBER(KERNELPACMASK)=ffff0000zz\n");
}

/* The model: only ARCH_REG_DUMP registers depend on the dump. */
TEST(register_model)
{
	struct fixture fx;
	uint8_t buf[16];
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	for (size_t i = 0; i < arch_aarch64.nregs; i++) {
		bool dump = arch_aarch64.regs[i].prstatus_offset ==
			    ARCH_REG_DUMP;
		bool task = arch_aarch64.regs[i].prstatus_offset ==
			    ARCH_REG_TASK;

		CHECK(dump == (i == PAUTH_DMASK || i == PAUTH_CMASK),
		      "aarch64 %s", arch_aarch64.regs[i].name);
		CHECK(task == (i == SP_EL0), "aarch64 %s",
		      arch_aarch64.regs[i].name);
		CHECK(arch_reg_present(&arch_aarch64, NULL, false, i) ==
		      (!dump && !task), "aarch64 %s without a dump",
		      arch_aarch64.regs[i].name);
		CHECK(arch_reg_present(&arch_aarch64, NULL, true, i) == !dump,
		      "aarch64 %s with task threads",
		      arch_aarch64.regs[i].name);
	}
	CHECK_U64(arch_aarch64.nregs, NCORE + 3);
	CHECK_STR(arch_aarch64.regs[SP_EL0].name, "SP_EL0");
	/* x86_64 has none: its description is the same with or without a
	 * dump. */
	for (size_t i = 0; i < arch_x86_64.nregs; i++)
		CHECK(arch_x86_64.regs[i].prstatus_offset != ARCH_REG_DUMP,
		      "x86_64 %s", arch_x86_64.regs[i].name);
	if (CHECK_OK(arch_target_xml(&arch_x86_64, &a, &alen)) &&
	    CHECK_OK(arch_target_xml_for(&arch_x86_64, NULL, false, &b, &blen)))
		CHECK(alen == blen && !memcmp(a, b, alen), "x86_64 xml");
	free(a);
	free(b);
	a = NULL;
	if (CHECK_OK(arch_target_xml(&arch_aarch64, &a, &alen))) {
		CHECK(!strstr(a, "pauth"), "%s", a);
		CHECK(!strstr(a, "SP_EL0"), "%s", a);
	}
	free(a);
	/* Task threads: sp_el0 (the task) in its own feature. */
	if (CHECK_OK(arch_target_xml_for(&arch_aarch64, NULL, true, &a,
					 &alen)))
		CHECK(strstr(a, "<feature name=\"gdbserver-vmcore.aarch64."
			     "kernel\">\n    <reg name=\"SP_EL0\" bitsize=\"64\" "
			     "type=\"uint64\" regnum=\"70\" group=\"system\"/>"),
		      "%s", a);
	free(a);
	if (!open_dump("NUMBER(KERNELPACMASK)=0xff7f000000000000\n", &fx))
		return;
	CHECK(arch_reg_present(&arch_aarch64, fx.vc, false, PAUTH_CMASK), "");
	memset(buf, 0, sizeof(buf));
	CHECK(arch_reg_value(&arch_aarch64, fx.vc, PAUTH_CMASK, NULL, 0, buf),
	      "cmask");
	CHECK_MEM(buf, "\0\0\0\0\0\0\x7f\xff", 8);
	close_dump(&fx);
}

/*
 * gdb-multiarch takes the served description: pauth_dmask and
 * pauth_cmask at remote numbers 68 and 69, 'g' offsets 788 and 796
 * (31 x + sp + pc = 264 bytes, the 4-byte cpsr, 32 16-byte v, the
 * 4-byte fpsr and fpcr).  gdb numbers the optional features after
 * fpcr: without the fpu feature it mistakes the pauth masks for v0 and
 * v1 and cannot unwind signed return addresses.
 */
TEST(gdb_takes_pauth)
{
	struct fixture fx;
	char *xml, path[256] = "", cmd[512], out[16384];
	size_t n;
	FILE *f;

	if (system("command -v gdb-multiarch >/dev/null 2>&1") != 0) {
		unit_missing("gdb-multiarch not installed "
			     "(mk/install-deps.sh test installs it)");
		return;
	}
	if (!open_dump("NUMBER(KERNELPACMASK)=0xffff000000000000\n", &fx))
		return;
	xml = served_xml(&fx);
	close_dump(&fx);
	if (!CHECK(unit_write_tmp(xml, strlen(xml), path, sizeof(path))))
		goto out;
	snprintf(cmd, sizeof(cmd), "gdb-multiarch -batch -nx -ex 'set tdesc "
		 "filename %s' -ex 'show architecture' -ex 'maint print "
		 "remote-registers' 2>&1", path);
	f = popen(cmd, "r");
	if (!CHECK(f, "%s", cmd))
		goto out;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	CHECK(strstr(out, "(currently \"aarch64\")") && !strstr(out, "arning"),
	      "%.400s", out);
	/* Name Nr Rel Offset Size Type Rmt Nr g/G Offset */
	CHECK(strstr(out, " pauth_dmask ") && strstr(out, " pauth_cmask "),
	      "%.2000s", out);
	for (const char *l = strstr(out, " pauth_"); l;
	     l = strstr(l + 1, " pauth_")) {
		char name[32];
		unsigned long nr, rel, off, size, rnr, g;

		if (!CHECK(sscanf(l, " %31s %lu %lu %lu %lu %*s %lu %lu", name,
				  &nr, &rel, &off, &size, &rnr, &g) == 7,
			   "%.80s", l))
			continue;
		if (!strcmp(name, "pauth_dmask"))
			CHECK(rnr == 68 && g == 788 && size == 8, "%.80s", l);
		else
			CHECK(!strcmp(name, "pauth_cmask") && rnr == 69 &&
			      g == 796 && size == 8, "%.80s", l);
	}
out:
	if (path[0])
		unlink(path);
	free(xml);
}

/*
 * --strip-pac: memory is served with PAC-signed pointers into the kernel
 * image unsigned (the mask bits set again), everything else as it is,
 * and without the pauth registers.  The image: _stext 0xffff800008010000,
 * so _text 0xffff800008000000, to the end of its PT_LOAD (1 MiB).
 */
#define IMG_VADDR UINT64_C(0xffff800008000000)
#define IMG_PADDR UINT64_C(0x40200000)

static bool open_strip_dump(const char *vmcoreinfo, bool strip,
			    struct fixture *fx)
{
	static const uint64_t words[] = {
		UINT64_C(0x0dfb800008023458),	/* signed, into the image */
		UINT64_C(0xffff800008023458),	/* plain */
		UINT64_C(0x0dfb000008123458),	/* bit 55 clear: user half */
		UINT64_C(0x0dfb800009000000),	/* stripped: past the image */
		UINT64_C(0x1234567812345678),	/* data */
		UINT64_C(0xab80800008000000),	/* signed, = _text */
	};
	struct cf cf;
	struct cf_image img;
	struct server_opts opts = { .quiet = true, .strip_pac = strip };
	uint8_t prs[PRS_SIZE], reg[34 * 8] = { 0 };
	size_t l;
	bool ok = false;

	memset(fx, 0, sizeof(*fx));
	cf_init(&cf, ELFCLASS64, EM_AARCH64);
	/* x30 holds a signed return address (after paciasp), x1 data. */
	cf_put(reg + 8 * 30, words[0], 8, false);
	cf_put(reg + 8 * 1, words[4], 8, false);
	cf_prstatus(prs, PRS_SIZE, PRS_PID, PRS_REG, false, 1, reg,
		    sizeof(reg));
	cf_note(&cf, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	cf_vmcoreinfo(&cf, vmcoreinfo);
	l = cf_load(&cf, IMG_PADDR, IMG_VADDR, 0x100000, 0x1000);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		cf_put(cf.loads[l].data + 0x100 + 8 * i, words[i], 8, false);
	cf_build(&cf, &img);
	cf_deinit(&cf);
	if (CHECK(unit_write_tmp(img.data, img.len, fx->path,
				 sizeof(fx->path))) &&
	    CHECK_OK(vmcore_open(fx->path, &fx->vc)))
		ok = CHECK_OK(server_create(fx->vc, &opts, &fx->s));
	cf_image_free(&img);
	return ok;
}

TEST(strip_pac_memory)
{
	static const char vci[] = "SYMBOL(_stext)=ffff800008010000\n"
				  "NUMBER(KERNELPACMASK)=0xffff000000000000\n";
	/* The six words as 'm' sends them (little-endian). */
	static const char raw[] =
		"583402080080fb0d" "583402080080ffff" "583412080000fb0d"
		"000000090080fb0d" "7856341278563412" "00000008008080ab";
	/* Signed image pointers (words 0 and 5) with the mask bits set;
	 * the plain one, the user-half one, the one outside the image and
	 * the data word untouched. */
	static const char stripped[] =
		"583402080080ffff" "583402080080ffff" "583412080000fb0d"
		"000000090080fb0d" "7856341278563412" "000000080080ffff";
	struct fixture fx;
	char *xml;

	if (open_strip_dump(vci, false, &fx)) {
		CHECK_STR(req(&fx, "mffff800008000100,30"), raw);
		CHECK_STR(req(&fx, "p1e"), "583402080080fb0d");
		close_dump(&fx);
	}
	if (!open_strip_dump(vci, true, &fx))
		return;
	CHECK_STR(req(&fx, "mffff800008000100,30"), stripped);
	/* The link register too, as 'p' and 'g' serve it; data stays. */
	CHECK_STR(req(&fx, "p1e"), "583402080080ffff");
	CHECK_STR(req(&fx, "p1"), "7856341278563412");
	CHECK(strncmp(req(&fx, "g") + 16 * 30, "583402080080ffff", 16) == 0,
	      "g: x30 not stripped");
	/* Only whole aligned words: a read starting mid-word leaves the
	 * partial words as they are. */
	CHECK_STR(req(&fx, "mffff800008000104,8"), "0080fb0d58340208");
	CHECK_STR(req(&fx, "mffff800008000128,8"), "000000080080ffff");
	xml = served_xml(&fx);
	CHECK(!strstr(xml, "pauth"), "--strip-pac served pauth registers");
	free(xml);
	CHECK_STR(req(&fx, "p44"), "E16");
	close_dump(&fx);
	/* No mask in VMCOREINFO: nothing to strip. */
	if (open_strip_dump("SYMBOL(_stext)=ffff800008010000\n", true, &fx)) {
		CHECK_STR(req(&fx, "mffff800008000100,8"), "583402080080fb0d");
		close_dump(&fx);
	}
}

/* --strip-pac on an architecture without pointer authentication. */
TEST(strip_pac_elsewhere)
{
	struct cf cf;
	struct cf_image img;
	struct server_opts opts = { .quiet = true, .strip_pac = true };
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct vmcore *vc = NULL;
	struct server *s = NULL;
	char path[256];

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&cf, 1, regs);
	cf_load(&cf, 0x100000, UINT64_C(0xffffffff81000000), 0x1000, 0x1000);
	cf_build(&cf, &img);
	cf_deinit(&cf);
	if (CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	    CHECK_OK(vmcore_open(path, &vc))) {
		CHECK_ERR(server_create(vc, &opts, &s), VMC_ERR_INVALID,
			  "x86_64 has no pointer authentication");
		CHECK(s == NULL, "");
		vmcore_close(vc);
		unlink(path);
	}
	cf_image_free(&img);
}

/* The panicking CPU is the one whose saved PSTATE masks interrupts
 * (I, bit 7): the values of the real Debian 6.1 kdump. */
TEST(aarch64_irqs_disabled)
{
	uint8_t prs[PRS_SIZE], reg[34 * 8] = { 0 };

	if (!CHECK(arch_aarch64.irqs_disabled != NULL))
		return;
	cf_put(reg + 33 * 8, 0xc5, 8, false);		/* panic CPU */
	cf_prstatus(prs, PRS_SIZE, PRS_PID, PRS_REG, false, 122, reg,
		    sizeof(reg));
	CHECK(arch_aarch64.irqs_disabled(prs, sizeof(prs)), "cpsr 0xc5");
	cf_put(reg + 33 * 8, 0x40400005, 8, false);	/* idle CPU */
	cf_prstatus(prs, PRS_SIZE, PRS_PID, PRS_REG, false, 0, reg,
		    sizeof(reg));
	CHECK(!arch_aarch64.irqs_disabled(prs, sizeof(prs)), "cpsr 0x40400005");
	CHECK(!arch_aarch64.irqs_disabled(prs, PRS_SIZE - 8), "short note");
}
