/* SPDX-License-Identifier: MIT */
/*
 * The dumped kernel's utsname (uname -a of the crashed machine), read from
 * init_uts_ns through VMCOREINFO: SYMBOL(init_uts_ns) and, when the kernel
 * exports it, OFFSET(uts_namespace.name).  Older kernels put a kref (4
 * bytes, padded to 8 on some) before the name and do not export the
 * offset: then the candidates are tried and the one whose sysname reads
 * "Linux" wins, so a wrong guess is never returned.
 */
#include <inttypes.h>
#include <string.h>

#include "internal.h"
#include "vmcore.h"

#define UTS_FIELD 65	/* __NEW_UTS_LEN + 1 */

static void field(char *dst, const char *src)
{
	size_t n = strnlen(src, UTS_FIELD - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool try_at(struct vmcore *vc, uint64_t addr, struct vmc_utsname *u)
{
	char raw[6 * UTS_FIELD];
	struct vmc_error *err = vmcore_read_virt(vc, addr, raw, sizeof(raw),
						 NULL);

	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	if (memcmp(raw, "Linux", 6) != 0)
		return false;
	field(u->sysname, raw);
	field(u->nodename, raw + UTS_FIELD);
	field(u->release, raw + 2 * UTS_FIELD);
	field(u->version, raw + 3 * UTS_FIELD);
	field(u->machine, raw + 4 * UTS_FIELD);
	field(u->domainname, raw + 5 * UTS_FIELD);
	return true;
}

struct vmc_error *vmcore_utsname(struct vmcore *vc, struct vmc_utsname *u)
{
	static const int64_t guesses[] = { 0, 4, 8 };
	uint64_t sym;
	int64_t off;
	struct vmc_error *err = vmcore_vmcoreinfo_hex(vc, "SYMBOL(init_uts_ns)",
						      &sym);

	memset(u, 0, sizeof(*u));
	if (err)
		return vmc_error_prefix(err, "no utsname: ");
	err = vmcore_vmcoreinfo_dec(vc, "OFFSET(uts_namespace.name)", &off);
	if (!err) {
		if (off >= 0 && off < 4096 && try_at(vc, sym + (uint64_t)off, u))
			return NULL;
	} else {
		vmc_error_destroy(err);
		for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++)
			if (try_at(vc, sym + (uint64_t)guesses[i], u))
				return NULL;
	}
	return vmc_error_create(VMC_ERR_NOT_FOUND, "no utsname: init_uts_ns "
		"at 0x%" PRIx64 " does not read as one", sym);
}
