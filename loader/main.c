/* SPDX-License-Identifier: MIT */
/* vmcore-loader: arm a crash kernel, size crashkernel=, save the dump. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "crashkernel.h"
#include "loader.h"

#ifndef VMC_VERSION
#define VMC_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct arch *running_arch(void)
{
	struct utsname u;

	return uname(&u) == 0 ? arch_from_name(u.machine) : NULL;
}

/* /proc and /sys, or their copies under $VMCORE_LOADER_SYSROOT (tests). */
static struct sysfiles sysfiles(void)
{
	static char buf[9][512];
	const char *root = getenv("VMCORE_LOADER_SYSROOT");
	struct sysfiles f = sysfiles_default;
	const char **p[] = { &f.iomem, &f.cmdline, &f.crash_size,
			     &f.crash_loaded, &f.meminfo, &f.lockdown,
			     &f.cpu_dir, &f.vmcoreinfo, &f.kcore };

	if (!root)
		return f;
	for (size_t i = 0; i < 9; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s%s", root, *p[i]);
		*p[i] = buf[i];
	}
	return f;
}

static void human(uint64_t v, char *buf, size_t len)
{
	crashkernel_format_size(v, buf, len);
}

/* ---- status ----------------------------------------------------------- */

static int cmd_status(int argc, char **argv)
{
	struct sysfiles f = sysfiles();
	struct kdump_state st;
	struct vmc_error *err;
	char a[32], b[32], next[400];
	const char *step;

	if (argc > 1) {
		fprintf(stderr, "vmcore-loader status: no arguments expected "
			"('%s')\n", argv[1]);
		return EXIT_USAGE;
	}
	if ((err = kdump_state_read(&f, &st))) {
		fprintf(stderr, "vmcore-loader: %s\n", err->message);
		vmc_error_destroy(err);
		return EXIT_FAIL;
	}
	human(st.reserved, a, sizeof(a));
	printf("crashkernel= %s\n", st.crashkernel ? st.crashkernel
			: "(not on the kernel command line)");
	printf("reserved     %s%s\n", st.reserved ? a : "nothing",
	       st.iomem_hidden ? " (/proc/iomem addresses hidden: not root)"
			       : "");
	if (st.iomem_reserved && !st.iomem_hidden) {
		human(st.iomem_reserved, b, sizeof(b));
		printf("iomem        Crash kernel ranges: %s\n", b);
	}
	printf("loaded       %s\n", st.loaded == 1 ? "yes" : st.loaded == 0
	       ? "no" : "unknown (no /sys/kernel/kexec_crash_loaded)");
	step = kdump_next_step(&st, next, sizeof(next));
	printf("state        %s\n", step ? "NOT READY" : "ready");
	if (step)
		printf("next         %s\n", step);
	kdump_state_free(&st);
	return step ? EXIT_FAIL : EXIT_OK;
}

/* ---- crashkernel sizing ------------------------------------------------ */

static int parse_size(const char *s, uint64_t *ret)
{
	struct crashkernel ck;
	struct vmc_error *err = crashkernel_parse(s, &ck);

	if (err || ck.kind != CK_SIZE || ck.has_offset) {
		vmc_error_destroy(err);
		return -1;
	}
	*ret = ck.size;
	return 0;
}

static void explain(const char *value, uint64_t ram)
{
	struct crashkernel ck;
	struct vmc_error *err = crashkernel_parse(value, &ck);
	char a[32], r[32];

	human(ram, r, sizeof(r));
	if (err) {
		printf("crashkernel=%s: %s\n", value, err->message);
		vmc_error_destroy(err);
		return;
	}
	human(crashkernel_size(&ck, ram), a, sizeof(a));
	printf("crashkernel=%s reserves %s with %s of RAM", value,
	       crashkernel_size(&ck, ram) ? a : "nothing", r);
	if (ck.kind == CK_HIGH)
		printf(" (above 4 GiB, plus a low part)");
	if (ck.kind == CK_LOW)
		printf(" (below 4 GiB, beside a ,high reservation)");
	if (ck.has_offset) {
		human(ck.offset, a, sizeof(a));
		printf(" at %s", a);
	}
	putchar('\n');
}

static int cmd_crashkernel(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ram", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 },
	};
	const struct arch *arch = running_arch();
	struct sysfiles f = sysfiles();
	struct kdump_state st = { 0 };
	uint64_t ram = 0;
	int c, rc = EXIT_OK;
	struct vmc_error *err;

	while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (c != 'r' || parse_size(optarg, &ram) < 0) {
			fprintf(stderr, "vmcore-loader crashkernel: --ram takes "
				"a size like 4G\n");
			return EXIT_USAGE;
		}
	}
	if ((err = kdump_state_read(&f, &st)))
		vmc_error_destroy(err);
	if (!ram)
		ram = st.ram;
	if (optind < argc) {
		struct crashkernel ck;

		for (int i = optind; i < argc; i++) {
			const char *v = strncmp(argv[i], "crashkernel=", 12) ?
					argv[i] : argv[i] + 12;

			if ((err = crashkernel_parse(v, &ck))) {
				fprintf(stderr, "vmcore-loader: %s\n",
					err->message);
				vmc_error_destroy(err);
				rc = EXIT_FAIL;
				continue;
			}
			explain(v, ram);
		}
	} else if (st.crashkernel) {
		printf("running kernel: ");
		explain(st.crashkernel, ram);
	} else {
		printf("running kernel: no crashkernel= on its command line\n");
	}
	if (arch && rc == EXIT_OK) {
		printf("recommended for %s: ", arch->name);
		explain(arch->kdump.crashkernel, ram);
	}
	kdump_state_free(&st);
	return rc;
}

/* ---- load / unload ---------------------------------------------------- */

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "no-initrd", no_argument, NULL, 'I' },
		{ "command-line", required_argument, NULL, 'c' },
		{ "append", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "kexec-load", no_argument, NULL, 'K' },
		{ "elf32-core-headers", no_argument, NULL, '3' },
		{ "elf64-core-headers", no_argument, NULL, '6' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_opts o = { 0 };
	struct sysfiles f = sysfiles();
	int c;

	while ((c = getopt_long(argc, argv, "k:i:c:a:n", opts, NULL)) != -1) {
		switch (c) {
		case 'k': o.kernel = optarg; break;
		case 'i': o.initrd = optarg; break;
		case 'I': o.no_initrd = true; break;
		case 'c': o.command_line = optarg; break;
		case 'a': o.append = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'K': o.kexec_load = true; break;
		case '3': o.core_class = 32; break;
		case '6': o.core_class = 64; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmcore-loader load: unexpected '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (o.core_class && !o.kexec_load) {
		fprintf(stderr, "vmcore-loader load: --elf32-core-headers and "
			"--elf64-core-headers go with --kexec-load "
			"(kexec_file_load makes its own ELF64 header)\n");
		return EXIT_USAGE;
	}
	if (o.kexec_load)
		return cmd_kexec_load_run(running_arch(), &f, &o);
	return cmd_load_run(running_arch(), &f, &o);
}

static int cmd_unload(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return EXIT_USAGE;
	return cmd_unload_run();
}

/* ---- save -------------------------------------------------------------- */

static int final_action(enum final_action a)
{
	fflush(NULL);
	sync();
	switch (a) {
	case FINAL_REBOOT: reboot(RB_AUTOBOOT); break;
	case FINAL_POWEROFF: reboot(RB_POWER_OFF); break;
	case FINAL_SHELL:
		execl("/bin/sh", "sh", (char *)NULL);
		break;
	case FINAL_NONE: return 0;
	}
	fprintf(stderr, "vmcore-loader: final action failed: %s\n",
		strerror(errno));
	return -1;
}

static int cmd_save(int argc, char **argv)
{
	struct save_opts o;
	enum final_action then;
	const char *stop = getenv("VMCORE_LOADER_STOP_AFTER");
	char *saved = NULL;
	struct vmc_error *err;
	int rc = save_parse_args(argc, argv, &o, &then);

	if (rc >= 0)
		return rc;
	o.progress = !o.quiet && isatty(STDERR_FILENO);
	if (stop)
		o.stop_after = strtoull(stop, NULL, 10);
	err = save_dump(&o, &saved);
	if (err) {
		fprintf(stderr, "vmcore-loader: save failed: %s\n", err->message);
		vmc_error_destroy(err);
		rc = EXIT_FAIL;
	} else {
		if (!o.quiet)
			printf("vmcore-loader: dump saved in %s\n", saved);
		rc = EXIT_OK;
	}
	free(saved);
	if (final_action(then) < 0)
		rc = EXIT_FAIL;
	return rc;
}

/* ---- dispatch ---------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "status", cmd_status, "status                  is kdump ready? (exit 0: yes)" },
	{ "crashkernel", cmd_crashkernel, "crashkernel [--ram SIZE] [VALUE...]\n"
	  "                          what crashkernel= reserves; a recommendation" },
	{ "load", cmd_load, "load [--kernel F] [--initrd F | --no-initrd] [--command-line S]\n"
	  "     [--append S] [--dry-run]\n"
	  "                          load the crash kernel (kexec_file_load)\n"
	  "load --kexec-load [--elf32-core-headers | --elf64-core-headers] --dry-run\n"
	  "                          the kexec_load path's ELF core header (the\n"
	  "                          loading itself is not done yet)" },
	{ "unload", cmd_unload, "unload                  unload the crash kernel" },
	{ "save", cmd_save, "save [--dir D] [--vmcore F] [--keep N] [--host H]\n"
	  "     [--then none|reboot|poweroff|shell] [--quiet]\n"
	  "     [--format elf | --format kdump [--compress zstd|lzo|snappy|zlib|none]\n"
	  "      [--dump-level 0-31]]\n"
	  "                          in the capture kernel: save /proc/vmcore\n"
	  "                          (elf: a sparse copy, the default; kdump:\n"
	  "                          makedumpfile's format, default zstd, level 0)\n"
	  "  save --ssh USER@HOST[:PORT] --ssh-key F [--ssh-known-hosts F]\n"
	  "     [--ssh-client ssh|dbclient] [--dir REMOTE_DIR] [save's other options]\n"
	  "                          stream it through ssh or dbclient to\n"
	  "                          REMOTE_DIR on HOST (kdump: the flattened\n"
	  "                          format); --vmcore F ships an existing dump" },
	{ "help", cmd_help, "help                    this text" },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: vmcore-loader COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %s\n", cmds[i].usage);
	printf("\nExit status: 0 success (status: ready), 1 failure (status: "
	       "not ready), 2 bad usage.\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmcore-loader %s\n", VMC_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vmcore-loader: unknown command '%s' (try "
		"vmcore-loader help)\n", argv[1]);
	return EXIT_USAGE;
}
