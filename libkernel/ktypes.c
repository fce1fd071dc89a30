/* SPDX-License-Identifier: MIT */
/* Structure layouts from vmlinux DWARF, found lazily (see ktypes.h). */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktypes.h"

/* Structures looked up so far: a handful (task_struct, list_head...). */
#define KTYPES_CACHE 16

struct ktypes_entry {
	char *name;
	Dwarf_Die die;
};

struct ktypes {
	const char *path;
	int fd;
	Dwarf *dwarf;
	struct ktypes_entry cache[KTYPES_CACHE];
	size_t ncache;
};

struct vmc_error *ktypes_open(const char *path, struct ktypes **ret)
{
	struct ktypes *kt = calloc(1, sizeof(*kt));

	if (!kt)
		return &vmc_enomem;
	kt->path = path;
	kt->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (kt->fd < 0) {
		struct vmc_error *err = vmc_error_errno(errno, "--vmlinux %s",
							path);
		free(kt);
		return err;
	}
	kt->dwarf = dwarf_begin(kt->fd, DWARF_C_READ);
	if (!kt->dwarf) {
		ktypes_close(kt);
		return vmc_error_create(VMC_ERR_NOT_FOUND, "--vmlinux %s has "
			"no debug information (%s): tasks need the vmlinux "
			"with DWARF (Debian: linux-image-VERSION-dbg)", path,
			dwarf_errmsg(-1));
	}
	*ret = kt;
	return NULL;
}

void ktypes_close(struct ktypes *kt)
{
	if (!kt)
		return;
	for (size_t i = 0; i < kt->ncache; i++)
		free(kt->cache[i].name);
	if (kt->dwarf)
		dwarf_end(kt->dwarf);
	if (kt->fd >= 0)
		close(kt->fd);
	free(kt);
}

static bool is_struct_named(Dwarf_Die *die, const char *name)
{
	const char *n;

	if (dwarf_tag(die) != DW_TAG_structure_type ||
	    dwarf_hasattr(die, DW_AT_declaration) || !dwarf_haschildren(die))
		return false;
	n = dwarf_diename(die);
	return n && strcmp(n, name) == 0;
}

/* The first definition of struct NAME among the CUs' top-level DIEs. */
static bool scan_cus(Dwarf *dwarf, const char *name, Dwarf_Die *ret)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(dwarf, off + hsize, &cu) &&
		    dwarf_child(&cu, &die) == 0) {
			do {
				if (is_struct_named(&die, name)) {
					*ret = die;
					return true;
				}
			} while (dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
	return false;
}

static struct vmc_error *find_struct(struct ktypes *kt, const char *name,
				     Dwarf_Die *ret)
{
	for (size_t i = 0; i < kt->ncache; i++) {
		if (strcmp(kt->cache[i].name, name) == 0) {
			*ret = kt->cache[i].die;
			return NULL;
		}
	}
	if (!scan_cus(kt->dwarf, name, ret))
		return vmc_error_create(VMC_ERR_NOT_FOUND, "--vmlinux %s: no "
			"struct %s in its debug information", kt->path, name);
	if (kt->ncache < KTYPES_CACHE) {
		kt->cache[kt->ncache].name = strdup(name);
		if (kt->cache[kt->ncache].name)
			kt->cache[kt->ncache++].die = *ret;
	}
	return NULL;
}

/* The type of DIE with typedefs and qualifiers removed. */
static bool real_type(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Die t = *die;

	for (int depth = 0; depth < 16; depth++) {
		if (!dwarf_attr_integrate(&t, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, &t))
			return false;
		switch (dwarf_tag(&t)) {
		case DW_TAG_typedef: case DW_TAG_const_type:
		case DW_TAG_volatile_type: case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
			continue;
		default:
			*ret = t;
			return true;
		}
	}
	return false;
}

static uint64_t member_location(Dwarf_Die *m)
{
	Dwarf_Attribute attr;
	Dwarf_Word off = 0;

	/* Union members have none: they are at 0. */
	if (dwarf_attr(m, DW_AT_data_member_location, &attr))
		dwarf_formudata(&attr, &off);
	return off;
}

/* Member NAME (LEN bytes) of the struct or union AGG, also inside its
 * anonymous members; *OFF_RET is added to. */
static bool find_member(Dwarf_Die *agg, const char *name, size_t len,
			Dwarf_Die *ret, uint64_t *off_ret)
{
	Dwarf_Die m, sub;

	if (dwarf_child(agg, &m) != 0)
		return false;
	do {
		const char *n;

		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		n = dwarf_diename(&m);
		if (n && strlen(n) == len && strncmp(n, name, len) == 0) {
			*ret = m;
			*off_ret += member_location(&m);
			return true;
		}
		if (!n && real_type(&m, &sub) &&
		    find_member(&sub, name, len, ret, off_ret)) {
			*off_ret += member_location(&m);
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

struct vmc_error *ktypes_member(struct ktypes *kt, const char *type,
				const char *member, uint64_t *offset_ret,
				uint64_t *size_ret)
{
	Dwarf_Die agg, m, t;
	uint64_t off = 0;
	Dwarf_Word size;
	struct vmc_error *err = find_struct(kt, type, &agg);

	if (err)
		return err;
	for (const char *p = member; ; ) {
		size_t len = strcspn(p, ".");

		if (!find_member(&agg, p, len, &m, &off))
			return vmc_error_create(VMC_ERR_NOT_FOUND, "--vmlinux "
				"%s: struct %s has no member %s", kt->path,
				type, member);
		if (!p[len])
			break;
		if (!real_type(&m, &agg))
			return vmc_error_create(VMC_ERR_FORMAT, "--vmlinux %s: "
				"struct %s: no type for %.*s", kt->path, type,
				(int)len, p);
		p += len + 1;
	}
	if (!real_type(&m, &t) || dwarf_aggregate_size(&t, &size) != 0)
		size = 0;
	*offset_ret = off;
	if (size_ret)
		*size_ret = size;
	return NULL;
}

struct vmc_error *ktypes_sizeof(struct ktypes *kt, const char *type,
				uint64_t *ret)
{
	Dwarf_Die agg;
	Dwarf_Word size;
	struct vmc_error *err = find_struct(kt, type, &agg);

	if (err)
		return err;
	if (dwarf_aggregate_size(&agg, &size) != 0)
		return vmc_error_create(VMC_ERR_FORMAT, "--vmlinux %s: no size "
					"for struct %s", kt->path, type);
	*ret = size;
	return NULL;
}
