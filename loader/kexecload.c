/* SPDX-License-Identifier: MIT */
/*
 * load --kexec-load: the classic path, where user space builds the ELF
 * core header itself.  What is here: the inputs (crash memory from
 * /proc/iomem, per-CPU crash notes and VMCOREINFO from sysfs, the x86_64
 * linear map and kernel text from /proc/kcore), the header in either class,
 * the header in either class; then, for x86, the capture kernel's
 * segments (bzImage kernel, initrd, boot_params + command line, our
 * purgatory, the core header) laid out in the crash reservation, their
 * SHA-256 stored in the purgatory, and kexec_load(2) with KEXEC_ON_CRASH.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "bzimage.h"
#include "cmdline.h"
#include "corehdr.h"
#include "purgatory/purgatory.h"
#include "sha256.h"
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

#ifndef KEXEC_ON_CRASH
#define KEXEC_ON_CRASH		0x00000001
#endif
#define KEXEC_ARCH_386_FLAG	(3u << 16)
#define KEXEC_ARCH_X86_64_FLAG	(62u << 16)
#define SEG_MAX 16
#define PAGE 4096u

extern const uint8_t purgatory_image[];
extern const uint32_t purgatory_image_size;

struct kexec_segment {
	const void *buf;
	size_t bufsz;
	const void *mem;
	size_t memsz;
};

struct seg {
	const char *what;
	const uint8_t *buf;
	size_t bufsz;
	uint64_t mem, memsz;
};

/* Everything a load is made of; one free for all. */
struct boot_image {
	uint8_t *kernel, *initrd, *hdr, *purg, *running;
	size_t kernel_size, initrd_size, hdr_len;
	uint8_t zp[BOOT_PARAMS_SIZE + PAGE];	/* boot_params + command line */
	char *cmd;
	struct bzimage bz;
	struct seg seg[SEG_MAX];
	size_t nseg;
	uint64_t entry, crash_start, crash_end;	/* end exclusive */
	struct e820_entry e820[E820_MAX];
	size_t ne820;
};

static void boot_image_free(struct boot_image *b)
{
	free(b->kernel);
	free(b->initrd);
	free(b->hdr);
	free(b->purg);
	free(b->running);
	free(b->cmd);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static struct vmc_error *slurp(const char *path, uint8_t **ret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct vmc_error *err = NULL;
	size_t done = 0;

	*ret = NULL;
	if (fd < 0)
		return vmc_error_errno(errno, "%s", path);
	if (fstat(fd, &st) || !(*ret = malloc(st.st_size ? st.st_size : 1))) {
		close(fd);
		return vmc_error_errno(errno ? errno : ENOMEM, "%s", path);
	}
	while (done < (size_t)st.st_size && !err) {
		ssize_t n = read(fd, *ret + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = vmc_error_errno(n ? errno : EIO, "reading %s",
					      path);
		else
			done += n;
	}
	close(fd);
	*len = done;
	return err;
}

/* The largest "Crash kernel" range: where every segment must go. */
static struct vmc_error *crash_range(const struct iomem *io,
				     struct boot_image *b)
{
	const struct iomem_range *r, *best = NULL;

	for (size_t i = 0; (r = iomem_find(io, "Crash kernel", i)); i++)
		if (!best || r->end - r->start > best->end - best->start)
			best = r;
	if (!best)
		return vmc_error_create(VMC_ERR_NOT_FOUND, "no memory is "
			"reserved for a crash kernel (no \"Crash kernel\" in "
			"/proc/iomem): add crashkernel= to the kernel command "
			"line and reboot");
	if (io->zeroed)
		return vmc_error_create(VMC_ERR_INVALID, "/proc/iomem shows "
					"no addresses: run as root");
	b->crash_start = best->start;
	b->crash_end = best->end + 1;
	return NULL;
}

static void e820_add(struct boot_image *b, uint64_t start, uint64_t end,
		     uint32_t type)
{
	if (end > start && b->ne820 < E820_MAX)
		b->e820[b->ne820++] = (struct e820_entry){ start, end - start,
							   type };
}

static int by_addr(const void *x, const void *y)
{
	const struct e820_entry *a = x, *c = y;

	return a->addr < c->addr ? -1 : a->addr > c->addr;
}

/*
 * The capture kernel's memory map, as the kernel's own kexec_file_load
 * makes it: RAM below 1 MiB (which the crashed kernel never used with
 * crashkernel= set) and the crash reservation minus the core header;
 * ACPI tables, ACPI NVS and reserved ranges as they are, so the capture
 * kernel finds its firmware tables.
 */
static void build_e820(const struct iomem *io, struct boot_image *b,
		       uint64_t hdr_start, uint64_t hdr_end)
{
	static const struct { const char *name; uint32_t type; } keep[] = {
		{ "ACPI Tables", E820_ACPI },
		{ "ACPI Non-volatile Storage", E820_NVS },
		{ "Reserved", E820_RESERVED },
	};

	b->ne820 = 0;
	for (size_t i = 0; i < io->n; i++) {
		const struct iomem_range *r = &io->r[i];

		if (r->depth)
			continue;
		if (!strcmp(r->name, "System RAM") && r->start < (1u << 20))
			e820_add(b, r->start, r->end + 1 < (1u << 20) ?
				 r->end + 1 : (1u << 20), E820_RAM);
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (!strcmp(r->name, keep[k].name))
				e820_add(b, r->start, r->end + 1, keep[k].type);
	}
	e820_add(b, b->crash_start, hdr_start, E820_RAM);
	e820_add(b, hdr_end, b->crash_end, E820_RAM);
	qsort(b->e820, b->ne820, sizeof(b->e820[0]), by_addr);
}

static void add_seg(struct boot_image *b, const char *what, const void *buf,
		    size_t len, uint64_t mem)
{
	b->seg[b->nseg++] = (struct seg){ what, buf, len, mem,
					  align_up(len, PAGE) };
}

/* The purgatory's copy, its parameters filled in: kernel entry, boot_params
 * and the SHA-256 of every other segment. */
static struct vmc_error *fill_purgatory(struct boot_image *b, uint64_t zp,
					uint64_t at)
{
	struct purgatory_header h;
	struct purgatory_params p = { 0 };
	struct sha256 s;

	if (purgatory_image_size < sizeof(h))
		return vmc_error_create(VMC_ERR_UNSUPPORTED, "this loader was "
			"built without a purgatory for this architecture");
	memcpy(&h, purgatory_image, sizeof(h));
	if (memcmp(h.magic, PURGATORY_MAGIC, 8) ||
	    h.params + sizeof(p) > purgatory_image_size)
		return vmc_error_create(VMC_ERR_FORMAT, "the built-in "
					"purgatory image is damaged");
	if (!(b->purg = malloc(purgatory_image_size)))
		return &vmc_enomem;
	memcpy(b->purg, purgatory_image, purgatory_image_size);
	p.kernel_entry = b->entry;
	p.boot_params = zp;
	sha256_init(&s);
	for (size_t i = 0; i < b->nseg; i++) {
		sha256_update(&s, b->seg[i].buf, b->seg[i].bufsz);
		sha256_zeros(&s, b->seg[i].memsz - b->seg[i].bufsz);
		p.regions[p.nregions++] = (struct purgatory_region){
			b->seg[i].mem, b->seg[i].memsz };
	}
	sha256_final(&s, p.digest);
	if (getenv("VMCORE_LOADER_TEST_BAD_DIGEST"))
		p.digest[0] ^= 1;	/* tests: the purgatory must refuse */
	memcpy(b->purg + h.params, &p, sizeof(p));
	b->entry = at + h.entry;
	add_seg(b, "purgatory", b->purg, purgatory_image_size, at);
	return NULL;
}

/*
 * Lay the segments out, bottom up from the reservation's start: the
 * kernel at its alignment with init_size bytes for it to decompress into,
 * the initrd, boot_params + command line, the purgatory; the core header
 * at the top, kept out of the capture kernel's memory map.
 */
static struct vmc_error *layout(const struct arch *a, const struct iomem *io,
				struct boot_image *b, const char *running)
{
	uint64_t k = align_up(b->crash_start, b->bz.kernel_alignment);
	size_t ksize = b->bz.size - b->bz.setup_size;
	uint64_t at = k + align_up(ksize > b->bz.init_size ? ksize :
				   b->bz.init_size, PAGE);
	uint64_t hdr_at = (b->crash_end - align_up(b->hdr_len, PAGE)) &
			  ~(uint64_t)(PAGE - 1);
	uint64_t initrd_at = at, zp_at;
	struct vmc_error *err;
	char *cmd = NULL;
	struct boot_setup bs;

	b->nseg = 0;
	add_seg(b, "kernel", b->bz.data + b->bz.setup_size, ksize, k);
	b->entry = k + (b->bz.entry64 && a->e_machine == EM_X86_64 ?
			0x200 : 0);
	if (b->initrd) {
		add_seg(b, "initrd", b->initrd, b->initrd_size, initrd_at);
		at += align_up(b->initrd_size, PAGE);
		if (at > (uint64_t)b->bz.initrd_addr_max + 1)
			return vmc_error_create(VMC_ERR_INVALID, "the initrd "
				"would end at 0x%" PRIx64 ", above the kernel's "
				"initrd_addr_max 0x%x", at,
				b->bz.initrd_addr_max);
	}
	zp_at = at;
	at += sizeof(b->zp);
	if (asprintf(&cmd, "%s elfcorehdr=%" PRIu64 "K", running,
		     hdr_at >> 10) < 0)
		return &vmc_enomem;
	b->cmd = cmd;
	if (strlen(cmd) + 1 > PAGE || (b->bz.cmdline_size &&
				       strlen(cmd) > b->bz.cmdline_size)) {
		return vmc_error_create(VMC_ERR_INVALID, "the capture command "
			"line is %zu bytes, more than the kernel takes (%u)",
			strlen(cmd), b->bz.cmdline_size);
	}
	build_e820(io, b, hdr_at, b->crash_end);
	bs = (struct boot_setup){ zp_at + BOOT_PARAMS_SIZE, initrd_at,
				  b->initrd ? b->initrd_size : 0, b->e820,
				  b->ne820, b->running };
	bzimage_boot_params(&b->bz, &bs, b->zp);
	memcpy(b->zp + BOOT_PARAMS_SIZE, cmd, strlen(cmd) + 1);
	add_seg(b, "boot_params + command line", b->zp, sizeof(b->zp), zp_at);
	add_seg(b, "core header", b->hdr, b->hdr_len, hdr_at);
	if ((err = fill_purgatory(b, zp_at, at)))
		return err;
	at += align_up(purgatory_image_size, PAGE);
	if (at > hdr_at)
		return vmc_error_create(VMC_ERR_INVALID, "the capture kernel "
			"does not fit in the %" PRIu64 " MiB reserved at 0x%"
			PRIx64 ": the kernel needs %" PRIu64 " MiB (its "
			"init_size), the initrd %zu MiB, the rest %" PRIu64
			" KiB; reserve more (crashkernel=) or use a smaller "
			"initrd", (b->crash_end - b->crash_start) >> 20,
			b->crash_start, align_up(b->bz.init_size, 1 << 20) >> 20,
			b->initrd_size >> 20,
			(uint64_t)(sizeof(b->zp) + purgatory_image_size +
				   b->hdr_len) >> 10);
	return NULL;
}

const char *kexec_load_hint(int e)
{
	switch (e) {
	case EADDRNOTAVAIL:
		return "a segment lies outside the memory reserved for the "
		       "crash kernel (the reservation changed since "
		       "/proc/iomem was read?)";
	case EBUSY:
		return "another kexec load is in progress (the kexec lock is "
		       "held): try again";
	case EINVAL:
		return "the kernel rejected the segment list (overlapping or "
		       "unaligned segments, or an architecture flag this "
		       "kernel does not take): see dmesg";
	case EPERM:
		return geteuid() ? "loading a crash kernel needs root "
		       "(CAP_SYS_BOOT)" : "the kernel refused (kernel "
		       "lockdown forbids kexec_load, or "
		       "kernel.kexec_load_disabled=1)";
	case ENOSYS:
		return "this kernel was built without kexec_load "
		       "(CONFIG_KEXEC)";
	case ENOMEM:
		return "the kernel could not allocate the image's pages in the "
		       "reservation";
	default:
		return NULL;
	}
}

static void print_segments(const struct boot_image *b)
{
	for (size_t i = 0; i < b->nseg; i++)
		printf("segment      0x%08" PRIx64 "-0x%08" PRIx64 " %8zu bytes"
		       "  %s\n", b->seg[i].mem, b->seg[i].mem + b->seg[i].memsz
		       - 1, b->seg[i].bufsz, b->seg[i].what);
	printf("entry        0x%08" PRIx64 " (purgatory; kernel at 0x%"
	       PRIx64 ", %s entry)\n", b->entry, b->seg[0].mem,
	       b->bz.entry64 ? "64-bit" : "32-bit");
	for (size_t i = 0; i < b->ne820; i++)
		printf("e820         0x%08" PRIx64 "-0x%08" PRIx64 " %s\n",
		       b->e820[i].addr, b->e820[i].addr + b->e820[i].size - 1,
		       b->e820[i].type == E820_RAM ? "usable" :
		       b->e820[i].type == E820_ACPI ? "ACPI data" :
		       b->e820[i].type == E820_NVS ? "ACPI NVS" : "reserved");
	printf("command line %s\n", b->cmd);
}

static long sys_kexec_load(uint64_t entry, size_t n,
			   const struct kexec_segment *segs, unsigned long fl)
{
#ifdef SYS_kexec_load
	return syscall(SYS_kexec_load, (unsigned long)entry, n, segs, fl);
#else
	(void)entry, (void)n, (void)segs, (void)fl;
	errno = ENOSYS;
	return -1;
#endif
}

static struct vmc_error *do_load(const struct arch *a, struct boot_image *b)
{
	struct kexec_segment ks[SEG_MAX];
	unsigned long flags = KEXEC_ON_CRASH | (a->e_machine == EM_X86_64 ?
		KEXEC_ARCH_X86_64_FLAG : KEXEC_ARCH_386_FLAG);

	for (size_t i = 0; i < b->nseg; i++)
		ks[i] = (struct kexec_segment){ b->seg[i].buf, b->seg[i].bufsz,
			(const void *)(uintptr_t)b->seg[i].mem,
			(size_t)b->seg[i].memsz };
	if (sys_kexec_load(b->entry, b->nseg, ks, flags) < 0) {
		int e = errno;
		const char *h = kexec_load_hint(e);

		return vmc_error_create(VMC_ERR_OS, "kexec_load: %s%s%s",
					strerror(e), h ? ": " : "", h ? h : "");
	}
	return NULL;
}

/* Kernel, initrd and the capture command line (without elfcorehdr=). */
static struct vmc_error *read_boot_files(const struct arch *a,
					 const struct sysfiles *f,
					 const struct load_opts *o,
					 struct boot_image *b, char **cmd)
{
	char kbuf[300], ibuf[300], *running = NULL;
	const char *kernel, *initrd;
	struct vmc_error *err;
	size_t n;

	load_default_paths(o, kbuf, ibuf, sizeof(kbuf), &kernel, &initrd);
	if ((err = slurp(kernel, &b->kernel, &b->kernel_size)) ||
	    (err = bzimage_parse(kernel, b->kernel, b->kernel_size, &b->bz)) ||
	    (initrd && (err = slurp(initrd, &b->initrd, &b->initrd_size))))
		return err;
	/* The running kernel's own boot_params, for console and firmware
	 * fields; optional (not every x86 kernel exports it). */
	if (slurp("/sys/kernel/boot_params/data", &b->running, &n) ||
	    n < BOOT_PARAMS_SIZE) {
		free(b->running);
		b->running = NULL;
	}
	if (o->command_line)
		return (*cmd = strdup(o->command_line)) ? NULL : &vmc_enomem;
	if ((err = read_text(f->cmdline, &running)))
		return err;
	err = capture_cmdline(running, a->kdump.capture_cmdline, o->append,
			      cmd);
	free(running);
	return err;
}

int cmd_kexec_load_run(const struct arch *a, const struct sysfiles *f,
		       const struct load_opts *o)
{
	struct core_inputs in;
	struct corehdr_spec s = { 0 };
	struct boot_image b;
	struct vmc_error *err;
	char *cmd = NULL;
	bool all_low = true, x86;

	memset(&b, 0, sizeof(b));
	memset(&in, 0, sizeof(in));
	if (!a) {
		fprintf(stderr, "vmcore-loader: this machine's architecture is "
			"not known to the loader\n");
		return 1;
	}
	x86 = a->e_machine == EM_386 || a->e_machine == EM_X86_64;
	if ((err = gather(a, f, &in, &s)))
		goto fail;
	for (size_t i = 0; i < s.nram; i++)
		all_low &= s.ram[i].end <= UINT64_C(1) << 32;
	/* ELF32 by default for a 32-bit kernel whose RAM is all below 4 GiB. */
	s.elfclass = o->core_class ? o->core_class :
		     a->word_size == 4 && all_low ? 32 : 64;
	if ((err = corehdr_build(&s, &b.hdr, &b.hdr_len)))
		goto fail;
	report(&s, b.hdr, b.hdr_len);
	if (!x86) {
		if (o->dry_run)
			goto done;
		err = vmc_error_create(VMC_ERR_UNSUPPORTED, "booting a "
			"capture kernel through kexec_load is done for x86 "
			"(bzImage) only; this kernel needs kexec_file_load");
		goto fail;
	}
	if ((err = read_boot_files(a, f, o, &b, &cmd)) ||
	    (err = crash_range(&in.io, &b)) ||
	    (err = layout(a, &in.io, &b, cmd)))
		goto fail;
	print_segments(&b);
	if (!o->dry_run) {
		if ((err = do_load(a, &b)))
			goto fail;
		printf("vmcore-loader: crash kernel loaded with kexec_load "
		       "(ELF%u core header)\n", s.elfclass);
	}
done:
	free(cmd);
	boot_image_free(&b);
	core_inputs_free(&in);
	return 0;
fail:
	fprintf(stderr, "vmcore-loader: --kexec-load: %s\n", err->message);
	vmc_error_destroy(err);
	free(cmd);
	boot_image_free(&b);
	core_inputs_free(&in);
	return 1;
}

bool kexec_load_boots(const struct arch *a)
{
	return (a->e_machine == EM_386 || a->e_machine == EM_X86_64) &&
	       purgatory_image_size > 0;
}

int kexec_load_unload(void)
{
	return sys_kexec_load(0, 0, NULL, KEXEC_ON_CRASH) < 0 ? -1 : 0;
}
