/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for dump files: the input is written to a memfd and
 * opened with vmcore_open(); then a few physical and virtual reads, page
 * walks, register decoding, a server on top of it answering a few
 * packets, a task-list walk, and the kdump-compressed writer (whose
 * output must open again).  Built and run by tests/fuzz/run.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../arch/arch.h"
#include "../../libkernel/modfind.h"
#include "../../libkernel/modules.h"
#include "../../gdbserver-vmcore/server.h"
#include "../../libkernel/usermem.h"
#include "../../libvmcore/kdumpwrite.h"
#include "../../libvmcore/pgwalk.h"
#include "../../libvmcore/vmcore.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1, outfd = -1;
static char path[64], outpath[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memfd = memfd_create("fuzz-vmcore", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	outfd = memfd_create("fuzz-vmcore-kdump", MFD_CLOEXEC);
	if (outfd < 0)
		abort();
	snprintf(outpath, sizeof(outpath), "/proc/self/fd/%d", outfd);
	return 0;
}

static uint64_t le64(const uint8_t *data, size_t size, size_t at)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8 && at + i < size; i++)
		v |= (uint64_t)data[at + i] << (8 * i);
	return v;
}

/* The kdump writer on whatever opened (a small memory only: the time is
 * per input), then the result must open again. */
static void write_kdump(struct vmcore *vc, size_t size)
{
	struct vmc_kdump_opts o = {
		.compress = (enum vmc_compress)(size % 5), .flat = size % 7 == 0,
	};
	struct vmcore *out;
	struct vmc_error *err;
	uint64_t end = 0;

	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
		if (s->paddr + s->memsz < s->paddr)
			return;
	}
	if (end > (64u << 20) || ftruncate(outfd, 0) < 0 ||
	    lseek(outfd, 0, SEEK_SET) != 0)
		return;
	err = vmcore_write_kdump(vc, outfd, &o, NULL);
	if (!err && (err = vmcore_open(outpath, &out)) == NULL)
		vmcore_close(out);
	if (err && err->code != VMC_ERR_UNSUPPORTED &&
	    err->code != VMC_ERR_NOMEM)
		abort();	/* we could not read what we wrote */
	vmc_error_destroy(err);
}

static void reads(struct vmcore *vc, const uint8_t *data, size_t size)
{
	uint8_t buf[256];
	size_t done;

	for (size_t i = 0; i < vmcore_num_segments(vc) && i < 8; i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		vmc_error_destroy(vmcore_read_phys(vc, s->paddr, buf, 64,
						   &done));
		if (done > 64)
			abort();
		vmc_error_destroy(vmcore_read_phys(vc, s->paddr + s->memsz - 8,
						   buf, 16, &done));
		vmc_error_destroy(vmcore_read_virt(vc, s->vaddr, buf, 32,
						   &done));
	}
	/* Addresses taken from the input itself, and classic ones. */
	{
		uint64_t addrs[] = {
			0xffffffff81000000, 0xffff888000000000, 0,
			le64(data, size, size / 2), le64(data, size, size / 3),
			le64(data, size, 64),
		};

		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
			struct vmc_walk walk;
			uint64_t pa;

			vmc_error_destroy(vmcore_pgwalk(vc, addrs[i], &walk));
			if (walk.nsteps > VMC_PGT_MAX_LEVELS)
				abort();
			vmc_error_destroy(vmcore_vtop(vc, addrs[i], &pa));
			vmc_error_destroy(vmcore_read_virt(vc, addrs[i], buf,
							   sizeof(buf), &done));
			if (done > sizeof(buf))
				abort();
			vmc_error_destroy(vmcore_read_phys(vc, addrs[i], buf,
							   sizeof(buf), &done));
		}
	}
}

static void registers(struct vmcore *vc)
{
	const struct arch *a = vmcore_arch(vc);
	uint8_t buf[64];

	for (size_t c = 0; c < vmcore_num_cpus(vc); c++) {
		const struct vmc_cpu *cpu = vmcore_cpu(vc, c);

		for (size_t r = 0; r < a->nregs; r++)
			arch_reg_from_prstatus(a, r, cpu->prstatus,
					       cpu->prstatus_size, buf);
	}
	for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
		if (!vmcore_warning(vc, i))
			abort();
}

/* The task-list walk over whatever the input holds, from an init_task
 * address taken from the input, with a made-up task_struct layout: it
 * must end (loops, bad pointers) and keep its tasks sorted and unique. */
static void walk_tasks(struct vmcore *vc, const uint8_t *data, size_t size)
{
	static const struct task_layout lay = {
		.state = 0x0, .state_size = 4, .cpu = 0x8, .cpu_size = 4,
		.tasks = 0x10, .pid = 0x20, .tgid = 0x24, .comm = 0x30,
		.real_parent = 0x40, .thread_group = 0x50, .exit_state = 0x60,
		.have_thread_group = true, .have_cpu = true,
		.have_exit_state = true,
	};
	struct vmlinux_info vi = { 0 };
	struct task_list tl;
	struct strbuf warnings;
	struct vmc_error *err;

	vi.have_sym[VSYM_INIT_TASK] = true;
	vi.sym[VSYM_INIT_TASK] = le64(data, size, size / 4);
	vi.have_sym[VSYM_PER_CPU_OFFSET] = true;
	vi.sym[VSYM_PER_CPU_OFFSET] = le64(data, size, size / 5);
	vi.have_sym[VSYM_CURRENT_TASK] = true;
	vi.sym[VSYM_CURRENT_TASK] = le64(data, size, size / 6);
	strbuf_init(&warnings);
	err = tasks_walk(vc, &lay, &vi, vmcore_num_cpus(vc), &tl, &warnings);
	if (!err) {
		for (size_t i = 1; i < tl.n; i++)
			if (tl.v[i - 1].tid >= tl.v[i].tid)
				abort();
		task_list_deinit(&tl);
	}
	vmc_error_destroy(err);
	strbuf_deinit(&warnings);
}

/* A walked module's build-id from its memory, and the input as its
 * file: placing its sections must stay within the copy. */
static void module_file(struct vmcore *vc, const struct kmodule *m,
			const uint8_t *data, size_t size)
{
	char hex[2 * MODFIND_BUILD_ID_MAX + 1];
	uint8_t *copy = malloc(size ? size : 1);

	vmc_error_destroy(modfind_build_id(vc, m, hex));
	if (strlen(hex) > 2 * MODFIND_BUILD_ID_MAX)
		abort();
	if (copy) {
		memcpy(copy, data, size);
		vmc_error_destroy(modfind_place(copy, size, m));
		free(copy);
	}
}

/* The module-list walk likewise, from a list head taken from the input:
 * it must end, and every module's section count stay bounded. */
static void walk_modules(struct vmcore *vc, const uint8_t *data, size_t size)
{
	static const struct module_layout lay = {
		.list = 0x8, .name = 0x18, .name_size = 56, .base = 0x60,
		.sect_attrs = 0x70, .nsections = 0x4, .attrs = 0x10,
		.attr_size = 0x20, .attr_name = 0x8, .attr_address = 0x18,
	};
	struct kmodule_list ml;
	struct strbuf warnings;
	struct vmc_error *err;

	strbuf_init(&warnings);
	err = modules_walk(vc, &lay, le64(data, size, size / 7), &warnings,
			   &ml);
	if (!err) {
		for (size_t i = 0; i < ml.n; i++) {
			if (ml.v[i].nsections > MODULE_SECTIONS_MAX)
				abort();
			module_file(vc, &ml.v[i], data, size);
		}
		modules_deinit(&ml);
	}
	vmc_error_destroy(err);
	strbuf_deinit(&warnings);
}

/* A user address space from a task pointer taken from the input, with
 * a made-up layout: user reads through whatever its mm->pgd points at
 * stay within their buffer and the walk within its levels. */
static void user_memory(struct vmcore *vc, const uint8_t *data, size_t size)
{
	static const struct usermem_layout lay = { .task_mm = 0x10,
						   .mm_pgd = 0x50 };
	uint64_t addr = le64(data, size, size / 8);
	struct vmc_walk walk;
	struct vmc_pgt pgt;
	uint8_t buf[64];
	size_t done;
	struct vmc_error *err = usermem_pgt(vc, &lay, le64(data, size,
							   size / 9), &pgt);

	(void)usermem_is_user(vc, addr);
	if (err) {
		vmc_error_destroy(err);
		return;
	}
	vmc_error_destroy(usermem_walk(vc, &pgt, addr, &walk));
	if (walk.nsteps > VMC_PGT_MAX_LEVELS)
		abort();
	vmc_error_destroy(usermem_read(vc, &pgt, addr - 16, buf, sizeof(buf),
				       &done));
	if (done > sizeof(buf))
		abort();
}

static void serve(struct vmcore *vc)
{
	static const char *const pkts[] = {
		"?", "g", "qfThreadInfo", "qXfer:threads:read::0,fff",
		"qXfer:features:read:target.xml:0,fff", "qOffsets",
		"qRcmd,696e666f",		/* monitor info */
		"qRcmd,76746f7020307866666666666666663831303030303030",
		"mffffffff81000000,40", "p10", "Hg2", "g", "qThreadExtraInfo,1",
		"m1000,10", "qRcmd,76746f7020307831303030",	/* vtop 0x1000 */
	};
	struct server_opts opts = { .quiet = true };
	struct server *s;
	struct vmc_error *err = server_create(vc, &opts, &s);

	if (err) {
		vmc_error_destroy(err);
		return;
	}
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++)
		server_handle(s, pkts[i], strlen(pkts[i]));
	server_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmcore *vc;
	struct vmc_error *err;

	if (ftruncate(memfd, 0) != 0 ||
	    (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	err = vmcore_open(path, &vc);
	if (err) {
		vmc_error_destroy(err);
		return 0;
	}
	reads(vc, data, size);
	write_kdump(vc, size);
	registers(vc);
	serve(vc);
	walk_tasks(vc, data, size);
	walk_modules(vc, data, size);
	user_memory(vc, data, size);
	vmcore_close(vc);
	return 0;
}
