/* SPDX-License-Identifier: MIT */
/*
 * mkkdump: rewrite an x86_64 ELF vmcore in makedumpfile's kdump-compressed
 * format, or in its flattened stream format, the way makedumpfile 1.7
 * writes them.  It exists so the tests can make the encodings the host's
 * makedumpfile cannot (snappy, zstd, the 32-bit header layout, a dump cut
 * short by a full disk, records out of order) and is written from the
 * format's description, independently of libvmcore's reader.
 *
 * Usage: mkkdump [options] VMCORE OUT
 *   --compress none|zlib|lzo|snappy|zstd   page compression (default zlib)
 *   --exclude-zero   dump level 1, zero pages left out of the 2nd bitmap
 *                    (makedumpfile's rule for ELF output, and what a
 *                    reader sees as excluded pages)
 *   --share-zero     dump level 1 as makedumpfile 1.7 writes kdump files:
 *                    zero pages stay in the 2nd bitmap and all point to
 *                    one zero page written first
 *   --flatten        the flattened stream (makedumpfile -F), records out
 *                    of order: the dump header is written last, over a
 *                    blank one written first
 *   --header32       the layout of a 32-bit makedumpfile (i386); the
 *                    utsname machine becomes "i686" unless --machine
 *   --machine NAME   utsname.machine to write
 *   --incomplete     set DUMP_DH_COMPRESSED_INCOMPLETE and cut the page
 *                    data half way, as a makedumpfile that ran out of disk
 *                    space leaves it: descriptors of pages whose data was
 *                    not written are zero
 *   --split K/N      file K (1 to N) of a split dump set, as
 *                    makedumpfile --split writes it: the same headers and
 *                    whole bitmaps in every file, split = 1 and the file's
 *                    pfn range [start_pfn, end_pfn) (N equal ranges) in
 *                    the sub-header, descriptors and data of that range
 *                    only
 * OUT may be "-" (standard output) with --flatten.
 *
 * File layout (blocks of block_size = the page size):
 *   block 0   disk_dump_header: signature "KDUMP   ", header_version 6,
 *             new_utsname (6 x 65 bytes) at 12, struct timeval at 408
 *             (64-bit) or 404 (32-bit), then status, block_size,
 *             sub_hdr_size, bitmap_blocks, max_mapnr, total_ram_blocks,
 *             device_blocks, written_blocks, current_cpu, nr_cpus (int32)
 *   block 1   kdump_sub_header, then the PT_NOTE contents; offset_note and
 *             offset_vmcoreinfo point into them (sub_hdr_size blocks)
 *   bitmaps   bitmap_blocks: 1st (pages that exist) and 2nd (pages in the
 *             dump) halves, one bit per pfn, least significant bit first
 *   page_desc {int64 offset; uint32 size; uint32 flags; uint64 page_flags}
 *             for each set bit of the 2nd bitmap, in pfn order
 *   data      pages, compressed unless that does not make them smaller
 *             (then raw: size = block_size, flags 0)
 * What makedumpfile 1.7 puts in the fields: utsname from the kernel's
 * init_uts_ns, tv_sec = VMCOREINFO CRASHTIME, nr_cpus = the NT_PRSTATUS
 * notes, max_mapnr = end of the last PT_LOAD in pages, sub_hdr_size and
 * bitmap halves rounded up to whole blocks, start/end_pfn 0 (not split),
 * page_flags 0; zlib level 1, lzo1x_1, zstd level 1.  tests/kdump/run.sh
 * checks that the zlib files are byte for byte what makedumpfile writes,
 * and that `makedumpfile -R` turns the flattened stream into the file.
 *
 * Build: cc -O2 -o mkkdump mkkdump.c -lelf -lz -llzo2 -lsnappy -lzstd
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <libelf.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* disk_dump_header.status and page_desc.flags */
#define DH_ZLIB 0x1
#define DH_LZO 0x2
#define DH_SNAPPY 0x4
#define DH_INCOMPLETE 0x8
#define DH_ZSTD 0x20

#define UTS_LEN 65
#define DESC_SIZE 24
#define SUB64_SIZE 104		/* sizeof(struct kdump_sub_header), LP64 */
#define SUB32_SIZE 80		/* the same on i386 (8-byte types 4-aligned) */
#define HDR64_SIZE 464		/* sizeof(struct disk_dump_header), LP64 */
#define HDR32_SIZE 452
#define FLAT_HEADER_SIZE 4096
#define DATA_CHUNK (64 * 1024)	/* data bytes per write / record */
#define DESC_CHUNK 4096		/* descriptors per write / record */
#define NT_PRSTATUS_TYPE 1

static const char *prog = "mkkdump";

struct seg {
	uint64_t paddr, vaddr, memsz, filesz, offset;
};

struct opts {
	uint32_t compress;	/* DH_* or 0 */
	bool exclude_zero, share_zero, flatten, header32, incomplete;
	int version;		/* header_version, 1 to 6 */
	int split_k, split_n;	/* --split K/N; 0: not split */
	const char *machine;
	const char *in, *out;
};

struct dump {
	int fd;
	uint64_t start_pfn, end_pfn;	/* the pfns this file holds */
	const uint8_t *map;	/* the whole vmcore */
	uint64_t size;
	struct seg *segs;	/* PT_LOADs, in program header order */
	size_t nsegs;
	uint8_t *notes;
	uint64_t notes_size;
	uint64_t vmcoreinfo_off, vmcoreinfo_size;	/* inside notes */
	int nr_cpus;
	uint32_t page_size;
	uint64_t max_mapnr;
	char uts[6][UTS_LEN];
	int64_t crashtime;
	uint64_t phys_base;
};

/* Output: positioned writes to a file, or records of a flattened stream. */
struct out {
	int fd;
	bool flat;
	const char *path;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void write_all(int fd, const void *buf, size_t len, const char *path)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void out_put(struct out *o, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t rec[16];

	if (len == 0)
		return;
	if (o->flat) {		/* big-endian {int64 offset; int64 size} */
		put_be64(rec, off);
		put_be64(rec + 8, len);
		write_all(o->fd, rec, sizeof(rec), o->path);
		write_all(o->fd, buf, len, o->path);
		return;
	}
	while (len > 0) {
		ssize_t n = pwrite(o->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("writing %s: %s", o->path, strerror(errno));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off,
		      const char *path)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("reading %s: %s", path, strerror(errno));
		if (n == 0)
			die("%s: unexpected end of file at 0x%" PRIx64, path,
			    off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
}

/* ---- reading the ELF vmcore --------------------------------------------- */

/* VALUE of "KEY=VALUE" in the VMCOREINFO text, copied into BUF, or NULL. */
static const char *vmcoreinfo_get(const struct dump *d, const char *key,
				  char *buf, size_t bufsz)
{
	const char *p = (const char *)d->notes + d->vmcoreinfo_off;
	const char *end = p + d->vmcoreinfo_size;
	size_t klen = strlen(key);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= bufsz)
				vlen = bufsz - 1;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		p += len + 1;
	}
	return NULL;
}

/* Walk the PT_NOTE contents: count NT_PRSTATUS, find VMCOREINFO. */
static void scan_notes(struct dump *d)
{
	uint64_t off = 0;

	while (d->notes_size - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name, desc, next;

		memcpy(&namesz, d->notes + off, 4);
		memcpy(&descsz, d->notes + off + 4, 4);
		memcpy(&type, d->notes + off + 8, 4);
		name = off + 12;
		desc = name + (((uint64_t)namesz + 3) & ~UINT64_C(3));
		next = desc + (((uint64_t)descsz + 3) & ~UINT64_C(3));
		if (namesz == 0 && descsz == 0)
			break;
		if (desc + descsz > d->notes_size)
			break;
		if (namesz == 5 && memcmp(d->notes + name, "CORE", 5) == 0 &&
		    type == NT_PRSTATUS_TYPE)
			d->nr_cpus++;
		if (namesz == 11 &&
		    memcmp(d->notes + name, "VMCOREINFO", 11) == 0) {
			d->vmcoreinfo_off = desc;
			d->vmcoreinfo_size = descsz;
		}
		off = next;
	}
}

static void read_elf(struct dump *d, const char *path)
{
	Elf *e;
	GElf_Ehdr eh;
	size_t phnum;

	struct stat st;

	d->fd = open(path, O_RDONLY);
	if (d->fd < 0 || fstat(d->fd, &st))
		die("%s: %s", path, strerror(errno));
	d->size = (uint64_t)st.st_size;
	d->map = mmap(NULL, d->size, PROT_READ, MAP_SHARED, d->fd, 0);
	if (d->map == MAP_FAILED)
		die("%s: mmap: %s", path, strerror(errno));
	if (elf_version(EV_CURRENT) == EV_NONE)
		die("libelf: %s", elf_errmsg(-1));
	e = elf_begin(d->fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, &eh) || elf_getphdrnum(e, &phnum) != 0)
		die("%s: not an ELF file: %s", path, elf_errmsg(-1));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE ||
	    eh.e_machine != EM_X86_64)
		die("%s: not an ELF64 x86_64 core file", path);
	d->segs = xcalloc(phnum, sizeof(*d->segs));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			die("%s: program header %zu: %s", path, i,
			    elf_errmsg(-1));
		if (ph.p_type == PT_NOTE && !d->notes) {
			d->notes_size = ph.p_filesz;
			d->notes = xcalloc(ph.p_filesz, 1);
			pread_all(d->fd, d->notes, ph.p_filesz, ph.p_offset,
				  path);
		} else if (ph.p_type == PT_LOAD) {
			d->segs[d->nsegs++] = (struct seg){
				ph.p_paddr, ph.p_vaddr, ph.p_memsz,
				ph.p_filesz, ph.p_offset };
		}
	}
	elf_end(e);
	if (!d->notes)
		die("%s: no PT_NOTE", path);
	for (size_t i = 0; i < d->nsegs; i++)
		if (d->segs[i].offset > d->size ||
		    d->segs[i].filesz > d->size - d->segs[i].offset)
			die("%s: PT_LOAD %zu ends past the end of the file: "
			    "the dump is truncated", path, i);
	scan_notes(d);
	if (!d->vmcoreinfo_size)
		die("%s: no VMCOREINFO note", path);
}

/* Copy LEN bytes at virtual VADDR out of the PT_LOADs' virtual ranges. */
static bool read_virt(const struct dump *d, uint64_t vaddr, void *buf,
		      size_t len)
{
	for (size_t i = 0; i < d->nsegs; i++) {
		const struct seg *s = &d->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (vaddr - s->vaddr)) {
			memcpy(buf, d->map + s->offset + (vaddr - s->vaddr),
			       len);
			return true;
		}
	}
	return false;
}

/*
 * What makedumpfile puts in the header: the kernel's utsname (read from
 * init_uts_ns), the crash time, phys_base, the page size, max_mapnr.
 */
static void dump_facts(struct dump *d)
{
	char buf[128];
	uint64_t uts_va = 0, name_off = 0, max_end = 0;

	if (vmcoreinfo_get(d, "PAGESIZE", buf, sizeof(buf)))
		d->page_size = (uint32_t)strtoul(buf, NULL, 10);
	if (d->page_size < 1024 || (d->page_size & (d->page_size - 1)))
		d->page_size = 4096;
	if (vmcoreinfo_get(d, "CRASHTIME", buf, sizeof(buf)))
		d->crashtime = strtoll(buf, NULL, 10);
	if (vmcoreinfo_get(d, "NUMBER(phys_base)", buf, sizeof(buf)))
		d->phys_base = (uint64_t)strtoll(buf, NULL, 10);
	if (vmcoreinfo_get(d, "SYMBOL(init_uts_ns)", buf, sizeof(buf)))
		uts_va = strtoull(buf, NULL, 16);
	if (vmcoreinfo_get(d, "OFFSET(uts_namespace.name)", buf, sizeof(buf)))
		name_off = strtoull(buf, NULL, 10);
	else
		name_off = 4;	/* struct kref before name: Linux < 3.0 */
	if (!uts_va || !read_virt(d, uts_va + name_off, d->uts,
				  sizeof(d->uts))) {
		memset(d->uts, 0, sizeof(d->uts));
		strcpy(d->uts[0], "Linux");
		if (vmcoreinfo_get(d, "OSRELEASE", buf, sizeof(buf)))
			memcpy(d->uts[2], buf, strnlen(buf, UTS_LEN - 1));
		strcpy(d->uts[4], "x86_64");
	}
	for (size_t i = 0; i < d->nsegs; i++) {
		uint64_t end = d->segs[i].paddr + d->segs[i].memsz;

		if (end > max_end)
			max_end = end;
	}
	d->max_mapnr = (max_end + d->page_size - 1) / d->page_size;
}

/* Is PFN in any PT_LOAD (the 1st bitmap)? */
static bool pfn_is_ram(const struct dump *d, uint64_t pfn)
{
	uint64_t lo = pfn * d->page_size, hi = lo + d->page_size;

	for (size_t i = 0; i < d->nsegs; i++) {
		const struct seg *s = &d->segs[i];

		if (s->memsz && lo < s->paddr + s->memsz && hi > s->paddr)
			return true;
	}
	return false;
}

/*
 * The page at PFN as makedumpfile reads it: from the first PT_LOAD (in
 * program header order) holding each byte, zeros beyond p_filesz.
 */
static void read_page(const struct dump *d, uint64_t pfn, uint8_t *buf)
{
	uint64_t lo = pfn * d->page_size, hi = lo + d->page_size;

	memset(buf, 0, d->page_size);
	for (size_t i = d->nsegs; i-- > 0;) {
		const struct seg *s = &d->segs[i];
		uint64_t a = lo > s->paddr ? lo : s->paddr;
		uint64_t b = hi < s->paddr + s->memsz ? hi : s->paddr + s->memsz;
		uint64_t fend = s->paddr + s->filesz;

		if (a >= b)
			continue;
		memset(buf + (a - lo), 0, b - a);
		if (a < fend)
			memcpy(buf + (a - lo), d->map + s->offset +
			       (a - s->paddr), (b < fend ? b : fend) - a);
	}
}

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- compression ---------------------------------------------------------- */

struct compressor {
	uint32_t flag;
	uint8_t *buf;
	size_t bufsz;
	lzo_voidp lzo_wrk;
	ZSTD_CCtx *zstd;
	z_stream z;		/* one deflate state, reset per page */
};

static void compressor_init(struct compressor *c, uint32_t flag,
			    uint32_t page_size)
{
	memset(c, 0, sizeof(*c));
	c->flag = flag;
	c->bufsz = compressBound(page_size);
	if (snappy_max_compressed_length(page_size) > c->bufsz)
		c->bufsz = snappy_max_compressed_length(page_size);
	if (ZSTD_compressBound(page_size) > c->bufsz)
		c->bufsz = ZSTD_compressBound(page_size);
	if (page_size + page_size / 16 + 64 + 3 > c->bufsz)
		c->bufsz = page_size + page_size / 16 + 64 + 3;	/* LZO */
	c->buf = xcalloc(c->bufsz, 1);
	if (flag == DH_LZO) {
		if (lzo_init() != LZO_E_OK)
			die("lzo_init failed");
		c->lzo_wrk = xcalloc(LZO1X_1_MEM_COMPRESS, 1);
	}
	if (flag == DH_ZSTD && !(c->zstd = ZSTD_createCCtx()))
		die("ZSTD_createCCtx failed");
	if (flag == DH_ZLIB && deflateInit(&c->z, Z_BEST_SPEED) != Z_OK)
		die("deflateInit failed");
}

static void compressor_fini(struct compressor *c)
{
	free(c->buf);
	free(c->lzo_wrk);
	ZSTD_freeCCtx(c->zstd);
	if (c->flag == DH_ZLIB)
		deflateEnd(&c->z);
}

/*
 * Compress PAGE; 0 when it is to be stored raw.  The same calls and levels
 * as makedumpfile (zlib level 1, lzo1x_1, snappy, zstd level 1), so the
 * zlib and lzo output is byte for byte what it writes.
 */
static size_t compress_page(struct compressor *c, const uint8_t *page,
			    size_t size)
{
	size_t n = 0;

	switch (c->flag) {
	case DH_ZLIB:	/* what compress2(level 1) does, without the
			 * allocation per page */
		c->z.next_in = (Bytef *)page;
		c->z.avail_in = (uInt)size;
		c->z.next_out = c->buf;
		c->z.avail_out = (uInt)c->bufsz;
		if (deflate(&c->z, Z_FINISH) == Z_STREAM_END)
			n = c->z.total_out;
		if (deflateReset(&c->z) != Z_OK)
			die("deflateReset failed");
		break;
	case DH_LZO: {
		lzo_uint ln = c->bufsz;

		if (lzo1x_1_compress(page, size, c->buf, &ln, c->lzo_wrk) ==
		    LZO_E_OK)
			n = ln;
		break;
	}
	case DH_SNAPPY: {
		size_t sn = c->bufsz;

		if (snappy_compress((const char *)page, size, (char *)c->buf,
				    &sn) == SNAPPY_OK)
			n = sn;
		break;
	}
	case DH_ZSTD: {
		size_t zn = ZSTD_compressCCtx(c->zstd, c->buf, c->bufsz, page,
					      size, 1);

		if (!ZSTD_isError(zn))
			n = zn;
		break;
	}
	default:
		break;
	}
	return n < size ? n : 0;
}

/* ---- writing ---------------------------------------------------------------- */

struct layout {
	uint32_t bs;
	uint64_t sub_size, sub_blocks, bitmap_half, bitmap_blocks;
	uint64_t bitmap1_off, desc_off, data_off;
	uint64_t ndumped;
};

static void set_bit(uint8_t *map, uint64_t pfn)
{
	map[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
}

static bool bit(const uint8_t *map, uint64_t pfn)
{
	return map[pfn / 8] >> (pfn % 8) & 1;
}

/* The two bitmaps; zero pages are read only when --exclude-zero needs it. */
static void make_bitmaps(const struct dump *d, const struct opts *o,
			 uint8_t *bm1, uint8_t *bm2, uint64_t *ndumped)
{
	uint8_t *page = xcalloc(d->page_size, 1);

	*ndumped = 0;
	for (uint64_t pfn = 0; pfn < d->max_mapnr; pfn++) {
		if (!pfn_is_ram(d, pfn))
			continue;
		set_bit(bm1, pfn);
		if (o->exclude_zero) {
			read_page(d, pfn, page);
			if (is_zero(page, d->page_size))
				continue;
		}
		set_bit(bm2, pfn);
		(*ndumped)++;
	}
	free(page);
}

static void make_main_header(const struct dump *d, const struct opts *o,
			     const struct layout *l, uint32_t status,
			     uint8_t *h)
{
	/* Field offsets after the timestamp: struct timeval is 16 bytes at
	 * 408 with 8-byte longs, 8 bytes at 404 on i386. */
	unsigned ts = o->header32 ? 404 : 408;
	unsigned tl = o->header32 ? 4 : 8;
	unsigned f = ts + 2 * tl;	/* status */

	memcpy(h, "KDUMP   ", 8);
	put_le(h + 8, (uint64_t)o->version, 4);		/* header_version */
	memcpy(h + 12, d->uts, sizeof(d->uts));
	if (o->machine) {
		memset(h + 12 + 4 * UTS_LEN, 0, UTS_LEN);
		memcpy(h + 12 + 4 * UTS_LEN, o->machine,
		       strnlen(o->machine, UTS_LEN - 1));
	}
	put_le(h + ts, (uint64_t)d->crashtime, tl);	/* tv_sec; tv_usec 0 */
	put_le(h + f, status, 4);
	put_le(h + f + 4, l->bs, 4);			/* block_size */
	put_le(h + f + 8, l->sub_blocks, 4);		/* sub_hdr_size */
	put_le(h + f + 12, l->bitmap_blocks, 4);
	put_le(h + f + 16, d->max_mapnr > UINT32_MAX ? UINT32_MAX :
			   d->max_mapnr, 4);
	/* total_ram_blocks, device_blocks, written_blocks, current_cpu: 0 */
	put_le(h + f + 36, (uint64_t)d->nr_cpus, 4);
}

static void make_sub_header(const struct dump *d, const struct opts *o,
			    const struct layout *l, int dump_level,
			    uint8_t *s)
{
	uint64_t note_off = l->bs + l->sub_size;

	if (o->header32) {
		/* unsigned long is 4 bytes, off_t and u64 8 bytes aligned
		 * to 4; fields newer than the version stay 0 */
		put_le(s + 0, d->phys_base, 4);
		put_le(s + 4, (uint64_t)dump_level, 4);
		/* split 8, start_pfn 12, end_pfn 16 */
		if (o->split_n) {
			put_le(s + 8, 1, 4);
			put_le(s + 12, d->start_pfn, 4);
			put_le(s + 16, d->end_pfn, 4);
		}
		if (o->version >= 3) {
			put_le(s + 20, note_off + d->vmcoreinfo_off, 8);
			put_le(s + 28, d->vmcoreinfo_size, 4);
		}
		if (o->version >= 4) {
			put_le(s + 32, note_off, 8);
			put_le(s + 40, d->notes_size, 4);
		}
		/* offset_eraseinfo 44, size_eraseinfo 52: none;
		 * start_pfn_64 56, end_pfn_64 64: 0 (not split) */
		if (o->version >= 6 && o->split_n) {
			put_le(s + 56, d->start_pfn, 8);
			put_le(s + 64, d->end_pfn, 8);
		}
		if (o->version >= 6)
			put_le(s + 72, d->max_mapnr, 8);
		return;
	}
	put_le(s + 0, d->phys_base, 8);
	put_le(s + 8, (uint64_t)dump_level, 4);
	/* split 12, start_pfn 16, end_pfn 24 */
	if (o->split_n) {
		put_le(s + 12, 1, 4);
		put_le(s + 16, d->start_pfn, 8);
		put_le(s + 24, d->end_pfn, 8);
	}
	if (o->version >= 3) {
		put_le(s + 32, note_off + d->vmcoreinfo_off, 8);
		put_le(s + 40, d->vmcoreinfo_size, 8);
	}
	if (o->version >= 4) {
		put_le(s + 48, note_off, 8);
		put_le(s + 56, d->notes_size, 8);
	}
	/* offset_eraseinfo 64, size_eraseinfo 72: none;
	 * start_pfn_64 80, end_pfn_64 88: 0 (not split) */
	if (o->version >= 6 && o->split_n) {
		put_le(s + 80, d->start_pfn, 8);
		put_le(s + 88, d->end_pfn, 8);
	}
	if (o->version >= 6)
		put_le(s + 96, d->max_mapnr, 8);
}

struct writer {
	struct out *out;
	uint8_t *desc;		/* DESC_CHUNK descriptors */
	size_t ndesc;
	uint64_t desc_pos;	/* file offset of desc[0] */
	uint8_t *data;		/* DATA_CHUNK bytes */
	size_t ndata;
	uint64_t data_pos;	/* file offset of data[0] */
};

static void flush_data(struct writer *w)
{
	out_put(w->out, w->data_pos, w->data, w->ndata);
	w->data_pos += w->ndata;
	w->ndata = 0;
}

static void flush_desc(struct writer *w)
{
	out_put(w->out, w->desc_pos, w->desc, w->ndesc * DESC_SIZE);
	w->desc_pos += w->ndesc * DESC_SIZE;
	w->ndesc = 0;
}

static void add_data(struct writer *w, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = DATA_CHUNK - w->ndata < n ? DATA_CHUNK - w->ndata : n;

		memcpy(w->data + w->ndata, p, k);
		w->ndata += k;
		p += k;
		n -= k;
		if (w->ndata == DATA_CHUNK)
			flush_data(w);
	}
}

/* Like makedumpfile, flush descriptors before the data they describe. */
static void add_desc(struct writer *w, uint64_t off, uint32_t size,
		     uint32_t flags)
{
	uint8_t *p = w->desc + w->ndesc * DESC_SIZE;

	put_le(p, off, 8);
	put_le(p + 8, size, 4);
	put_le(p + 12, flags, 4);
	put_le(p + 16, 0, 8);		/* page_flags: makedumpfile writes 0 */
	if (++w->ndesc == DESC_CHUNK) {
		flush_desc(w);
		flush_data(w);
	}
}

/* Descriptors and data of every page of the 2nd bitmap; returns the end of
 * the data. */
static uint64_t write_pages(const struct dump *d, const struct opts *o,
			    const struct layout *l, const uint8_t *bm2,
			    struct out *out)
{
	struct writer w = { out, xcalloc(DESC_CHUNK, DESC_SIZE), 0,
			    l->desc_off, xcalloc(DATA_CHUNK, 1), 0,
			    l->data_off };
	struct compressor c;
	uint8_t *page = xcalloc(l->bs, 1);
	uint64_t off = l->data_off, zero_off = 0;

	compressor_init(&c, o->compress, l->bs);
	if (o->share_zero) {		/* the one zero page, first */
		zero_off = off;
		add_data(&w, page, l->bs);
		off += l->bs;
	}
	for (uint64_t pfn = d->start_pfn; pfn < d->end_pfn; pfn++) {
		size_t n;

		if (!bit(bm2, pfn))
			continue;
		read_page(d, pfn, page);
		if (o->share_zero && is_zero(page, l->bs)) {
			add_desc(&w, zero_off, l->bs, 0);
			continue;
		}
		n = compress_page(&c, page, l->bs);
		if (n) {
			add_desc(&w, off, (uint32_t)n, c.flag);
			add_data(&w, c.buf, n);
		} else {
			add_desc(&w, off, l->bs, 0);
			add_data(&w, page, l->bs);
			n = l->bs;
		}
		off += n;
	}
	flush_desc(&w);
	flush_data(&w);
	compressor_fini(&c);
	free(page);
	free(w.desc);
	free(w.data);
	return off;
}

/* File K of N holds about 1/N of the dumped pages, as makedumpfile
 * --split divides them: the first file starts at pfn 0, the last ends at
 * max_mapnr.  *NDUMPED: all dumped pages in, this file's out. */
static void split_range(struct dump *d, const struct opts *o,
			const uint8_t *bm2, uint64_t *ndumped)
{
	uint64_t lo = *ndumped * (uint64_t)(o->split_k - 1) / (uint64_t)o->split_n;
	uint64_t hi = *ndumped * (uint64_t)o->split_k / (uint64_t)o->split_n;
	uint64_t seen = 0;

	d->start_pfn = o->split_k == 1 ? 0 : d->max_mapnr;
	d->end_pfn = d->max_mapnr;
	for (uint64_t pfn = 0; pfn < d->max_mapnr; pfn++) {
		if (!bit(bm2, pfn))
			continue;
		if (seen == lo && o->split_k > 1 && d->start_pfn == d->max_mapnr)
			d->start_pfn = pfn;
		if (seen == hi && o->split_k < o->split_n) {
			d->end_pfn = pfn;
			break;
		}
		seen++;
	}
	*ndumped = hi - lo;
}

/*
 * A disk that filled up half way through the page data: the file ends
 * there, and the descriptors of pages whose data did not fit are zero
 * (makedumpfile's write_kdump_page() zeroes them before giving up).
 */
static void cut_short(int fd, const struct layout *l, uint64_t data_end,
		      const char *path)
{
	uint64_t cut = l->data_off + (data_end - l->data_off) / 2;
	uint8_t *desc = xcalloc(l->ndumped, DESC_SIZE);
	uint64_t zeroed = 0;

	pread_all(fd, desc, l->ndumped * DESC_SIZE, l->desc_off, path);
	for (uint64_t i = 0; i < l->ndumped; i++) {
		uint8_t *p = desc + i * DESC_SIZE;
		uint64_t off = 0;
		uint32_t size = 0;

		for (int b = 7; b >= 0; b--)
			off = off << 8 | p[b];
		for (int b = 3; b >= 0; b--)
			size = size << 8 | p[8 + b];
		if (off + size > cut) {
			memset(p, 0, DESC_SIZE);
			zeroed++;
		}
	}
	if (pwrite(fd, desc, l->ndumped * DESC_SIZE, (off_t)l->desc_off) !=
	    (ssize_t)(l->ndumped * DESC_SIZE) || ftruncate(fd, (off_t)cut))
		die("writing %s: %s", path, strerror(errno));
	fprintf(stderr, "%s: incomplete: data cut at 0x%" PRIx64 ", %" PRIu64
		" of %" PRIu64 " pages lost\n", prog, cut, zeroed, l->ndumped);
	free(desc);
}

static void write_flat_header(struct out *out)
{
	uint8_t h[FLAT_HEADER_SIZE] = { 0 };

	memcpy(h, "makedumpfile", 12);	/* padded with NULs to 16 */
	put_be64(h + 16, 1);		/* type */
	put_be64(h + 24, 1);		/* version */
	write_all(out->fd, h, sizeof(h), out->path);
}

static void write_flat_end(struct out *out)
{
	uint64_t end[2] = { UINT64_MAX, UINT64_MAX };	/* -1, -1 */

	write_all(out->fd, end, sizeof(end), out->path);
}

static void write_kdump(struct dump *d, const struct opts *o)
{
	struct layout l = { 0 };
	struct out out = { -1, o->flatten, o->out };
	uint8_t *bm, *sub, hdr[HDR64_SIZE] = { 0 };
	int dump_level = o->exclude_zero || o->share_zero ? 1 : 0;
	uint32_t status = o->compress | (o->incomplete ? DH_INCOMPLETE : 0);
	uint64_t data_end, hdr_size = o->header32 ? HDR32_SIZE : HDR64_SIZE;

	l.bs = d->page_size;
	l.sub_size = o->header32 ? SUB32_SIZE : SUB64_SIZE;
	l.sub_blocks = (l.sub_size + d->notes_size + l.bs - 1) / l.bs;
	l.bitmap_half = ((d->max_mapnr + 7) / 8 + l.bs - 1) / l.bs * l.bs;
	l.bitmap_blocks = 2 * l.bitmap_half / l.bs;
	l.bitmap1_off = (1 + l.sub_blocks) * l.bs;
	l.desc_off = l.bitmap1_off + 2 * l.bitmap_half;

	bm = xcalloc(2, l.bitmap_half);
	make_bitmaps(d, o, bm, bm + l.bitmap_half, &l.ndumped);
	d->start_pfn = 0;
	d->end_pfn = d->max_mapnr;
	if (o->split_n)
		split_range(d, o, bm + l.bitmap_half, &l.ndumped);
	l.data_off = l.desc_off + l.ndumped * DESC_SIZE;

	if (strcmp(o->out, "-") == 0 && o->flatten)
		out.fd = STDOUT_FILENO;
	else
		out.fd = open(o->out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (out.fd < 0)
		die("%s: %s", o->out, strerror(errno));
	if (o->flatten) {
		write_flat_header(&out);
		/* A blank dump header first, the real one last: makedumpfile
		 * also rewrites parts of the file, so a reader must let later
		 * records win. */
		out_put(&out, 0, hdr, hdr_size);
	}

	sub = xcalloc(l.sub_size, 1);
	make_sub_header(d, o, &l, dump_level, sub);
	out_put(&out, l.bs + l.sub_size, d->notes, d->notes_size);
	out_put(&out, l.bs, sub, l.sub_size);
	/* Only the bytes that hold bits, as makedumpfile writes them: the
	 * rest of each half is a hole (zeros). */
	out_put(&out, l.bitmap1_off, bm, (d->max_mapnr + 7) / 8);
	out_put(&out, l.bitmap1_off + l.bitmap_half, bm + l.bitmap_half,
		(d->max_mapnr + 7) / 8);
	data_end = write_pages(d, o, &l, bm + l.bitmap_half, &out);

	make_main_header(d, o, &l, status, hdr);
	out_put(&out, 0, hdr, hdr_size);
	if (o->flatten)
		write_flat_end(&out);
	else if (o->incomplete)
		cut_short(out.fd, &l, data_end, o->out);
	else if (ftruncate(out.fd, (off_t)data_end))
		die("%s: %s", o->out, strerror(errno));
	if (out.fd != STDOUT_FILENO && close(out.fd))
		die("%s: %s", o->out, strerror(errno));
	free(sub);
	free(bm);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: %s [options] VMCORE OUT\n"
"  --compress none|zlib|lzo|snappy|zstd   page compression (default zlib)\n"
"  --exclude-zero   dump level 1; zero pages left out of the 2nd bitmap\n"
"  --share-zero     dump level 1 as makedumpfile writes it: zero pages\n"
"                   share one zero page's data\n"
"  --flatten        flattened stream (makedumpfile -F), records out of order\n"
"  --header32       32-bit (i386) header layout; machine \"i686\"\n"
"  --header-version N  header_version 1-6 (default 6): sub-header fields\n"
"                   newer than N (VMCOREINFO 3, notes 4, max_mapnr_64 6)\n"
"                   are left 0\n"
"  --machine NAME   utsname.machine to write\n"
"  --incomplete     flagged incomplete, page data cut half way\n"
"  --split K/N      file K of a split set of N (makedumpfile --split)\n"
"OUT may be - with --flatten.\n", prog);
	exit(status);
}

static uint32_t parse_compress(const char *s)
{
	static const struct { const char *name; uint32_t flag; } c[] = {
		{ "none", 0 }, { "zlib", DH_ZLIB }, { "lzo", DH_LZO },
		{ "snappy", DH_SNAPPY }, { "zstd", DH_ZSTD },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(s, c[i].name) == 0)
			return c[i].flag;
	die("--compress: '%s' is not none, zlib, lzo, snappy or zstd", s);
	return 0;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "compress", required_argument, NULL, 'c' },
		{ "exclude-zero", no_argument, NULL, 'z' },
		{ "share-zero", no_argument, NULL, 's' },
		{ "flatten", no_argument, NULL, 'F' },
		{ "header32", no_argument, NULL, '3' },
		{ "machine", required_argument, NULL, 'm' },
		{ "incomplete", no_argument, NULL, 'i' },
		{ "header-version", required_argument, NULL, 'v' },
		{ "split", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->compress = DH_ZLIB;
	o->version = 6;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->compress = parse_compress(optarg); break;
		case 'z': o->exclude_zero = true; break;
		case 's': o->share_zero = true; break;
		case 'F': o->flatten = true; break;
		case '3': o->header32 = true; break;
		case 'm': o->machine = optarg; break;
		case 'i': o->incomplete = true; break;
		case 'v': o->version = atoi(optarg); break;
		case 'S':
			if (sscanf(optarg, "%d/%d", &o->split_k,
				   &o->split_n) != 2 || o->split_n < 1 ||
			    o->split_k < 1 || o->split_k > o->split_n)
				die("--split: K/N with 1 <= K <= N");
			break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (argc - optind != 2)
		usage(2);
	o->in = argv[optind];
	o->out = argv[optind + 1];
	if (o->exclude_zero && o->share_zero)
		die("--exclude-zero and --share-zero are two ways of doing "
		    "dump level 1: pick one");
	if (o->incomplete && o->flatten)
		die("--incomplete is for kdump-compressed files, not "
		    "flattened streams");
	if (strcmp(o->out, "-") == 0 && !o->flatten)
		die("OUT can be - only with --flatten");
	if (o->header32 && !o->machine)
		o->machine = "i686";
	if (o->version < 1 || o->version > 6)
		die("--header-version: 1 to 6");
	if (o->split_n && (o->version < 2 || o->flatten || o->incomplete))
		die("--split needs header version 2 or later, and not "
		    "--flatten or --incomplete");
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct dump d = { 0 };

	parse_args(argc, argv, &o);
	read_elf(&d, o.in);
	dump_facts(&d);
	write_kdump(&d, &o);
	munmap((void *)d.map, d.size);
	close(d.fd);
	free(d.segs);
	free(d.notes);
	return 0;
}
