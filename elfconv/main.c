/* SPDX-License-Identifier: MIT */
/* elfconv: rewrite a Linux crash dump as the ELF core a debugger reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "../libvmcore/vmcore.h"
#include "convert.h"

#ifndef VMC_VERSION
#define VMC_VERSION "unknown"
#endif

/* Exit codes, as documented in elfconv(1). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct options {
	struct plan_opts plan;
	bool info, force, quiet;
	char **inputs;
	size_t ninputs;
	const char *output;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: elfconv [OPTIONS] IN OUT\n"
"       elfconv [OPTIONS] SPLIT-FILE... OUT   (makedumpfile --split set)\n"
"       elfconv --info IN...\n"
"Rewrite a Linux kernel crash dump (ELF32/64, kdump-compressed, flattened,\n"
"QEMU) as an ELF core file.  OUT '-' writes to standard output.\n"
"\n"
"  -c, --class 32|64|auto  ELF class of OUT (auto: ELF32 for 32-bit\n"
"                          machines such as i386 and arm, else as IN)\n"
"      --drop-above-4g     ELF32: leave out memory above 4 GiB (warns)\n"
"  -f, --force             replace an existing OUT (and OUT.incomplete)\n"
"  -i, --info              describe IN: format, class, segments, notes,\n"
"                          VMCOREINFO; write nothing\n"
"  -q, --quiet             no progress and no notes, only errors\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n"
"OUT is written as OUT.incomplete and renamed when complete.\n"
"Exit status: 0 on success, 1 on errors, 2 on bad usage.\n");
}

static int parse_class(const char *s, enum class_choice *ret)
{
	if (strcmp(s, "32") == 0)
		*ret = CLASS_32;
	else if (strcmp(s, "64") == 0)
		*ret = CLASS_64;
	else if (strcmp(s, "auto") == 0)
		*ret = CLASS_AUTO;
	else
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_DROP = 256 };
	static const struct option longopts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "drop-above-4g", no_argument, NULL, OPT_DROP },
		{ "force", no_argument, NULL, 'f' },
		{ "info", no_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fiqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_class(optarg, &o->plan.elfclass) < 0) {
				fprintf(stderr, "elfconv: --class must be 32, "
					"64 or auto, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_DROP: o->plan.drop_above_4g = true; break;
		case 'f': o->force = true; break;
		case 'i': o->info = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); return EXIT_OK + 100;
		case 'V': printf("elfconv %s\n", VMC_VERSION);
			  return EXIT_OK + 100;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	if (!o->info) {
		if (o->ninputs < 2) {
			fprintf(stderr, "elfconv: give an input dump and an "
				"output file (or --info)\n");
			usage(stderr);
			return EXIT_USAGE;
		}
		o->output = o->inputs[--o->ninputs];
	} else if (o->ninputs == 0) {
		fprintf(stderr, "elfconv: --info needs a dump file\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* ---- progress on a terminal ------------------------------------------- */

struct progress {
	bool on;
	struct timespec start, last;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *pr = arg;
	struct timespec now;
	double t, rate;

	if (!pr->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && since(&pr->last, &now) < 0.2)
		return;
	pr->last = now;
	t = since(&pr->start, &now);
	rate = t > 0 ? (double)done / t : 0;
	fprintf(stderr, "\relfconv: %3u%%  %7.1f MB/s  ETA %u:%02u ",
		total ? (unsigned)(done * 100 / total) : 100u, rate / 1e6,
		rate > 0 ? (unsigned)((double)(total - done) / rate) / 60 : 0u,
		rate > 0 ? (unsigned)((double)(total - done) / rate) % 60 : 0u);
	if (done >= total)
		fputc('\n', stderr);
}

/* ---- the output file -------------------------------------------------- */

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Every refusal before anything is created. */
static int check_output(const struct options *o, const char *tmp)
{
	struct stat st;

	for (size_t i = 0; i < o->ninputs; i++) {
		if (same_file(o->inputs[i], o->output) ||
		    same_file(o->inputs[i], tmp)) {
			fprintf(stderr, "elfconv: %s is the input %s; refusing "
				"to write over a dump\n", o->output,
				o->inputs[i]);
			return EXIT_FAIL;
		}
	}
	if (!o->force && lstat(o->output, &st) == 0) {
		fprintf(stderr, "elfconv: %s exists; not replacing it (use "
			"--force)\n", o->output);
		return EXIT_FAIL;
	}
	if (!o->force && lstat(tmp, &st) == 0) {
		fprintf(stderr, "elfconv: %s exists (left by an interrupted "
			"run?); remove it or use --force\n", tmp);
		return EXIT_FAIL;
	}
	return -1;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	free(copy);
	return ret;
}

static int finish_file(const struct options *o, int fd, const char *tmp)
{
	if (fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "elfconv: %s: %s; the partial output is left "
			"there\n", tmp, strerror(errno));
		return EXIT_FAIL;
	}
	if ((o->force ? rename(tmp, o->output)
		      : renameat2(AT_FDCWD, tmp, AT_FDCWD, o->output,
				  RENAME_NOREPLACE)) < 0) {
		fprintf(stderr, "elfconv: renaming %s to %s: %s; the output "
			"is complete in %s\n", tmp, o->output,
			strerror(errno), tmp);
		return EXIT_FAIL;
	}
	sync_dir(o->output);
	return EXIT_OK;
}

/* ---- conversion ------------------------------------------------------- */

static void plan_notes(const struct options *o, const struct plan *p,
		       const struct write_result *r)
{
	if (o->quiet)
		return;
	if (p->excluded_runs)
		fprintf(stderr, "elfconv: %zu runs of at least 256 excluded "
			"pages (%" PRIu64 " MiB) are left out of the "
			"segments, as makedumpfile does; shorter runs are "
			"zeros\n", p->excluded_runs, p->excluded_bytes >> 20);
	if (p->dropped)
		fprintf(stderr, "elfconv: warning: --drop-above-4g left out "
			"%" PRIu64 " bytes of %zu segment%s above 4 GiB\n",
			p->dropped_bytes, p->dropped,
			p->dropped == 1 ? "" : "s");
	if (p->vmcoreinfo_added)
		fprintf(stderr, "elfconv: the input has no VMCOREINFO note; "
			"the copy found in its memory was added as one\n");
	if (r->zeroed_pages)
		fprintf(stderr, "elfconv: warning: %" PRIu64 " pages could "
			"not be read from the input (incomplete or truncated) "
			"and are zeros in the output\n", r->zeroed_pages);
}

static int convert(const struct options *o, struct vmcore *vc)
{
	bool to_stdout = strcmp(o->output, "-") == 0;
	char *tmp = NULL;
	struct plan p;
	struct progress pr = { .on = !o->quiet && isatty(STDERR_FILENO) };
	struct write_result res;
	struct vmc_error *err;
	int fd = STDOUT_FILENO, rc;

	if (to_stdout && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "elfconv: refusing to write a dump to a "
			"terminal; redirect standard output\n");
		return EXIT_USAGE;
	}
	if (!to_stdout) {
		if (asprintf(&tmp, "%s.incomplete", o->output) < 0)
			return EXIT_FAIL;
		if ((rc = check_output(o, tmp)) >= 0)
			goto out_free;
	}
	if ((err = plan_make(vc, &o->plan, &p))) {
		fprintf(stderr, "elfconv: %s: %s\n", o->inputs[0], err->message);
		vmc_error_destroy(err);
		rc = EXIT_FAIL;
		goto out_plan;
	}
	if (!to_stdout) {
		if (o->force)
			unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "elfconv: %s: %s\n", tmp,
				strerror(errno));
			rc = EXIT_FAIL;
			goto out_plan;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	vmcore_set_zero_excluded(vc, true);
	err = plan_write(vc, &p, fd, !to_stdout, show_progress, &pr, &res);
	if (pr.on && err)
		fputc('\n', stderr);
	if (err) {
		fprintf(stderr, "elfconv: %s: %s%s%s\n",
			to_stdout ? "standard output" : tmp, err->message,
			to_stdout ? "" : "; the partial output is left in ",
			to_stdout ? "" : tmp);
		vmc_error_destroy(err);
		if (!to_stdout)
			close(fd);
		rc = EXIT_FAIL;
		goto out_plan;
	}
	plan_notes(o, &p, &res);
	rc = to_stdout ? EXIT_OK : finish_file(o, fd, tmp);
	if (rc == EXIT_OK && !o->quiet && pr.on)
		fprintf(stderr, "elfconv: wrote %s: ELF%d, %zu PT_LOAD, %" PRIu64
			" bytes\n", o->output, p.elfclass == ELFCLASS32 ? 32 : 64,
			p.nsegs, p.file_size);
out_plan:
	plan_free(&p);
out_free:
	free(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .plan = { .elfclass = CLASS_AUTO } };
	struct vmcore *vc;
	struct vmc_error *err;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc >= 100 ? rc - 100 : rc;
	err = vmcore_open_set((const char *const *)o.inputs, o.ninputs, &vc);
	if (err) {
		fprintf(stderr, "elfconv: %s\n", err->message);
		vmc_error_destroy(err);
		return EXIT_FAIL;
	}
	if (!o.quiet && !o.info) {
		for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
			fprintf(stderr, "elfconv: warning: %s\n",
				vmcore_warning(vc, i));
	}
	if (o.info) {
		print_info(vc, stdout);
		rc = EXIT_OK;
	} else {
		rc = convert(&o, vc);
	}
	vmcore_close(vc);
	return rc;
}
