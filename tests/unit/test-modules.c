/* SPDX-License-Identifier: MIT */
/*
 * The module-list walk (libkernel/modules.c) on synthetic dumps
 * with a made-up struct module layout: modules with their section tables,
 * one without, and damaged lists (a loop, a pointer into nothing, a
 * section table that does not read): each walk ends, keeps what it read
 * and warns.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../libkernel/modules.h"
#include "corefile.h"
#include "unit.h"

#define BASE UINT64_C(0xffffffffc0000000)
#define PBASE UINT64_C(0x100000)
#define SLOT 0x1000		/* one module, its sections and names */
#define NSLOTS 8
#define HEAD (BASE + NSLOTS * SLOT)	/* the `modules` list_head */

static const struct module_layout layout = {
	.list = 0x8, .name = 0x18, .name_size = 56, .base = 0x60,
	.sect_attrs = 0x70, .nsections = 0x4, .attrs = 0x10,
	.attr_size = 0x20, .attr_name = 0x8, .attr_address = 0x18,
};

struct world {
	struct cf cf;
	uint8_t *mem;		/* NSLOTS slots, then the list head */
};

static uint64_t mod_addr(int i)
{
	return BASE + (uint64_t)i * SLOT;
}

static void world_init(struct world *w)
{
	uint64_t regs[CF_X86_NREGS] = { 0 };
	size_t i;

	cf_init(&w->cf, ELFCLASS64, EM_X86_64);
	cf_x86_cpu(&w->cf, 1, regs);
	i = cf_load(&w->cf, PBASE, BASE, NSLOTS * SLOT + 16,
		    NSLOTS * SLOT + 16);
	w->mem = w->cf.loads[i].data;
	cf_put(w->mem + NSLOTS * SLOT, HEAD, 8, false);	/* empty list */
}

/* Module SLOT named NAME at text BASE with NSECT sections (".s0" ...,
 * at BASE + 0x100 * i); its section table and names live in the slot. */
static void module(struct world *w, int slot, const char *name,
		   uint64_t base, unsigned nsect)
{
	uint8_t *p = w->mem + slot * SLOT;
	uint64_t table = mod_addr(slot) + 0x200;

	snprintf((char *)p + layout.name, layout.name_size, "%s", name);
	cf_put(p + layout.base, base, 8, false);
	cf_put(p + layout.sect_attrs, nsect ? table : 0, 8, false);
	cf_put(p + 0x200 + layout.nsections, nsect, 4, false);
	for (unsigned i = 0; i < nsect && i < 16; i++) {
		uint8_t *a = p + 0x200 + layout.attrs + i * layout.attr_size;
		uint64_t name_at = mod_addr(slot) + 0x800 + 16 * i;

		snprintf((char *)p + 0x800 + 16 * i, 16, ".s%u", i);
		cf_put(a + layout.attr_name, name_at, 8, false);
		cf_put(a + layout.attr_address, base + 0x100 * i, 8, false);
	}
}

/* The list: head -> SLOTS[0] -> ... -> NEXT_OF_LAST. */
static void link_list(struct world *w, const int *slots, int n,
		      uint64_t next_of_last)
{
	cf_put(w->mem + NSLOTS * SLOT, mod_addr(slots[0]) + layout.list, 8,
	       false);
	for (int i = 0; i < n; i++)
		cf_put(w->mem + slots[i] * SLOT + layout.list,
		       i + 1 < n ? mod_addr(slots[i + 1]) + layout.list
				 : next_of_last, 8, false);
}

struct result {
	struct kmodule_list l;
	struct strbuf warnings;
	struct vmc_error *err;
};

static bool walk(struct world *w, struct result *r)
{
	struct cf_image img;
	struct vmcore *vc = NULL;
	char path[256] = "";
	bool ok = false;

	strbuf_init(&r->warnings);
	cf_build(&w->cf, &img);
	if (CHECK(unit_write_tmp(img.data, img.len, path, sizeof(path))) &&
	    CHECK_OK(vmcore_open(path, &vc))) {
		r->err = modules_walk(vc, &layout, HEAD, &r->warnings, &r->l);
		ok = true;
	}
	if (path[0])
		unlink(path);
	vmcore_close(vc);
	cf_image_free(&img);
	cf_deinit(&w->cf);
	return ok;
}

static void result_deinit(struct result *r)
{
	vmc_error_destroy(r->err);
	modules_deinit(&r->l);
	strbuf_deinit(&r->warnings);
}

TEST(good_list)
{
	static const int slots[] = { 2, 0, 5 };
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	module(&w, 2, "virtio_blk", UINT64_C(0xffffffffc0593000), 3);
	module(&w, 0, "virtio", UINT64_C(0xffffffffc0571000), 2);
	module(&w, 5, "nosects", UINT64_C(0xffffffffc0580000), 0);
	link_list(&w, slots, 3, HEAD);
	if (!walk(&w, &r))
		return;
	CHECK(r.err == NULL, "%s", r.err ? r.err->message : "");
	CHECK_U64(r.l.n, 3);
	CHECK_STR(r.l.v[0].name, "virtio_blk");
	CHECK_U64(r.l.v[0].addr, mod_addr(2));
	CHECK_U64(r.l.v[0].base, UINT64_C(0xffffffffc0593000));
	CHECK_U64(r.l.v[0].nsections, 3);
	CHECK_STR(r.l.v[0].sections[2].name, ".s2");
	CHECK_U64(r.l.v[0].sections[2].addr, UINT64_C(0xffffffffc0593200));
	CHECK_STR(r.l.v[1].name, "virtio");
	CHECK_U64(r.l.v[1].nsections, 2);
	CHECK_STR(r.l.v[2].name, "nosects");
	CHECK_U64(r.l.v[2].nsections, 0);
	CHECK(r.warnings.len == 0, "%s", r.warnings.data);
	result_deinit(&r);
}

TEST(empty_list)
{
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	if (!walk(&w, &r))
		return;
	CHECK(r.err == NULL, "");
	CHECK_U64(r.l.n, 0);
	CHECK(r.warnings.len == 0, "%s", r.warnings.data);
	result_deinit(&r);
}

/* 1 -> 3 -> 1 -> ...: never back at the head. */
TEST(loop_is_cut)
{
	static const int slots[] = { 1, 3 };
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	module(&w, 1, "a", BASE, 1);
	module(&w, 3, "b", BASE, 1);
	link_list(&w, slots, 2, mod_addr(1) + layout.list);
	if (!walk(&w, &r))
		return;
	CHECK(r.err == NULL, "");
	CHECK_U64(r.l.n, 2);
	CHECK_CONTAINS(r.warnings.data, "ends after 2 modules: the module at "
		       "0xffffffffc0001000 again: a loop");
	result_deinit(&r);
}

TEST(pointer_into_nothing)
{
	static const int slots[] = { 4 };
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	module(&w, 4, "a", BASE, 1);
	link_list(&w, slots, 1, UINT64_C(0xffffffffd0000000));
	if (!walk(&w, &r))
		return;
	CHECK(r.err == NULL, "");
	CHECK_U64(r.l.n, 1);
	CHECK_CONTAINS(r.warnings.data, "the module list at 0xffffffffc0008000 "
		       "ends after 1 modules");
	result_deinit(&r);
}

/* A section table pointer into nothing: the module is kept without
 * sections, with a warning; the walk goes on. */
TEST(section_table_unreadable)
{
	static const int slots[] = { 1, 2 };
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	module(&w, 1, "broken", BASE, 1);
	module(&w, 2, "fine", BASE, 1);
	cf_put(w.mem + 1 * SLOT + layout.sect_attrs,
	       UINT64_C(0xffffffffd0000000), 8, false);
	link_list(&w, slots, 2, HEAD);
	if (!walk(&w, &r))
		return;
	CHECK_U64(r.l.n, 2);
	CHECK_U64(r.l.v[0].nsections, 0);
	CHECK_U64(r.l.v[1].nsections, 1);
	CHECK_CONTAINS(r.warnings.data, "module broken at 0xffffffffc0001000: "
		       "its section addresses do not read");
	result_deinit(&r);
}

/* More sections than MODULE_SECTIONS_MAX: refused, not allocated. */
TEST(too_many_sections)
{
	static const int slots[] = { 0 };
	struct world w;
	struct result r = { 0 };

	world_init(&w);
	module(&w, 0, "huge", BASE, 1);
	cf_put(w.mem + 0x200 + layout.nsections, MODULE_SECTIONS_MAX + 1, 4,
	       false);
	link_list(&w, slots, 1, HEAD);
	if (!walk(&w, &r))
		return;
	CHECK_U64(r.l.n, 1);
	CHECK_U64(r.l.v[0].nsections, 0);
	CHECK_CONTAINS(r.warnings.data, "257 sections, more than 256");
	result_deinit(&r);
}
