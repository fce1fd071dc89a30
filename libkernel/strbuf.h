/* SPDX-License-Identifier: MIT */
/* A growable byte buffer for building replies. */
#ifndef VMC_STRBUF_H
#define VMC_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *data;
	size_t len, cap;
	bool oom;	/* an append failed: the content is incomplete */
};

void strbuf_init(struct strbuf *sb);
void strbuf_deinit(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
bool strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append LEN bytes as lowercase hex. */
void strbuf_add_hex(struct strbuf *sb, const void *data, size_t len);

/* Decode hex; returns the number of bytes written, or -1 on a bad digit. */
long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap);
/* Parse hex digits at *p (max 16), advancing *p past them. */
bool parse_hex_u64(const char **p, const char *end, uint64_t *ret);

#endif
