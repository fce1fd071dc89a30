/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filemap.h"

void vmc_filemap_init(struct vmc_filemap *fm, int fd, uint64_t size)
{
	memset(fm, 0, sizeof(*fm));
	fm->fd = fd;
	fm->size = size;
}

void vmc_filemap_deinit(struct vmc_filemap *fm)
{
	for (size_t i = 0; i < VMC_MAP_WINDOWS; i++) {
		if (fm->win[i].addr)
			munmap(fm->win[i].addr, fm->win[i].len);
		fm->win[i].addr = NULL;
	}
}

static struct vmc_mapwin *find_window(struct vmc_filemap *fm, uint64_t off)
{
	for (size_t i = 0; i < VMC_MAP_WINDOWS; i++) {
		struct vmc_mapwin *w = &fm->win[i];

		if (w->addr && off >= w->off && off - w->off < w->len)
			return w;
	}
	return NULL;
}

static struct vmc_error *map_window(struct vmc_filemap *fm, uint64_t off,
				    struct vmc_mapwin **ret)
{
	struct vmc_mapwin *victim = &fm->win[0];
	uint64_t start = off & ~(VMC_MAP_WINDOW_SIZE - 1);
	uint64_t len = fm->size - start;
	void *addr;

	for (size_t i = 1; i < VMC_MAP_WINDOWS && victim->addr; i++) {
		if (!fm->win[i].addr || fm->win[i].stamp < victim->stamp)
			victim = &fm->win[i];
	}
	if (len > VMC_MAP_WINDOW_SIZE)
		len = VMC_MAP_WINDOW_SIZE;
	addr = mmap(NULL, len, PROT_READ, MAP_SHARED, fm->fd, (off_t)start);
	if (addr == MAP_FAILED)
		return vmc_error_errno(errno,
			"mapping dump bytes 0x%" PRIx64 "-0x%" PRIx64,
			start, start + len);
	if (victim->addr)
		munmap(victim->addr, victim->len);
	victim->off = start;
	victim->len = len;
	victim->addr = addr;
	*ret = victim;
	return NULL;
}

/* Should a miss at OFF get a window (true) or a pread (false)? */
static bool worth_a_window(struct vmc_filemap *fm, uint64_t off, size_t len)
{
	uint64_t key = (off & ~(VMC_MAP_WINDOW_SIZE - 1)) + 1, oldest = UINT64_MAX;
	bool sequential = fm->last_miss &&
			  key == fm->last_miss + VMC_MAP_WINDOW_SIZE;
	bool seen = false;

	fm->last_miss = key;
	if (len > VMC_MAP_PREAD_MAX || sequential)
		return true;
	for (size_t i = 0; i < VMC_MAP_HISTORY && !seen; i++)
		seen = fm->missed[i] == key;
	if (!seen) {
		fm->missed[fm->nmissed++ % VMC_MAP_HISTORY] = key;
		return false;
	}
	/* Admitted; but do not evict a window that is still in use (random
	 * reads over more windows than we keep would only thrash). */
	for (size_t i = 0; i < VMC_MAP_WINDOWS; i++) {
		if (!fm->win[i].addr)
			return true;
		if (fm->win[i].stamp < oldest)
			oldest = fm->win[i].stamp;
	}
	return fm->clock - oldest > VMC_MAP_IDLE;
}

static struct vmc_error *read_direct(struct vmc_filemap *fm, uint64_t off,
				     uint8_t *out, size_t len)
{
	while (len > 0) {
		ssize_t n = pread(fm->fd, out, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? vmc_error_errno(errno, "reading dump "
				"bytes 0x%" PRIx64 "+0x%zx", off, len)
				: vmc_error_create(VMC_ERR_FAULT, "dump bytes "
				"0x%" PRIx64 "+0x%zx: the file got shorter",
				off, len);
		out += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

struct vmc_error *vmc_filemap_read(struct vmc_filemap *fm, uint64_t off,
				   void *buf, size_t len)
{
	uint8_t *out = buf;

	if (off > fm->size || len > fm->size - off)
		return vmc_error_create(VMC_ERR_FAULT,
			"file range 0x%" PRIx64 "+0x%zx is past the end of "
			"the file (size 0x%" PRIx64 ")", off, len, fm->size);
	if (len && !find_window(fm, off) &&
	    (off & ~(VMC_MAP_WINDOW_SIZE - 1)) ==
	    ((off + len - 1) & ~(VMC_MAP_WINDOW_SIZE - 1)) &&
	    !worth_a_window(fm, off, len))
		return read_direct(fm, off, out, len);
	while (len > 0) {
		struct vmc_mapwin *w = find_window(fm, off);
		struct vmc_error *err;
		size_t n;

		if (!w && (err = map_window(fm, off, &w)))
			return err;
		w->stamp = ++fm->clock;
		n = w->len - (size_t)(off - w->off);
		if (n > len)
			n = len;
		memcpy(out, w->addr + (off - w->off), n);
		out += n;
		off += n;
		len -= n;
	}
	return NULL;
}
