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
#include "config.h"
#include "crashkernel.h"
#include "loader.h"

#ifndef VMC_VERSION
#define VMC_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* What every command gets besides its arguments: the configuration file,
 * --config FILE (before the command), else $VMCORE_LOADER_CONFIG, else
 * CONFIG_DEFAULT_PATH if it exists (NAMED: it must). */
struct invocation {
	const char *config_path;
	bool config_named;
};

struct cmd {
	const char *name;
	int (*run)(const struct invocation *inv, int argc, char **argv);
	const char *usage;
};

static int config_load(const struct invocation *inv, const char *cmd,
		       struct vmc_config *c)
{
	struct vmc_error *err = config_read(inv->config_path,
					    inv->config_named, c);

	if (!err)
		return 0;
	fprintf(stderr, "vmcore-loader %s: %s\n", cmd, err->message);
	vmc_error_destroy(err);
	config_free(c);
	return -1;
}

static const struct arch *running_arch(void)
{
	struct utsname u;

	return uname(&u) == 0 ? arch_from_name(u.machine) : NULL;
}

/* /proc and /sys, or their copies under $VMCORE_LOADER_SYSROOT (tests). */
static struct sysfiles sysfiles(void)
{
	static char buf[12][512];
	const char *root = getenv("VMCORE_LOADER_SYSROOT");
	struct sysfiles f = sysfiles_default;
	const char **p[] = { &f.iomem, &f.cmdline, &f.crash_size,
			     &f.crash_loaded, &f.meminfo, &f.lockdown,
			     &f.cpu_dir, &f.vmcoreinfo, &f.kcore,
			     &f.load_disabled, &f.secure_boot, &f.boot_dir };

	if (!root)
		return f;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
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

/* load's paths from the configuration (the options override them). */
static void load_opts_from_config(const struct vmc_config *c,
				  const struct sysfiles *f,
				  struct load_opts *o)
{
	o->kernel = config_get(c, CFG_KERNEL);
	o->initrd = config_get(c, CFG_INITRD);
	o->append = config_get(c, CFG_CMDLINE_APPEND);
	o->boot_dir = f->boot_dir;
}

static void print_security(const struct kdump_state *st)
{
	if (st->load_disabled == 1)
		printf("kexec        disabled (kexec_load_disabled = 1)\n");
	if (st->lockdown[0])
		printf("lockdown     %s\n", st->lockdown);
	if (st->secure_boot >= 0)
		printf("secure boot  %s\n", st->secure_boot ? "on" : "off");
}

static void print_images(const struct kdump_images *im)
{
	printf("kernel       %s", im->kernel);
	if (im->kernel_size >= 0)
		printf(" (%.1f MiB%s)\n", (double)im->kernel_size / (1 << 20),
		       im->kernel_signed == 1 ? ", signed" : "");
	else
		printf(" (missing)\n");
	printf("initrd       %s", im->initrd[0] ? im->initrd : "none");
	if (im->initrd[0] && im->initrd_size >= 0)
		printf(" (%.1f MiB)\n", (double)im->initrd_size / (1 << 20));
	else
		printf("%s\n", im->initrd[0] ? " (missing)" : "");
}

static int cmd_status(const struct invocation *inv, int argc,
		       char **argv)
{
	struct sysfiles f = sysfiles();
	struct kdump_state st;
	struct kdump_images im;
	struct kdump_reasons why;
	struct load_opts o = { 0 };
	struct vmc_config cfg;
	struct vmc_error *err;
	char a[32], b[32];

	if (argc > 1) {
		fprintf(stderr, "vmcore-loader status: no arguments expected "
			"('%s')\n", argv[1]);
		return EXIT_USAGE;
	}
	if (config_load(inv, "status", &cfg) < 0)
		return EXIT_FAIL;
	if ((err = kdump_state_read(&f, &st))) {
		fprintf(stderr, "vmcore-loader: %s\n", err->message);
		vmc_error_destroy(err);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	load_opts_from_config(&cfg, &f, &o);
	kdump_images_read(&f, &o, &im);
	kdump_reasons_find(&st, &im, &why);
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
	print_security(&st);
	if (st.loaded != 1)
		print_images(&im);
	printf("state        %s\n", why.n ? "NOT READY" : "ready");
	for (size_t i = 0; i < why.n; i++)
		printf("next         %s\n", why.text[i]);
	kdump_state_free(&st);
	config_free(&cfg);
	return why.n ? EXIT_FAIL : EXIT_OK;
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

static int cmd_crashkernel(const struct invocation *inv, int argc,
		            char **argv)
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

	(void)inv;
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

/* load --if-reserved (the service): true, with a line saying so, when
 * there is no reservation to load into. */
static bool nothing_reserved(const struct sysfiles *f)
{
	struct kdump_state st;
	struct vmc_error *err = kdump_state_read(f, &st);
	bool none;

	if (err) {
		vmc_error_destroy(err);
		return false;	/* load says what is wrong */
	}
	none = st.reserved == 0;
	if (none && st.crashkernel)
		printf("vmcore-loader: the kernel was booted with crashkernel=%s "
		       "but reserved no memory for a crash kernel: nothing "
		       "loaded, kdump is off (see `vmcore-loader status`)\n",
		       st.crashkernel);
	else if (none)
		printf("vmcore-loader: no crashkernel= on the kernel command "
		       "line, so no memory is reserved for a crash kernel: "
		       "nothing loaded, kdump is off (see `vmcore-loader "
		       "crashkernel` for a size to add)\n");
	kdump_state_free(&st);
	return none;
}

static int cmd_load(const struct invocation *inv, int argc,
		     char **argv)
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
		{ "if-reserved", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_opts o = { 0 };
	struct sysfiles f = sysfiles();
	struct vmc_config cfg;
	int c, rc;

	if (config_load(inv, "load", &cfg) < 0)
		return EXIT_FAIL;
	load_opts_from_config(&cfg, &f, &o);
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
		case 'R': o.if_reserved = true; break;
		default: rc = EXIT_USAGE; goto out;
		}
	}
	rc = EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "vmcore-loader load: unexpected '%s'\n",
			argv[optind]);
	} else if (o.core_class && !o.kexec_load) {
		fprintf(stderr, "vmcore-loader load: --elf32-core-headers and "
			"--elf64-core-headers go with --kexec-load "
			"(kexec_file_load makes its own ELF64 header)\n");
	} else if (o.if_reserved && nothing_reserved(&f)) {
		rc = EXIT_OK;
	} else {
		rc = o.kexec_load ? cmd_kexec_load_run(running_arch(), &f, &o)
				  : cmd_load_run(running_arch(), &f, &o);
	}
out:
	config_free(&cfg);
	return rc;
}

static int cmd_unload(const struct invocation *inv, int argc,
		       char **argv)
{
	struct sysfiles f = sysfiles();
	struct kdump_state st;
	struct vmc_error *err;
	int loaded;

	(void)inv;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--if-loaded"))) {
		fprintf(stderr, "vmcore-loader unload: only --if-loaded is "
			"expected\n");
		return EXIT_USAGE;
	}
	if (argc == 2) {
		if ((err = kdump_state_read(&f, &st))) {
			vmc_error_destroy(err);
			loaded = -1;
		} else {
			loaded = st.loaded;
			kdump_state_free(&st);
		}
		if (loaded == 0) {
			printf("vmcore-loader: no crash kernel is loaded: "
			       "nothing to unload\n");
			return EXIT_OK;
		}
	}
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

static int cmd_save(const struct invocation *inv, int argc,
		     char **argv)
{
	struct save_opts o;
	enum final_action then;
	const char *stop = getenv("VMCORE_LOADER_STOP_AFTER");
	char *saved = NULL;
	struct vmc_config cfg;
	struct vmc_error *err;
	int rc;

	if (config_load(inv, "save", &cfg) < 0)
		return EXIT_FAIL;
	/* In a capture kernel (there is a /proc/vmcore) FINAL_ACTION
	 * counts; a save typed on a running system never reboots it. */
	rc = save_parse_args(argc, argv, &cfg, access("/proc/vmcore", F_OK)
			     == 0, &o, &then);
	if (rc >= 0) {
		config_free(&cfg);
		return rc;
	}
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
	config_free(&cfg);
	if (final_action(then) < 0)
		rc = EXIT_FAIL;
	return rc;
}

/* ---- config ------------------------------------------------------------ */

/* VALUE in single quotes for sh: ' becomes '\''. */
static void print_quoted(const char *v)
{
	putchar('\'');
	for (; *v; v++)
		fputs(*v == '\'' ? "'\\''" : (char[]){ *v, 0 }, stdout);
	putchar('\'');
}

static int cmd_config(const struct invocation *inv, int argc,
		       char **argv)
{
	struct vmc_config cfg;
	bool shell = argc == 2 && !strcmp(argv[1], "--shell");

	if (argc > 2 || (argc == 2 && !shell)) {
		fprintf(stderr, "vmcore-loader config: only --shell is "
			"expected\n");
		return EXIT_USAGE;
	}
	if (config_load(inv, "config", &cfg) < 0)
		return EXIT_FAIL;
	if (!shell)
		printf("# %s%s\n", inv->config_path, cfg.path ? "" :
		       " (not there: every key unset)");
	for (int k = 0; k < CFG_NKEYS; k++) {
		const char *v = config_get(&cfg, (enum config_key)k);

		if (shell && !v)
			continue;
		printf("%s%s=", shell ? "" : v ? "" : "# ",
		       config_key_name((enum config_key)k));
		print_quoted(v ? v : "");
		if (!shell && v)
			printf("\t# line %u", cfg.line[k]);
		putchar('\n');
	}
	config_free(&cfg);
	return EXIT_OK;
}

/* ---- dispatch ---------------------------------------------------------- */

static int cmd_help(const struct invocation *inv, int argc, char **argv);

static const struct cmd cmds[] = {
	{ "status", cmd_status, "status                  is kdump ready? (exit 0: yes)" },
	{ "crashkernel", cmd_crashkernel, "crashkernel [--ram SIZE] [VALUE...]\n"
	  "                          what crashkernel= reserves; a recommendation" },
	{ "load", cmd_load, "load [--kernel F] [--initrd F | --no-initrd] [--command-line S]\n"
	  "     [--append S] [--dry-run] [--if-reserved]\n"
	  "                          load the crash kernel (kexec_file_load;\n"
	  "                          kexec_load where the kernel lacks it)\n"
	  "  load --kexec-load [--elf32-core-headers | --elf64-core-headers] [...]\n"
	  "                          load with kexec_load(2), our own ELF core\n"
	  "                          header and purgatory (x86; elsewhere the\n"
	  "                          header only, with --dry-run)" },
	{ "unload", cmd_unload, "unload [--if-loaded]    unload the crash kernel" },
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
	{ "config", cmd_config, "config [--shell]        the configuration file's values" },
	{ "help", cmd_help, "help                    this text" },
};

static int cmd_help(const struct invocation *inv, int argc,
		     char **argv)
{
	(void)inv;
	(void)argc;
	(void)argv;
	printf("usage: vmcore-loader [--config FILE] COMMAND [OPTIONS]\n\n"
	       "The configuration (default %s, or $VMCORE_LOADER_CONFIG)\n"
	       "gives load, save and status their defaults; options override "
	       "it.\n\nCommands:\n", CONFIG_DEFAULT_PATH);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %s\n", cmds[i].usage);
	printf("\nExit status: 0 success (status: ready), 1 failure (status: "
	       "not ready), 2 bad usage.\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *env = getenv("VMCORE_LOADER_CONFIG");
	struct invocation inv = {
		.config_path = env && *env ? env : CONFIG_DEFAULT_PATH,
		.config_named = env && *env,
	};

	if (argc >= 3 && !strcmp(argv[1], "--config")) {
		inv.config_path = argv[2];
		inv.config_named = true;
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		cmd_help(&inv, 0, NULL);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("vmcore-loader %s\n", VMC_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(&inv, 0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(&inv, argc - 1, argv + 1);
	}
	fprintf(stderr, "vmcore-loader: unknown command '%s' (try "
		"vmcore-loader help)\n", argv[1]);
	return EXIT_USAGE;
}
