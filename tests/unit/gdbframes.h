/* SPDX-License-Identifier: MIT */
/* The client side of RSP framing, written after gdb's remote.c, to check
 * what the server sends (unit tests and fuzzers). */
#ifndef GDB_FRAMES_H
#define GDB_FRAMES_H

#include <stddef.h>

/*
 * Decode what a server sent the way gdb's remote.c (read_frame) does:
 * "$data#cs" frames with '}' escapes and "c*N" run-length encoding (N -
 * 29 more copies of c); bytes between frames (acks) are skipped.  Up to
 * MAX packets go to PKTS/LENS (NUL-terminated, malloc'ed: the caller
 * frees them).  Returns the number of packets, or -1 with a reason in
 * *WHY for a bad checksum, a bad repeat count ('#', '$', > 126, or
 * nothing to repeat) or an unterminated frame.
 */
int unit_gdb_frames(const char *in, size_t len, char **pkts, size_t *lens,
		    int max, const char **why);

#endif
