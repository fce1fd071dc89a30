/* SPDX-License-Identifier: MIT */
/* The dumped kernel's loaded modules (see modules.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "modules.h"

struct mwalk {
	struct vmcore *vc;
	const struct arch *arch;
	struct module_layout lay;
	struct strbuf *warnings;
};

static struct vmc_error *read_ptr(struct mwalk *w, uint64_t addr,
				  uint64_t *ret)
{
	return vmcore_read_uint(w->vc, addr, w->arch->word_size, ret);
}

/* A NUL-terminated string of at most BUFSZ - 1 bytes at ADDR. */
static struct vmc_error *read_str(struct mwalk *w, uint64_t addr, char *buf,
				  size_t bufsz)
{
	struct vmc_error *err = vmcore_read_virt(w->vc, addr, buf, bufsz - 1,
						 NULL);

	buf[err ? 0 : bufsz - 1] = '\0';
	return err;
}

/*
 * The text's start: core_layout.base before Linux 6.4, mem[MOD_TEXT].base
 * after (commit ac3b43283923, MOD_TEXT = 0).
 */
static struct vmc_error *base_offset(struct ktypes *kt, uint64_t *ret)
{
	uint64_t mem, base;
	struct vmc_error *err = ktypes_member(kt, "module", "core_layout.base",
					      ret, NULL);

	if (!err || err->code != VMC_ERR_NOT_FOUND)
		return err;
	vmc_error_destroy(err);
	if ((err = ktypes_member(kt, "module", "mem", &mem, NULL)) ||
	    (err = ktypes_member(kt, "module_memory", "base", &base, NULL)))
		return err;
	*ret = mem + base;
	return NULL;
}

static struct vmc_error *read_layout(struct ktypes *kt,
				     struct module_layout *l)
{
	struct vmc_error *err;

	if ((err = ktypes_member(kt, "module", "list", &l->list, NULL)) ||
	    (err = ktypes_member(kt, "module", "name", &l->name,
				 &l->name_size)) ||
	    (err = base_offset(kt, &l->base)) ||
	    (err = ktypes_member(kt, "module", "sect_attrs", &l->sect_attrs,
				 NULL)) ||
	    (err = ktypes_member(kt, "module_sect_attrs", "nsections",
				 &l->nsections, NULL)) ||
	    (err = ktypes_member(kt, "module_sect_attrs", "attrs", &l->attrs,
				 NULL)) ||
	    (err = ktypes_sizeof(kt, "module_sect_attr", &l->attr_size)) ||
	    (err = ktypes_member(kt, "module_sect_attr", "battr.attr.name",
				 &l->attr_name, NULL)))
		return err;
	return ktypes_member(kt, "module_sect_attr", "address",
			     &l->attr_address, NULL);
}

/* M's sections from its sect_attrs (none when the kernel kept none). */
static struct vmc_error *read_sections(struct mwalk *w, struct kmodule *m)
{
	const struct module_layout *l = &w->lay;
	uint64_t attrs, n;
	struct vmc_error *err;

	if ((err = read_ptr(w, m->addr + l->sect_attrs, &attrs)) || !attrs ||
	    (err = vmcore_read_uint(w->vc, attrs + l->nsections, 4, &n)))
		return err;
	if (n > MODULE_SECTIONS_MAX)
		return vmc_error_create(VMC_ERR_FORMAT, "%" PRIu64 " sections, "
					"more than %d", n, MODULE_SECTIONS_MAX);
	m->sections = calloc(n ? n : 1, sizeof(*m->sections));
	if (!m->sections)
		return &vmc_enomem;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t a = attrs + l->attrs + i * l->attr_size, name;
		struct kmodule_section *sec = &m->sections[m->nsections];

		if ((err = read_ptr(w, a + l->attr_name, &name)) ||
		    (err = read_str(w, name, sec->name, sizeof(sec->name))) ||
		    (err = read_ptr(w, a + l->attr_address, &sec->addr)))
			return err;
		m->nsections++;
	}
	return NULL;
}

static struct vmc_error *add_module(struct mwalk *w, uint64_t addr,
				    struct kmodule_list *l)
{
	struct kmodule *m, *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	size_t name_size = w->lay.name_size < sizeof(m->name) ?
			   w->lay.name_size + 1 : sizeof(m->name);
	struct vmc_error *err;

	if (!v)
		return &vmc_enomem;
	l->v = v;
	m = memset(&v[l->n++], 0, sizeof(*m));
	m->addr = addr;
	if ((err = read_str(w, addr + w->lay.name, m->name, name_size)) ||
	    (err = read_ptr(w, addr + w->lay.base, &m->base))) {
		l->n--;		/* not a module we can name */
		return err;
	}
	if ((err = read_sections(w, m)) && err != &vmc_enomem) {
		strbuf_addf(w->warnings, "module %s at 0x%" PRIx64 ": its "
			    "section addresses do not read: %s\n", m->name,
			    addr, err->message);
		vmc_error_destroy(err);
		/* A partial table would place the symbols wrongly. */
		free(m->sections);
		m->sections = NULL;
		m->nsections = 0;
		return NULL;
	}
	return err;
}

static bool seen(const struct kmodule_list *l, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].addr == addr)
			return true;
	return false;
}

struct vmc_error *modules_read(struct vmcore *vc, struct ktypes *kt,
			       const struct vmlinux_info *vi,
			       struct strbuf *warnings,
			       struct kmodule_list *ret)
{
	struct module_layout lay;
	struct vmc_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!vi->have_sym[VSYM_MODULES])
		return vmc_error_create(VMC_ERR_NOT_FOUND, "the vmlinux has no "
					"'modules' symbol");
	if ((err = read_layout(kt, &lay)))
		return err;
	return modules_walk(vc, &lay, vi->sym[VSYM_MODULES] +
			    vmcore_kaslr_offset(vc), warnings, ret);
}

struct vmc_error *modules_walk(struct vmcore *vc,
			       const struct module_layout *lay, uint64_t head,
			       struct strbuf *warnings,
			       struct kmodule_list *ret)
{
	struct mwalk w = { .vc = vc, .arch = vmcore_arch(vc), .lay = *lay,
			   .warnings = warnings };
	uint64_t node;
	struct vmc_error *err;

	memset(ret, 0, sizeof(*ret));
	err = read_ptr(&w, head, &node);
	while (!err && node != head && ret->n < MODULES_MAX) {
		if (node < w.lay.list) {
			err = vmc_error_create(VMC_ERR_FORMAT, "bad pointer "
					       "0x%" PRIx64, node);
			break;
		}
		if (seen(ret, node - w.lay.list)) {
			err = vmc_error_create(VMC_ERR_FORMAT, "the module at "
					       "0x%" PRIx64 " again: a loop",
					       node - w.lay.list);
			break;
		}
		if ((err = add_module(&w, node - w.lay.list, ret)))
			break;
		err = read_ptr(&w, node, &node);
	}
	if (err == &vmc_enomem)
		return err;
	if (err || node != head) {
		strbuf_addf(warnings, "the module list at 0x%" PRIx64 " ends "
			    "after %zu modules: %s\n", head, ret->n,
			    err ? err->message : "too many");
		vmc_error_destroy(err);
	}
	return NULL;
}

void modules_deinit(struct kmodule_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].sections);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
