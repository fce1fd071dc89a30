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
#include "../libvmcore/kdumpwrite.h"
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
	bool kdump;			/* --format kdump */
	bool flat;			/* --flat */
	bool class_given, compress_given;
	int compress;			/* enum vmc_compress */
	int dump_level;
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
"QEMU) as an ELF core file, or as makedumpfile's kdump-compressed format.\n"
"OUT '-' writes to standard output.\n"
"\n"
"  -F, --format elf|kdump  what to write (default elf)\n"
"  -c, --class 32|64|auto  ELF class of OUT (auto: ELF32 for 32-bit\n"
"                          machines such as i386 and arm, else as IN)\n"
"      --drop-above-4g     ELF32: leave out memory above 4 GiB (warns)\n"
"  -z, --compress ALG      kdump: zstd (default), lzo, snappy, zlib or none\n"
"      --flat              kdump: the flattened stream (makedumpfile -F),\n"
"                          for pipes\n"
"  -d, --dump-level N      kdump: makedumpfile's dump level (0: every page\n"
"                          the input holds; bit 1: zero pages)\n"
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

static int parse_format(const char *s, bool *kdump)
{
	if (strcmp(s, "elf") == 0 || strcmp(s, "kdump") == 0) {
		*kdump = strcmp(s, "kdump") == 0;
		return 0;
	}
	fprintf(stderr, "elfconv: --format must be elf or kdump, not '%s'\n",
		s);
	return -1;
}

static int parse_level(const char *s, int *ret)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (!*s || *end || v < 0 || v > 31) {
		fprintf(stderr, "elfconv: --dump-level must be 0 to 31 (a sum "
			"of 1 zero, 2 cache, 4 private cache, 8 user, 16 free "
			"pages), not '%s'\n", s);
		return -1;
	}
	*ret = (int)v;
	return 0;
}

/* Options that only make sense with one of the formats. */
static int check_kdump_args(struct options *o)
{
	const char *bad = NULL;

	if (o->kdump && o->class_given)
		bad = "--class is for --format elf";
	else if (o->kdump && o->plan.drop_above_4g)
		bad = "--drop-above-4g is for --format elf";
	else if (!o->kdump && o->compress_given)
		bad = "--compress is for --format kdump";
	else if (!o->kdump && o->flat)
		bad = "--flat is for --format kdump";
	else if (!o->kdump && o->dump_level)
		bad = "--dump-level is for --format kdump";
	if (bad)
		fprintf(stderr, "elfconv: %s\n", bad);
	return bad ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_DROP = 256, OPT_FLAT };
	static const struct option longopts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "compress", required_argument, NULL, 'z' },
		{ "flat", no_argument, NULL, OPT_FLAT },
		{ "dump-level", required_argument, NULL, 'd' },
		{ "drop-above-4g", no_argument, NULL, OPT_DROP },
		{ "force", no_argument, NULL, 'f' },
		{ "info", no_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:F:z:d:fiqhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_class(optarg, &o->plan.elfclass) < 0) {
				fprintf(stderr, "elfconv: --class must be 32, "
					"64 or auto, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->class_given = true;
			break;
		case 'F':
			if (parse_format(optarg, &o->kdump) < 0)
				return EXIT_USAGE;
			break;
		case 'z':
			o->compress = vmc_compress_from_name(optarg);
			if (o->compress < 0) {
				fprintf(stderr, "elfconv: --compress must be "
					"zstd, lzo, snappy, zlib or none, not "
					"'%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->compress_given = true;
			break;
		case 'd':
			if (parse_level(optarg, &o->dump_level) < 0)
				return EXIT_USAGE;
			break;
		case OPT_FLAT: o->flat = true; break;
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
	if (check_kdump_args(o) < 0)
		return EXIT_USAGE;
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

/* ---- kdump-compressed output ------------------------------------------ */

static void kdump_notes(const struct options *o,
			const struct vmc_kdump_stats *st, const char *out)
{
	if (st->missing)
		fprintf(stderr, "elfconv: warning: %" PRIu64 " pages could not "
			"be read from the input (truncated or corrupt): the "
			"output has no data for them and is flagged incomplete, "
			"as makedumpfile flags a dump it could not finish\n",
			st->missing);
	if (o->quiet)
		return;
	if (st->source_excluded)
		fprintf(stderr, "elfconv: %" PRIu64 " pages the input had "
			"already excluded stay excluded\n",
			st->source_excluded);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "elfconv: wrote %s: kdump-compressed (%s), %"
			PRIu64 " of %" PRIu64 " pages (%" PRIu64 " zero, %"
			PRIu64 " filtered out), %" PRIu64 " bytes\n", out,
			vmc_compress_name((enum vmc_compress)o->compress),
			st->dumped, st->ram_pages, st->zero, st->filtered,
			st->bytes);
}

/* The output descriptor: OUT.incomplete, or standard output (a pipe
 * needs the flattened stream). */
static int open_kdump_out(const struct options *o, const char *tmp, int *fd)
{
	struct stat sb;

	if (!tmp) {
		*fd = STDOUT_FILENO;
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "elfconv: refusing to write a dump to "
				"a terminal; redirect standard output\n");
			return EXIT_USAGE;
		}
		if (!o->flat && (fstat(STDOUT_FILENO, &sb) < 0 ||
				 !S_ISREG(sb.st_mode))) {
			fprintf(stderr, "elfconv: standard output is not a "
				"file: a kdump-compressed dump is written out "
				"of order; use --flat for a pipe\n");
			return EXIT_USAGE;
		}
		return -1;
	}
	if (o->force)
		unlink(tmp);
	*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0) {
		fprintf(stderr, "elfconv: %s: %s\n", tmp, strerror(errno));
		return EXIT_FAIL;
	}
	return -1;
}

static int convert_kdump(const struct options *o, struct vmcore *vc)
{
	bool to_stdout = strcmp(o->output, "-") == 0;
	char *tmp = NULL;
	struct progress pr = { .on = !o->quiet && isatty(STDERR_FILENO) };
	struct vmc_page_filter filter = { .dump_level = 0 };
	struct vmc_kdump_opts ko = {
		.compress = (enum vmc_compress)o->compress, .flat = o->flat,
		.filter = &filter, .progress = show_progress,
		.progress_arg = &pr,
	};
	struct vmc_kdump_stats st;
	struct vmc_error *err;
	int fd = -1, rc;

	if (!to_stdout) {
		if (asprintf(&tmp, "%s.incomplete", o->output) < 0)
			return EXIT_FAIL;
		if ((rc = check_output(o, tmp)) >= 0)
			goto out;
	}
	if ((err = dump_filter_make(vc, o->dump_level, &filter))) {
		fprintf(stderr, "elfconv: %s\n", err->message);
		vmc_error_destroy(err);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((rc = open_kdump_out(o, tmp, &fd)) >= 0)
		goto out_filter;
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	err = vmcore_write_kdump(vc, fd, &ko, &st);
	if (err) {
		if (pr.on)
			fputc('\n', stderr);
		fprintf(stderr, "elfconv: %s: %s%s%s\n",
			to_stdout ? "standard output" : tmp, err->message,
			to_stdout ? "" : "; the partial output is left in ",
			to_stdout ? "" : tmp);
		vmc_error_destroy(err);
		if (!to_stdout)
			close(fd);
		rc = EXIT_FAIL;
		goto out_filter;
	}
	rc = to_stdout ? EXIT_OK : finish_file(o, fd, tmp);
	if (rc == EXIT_OK) {
		kdump_notes(o, &st, o->output);
		dump_filter_report(&filter, !o->quiet &&
				   isatty(STDERR_FILENO), stderr);
	}
out_filter:
	dump_filter_free(&filter);
out:
	free(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .plan = { .elfclass = CLASS_AUTO },
			     .compress = VMC_COMPRESS_ZSTD };
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
		rc = o.kdump ? convert_kdump(&o, vc) : convert(&o, vc);
	}
	vmcore_close(vc);
	return rc;
}
