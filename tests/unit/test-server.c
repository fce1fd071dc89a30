/* SPDX-License-Identifier: MIT */
/*
 * The packet handlers, driven through server_handle() on a small
 * synthetic dump: 2 CPUs (CPU 1 panicked), KASLR, page tables, per-CPU
 * areas.  Console output ('O' packets) is checked over a socketpair.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../gdbserver-vmcore/server.h"
#include "corefile.h"
#include "unit.h"

/*
 * The layout.  KASLR offset 0x1c000000: _stext at 0xffffffff9d000000,
 * swapper_pg_dir at 0xffffffff9d40a000 = physical 0x140a000 (phys_base
 * -0x1c000000).
 */
#define KASLR		UINT64_C(0x1c000000)
#define STEXT		UINT64_C(0xffffffff9d000000)
#define ROOT		UINT64_C(0x140a000)
#define PCPU_OFFSET_SYM	UINT64_C(0xffffffff9e100000)	/* __per_cpu_offset */
#define PCPU_START	KASLR				/* as gdb relocates it */
#define PCPU_END	(KASLR + 0x20000)
#define DATA_VA		UINT64_C(0xffff888000100000)	/* readable page */
#define HOLE_VA		(DATA_VA + 0x1000)		/* not mapped */
#define LOST_VA		(DATA_VA + 0x2000)		/* mapped, not dumped */
#define CPU0_AREA	UINT64_C(0xffff888000200000)
#define CPU1_AREA	UINT64_C(0xffff888000300000)

static const char vmcoreinfo[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"PAGESIZE=4096\n"
	"SYMBOL(swapper_pg_dir)=ffffffff9d40a000\n"
	"SYMBOL(_stext)=ffffffff9d000000\n"
	"NUMBER(phys_base)=-469762048\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"KERNELOFFSET=1c000000\n";

/* gdb's amd64 register order: pr_reg slot (-1: not in dumps), bits. */
static const struct { int slot; unsigned bits; } gdb_regs[] = {
	{ CF_RAX, 64 }, { CF_RBX, 64 }, { CF_RCX, 64 }, { CF_RDX, 64 },
	{ CF_RSI, 64 }, { CF_RDI, 64 }, { CF_RBP, 64 }, { CF_RSP, 64 },
	{ CF_R8, 64 }, { CF_R9, 64 }, { CF_R10, 64 }, { CF_R11, 64 },
	{ CF_R12, 64 }, { CF_R13, 64 }, { CF_R14, 64 }, { CF_R15, 64 },
	{ CF_RIP, 64 }, { CF_EFLAGS, 32 }, { CF_CS, 32 }, { CF_SS, 32 },
	{ CF_DS, 32 }, { CF_ES, 32 }, { CF_FS, 32 }, { CF_GS, 32 },
	{ -1, 80 }, { -1, 80 }, { -1, 80 }, { -1, 80 },
	{ -1, 80 }, { -1, 80 }, { -1, 80 }, { -1, 80 },
	{ -1, 32 }, { -1, 32 }, { -1, 32 }, { -1, 32 },
	{ -1, 32 }, { -1, 32 }, { -1, 32 }, { -1, 32 },
	{ CF_ORIG_RAX, 64 }, { CF_FS_BASE, 64 }, { CF_GS_BASE, 64 },
};
#define NREGS (sizeof(gdb_regs) / sizeof(gdb_regs[0]))

static uint64_t reg_value(unsigned cpu, int slot)
{
	if (slot == CF_EFLAGS)
		return cpu == 1 ? 0x46 : 0x246;	/* CPU 1: IF clear */
	return UINT64_C(0x1000000000000000) * (cpu + 1) +
	       UINT64_C(0x0101010101) * (unsigned)(slot + 1) + 0xc0de0000;
}

struct fixture {
	struct vmcore *vc;
	struct server *s;
	char path[256];
};

static void build_dump(struct cf *cf)
{
	struct cf_pt pt;
	uint64_t regs[CF_X86_NREGS];

	cf_init(cf, ELFCLASS64, EM_X86_64);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		for (int i = 0; i < CF_X86_NREGS; i++)
			regs[i] = reg_value(cpu, i);
		cf_x86_cpu(cf, cpu == 1 ? 1234 : 0, regs);
	}
	cf_vmcoreinfo(cf, vmcoreinfo);
	cf_pt_init(&pt, cf, ROOT, 4, 0x2000000);
	for (uint64_t off = 0; off < 0x600000; off += 0x200000)
		cf_pt_map(&pt, STEXT + off, 0x1000000 + off, 0x200000);
	cf_pt_map(&pt, PCPU_OFFSET_SYM, 0x800000, 0x1000);
	cf_pt_map(&pt, DATA_VA, 0x100000, 0x1000);
	cf_pt_map(&pt, LOST_VA, 0x900000, 0x1000);	/* not in the dump */
	cf_pt_map(&pt, CPU0_AREA, 0x200000, 0x1000);
	cf_pt_map(&pt, CPU1_AREA, 0x300000, 0x1000);
	cf_poke64(cf, 0x800000, CPU0_AREA);		/* __per_cpu_offset[0] */
	cf_poke64(cf, 0x800008, CPU1_AREA);		/* __per_cpu_offset[1] */
	for (unsigned i = 0; i < 0x1000; i += 8)
		cf_poke64(cf, 0x100000 + i, 0x0706050403020100 +
			  UINT64_C(0x0808080808080808) * (i / 8 % 16));
	cf_poke64(cf, 0x200010, 0x1111111111111111);
	cf_poke64(cf, 0x300010, 0x2222222222222222);
	cf_poke64(cf, 0x300ff8, 0x3333333333333333);
}

static bool setup(struct fixture *fx)
{
	struct cf cf;
	struct cf_image img;
	struct server_opts opts = { .quiet = true };
	bool ok = false;

	memset(fx, 0, sizeof(*fx));
	build_dump(&cf);
	cf_build(&cf, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, fx->path,
				 sizeof(fx->path))) &&
	    CHECK_OK(vmcore_open(fx->path, &fx->vc)))
		ok = CHECK_OK(server_create(fx->vc, &opts, &fx->s));
	if (fx->path[0])
		unlink(fx->path);
	cf_image_free(&img);
	cf_deinit(&cf);
	return ok;
}

static void teardown(struct fixture *fx)
{
	server_destroy(fx->s);
	vmcore_close(fx->vc);
}

/* Handle PKT; the reply as a string ("" when empty). */
static const char *req_len(struct fixture *fx, const char *pkt, size_t len,
			   bool *replied)
{
	bool r = server_handle(fx->s, pkt, len);

	if (replied)
		*replied = r;
	return fx->s->reply.data && fx->s->reply.len ? fx->s->reply.data : "";
}

static const char *req(struct fixture *fx, const char *pkt)
{
	return req_len(fx, pkt, strlen(pkt), NULL);
}

#define CHECK_REPLY(fx, pkt, want) CHECK_STR(req((fx), (pkt)), (want))

static void hex(char *out, const char *s)
{
	for (; *s; s++, out += 2)
		sprintf(out, "%02x", (unsigned char)*s);
	*out = '\0';
}

/* Little-endian hex of the low BYTES bytes of V. */
static void le_hex(char *out, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", (unsigned)(v >> (8 * i)) & 0xff);
}

TEST(supported_and_basics)
{
	struct fixture fx;
	const char *r;

	if (!setup(&fx))
		return;
	r = req(&fx, "qSupported:multiprocess+;swbreak+;xmlRegisters=i386");
	CHECK_CONTAINS(r, "PacketSize=");
	CHECK_CONTAINS(r, "QStartNoAckMode+");
	CHECK_CONTAINS(r, "qXfer:features:read+");
	CHECK_CONTAINS(r, "qXfer:threads:read+");
	/* gdb 16 reads memory with 'x' only when told. */
	CHECK_CONTAINS(r, ";binary-upload+");
	{
		/* PacketSize is hex, and what the parser accepts. */
		const char *ps = strstr(r, "PacketSize=");
		unsigned long v = ps ? strtoul(ps + 11, NULL, 16) : 0;

		CHECK_U64(v, RSP_MAX_PACKET);
	}
	CHECK_REPLY(&fx, "qAttached", "1");
	CHECK_REPLY(&fx, "qAttached:1", "1");
	CHECK_REPLY(&fx, "vMustReplyEmpty", "");
	CHECK_REPLY(&fx, "vCont?", "vCont;c;C;s;S");
	teardown(&fx);
}

TEST(unknown_packets_get_empty_reply)
{
	static const char *const pkts[] = {
		"qFooBar", "vFile:unlink:2f6574632f706173737764", "Qbla",
		"!", "b", "vCont", "qSupportedX", "", "qXfer:memory-map:read::0,10",
		"qTStatus", "A", "i", "vRun;",
	};
	struct fixture fx;
	bool replied;

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		const char *r = req_len(&fx, pkts[i], strlen(pkts[i]),
					&replied);

		/* "qSupportedX" matches the qSupported prefix: allowed. */
		if (!strcmp(pkts[i], "qSupportedX"))
			continue;
		CHECK(replied && *r == '\0', "\"%s\" -> \"%s\"", pkts[i], r);
	}
	teardown(&fx);
}

/* Module files are the only files served: without a vmlinux, none. */
TEST(libraries_and_vfile)
{
	struct fixture fx;

	if (!setup(&fx))
		return;
	CHECK_CONTAINS(req(&fx, "qSupported:multiprocess+"),
		       "qXfer:libraries-svr4:read+");
	CHECK_STR(req(&fx, "qXfer:libraries-svr4:read::0,1000"),
		  "l<library-list-svr4 version=\"1.0\"/>\n");
	CHECK_STR(req(&fx, "vFile:setfs:0"), "F0");
	CHECK_STR(req(&fx, "vFile:open:2f6574632f706173737764,0,0"), "F-1,2");
	CHECK_STR(req(&fx, "vFile:open:2f6574632f706173737764"), "F-1,16");
	CHECK_STR(req(&fx, "vFile:pread:0,10,0"), "F-1,9");
	CHECK_STR(req(&fx, "vFile:fstat:3"), "F-1,9");
	CHECK_STR(req(&fx, "vFile:close:0"), "F-1,9");
	teardown(&fx);
}

TEST(threads)
{
	struct fixture fx;
	char want[256], h[256];

	if (!setup(&fx))
		return;
	/* CPU 1 has a task and IF clear: it panicked. */
	CHECK_REPLY(&fx, "?", "T05thread:2;core:1;");
	CHECK_REPLY(&fx, "qC", "QC2");
	CHECK_REPLY(&fx, "qfThreadInfo", "m1,2");
	CHECK_REPLY(&fx, "qsThreadInfo", "l");
	CHECK_REPLY(&fx, "T1", "OK");
	CHECK_REPLY(&fx, "T2", "OK");
	CHECK_REPLY(&fx, "T3", "E03");
	CHECK_REPLY(&fx, "T0", "E03");
	CHECK_REPLY(&fx, "Tzz", "E03");
	CHECK_REPLY(&fx, "T", "E03");
	CHECK_REPLY(&fx, "Hg1", "OK");
	CHECK_REPLY(&fx, "qC", "QC1");
	CHECK_REPLY(&fx, "Hg3", "E03");
	CHECK_REPLY(&fx, "Hg0", "OK");		/* any: keeps the selection */
	CHECK_REPLY(&fx, "qC", "QC1");
	CHECK_REPLY(&fx, "Hc-1", "OK");
	CHECK_REPLY(&fx, "H", "E03");
	CHECK_REPLY(&fx, "Hg10000000000000002", "E03");
	hex(h, "CPU 1, pid 1234, panic");
	CHECK_REPLY(&fx, "qThreadExtraInfo,2", h);
	hex(h, "CPU 0, swapper/0 (idle)");
	CHECK_REPLY(&fx, "qThreadExtraInfo,1", h);
	CHECK_REPLY(&fx, "qThreadExtraInfo,5", "E03");
	CHECK_REPLY(&fx, "qThreadExtraInfo,", "E03");
	/* qXfer:threads */
	{
		const char *r = req(&fx, "qXfer:threads:read::0,fff");

		CHECK(r[0] == 'l', "%s", r);
		CHECK_CONTAINS(r, "<threads>");
		snprintf(want, sizeof(want), "<thread id=\"2\" core=\"1\" "
			 "name=\"CPU 1\">CPU 1, pid 1234, panic</thread>");
		CHECK_CONTAINS(r, want);
		CHECK_CONTAINS(r, "<thread id=\"1\" core=\"0\"");
		CHECK_CONTAINS(r, "</threads>");
		CHECK_REPLY(&fx, "qXfer:threads:read::fff,10", "l");
		CHECK_REPLY(&fx, "qXfer:threads:read:x:0,10", "E00");
		CHECK_REPLY(&fx, "qXfer:threads:read::zz", "E16");
	}
	teardown(&fx);
}

static void want_g(char *out, unsigned cpu)
{
	for (size_t i = 0; i < NREGS; i++) {
		unsigned bytes = gdb_regs[i].bits / 8;

		if (gdb_regs[i].slot < 0)
			memset(out, 'x', 2 * bytes);
		else
			le_hex(out, reg_value(cpu, gdb_regs[i].slot), bytes);
		out += 2 * bytes;
	}
	*out = '\0';
}

TEST(registers)
{
	struct fixture fx;
	char want[1024], w[64];

	if (!setup(&fx))
		return;
	CHECK_U64(fx.s->arch->nregs, NREGS);
	req(&fx, "?");
	want_g(want, 1);
	CHECK_REPLY(&fx, "g", want);
	CHECK_U64(strlen(req(&fx, "g")), 2 * (16 * 8 + 8 + 4 + 6 * 4 +
					     8 * 10 + 8 * 4 + 3 * 8));
	CHECK_REPLY(&fx, "Hg1", "OK");
	want_g(want, 0);
	CHECK_REPLY(&fx, "g", want);
	/* p: rip (16), eflags (0x11, 32 bits), st0 (0x18), orig_rax
	 * (0x28), gs_base (0x2a), then past the end. */
	le_hex(w, reg_value(0, CF_RIP), 8);
	CHECK_REPLY(&fx, "p10", w);
	le_hex(w, 0x246, 4);
	CHECK_REPLY(&fx, "p11", w);
	CHECK_REPLY(&fx, "p18", "xxxxxxxxxxxxxxxxxxxx");
	le_hex(w, reg_value(0, CF_ORIG_RAX), 8);
	CHECK_REPLY(&fx, "p28", w);
	CHECK_REPLY(&fx, "Hg2", "OK");
	le_hex(w, reg_value(1, CF_GS_BASE), 8);
	CHECK_REPLY(&fx, "p2a", w);
	CHECK_REPLY(&fx, "p2b", "E16");
	CHECK_REPLY(&fx, "pffffffffffffffff", "E16");
	CHECK_REPLY(&fx, "p", "E16");
	CHECK_REPLY(&fx, "p1x", "E16");
	teardown(&fx);
}

/* The bytes of the data page at offset OFF. */
static uint8_t data_byte(uint64_t off)
{
	return (uint8_t)(off % 8 + 8 * (off / 8 % 16));
}

TEST(memory)
{
	struct fixture fx;
	char pkt[64], want[600];

	if (!setup(&fx))
		return;
	/* Readable: 16 bytes at DATA_VA + 0x10. */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",10", DATA_VA + 0x10);
	for (int i = 0; i < 16; i++)
		sprintf(want + 2 * i, "%02x", data_byte(0x10 + (unsigned)i));
	CHECK_REPLY(&fx, pkt, want);
	/* Upper-case hex in the request. */
	snprintf(pkt, sizeof(pkt), "m%" PRIX64 ",A", DATA_VA + 0x10);
	want[20] = '\0';
	CHECK_REPLY(&fx, pkt, want);
	/* Short read: 8 bytes before the unmapped page. */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",20", HOLE_VA - 8);
	for (int i = 0; i < 8; i++)
		sprintf(want + 2 * i, "%02x", data_byte(0xff8 + (unsigned)i));
	CHECK_REPLY(&fx, pkt, want);
	/* Unreadable first byte: unmapped, mapped but not dumped, user
	 * space, non-canonical. */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",8", HOLE_VA);
	CHECK_REPLY(&fx, pkt, "E0e");
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",8", LOST_VA);
	CHECK_REPLY(&fx, pkt, "E0e");
	CHECK_REPLY(&fx, "m0,8", "E0e");
	CHECK_REPLY(&fx, "m800000000000,8", "E0e");
	CHECK_REPLY(&fx, "mffffffffffffffff,10", "E0e");
	/* Through the kernel mapping: swapper_pg_dir's pgd[511] entry is
	 * a table pointer (present bit set). */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",1", STEXT + 0x40aff8);
	CHECK(strtoul(req(&fx, pkt), NULL, 16) & 1, "pgd[511] = %s",
	      req(&fx, pkt));
	/* Malformed. */
	CHECK_REPLY(&fx, "m", "E16");
	CHECK_REPLY(&fx, "m10", "E16");
	CHECK_REPLY(&fx, "m10,", "E16");
	CHECK_REPLY(&fx, "m,10", "E16");
	CHECK_REPLY(&fx, "mxyz,1", "E16");
	CHECK_REPLY(&fx, "m10,1,", "E16");
	CHECK_REPLY(&fx, "m10000000000000000,1", "E16");
	/* A huge length is capped to what fits in a packet. */
	snprintf(pkt, sizeof(pkt), "m%" PRIx64 ",ffffffffffffffff", DATA_VA);
	CHECK_U64(strlen(req(&fx, pkt)), 2 * 0x1000);
	teardown(&fx);
}

/* The reply to PKT and its length (binary replies hold NULs). */
static size_t req_bin(struct fixture *fx, const char *pkt, const char **r)
{
	server_handle(fx->s, pkt, strlen(pkt));
	*r = fx->s->reply.data ? fx->s->reply.data : "";
	return fx->s->reply.len;
}

/* x (binary-upload): 'b' and the raw bytes; errors as for m. */
TEST(memory_binary)
{
	struct fixture fx;
	char pkt[64];
	uint8_t want[0x1000];
	const char *r;
	size_t n;

	if (!setup(&fx))
		return;
	/* The whole readable page: every byte value the data holds, raw
	 * (rsp_send escapes; server_handle's reply is unescaped). */
	snprintf(pkt, sizeof(pkt), "x%" PRIx64 ",1000", DATA_VA);
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = data_byte(i);
	n = req_bin(&fx, pkt, &r);
	if (CHECK_U64(n, 1 + sizeof(want)) && CHECK(r[0] == 'b'))
		CHECK_MEM(r + 1, want, sizeof(want));
	/* Short read before the unmapped page. */
	snprintf(pkt, sizeof(pkt), "x%" PRIX64 ",20", HOLE_VA - 8);
	n = req_bin(&fx, pkt, &r);
	if (CHECK_U64(n, 9) && CHECK(r[0] == 'b'))
		CHECK_MEM(r + 1, want + 0xff8, 8);
	/* Length 0: "b" and nothing (lldb's probe "x0,0" wants "OK": it
	 * then keeps to m, as it should with this reply format). */
	CHECK_U64(req_bin(&fx, "x0,0", &r), 1);
	CHECK_STR(r, "b");
	/* Unreadable first byte, malformed requests. */
	snprintf(pkt, sizeof(pkt), "x%" PRIx64 ",8", HOLE_VA);
	CHECK_REPLY(&fx, pkt, "E0e");
	CHECK_REPLY(&fx, "x0,8", "E0e");
	CHECK_REPLY(&fx, "x", "E16");
	CHECK_REPLY(&fx, "x10", "E16");
	CHECK_REPLY(&fx, "x10,", "E16");
	CHECK_REPLY(&fx, "x,10", "E16");
	CHECK_REPLY(&fx, "x10,1:", "E16");
	/* A huge length is capped to what the page holds here, and never
	 * past one packet. */
	snprintf(pkt, sizeof(pkt), "x%" PRIx64 ",ffffffffffffffff", DATA_VA);
	CHECK_U64(req_bin(&fx, pkt, &r), 1 + 0x1000);
	teardown(&fx);
}

TEST(writes_are_refused)
{
	static const char *const pkts[] = {
		"M1000,1:00", "X1000,1:a", "G00", "P10=0000000000000000",
	};
	struct fixture fx;

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++)
		CHECK_REPLY(&fx, pkts[i], "E1e");
	teardown(&fx);
}

/* Breakpoints and watchpoints are accepted (a dump never hits them);
 * malformed ones are errors. */
TEST(breakpoints_accepted)
{
	static const char *const ok[] = {
		"Z0,ffffffff81000000,1", "z0,ffffffff81000000,1",
		"Z1,ffffffff81000000,1", "Z2,ffff888000100000,8",
		"z4,ffff888000100000,4", "Z0,ffffffff81000000,1;X2,0a",
	};
	static const char *const bad[] = {
		"Z", "Z0", "Z0,", "Z5,1000,1", "Z0,1000", "z0,1000,", "Zx,1,1",
		"Z0,1000,1x",
	};
	struct fixture fx;

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK_REPLY(&fx, ok[i], "OK");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_REPLY(&fx, bad[i], "E16");
	teardown(&fx);
}

/* lldb: qHostInfo (which also makes qOffsets a uniform slide),
 * qProcessInfo, qThreadStopInfo. */
TEST(lldb_queries)
{
	struct fixture fx;
	char want[64];
	const char *r;

	if (!setup(&fx))
		return;
	/* "x86_64-unknown-linux-gnu" in hex. */
	r = req(&fx, "qProcessInfo");
	CHECK(strcmp(r, "pid:1;parent-pid:0;triple:7838365f36342d756e6b6e6f77"
		     "6e2d6c696e75782d676e75;ptrsize:8;endian:little;"
		     "ostype:linux;vendor:unknown;") == 0, "qProcessInfo: %s", r);
	snprintf(want, sizeof(want), "TextSeg=%" PRIx64, STEXT);
	CHECK_REPLY(&fx, "qOffsets", want);
	r = req(&fx, "qHostInfo");
	CHECK(strstr(r, "triple:7838365f36342d756e6b6e6f776e2d6c696e75782d676e75;")
	      != NULL, "qHostInfo: %s", r);
	snprintf(want, sizeof(want), "Text=%" PRIx64 ";Data=%" PRIx64, KASLR,
		 KASLR);
	CHECK_REPLY(&fx, "qOffsets", want);
	CHECK_REPLY(&fx, "qThreadStopInfo2", "T05thread:2;core:1;");
	CHECK_REPLY(&fx, "qThreadStopInfo1", "T00thread:1;core:0;");
	CHECK_REPLY(&fx, "qThreadStopInfo3", "E03");
	CHECK_REPLY(&fx, "qThreadStopInfox", "E03");
	teardown(&fx);
}

TEST(resume_gives_stop)
{
	static const char *const pkts[] = {
		"c", "cffffffff81000000", "C05", "s", "S05", "vCont;c",
		"vCont;s:2", "vCont;c:1;s:2",
	};
	struct fixture fx;

	if (!setup(&fx))
		return;
	req(&fx, "?");
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++)
		CHECK_REPLY(&fx, pkts[i], "T02thread:2;core:1;");
	/* vCont: the first thread an action names; c and s: Hc's. */
	CHECK_REPLY(&fx, "vCont;s:1;c", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "vCont;C05:1", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "vCont;r1000,2000:1;c", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "vCont;c:-1", "T02thread:2;core:1;");
	req(&fx, "Hg1");
	CHECK_REPLY(&fx, "c", "T02thread:2;core:1;");
	req(&fx, "Hc1");
	CHECK_REPLY(&fx, "c", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "s", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "vCont;c", "T02thread:1;core:0;");
	CHECK_REPLY(&fx, "vCont;c;s:2", "T02thread:2;core:1;");
	req(&fx, "Hc-1");
	CHECK_REPLY(&fx, "s", "T02thread:2;core:1;");
	/* Malformed vCont actions are errors, not resumes. */
	static const char *const bad[] = {
		"vCont;", "vCont;x", "vCont;c;", "vCont;s:", "vCont;s:9",
		"vCont;Cxx", "vCont;cc", "vCont;r1000", "vCont;r1000,:1",
		"vCont;s:1x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_REPLY(&fx, bad[i], "E16");
	teardown(&fx);
}

TEST(offsets)
{
	struct fixture fx;
	char want[64];

	if (!setup(&fx))
		return;
	snprintf(want, sizeof(want), "TextSeg=%" PRIx64, STEXT);
	CHECK_REPLY(&fx, "qOffsets", want);
	teardown(&fx);
}

TEST(target_xml_paging)
{
	struct fixture fx;
	char *xml = NULL, *got, pkt[96];
	size_t len = 0, off = 0;
	int rounds = 0;

	if (!setup(&fx))
		return;
	if (!CHECK_OK(arch_target_xml(&arch_x86_64, &xml, &len))) {
		teardown(&fx);
		return;
	}
	got = unit_xmalloc(len + 1);
	for (;;) {
		const char *r;
		size_t n;

		snprintf(pkt, sizeof(pkt),
			 "qXfer:features:read:target.xml:%zx,40", off);
		r = req(&fx, pkt);
		n = strlen(r);
		if (!CHECK(r[0] == 'm' || r[0] == 'l', "at 0x%zx: %s", off, r))
			break;
		if (!CHECK(n - 1 <= 0x40 && off + n - 1 <= len,
			   "chunk of %zu at 0x%zx", n - 1, off))
			break;
		memcpy(got + off, r + 1, n - 1);
		off += n - 1;
		CHECK(r[0] == 'l' || n - 1 == 0x40, "short 'm' chunk");
		if (r[0] == 'l' || ++rounds > 1000)
			break;
	}
	got[off] = '\0';
	CHECK_U64(off, len);
	CHECK_STR(got, xml);
	CHECK_REPLY(&fx, "qXfer:features:read:target.xml:ffffff,40", "l");
	CHECK_REPLY(&fx, "qXfer:features:read:other.xml:0,40", "E00");
	CHECK_REPLY(&fx, "qXfer:features:read:target.xml:0", "E16");
	CHECK_REPLY(&fx, "qXfer:features:read:target.xml", "E00");
	/* One read of everything. */
	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:0,%zx",
		 len + 100);
	CHECK(req(&fx, pkt)[0] == 'l' && !strcmp(req(&fx, pkt) + 1, xml));
	free(got);
	free(xml);
	teardown(&fx);
}

/* ---- qSymbol and the per-CPU window ------------------------------------ */

static void answer_symbol(struct fixture *fx, const char *name,
			  uint64_t value, char *next, size_t cap)
{
	char pkt[256], h[128];

	hex(h, name);
	if (value)
		snprintf(pkt, sizeof(pkt), "qSymbol:%" PRIx64 ":%s", value, h);
	else
		snprintf(pkt, sizeof(pkt), "qSymbol::%s", h);
	snprintf(next, cap, "%s", req(fx, pkt));
}

static uint64_t read_u64(struct fixture *fx, uint64_t addr, bool *ok)
{
	uint8_t b[8];
	size_t done = 0;
	struct vmc_error *err = server_read_memory(fx->s, addr, b, 8, &done);
	uint64_t v = 0;

	*ok = !err && done == 8;
	vmc_error_destroy(err);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

TEST(qsymbol_per_cpu)
{
	struct fixture fx;
	char next[256], want[128];
	bool ok;
	uint64_t v;

	if (!setup(&fx))
		return;
	/* Before the exchange, the window address is a user address. */
	read_u64(&fx, PCPU_START + 0x10, &ok);
	CHECK(!ok, "per-CPU address readable before qSymbol");

	snprintf(next, sizeof(next), "%s", req(&fx, "qSymbol::"));
	strcpy(want, "qSymbol:");
	hex(want + 8, "__per_cpu_start");
	CHECK_STR(next, want);
	answer_symbol(&fx, "__per_cpu_start", PCPU_START, next, sizeof(next));
	hex(want + 8, "__per_cpu_end");
	CHECK_STR(next, want);
	answer_symbol(&fx, "__per_cpu_end", PCPU_END, next, sizeof(next));
	hex(want + 8, "__per_cpu_offset");
	CHECK_STR(next, want);
	answer_symbol(&fx, "__per_cpu_offset", PCPU_OFFSET_SYM, next,
		      sizeof(next));
	CHECK_STR(next, "OK");
	CHECK(fx.s->pcpu_window);

	/* The selected thread's CPU area. */
	req(&fx, "Hg2");
	v = read_u64(&fx, PCPU_START + 0x10, &ok);
	CHECK(ok && v == 0x2222222222222222, "CPU 1: 0x%" PRIx64, v);
	req(&fx, "Hg1");
	v = read_u64(&fx, PCPU_START + 0x10, &ok);
	CHECK(ok && v == 0x1111111111111111, "CPU 0: 0x%" PRIx64, v);
	/* Through 'm' as well. */
	snprintf(want, sizeof(want), "m%" PRIx64 ",8", PCPU_START + 0x10);
	CHECK_REPLY(&fx, want, "1111111111111111");
	/* The window does not extend past __per_cpu_end: a read across
	 * it stops there. */
	{
		uint8_t b[16];
		size_t done = 0;
		struct vmc_error *err;

		req(&fx, "Hg2");
		err = server_read_memory(fx.s, PCPU_END - 8, b, 16, &done);
		vmc_error_destroy(err);
		CHECK(done <= 8, "read %zu bytes across __per_cpu_end", done);
	}
	/* Other memory is unaffected. */
	snprintf(want, sizeof(want), "m%" PRIx64 ",1", DATA_VA + 9);
	CHECK_REPLY(&fx, want, "09");

	/* gdb does not know a symbol: no window. */
	req(&fx, "qSymbol::");
	answer_symbol(&fx, "__per_cpu_start", 0, next, sizeof(next));
	answer_symbol(&fx, "__per_cpu_end", PCPU_END, next, sizeof(next));
	answer_symbol(&fx, "__per_cpu_offset", PCPU_OFFSET_SYM, next,
		      sizeof(next));
	CHECK_STR(next, "OK");
	CHECK(!fx.s->pcpu_window);
	/* Junk answers are not taken for values. */
	req(&fx, "qSymbol::");
	snprintf(next, sizeof(next), "%s", req(&fx, "qSymbol:zz:5f5f7065725f6370755f7374617274"));
	CHECK(strncmp(next, "qSymbol:", 8) == 0, "%s", next);
	req(&fx, "qSymbol:1:zz");
	CHECK_STR(req(&fx, "qSymbol:1"), "OK");
	CHECK(!fx.s->pcpu_window);
	teardown(&fx);
}

/* ---- monitor (qRcmd) ---------------------------------------------------- */

/* Attach a connection whose peer the test reads (no-ack mode, so the
 * server never waits for us). */
static bool attach_peer(struct fixture *fx, int *peer)
{
	int sv[2];

	if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0))
		return false;
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	*peer = sv[1];
	if (!CHECK_OK(rsp_conn_create(sv[0], sv[0], NULL, &fx->s->conn)))
		return false;
	fx->s->conn->noack = true;
	return true;
}

static void detach_peer(struct fixture *fx, int peer)
{
	close(fx->s->conn->in_fd);
	rsp_conn_destroy(fx->s->conn);
	fx->s->conn = NULL;
	close(peer);
}

/* The console text the server sent (O packets, decoded). */
static char *console(int peer)
{
	size_t cap = 1 << 20, got = 0, lens[64], total = 0;
	char *raw = unit_xmalloc(cap), *pkts[64], *text;
	const char *why;
	ssize_t n;
	int np;

	while ((n = read(peer, raw + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	np = unit_gdb_frames(raw, got, pkts, lens, 64, &why);
	CHECK(np >= 0, "bad framing: %s", why);
	text = unit_xmalloc(got + 1);
	for (int i = 0; i < np; i++) {
		long m;

		if (CHECK(pkts[i][0] == 'O', "not an O packet: %.40s",
			  pkts[i])) {
			m = hex_decode(pkts[i] + 1, lens[i] - 1,
				       (uint8_t *)text + total, got - total);
			if (CHECK(m >= 0, "bad hex in O packet"))
				total += (size_t)m;
		}
		free(pkts[i]);
	}
	text[total] = '\0';
	free(raw);
	return text;
}

static const char *rcmd(struct fixture *fx, const char *cmd)
{
	static char pkt[2100];

	strcpy(pkt, "qRcmd,");
	hex(pkt + 6, cmd);
	return req(fx, pkt);
}

TEST(monitor_without_connection)
{
	struct fixture fx;

	if (!setup(&fx))
		return;
	/* No connection: output is dropped, the command still answers. */
	CHECK_STR(rcmd(&fx, "help"), "OK");
	CHECK_STR(rcmd(&fx, "info"), "OK");
	CHECK_STR(rcmd(&fx, "vtop 0xffffffff9d000000"), "OK");
	CHECK_STR(rcmd(&fx, "nonsense"), "OK");
	CHECK_REPLY(&fx, "qRcmd,6", "E16");
	CHECK_REPLY(&fx, "qRcmd,zz", "E16");
	{
		/* Longer than the command buffer. */
		char *big = unit_xmalloc(4000);

		strcpy(big, "qRcmd,");
		memset(big + 6, '6', 3000);
		big[3006] = '\0';
		CHECK_REPLY(&fx, big, "E16");
		free(big);
	}
	teardown(&fx);
}

TEST(monitor_output)
{
	struct fixture fx;
	int peer;
	char *text;

	if (!setup(&fx))
		return;
	if (!attach_peer(&fx, &peer)) {
		teardown(&fx);
		return;
	}
	CHECK_STR(rcmd(&fx, "help"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "vtop");
	CHECK_CONTAINS(text, "info");
	free(text);

	CHECK_STR(rcmd(&fx, "info"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "6.1.0-56-cloud-amd64");
	CHECK_CONTAINS(text, "0x1c000000");
	CHECK_CONTAINS(text, "4-level");
	CHECK_CONTAINS(text, "panic on CPU 1 (pid 1234)");
	free(text);

	CHECK_STR(rcmd(&fx, "vtop 0xffffffff9d40a123"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "pgd");
	CHECK_CONTAINS(text, "pmd");
	CHECK_CONTAINS(text, "physical 0x140a123");
	free(text);

	CHECK_STR(rcmd(&fx, "  vtop   0xffff888000101000"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "not present");
	free(text);

	CHECK_STR(rcmd(&fx, "vtop"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "usage");
	free(text);

	CHECK_STR(rcmd(&fx, "frobnicate now"), "OK");
	text = console(peer);
	CHECK_CONTAINS(text, "frobnicate");
	free(text);

	/* Resuming explains itself on the console. */
	req(&fx, "?");
	CHECK_REPLY(&fx, "c", "T02thread:2;core:1;");
	text = console(peer);
	CHECK_CONTAINS(text, "crash dump");
	free(text);
	detach_peer(&fx, peer);
	teardown(&fx);
}

/* ---- session end, no-ack ------------------------------------------------ */

TEST(detach_and_kill)
{
	struct fixture fx;
	bool replied;

	if (!setup(&fx))
		return;
	CHECK(!fx.s->done);
	CHECK_STR(req_len(&fx, "D", 1, &replied), "OK");
	CHECK(replied && fx.s->done);
	fx.s->done = false;
	CHECK_STR(req_len(&fx, "D;1", 3, &replied), "OK");
	CHECK(fx.s->done);
	fx.s->done = false;
	req_len(&fx, "k", 1, &replied);
	CHECK(!replied, "'k' must get no reply");
	CHECK(fx.s->done);
	fx.s->done = false;
	CHECK_STR(req_len(&fx, "vKill;1", 7, &replied), "OK");
	CHECK(replied && fx.s->done);
	teardown(&fx);
}

TEST(noack_with_connection)
{
	struct fixture fx;
	int peer;

	if (!setup(&fx))
		return;
	if (!attach_peer(&fx, &peer)) {
		teardown(&fx);
		return;
	}
	fx.s->conn->noack = false;
	CHECK_REPLY(&fx, "QStartNoAckMode", "OK");
	CHECK(fx.s->conn->noack);
	detach_peer(&fx, peer);
	teardown(&fx);
}

static void noack_without_connection(void *arg)
{
	struct fixture *fx = arg;

	server_handle(fx->s, "QStartNoAckMode", 15);
}

/*
 * server_handle() is "exposed for tests and fuzzing" and server_console()
 * copes with s->conn == NULL, but h_noack() dereferences s->conn.
 */
TEST(noack_without_connection)
{
	struct fixture fx;

	if (!setup(&fx))
		return;
	CHECK_STR(unit_in_child(noack_without_connection, &fx, 10), "exit 0");
	teardown(&fx);
}

/* Every packet, at every length cut, from a 1-byte buffer: handlers
 * must respect LEN, not look for a NUL (run under ASan). */
TEST(packets_are_length_bounded)
{
	static const char *const pkts[] = {
		"qSupported:xmlRegisters=i386", "qXfer:features:read:target.xml:0,40",
		"qXfer:threads:read::0,40", "qThreadExtraInfo,1", "qRcmd,68656c70",
		"qSymbol:1c000000:5f5f7065725f6370755f7374617274", "Hg1", "T1",
		"p10", "mffff888000100000,10", "M0,1:00", "vCont;c", "D;1",
		"qOffsets", "g", "?", "qC", "qfThreadInfo",
	};
	struct fixture fx;

	if (!setup(&fx))
		return;
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		size_t n = strlen(pkts[i]);

		for (size_t cut = 0; cut <= n; cut++) {
			/* Exactly CUT bytes, no terminator after them. */
			char *p = unit_xmalloc(cut ? cut : 1);

			memcpy(p, pkts[i], cut);
			server_handle(fx.s, p, cut);
			free(p);
		}
	}
	fx.s->done = false;
	CHECK_REPLY(&fx, "qC", "QC2");
	teardown(&fx);
}
