/* SPDX-License-Identifier: MIT */
/*
 * load --kexec-load: the classic path, where user space builds the ELF
 * core header itself.  What is here: the inputs (crash memory from
 * /proc/iomem, per-CPU crash notes and VMCOREINFO from sysfs, the x86_64
 * linear map and kernel text from /proc/kcore), the header in either class,
 * and --dry-run's report.  Booting the capture kernel this way (bzImage
 * setup, our own purgatory, kexec_load(2)) is not done yet, and the
 * command says so instead of pretending.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "corehdr.h"
#include "iomem.h"
#include "loader.h"

struct core_inputs {
	struct iomem io;
	struct core_range *ram;
	size_t nram;
	struct core_note *notes;
	size_t nnotes;
	struct core_note vmcoreinfo;
};

static void core_inputs_free(struct core_inputs *in)
{
	iomem_free(&in->io);
	free(in->ram);
	free(in->notes);
}

static struct vmc_error *read_u64(const char *path, int base, uint64_t *ret)
{
	char *text, *end;
	struct vmc_error *err = read_text(path, &text);

	if (err)
		return err;
	*ret = strtoull(text, &end, base);
	if (end == text || (*end && *end != '\n'))
		err = vmc_error_create(VMC_ERR_FORMAT, "%s: '%s' is not a "
				       "number", path, text);
	free(text);
	return err;
}

static int by_cpu(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* cpuN/crash_notes (hex physical address) and crash_notes_size, for every
 * CPU that has them (possible CPUs), in CPU order. */
static struct vmc_error *read_cpu_notes(const struct sysfiles *f,
					struct core_inputs *in)
{
	DIR *d = opendir(f->cpu_dir);
	struct dirent *e;
	char *names[4096];
	size_t n = 0;
	struct vmc_error *err = NULL;

	if (!d)
		return vmc_error_errno(errno, "%s", f->cpu_dir);
	while ((e = readdir(d)) && n < 4096) {
		if (!strncmp(e->d_name, "cpu", 3) && e->d_name[3] >= '0' &&
		    e->d_name[3] <= '9' && strspn(e->d_name + 3, "0123456789") ==
		    strlen(e->d_name + 3))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_cpu);
	in->notes = calloc(n ? n : 1, sizeof(*in->notes));
	if (!in->notes)
		err = &vmc_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		char *p = NULL, *q = NULL;
		struct core_note note;

		if (!names[i] ||
		    asprintf(&p, "%s/%s/crash_notes", f->cpu_dir, names[i]) < 0 ||
		    asprintf(&q, "%s/%s/crash_notes_size", f->cpu_dir,
			     names[i]) < 0) {
			err = &vmc_enomem;
		} else if (access(p, R_OK) == 0) {
			if (!(err = read_u64(p, 16, &note.paddr)) &&
			    !(err = read_u64(q, 10, &note.size)))
				in->notes[in->nnotes++] = note;
		}
		free(p);
		free(q);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (!err && in->nnotes == 0)
		err = vmc_error_create(VMC_ERR_NOT_FOUND, "no CPU in %s has "
			"crash_notes (kernel without CONFIG_CRASH_DUMP?)",
			f->cpu_dir);
	return err;
}

/* /sys/kernel/vmcoreinfo: "PADDR SIZE", both hex. */
static struct vmc_error *read_vmcoreinfo(const struct sysfiles *f,
					 struct core_note *ret)
{
	char *text;
	struct vmc_error *err = read_text(f->vmcoreinfo, &text);
	unsigned long long a, s;

	if (err)
		return err;
	if (sscanf(text, "%llx %llx", &a, &s) != 2 || !s)
		err = vmc_error_create(VMC_ERR_FORMAT, "%s: '%s' is not "
				       "\"ADDRESS SIZE\"", f->vmcoreinfo, text);
	else
		*ret = (struct core_note){ a, s };
	free(text);
	return err;
}

/*
 * From /proc/kcore's program headers, where only the RAM and the kernel
 * text PT_LOADs carry a physical address: the linear map's start is the
 * smallest p_vaddr - p_paddr among them (every RAM one has it), and when
 * WANT_TEXT the kernel image mapping is the one PT_LOAD with a larger
 * offset (x86_64 __START_KERNEL_map, arm64 KIMAGE_VADDR: kexec-tools puts
 * it in the header too).
 */
static struct vmc_error *read_kcore(const char *path, bool want_text,
				    struct corehdr_spec *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e = NULL;
	size_t n = 0;
	bool have_map = false;
	GElf_Phdr text = { 0 };
	struct vmc_error *err = NULL;

	if (fd < 0)
		return vmc_error_errno(errno, "%s (needed for the linear map's "
				       "address; are you root?)", path);
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(fd, ELF_C_READ, NULL)) || elf_getphdrnum(e, &n))
		err = vmc_error_create(VMC_ERR_FORMAT, "%s: %s", path,
				       elf_errmsg(-1));
	for (size_t i = 0; !err && i < n; i++) {
		GElf_Phdr ph;
		uint64_t off;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_paddr == UINT64_MAX || ph.p_vaddr <= ph.p_paddr)
			continue;
		off = ph.p_vaddr - ph.p_paddr;
		if (!have_map || off < s->page_offset) {
			s->page_offset = off;
			have_map = true;
		}
		if (!text.p_memsz || off > text.p_vaddr - text.p_paddr)
			text = ph;
	}
	if (!err && !have_map)
		err = vmc_error_create(VMC_ERR_NOT_FOUND, "%s has no direct-map "
				       "segment", path);
	if (!err && want_text) {
		if (text.p_vaddr - text.p_paddr == s->page_offset)
			err = vmc_error_create(VMC_ERR_NOT_FOUND, "%s has no "
					       "kernel text segment", path);
		s->text = true;
		s->text_vaddr = text.p_vaddr;
		s->text_paddr = text.p_paddr;
		s->text_size = text.p_memsz;
	}
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

static struct vmc_error *gather(const struct arch *a, const struct sysfiles *f,
				struct core_inputs *in, struct corehdr_spec *s)
{
	struct vmc_error *err;
	char *text = NULL;

	memset(in, 0, sizeof(*in));
	if ((err = read_text(f->iomem, &text)) ||
	    (err = iomem_parse(text, &in->io)) ||
	    (err = corehdr_crash_ranges(&in->io, &in->ram, &in->nram)) ||
	    (err = read_cpu_notes(f, in)) ||
	    (err = read_vmcoreinfo(f, &in->vmcoreinfo))) {
		free(text);
		return err;
	}
	free(text);
	s->machine = a->e_machine;
	s->page_offset = a->kdump.page_offset;
	s->lowmem_limit = a->kdump.lowmem_limit;
	s->ram = in->ram;
	s->nram = in->nram;
	s->notes = in->notes;
	s->nnotes = in->nnotes;
	s->vmcoreinfo = in->vmcoreinfo;
	if (a->kdump.text_segment || !a->kdump.page_offset)
		return read_kcore(f->kcore, a->kdump.text_segment, s);
	return NULL;
}

/* What the header holds, read back from its bytes: what is printed is
 * what was built. */
static void report(const struct corehdr_spec *s, uint8_t *hdr, size_t len)
{
	uint64_t total = 0, none = s->elfclass == 32 ? UINT32_MAX : UINT64_MAX;
	Elf *e;
	size_t n = 0, note = 0;
	bool text = s->text;

	for (size_t i = 0; i < s->nram; i++)
		total += s->ram[i].end - s->ram[i].start;
	printf("core header  ELF%u, %zu bytes: %zu PT_NOTE (%zu CPU%s%s), "
	       "PT_LOADs for %" PRIu64 " MiB of crash memory%s\n",
	       s->elfclass, len, s->nnotes + (s->vmcoreinfo.size > 0),
	       s->nnotes, s->nnotes == 1 ? "" : "s",
	       s->vmcoreinfo.size ? " + VMCOREINFO" : "", total >> 20,
	       s->text ? " + the kernel text" : "");
	elf_version(EV_CURRENT);
	if (!(e = elf_memory((char *)hdr, len)) || elf_getphdrnum(e, &n))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			continue;
		if (ph.p_type == PT_NOTE && note < s->nnotes)
			printf("  note       cpu%zu crash notes at 0x%" PRIx64
			       ", %" PRIu64 " bytes\n", note++, ph.p_paddr,
			       ph.p_filesz);
		else if (ph.p_type == PT_NOTE)
			printf("  note       VMCOREINFO at 0x%" PRIx64 ", %"
			       PRIu64 " bytes\n", ph.p_paddr, ph.p_filesz);
		else if (text && !(text = false))
			printf("  load       kernel text 0x%" PRIx64 "-0x%" PRIx64
			       " at 0x%" PRIx64 "\n", ph.p_paddr,
			       ph.p_paddr + ph.p_memsz - 1, ph.p_vaddr);
		else if (ph.p_vaddr == none)
			printf("  load       RAM 0x%" PRIx64 "-0x%" PRIx64
			       " (highmem: no virtual address)\n", ph.p_paddr,
			       ph.p_paddr + ph.p_memsz - 1);
		else
			printf("  load       RAM 0x%" PRIx64 "-0x%" PRIx64
			       " at 0x%" PRIx64 "\n", ph.p_paddr,
			       ph.p_paddr + ph.p_memsz - 1, ph.p_vaddr);
	}
	if (e)
		elf_end(e);
}

int cmd_kexec_load_run(const struct arch *a, const struct sysfiles *f,
		       const struct load_opts *o)
{
	struct core_inputs in;
	struct corehdr_spec s = { 0 };
	struct vmc_error *err;
	uint8_t *hdr = NULL;
	size_t len = 0;
	bool all_low = true;

	if (!a) {
		fprintf(stderr, "vmcore-loader: this machine's architecture is "
			"not known to the loader\n");
		return 1;
	}
	if ((err = gather(a, f, &in, &s)))
		goto fail;
	for (size_t i = 0; i < s.nram; i++)
		all_low &= s.ram[i].end <= UINT64_C(1) << 32;
	/* ELF32 by default for a 32-bit kernel whose RAM is all below 4 GiB. */
	s.elfclass = o->core_class ? o->core_class :
		     a->word_size == 4 && all_low ? 32 : 64;
	if ((err = corehdr_build(&s, &hdr, &len)))
		goto fail;
	report(&s, hdr, len);
	free(hdr);
	core_inputs_free(&in);
	if (o->dry_run)
		return 0;
	fprintf(stderr, "vmcore-loader: --kexec-load builds the core header "
		"above but cannot boot a capture kernel yet (bzImage setup and "
		"a purgatory of our own are not done); nothing was loaded\n");
	return 1;
fail:
	fprintf(stderr, "vmcore-loader: --kexec-load: %s\n", err->message);
	vmc_error_destroy(err);
	core_inputs_free(&in);
	return 1;
}
