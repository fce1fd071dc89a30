/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmcoreinfo.h"

static size_t count_lines(const char *text, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

static void add_line(struct vmcoreinfo *vi, char *line)
{
	char *eq = strchr(line, '=');

	if (!eq || eq == line)
		return;
	*eq = '\0';
	/* A later definition of the same key replaces the earlier one. */
	for (size_t i = 0; i < vi->nentries; i++) {
		if (strcmp(vi->entries[i].key, line) == 0) {
			vi->entries[i].value = eq + 1;
			return;
		}
	}
	vi->entries[vi->nentries].key = line;
	vi->entries[vi->nentries].value = eq + 1;
	vi->nentries++;
}

struct vmc_error *vmcoreinfo_parse(const char *data, size_t len,
				   struct vmcoreinfo *ret)
{
	struct vmcoreinfo vi = { .len = len };
	char *line;

	/* The note may be NUL-padded; stop at the first NUL. */
	const char *nul = memchr(data, '\0', len);
	if (nul)
		len = (size_t)(nul - data);

	vi.text = malloc(len + 1);
	vi.raw = malloc(len + 1);
	vi.entries = calloc(count_lines(data, len), sizeof(*vi.entries));
	if (!vi.text || !vi.raw || !vi.entries) {
		free(vi.text);
		free(vi.raw);
		free(vi.entries);
		return &vmc_enomem;
	}
	memcpy(vi.text, data, len);
	vi.text[len] = '\0';
	memcpy(vi.raw, data, len);
	vi.raw[len] = '\0';

	line = vi.text;
	for (;;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (nl && nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		add_line(&vi, line);
		if (!nl)
			break;
		line = nl + 1;
	}
	*ret = vi;
	return NULL;
}

void vmcoreinfo_deinit(struct vmcoreinfo *vi)
{
	free(vi->text);
	free(vi->raw);
	free(vi->entries);
	memset(vi, 0, sizeof(*vi));
}

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key)
{
	for (size_t i = 0; i < vi->nentries; i++) {
		if (strcmp(vi->entries[i].key, key) == 0)
			return vi->entries[i].value;
	}
	return NULL;
}

static struct vmc_error *lookup(const struct vmcoreinfo *vi, const char *key,
				const char **value_ret)
{
	*value_ret = vmcoreinfo_get(vi, key);
	if (!*value_ret)
		return vmc_error_create(VMC_ERR_NOT_FOUND,
					"VMCOREINFO has no %s", key);
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct vmc_error *vmcoreinfo_get_hex(const struct vmcoreinfo *vi,
				     const char *key, uint64_t *ret)
{
	const char *value, *p;
	struct vmc_error *err = lookup(vi, key, &value);

	if (err)
		return err;
	p = value;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (*p == '\0')
		goto bad;
	/* By hand: strtoull() would take spaces, signs and a second "0x". */
	for (*ret = 0; *p; p++) {
		int d = hexval(*p);

		if (d < 0 || *ret >> 60)
			goto bad;
		*ret = *ret << 4 | (unsigned)d;
	}
	return NULL;
bad:
	return vmc_error_create(VMC_ERR_FORMAT,
		"VMCOREINFO %s=%s is not a hexadecimal number", key, value);
}

struct vmc_error *vmcoreinfo_get_dec(const struct vmcoreinfo *vi,
				     const char *key, int64_t *ret)
{
	const char *value;
	struct vmc_error *err = lookup(vi, key, &value);
	char *end;

	if (err)
		return err;
	errno = 0;
	if (!isdigit((unsigned char)value[*value == '-']))
		goto bad;
	*ret = strtoll(value, &end, 10);
	if (errno || *end != '\0')
		goto bad;
	return NULL;
bad:
	return vmc_error_create(VMC_ERR_FORMAT,
		"VMCOREINFO %s=%s is not a decimal number", key, value);
}
