/* SPDX-License-Identifier: MIT */
/* save's command line (main.c runs it; the unit tests call it directly). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libvmcore/kdumpwrite.h"
#include "config.h"
#include "loader.h"
#include "sshremote.h"

enum { USAGE = 2 };

static int bad(const char *msg)
{
	fprintf(stderr, "vmcore-loader save: %s\n", msg);
	return USAGE;
}

static int parse_then(const char *s, enum final_action *then)
{
	static const char *const actions[] = { "none", "reboot", "poweroff",
					       "shell" };

	for (unsigned a = 0; a < 4; a++) {
		if (!strcmp(s, actions[a])) {
			*then = (enum final_action)a;
			return -1;
		}
	}
	return bad("--then is none, reboot, poweroff or shell");
}

static int parse_number(const char *s, long max, long *ret)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+')
		return USAGE;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return USAGE;
	*ret = v;
	return -1;
}

/* --ssh and its companions; -1 to go on, else the exit status. */
static int check_ssh(const struct save_opts *o, unsigned given)
{
	struct ssh_dest d;
	struct vmc_error *err;

	if (!o->ssh)
		return (given & 4) ? bad("--ssh-key, --ssh-known-hosts and "
					 "--ssh-client go with --ssh") : -1;
	if (o->keep)
		return bad("--keep is for local dumps (a remote directory is "
			   "never pruned)");
	if ((err = ssh_dest_parse(o->ssh, &d))) {
		fprintf(stderr, "vmcore-loader save: %s\n", err->message);
		vmc_error_destroy(err);
		return USAGE;
	}
	ssh_dest_deinit(&d);
	for (const char *p = o->dir; *p; p++)
		if ((unsigned char)*p < 0x20)
			return bad("--dir has a control character");
	return -1;
}

/* One option; -1 to go on, else the exit status. */
static int parse_one(int c, const char *arg, struct save_opts *o,
		     enum final_action *then, unsigned *given)
{
	long v;

	switch (c) {
	case 'd': o->dir = arg; *given |= 8; return -1;
	case 'v': o->vmcore = arg; return -1;
	case 'H': o->host = arg; return -1;
	case 'q': o->quiet = true; return -1;
	case 't': return parse_then(arg, then);
	case 'k':
		if (parse_number(arg, 1000000, &v) >= 0)
			return bad("--keep takes a number");
		o->keep = (unsigned)v;
		return -1;
	case 'F':
		if (strcmp(arg, "elf") && strcmp(arg, "kdump"))
			return bad("--format is elf or kdump");
		o->kdump = !strcmp(arg, "kdump");
		return -1;
	case 'z':
		if ((o->compress = vmc_compress_from_name(arg)) < 0)
			return bad("--compress is zstd, lzo, snappy, zlib or "
				   "none");
		*given |= 1;
		return -1;
	case 'S': o->ssh = arg; *given |= 16; return -1;
	case 'K': o->ssh_key = arg; *given |= 4; return -1;
	case 'N': o->ssh_known_hosts = arg; *given |= 4; return -1;
	case 'C': o->ssh_client = arg; *given |= 4; return -1;
	case 'l':
		if (parse_number(arg, 31, &v) >= 0)
			return bad("--dump-level is 0 to 31 (a sum of "
				   "makedumpfile's bits 1, 2, 4, 8, 16)");
		o->dump_level = (int)v;
		*given |= 2;
		return -1;
	default:
		return USAGE;
	}
}

/*
 * The configuration's values as save's defaults (the options override
 * them): DUMP_DIR, KEEP, FORMAT, COMPRESS, DUMP_LEVEL, and FINAL_ACTION
 * when CAPTURE (in a capture kernel: a save typed on a running system
 * never reboots it).  COMPRESS and DUMP_LEVEL count only for kdump.
 * SSH= (with SSH_KEY=, SSH_KNOWN_HOSTS= and SSH_DIR=) is --ssh, --ssh-key,
 * --ssh-known-hosts and the remote --dir; KEEP is then not used (a remote
 * directory is never pruned).
 */
static int apply_config(const struct vmc_config *c, bool capture,
			struct save_opts *o, enum final_action *then)
{
	const char *v;

	if (!c)
		return -1;
	if ((v = config_get(c, CFG_SSH))) {
		o->ssh = v;
		o->ssh_key = config_get(c, CFG_SSH_KEY);
		o->ssh_known_hosts = config_get(c, CFG_SSH_KNOWN_HOSTS);
		if ((v = config_get(c, CFG_SSH_DIR)))
			o->dir = v;
	} else {
		if ((v = config_get(c, CFG_DUMP_DIR)))
			o->dir = v;
		if ((v = config_get(c, CFG_KEEP)))
			o->keep = (unsigned)atoi(v);
	}
	if ((v = config_get(c, CFG_FORMAT)))
		o->kdump = !strcmp(v, "kdump");
	if ((v = config_get(c, CFG_COMPRESS)))
		o->compress = vmc_compress_from_name(v);
	if ((v = config_get(c, CFG_DUMP_LEVEL)))
		o->dump_level = atoi(v);
	if (capture && (v = config_get(c, CFG_FINAL_ACTION)))
		return parse_then(v, then);
	return -1;
}

int save_parse_args(int argc, char **argv, const struct vmc_config *cfg,
		    bool capture, struct save_opts *o, enum final_action *then)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "vmcore", required_argument, NULL, 'v' },
		{ "keep", required_argument, NULL, 'k' },
		{ "then", required_argument, NULL, 't' },
		{ "host", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'F' },
		{ "compress", required_argument, NULL, 'z' },
		{ "dump-level", required_argument, NULL, 'l' },
		{ "ssh", required_argument, NULL, 'S' },
		{ "ssh-key", required_argument, NULL, 'K' },
		{ "ssh-known-hosts", required_argument, NULL, 'N' },
		{ "ssh-client", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned given = 0;
	int c, rc;

	*o = (struct save_opts){ .vmcore = "/proc/vmcore", .dir = "/var/crash",
				 .compress = VMC_COMPRESS_ZSTD };
	*then = FINAL_NONE;
	if ((rc = apply_config(cfg, capture, o, then)) >= 0)
		return rc;
	optind = 0;	/* GNU getopt: start over (the unit tests call us
			 * more than once) */
	while ((c = getopt_long(argc, argv, "d:v:k:t:H:qF:z:l:", opts,
				NULL)) != -1) {
		if ((rc = parse_one(c, optarg, o, then, &given)) >= 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "vmcore-loader save: unexpected '%s'\n",
			argv[optind]);
		return USAGE;
	}
	/* --dir without --ssh on the command line: a local save, whatever
	 * the configuration's SSH= says. */
	if ((given & 8) && !(given & 16) && o->ssh) {
		o->ssh = NULL;
		if (!(given & 4))
			o->ssh_key = o->ssh_known_hosts = NULL;
	}
	if (!o->kdump && (given & 1))
		return bad("--compress is for --format kdump");
	if (!o->kdump && (given & 2))
		return bad("--dump-level is for --format kdump");
	return check_ssh(o, given);
}
