/* SPDX-License-Identifier: MIT */
/* The unit-test framework (unit.h) and main(). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

struct unit_test {
	const char *name;
	unit_fn *fn;
	int line;
};

static struct unit_test *tests;
static size_t ntests, tests_cap;

static const char *current;	/* the running test */
static unsigned current_failures;

/*
 * Under ASan, let a too-large malloc() return NULL as in production
 * instead of aborting: some tests check that huge requests fail cleanly.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

void *unit_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "unit: out of memory\n");
		abort();
	}
	return p;
}

void *unit_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "unit: out of memory\n");
		abort();
	}
	return p;
}

void *unit_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "unit: out of memory\n");
		abort();
	}
	return p;
}

void unit_register(const char *name, unit_fn *fn, int line)
{
	if (ntests == tests_cap) {
		tests_cap = tests_cap ? 2 * tests_cap : 64;
		tests = unit_xrealloc(tests, tests_cap * sizeof(*tests));
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	tests[ntests].line = line;
	ntests++;
}

static void vfail(const char *file, int line, const char *fmt, va_list ap)
{
	current_failures++;
	printf("FAIL %s: %s:%d: ", current ? current : "?", file, line);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

static void fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, fmt, ap);
	va_end(ap);
}

bool unit_check(bool ok, const char *file, int line, const char *expr,
		const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* fmt always starts with the space CHECK() adds. */
	if (detail[1])
		fail(file, line, "CHECK(%s):%s", expr, detail);
	else
		fail(file, line, "CHECK(%s)", expr);
	return false;
}

bool unit_check_u64(uint64_t got, uint64_t want, const char *file, int line,
		    const char *expr)
{
	if (got == want)
		return true;
	fail(file, line, "%s is 0x%" PRIx64 " (%" PRIu64 "), want 0x%" PRIx64
	     " (%" PRIu64 ")", expr, got, got, want, want);
	return false;
}

bool unit_check_i64(int64_t got, int64_t want, const char *file, int line,
		    const char *expr)
{
	if (got == want)
		return true;
	fail(file, line, "%s is %" PRId64 ", want %" PRId64, expr, got, want);
	return false;
}

bool unit_check_str(const char *got, const char *want, const char *file,
		    int line, const char *expr)
{
	if ((!got && !want) || (got && want && strcmp(got, want) == 0))
		return true;
	fail(file, line, "%s is %s%s%s, want %s%s%s", expr,
	     got ? "\"" : "", got ? got : "NULL", got ? "\"" : "",
	     want ? "\"" : "", want ? want : "NULL", want ? "\"" : "");
	return false;
}

bool unit_check_contains(const char *haystack, const char *needle,
			 const char *file, int line, const char *expr)
{
	if (haystack && strstr(haystack, needle))
		return true;
	fail(file, line, "%s (%s%s%s) does not contain \"%s\"", expr,
	     haystack ? "\"" : "", haystack ? haystack : "NULL",
	     haystack ? "\"" : "", needle);
	return false;
}

bool unit_check_mem(const void *got, const void *want, size_t len,
		    const char *file, int line, const char *expr)
{
	const uint8_t *g = got, *w = want;

	for (size_t i = 0; i < len; i++) {
		if (g[i] != w[i]) {
			fail(file, line, "%s differs at byte %zu of %zu: "
			     "0x%02x, want 0x%02x", expr, i, len, g[i], w[i]);
			return false;
		}
	}
	return true;
}

bool unit_check_ok(struct vmc_error *err, const char *file, int line,
		   const char *expr)
{
	if (!err)
		return true;
	fail(file, line, "%s failed (code %d): %s", expr, err->code,
	     err->message);
	vmc_error_destroy(err);
	return false;
}

bool unit_check_err(struct vmc_error *err, int code, const char *substr,
		    const char *file, int line, const char *expr)
{
	bool ok;

	if (!err) {
		fail(file, line, "%s succeeded, want error code %d%s%s%s", expr,
		     code, substr ? " containing \"" : "",
		     substr ? substr : "", substr ? "\"" : "");
		return false;
	}
	ok = err->code == (enum vmc_error_code)code &&
	     (!substr || strstr(err->message, substr));
	if (!ok)
		fail(file, line, "%s gave code %d \"%s\", want code %d%s%s%s",
		     expr, err->code, err->message, code,
		     substr ? " containing \"" : "", substr ? substr : "",
		     substr ? "\"" : "");
	vmc_error_destroy(err);
	return ok;
}

void unit_missing(const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	current_failures++;
	printf("FAIL %s: %s (make check builds and installs what the tests "
	       "need)\n", current, what);
}

void unit_note(const char *fmt, ...)
{
	va_list ap;

	printf("  note %s: ", current ? current : "?");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *unit_in_child(void (*fn)(void *), void *arg, unsigned timeout_s)
{
	static char how[64];
	struct timespec step = { 0, 10 * 1000 * 1000 };
	unsigned long waited_ms = 0;
	int status;
	pid_t pid, r;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(how, sizeof(how), "fork: %s", strerror(errno));
		return how;
	}
	if (pid == 0) {
		alarm(timeout_s + 1);	/* a backstop if the parent dies */
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (waited_ms >= timeout_s * 1000UL) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(how, sizeof(how), "timeout after %u s",
				 timeout_s);
			return how;
		}
		nanosleep(&step, NULL);
		waited_ms += 10;
	}
	if (r < 0)
		snprintf(how, sizeof(how), "waitpid: %s", strerror(errno));
	else if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "status 0x%x", status);
	return how;
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

bool unit_write_tmp(const void *data, size_t len, char *path, size_t pathsz)
{
	const uint8_t *p = data;
	int fd;

	snprintf(path, pathsz, "%s/vmc-unit-XXXXXX", tmp_base());
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(path);
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) == 0;
}

bool unit_tmpdir(char *path, size_t pathsz)
{
	snprintf(path, pathsz, "%s/vmc-unit-XXXXXX", tmp_base());
	return mkdtemp(path) != NULL;
}

const char *unit_srcdir(void)
{
	const char *d = getenv("VMC_SRCDIR");

	return d && *d ? d : ".";
}

const char *unit_builddir(void)
{
	const char *d = getenv("VMC_BUILD");

	return d && *d ? d : "build";
}

static int cmp_line(const void *a, const void *b)
{
	const struct unit_test *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
}

static bool selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	unsigned failed = 0, passed = 0;

	/* Tests write to sockets whose peer may be gone. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(tests, ntests, sizeof(*tests), cmp_line);
	for (size_t i = 0; i < ntests; i++) {
		if (!selected(argc, argv, tests[i].name))
			continue;
		current = tests[i].name;
		current_failures = 0;
		tests[i].fn();
		if (current_failures) {
			failed++;
		} else {
			passed++;
			printf("PASS %s\n", current);
		}
	}
	current = NULL;
	free(tests);
	printf("# %s: %u passed, %u failed\n", program_invocation_short_name,
	       passed, failed);
	return failed > 100 ? 100 : (int)failed;
}
