/* SPDX-License-Identifier: MIT */
/*
 * A tiny unit-test framework.
 *
 *   TEST(name) { CHECK(x == 1, "x is %d", x); ... }
 *
 * Every test-NAME.c is linked with unit.c, which has main(): it runs the
 * tests of the file in source order (or those named on the command line),
 * prints "PASS name", "SKIP name: why" or one "FAIL name: file:line: ..."
 * line per failed check, and exits with the number of failed tests
 * (capped at 100).  A failed check does not stop its test.
 *
 * unit.c also carries corefile.c, the synthetic ELF vmcore writer
 * (corefile.h), and gdbframes.c, gdb's side of RSP framing (gdbframes.h),
 * because the Makefile links every test with unit.o only.
 */
#ifndef UNIT_H
#define UNIT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../libvmcore/error.h"
#include "gdbframes.h"

typedef void unit_fn(void);

void unit_register(const char *name, unit_fn *fn, int line);

#define TEST(name)							\
	static void test_##name(void);					\
	__attribute__((constructor)) static void unit_reg_##name(void)	\
	{								\
		unit_register(#name, test_##name, __LINE__);		\
	}								\
	static void test_##name(void)

/* The checks return whether they passed, so tests can stop early. */
bool unit_check(bool ok, const char *file, int line, const char *expr,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* CHECK(cond) or CHECK(cond, "printf format", args...) */
#define CHECK(cond, ...)						\
	unit_check(!!(cond), __FILE__, __LINE__, #cond, " " __VA_ARGS__)

#define CHECK_U64(got, want)						\
	unit_check_u64((uint64_t)(got), (uint64_t)(want), __FILE__,	\
		       __LINE__, #got)
#define CHECK_I64(got, want)						\
	unit_check_i64((int64_t)(got), (int64_t)(want), __FILE__,	\
		       __LINE__, #got)
/* NULL-safe string equality. */
#define CHECK_STR(got, want)						\
	unit_check_str((got), (want), __FILE__, __LINE__, #got)
/* HAYSTACK (may be NULL) contains NEEDLE. */
#define CHECK_CONTAINS(haystack, needle)				\
	unit_check_contains((haystack), (needle), __FILE__, __LINE__,	\
			    #haystack)
#define CHECK_MEM(got, want, len)					\
	unit_check_mem((got), (want), (len), __FILE__, __LINE__, #got)
/* ERR must be NULL; destroys it otherwise.  Returns true if NULL. */
#define CHECK_OK(err)							\
	unit_check_ok((err), __FILE__, __LINE__, #err)
/* ERR must be an error of CODE whose message contains SUBSTR (or NULL
 * for any message); destroys it.  Returns true if so. */
#define CHECK_ERR(err, code, substr)					\
	unit_check_err((err), (code), (substr), __FILE__, __LINE__, #err)

bool unit_check_u64(uint64_t got, uint64_t want, const char *file, int line,
		    const char *expr);
bool unit_check_i64(int64_t got, int64_t want, const char *file, int line,
		    const char *expr);
bool unit_check_str(const char *got, const char *want, const char *file,
		    int line, const char *expr);
bool unit_check_contains(const char *haystack, const char *needle,
			 const char *file, int line, const char *expr);
bool unit_check_mem(const void *got, const void *want, size_t len,
		    const char *file, int line, const char *expr);
bool unit_check_ok(struct vmc_error *err, const char *file, int line,
		   const char *expr);
bool unit_check_err(struct vmc_error *err, int code, const char *substr,
		    const char *file, int line, const char *expr);

/* Fail the running test because something it needs is missing: tests
 * never skip (make check builds and installs everything). */
void unit_missing(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a note under the running test (not a failure). */
void unit_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run FN(ARG) in a child process, so that a crash or a hang shows as one
 * failed check instead of killing the whole test program.  Returns a
 * description of how the child ended ("exit 0", "signal 11",
 * "timeout after 5 s") in a static buffer.
 */
const char *unit_in_child(void (*fn)(void *), void *arg,
			  unsigned timeout_s);

/* Write LEN bytes to a new temporary file; its path goes to PATH. */
bool unit_write_tmp(const void *data, size_t len, char *path,
		    size_t pathsz);
/* A new empty temporary directory. */
bool unit_tmpdir(char *path, size_t pathsz);

/* The source tree root: $VMC_SRCDIR, else the current directory. */
const char *unit_srcdir(void);
/* The build directory: $VMC_BUILD, else "build". */
const char *unit_builddir(void);

/* Die on allocation failure: tests are not about our own OOM handling. */
void *unit_xmalloc(size_t n);
void *unit_xcalloc(size_t n, size_t size);
void *unit_xrealloc(void *p, size_t n);

#endif
