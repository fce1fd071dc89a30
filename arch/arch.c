/* SPDX-License-Identifier: MIT */
/* Architecture selection and what is generated from register tables. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libvmcore/vmcore.h"
#include "arch.h"

static const struct arch *const arches[] = {
	&arch_x86_64,
	&arch_i386,
	&arch_aarch64,
	&arch_arm,
	&arch_ppc64le,
	&arch_s390x,
	&arch_riscv64,
};

const struct arch *arch_from_machine(uint16_t e_machine)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		if (arches[i]->e_machine == e_machine)
			return arches[i];
	}
	return NULL;
}

const struct arch *arch_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const char *const *alias = arches[i]->aliases;

		if (strcmp(arches[i]->name, name) == 0)
			return arches[i];
		for (; alias && *alias; alias++) {
			if (strcmp(*alias, name) == 0)
				return arches[i];
		}
	}
	return NULL;
}

const char *arch_supported_list(void)
{
	/* Every arches[] entry, by uname machine and ELF e_machine. */
	return "x86_64 (EM_X86_64), i386 (EM_386), aarch64 (EM_AARCH64), "
	       "arm (EM_ARM), ppc64le (EM_PPC64), s390x (EM_S390), "
	       "riscv64 (EM_RISCV)";
}

struct vmc_error *arch_pgt_unsupported(struct vmcore *vc,
				       struct vmc_pgt *ret)
{
	(void)ret;
	return vmc_error_create(VMC_ERR_NOT_FOUND, "no page-table walker for "
				"%s yet", vmcore_arch(vc)->name);
}

bool arch_reg_from_prstatus(const struct arch *arch, size_t reg,
			    const uint8_t *prstatus, size_t prstatus_size,
			    uint8_t *buf)
{
	const struct arch_reg *r = &arch->regs[reg];
	size_t bytes = r->bitsize / 8;
	size_t off;

	if (r->prstatus_offset < 0 || prstatus_size != arch->prstatus.size) {
		/* A zero register is known even when the note is not. */
		if (r->prstatus_offset != ARCH_REG_ZERO)
			return false;
		memset(buf, 0, bytes);
		return true;
	}
	off = arch->prstatus.reg_offset + (size_t)r->prstatus_offset;
	if (off + bytes > prstatus_size)
		return false;
	memcpy(buf, prstatus + off, bytes);
	return true;
}

bool arch_reg_present(const struct arch *arch, const struct vmcore *vc,
		      bool tasks, size_t reg)
{
	uint8_t buf[64];

	if (arch->regs[reg].prstatus_offset == ARCH_REG_TASK)
		return tasks;
	if (arch->regs[reg].prstatus_offset != ARCH_REG_DUMP)
		return true;
	return vc && arch->dump_reg && arch->regs[reg].bitsize <= 8 * sizeof(buf) &&
	       arch->dump_reg(vc, reg, buf);
}

bool arch_reg_value(const struct arch *arch, const struct vmcore *vc,
		    size_t reg, const uint8_t *prstatus, size_t prstatus_size,
		    uint8_t *buf)
{
	if (arch->regs[reg].prstatus_offset == ARCH_REG_DUMP)
		return vc && arch->dump_reg && arch->dump_reg(vc, reg, buf);
	return arch_reg_from_prstatus(arch, reg, prstatus, prstatus_size, buf);
}

/* Does feature FI have a register present in VC? */
static bool feature_present(const struct arch *arch, const struct vmcore *vc,
			    bool tasks, size_t fi)
{
	for (size_t i = 0; i < arch->nregs; i++) {
		if (arch->regs[i].feature == fi &&
		    arch_reg_present(arch, vc, tasks, i))
			return true;
	}
	return false;
}

static void emit_reg(FILE *f, const struct arch_reg *r, size_t regnum)
{
	fprintf(f, "    <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" "
		"regnum=\"%zu\"", r->name, r->bitsize, r->type, regnum);
	if (r->group)
		fprintf(f, " group=\"%s\"", r->group);
	fputs("/>\n", f);
}

struct vmc_error *arch_target_xml(const struct arch *arch, char **xml_ret,
				  size_t *len_ret)
{
	return arch_target_xml_for(arch, NULL, false, xml_ret, len_ret);
}

struct vmc_error *arch_target_xml_for(const struct arch *arch,
				      const struct vmcore *vc, bool tasks,
				      char **xml_ret, size_t *len_ret)
{
	char *xml = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&xml, &len);

	if (!f)
		return &vmc_enomem;
	fputs("<?xml version=\"1.0\"?>\n"
	      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	      "<target version=\"1.0\">\n", f);
	fprintf(f, "  <architecture>%s</architecture>\n", arch->gdb_arch);
	if (arch->gdb_osabi)
		fprintf(f, "  <osabi>%s</osabi>\n", arch->gdb_osabi);
	for (size_t fi = 0; fi < arch->nfeatures; fi++) {
		const struct arch_feature *feat = &arch->features[fi];

		if (!feature_present(arch, vc, tasks, fi))
			continue;
		fprintf(f, "  <feature name=\"%s\">\n", feat->name);
		if (feat->types_xml)
			fputs(feat->types_xml, f);
		for (size_t i = 0; i < arch->nregs; i++) {
			if (arch->regs[i].feature == fi &&
			    arch_reg_present(arch, vc, tasks, i))
				emit_reg(f, &arch->regs[i], i);
		}
		fputs("  </feature>\n", f);
	}
	fputs("</target>\n", f);
	if (fclose(f) != 0) {
		free(xml);
		return &vmc_enomem;
	}
	*xml_ret = xml;
	*len_ret = len;
	return NULL;
}

static struct vmc_error *read_word(const struct arch_task_ctx *ctx,
				   uint64_t addr, unsigned word, uint64_t *ret)
{
	uint8_t raw[8];
	struct vmc_error *err = ctx->read(ctx->arg, addr, raw, word);

	*ret = 0;
	for (unsigned i = 0; !err && i < word; i++)
		*ret |= (uint64_t)raw[i] << (8 * i);
	return err;
}

static void put_word(uint8_t *p, unsigned word, uint64_t v)
{
	for (unsigned i = 0; i < word; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

struct vmc_error *arch_inactive_frame_regs(const struct arch_task_ctx *ctx,
					   const struct arch_frame_layout *l,
					   uint64_t task, uint8_t *prstatus,
					   bool *known)
{
	uint8_t *pr = prstatus + l->pr_reg_offset;
	uint64_t off, frame_size, sp, v;
	struct vmc_error *err;

	if ((err = ctx->member(ctx->arg, "task_struct", "thread.sp", &off,
			       NULL)) ||
	    (err = read_word(ctx, task + off, l->word, &sp)) ||
	    (err = ctx->size(ctx->arg, "inactive_task_frame", &frame_size)))
		return err;
	for (size_t i = 0; i < l->nregs; i++) {
		if ((err = ctx->member(ctx->arg, "inactive_task_frame",
				       l->regs[i].member, &off, NULL)) ||
		    (err = read_word(ctx, sp + off, l->word, &v)))
			return err;
		put_word(pr + (size_t)l->regs[i].slot * l->word, l->word, v);
		known[l->regs[i].reg] = true;
	}
	put_word(pr + (size_t)l->sp_slot * l->word, l->word, sp + frame_size);
	known[l->sp_reg] = true;
	return NULL;
}
