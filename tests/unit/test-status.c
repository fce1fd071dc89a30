/* SPDX-License-Identifier: MIT */
/* status: why kdump is not ready (loader/ready.c, kdump_state_read() in
 * loader/kexec.c), against a fixture /proc, /sys and /boot. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../../loader/loader.h"
#include "unit.h"

#define M (UINT64_C(1) << 20)
/* The first reason when memory is reserved and something else is wrong. */
#define LOAD_ONCE_FIXED "memory is reserved but no crash kernel is loaded: " \
	"run `vmcore-loader load` (or start vmcore-loader.service), once " \
	"what follows is fixed|"

/* A fixture root: ROOT/proc, ROOT/sys, ROOT/boot and the sysfiles. */
struct fixture {
	char root[256];
	char path[12][400];
	struct sysfiles f;
	char release[65];
};

static void put(const struct fixture *x, const char *rel, const void *data,
		size_t len)
{
	char p[512], *slash;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", x->root, rel);
	for (slash = strchr(p + strlen(x->root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0755);
		*slash = '/';
	}
	fp = fopen(p, "w");
	if (!CHECK(fp, "%s", p))
		return;
	fwrite(data, 1, len, fp);
	fclose(fp);
}

static void puts_(const struct fixture *x, const char *rel, const char *s)
{
	put(x, rel, s, strlen(s));
}

/* A file of SIZE bytes (sparse), starting with HEAD. */
static void put_sized(const struct fixture *x, const char *rel,
		      const void *head, size_t hlen, uint64_t size)
{
	char p[512];

	put(x, rel, head, hlen);
	snprintf(p, sizeof(p), "%s/%s", x->root, rel);
	CHECK(truncate(p, (off_t)size) == 0, "%s", p);
}

static bool fixture_init(struct fixture *x)
{
	const struct sysfiles *d = &sysfiles_default;
	const char *const src[12] = { d->iomem, d->cmdline, d->crash_size,
		d->crash_loaded, d->meminfo, d->lockdown, d->cpu_dir,
		d->vmcoreinfo, d->kcore, d->load_disabled, d->secure_boot,
		d->boot_dir };
	const char **dst[12] = { &x->f.iomem, &x->f.cmdline,
		&x->f.crash_size, &x->f.crash_loaded, &x->f.meminfo,
		&x->f.lockdown, &x->f.cpu_dir, &x->f.vmcoreinfo, &x->f.kcore,
		&x->f.load_disabled, &x->f.secure_boot, &x->f.boot_dir };
	struct utsname u;
	char root[sizeof(x->root)];	/* not X itself: snprintf's restrict */

	memset(x, 0, sizeof(*x));
	if (!CHECK(unit_tmpdir(root, sizeof(root))))
		return false;
	memcpy(x->root, root, sizeof(root));
	for (int i = 0; i < 12; i++) {
		snprintf(x->path[i], sizeof(x->path[i]), "%s%s", root,
			 src[i]);
		*dst[i] = x->path[i];
	}
	uname(&u);
	snprintf(x->release, sizeof(x->release), "%s", u.release);
	puts_(x, "proc/meminfo", "MemTotal:        8048576 kB\n");
	puts_(x, "proc/iomem", "00100000-bffdffff : System RAM\n");
	return true;
}

static void fixture_destroy(struct fixture *x)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->root);
	CHECK(system(cmd) == 0);
}

/* A reservation of SIZE, crashkernel= on the command line, LOADED. */
static void reserve(struct fixture *x, uint64_t size, int loaded)
{
	char b[32];

	puts_(x, "proc/cmdline", size ? "root=/dev/vda crashkernel=256M\n" :
	      "root=/dev/vda ro\n");
	snprintf(b, sizeof(b), "%" PRIu64 "\n", size);
	puts_(x, "sys/kernel/kexec_crash_size", b);
	puts_(x, "sys/kernel/kexec_crash_loaded", loaded ? "1\n" : "0\n");
}

/* The default kernel and capture image of the running release. */
static void images(struct fixture *x, uint64_t ksize, uint64_t isize,
		   const void *khead, size_t khlen)
{
	char k[128], i[128];

	snprintf(k, sizeof(k), "boot/vmlinuz-%s", x->release);
	snprintf(i, sizeof(i), "boot/vmcore-capture-%s.img", x->release);
	put_sized(x, k, khead, khlen, ksize);
	put_sized(x, i, "\x1f\x8b", 2, isize);
}

/* The reasons for the fixture, as one string, "|" between them. */
static char *reasons(const struct fixture *x, const struct load_opts *o)
{
	static char all[KDUMP_MAX_REASONS * 410];
	struct load_opts none = { 0 };
	struct kdump_state st;
	struct kdump_images im;
	struct kdump_reasons r;

	all[0] = '\0';
	if (!CHECK_OK(kdump_state_read(&x->f, &st)))
		return all;
	kdump_images_read(&x->f, o ? o : &none, &im);
	kdump_reasons_find(&st, &im, &r);
	for (size_t i = 0; i < r.n; i++) {
		strcat(all, i ? "|" : "");
		strcat(all, r.text[i]);
	}
	kdump_state_free(&st);
	return all;
}

/* A minimal PE32+ header (as an x86_64 bzImage's EFI stub has), with a
 * certificate table of CERT bytes (0: unsigned). */
static void pe_image(uint8_t *b, size_t len, uint32_t cert)
{
	uint32_t pe = 0x80, opt = pe + 24, dir = opt + 112;

	memset(b, 0, len);
	b[0] = 'M';
	b[1] = 'Z';
	memcpy(b + 0x3c, &pe, 4);
	memcpy(b + pe, "PE\0\0", 4);
	b[opt] = 0x0b;
	b[opt + 1] = 0x02;
	b[dir - 4] = 16;			/* NumberOfRvaAndSizes */
	memcpy(b + dir + 4 * 8, "\0\x10\0\0", 4);	/* its RVA (offset) */
	memcpy(b + dir + 4 * 8 + 4, &cert, 4);
}

TEST(pe_signature)
{
	uint8_t b[1024];

	pe_image(b, sizeof(b), 0x2000);
	CHECK_I64(pe_signed(b, sizeof(b)), 1);
	pe_image(b, sizeof(b), 0);
	CHECK_I64(pe_signed(b, sizeof(b)), 0);
	CHECK_I64(pe_signed((const uint8_t *)"\x1f\x8b\x08", 3), -1);
	pe_image(b, sizeof(b), 0x2000);
	b[0x80] = 'X';				/* no "PE\0\0" */
	CHECK_I64(pe_signed(b, sizeof(b)), -1);
	pe_image(b, sizeof(b), 0x2000);
	CHECK_I64(pe_signed(b, 0x80 + 24 + 112), -1);	/* cut short */
	b[0x3c] = 0xff;				/* e_lfanew past the end */
	b[0x3d] = 0xff;
	CHECK_I64(pe_signed(b, sizeof(b)), -1);
}

TEST(status_ready_when_loaded)
{
	struct fixture x;

	if (!fixture_init(&x))
		return;
	/* Loaded: ready, whatever else (a disabled kexec after the load is
	 * the usual hardening). */
	reserve(&x, 256 * M, 1);
	puts_(&x, "proc/sys/kernel/kexec_load_disabled", "1\n");
	CHECK_STR(reasons(&x, NULL), "");
	fixture_destroy(&x);
}

TEST(status_no_reservation)
{
	struct fixture x;
	char *r;

	if (!fixture_init(&x))
		return;
	reserve(&x, 0, 0);
	images(&x, 8 * M, 2 * M, "MZ", 2);
	r = reasons(&x, NULL);
	CHECK_STR(r, "no memory is reserved for a crash kernel: add "
		  "crashkernel= to the kernel command line (see `vmcore-loader "
		  "crashkernel` for a size) and reboot");
	/* crashkernel= given, nothing reserved. */
	puts_(&x, "proc/cmdline", "crashkernel=4G-:256M\n");
	CHECK_CONTAINS(reasons(&x, NULL), "the kernel was booted with "
		       "crashkernel=4G-:256M but reserved nothing");
	fixture_destroy(&x);
}

TEST(status_reserved_not_loaded)
{
	struct fixture x;
	struct kdump_state st;

	if (!fixture_init(&x))
		return;
	reserve(&x, 256 * M, 0);
	images(&x, 8 * M, 2 * M, "MZ", 2);
	CHECK_STR(reasons(&x, NULL), "memory is reserved but no crash kernel "
		  "is loaded: run `vmcore-loader load` (or start "
		  "vmcore-loader.service)");
	/* No lockdown file, no EFI: unknown, and no reason. */
	if (CHECK_OK(kdump_state_read(&x.f, &st))) {
		CHECK_I64(st.load_disabled, -1);
		CHECK_STR(st.lockdown, "");
		CHECK_I64(st.secure_boot, -1);
		kdump_state_free(&st);
	}
	fixture_destroy(&x);
}

TEST(status_kexec_load_disabled)
{
	struct fixture x;
	struct kdump_state st;

	if (!fixture_init(&x))
		return;
	reserve(&x, 256 * M, 0);
	images(&x, 8 * M, 2 * M, "MZ", 2);
	puts_(&x, "proc/sys/kernel/kexec_load_disabled", "0\n");
	CHECK_CONTAINS(reasons(&x, NULL), "no crash kernel is loaded");
	puts_(&x, "proc/sys/kernel/kexec_load_disabled", "1\n");
	CHECK_STR(reasons(&x, NULL), "kexec is disabled (/proc/sys/kernel/"
		  "kexec_load_disabled is 1): nothing can be loaded until the "
		  "next boot; load the crash kernel before it is set");
	if (CHECK_OK(kdump_state_read(&x.f, &st))) {
		CHECK_I64(st.load_disabled, 1);
		kdump_state_free(&st);
	}
	fixture_destroy(&x);
}

TEST(status_lockdown_and_secure_boot)
{
	struct fixture x;
	uint8_t pe[1024];
	const uint8_t sb_on[5] = { 6, 0, 0, 0, 1 }, sb_off[5] = { 6, 0, 0, 0, 0 };
	struct kdump_state st;
	char want[1000];

	if (!fixture_init(&x))
		return;
	reserve(&x, 256 * M, 0);
	pe_image(pe, sizeof(pe), 0);
	images(&x, 8 * M, 2 * M, pe, sizeof(pe));
	puts_(&x, "sys/kernel/security/lockdown",
	      "none [integrity] confidentiality\n");
	snprintf(want, sizeof(want), LOAD_ONCE_FIXED "kernel lockdown is "
		 "'integrity': only a "
		 "signed kernel loads, and %s/boot/vmlinuz-%s has no "
		 "signature: use the distribution's signed vmlinuz (KERNEL= in "
		 "the configuration)", x.root, x.release);
	CHECK_STR(reasons(&x, NULL), want);
	if (CHECK_OK(kdump_state_read(&x.f, &st))) {
		CHECK_STR(st.lockdown, "integrity");
		kdump_state_free(&st);
	}
	/* Secure Boot too: said beside it. */
	put(&x, "sys/firmware/efi/efivars/SecureBoot-8be4dfe1-4a1d-4c48-"
	    "9cf2-7b0052f1b7b0", sb_on, 5);
	CHECK_CONTAINS(reasons(&x, NULL), "kernel lockdown is 'integrity' "
		       "(Secure Boot is on): only a signed kernel loads");
	/* Secure Boot alone (lockdown none). */
	puts_(&x, "sys/kernel/security/lockdown",
	      "[none] integrity confidentiality\n");
	CHECK_CONTAINS(reasons(&x, NULL), "Secure Boot is on: only a signed "
		       "kernel loads");
	/* A signed kernel: no reason but the load. */
	pe_image(pe, sizeof(pe), 0x2000);
	images(&x, 8 * M, 2 * M, pe, sizeof(pe));
	CHECK_CONTAINS(reasons(&x, NULL), "no crash kernel is loaded");
	/* Unsigned, Secure Boot off and no lockdown: fine too. */
	pe_image(pe, sizeof(pe), 0);
	images(&x, 8 * M, 2 * M, pe, sizeof(pe));
	put(&x, "sys/firmware/efi/efivars/SecureBoot-8be4dfe1-4a1d-4c48-"
	    "9cf2-7b0052f1b7b0", sb_off, 5);
	CHECK_CONTAINS(reasons(&x, NULL), "no crash kernel is loaded");
	if (CHECK_OK(kdump_state_read(&x.f, &st))) {
		CHECK_I64(st.secure_boot, 0);
		kdump_state_free(&st);
	}
	/* A kernel that is no PE image under lockdown. */
	puts_(&x, "sys/kernel/security/lockdown", "none integrity "
	      "[confidentiality]\n");
	images(&x, 8 * M, 2 * M, "\x1f\x8b", 2);
	CHECK_CONTAINS(reasons(&x, NULL), "is not a PE image that can carry "
		       "one");
	fixture_destroy(&x);
}

TEST(status_no_capture_image)
{
	struct fixture x;
	char k[128], d[128], want[1000];
	struct load_opts o = { 0 };

	if (!fixture_init(&x))
		return;
	reserve(&x, 256 * M, 0);
	snprintf(k, sizeof(k), "boot/vmlinuz-%s", x.release);
	put_sized(&x, k, "MZ", 2, 8 * M);
	/* Only the distribution's initrd. */
	snprintf(d, sizeof(d), "boot/initrd.img-%s", x.release);
	put_sized(&x, d, "\x1f\x8b", 2, 30 * M);
	snprintf(want, sizeof(want), LOAD_ONCE_FIXED "no capture image for "
		 "this kernel "
		 "(vmcore-capture-RELEASE.img in the boot directory): make one "
		 "with vmcore-mkinitramfs, or reinstall the kernel package to "
		 "run the kernel hook; without it the crash kernel would boot "
		 "%s/%s, which saves no dump", x.root, d);
	CHECK_STR(reasons(&x, NULL), want);
	/* A capture image named by the configuration (INITRD=) that is not
	 * there. */
	o.initrd = "/nonexistent/capture.img";
	CHECK_STR(reasons(&x, &o), LOAD_ONCE_FIXED "no capture image: "
		  "/nonexistent/"
		  "capture.img cannot be read (INITRD= in the configuration, "
		  "or load --initrd)");
	/* No kernel either. */
	o.kernel = "/nonexistent/vmlinuz";
	CHECK_CONTAINS(reasons(&x, &o), "no capture kernel: "
		       "/nonexistent/vmlinuz cannot be read (KERNEL= in the "
		       "configuration, or load --kernel)|no capture image: ");
	fixture_destroy(&x);
}

TEST(status_reservation_too_small)
{
	struct fixture x;

	if (!fixture_init(&x))
		return;
	reserve(&x, 64 * M, 0);
	/* 40 + 20 + 8 > 64. */
	images(&x, 40 * M, 20 * M, "MZ", 2);
	CHECK_STR(reasons(&x, NULL), LOAD_ONCE_FIXED "the reservation (64M) is "
		  "too small for "
		  "the kernel (40.0 MiB) + initrd (20.0 MiB) + 8 MiB to boot "
		  "them: reserve more (crashkernel=, see `vmcore-loader "
		  "crashkernel`) or use a smaller initrd");
	/* 40 + 16 + 8 = 64 fits exactly. */
	images(&x, 40 * M, 16 * M, "MZ", 2);
	CHECK_CONTAINS(reasons(&x, NULL), "no crash kernel is loaded");
	fixture_destroy(&x);
}

TEST(status_several_reasons_in_order)
{
	struct fixture x;
	char *r;

	if (!fixture_init(&x))
		return;
	reserve(&x, 0, 0);
	puts_(&x, "proc/cmdline", "crashkernel=512M-:128M\n");
	puts_(&x, "proc/sys/kernel/kexec_load_disabled", "1\n");
	r = reasons(&x, NULL);
	CHECK_CONTAINS(r, "booted with crashkernel=512M-:128M but reserved "
		       "nothing");
	CHECK_CONTAINS(r, "|kexec is disabled");
	CHECK_CONTAINS(r, "|no capture kernel: ");
	CHECK_CONTAINS(r, "|no capture image for this kernel");
	CHECK(strstr(r, "reserved nothing") < strstr(r, "kexec is disabled") &&
	      strstr(r, "kexec is disabled") < strstr(r, "no capture kernel"),
	      "order: %s", r);
	fixture_destroy(&x);
}
