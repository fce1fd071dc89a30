/* SPDX-License-Identifier: MIT */
/* elfconv --info: what a user wants to know before converting a dump. */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../arch/arch.h"
#include "../libvmcore/vmcore.h"
#include "convert.h"

#define MAX_LISTED 16

static void human(FILE *out, uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	fprintf(out, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void info_segments(struct vmcore *vc, FILE *out)
{
	size_t n = vmcore_num_segments(vc);
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += vmcore_segment(vc, i)->memsz;
	fprintf(out, "segments     %zu, ", n);
	human(out, total);
	fputs(" of memory\n", out);
	for (size_t i = 0; i < n && i < MAX_LISTED; i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		fprintf(out, "  %4zu  phys 0x%09" PRIx64 "-0x%09" PRIx64
			"  virt 0x%016" PRIx64 "  ", i, s->paddr,
			s->paddr + s->memsz, s->vaddr);
		human(out, s->memsz);
		if (s->avail < s->filesz)
			fprintf(out, "  (truncated: %" PRIu64 " of %" PRIu64
				" bytes in the file)", s->avail, s->filesz);
		fputc('\n', out);
	}
	if (n > MAX_LISTED)
		fprintf(out, "  ... and %zu more\n", n - MAX_LISTED);
}

static const char *note_type(const struct vmc_note *n)
{
	if (strcmp(n->name, "CORE") == 0) {
		switch (n->type) {
		case NT_PRSTATUS: return "NT_PRSTATUS";
		case NT_PRFPREG: return "NT_PRFPREG";
		case NT_PRPSINFO: return "NT_PRPSINFO";
		case NT_TASKSTRUCT: return "NT_TASKSTRUCT";
		case NT_AUXV: return "NT_AUXV";
		}
	}
	if (strcmp(n->name, "VMCOREINFO") == 0)
		return "VMCOREINFO";
	if (strcmp(n->name, "QEMU") == 0)
		return "QEMU CPU state";
	return NULL;
}

static void info_notes(struct vmcore *vc, FILE *out)
{
	size_t n = vmcore_num_notes(vc);

	fprintf(out, "notes        %zu (%zu CPUs)\n", n, vmcore_num_cpus(vc));
	for (size_t i = 0; i < n && i < MAX_LISTED; i++) {
		const struct vmc_note *note = vmcore_note(vc, i);
		const char *t = note_type(note);

		fprintf(out, "  %4zu  %-10s type %-5" PRIu32 " %5zu bytes%s%s\n",
			i, note->name, note->type, note->descsz, t ? "  " : "",
			t ? t : "");
	}
	if (n > MAX_LISTED)
		fprintf(out, "  ... and %zu more\n", n - MAX_LISTED);
}

static void info_vmcoreinfo(struct vmcore *vc, FILE *out)
{
	static const char *const keys[] = {
		"OSRELEASE", "BUILD-ID", "PAGESIZE", "KERNELOFFSET",
		"NUMBER(phys_base)", "NUMBER(VA_BITS)", "NUMBER(pgtable_l5_enabled)",
		"CONFIG_X86_PAE", "NUMBER(KERNELPACMASK)",
	};
	uint64_t paddr = 0;
	const char *text = vmcore_vmcoreinfo_text(vc, &paddr);
	const char *crash = vmcore_vmcoreinfo(vc, "CRASHTIME");

	if (!text) {
		fputs("vmcoreinfo   none (no note, none found in memory)\n", out);
		return;
	}
	if (paddr)
		fprintf(out, "vmcoreinfo   %zu bytes, no note: found in memory "
			"at physical 0x%" PRIx64 "\n", strlen(text), paddr);
	else
		fprintf(out, "vmcoreinfo   %zu bytes\n", strlen(text));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = vmcore_vmcoreinfo(vc, keys[i]);

		if (v)
			fprintf(out, "  %-26s %s\n", keys[i], v);
	}
	if (crash) {
		time_t t = (time_t)strtoll(crash, NULL, 10);
		char when[64] = "?";
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
				 &tm);
		fprintf(out, "  %-26s %s (%s)\n", "CRASHTIME", crash, when);
	}
}

/* What elfconv would write with the default options. */
static void info_plan(struct vmcore *vc, FILE *out)
{
	struct plan_opts o = { .elfclass = CLASS_AUTO };
	struct plan p;
	struct vmc_error *err = plan_make(vc, &o, &p);

	if (err) {
		fprintf(out, "conversion   not with the defaults: %s\n",
			err->message);
		vmc_error_destroy(err);
	} else {
		fprintf(out, "conversion   elfconv would write ELF%d with %zu "
			"PT_LOAD, %" PRIu64 " bytes (sparse)\n",
			p.elfclass == ELFCLASS32 ? 32 : 64, p.nsegs, p.file_size);
	}
	plan_free(&p);
}

void print_info(struct vmcore *vc, FILE *out)
{
	const struct arch *a = vmcore_arch(vc);
	const char *rel = vmcore_vmcoreinfo(vc, "OSRELEASE");

	fprintf(out, "file         %s\n", vmcore_path(vc));
	fprintf(out, "format       %s, ", vmcore_format(vc));
	human(out, vmcore_file_size(vc));
	if (vmcore_flat_records(vc))
		fprintf(out, " (makedumpfile flattened stream, %zu records)",
			vmcore_flat_records(vc));
	fprintf(out, "\nmachine      %s (e_machine %u), %u-bit, %s-endian\n",
		a->name, a->e_machine, a->word_size * 8,
		a->big_endian ? "big" : "little");
	fprintf(out, "release      %s\n", rel ? rel : "unknown");
	if (vmcore_dump_level(vc) >= 0)
		fprintf(out, "filtered     dump level %d, %" PRIu64 " pages "
			"excluded\n", vmcore_dump_level(vc),
			vmcore_excluded_pages(vc));
	info_segments(vc, out);
	info_notes(vc, out);
	info_vmcoreinfo(vc, out);
	info_plan(vc, out);
	for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
		fprintf(out, "warning      %s\n", vmcore_warning(vc, i));
}
