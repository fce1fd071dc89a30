/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crashkernel.h"

struct cursor {
	const char *s, *p;	/* whole value, position */
};

static struct vmc_error *bad(const struct cursor *c, const char *what)
{
	size_t col = (size_t)(c->p - c->s) + 1;

	if (!*c->p)
		return vmc_error_create(VMC_ERR_INVALID,
			"crashkernel=%s: %s at the end", c->s, what);
	return vmc_error_create(VMC_ERR_INVALID,
		"crashkernel=%s: %s at column %zu ('%c')", c->s, what, col,
		*c->p);
}

/* memparse(): a number (decimal, 0x hex, 0 octal) and a K/M/G/T/P/E
 * suffix. */
static struct vmc_error *number(struct cursor *c, uint64_t *ret)
{
	uint64_t v = 0, base = 10, mul = 1;
	const char *start;

	if (c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X') &&
	    isxdigit((unsigned char)c->p[2])) {
		base = 16;
		c->p += 2;
	} else if (c->p[0] == '0' && isdigit((unsigned char)c->p[1])) {
		base = 8;
	}
	start = c->p;
	for (;;) {
		int d = isdigit((unsigned char)*c->p) ? *c->p - '0'
			: isxdigit((unsigned char)*c->p) && base == 16
			? tolower((unsigned char)*c->p) - 'a' + 10 : -1;

		if (d < 0 || (unsigned)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return bad(c, "number too large");
		v = v * base + (unsigned)d;
		c->p++;
	}
	if (c->p == start)
		return bad(c, "a size was expected");
	switch (toupper((unsigned char)*c->p)) {
	case 'E': mul <<= 10; /* fall through */
	case 'P': mul <<= 10; /* fall through */
	case 'T': mul <<= 10; /* fall through */
	case 'G': mul <<= 10; /* fall through */
	case 'M': mul <<= 10; /* fall through */
	case 'K': mul <<= 10; c->p++; break;
	default: break;
	}
	if (v && mul > UINT64_MAX / v)
		return bad(c, "size too large");
	*ret = v * mul;
	return NULL;
}

static struct vmc_error *offset(struct cursor *c, struct crashkernel *ck)
{
	struct vmc_error *err;

	if (*c->p != '@')
		return NULL;
	c->p++;
	if ((err = number(c, &ck->offset)))
		return err;
	ck->has_offset = true;
	return NULL;
}

static struct vmc_error *ranges(struct cursor *c, struct crashkernel *ck)
{
	struct vmc_error *err;

	ck->kind = CK_RANGES;
	for (;;) {
		struct ck_range *r;

		if (ck->nranges == CK_MAX_RANGES)
			return bad(c, "too many ranges");
		r = &ck->ranges[ck->nranges];
		if ((err = number(c, &r->start)))
			return err;
		if (*c->p != '-')
			return bad(c, "'-' expected after the range start");
		c->p++;
		r->end = UINT64_MAX;
		if (*c->p != ':' && (err = number(c, &r->end)))
			return err;
		if (r->end <= r->start)
			return bad(c, "the range ends before it starts");
		if (*c->p != ':')
			return bad(c, "':' expected after the range");
		c->p++;
		if ((err = number(c, &r->size)))
			return err;
		ck->nranges++;
		if (*c->p != ',')
			break;
		c->p++;
	}
	return offset(c, ck);
}

struct vmc_error *crashkernel_parse(const char *s, struct crashkernel *ck)
{
	struct cursor c = { s, s };
	struct vmc_error *err;

	memset(ck, 0, sizeof(*ck));
	/* The ranges form has a ':' before any '@' or ','-suffix. */
	if (strchr(s, ':')) {
		err = ranges(&c, ck);
	} else if ((err = number(&c, &ck->size))) {
		return err;
	} else if (strcmp(c.p, ",high") == 0 || strcmp(c.p, ",low") == 0) {
		ck->kind = c.p[1] == 'h' ? CK_HIGH : CK_LOW;
		c.p += strlen(c.p);
	} else {
		ck->kind = CK_SIZE;
		err = offset(&c, ck);
	}
	if (!err && *c.p)
		err = bad(&c, *c.p == ',' ? "unknown suffix (,high or ,low "
			  "expected)" : "unexpected text");
	if (!err && ck->kind == CK_SIZE && ck->size == 0)
		err = vmc_error_create(VMC_ERR_INVALID,
			"crashkernel=%s reserves nothing", s);
	return err;
}

uint64_t crashkernel_size(const struct crashkernel *ck, uint64_t ram)
{
	if (ck->kind != CK_RANGES)
		return ck->size;
	for (size_t i = 0; i < ck->nranges; i++) {
		const struct ck_range *r = &ck->ranges[i];

		if (ram >= r->start && ram < r->end)
			return r->size;
	}
	return 0;
}

void crashkernel_format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v && v % 1024 == 0 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
}

size_t cmdline_crashkernel(const char *cmdline, const char **vals,
			   size_t *lens, size_t max)
{
	size_t n = 0;
	const char *p = cmdline;

	while (*p) {
		const char *end;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		end = p;
		while (*end && *end != ' ' && *end != '\t' && *end != '\n')
			end++;
		if (end - p > 12 && strncmp(p, "crashkernel=", 12) == 0 &&
		    n < max) {
			vals[n] = p + 12;
			lens[n] = (size_t)(end - p - 12);
			n++;
		}
		p = end;
	}
	return n;
}
