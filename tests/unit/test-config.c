/* SPDX-License-Identifier: MIT */
/* The configuration file's parser (loader/config.c) and save's defaults
 * from it (loader/saveargs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libvmcore/kdumpwrite.h"
#include "../../loader/config.h"
#include "../../loader/loader.h"
#include "unit.h"

static bool parse(const char *text, struct vmc_config *c)
{
	return CHECK_OK(config_parse(text, "test.conf", c));
}

TEST(config_forms)
{
	struct vmc_config c;

	if (parse("# the whole file is comments and values\n"
		  "\n"
		  "   \t\n"
		  "KERNEL=/boot/vmlinuz-6.1#not-a-comment\n"
		  "  INITRD=\"/boot/my capture.img\"   # spaces, quoted\n"
		  "CMDLINE_APPEND='console=ttyS0 \"x\" $HOME'\n"
		  "DUMP_DIR=/var/crash\n"
		  "FORMAT=kdump\t# a comment after blanks\n"
		  "MODULES=\"virtio_pci virtio_blk\"\n"
		  "DUMP_LEVEL=31", &c)) {
		CHECK_STR(config_get(&c, CFG_KERNEL),
			  "/boot/vmlinuz-6.1#not-a-comment");
		CHECK_STR(config_get(&c, CFG_INITRD), "/boot/my capture.img");
		CHECK_STR(config_get(&c, CFG_CMDLINE_APPEND),
			  "console=ttyS0 \"x\" $HOME");
		CHECK_STR(config_get(&c, CFG_DUMP_DIR), "/var/crash");
		CHECK_STR(config_get(&c, CFG_FORMAT), "kdump");
		CHECK_STR(config_get(&c, CFG_MODULES), "virtio_pci virtio_blk");
		CHECK_STR(config_get(&c, CFG_DUMP_LEVEL), "31");
		CHECK_U64(c.line[CFG_INITRD], 5);
		CHECK_U64(c.line[CFG_DUMP_LEVEL], 10);
		CHECK(config_get(&c, CFG_SSH) == NULL);
		CHECK_STR(c.path, "test.conf");
	}
	config_free(&c);
}

TEST(config_empty_and_repeated)
{
	struct vmc_config c;

	/* Empty: the default; the last line wins, as in the shell. */
	if (parse("FORMAT=elf\nFORMAT=kdump\nKERNEL=/a\nKERNEL=\n"
		  "COMPRESS=\"\"\n", &c)) {
		CHECK_STR(config_get(&c, CFG_FORMAT), "kdump");
		CHECK(config_get(&c, CFG_KERNEL) == NULL);
		CHECK(config_get(&c, CFG_COMPRESS) == NULL);
		CHECK_U64(c.line[CFG_KERNEL], 4);
	}
	config_free(&c);
	if (parse("", &c))
		for (int k = 0; k < CFG_NKEYS; k++)
			CHECK(config_get(&c, (enum config_key)k) == NULL);
	config_free(&c);
}

static void bad(const char *text, const char *msg)
{
	struct vmc_config c;

	CHECK_ERR(config_parse(text, "/etc/default/vmcore-loader", &c),
		  VMC_ERR_INVALID, msg);
	config_free(&c);
}

TEST(config_refusals_name_file_and_line)
{
	bad("KERNEL=/a\nFROB=1\n",
	    "/etc/default/vmcore-loader:2: unknown key 'FROB'");
	bad("# c\n\nexport FORMAT=elf\n", ":3: not KEY=VALUE");
	bad("FORMAT = elf\n", ":1: not KEY=VALUE");
	bad("format=elf\n", ":1: unknown key 'format'");
	bad("just words\n", ":1: not KEY=VALUE");
	bad("INITRD=/a b\n", ":1: INITRD: unexpected text after the value");
	bad("CMDLINE_APPEND=\"a\n", ":1: CMDLINE_APPEND: no closing quote");
	bad("CMDLINE_APPEND=\"$(reboot)\"\n",
	    "CMDLINE_APPEND: \\, $ and ` are not allowed inside");
	bad("CMDLINE_APPEND=a;reboot\n", "CMDLINE_APPEND: quote a value");
	bad("KERNEL=$HOME/k\n", "KERNEL: quote a value");
	bad("KERNEL=~/k\n", "KERNEL: a value may not start with ~");
	bad("KERNEL='/a'b\n", "KERNEL: unexpected text after the value");
	bad("KERNEL=boot/vmlinuz\n", ":1: KERNEL='boot/vmlinuz': expected "
	    "an absolute path");
	bad("DUMP_DIR=var/crash\n", "DUMP_DIR='var/crash': expected an "
	    "absolute path");
	bad("DUMP_DEVICE='LABEL=my disk'\n", "DUMP_DEVICE='LABEL=my disk': "
	    "expected letters, digits");
	bad("FORMAT=ELF\n", "FORMAT='ELF': expected kdump|elf");
	bad("COMPRESS=gzip\n", "COMPRESS='gzip': expected "
	    "zstd|lzo|snappy|zlib|none");
	bad("DUMP_LEVEL=32\n", "DUMP_LEVEL='32': expected 0 to 31");
	bad("DUMP_LEVEL=-1\n", "expected 0 to 31");
	bad("KEEP=3x\n", "KEEP='3x': expected a number");
	bad("FINAL_ACTION=halt\n", "expected reboot|poweroff|shell|none");
	bad("FINAL_ACTION=rebootx\n", "expected reboot|poweroff|shell|none");
	bad("MODULES='a;b'\n", "expected names separated by blanks");
	bad("NET=static\n", "NET='static': expected dhcp or "
	    "ADDRESS/PREFIX[,GATEWAY]");
	bad("NET=10.0.2.15\n", "expected dhcp or ADDRESS/PREFIX");
	bad("SSH_KNOWN_HOSTS=kh\n", "expected an absolute path");
	bad("NFS=server\n", "NFS='server': expected SERVER:/EXPORT");
	bad("NFS=server:export\n", "expected SERVER:/EXPORT");
	bad("NFS=:/export\n", "expected SERVER:/EXPORT");
	bad("NFS=me@server:/export\n", "expected SERVER:/EXPORT");
	bad("NFS='server:/my dumps'\n", "expected SERVER:/EXPORT");
	bad("NFS_OPTIONS='port=1 vers=4'\n", "NFS_OPTIONS='port=1 vers=4': "
	    "expected mount options");
}

/* NFS= and NFS_OPTIONS= are the capture image's (vmcore-mkinitramfs);
 * a save typed on a running system still writes to DUMP_DIR. */
TEST(config_nfs)
{
	const char *plain[] = { "save", NULL };
	static const char text[] = "NFS=10.0.2.2:/srv/dumps\n"
		"NFS_OPTIONS=port=2049,vers=4.2\nDUMP_DIR=/crash\n";
	struct vmc_config c;
	struct save_opts o;
	enum final_action then;

	if (!CHECK(parse(text, &c)))
		return;
	CHECK_STR(config_get(&c, CFG_NFS), "10.0.2.2:/srv/dumps");
	CHECK_STR(config_get(&c, CFG_NFS_OPTIONS), "port=2049,vers=4.2");
	CHECK_U64(c.line[CFG_NFS_OPTIONS], 2);
	if (CHECK_I64(save_parse_args(1, (char **)plain, &c, false, &o, &then),
		      -1)) {
		CHECK(o.ssh == NULL);
		CHECK_STR(o.dir, "/crash");
	}
	config_free(&c);
	if (CHECK(parse("NFS=nas.example.org:/\n", &c)))
		CHECK_STR(config_get(&c, CFG_NFS), "nas.example.org:/");
	config_free(&c);
}

TEST(config_read_files)
{
	struct vmc_config c;
	char path[256];
	const char text[] = "FORMAT=elf\nKEEP=3\n";

	/* A missing default file is no configuration; a named one must be
	 * there. */
	if (CHECK_OK(config_read("/nonexistent/vmcore-loader", false, &c)))
		CHECK(c.path == NULL && config_get(&c, CFG_FORMAT) == NULL);
	config_free(&c);
	CHECK_ERR(config_read("/nonexistent/vmcore-loader", true, &c),
		  VMC_ERR_OS, "/nonexistent/vmcore-loader: No such file");
	config_free(&c);
	if (!CHECK(unit_write_tmp(text, sizeof(text) - 1, path, sizeof(path))))
		return;
	if (CHECK_OK(config_read(path, true, &c))) {
		CHECK_STR(c.path, path);
		CHECK_STR(config_get(&c, CFG_KEEP), "3");
	}
	config_free(&c);
	unlink(path);
}

/* save's options from TEXT and ARGV; O->dir points into the parsed
 * configuration, so it is copied to DIR (64 bytes) before that goes. */
static int save_with(const char *text, bool capture, struct save_opts *o,
		     enum final_action *then, const char **argv, char *dir)
{
	struct vmc_config c;
	int argc = 0, rc = 99;

	while (argv[argc])
		argc++;
	if (parse(text, &c))
		rc = save_parse_args(argc, (char **)argv, &c, capture, o, then);
	snprintf(dir, 64, "%s", rc < 0 && o->dir ? o->dir : "");
	o->dir = NULL;
	config_free(&c);
	return rc;
}

TEST(config_save_defaults)
{
	const char *plain[] = { "save", NULL };
	const char *elf[] = { "save", "--format", "elf", NULL };
	const char *over[] = { "save", "--dump-level", "1", "--keep", "2",
			       "--then", "none", NULL };
	const char *conf = "DUMP_DIR=/srv/crash\nKEEP=5\nFORMAT=kdump\n"
			   "COMPRESS=lzo\nDUMP_LEVEL=17\nFINAL_ACTION=reboot\n";
	struct save_opts o;
	enum final_action then;
	char dir[64];

	if (CHECK_I64(save_with(conf, true, &o, &then, plain, dir), -1)) {
		CHECK_STR(dir, "/srv/crash");
		CHECK_U64(o.keep, 5);
		CHECK(o.kdump);
		CHECK_I64(o.compress, VMC_COMPRESS_LZO);
		CHECK_I64(o.dump_level, 17);
		CHECK_I64(then, FINAL_REBOOT);
	}
	/* Not in a capture kernel: FINAL_ACTION does not count. */
	if (CHECK_I64(save_with(conf, false, &o, &then, plain, dir), -1))
		CHECK_I64(then, FINAL_NONE);
	/* The options override; the configuration's COMPRESS and
	 * DUMP_LEVEL do not make --format elf a usage error. */
	if (CHECK_I64(save_with(conf, true, &o, &then, elf, dir), -1))
		CHECK(!o.kdump);
	if (CHECK_I64(save_with(conf, true, &o, &then, over, dir), -1)) {
		CHECK_I64(o.dump_level, 1);
		CHECK_U64(o.keep, 2);
		CHECK_I64(then, FINAL_NONE);
		CHECK_I64(o.compress, VMC_COMPRESS_LZO);
	}
	/* No configuration: the built-in defaults. */
	if (CHECK_I64(save_parse_args(1, (char **)plain, NULL, true, &o,
				      &then), -1)) {
		CHECK_STR(o.dir, "/var/crash");
		CHECK(!o.kdump);
		CHECK_I64(then, FINAL_NONE);
	}
}

/* SSH=, SSH_KEY=, SSH_KNOWN_HOSTS=, SSH_DIR= are save's --ssh, --ssh-key,
 * --ssh-known-hosts and remote --dir; KEEP does not count then; --dir
 * alone on the command line saves locally. */
TEST(config_save_ssh)
{
	const char *plain[] = { "save", NULL };
	const char *local[] = { "save", "--dir", "/mnt", NULL };
	const char *keep[] = { "save", "--keep", "2", NULL };
	static const char text[] = "SSH=dump@10.0.2.2:2222\n"
		"SSH_KEY=/etc/k\nSSH_DIR=/srv/remote\nKEEP=4\n"
		"SSH_KNOWN_HOSTS=/etc/kh\nNET=10.0.2.15/24,10.0.2.2\n"
		"NET_IFACE=eth0\nDUMP_DIR=/var/local-crash\n";
	struct vmc_config c;
	struct save_opts o;
	enum final_action then;

	if (!CHECK(parse(text, &c)))
		return;
	if (CHECK_I64(save_parse_args(1, (char **)plain, &c, true, &o, &then),
		      -1)) {
		CHECK_STR(o.ssh, "dump@10.0.2.2:2222");
		CHECK_STR(o.ssh_key, "/etc/k");
		CHECK_STR(o.ssh_known_hosts, "/etc/kh");
		CHECK_STR(o.dir, "/srv/remote");
		CHECK_U64(o.keep, 0);
	}
	if (CHECK_I64(save_parse_args(3, (char **)local, &c, true, &o, &then),
		      -1)) {
		CHECK(o.ssh == NULL && o.ssh_key == NULL &&
		      o.ssh_known_hosts == NULL);
		CHECK_STR(o.dir, "/mnt");
	}
	/* --keep with the configuration's remote target: refused. */
	CHECK_I64(save_parse_args(3, (char **)keep, &c, true, &o, &then), 2);
	CHECK_STR(config_get(&c, CFG_NET), "10.0.2.15/24,10.0.2.2");
	CHECK_STR(config_get(&c, CFG_NET_IFACE), "eth0");
	config_free(&c);
}
