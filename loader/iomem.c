/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "iomem.h"

static struct vmc_error *bad_line(size_t line, const char *what)
{
	return vmc_error_create(VMC_ERR_FORMAT, "/proc/iomem line %zu: %s",
				line, what);
}

static bool hex(const char **p, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;

	while (isxdigit((unsigned char)**p)) {
		int c = tolower((unsigned char)**p);

		if (v >> 60)
			return false;
		v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		(*p)++;
	}
	*ret = v;
	return *p > s;
}

static struct vmc_error *parse_line(const char *p, const char *end,
				    size_t lineno, struct iomem_range *r)
{
	const char *s = p;
	size_t len;

	while (p < end && *p == ' ')
		p++;
	r->depth = (unsigned)(p - s) / 2;
	if (!hex(&p, &r->start) || *p++ != '-' || !hex(&p, &r->end))
		return bad_line(lineno, "no START-END address range");
	if (r->end < r->start)
		return bad_line(lineno, "the range ends before it starts");
	if (end - p < 3 || strncmp(p, " : ", 3) != 0)
		return bad_line(lineno, "no ' : ' before the name");
	p += 3;
	len = (size_t)(end - p);
	if (len >= sizeof(r->name))
		len = sizeof(r->name) - 1;
	memcpy(r->name, p, len);
	r->name[len] = '\0';
	return NULL;
}

struct vmc_error *iomem_parse(const char *text, struct iomem *io)
{
	size_t cap = 1, lineno = 0;
	bool all_zero = true;

	memset(io, 0, sizeof(*io));
	for (const char *c = text; *c; c++)
		cap += *c == '\n';
	io->r = calloc(cap, sizeof(*io->r));
	if (!io->r)
		return &vmc_enomem;
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		struct vmc_error *err;

		if (!end)
			end = p + strlen(p);
		lineno++;
		if (end > p) {
			err = parse_line(p, end, lineno, &io->r[io->n]);
			if (err) {
				iomem_free(io);
				return err;
			}
			all_zero &= io->r[io->n].start == 0 && io->r[io->n].end == 0;
			io->n++;
		}
		p = *end ? end + 1 : end;
	}
	io->zeroed = io->n && all_zero;
	return NULL;
}

void iomem_free(struct iomem *io)
{
	free(io->r);
	memset(io, 0, sizeof(*io));
}

uint64_t iomem_total(const struct iomem *io, const char *name, bool any_depth)
{
	uint64_t total = 0;

	for (size_t i = 0; i < io->n; i++) {
		const struct iomem_range *r = &io->r[i];

		if ((any_depth || r->depth == 0) && strcmp(r->name, name) == 0)
			total += r->end - r->start + 1;
	}
	return total;
}

const struct iomem_range *iomem_find(const struct iomem *io, const char *name,
				     size_t i)
{
	for (size_t k = 0; k < io->n; k++) {
		if (strcmp(io->r[k].name, name) == 0 && i-- == 0)
			return &io->r[k];
	}
	return NULL;
}
