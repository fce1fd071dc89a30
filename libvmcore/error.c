/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct vmc_error vmc_enomem = {
	.code = VMC_ERR_NOMEM,
	.errnum = ENOMEM,
	.is_static = 1,
	.message = "out of memory",
};

struct vmc_error *vmc_error_vcreate(enum vmc_error_code code, const char *fmt,
				    va_list ap)
{
	struct vmc_error *err = malloc(sizeof(*err));

	if (!err)
		return &vmc_enomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &vmc_enomem;
	}
	err->code = code;
	err->errnum = 0;
	err->is_static = 0;
	return err;
}

struct vmc_error *vmc_error_create(enum vmc_error_code code, const char *fmt,
				   ...)
{
	struct vmc_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = vmc_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

/* Replace err->message by prefix + message + suffix. */
static struct vmc_error *error_wrap(struct vmc_error *err, const char *prefix,
				    const char *suffix)
{
	char *msg;

	if (err->is_static)
		return err;
	if (asprintf(&msg, "%s%s%s", prefix, err->message, suffix) < 0) {
		vmc_error_destroy(err);
		return &vmc_enomem;
	}
	free(err->message);
	err->message = msg;
	return err;
}

struct vmc_error *vmc_error_errno(int errnum, const char *fmt, ...)
{
	struct vmc_error *err;
	char suffix[256];
	va_list ap;

	va_start(ap, fmt);
	err = vmc_error_vcreate(VMC_ERR_OS, fmt, ap);
	va_end(ap);
	if (err->is_static)
		return err;
	err->errnum = errnum;
	snprintf(suffix, sizeof(suffix), ": %s", strerror(errnum));
	return error_wrap(err, "", suffix);
}

struct vmc_error *vmc_error_prefix(struct vmc_error *err, const char *fmt, ...)
{
	char *prefix;
	va_list ap;
	int ret;

	if (!err || err->is_static)
		return err;
	va_start(ap, fmt);
	ret = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		vmc_error_destroy(err);
		return &vmc_enomem;
	}
	err = error_wrap(err, prefix, "");
	free(prefix);
	return err;
}

void vmc_error_destroy(struct vmc_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}
