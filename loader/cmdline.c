/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

const char *const capture_cmdline_drop[] = {
	/* The reservation and how it was found. */
	"crashkernel", "BOOT_IMAGE", "initrd",
	/* Memory the reservation cannot give (as Fedora's kdump drops). */
	"hugepages", "hugepagesz", "default_hugepagesz", "hugetlb_cma",
	"cma", "swiotlb", "log_buf_len", "slub_debug",
	/* Set again by the capture defaults. */
	"nr_cpus", "maxcpus", "irqpoll", "reset_devices", "quiet",
	NULL,
};

/* One parameter: [*p, *end), quotes kept; NULL at the end. */
static const char *next_param(const char *p, const char **end)
{
	bool quoted = false;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p)
		return NULL;
	*end = p;
	while (**end && (quoted || (**end != ' ' && **end != '\t' &&
				    **end != '\n'))) {
		if (**end == '"')
			quoted = !quoted;
		(*end)++;
	}
	return p;
}

static size_t name_len(const char *p, const char *end)
{
	const char *eq = memchr(p, '=', (size_t)(end - p));

	return (size_t)((eq ? eq : end) - p);
}

/* Does LIST (a command line) set the parameter [p, p+len)? */
static bool sets(const char *list, const char *p, size_t len)
{
	const char *q, *end;

	for (q = list ? next_param(list, &end) : NULL; q;
	     q = next_param(end, &end)) {
		if (name_len(q, end) == len && strncmp(q, p, len) == 0)
			return true;
	}
	return false;
}

static bool dropped(const char *p, size_t len)
{
	for (size_t i = 0; capture_cmdline_drop[i]; i++) {
		if (strlen(capture_cmdline_drop[i]) == len &&
		    strncmp(capture_cmdline_drop[i], p, len) == 0)
			return true;
	}
	return false;
}

static bool add(char **buf, size_t *len, size_t *cap, const char *p,
		size_t n)
{
	if (*len + n + 2 > *cap) {
		size_t c = (*len + n + 2) * 2;
		char *b = realloc(*buf, c);

		if (!b)
			return false;
		*buf = b;
		*cap = c;
	}
	if (*len)
		(*buf)[(*len)++] = ' ';
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

static bool add_all(char **buf, size_t *len, size_t *cap, const char *list)
{
	const char *p, *end;

	for (p = list ? next_param(list, &end) : NULL; p;
	     p = next_param(end, &end)) {
		if (!add(buf, len, cap, p, (size_t)(end - p)))
			return false;
	}
	return true;
}

struct vmc_error *capture_cmdline(const char *running, const char *defaults,
				  const char *append, char **ret)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const char *p, *end, *init = NULL;
	bool ok = add(&buf, &len, &cap, "", 0);

	for (p = next_param(running, &end); ok && p; p = next_param(end, &end)) {
		size_t n = name_len(p, end);

		if (end - p == 2 && strncmp(p, "--", 2) == 0) {
			init = p;
			break;
		}
		if (dropped(p, n) || sets(defaults, p, n) || sets(append, p, n))
			continue;
		ok = add(&buf, &len, &cap, p, (size_t)(end - p));
	}
	ok = ok && add_all(&buf, &len, &cap, defaults) &&
	     add_all(&buf, &len, &cap, append);
	if (ok && init) {
		size_t n = strlen(init);

		while (n && (init[n - 1] == '\n' || init[n - 1] == ' '))
			n--;
		ok = add(&buf, &len, &cap, init, n);
	}
	if (!ok) {
		free(buf);
		return &vmc_enomem;
	}
	*ret = buf;
	return NULL;
}
