/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4).  Ours rather than a library's because the
 * purgatory, which runs between the crashed kernel and the capture kernel
 * with no C library, must compute it too: the loader and the purgatory
 * compile this same file (freestanding: no libc calls, no globals), so
 * the digest the loader stores is the one the purgatory checks.
 */
#ifndef LOADER_SHA256_H
#define LOADER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* LEN zero bytes (a segment's memsz beyond its bufsz). */
void sha256_zeros(struct sha256 *s, uint64_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_SIZE]);

#endif
