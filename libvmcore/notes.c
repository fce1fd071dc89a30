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

struct vmc_error *vmc_add_note(struct vmcore *vc, const char *name,
			       uint32_t type, const uint8_t *desc,
			       size_t descsz)
{
	if (strcmp(name, "CORE") == 0 && type == NT_PRSTATUS)
		return add_prstatus(vc, desc, descsz);
	if (strcmp(name, "VMCOREINFO") == 0)
		return add_vmcoreinfo(vc, desc, descsz);
	if (strcmp(name, "QEMU") == 0)
		return add_qemu(vc, desc, descsz);
	return NULL;
}
