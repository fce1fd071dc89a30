/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for VMCOREINFO text (vmcoreinfo_parse and the number
 * getters).  Built and run by tests/fuzz/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../libvmcore/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	"OSRELEASE", "PAGESIZE", "KERNELOFFSET", "SYMBOL(swapper_pg_dir)",
	"NUMBER(phys_base)", "NUMBER(pgtable_l5_enabled)", "SYMBOL(_stext)",
	"", "=", "A",
};

static void getters(const struct vmcoreinfo *vi, const char *key)
{
	uint64_t u;
	int64_t d;

	vmc_error_destroy(vmcoreinfo_get_hex(vi, key, &u));
	vmc_error_destroy(vmcoreinfo_get_dec(vi, key, &d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmcoreinfo vi;
	struct vmc_error *err;

	/* An exact-size copy, so reads past SIZE are caught. */
	char *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	err = vmcoreinfo_parse(copy, size, &vi);
	if (err) {
		vmc_error_destroy(err);
		free(copy);
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = vmcoreinfo_get(&vi, keys[i]);

		if (v && strlen(v) > size)
			abort();
		getters(&vi, keys[i]);
	}
	for (size_t i = 0; i < vi.nentries; i++) {
		const char *v = vmcoreinfo_get(&vi, vi.entries[i].key);

		/* The lookup finds an entry with this key (the last one). */
		if (!v || strchr(vi.entries[i].key, '\n') ||
		    strchr(vi.entries[i].key, '=') || !vi.entries[i].key[0])
			abort();
		getters(&vi, vi.entries[i].key);
	}
	vmcoreinfo_deinit(&vi);
	free(copy);
	return 0;
}
