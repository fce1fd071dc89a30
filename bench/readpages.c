/* SPDX-License-Identifier: MIT */
/*
 * Page-read benchmarks of libvmcore (make bench):
 *
 *   readpages sample DUMP N SEED   print N random pfns that read (one per line)
 *   readpages random DUMP PFNFILE  read those pages, print seconds per page
 *   readpages all DUMP             read every page in RAM order, print MB/s
 *   readpages inflate DUMP         decompress (zlib) or copy (raw) every
 *                                  dumped page of a kdump-compressed dump
 *                                  held in memory, MB/s: the limit for
 *                                  "all" (no I/O, no lookup)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../libvmcore/vmcore.h"

#define PAGE 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct vmcore *open_dump(const char *path)
{
	struct vmcore *vc;
	struct vmc_error *err = vmcore_open(path, &vc);

	if (err) {
		fprintf(stderr, "readpages: %s\n", err->message);
		vmc_error_destroy(err);
		return NULL;
	}
	return vc;
}

static bool readable(struct vmcore *vc, uint64_t pfn, uint8_t *buf)
{
	struct vmc_error *err = vmcore_read_phys(vc, pfn * PAGE, buf, PAGE,
						 NULL);

	vmc_error_destroy(err);
	return !err;
}

static int sample(struct vmcore *vc, long n, unsigned seed)
{
	uint64_t total = 0;
	uint8_t buf[PAGE];

	srand(seed);
	for (size_t i = 0; i < vmcore_num_segments(vc); i++)
		total += vmcore_segment(vc, i)->memsz / PAGE;
	for (long got = 0, tries = 0; got < n && tries < 100 * n; tries++) {
		uint64_t k = ((uint64_t)rand() << 31 | (uint64_t)rand()) % total;

		for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
			const struct vmc_segment *s = vmcore_segment(vc, i);

			if (k < s->memsz / PAGE) {
				uint64_t pfn = s->paddr / PAGE + k;

				if (readable(vc, pfn, buf)) {
					printf("%" PRIu64 "\n", pfn);
					got++;
				}
				break;
			}
			k -= s->memsz / PAGE;
		}
	}
	return 0;
}

static int random_reads(struct vmcore *vc, const char *list)
{
	FILE *f = fopen(list, "r");
	uint64_t *pfns = NULL, pfn;
	size_t n = 0, cap = 0;
	uint8_t buf[PAGE];
	double t;

	if (!f) {
		perror(list);
		return 1;
	}
	while (fscanf(f, "%" SCNu64, &pfn) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			pfns = realloc(pfns, cap * sizeof(*pfns));
			if (!pfns)
				return 1;
		}
		pfns[n++] = pfn;
	}
	fclose(f);
	t = now();
	for (size_t i = 0; i < n; i++) {
		if (!readable(vc, pfns[i], buf)) {
			fprintf(stderr, "readpages: pfn %" PRIu64 " failed\n",
				pfns[i]);
			return 1;
		}
	}
	t = now() - t;
	printf("%.9f %zu\n", n ? t / (double)n : 0, n);
	free(pfns);
	return 0;
}

static int all_pages(struct vmcore *vc)
{
	uint8_t buf[PAGE];
	uint64_t pages = 0;
	double t = now();

	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		for (uint64_t p = s->paddr / PAGE;
		     p < (s->paddr + s->memsz) / PAGE; p++)
			pages += readable(vc, p, buf);
	}
	t = now() - t;
	printf("%.1f %" PRIu64 " %.3f\n", (double)pages * PAGE / 1e6 / t, pages,
	       t);
	return 0;
}

/* Just enough of the kdump-compressed layout (64-bit header) to find
 * the zlib pages: see libvmcore/format_kdump.c for the real reader. */
static uint32_t le32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int inflate_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *file, out[PAGE];
	long size;
	uint64_t bs, bitmap2, desc, nbits, ndumped = 0, bytes = 0;
	z_stream z = { 0 };
	double t;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
		perror(path);
		return 1;
	}
	rewind(f);
	file = malloc((size_t)size);
	if (!file || fread(file, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		return 1;
	}
	fclose(f);
	bs = le32(file + 428);
	bitmap2 = (1 + le32(file + 432)) * bs + le32(file + 436) / 2 * bs;
	desc = bitmap2 + le32(file + 436) / 2 * bs;
	nbits = le32(file + 436) / 2 * bs * 8;
	for (uint64_t i = 0; i < nbits; i++)
		ndumped += file[bitmap2 + i / 8] >> (i % 8) & 1;
	if (inflateInit(&z) != Z_OK)
		return 1;
	t = now();
	for (uint64_t i = 0; i < ndumped; i++) {
		const uint8_t *d = file + desc + i * 24;

		if (le32(d + 12) & 1) {
			inflateReset(&z);
			z.next_in = file + le64(d);
			z.avail_in = le32(d + 8);
			z.next_out = out;
			z.avail_out = PAGE;
			inflate(&z, Z_FINISH);
			bytes += PAGE - z.avail_out;
		} else {
			memcpy(out, file + le64(d), PAGE);	/* stored raw */
			bytes += PAGE;
		}
	}
	t = now() - t;
	inflateEnd(&z);
	printf("%.1f %" PRIu64 " %.3f\n", (double)bytes / 1e6 / t,
	       bytes / PAGE, t);
	free(file);
	return 0;
}

int main(int argc, char **argv)
{
	struct vmcore *vc;
	int ret;

	if (argc >= 3 && strcmp(argv[1], "inflate") == 0)
		return inflate_all(argv[2]);
	if (argc < 3 || !(vc = open_dump(argv[2]))) {
		fprintf(stderr, "usage: readpages sample|random|all|inflate "
			"DUMP [ARGS]\n");
		return 2;
	}
	if (strcmp(argv[1], "sample") == 0 && argc == 5)
		ret = sample(vc, atol(argv[3]), (unsigned)atoi(argv[4]));
	else if (strcmp(argv[1], "random") == 0 && argc == 4)
		ret = random_reads(vc, argv[3]);
	else if (strcmp(argv[1], "all") == 0)
		ret = all_pages(vc);
	else
		ret = 2;
	vmcore_close(vc);
	return ret;
}
