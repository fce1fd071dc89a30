/* SPDX-License-Identifier: MIT */
/*
 * User memory (libkernel/usermem.c) on a synthetic x86_64 dump:
 * kernel page tables that map the direct map only, two tasks (a process
 * whose mm->pgd maps one user page, and a kernel thread with mm NULL)
 * with a made-up layout.  User reads must go through the process's
 * tables and nothing else: a kernel thread, an unmapped page and a
 * non-canonical address are errors, and a read running into an
 * unmapped page stops at its edge.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <string.h>
#include <unistd.h>

#include "../../libkernel/usermem.h"
#include "corefile.h"
#include "unit.h"

#define DIRECT_MAP UINT64_C(0xffff888000000000)
#define KROOT UINT64_C(0x100a000)	/* __pa_symbol(swapper_pg_dir) */
#define TASK_P UINT64_C(0x300000)	/* the process */
#define KTHREAD_P UINT64_C(0x300800)	/* the kernel thread */
#define MM_P UINT64_C(0x301000)
#define UROOT UINT64_C(0x400000)	/* its mm->pgd */
#define UPAGE_P UINT64_C(0x600000)
#define UPAGE UINT64_C(0x7f0000001000)	/* the user page it maps */

static const struct usermem_layout layout = { .task_mm = 0x10,
					      .mm_pgd = 0x50 };
static const char text[] = "written by the task";

static bool open_world(struct vmcore **vc_ret)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	struct cf_pt kpt, upt;
	struct cf_image img;
	struct cf cf;
	char path[256] = "";
	bool ok;

	cf_init(&cf, ELFCLASS64, EM_X86_64);
	cf_vmcoreinfo(&cf, "OSRELEASE=6.1.0\nPAGESIZE=4096\n"
		      "SYMBOL(swapper_pg_dir)=ffffffff8100a000\n"
		      "NUMBER(phys_base)=0\nKERNELOFFSET=0\n"
		      "NUMBER(pgtable_l5_enabled)=0\n");
	cf_x86_cpu(&cf, 1, regs);
	/* The kernel's tables: the direct map of the first GiB. */
	cf_pt_init(&kpt, &cf, KROOT, 4, 0x2000000);
	cf_pt_map(&kpt, DIRECT_MAP, 0, UINT64_C(1) << 30);
	/* The process: mm at MM_P, mm->pgd in the direct map. */
	cf_poke64(&cf, TASK_P + layout.task_mm, DIRECT_MAP + MM_P);
	cf_poke64(&cf, MM_P + layout.mm_pgd, DIRECT_MAP + UROOT);
	cf_poke64(&cf, KTHREAD_P + layout.task_mm, 0);
	cf_pt_init(&upt, &cf, UROOT, 4, 0x500000);
	cf_pt_map(&upt, UPAGE, UPAGE_P, 4096);
	memcpy(cf_phys(&cf, UPAGE_P), text, sizeof(text));
	memcpy(cf_phys(&cf, UPAGE_P + 4096 - 4), "edge", 4);
	/* The page after it is in the dump but not mapped. */
	memcpy(cf_phys(&cf, UPAGE_P + 4096), "wrong", 5);
	cf_build(&cf, &img);
	ok = CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	     CHECK_OK(vmcore_open(path, vc_ret));
	if (path[0])
		unlink(path);
	cf_image_free(&img);
	cf_deinit(&cf);
	return ok;
}

TEST(user_read_through_mm_pgd)
{
	struct vmcore *vc;
	struct vmc_pgt pgt;
	char buf[sizeof(text)];
	size_t done = 99;
	uint8_t b;

	if (!open_world(&vc))
		return;
	CHECK(usermem_is_user(vc, UPAGE), "");
	CHECK(usermem_is_user(vc, 0), "");
	CHECK(!usermem_is_user(vc, DIRECT_MAP), "");
	CHECK(!usermem_is_user(vc, UINT64_C(0xffffffff81000000)), "");
	/* The kernel's own tables do not map it. */
	CHECK_ERR(vmcore_read_virt(vc, UPAGE, &b, 1, NULL), VMC_ERR_FAULT,
		  "not mapped");
	if (CHECK_OK(usermem_pgt(vc, &layout, DIRECT_MAP + TASK_P, &pgt))) {
		CHECK_U64(pgt.root, UROOT);
		CHECK_OK(usermem_read(vc, &pgt, UPAGE, buf, sizeof(buf),
				      &done));
		CHECK_U64(done, sizeof(text));
		CHECK_STR(buf, text);
	}
	vmcore_close(vc);
}

TEST(kernel_thread_has_no_user_memory)
{
	struct vmcore *vc;
	struct vmc_pgt pgt;

	if (!open_world(&vc))
		return;
	CHECK_ERR(usermem_pgt(vc, &layout, DIRECT_MAP + KTHREAD_P, &pgt),
		  VMC_ERR_FAULT, "kernel thread (mm is NULL)");
	/* A task pointer that does not read. */
	CHECK_ERR(usermem_pgt(vc, &layout, UINT64_C(0xffffc90000000000),
			      &pgt), VMC_ERR_FAULT, "'s mm: ");
	vmcore_close(vc);
}

TEST(unmapped_user_page)
{
	struct vmcore *vc;
	struct vmc_pgt pgt;
	size_t done = 99;
	uint8_t b[8];

	if (!open_world(&vc) ||
	    !CHECK_OK(usermem_pgt(vc, &layout, DIRECT_MAP + TASK_P, &pgt)))
		return;
	CHECK_ERR(usermem_read(vc, &pgt, UPAGE + 4096, b, 1, &done),
		  VMC_ERR_FAULT, "is not present");
	CHECK_U64(done, 0);
	CHECK_ERR(usermem_read(vc, &pgt, 0x1000, b, 1, &done),
		  VMC_ERR_FAULT, "pgd entry");
	CHECK_U64(done, 0);
	/* Past the lower half: not canonical. */
	CHECK_ERR(usermem_read(vc, &pgt, UINT64_C(0x800000000000), b, 1,
			       &done), VMC_ERR_FAULT, "not a canonical");
	CHECK_U64(done, 0);
	vmcore_close(vc);
}

TEST(read_into_unmapped_page_stops_at_its_edge)
{
	struct vmcore *vc;
	struct vmc_pgt pgt;
	size_t done = 99;
	uint8_t b[16];

	if (!open_world(&vc) ||
	    !CHECK_OK(usermem_pgt(vc, &layout, DIRECT_MAP + TASK_P, &pgt)))
		return;
	CHECK_ERR(usermem_read(vc, &pgt, UPAGE + 4096 - 4, b, sizeof(b),
			       &done), VMC_ERR_FAULT, "not mapped");
	CHECK_U64(done, 4);
	CHECK_MEM(b, "edge", 4);
	vmcore_close(vc);
}
