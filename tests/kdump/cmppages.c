/* SPDX-License-Identifier: MIT */
/*
 * cmppages: compare every physical page of a dump with a reference dump,
 * both read through libvmcore.  The reference is the ELF vmcore the
 * kernel wrote; the other is the same crash in another encoding
 * (kdump-compressed, flattened, ...).
 *
 * Usage:
 *   cmppages [--level N] [--incomplete] REF OTHER...
 *   cmppages --hash-sample FILE
 *   cmppages --hash-pfns FILE... < PFNS
 *   cmppages --excluded FILE
 *
 * Several OTHER files are one dump: the files of a split dump set.
 * Compare mode looks at every pfn either dump describes:
 *   - present in both: the bytes must be identical;
 *   - excluded in OTHER (VMC_ERR_EXCLUDED): the reference must have the
 *     page, OTHER's dump level must exclude something, and at dump level 1
 *     (zero pages only) the reference page must be all zeros; with
 *     vmcore_set_zero_excluded() on it must read as zeros;
 *   - present in the reference, not in OTHER (VMC_ERR_FAULT): "missing",
 *     allowed only with --incomplete, and then only as a suffix of the
 *     dumped pages (a makedumpfile that ran out of disk space loses the
 *     pages it had not written yet), and there must be some;
 *   - present in OTHER only, or any other error: a mismatch.
 * --level N also checks that OTHER reports dump level N, and at level 0
 * that it excludes nothing.  It prints the counts and the first mismatching
 * pfns, and exits 1 on any mismatch, 2 on usage or open errors.
 *
 * --hash-sample prints "PFN HASH" for a sample of pfns (every 97th, and
 * the first and last of each range of the dump's memory): HASH is the
 * zlib crc32 and adler32 of the page as 16 hex digits, or "-" when the page
 * cannot be read.  tests/kdump/drgn_pages.py prints the same for the same
 * pfns through drgn (libkdumpfile), a reader we did not write.
 * --hash-pfns does the same for the pfns (decimal, one per line, further
 * columns ignored) on standard input, of one dump or of the files of a
 * split set.  --excluded lists the pfns FILE
 * says were excluded by its dump level.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../libvmcore/vmcore.h"

#define PAGE 4096u
#define SAMPLE_STRIDE 97
#define MAX_SHOWN 10

struct counts {
	uint64_t compared, identical, excluded, missing, mismatches;
	uint64_t shown;
	uint64_t first_missing;		/* UINT64_MAX: none yet */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: cmppages [--level N] [--incomplete] REF OTHER...\n"
		"       cmppages --hash-sample FILE\n"
		"       cmppages --hash-pfns FILE... < PFNS\n"
		"       cmppages --excluded FILE\n");
	exit(2);
}

static struct vmcore *open_set_or_die(char **paths, size_t n)
{
	struct vmcore *vc;
	struct vmc_error *err = vmcore_open_set((const char *const *)paths,
						n, &vc);

	if (err) {
		fprintf(stderr, "cmppages: %s\n", err->message);
		vmc_error_destroy(err);
		exit(2);
	}
	return vc;
}

static struct vmcore *open_or_die(const char *path)
{
	struct vmcore *vc;
	struct vmc_error *err = vmcore_open(path, &vc);

	if (err) {
		fprintf(stderr, "cmppages: %s\n", err->message);
		vmc_error_destroy(err);
		exit(2);
	}
	return vc;
}

/* End of the physical memory the dump describes, in pages. */
static uint64_t end_pfn(const struct vmcore *vc)
{
	uint64_t end = 0;

	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
	}
	return (end + PAGE - 1) / PAGE;
}

/* PARTIAL: the dump holds only the start of the page (a segment that
 * ends inside it, like kexec's 0x1000-0x9fc00); read_page's *LEN. */
enum state { HAVE, EXCLUDED, ABSENT, PARTIAL, BROKEN };
static size_t partial_len;

/* Does a segment of VC end DONE bytes into PFN? */
static bool pfn_holds_end(struct vmcore *vc, uint64_t pfn, size_t done)
{
	for (size_t i = 0; i < vmcore_num_segments(vc); i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (s->paddr + s->memsz == pfn * PAGE + done)
			return true;
	}
	return false;
}

/* Read PFN; on BROKEN, *why is the message (caller frees). */
static enum state read_page(struct vmcore *vc, uint64_t pfn, uint8_t *buf,
			    char **why)
{
	size_t done = 0;
	struct vmc_error *err = vmcore_read_phys(vc, pfn * PAGE, buf, PAGE,
						 &done);
	enum state st;

	*why = NULL;
	if (!err)
		return HAVE;
	if (err->code == VMC_ERR_EXCLUDED && done == 0)
		st = EXCLUDED;
	else if (err->code == VMC_ERR_FAULT && done == 0)
		st = ABSENT;
	else if (err->code == VMC_ERR_FAULT && pfn_holds_end(vc, pfn, done)) {
		st = PARTIAL;
		partial_len = done;
	} else {
		st = BROKEN;
		*why = strdup(err->message);
	}
	vmc_error_destroy(err);
	return st;
}

static bool all_zero(const uint8_t *p)
{
	for (unsigned i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static void mismatch(struct counts *c, uint64_t pfn, const char *what,
		     const char *detail)
{
	c->mismatches++;
	if (c->shown++ < MAX_SHOWN)
		printf("  MISMATCH pfn 0x%" PRIx64 ": %s%s%s\n", pfn, what,
		       detail ? ": " : "", detail ? detail : "");
}

/* An excluded page: as the dump level allows, and zeros on request. */
static void check_excluded(struct vmcore *other, uint64_t pfn,
			   enum state rs, const uint8_t *ref,
			   struct counts *c)
{
	int level = vmcore_dump_level(other);
	uint8_t z[PAGE];
	char *why;

	c->excluded++;
	if (rs != HAVE) {
		mismatch(c, pfn, "excluded, but not in the reference", NULL);
		return;
	}
	if (level <= 0)
		mismatch(c, pfn, "excluded at a dump level that excludes "
			 "nothing", NULL);
	else if (level == 1 && !all_zero(ref))
		mismatch(c, pfn, "excluded at dump level 1 (zero pages) but "
			 "the reference page is not zero", NULL);
	vmcore_set_zero_excluded(other, true);
	memset(z, 0xa5, sizeof(z));
	if (read_page(other, pfn, z, &why) != HAVE || !all_zero(z))
		mismatch(c, pfn, "excluded page does not read as zeros with "
			 "zero_excluded on", why);
	free(why);
	vmcore_set_zero_excluded(other, false);
}

static void compare_pfn(struct vmcore *ref, struct vmcore *other,
			uint64_t pfn, bool incomplete, struct counts *c)
{
	static uint8_t a[PAGE], b[PAGE];
	char *rwhy, *owhy;
	enum state rs = read_page(ref, pfn, a, &rwhy);
	size_t rlen = partial_len;
	enum state os = read_page(other, pfn, b, &owhy);

	if (rs == PARTIAL && os == HAVE) {
		/* A kdump-compressed file holds whole pages: makedumpfile
		 * pads the reference's partial page with zeros. */
		c->compared++;
		if (memcmp(a, b, rlen) == 0 && b[rlen] == 0 &&
		    memcmp(b + rlen, b + rlen + 1, PAGE - rlen - 1) == 0)
			c->identical++;
		else
			mismatch(c, pfn, "padded partial page differs", NULL);
	} else if (rs == PARTIAL || os == PARTIAL) {
		c->compared++;
		if (rs == os && rlen == partial_len && memcmp(a, b, rlen) == 0)
			c->identical++;
		else
			mismatch(c, pfn, "partial page differs", NULL);
	} else if (rs == BROKEN)
		mismatch(c, pfn, "reference read failed", rwhy);
	else if (os == BROKEN)
		mismatch(c, pfn, "read failed", owhy);
	else if (os == EXCLUDED)
		check_excluded(other, pfn, rs, a, c);
	else if (rs == HAVE && os == HAVE) {
		c->compared++;
		if (c->first_missing != UINT64_MAX)
			mismatch(c, pfn, "present after missing pfn "
				 "(an incomplete dump loses only its last "
				 "pages)", NULL);
		if (memcmp(a, b, PAGE) == 0)
			c->identical++;
		else
			mismatch(c, pfn, "bytes differ", NULL);
	} else if (rs == HAVE) {
		c->missing++;
		if (c->first_missing == UINT64_MAX)
			c->first_missing = pfn;
		if (!incomplete)
			mismatch(c, pfn, "in the reference, not in the dump",
				 NULL);
	} else if (os == HAVE)
		mismatch(c, pfn, "in the dump, not in the reference", NULL);
	free(rwhy);
	free(owhy);
}

static int compare(const char *refpath, char **paths, size_t npaths,
		   int level, bool incomplete)
{
	struct vmcore *ref = open_or_die(refpath);
	struct vmcore *other = open_set_or_die(paths, npaths);
	const char *path = paths[0];
	struct counts c = { .first_missing = UINT64_MAX };
	uint64_t end = end_pfn(ref) > end_pfn(other) ? end_pfn(ref)
						     : end_pfn(other);
	bool saw_incomplete = false;

	printf("%s: %s, dump level %d, %" PRIu64 " pages excluded\n", path,
	       vmcore_format(other), vmcore_dump_level(other),
	       vmcore_excluded_pages(other));
	for (size_t i = 0; i < vmcore_num_warnings(other); i++) {
		printf("  warning: %s\n", vmcore_warning(other, i));
		if (strstr(vmcore_warning(other, i), "incomplete"))
			saw_incomplete = true;
	}
	vmcore_set_zero_excluded(other, false);
	for (uint64_t pfn = 0; pfn < end; pfn++)
		compare_pfn(ref, other, pfn, incomplete, &c);

	if (level != -2 && vmcore_dump_level(other) != level)
		mismatch(&c, 0, "wrong dump level", NULL);
	if (level == 0 && c.excluded)
		mismatch(&c, 0, "pages excluded at dump level 0", NULL);
	if (c.excluded != vmcore_excluded_pages(other)) {
		printf("  MISMATCH vmcore_excluded_pages() says %" PRIu64
		       ", %" PRIu64 " seen\n", vmcore_excluded_pages(other),
		       c.excluded);
		c.mismatches++;
	}
	if (incomplete && (!c.missing || !saw_incomplete)) {
		printf("  MISMATCH incomplete dump: %" PRIu64 " pages missing"
		       ", %s warning\n", c.missing,
		       saw_incomplete ? "with a" : "but no");
		c.mismatches++;
	}

	printf("  %" PRIu64 " pages compared, %" PRIu64 " identical, %"
	       PRIu64 " excluded, %" PRIu64 " missing, %" PRIu64
	       " mismatches\n", c.compared, c.identical, c.excluded,
	       c.missing, c.mismatches);
	vmcore_close(other);
	vmcore_close(ref);
	return c.mismatches ? 1 : 0;
}

static void hash_one(struct vmcore *vc, uint64_t pfn)
{
	static uint8_t buf[PAGE];
	char *why;

	if (read_page(vc, pfn, buf, &why) == HAVE)
		printf("%" PRIu64 " %08lx%08lx\n", pfn,
		       crc32(0, buf, PAGE), adler32(1, buf, PAGE));
	else
		printf("%" PRIu64 " -\n", pfn);
	free(why);
}

static int hash_sample(const char *path)
{
	struct vmcore *vc = open_or_die(path);
	uint64_t end = end_pfn(vc), n = vmcore_num_segments(vc);
	uint64_t *ends = calloc(2 * n + 1, sizeof(*ends));
	size_t k = 0;

	if (!ends)
		return 2;
	for (size_t i = 0; i < n; i++) {
		const struct vmc_segment *s = vmcore_segment(vc, i);

		if (!s->memsz)
			continue;
		ends[k++] = s->paddr / PAGE;
		ends[k++] = (s->paddr + s->memsz - 1) / PAGE;
	}
	for (uint64_t pfn = 0; pfn < end; pfn++) {
		bool pick = pfn % SAMPLE_STRIDE == 0;

		for (size_t i = 0; i < k && !pick; i++)
			pick = ends[i] == pfn;
		if (pick)
			hash_one(vc, pfn);
	}
	free(ends);
	vmcore_close(vc);
	return 0;
}

static int hash_pfns(char **paths, size_t n)
{
	struct vmcore *vc = open_set_or_die(paths, n);
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		char *end;
		uint64_t pfn = strtoull(line, &end, 10);

		if (end != line)
			hash_one(vc, pfn);
	}
	vmcore_close(vc);
	return 0;
}

static int list_excluded(const char *path)
{
	struct vmcore *vc = open_or_die(path);
	uint64_t end = end_pfn(vc);
	static uint8_t buf[PAGE];
	char *why;

	vmcore_set_zero_excluded(vc, false);
	for (uint64_t pfn = 0; pfn < end; pfn++) {
		if (read_page(vc, pfn, buf, &why) == EXCLUDED)
			printf("%" PRIu64 "\n", pfn);
		free(why);
	}
	vmcore_close(vc);
	return 0;
}

int main(int argc, char **argv)
{
	int level = -2;		/* not checked */
	bool incomplete = false;
	int i = 1;

	if (argc == 3 && strcmp(argv[1], "--hash-sample") == 0)
		return hash_sample(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "--hash-pfns") == 0)
		return hash_pfns(argv + 2, (size_t)(argc - 2));
	if (argc == 3 && strcmp(argv[1], "--excluded") == 0)
		return list_excluded(argv[2]);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--level") == 0 && i + 1 < argc)
			level = atoi(argv[++i]);
		else if (strcmp(argv[i], "--incomplete") == 0)
			incomplete = true;
		else
			usage();
	}
	if (argc - i < 2)
		usage();
	return compare(argv[i], argv + i + 1, (size_t)(argc - i - 1), level,
		       incomplete);
}
