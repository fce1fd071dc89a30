/* SPDX-License-Identifier: MIT */
/*
 * One error convention for the whole project.
 *
 * Functions that can fail return a struct vmc_error *: NULL means success,
 * anything else describes what went wrong, where, and (when useful) what to
 * do.  The caller owns the error and releases it with vmc_error_destroy().
 * Out-of-memory is a static object that needs no allocation to report.
 * Library code never prints and never exits; main() decides.
 */
#ifndef VMC_ERROR_H
#define VMC_ERROR_H

#include <stdarg.h>

enum vmc_error_code {
	VMC_ERR_NOMEM = 1,	/* allocation failed */
	VMC_ERR_OS,		/* a system call failed; errnum is set */
	VMC_ERR_FORMAT,		/* the dump is corrupt or not what it claims */
	VMC_ERR_UNSUPPORTED,	/* valid, but something we do not handle */
	VMC_ERR_FAULT,		/* address not readable (unmapped, not in dump) */
	VMC_ERR_NOT_FOUND,	/* a key, symbol or note is absent */
	VMC_ERR_INVALID,	/* bad argument from the caller or user */
	VMC_ERR_EXCLUDED,	/* page filtered out of the dump (makedumpfile) */
};

struct vmc_error {
	enum vmc_error_code code;
	int errnum;		/* errno for VMC_ERR_OS, else 0 */
	int is_static;		/* not to be freed */
	char *message;
};

/* The static out-of-memory error; vmc_error_destroy() ignores it. */
extern struct vmc_error vmc_enomem;

struct vmc_error *vmc_error_create(enum vmc_error_code code, const char *fmt,
				   ...) __attribute__((format(printf, 2, 3)));
struct vmc_error *vmc_error_vcreate(enum vmc_error_code code, const char *fmt,
				    va_list ap);
/* Like vmc_error_create(), with ": strerror(errnum)" appended. */
struct vmc_error *vmc_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix an existing error's message with more context; returns err. */
struct vmc_error *vmc_error_prefix(struct vmc_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vmc_error_destroy(struct vmc_error *err);

#endif
