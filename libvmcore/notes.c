/* SPDX-License-Identifier: MIT */
/*
 * ELF notes of a vmcore: one NT_PRSTATUS ("CORE") per CPU in CPU order,
 * one VMCOREINFO, and with QEMU dumps one "QEMU" CPU-state note per CPU
 * (QEMU writes all PRSTATUS notes first, then all QEMU notes).
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "internal.h"

static int32_t load_s32(const uint8_t *p, bool big_endian)
{
	uint32_t v;

	if (big_endian)
		v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	else
		v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[1] << 8 | p[0];
	return (int32_t)v;
}

static struct vmc_error *grow_cpus(struct vmcore *vc)
{
	size_t cap = vc->cpus_cap ? vc->cpus_cap * 2 : 8;
	struct vmc_cpu *cpus;

	if (vc->ncpus < vc->cpus_cap)
		return NULL;
	cpus = realloc(vc->cpus, cap * sizeof(*cpus));
	if (!cpus)
		return &vmc_enomem;
	vc->cpus = cpus;
	vc->cpus_cap = cap;
	return NULL;
}

static struct vmc_error *add_prstatus(struct vmcore *vc, const uint8_t *desc,
				      size_t descsz)
{
	const struct arch_prstatus *ps = &vc->arch->prstatus;
	struct vmc_error *err = grow_cpus(vc);
	struct vmc_cpu *cpu;

	if (err)
		return err;
	cpu = &vc->cpus[vc->ncpus];
	memset(cpu, 0, sizeof(*cpu));
	cpu->index = (unsigned)vc->ncpus;
	cpu->prstatus = desc;
	cpu->prstatus_size = descsz;
	if (descsz >= ps->pid_offset + 4)
		cpu->pid = load_s32(desc + ps->pid_offset, vc->arch->big_endian);
	if (descsz != ps->size) {
		err = vmc_warn(vc, "NT_PRSTATUS note of CPU %zu has %zu bytes "
			       "where %s uses %zu: its registers are shown "
			       "as unavailable", vc->ncpus, descsz,
			       vc->arch->name, ps->size);
		if (err)
			return err;
	}
	vc->ncpus++;
	return NULL;
}

static struct vmc_error *add_vmcoreinfo(struct vmcore *vc,
					const uint8_t *desc, size_t descsz)
{
	if (vc->have_vmcoreinfo)
		return vmc_warn(vc, "a second VMCOREINFO note (%zu bytes) "
				"was ignored", descsz);
	vc->have_vmcoreinfo = true;
	return vmcoreinfo_parse((const char *)desc, descsz, &vc->vmcoreinfo);
}

static struct vmc_error *add_qemu(struct vmcore *vc, const uint8_t *desc,
				  size_t descsz)
{
	/* QEMU notes follow all PRSTATUS notes: the k-th is CPU k's. */
	if (vc->nqemu >= vc->ncpus)
		return vmc_warn(vc, "QEMU CPU-state note %zu has no matching "
				"NT_PRSTATUS note; ignored", vc->nqemu++);
	vc->cpus[vc->nqemu].qemu = desc;
	vc->cpus[vc->nqemu].qemu_size = descsz;
	vc->nqemu++;
	return NULL;
}

/* Every note, as the dump has it, for tools that copy them (elfconv). */
static struct vmc_error *keep_note(struct vmcore *vc, const char *name,
				   uint32_t type, const uint8_t *desc,
				   size_t descsz)
{
	if (vc->nnotes == vc->notes_cap) {
		size_t cap = vc->notes_cap ? 2 * vc->notes_cap : 16;
		struct vmc_note *n = realloc(vc->notes, cap * sizeof(*n));

		if (!n)
			return &vmc_enomem;
		vc->notes = n;
		vc->notes_cap = cap;
	}
	vc->notes[vc->nnotes++] = (struct vmc_note){
		.name = name, .type = type, .desc = desc, .descsz = descsz,
	};
	return NULL;
}

struct vmc_error *vmc_add_note(struct vmcore *vc, const char *name,
			       uint32_t type, const uint8_t *desc,
			       size_t descsz)
{
	struct vmc_error *err = keep_note(vc, name, type, desc, descsz);

	if (err)
		return err;
	if (strcmp(name, "CORE") == 0 && type == NT_PRSTATUS)
		return add_prstatus(vc, desc, descsz);
	if (strcmp(name, "VMCOREINFO") == 0)
		return add_vmcoreinfo(vc, desc, descsz);
	if (strcmp(name, "QEMU") == 0)
		return add_qemu(vc, desc, descsz);
	return NULL;
}

/*
 * A dump without a VMCOREINFO note (QEMU's dump-guest-memory without
 * "-device vmcoreinfo", some hypervisor dumps) still holds the kernel's
 * own copy: vmcoreinfo_note, an ELF note "VMCOREINFO" that the kernel
 * keeps up to date in a page of its own (alloc_pages_exact, so it starts
 * on a page boundary).  Look for it at every page start of RAM.
 */
#define SCAN_STEP 4096u
#define NOTE_NAME "VMCOREINFO"
#define MAX_VMCOREINFO (64u * 1024)

static uint32_t get_u32(const uint8_t *p, bool big_endian)
{
	return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			    (uint32_t)p[2] << 8 | p[3]
			  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[1] << 8 | p[0];
}

/* descsz of a VMCOREINFO note header at HEAD, or 0 if it is none. */
static uint32_t note_at(const struct vmcore *vc, const uint8_t head[24])
{
	bool be = vc->arch->big_endian;
	uint32_t descsz = get_u32(head + 4, be);

	if (get_u32(head, be) != sizeof(NOTE_NAME) || get_u32(head + 8, be) ||
	    memcmp(head + 12, NOTE_NAME, sizeof(NOTE_NAME)) || descsz < 16 ||
	    descsz > MAX_VMCOREINFO)
		return 0;
	return descsz;
}

/* Try the page at PADDR: true when it held the note and it was taken. */
static bool take_note_at(struct vmcore *vc, uint64_t paddr)
{
	uint8_t head[24 + 10];
	uint32_t descsz;
	char *desc;
	bool ok = false;
	struct vmc_error *err = vmcore_read_phys(vc, paddr, head, sizeof(head),
						 NULL);

	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	/* namesz 11 is padded to 12: the text starts at 24. */
	if (!(descsz = note_at(vc, head)) || memcmp(head + 24, "OSRELEASE=", 10))
		return false;
	desc = malloc(descsz);
	if (!desc)
		return false;
	err = vmcore_read_phys(vc, paddr + 24, desc, descsz, NULL);
	if (!err && !(err = vmcoreinfo_parse(desc, descsz, &vc->vmcoreinfo))) {
		vc->have_vmcoreinfo = true;
		vc->vmcoreinfo_paddr = paddr;
		ok = true;
	}
	vmc_error_destroy(err);
	free(desc);
	return ok;
}

/*
 * Scan the file-backed part of prange R for a page that starts with the
 * note; the bytes past filesz are zeros and cannot hold it.  Reads go in
 * chunks of SCAN_CHUNK so that a large dump costs one pread per MiB, not
 * one per page.
 */
#define SCAN_CHUNK (256u * SCAN_STEP)

static bool scan_prange(struct vmcore *vc, const struct vmc_prange *r,
			uint8_t *chunk, uint64_t *budget, uint64_t *found)
{
	uint64_t backed = r->avail < r->filesz ? r->avail : r->filesz;
	uint64_t end = r->paddr + (backed < r->size ? backed : r->size);
	uint64_t p = (r->paddr + SCAN_STEP - 1) & ~(uint64_t)(SCAN_STEP - 1);

	while (p < end && end - p >= SCAN_STEP) {
		uint64_t n = end - p < SCAN_CHUNK ? end - p : SCAN_CHUNK;
		struct vmc_error *err;

		n &= ~(uint64_t)(SCAN_STEP - 1);
		/* Present pieces never hold more bytes than the file; more
		 * means overlapping segments: stop, bounded by the file. */
		if (*budget < n) {
			*budget = 0;
			return false;
		}
		*budget -= n;
		err = vmcore_read_phys(vc, p, chunk, n, NULL);
		if (err) {	/* corrupt headers: give up on this range */
			vmc_error_destroy(err);
			return false;
		}
		for (uint64_t at = 0; at < n; at += SCAN_STEP) {
			if (note_at(vc, chunk + at) &&
			    !memcmp(chunk + at + 24, "OSRELEASE=", 10) &&
			    take_note_at(vc, p + at)) {
				*found = p + at;
				return true;
			}
		}
		p += n;
	}
	return false;
}

struct vmc_error *vmc_find_vmcoreinfo(struct vmcore *vc)
{
	uint8_t *chunk;
	/* The bytes really on disk (a flattened file can be far larger as
	 * its format sees it, holes included). */
	uint64_t found, budget = 2 * vc->map.size + SCAN_CHUNK;

	if (vc->have_vmcoreinfo || vc->npranges == 0)
		return NULL;
	chunk = malloc(SCAN_CHUNK);
	if (!chunk)
		return vmc_error_create(VMC_ERR_NOMEM, "out of memory scanning "
					"the dump for VMCOREINFO");
	for (size_t i = 0; i < vc->npranges && budget; i++) {
		if (scan_prange(vc, &vc->pranges[i], chunk, &budget, &found)) {
			free(chunk);
			return vmc_warn(vc, "the dump has no VMCOREINFO "
				"note; using the kernel's own copy "
				"found in memory at physical 0x%" PRIx64,
				found);
		}
	}
	free(chunk);
	return NULL;
}
