/* SPDX-License-Identifier: MIT */
/*
 * status: why kdump is not ready.  From the kernel's state (kexec.c reads
 * it from /proc and /sys) and the kernel and initrd `load` would load:
 * no reservation, kexec disabled, a kernel lockdown or Secure Boot wants
 * a signed kernel and this one is not, no capture image, a reservation
 * too small for them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashkernel.h"
#include "loader.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * PE/COFF (the EFI stub of an x86 bzImage, an arm64 Image): the MZ header's
 * e_lfanew at 0x3c, "PE\0\0", the 20-byte COFF header, then the optional
 * header whose data directory 4 is the certificate table (PE/COFF
 * specification, "Optional Header Data Directories"); sbsign and pesign
 * put the Authenticode signature there.
 */
int pe_signed(const uint8_t *buf, size_t len)
{
	uint32_t pe, opt, ndirs, dir;

	if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return -1;
	pe = le32(buf + 0x3c);
	if (pe > len - 24 || memcmp(buf + pe, "PE\0\0", 4))
		return -1;
	opt = pe + 24;
	if (opt > len - 2)
		return -1;
	/* 0x10b PE32: directories at 96, their count at 92; 0x20b PE32+:
	 * 112 and 108. */
	if (buf[opt] == 0x0b && buf[opt + 1] == 0x01)
		dir = opt + 96;
	else if (buf[opt] == 0x0b && buf[opt + 1] == 0x02)
		dir = opt + 112;
	else
		return -1;
	if (dir > len - 5 * 8)
		return -1;
	ndirs = le32(buf + dir - 4);
	return ndirs > 4 && le32(buf + dir + 4 * 8 + 4) != 0;
}

static int64_t size_of(const char *path)
{
	struct stat s;

	return stat(path, &s) == 0 && S_ISREG(s.st_mode) &&
	       access(path, R_OK) == 0 ? (int64_t)s.st_size : -1;
}

static int file_signed(const char *path)
{
	uint8_t buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? pe_signed(buf, (size_t)n) : -1;
}

void kdump_images_read(const struct sysfiles *f, const struct load_opts *o,
		       struct kdump_images *im)
{
	struct load_opts d = *o;
	const char *kernel, *initrd;

	memset(im, 0, sizeof(*im));
	if (!d.boot_dir)
		d.boot_dir = f->boot_dir;
	load_default_paths(&d, im->kernel, im->initrd, sizeof(im->kernel),
			   &kernel, &initrd);
	if (kernel != im->kernel)
		snprintf(im->kernel, sizeof(im->kernel), "%s", kernel);
	if (!initrd)
		im->initrd[0] = '\0';
	else if (initrd != im->initrd)
		snprintf(im->initrd, sizeof(im->initrd), "%s", initrd);
	im->kernel_size = size_of(im->kernel);
	im->initrd_size = im->initrd[0] ? size_of(im->initrd) : 0;
	im->kernel_signed = file_signed(im->kernel);
	im->initrd_is_capture = o->initrd ||
		(im->initrd[0] && strstr(im->initrd, "/vmcore-capture-"));
}

static void add(struct kdump_reasons *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct kdump_reasons *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n >= KDUMP_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->text[r->n++], sizeof(r->text[0]), fmt, ap);
	va_end(ap);
}

static void reservation(const struct kdump_state *st, struct kdump_reasons *r)
{
	if (!st->reserved && !st->crashkernel)
		add(r, "no memory is reserved for a crash kernel: add "
		    "crashkernel= to the kernel command line (see "
		    "`vmcore-loader crashkernel` for a size) and reboot");
	else if (!st->reserved)
		add(r, "the kernel was booted with crashkernel=%s but reserved "
		    "nothing (too little RAM for that range, or the "
		    "reservation failed: see `dmesg | grep -i crashkernel`)",
		    st->crashkernel);
}

/* Lockdown (any mode but none) and Secure Boot (which Debian's kernels
 * turn into lockdown) let only kexec_file_load of a signed kernel in. */
static void signature(const struct kdump_state *st,
		      const struct kdump_images *im, struct kdump_reasons *r)
{
	bool locked = st->lockdown[0] && strcmp(st->lockdown, "none");

	if ((!locked && st->secure_boot != 1) || im->kernel_size < 0 ||
	    im->kernel_signed == 1)
		return;
	add(r, "%s%s%s%s: only a signed kernel loads, and %s %s: use the "
	    "distribution's signed vmlinuz (KERNEL= in the configuration)",
	    locked ? "kernel lockdown is '" : "", locked ? st->lockdown : "",
	    locked ? "'" : "", st->secure_boot == 1 ? (locked ?
	    " (Secure Boot is on)" : "Secure Boot is on") : "", im->kernel,
	    im->kernel_signed == 0 ? "has no signature" : "is not a PE "
	    "image that can carry one");
}

static void images(const struct kdump_images *im, struct kdump_reasons *r)
{
	if (im->kernel_size < 0)
		add(r, "no capture kernel: %s cannot be read (KERNEL= in the "
		    "configuration, or load --kernel)", im->kernel);
	if (im->initrd[0] && im->initrd_size < 0 && im->initrd_is_capture)
		add(r, "no capture image: %s cannot be read (INITRD= in the "
		    "configuration, or load --initrd)", im->initrd);
	else if (!im->initrd_is_capture)
		add(r, "no capture image for this kernel (vmcore-capture-"
		    "RELEASE.img in the boot directory): make one with "
		    "vmcore-mkinitramfs, or reinstall the kernel package to "
		    "run the kernel hook; without it the crash kernel would "
		    "boot %s, which saves no dump", im->initrd[0] ? im->initrd
		    : "no initrd");
}

static void room(const struct kdump_state *st, const struct kdump_images *im,
		 struct kdump_reasons *r)
{
	uint64_t k, i;
	char a[32], b[32], c[32];

	if (!st->reserved || im->kernel_size < 0 || im->initrd_size < 0)
		return;
	k = (uint64_t)im->kernel_size;
	i = (uint64_t)im->initrd_size;
	if (k + i + KDUMP_MARGIN <= st->reserved)
		return;
	crashkernel_format_size(st->reserved, a, sizeof(a));
	snprintf(b, sizeof(b), "%.1f MiB", (double)k / (1 << 20));
	snprintf(c, sizeof(c), "%.1f MiB", (double)i / (1 << 20));
	add(r, "the reservation (%s) is too small for the kernel (%s) + "
	    "initrd (%s) + %u MiB to boot them: reserve more (crashkernel=, "
	    "see `vmcore-loader crashkernel`) or use a smaller initrd",
	    a, b, c, (unsigned)(KDUMP_MARGIN >> 20));
}

void kdump_reasons_find(const struct kdump_state *st,
			const struct kdump_images *im,
			struct kdump_reasons *ret)
{
	struct kdump_reasons more;

	memset(ret, 0, sizeof(*ret));
	if (st->loaded == 1)
		return;
	reservation(st, ret);
	if (st->load_disabled == 1)
		add(ret, "kexec is disabled (/proc/sys/kernel/"
		    "kexec_load_disabled is 1): nothing can be loaded until "
		    "the next boot; load the crash kernel before it is set");
	/* What a load would run into, after the state and what to do. */
	memset(&more, 0, sizeof(more));
	images(im, &more);
	signature(st, im, &more);
	room(st, im, &more);
	if (st->reserved && st->load_disabled != 1)
		add(ret, "memory is reserved but no crash kernel is loaded: "
		    "run `vmcore-loader load` (or start vmcore-loader.service)"
		    "%s", more.n ? ", once what follows is fixed" : "");
	for (size_t i = 0; i < more.n; i++)
		add(ret, "%s", more.text[i]);
}
