/* SPDX-License-Identifier: MIT */
/*
 * status, load and unload: the kernel's kdump state from /proc and /sys,
 * and kexec_file_load(2) with KEXEC_FILE_ON_CRASH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "cmdline.h"
#include "crashkernel.h"
#include "iomem.h"
#include "loader.h"

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD 0x1
#define KEXEC_FILE_ON_CRASH 0x2
#define KEXEC_FILE_NO_INITRAMFS 0x4
#endif

const struct sysfiles sysfiles_default = {
	.iomem = "/proc/iomem",
	.cmdline = "/proc/cmdline",
	.crash_size = "/sys/kernel/kexec_crash_size",
	.crash_loaded = "/sys/kernel/kexec_crash_loaded",
	.meminfo = "/proc/meminfo",
	.lockdown = "/sys/kernel/security/lockdown",
	.cpu_dir = "/sys/devices/system/cpu",
	.vmcoreinfo = "/sys/kernel/vmcoreinfo",
	.kcore = "/proc/kcore",
	.load_disabled = "/proc/sys/kernel/kexec_load_disabled",
	/* The UEFI global variable GUID (UEFI spec, 3.3 "Globally Defined
	 * Variables"); efivarfs gives 4 bytes of attributes, then the
	 * value byte. */
	.secure_boot = "/sys/firmware/efi/efivars/"
		       "SecureBoot-8be4dfe1-4a1d-4c48-9cf2-7b0052f1b7b0",
	.boot_dir = "/boot",
};

struct vmc_error *read_text(const char *path, char **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return vmc_error_errno(errno, "%s", path);
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *b = realloc(buf, cap *= 2);

			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return vmc_error_errno(e, "%s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return &vmc_enomem;
	buf[len] = '\0';
	*ret = buf;
	return NULL;
}

static bool read_u64(const char *path, uint64_t *ret)
{
	char *t;
	struct vmc_error *err = read_text(path, &t);
	bool ok;

	if (err) {
		vmc_error_destroy(err);
		return false;
	}
	ok = sscanf(t, "%" SCNu64, ret) == 1;
	free(t);
	return ok;
}

/* The selected lockdown mode: the word in [brackets] of
 * "none [integrity] confidentiality". */
static void read_lockdown(const char *path, char *mode, size_t len)
{
	char *t;
	const char *b, *e;
	struct vmc_error *err = read_text(path, &t);

	mode[0] = '\0';
	if (err) {
		vmc_error_destroy(err);	/* no securityfs: unknown */
		return;
	}
	if ((b = strchr(t, '[')) && (e = strchr(b, ']')) &&
	    (size_t)(e - b) < len)
		snprintf(mode, len, "%.*s", (int)(e - b - 1), b + 1);
	free(t);
}

/* What may refuse a load: kexec_load_disabled, lockdown, Secure Boot. */
static void read_security(const struct sysfiles *f, struct kdump_state *st)
{
	uint64_t v;
	uint8_t sb[5];
	int fd;

	st->load_disabled = read_u64(f->load_disabled, &v) ? (v != 0) : -1;
	read_lockdown(f->lockdown, st->lockdown, sizeof(st->lockdown));
	st->secure_boot = -1;
	if ((fd = open(f->secure_boot, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (read(fd, sb, sizeof(sb)) == (ssize_t)sizeof(sb))
			st->secure_boot = sb[4] == 1;
		close(fd);
	}
}

struct vmc_error *kdump_state_read(const struct sysfiles *f,
				   struct kdump_state *st)
{
	char *text = NULL;
	uint64_t v;
	struct iomem io;
	struct vmc_error *err;

	memset(st, 0, sizeof(*st));
	st->loaded = read_u64(f->crash_loaded, &v) ? (int)v : -1;
	if (read_u64(f->crash_size, &v))
		st->reserved = v;
	if ((err = read_text(f->iomem, &text))) {
		vmc_error_destroy(err);	/* optional: reserved stays 0 */
	} else {
		if (!(err = iomem_parse(text, &io))) {
			st->iomem_hidden = io.zeroed;
			st->iomem_reserved = iomem_total(&io, "Crash kernel",
							 true);
			iomem_free(&io);
		} else {
			vmc_error_destroy(err);
		}
		free(text);
	}
	if (!st->reserved && !st->iomem_hidden)
		st->reserved = st->iomem_reserved;
	if (!(err = read_text(f->cmdline, &text))) {
		const char *vals[8];
		size_t lens[8], n = cmdline_crashkernel(text, vals, lens, 8);

		for (size_t i = 0; i < n; i++) {
			char *s = strndup(vals[i], lens[i]);

			if (!s)
				break;
			if (st->crashkernel) {
				char *j;

				if (asprintf(&j, "%s %s", st->crashkernel, s) < 0)
					j = NULL;
				free(st->crashkernel);
				free(s);
				s = j;
			}
			st->crashkernel = s;
		}
		free(text);
	} else {
		return err;
	}
	if ((err = read_text(f->meminfo, &text))) {
		vmc_error_destroy(err);	/* optional: ram stays 0 */
	} else {
		const char *m = strstr(text, "MemTotal:");

		if (m && sscanf(m + 9, "%" SCNu64, &v) == 1)
			st->ram = v * 1024;
		free(text);
	}
	read_security(f, st);
	return NULL;
}

void kdump_state_free(struct kdump_state *st)
{
	free(st->crashkernel);
	memset(st, 0, sizeof(*st));
}

const char *kexec_errno_hint(int e, const struct kdump_state *st,
			     uint64_t kernel_size, uint64_t initrd_size,
			     char *buf, size_t len)
{
	switch (e) {
	case ENOSYS:
		return "this kernel has no kexec_file_load(2) (32-bit kernels "
		       "and many arm64 builds lack it): the crash kernel must "
		       "be loaded with kexec_load(2), which this loader does "
		       "for x86 only (`load --kexec-load`)";
	case EPERM:
		if (geteuid() != 0)
			return "loading a crash kernel needs root "
			       "(CAP_SYS_BOOT)";
		return "the kernel refused (kernel lockdown, or "
		       "kernel.kexec_load_disabled=1): see "
		       "/sys/kernel/security/lockdown; under lockdown only a "
		       "signed kernel image loads";
	case EKEYREJECTED:
	case EBADMSG:
	case ENOKEY:
		return "the kernel requires a signed image (KEXEC_SIG_FORCE or "
		       "lockdown) and this one's signature was rejected: use "
		       "the distribution's signed vmlinuz";
	case EBUSY:
		return "a crash kernel is being loaded or the kexec lock is "
		       "held: try again";
	case ENOEXEC:
		return "the kernel image is not a format this kernel's "
		       "kexec_file_load can load (x86: a bzImage; arm64: an "
		       "Image or vmlinuz.efi)";
	case ENOMEM:
	case EADDRNOTAVAIL:
	case EINVAL:
		if (!st->reserved)
			return "no memory is reserved for a crash kernel: add "
			       "crashkernel= to the kernel command line and "
			       "reboot";
		if (kernel_size + initrd_size + KDUMP_MARGIN > st->reserved) {
			snprintf(buf, len, "the kernel (%" PRIu64 " MiB) and "
				 "initrd (%" PRIu64 " MiB) do not fit in the "
				 "%" PRIu64 " MiB reserved (crashkernel=): use a "
				 "smaller initrd or reserve more",
				 kernel_size >> 20, initrd_size >> 20,
				 st->reserved >> 20);
			return buf;
		}
		return "the kernel rejected the load (see dmesg)";
	default:
		return NULL;
	}
}

static uint64_t file_size(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int open_or_say(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "vmcore-loader: %s %s: %s\n", what, path,
			strerror(errno));
	return fd;
}

/* The system call, where the architecture has one (32-bit x86 has no
 * number for it: ENOSYS, as from a kernel built without it). */
static long kexec_file_load(int kfd, int ifd, unsigned long cmdlen,
			    const char *cmd, unsigned long flags)
{
#ifdef SYS_kexec_file_load
	return syscall(SYS_kexec_file_load, kfd, ifd, cmdlen, cmd, flags);
#else
	(void)kfd, (void)ifd, (void)cmdlen, (void)cmd, (void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

void load_default_paths(const struct load_opts *o, char *kbuf, char *ibuf,
			size_t len, const char **kernel, const char **initrd)
{
	const char *boot = o->boot_dir ? o->boot_dir : "/boot";
	struct utsname u;

	uname(&u);
	*kernel = o->kernel;
	*initrd = o->no_initrd ? NULL : o->initrd;
	if (!*kernel) {
		snprintf(kbuf, len, "%s/vmlinuz-%s", boot, u.release);
		*kernel = kbuf;
	}
	if (!*initrd && !o->no_initrd) {
		/* Ours (vmcore-mkinitramfs) when it is there, else the
		 * distribution's, which then has to do the saving. */
		snprintf(ibuf, len, "%s/vmcore-capture-%s.img", boot,
			 u.release);
		if (access(ibuf, R_OK) != 0)
			snprintf(ibuf, len, "%s/initrd.img-%s", boot,
				 u.release);
		*initrd = ibuf;
	}
}

int cmd_load_run(const struct arch *a, const struct sysfiles *f,
		 const struct load_opts *o)
{
	char kbuf[300], ibuf[300], *running = NULL, *cmd = NULL, hint[300];
	const char *kernel, *initrd;
	struct kdump_state st;
	struct vmc_error *err;
	int kfd = -1, ifd = -1, rc = 1;
	long r;

	load_default_paths(o, kbuf, ibuf, sizeof(kbuf), &kernel, &initrd);
	if ((err = kdump_state_read(f, &st))) {
		fprintf(stderr, "vmcore-loader: %s\n", err->message);
		vmc_error_destroy(err);
		return 1;
	}
	if (o->command_line) {
		cmd = strdup(o->command_line);
	} else if (!(err = read_text(f->cmdline, &running))) {
		err = capture_cmdline(running, a ? a->kdump.capture_cmdline : "",
				      o->append, &cmd);
	}
	if (err || !cmd) {
		fprintf(stderr, "vmcore-loader: %s\n", err ? err->message :
			"out of memory");
		vmc_error_destroy(err);
		goto out;
	}
	if ((kfd = open_or_say(kernel, "kernel")) < 0 ||
	    (initrd && (ifd = open_or_say(initrd, "initrd")) < 0))
		goto out;
	if (o->dry_run) {
		printf("kernel       %s (%" PRIu64 " bytes)\n", kernel,
		       file_size(kfd));
		printf("initrd       %s%s", initrd ? initrd : "none", initrd ?
		       "" : "\n");
		if (initrd)
			printf(" (%" PRIu64 " bytes)\n", file_size(ifd));
		printf("command line %s\n", cmd);
		printf("reserved     %" PRIu64 " bytes\n", st.reserved);
		printf("syscall      kexec_file_load(KEXEC_FILE_ON_CRASH%s)\n",
		       initrd ? "" : " | KEXEC_FILE_NO_INITRAMFS");
		rc = 0;
		goto out;
	}
	r = kexec_file_load(kfd, initrd ? ifd : -1,
		    strlen(cmd) + 1, cmd, KEXEC_FILE_ON_CRASH |
		    (initrd ? 0 : KEXEC_FILE_NO_INITRAMFS));
	if (r < 0) {
		int e = errno;
		const char *h = kexec_errno_hint(e, &st, file_size(kfd),
						 file_size(ifd), hint,
						 sizeof(hint));

		if (e == ENOSYS && a && kexec_load_boots(a)) {
			fprintf(stderr, "vmcore-loader: this kernel has no "
				"kexec_file_load(2): loading with kexec_load(2) "
				"and a core header of our own\n");
			rc = cmd_kexec_load_run(a, f, o);
			goto out;
		}
		fprintf(stderr, "vmcore-loader: kexec_file_load %s: %s%s%s\n",
			kernel, strerror(e), h ? ": " : "", h ? h : "");
		goto out;
	}
	printf("vmcore-loader: crash kernel %s loaded (command line: %s)\n",
	       kernel, cmd);
	rc = 0;
out:
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	free(running);
	free(cmd);
	kdump_state_free(&st);
	return rc;
}

int cmd_unload_run(void)
{
	struct kdump_state st = { 0 };
	char hint[300];

	if (kexec_file_load(-1, -1, 0UL, NULL,
		    KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) < 0 &&
	    (errno != ENOSYS || kexec_load_unload() < 0)) {
		int e = errno;
		const char *h = kexec_errno_hint(e, &st, 0, 0, hint,
						 sizeof(hint));

		fprintf(stderr, "vmcore-loader: unload: %s%s%s\n", strerror(e),
			h && e != EINVAL ? ": " : "",
			h && e != EINVAL ? h : "");
		return 1;
	}
	printf("vmcore-loader: crash kernel unloaded\n");
	return 0;
}
