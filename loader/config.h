/* SPDX-License-Identifier: MIT */
/*
 * The configuration file, /etc/default/vmcore-loader: shell-style KEY=VALUE
 * lines, as Debian's /etc/default files (kdump-tools' among them) are, read
 * by `load`, `save`, `status` and vmcore-mkinitramfs (through `vmcore-loader
 * config --shell`).  A strict subset of the shell, so that sourcing the
 * file and parsing it give the same values:
 *
 *   # a comment            blank lines and comment lines are skipped
 *   KEY=value              no blanks, quotes, \ $ ` ; & | < > ( ) in value
 *   KEY="a value"          no " \ $ ` inside
 *   KEY='a value'          anything but ' inside
 *   KEY=value   # note     a comment may follow a value after blanks
 *
 * An empty value is the same as no line: the command's own default.  A key
 * given twice takes the last value, as the shell does.  Unknown keys, lines
 * of another form and values a key does not take are errors naming
 * FILE:LINE.
 */
#ifndef LOADER_CONFIG_H
#define LOADER_CONFIG_H

#include <stdbool.h>

#include "../libvmcore/error.h"

/* The file read when neither VMCORE_LOADER_CONFIG nor --config names one. */
#define CONFIG_DEFAULT_PATH "/etc/default/vmcore-loader"

enum config_key {
	CFG_KERNEL,		/* load --kernel */
	CFG_INITRD,		/* load --initrd */
	CFG_CMDLINE_APPEND,	/* load --append */
	CFG_DUMP_DEVICE,	/* vmcore-mkinitramfs --device */
	CFG_DUMP_FSTYPE,	/* vmcore-mkinitramfs --fstype */
	CFG_DUMP_DIR,		/* save --dir; vmcore-mkinitramfs --dir */
	CFG_MODULES,		/* vmcore-mkinitramfs --module, each word */
	CFG_KEEP,		/* save --keep */
	CFG_FORMAT,		/* save --format */
	CFG_COMPRESS,		/* save --compress */
	CFG_DUMP_LEVEL,		/* save --dump-level */
	CFG_FINAL_ACTION,	/* save --then (in a capture kernel only) */
	CFG_SSH,		/* save --ssh USER@HOST[:PORT] */
	CFG_SSH_KEY,		/* save --ssh-key FILE */
	CFG_SSH_DIR,		/* save --dir on the remote host, with SSH */
	CFG_SSH_KNOWN_HOSTS,	/* save --ssh-known-hosts FILE */
	CFG_NET,		/* vmcore-mkinitramfs --net */
	CFG_NET_IFACE,		/* vmcore-mkinitramfs --net-iface */
	CFG_NFS,		/* vmcore-mkinitramfs --nfs SERVER:/EXPORT */
	CFG_NFS_OPTIONS,	/* vmcore-mkinitramfs --nfs-options */
	CFG_NKEYS
};

struct vmc_config {
	char *path;			/* the file read; NULL: none */
	char *value[CFG_NKEYS];		/* NULL: not set (or empty) */
	unsigned line[CFG_NKEYS];	/* where each was set */
};

/* The key's name ("DUMP_DIR"). */
const char *config_key_name(enum config_key k);
/* Parse TEXT, the contents of the file NAME (for messages), into *RET
 * (to be freed with config_free() whatever the outcome). */
struct vmc_error *config_parse(const char *text, const char *name,
			       struct vmc_config *ret);
/* Read and parse PATH.  A missing file is an error only when MUST_EXIST
 * (else *RET is the empty configuration). */
struct vmc_error *config_read(const char *path, bool must_exist,
			      struct vmc_config *ret);
/* The value of K, or NULL when it is not set. */
const char *config_get(const struct vmc_config *c, enum config_key k);
void config_free(struct vmc_config *c);

#endif
