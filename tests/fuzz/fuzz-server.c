/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the packet handlers.  A small synthetic dump
 * (2 CPUs, KASLR, page tables, per-CPU areas; tests/unit/corefile.c) is
 * built once; each input is split at '\n' into packets that go to
 * server_handle() of a fresh server, so inputs do not depend on each
 * other.  Built and run by tests/fuzz/run.sh.
 *
 * The server gets a connection to /dev/null in no-ack mode, so console
 * output ('O' packets) and QStartNoAckMode run too.  Set
 * FUZZ_SERVER_NO_CONN=1 to fuzz with s->conn == NULL instead (as the
 * unit tests do); QStartNoAckMode then crashes (a known bug, see
 * tests/unit/test-server.c: noack_without_connection).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../gdbserver-vmcore/server.h"
#include "../unit/corefile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmcore *vc;
static int devnull = -1;
static bool use_conn = true;

static const char vmcoreinfo[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"PAGESIZE=4096\n"
	"SYMBOL(swapper_pg_dir)=ffffffff9d40a000\n"
	"SYMBOL(_stext)=ffffffff9d000000\n"
	"NUMBER(phys_base)=-469762048\n"
	"KERNELOFFSET=1c000000\n";

static void build(struct cf *cf)
{
	struct cf_pt pt;
	uint64_t regs[CF_X86_NREGS];

	cf_init(cf, ELFCLASS64, EM_X86_64);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		for (int i = 0; i < CF_X86_NREGS; i++)
			regs[i] = UINT64_C(0x1000000000000000) * (cpu + 1) + (unsigned)i;
		regs[CF_EFLAGS] = cpu ? 0x46 : 0x246;
		cf_x86_cpu(cf, cpu ? 1234 : 0, regs);
	}
	cf_vmcoreinfo(cf, vmcoreinfo);
	cf_pt_init(&pt, cf, 0x140a000, 4, 0x2000000);
	cf_pt_map(&pt, 0xffffffff9d000000, 0x1000000, 0x200000);
	cf_pt_map(&pt, 0xffffffff9d400000, 0x1400000, 0x200000);
	cf_pt_map(&pt, 0xffffffff9e100000, 0x800000, 0x1000);
	cf_pt_map(&pt, 0xffff888000000000, 0, 1 << 30);
	cf_poke64(cf, 0x800000, 0xffff888000200000);	/* __per_cpu_offset */
	cf_poke64(cf, 0x800008, 0xffff888000300000);
	cf_phys(cf, 0x200000);
	cf_phys(cf, 0x300000);
	for (unsigned i = 0; i < 4096; i += 8)
		cf_poke64(cf, 0x100000 + i, i * UINT64_C(0x0101010101010101));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cf cf;
	struct cf_image img;
	char path[64];
	int fd = memfd_create("fuzz-server", MFD_CLOEXEC);
	const char *e = getenv("FUZZ_SERVER_NO_CONN");

	(void)argc, (void)argv;
	use_conn = !(e && *e == '1');
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || devnull < 0)
		abort();
	build(&cf);
	cf_build(&cf, &img);
	if (write(fd, img.data, img.len) != (ssize_t)img.len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (vmcore_open(path, &vc))
		abort();
	cf_image_free(&img);
	cf_deinit(&cf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_opts opts = { .quiet = true };
	struct server *s;
	const char *p = (const char *)data, *end = p + size;

	if (server_create(vc, &opts, &s))
		abort();
	if (use_conn) {
		if (rsp_conn_create(devnull, devnull, NULL, &s->conn))
			abort();
		s->conn->noack = true;
	}
	while (p < end && !s->done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		/* An exact-size copy: reads past LEN are caught. */
		char *pkt = malloc(len ? len : 1);

		if (!pkt)
			abort();
		memcpy(pkt, p, len);
		server_handle(s, pkt, len);
		if (s->reply.len > 2 * RSP_MAX_PACKET)
			abort();	/* replies must fit what gdb accepts */
		free(pkt);
		p += len + 1;
	}
	rsp_conn_destroy(s->conn);
	s->conn = NULL;
	server_destroy(s);
	return 0;
}
