/* SPDX-License-Identifier: MIT */
/*
 * Synthetic ELF vmcores for tests and fuzzers (after libkdumpfile's
 * tests/mkelf.c and drgn's tests/elfwriter.py): notes, PT_LOADs, a
 * sparse physical memory of 4 KiB pages, and an x86_64 page-table
 * builder.  The result is a byte image that tests may then damage
 * (patch a program header, cut the file) before writing it out.
 * Headers and notes are little-endian unless big_endian is set (before
 * the first note); prstatus notes of any architecture come from
 * cf_prstatus().
 *
 * Layout of an image: ELF header, program headers (PT_NOTE first when
 * there are notes, then the PT_LOADs in the order they were added), the
 * note data, then each PT_LOAD's file bytes (8-byte aligned).
 *
 * Allocation failures abort(): this is test scaffolding.
 */
#ifndef CORE_FILE_H
#define CORE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_PAGE_SIZE 4096

/* struct user_regs_struct slots (arch/x86/include/asm/user_64.h). */
enum cf_x86_slot {
	CF_R15, CF_R14, CF_R13, CF_R12, CF_RBP, CF_RBX, CF_R11, CF_R10,
	CF_R9, CF_R8, CF_RAX, CF_RCX, CF_RDX, CF_RSI, CF_RDI, CF_ORIG_RAX,
	CF_RIP, CF_CS, CF_EFLAGS, CF_RSP, CF_SS, CF_FS_BASE, CF_GS_BASE,
	CF_DS, CF_ES, CF_FS, CF_GS, CF_X86_NREGS
};

/* x86_64 struct elf_prstatus: 336 bytes, pr_pid at 32, pr_reg at 112. */
#define CF_PRSTATUS_SIZE 336
#define CF_PRSTATUS_PID 32
#define CF_PRSTATUS_REG 112

struct cf_load {
	uint64_t paddr, vaddr, memsz, filesz;
	uint8_t *data;		/* filesz bytes */
	bool page;		/* one page of cf_phys() memory */
};

struct cf {
	int elfclass;		/* ELFCLASS64 or ELFCLASS32 */
	uint16_t machine;
	uint16_t type;
	bool big_endian;	/* ELFDATA2MSB; set before adding notes */
	uint8_t *notes;
	size_t notes_len, notes_cap;
	struct cf_load *loads;
	size_t nloads, loads_cap;
};

struct cf_image {
	uint8_t *data;
	size_t len;
	int elfclass;
	bool big_endian;
	size_t phoff, phentsize, phnum;
	size_t first_load;	/* program header index of loads[0] */
	size_t notes_off;	/* file offset of the note data */
	size_t *load_off;	/* file offset of each load's bytes */
};

enum cf_field { CF_P_TYPE, CF_P_OFFSET, CF_P_VADDR, CF_P_PADDR, CF_P_FILESZ,
		CF_P_MEMSZ };

void cf_init(struct cf *cf, int elfclass, uint16_t machine);
void cf_deinit(struct cf *cf);

/* Append a note (name NUL-terminated and padded, desc padded to 4). */
void cf_note(struct cf *cf, const char *name, uint32_t type,
	     const void *desc, size_t descsz);
void cf_vmcoreinfo(struct cf *cf, const char *text);
/* Store V as WIDTH (1-8) bytes at P, in the given byte order. */
void cf_put(uint8_t *p, uint64_t v, unsigned width, bool big_endian);
/*
 * Any architecture's struct elf_prstatus: SIZE zero bytes, PID (4 bytes)
 * at PID_OFF, and the REG_LEN bytes of pr_reg at REG_OFF (the caller
 * lays them out, e.g. with cf_put()).
 */
void cf_prstatus(uint8_t *out, size_t size, size_t pid_off, size_t reg_off,
		 bool big_endian, int32_t pid, const uint8_t *reg,
		 size_t reg_len);
/* Fill a 336-byte x86_64 prstatus; REGS indexed by enum cf_x86_slot. */
void cf_x86_prstatus(uint8_t out[CF_PRSTATUS_SIZE], int32_t pid,
		     const uint64_t regs[CF_X86_NREGS]);
void cf_x86_cpu(struct cf *cf, int32_t pid,
		const uint64_t regs[CF_X86_NREGS]);

/* A PT_LOAD with FILESZ zeroed file bytes; returns its index in loads. */
size_t cf_load(struct cf *cf, uint64_t paddr, uint64_t vaddr, uint64_t memsz,
	       uint64_t filesz);
/* Physical memory in 4 KiB pages, one PT_LOAD (p_vaddr 0) per page:
 * the byte at PADDR, creating its page if needed. */
uint8_t *cf_phys(struct cf *cf, uint64_t paddr);
void cf_poke64(struct cf *cf, uint64_t paddr, uint64_t value);
uint64_t cf_peek64(struct cf *cf, uint64_t paddr);

void cf_build(const struct cf *cf, struct cf_image *img);
void cf_image_free(struct cf_image *img);
uint64_t cf_phdr_get(const struct cf_image *img, size_t i, enum cf_field f);
void cf_phdr_set(struct cf_image *img, size_t i, enum cf_field f,
		 uint64_t value);

/*
 * x86_64 page tables in cf_phys() memory.  Tables come from a pool of
 * pages starting at POOL; entries get P|RW|A|D (and PS for big leaves).
 */
struct cf_pt {
	struct cf *cf;
	uint64_t root;
	unsigned levels;	/* 4 or 5 */
	uint64_t pool;		/* next free table page */
};

void cf_pt_init(struct cf_pt *pt, struct cf *cf, uint64_t root,
		unsigned levels, uint64_t pool);
/* Map [VADDR, VADDR+SIZE) to PADDR with one leaf: SIZE 4 KiB, 2 MiB or
 * 1 GiB. */
void cf_pt_map(struct cf_pt *pt, uint64_t vaddr, uint64_t paddr,
	       uint64_t size);

#endif
