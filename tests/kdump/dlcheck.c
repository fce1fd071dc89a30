/* SPDX-License-Identifier: MIT */
/*
 * dlcheck: run the dump-level filter (libkernel/dumplevel.c) over a whole
 * dump, window by window as the kdump writer does, and compare the pages
 * it keeps with what a reference dump kept (makedumpfile's output).
 *
 * Usage: dlcheck [--level N] [--window PFNS] [--ref REF | --ref-excluded LIST]
 *                [--list] VMCORE
 *
 * The source bitmap of each window has a bit for every page VMCORE holds
 * (in a segment, not excluded by an earlier dump level).  With --ref, a
 * page REF keeps (in its segments, not excluded) that the filter left out
 * is a violation: the filter dropped data; a page the filter kept that
 * REF left out is "extra" (costs space only).  --ref-excluded gives the
 * reference as the list of pfns it left out (decimal, one per line:
 * `cmppages --excluded REF`), for references not worth keeping whole.  Prints the counts, the
 * filter's summary and warnings, a digest of the kept pfns (the same for
 * any --window), its own peak RSS, and the first violations; --list
 * prints every pfn the
 * filter left out.  Exit status: 0, 1 on violations, 2 on usage or open
 * errors.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "../../libkernel/dumplevel.h"
#include "../../libvmcore/vmcore.h"

#define MAX_SHOWN 10

struct held {
	struct vmcore *vc;
	size_t seg;		/* segment of the last lookup */
};

/* Does the dump hold the whole page at PADDR? */
static bool holds(struct held *h, uint64_t paddr, uint64_t psize)
{
	size_t n = vmcore_num_segments(h->vc);

	for (size_t k = 0; k < n; k++) {
		size_t i = (h->seg + k) % n;
		const struct vmc_segment *s = vmcore_segment(h->vc, i);

		if (paddr >= s->paddr && paddr + psize <= s->paddr + s->avail) {
			h->seg = i;
			return !vmcore_page_excluded(h->vc, paddr);
		}
	}
	return false;
}

static uint64_t max_pfn(struct vmcore *vc, unsigned shift)
{
	uint64_t end = 0;

	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
	}
	return (end + (UINT64_C(1) << shift) - 1) >> shift;
}

/* The reference as a sorted list of the pfns it left out. */
struct excl {
	bool given;
	uint64_t *pfn;
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void read_excluded(const char *path, struct excl *e)
{
	FILE *f = fopen(path, "r");
	unsigned long long v;
	size_t cap = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	e->given = true;
	while (fscanf(f, "%llu", &v) == 1) {
		if (e->n == cap) {
			cap = cap ? 2 * cap : 4096;
			e->pfn = realloc(e->pfn, cap * sizeof(*e->pfn));
			if (!e->pfn)
				abort();
		}
		e->pfn[e->n++] = v;
	}
	fclose(f);
	qsort(e->pfn, e->n, sizeof(*e->pfn), cmp_u64);
}

struct result {
	uint64_t ram, kept, ref_kept, extra, violations, ref_missing;
	uint32_t digest;
};

static void usage(void)
{
	fprintf(stderr, "usage: dlcheck [--level N] [--window PFNS] [--ref REF] "
		"[--list] VMCORE\n");
	exit(2);
}

static struct vmcore *open_or_die(const char *path)
{
	struct vmcore *vc;
	struct vmc_error *err = vmcore_open(path, &vc);

	if (err) {
		fprintf(stderr, "dlcheck: %s\n", err->message);
		exit(2);
	}
	return vc;
}

static bool ref_keeps(struct held *ref, const struct excl *e, uint64_t pfn,
		      unsigned shift)
{
	if (e->given)
		return !e->n || !bsearch(&pfn, e->pfn, e->n, sizeof(pfn), cmp_u64);
	return holds(ref, pfn << shift, UINT64_C(1) << shift);
}

static void compare_window(struct held *src, struct held *ref,
			   const struct excl *e,
			   uint64_t start, uint64_t n, const uint8_t *bm,
			   unsigned shift, bool list, struct result *r)
{
	uint64_t psize = UINT64_C(1) << shift;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = start + i, paddr = pfn << shift;
		bool ours, theirs;

		if (!holds(src, paddr, psize))
			continue;
		r->ram++;
		ours = bm[i / 8] >> (i % 8) & 1;
		if (ours) {
			r->kept++;
			r->digest = (uint32_t)crc32(r->digest,
						    (const Bytef *)&pfn,
						    sizeof(pfn));
		} else if (list) {
			printf("left-out 0x%" PRIx64 "\n", pfn);
		}
		if (!ref && !e->given)
			continue;
		theirs = ref_keeps(ref, e, pfn, shift);
		r->ref_kept += theirs;
		if (ours && !theirs)
			r->extra++;
		if (!ours && theirs && r->violations++ < MAX_SHOWN)
			printf("violation: pfn 0x%" PRIx64 " kept by the "
			       "reference, left out by the filter\n", pfn);
	}
}

/* The filter over the whole dump, WINDOW pfns at a time, as the kdump
 * writer calls it; the result compared window by window. */
static int run_windows(struct dumplevel *dl, struct held *src,
		       struct held *ref, const struct excl *ex, uint64_t window,
		       unsigned shift, bool list, struct result *r)
{
	uint64_t end = max_pfn(src->vc, shift);
	uint8_t *bm = malloc(window / 8);
	struct vmc_error *err;

	for (uint64_t start = 0; bm && start < end; start += window) {
		uint64_t n = end - start < window ? end - start : window;

		memset(bm, 0, window / 8);
		for (uint64_t i = 0; i < n; i++)
			if (holds(src, (start + i) << shift, UINT64_C(1) << shift))
				bm[i / 8] |= (uint8_t)(1u << (i % 8));
		if ((err = dumplevel_window(dl, start, n, bm))) {
			fprintf(stderr, "dlcheck: %s\n", err->message);
			free(bm);
			return -1;
		}
		compare_window(src, ref, ex, start, n, bm, shift, list, r);
	}
	free(bm);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "level", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' },
		{ "ref", required_argument, NULL, 'r' },
		{ "ref-excluded", required_argument, NULL, 'x' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int level = 31, c;
	uint64_t window = VMC_FILTER_WINDOW;
	const char *ref_path = NULL;
	bool list = false;
	struct held src = { 0 }, ref = { 0 };
	struct dumplevel *dl;
	struct vmc_error *err;
	struct result r = { 0 };
	struct excl ex = { 0 };
	struct rusage ru;
	const char *ps;
	unsigned shift;
	char *sum;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': level = atoi(optarg); break;
		case 'w': window = strtoull(optarg, NULL, 0); break;
		case 'r': ref_path = optarg; break;
		case 'x': read_excluded(optarg, &ex); break;
		case 'l': list = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !window || window % 8)
		usage();
	src.vc = open_or_die(argv[optind]);
	if (ref_path)
		ref.vc = open_or_die(ref_path);
	ps = vmcore_vmcoreinfo(src.vc, "PAGESIZE");
	shift = (unsigned)__builtin_ctzll(ps ? strtoull(ps, NULL, 10) : 4096);
	if ((err = dumplevel_create(src.vc, level, &dl))) {
		fprintf(stderr, "dlcheck: %s\n", err->message);
		return 2;
	}
	if (run_windows(dl, &src, ref_path ? &ref : NULL, &ex, window, shift,
			list, &r))
		return 2;
	sum = dumplevel_summary(dl);
	printf("%s\n", sum ? sum : "?");
	for (size_t i = 0; i < dumplevel_num_warnings(dl); i++)
		printf("warning: %s\n", dumplevel_warning(dl, i));
	printf("ram %" PRIu64 " kept %" PRIu64 " left-out %" PRIu64
	       " digest %08" PRIx32 "\n", r.ram, r.kept, r.ram - r.kept,
	       r.digest);
	if (!getrusage(RUSAGE_SELF, &ru))
		printf("maxrss %ld KiB\n", ru.ru_maxrss);
	if (ref_path || ex.given)
		printf("reference kept %" PRIu64 " extra %" PRIu64
		       " violations %" PRIu64 "\n", r.ref_kept, r.extra,
		       r.violations);
	free(sum);
	free(ex.pfn);
	dumplevel_destroy(dl);
	vmcore_close(src.vc);
	if (ref.vc)
		vmcore_close(ref.vc);
	return r.violations ? 1 : 0;
}
