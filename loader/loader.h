/* SPDX-License-Identifier: MIT */
/* vmcore-loader: the pieces main() dispatches to. */
#ifndef LOADER_LOADER_H
#define LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libvmcore/error.h"

struct arch;
struct load_opts;

/* Where the loader looks; tests point these at fixture files. */
struct sysfiles {
	const char *iomem;		/* /proc/iomem */
	const char *cmdline;		/* /proc/cmdline */
	const char *crash_size;		/* /sys/kernel/kexec_crash_size */
	const char *crash_loaded;	/* /sys/kernel/kexec_crash_loaded */
	const char *meminfo;		/* /proc/meminfo */
	const char *lockdown;		/* /sys/kernel/security/lockdown */
	const char *cpu_dir;		/* /sys/devices/system/cpu */
	const char *vmcoreinfo;		/* /sys/kernel/vmcoreinfo */
	const char *kcore;		/* /proc/kcore */
	const char *load_disabled;	/* /proc/sys/kernel/kexec_load_disabled */
	const char *secure_boot;	/* the SecureBoot EFI variable */
	const char *boot_dir;		/* /boot */
};
extern const struct sysfiles sysfiles_default;

/* The whole of a small file, NUL-terminated; *RET is malloc'ed. */
struct vmc_error *read_text(const char *path, char **ret);

/* Readiness, for `status`. */
struct kdump_state {
	uint64_t reserved;		/* kexec_crash_size, bytes */
	uint64_t iomem_reserved;	/* "Crash kernel" ranges (0 if hidden) */
	bool iomem_hidden;		/* not root: addresses read as 0 */
	char *crashkernel;		/* crashkernel= of the running kernel */
	int loaded;			/* kexec_crash_loaded: 0, 1, -1 unknown */
	uint64_t ram;			/* MemTotal */
	int load_disabled;		/* kexec_load_disabled: 0, 1, -1 */
	char lockdown[20];		/* "none", "integrity", ...; "": unknown */
	int secure_boot;		/* 1 on, 0 off, -1 unknown (no EFI) */
};
struct vmc_error *kdump_state_read(const struct sysfiles *f,
				   struct kdump_state *st);
void kdump_state_free(struct kdump_state *st);

/* The kernel and initrd that `load` would load (ready.c). */
struct kdump_images {
	char kernel[300], initrd[300];	/* initrd "": none */
	int64_t kernel_size, initrd_size;	/* -1: cannot be read */
	int kernel_signed;		/* 1 signed PE, 0 not, -1 unknown */
	bool initrd_is_capture;		/* a capture image (ours, or the
					 * configuration's INITRD) */
};
/* What O (and the boot directory of F) name, looked at. */
void kdump_images_read(const struct sysfiles *f, const struct load_opts *o,
		       struct kdump_images *im);
/* Does the PE image (BUF, LEN: its first bytes) carry a signature (an
 * Authenticode certificate table)?  1 yes, 0 no, -1 not a PE image. */
int pe_signed(const uint8_t *buf, size_t len);

/* Why kdump is not ready: one line each, the most basic first; none when
 * a crash kernel is loaded. */
#define KDUMP_MAX_REASONS 8
struct kdump_reasons {
	size_t n;
	char text[KDUMP_MAX_REASONS][400];
};
void kdump_reasons_find(const struct kdump_state *st,
			const struct kdump_images *im,
			struct kdump_reasons *ret);
/* The room a crash kernel needs beyond its kernel and initrd files (the
 * kernel's decompression and early allocations): a rule of thumb. */
#define KDUMP_MARGIN (UINT64_C(8) << 20)

/* load / unload through kexec_file_load(2). */
struct load_opts {
	const char *kernel, *initrd;
	const char *command_line;	/* replaces the built one */
	const char *append;
	bool dry_run;
	bool no_initrd;
	bool kexec_load;		/* the classic path (kexecload.c) */
	unsigned core_class;		/* 32, 64; 0: the arch's default */
	bool if_reserved;		/* no reservation: say so, exit 0 */
	const char *boot_dir;		/* default paths' directory: /boot */
};
int cmd_load_run(const struct arch *a, const struct sysfiles *f,
		 const struct load_opts *o);
int cmd_unload_run(void);
/* Kernel and initrd paths: the options', else /boot/vmlinuz-RELEASE and
 * /boot/vmcore-capture-RELEASE.img (or the distribution's initrd.img);
 * o->boot_dir, when set, replaces /boot. */
void load_default_paths(const struct load_opts *o, char *kbuf, char *ibuf,
			size_t len, const char **kernel, const char **initrd);
/* load --kexec-load: our own core header, segments and purgatory, and
 * kexec_load(2) (x86; elsewhere the header only, with --dry-run). */
int cmd_kexec_load_run(const struct arch *a, const struct sysfiles *f,
		       const struct load_opts *o);
/* The explanation of a kexec_load() errno, in user terms, or NULL. */
const char *kexec_load_hint(int e);
/* Can the kexec_load path boot a capture kernel on A (x86)? */
bool kexec_load_boots(const struct arch *a);
/* Unload the crash kernel with kexec_load(2); -1 and errno on failure. */
int kexec_load_unload(void);
/* The explanation of a kexec_file_load() errno, in user terms. */
const char *kexec_errno_hint(int e, const struct kdump_state *st,
			     uint64_t kernel_size, uint64_t initrd_size,
			     char *buf, size_t len);

/* save, in the capture kernel. */
enum final_action { FINAL_NONE, FINAL_REBOOT, FINAL_POWEROFF, FINAL_SHELL };
struct save_opts {
	const char *vmcore;		/* /proc/vmcore */
	const char *dir;		/* /var/crash */
	const char *host;		/* NULL: gethostname() */
	unsigned keep;			/* 0: keep all */
	bool quiet;
	bool progress;
	/* --format kdump: makedumpfile's kdump-compressed format, pages
	 * compressed with COMPRESS (enum vmc_compress), filtered by
	 * DUMP_LEVEL (0-31); else a sparse copy of the ELF vmcore. */
	bool kdump;
	int compress;
	int dump_level;
	/* --ssh USER@HOST[:PORT]: streamed there (savessh.c), DIR being
	 * the remote directory; NULL: saved locally. */
	const char *ssh;
	const char *ssh_key;		/* -i for the client */
	const char *ssh_known_hosts;	/* NULL: a new host is accepted */
	const char *ssh_client;		/* NULL: ssh, else dbclient */
	/* For tests: stop (as if killed) after this many bytes; 0: never. */
	uint64_t stop_after;
};
/*
 * save's options (ARGV[0] is "save"): fills O and *THEN, from CFG (the
 * configuration; may be NULL) overridden by the options; CFG's
 * FINAL_ACTION counts only when CAPTURE (in a capture kernel).  Returns -1
 * when the save should go ahead, else the exit status (2: bad usage, with
 * a message on stderr; 0: --help was printed).
 */
struct vmc_config;
int save_parse_args(int argc, char **argv, const struct vmc_config *cfg,
		    bool capture, struct save_opts *o,
		    enum final_action *then);
/* Save the dump; *SAVED_RET (malloc'ed) is the dump's directory. */
struct vmc_error *save_dump(const struct save_opts *o, char **saved_ret);
/* Create PATH for writing, never an existing file (O_EXCL); *FD_RET. */
struct vmc_error *save_create(const char *path, int *fd_ret);
/* rename(2) that never replaces FINAL, also on NFS (link + unlink where
 * RENAME_NOREPLACE is not supported).  0, or -1 with errno. */
int save_rename_noreplace(const char *tmp, const char *final);
/* Rename the complete TMP to FINAL, never replacing an existing FINAL. */
struct vmc_error *save_publish(const char *tmp, const char *final);

#endif
