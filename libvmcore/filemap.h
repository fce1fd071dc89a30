/* SPDX-License-Identifier: MIT */
/*
 * Read-only access to a dump file through a few mmap windows.  Mapping
 * the whole file would make every page we ever touched count in our RSS;
 * windows keep memory bounded (VMC_MAP_WINDOWS * VMC_MAP_WINDOW_SIZE, 24 MiB)
 * whatever the dump size, and sequential reads stay zero-copy until the
 * final memcpy.
 */
#ifndef VMC_FILEMAP_H
#define VMC_FILEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VMC_MAP_WINDOWS 6
#define VMC_MAP_WINDOW_SIZE (UINT64_C(4) << 20)
/* Small reads that miss every window are pread() unless their window was
 * missed recently (VMC_MAP_HISTORY misses) or follows the last one: random
 * reads all over a large dump then cost a pread each instead of an
 * mmap/munmap pair and page faults, and repeated or sequential ones still
 * get a window (replacing only an idle one, VMC_MAP_IDLE). */
#define VMC_MAP_HISTORY 16
#define VMC_MAP_PREAD_MAX (64u << 10)
/* A window idle for this many reads may be replaced by a recently missed
 * one; busier ones stay, and the miss is a pread. */
#define VMC_MAP_IDLE 1024

struct vmc_filemap {
	int fd;
	uint64_t size;
	uint64_t clock;
	struct vmc_mapwin {
		uint64_t off;
		size_t len;
		uint8_t *addr;	/* NULL: unused */
		uint64_t stamp;
	} win[VMC_MAP_WINDOWS];
	uint64_t missed[VMC_MAP_HISTORY];	/* window starts + 1; 0: none */
	size_t nmissed;
	uint64_t last_miss;			/* window start + 1; 0: none */
};

void vmc_filemap_init(struct vmc_filemap *fm, int fd, uint64_t size);
void vmc_filemap_deinit(struct vmc_filemap *fm);
/* Copy [off, off+len) of the file; the range must be inside the file. */
struct vmc_error *vmc_filemap_read(struct vmc_filemap *fm, uint64_t off,
				   void *buf, size_t len);

#endif
