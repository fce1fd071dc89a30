/* SPDX-License-Identifier: MIT */
/* /etc/default/vmcore-loader: the strict shell-style parser (config.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "loader.h"

/* What a value may be.  PLAIN: characters that need no quoting anywhere
 * the value goes (the capture image's settings file is shell too). */
enum kind { ANY, ABS_PATH, PLAIN, ABS_PLAIN, WORDS, NUMBER, LEVEL, CHOICE,
	    NET, NFS, OPTIONS };

#define PLAIN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		    "0123456789_./=:+-@"

static const struct keydef {
	const char *name;
	enum kind kind;
	const char *choices;	/* CHOICE: "a|b|c" */
} keys[CFG_NKEYS] = {
	[CFG_KERNEL] = { "KERNEL", ABS_PATH, NULL },
	[CFG_INITRD] = { "INITRD", ABS_PATH, NULL },
	[CFG_CMDLINE_APPEND] = { "CMDLINE_APPEND", ANY, NULL },
	[CFG_DUMP_DEVICE] = { "DUMP_DEVICE", PLAIN, NULL },
	[CFG_DUMP_FSTYPE] = { "DUMP_FSTYPE", PLAIN, NULL },
	[CFG_DUMP_DIR] = { "DUMP_DIR", ABS_PLAIN, NULL },
	[CFG_MODULES] = { "MODULES", WORDS, NULL },
	[CFG_KEEP] = { "KEEP", NUMBER, NULL },
	[CFG_FORMAT] = { "FORMAT", CHOICE, "kdump|elf" },
	[CFG_COMPRESS] = { "COMPRESS", CHOICE, "zstd|lzo|snappy|zlib|none" },
	[CFG_DUMP_LEVEL] = { "DUMP_LEVEL", LEVEL, NULL },
	[CFG_FINAL_ACTION] = { "FINAL_ACTION", CHOICE,
			       "reboot|poweroff|shell|none" },
	[CFG_SSH] = { "SSH", PLAIN, NULL },
	[CFG_SSH_KEY] = { "SSH_KEY", ABS_PLAIN, NULL },
	[CFG_SSH_DIR] = { "SSH_DIR", ABS_PLAIN, NULL },
	[CFG_SSH_KNOWN_HOSTS] = { "SSH_KNOWN_HOSTS", ABS_PLAIN, NULL },
	[CFG_NET] = { "NET", NET, NULL },
	[CFG_NET_IFACE] = { "NET_IFACE", PLAIN, NULL },
	[CFG_NFS] = { "NFS", NFS, NULL },
	[CFG_NFS_OPTIONS] = { "NFS_OPTIONS", OPTIONS, NULL },
};

const char *config_key_name(enum config_key k)
{
	return k < CFG_NKEYS ? keys[k].name : "?";
}

static bool in_choices(const char *v, const char *choices)
{
	size_t n = strlen(v);

	for (const char *c = choices; *c; c += strcspn(c, "|"), c += !!*c)
		if (strcspn(c, "|") == n && !strncmp(c, v, n))
			return true;
	return false;
}

static bool all_digits(const char *v)
{
	return *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 7;
}

/* NULL when V suits K, else what is wrong (for the message). */
static const char *check_value(const struct keydef *k, const char *v)
{
	switch (k->kind) {
	case ANY:
		return NULL;
	case ABS_PATH:
		return v[0] == '/' ? NULL : "an absolute path";
	case ABS_PLAIN:
		if (v[0] != '/')
			return "an absolute path";
		/* fall through */
	case PLAIN:
		return strspn(v, PLAIN_CHARS) == strlen(v) ? NULL :
		       "letters, digits and _ . / = : + - @ only";
	case WORDS:
		return strspn(v, PLAIN_CHARS " ") == strlen(v) ? NULL :
		       "names separated by blanks";
	case NUMBER:
		return all_digits(v) ? NULL : "a number";
	case LEVEL:
		return all_digits(v) && atoi(v) <= 31 ? NULL : "0 to 31";
	case CHOICE:
		return in_choices(v, k->choices) ? NULL : k->choices;
	case NET:	/* dhcp, or ADDRESS/PREFIX[,GATEWAY] (IPv4 or IPv6) */
		return !strcmp(v, "dhcp") ||
		       (strchr(v, '/') && strspn(v, "0123456789abcdefABCDEF.:/,") ==
					  strlen(v)) ? NULL :
		       "dhcp or ADDRESS/PREFIX[,GATEWAY]";
	case NFS:	/* SERVER:/EXPORT, SERVER a host name or IPv4 address */
		return strchr(v, ':') && strchr(v, ':')[1] == '/' &&
		       strchr(v, ':') > v &&
		       strspn(v, PLAIN_CHARS) == strlen(v) &&
		       !strchr(v, '@') ? NULL : "SERVER:/EXPORT";
	case OPTIONS:	/* mount options: name[=value],... */
		return strspn(v, PLAIN_CHARS ",") == strlen(v) && !strchr(v, '@') ?
		       NULL : "mount options: letters, digits and _ . / = : + - , only";
	}
	return "?";
}

/* The value after '=' in S (one line, NUL-terminated, modified in place);
 * *VAL_RET points into S.  NULL or what is wrong. */
static const char *split_value(char *s, char **val_ret)
{
	char *end;

	if (*s == '"' || *s == '\'') {
		end = strchr(s + 1, *s);
		if (!end)
			return "no closing quote";
		if (*s == '"' && strcspn(s + 1, "\\$`") < (size_t)(end - s - 1))
			return "\\, $ and ` are not allowed inside \"...\"";
		*val_ret = s + 1;
		*end++ = '\0';
	} else {
		size_t n = strcspn(s, " \t");

		if (strcspn(s, "\"'\\$`;&|<>()") < n)
			return "quote a value with blanks or any of "
			       "\" ' \\ $ ` ; & | < > ( )";
		if (*s == '~')
			return "a value may not start with ~";
		*val_ret = s;
		end = s + n;
		if (*end)
			*end++ = '\0';
	}
	end += strspn(end, " \t");
	if (*end && *end != '#')
		return "unexpected text after the value (quote it?)";
	return NULL;
}

static int find_key(const char *name, size_t len)
{
	for (int k = 0; k < CFG_NKEYS; k++)
		if (strlen(keys[k].name) == len && !strncmp(keys[k].name, name,
							     len))
			return k;
	return -1;
}

/* One line (NUL-terminated, modified in place). */
static struct vmc_error *parse_line(char *s, const char *name, unsigned line,
				    struct vmc_config *c)
{
	const char *why;
	char *val;
	size_t n;
	int k;

	s += strspn(s, " \t");
	if (!*s || *s == '#')
		return NULL;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_");
	if (n == 0 || s[n] != '=' || (s[0] >= '0' && s[0] <= '9'))
		return vmc_error_create(VMC_ERR_INVALID, "%s:%u: not KEY=VALUE "
					"(or a # comment)", name, line);
	if ((k = find_key(s, n)) < 0)
		return vmc_error_create(VMC_ERR_INVALID, "%s:%u: unknown key "
					"'%.*s' (see vmcore-loader(1), "
					"CONFIGURATION)", name, line, (int)n, s);
	if ((why = split_value(s + n + 1, &val)))
		return vmc_error_create(VMC_ERR_INVALID, "%s:%u: %s: %s", name,
					line, keys[k].name, why);
	free(c->value[k]);
	c->value[k] = NULL;
	c->line[k] = line;
	if (!*val)
		return NULL;
	if ((why = check_value(&keys[k], val)))
		return vmc_error_create(VMC_ERR_INVALID, "%s:%u: %s='%s': "
					"expected %s", name, line, keys[k].name,
					val, why);
	return (c->value[k] = strdup(val)) ? NULL : &vmc_enomem;
}

struct vmc_error *config_parse(const char *text, const char *name,
			       struct vmc_config *ret)
{
	struct vmc_error *err = NULL;
	unsigned line = 0;

	memset(ret, 0, sizeof(*ret));
	if (!(ret->path = strdup(name)))
		return &vmc_enomem;
	while (!err && *text) {
		size_t len = strcspn(text, "\n");
		char *s = strndup(text, len);

		line++;
		if (!s)
			return &vmc_enomem;
		if (strlen(s) != len)
			err = vmc_error_create(VMC_ERR_INVALID, "%s:%u: a NUL "
					       "byte", name, line);
		else
			err = parse_line(s, name, line, ret);
		free(s);
		text += len + (text[len] == '\n');
	}
	return err;
}

struct vmc_error *config_read(const char *path, bool must_exist,
			      struct vmc_config *ret)
{
	char *text;
	struct vmc_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = read_text(path, &text))) {
		if (err->errnum == ENOENT && !must_exist) {
			vmc_error_destroy(err);
			return NULL;
		}
		return vmc_error_prefix(err, "configuration file: ");
	}
	err = config_parse(text, path, ret);
	free(text);
	return err;
}

const char *config_get(const struct vmc_config *c, enum config_key k)
{
	return k < CFG_NKEYS ? c->value[k] : NULL;
}

void config_free(struct vmc_config *c)
{
	free(c->path);
	for (int k = 0; k < CFG_NKEYS; k++)
		free(c->value[k]);
	memset(c, 0, sizeof(*c));
}
