/* SPDX-License-Identifier: MIT */
/*
 * save --ssh: the ssh client and the remote side (sshremote.h).
 *
 * The remote side is a POSIX sh script sent with every connection (no
 * program to install on the dump server), run as
 *   sh -c 'SCRIPT' vmcore-loader MODE ARGS...
 * in three steps, one connection each:
 *   begin BASE NAME NEED_KIB  makes BASE/NAME (or NAME.1, .2 ... : never an
 *                             existing directory), says "DIR PATH", checks
 *                             NEED_KIB free (0: unknown), writes its input
 *                             to PATH/dmesg.txt.incomplete;
 *   put DIR                   writes its input to DIR/vmcore-incomplete
 *                             (never an existing file: set -C) and syncs;
 *   commit DIR N M            renames vmcore-incomplete to vmcore if it
 *                             holds N bytes, dmesg.txt.incomplete to
 *                             dmesg.txt if it holds M ("-": removed), with
 *                             ln + rm (ln never replaces a file), syncs
 *                             and says "SAVED DIR".
 * A connection lost in the middle ends `put`'s cat as if the dump were
 * complete: only the byte count at `commit`, which the loader sends after
 * its own writes all succeeded, makes a vmcore.  The script fails with
 * status 3 and a message of its own; any other status is the client's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sshremote.h"

enum { SCRIPT_FAILED = 3 };

/* One line, no single quote: it goes inside '...' on the remote shell's
 * command line (sh, bash, zsh or fish alike). */
static const char remote_script[] =
	"set -u; umask 077; tag=\"vmcore-loader (remote $(uname -n))\"; "
	"fail() { echo \"$tag: $*\" >&2; exit 3; }; "
	"size() { ls -ln -- \"$1\" | awk \"{ print \\$5 }\"; }; "
	"publish() { "
	"if ln -- \"$1\" \"$2\" 2>/dev/null; then rm -f -- \"$1\"; "
	"elif [ -e \"$2\" ]; then fail \"$2: already there; never overwritten ($1 kept)\"; "
	"else mv -- \"$1\" \"$2\" || fail \"renaming $1 to $2 failed\"; fi; }; "
	"mode=$1; shift; "
	"case $mode in "
	"begin) mkdir -p -- \"$1\" || fail \"cannot create $1\"; d=; n=0; "
	"while [ $n -lt 1000 ]; do c=$1/$2; [ $n = 0 ] || c=$c.$n; "
	"if mkdir -m 700 -- \"$c\" 2>/dev/null; then d=$c; break; fi; "
	"[ -e \"$c\" ] || fail \"cannot create $c\"; n=$((n + 1)); done; "
	"[ -n \"$d\" ] || fail \"$1: no free dump directory name\"; "
	"echo \"DIR $d\"; "
	"a=$(df -Pk -- \"$d\" 2>/dev/null | awk \"NR == 2 { print \\$4 }\"); "
	"case $a in \"\"|*[!0-9]*) ;; *) [ \"$a\" -ge \"$3\" ] || "
	"fail \"$d has $((a / 1024)) MiB free; the dump needs up to $(($3 / 1024)) MiB\";; esac; "
	"set -C; cat >\"$d/dmesg.txt.incomplete\" || fail \"writing $d/dmesg.txt.incomplete failed\";; "
	"put) [ -d \"$1\" ] || fail \"$1: no such directory\"; t=$1/vmcore-incomplete; "
	"set -C; cat >\"$t\" || fail \"writing $t failed (status $?): left incomplete\"; "
	"sync -- \"$t\" 2>/dev/null || sync;; "
	"commit) t=$1/vmcore-incomplete; s=$(size \"$t\"); "
	"[ \"$s\" = \"$2\" ] || fail \"$t holds ${s:-no} bytes of the $2 sent: left incomplete\"; "
	"if [ \"$3\" = - ]; then rm -f -- \"$1/dmesg.txt.incomplete\"; else "
	"s=$(size \"$1/dmesg.txt.incomplete\"); "
	"[ \"$s\" = \"$3\" ] || fail \"$1/dmesg.txt.incomplete holds ${s:-no} bytes of the $3 sent\"; "
	"sync; publish \"$1/dmesg.txt.incomplete\" \"$1/dmesg.txt\"; fi; "
	"sync; publish \"$t\" \"$1/vmcore\"; sync; echo \"SAVED $1\";; "
	"*) fail \"unknown step $mode (a vmcore-loader of another version?)\";; "
	"esac";

/* ---- the destination and the client ------------------------------------ */

static struct vmc_error *bad_dest(const char *s, const char *why)
{
	return vmc_error_create(VMC_ERR_INVALID, "--ssh %s: %s (USER@HOST, "
				"USER@HOST:PORT or USER@[IPV6]:PORT)", s, why);
}

static bool valid_port(const char *p)
{
	long v;
	char *end;

	if (!*p || strspn(p, "0123456789") != strlen(p))
		return false;
	v = strtol(p, &end, 10);
	return v > 0 && v < 65536;
}

struct vmc_error *ssh_dest_parse(const char *s, struct ssh_dest *d)
{
	const char *at = strrchr(s, '@');
	const char *host = at ? at + 1 : s, *colon;
	size_t hlen;

	*d = (struct ssh_dest){ NULL, NULL };
	if (s[0] == '-' || strpbrk(s, " \t\n'\"\\;&|<>$`"))
		return bad_dest(s, "not a destination");
	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close || close == host + 1)
			return bad_dest(s, "no closing ]");
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return bad_dest(s, "text after ]");
	} else {
		colon = strchr(host, ':');
		if (colon && strchr(colon + 1, ':'))
			return bad_dest(s, "an IPv6 address goes in [ ]");
	}
	hlen = colon ? (size_t)(colon - host) : strlen(host);
	if (!hlen || (at && at == s))
		return bad_dest(s, at == s ? "no user before @" : "no host");
	if (colon && !valid_port(colon + 1))
		return bad_dest(s, "the port is 1 to 65535");
	if (host[0] == '[') {	/* the clients take the address bare */
		if (asprintf(&d->login, "%.*s%.*s", (int)(host - s), s,
			     (int)hlen - 2, host + 1) < 0)
			return &vmc_enomem;
	} else if (!(d->login = strndup(s, (size_t)(host - s) + hlen))) {
		return &vmc_enomem;
	}
	if (colon && !(d->port = strdup(colon + 1))) {
		ssh_dest_deinit(d);
		return &vmc_enomem;
	}
	return NULL;
}

void ssh_dest_deinit(struct ssh_dest *d)
{
	free(d->login);
	free(d->port);
	*d = (struct ssh_dest){ NULL, NULL };
}

/* NAME as execvp would find it, into BUF; false when not found. */
static bool in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(buf, X_OK) == 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; p; p = *end ? end + 1 : NULL) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)(end - p),
				     end == p ? "." : p, name) < len &&
		    access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* dbclient of Debian 12 (2022.83) fails on an OpenSSH-format ed25519
 * key with "String too long": say what to do. */
static void warn_key_format(const char *key)
{
	static const char openssh[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	char head[sizeof(openssh)] = "";
	FILE *f = fopen(key, "r");

	if (!f)
		return;
	if (fread(head, 1, sizeof(head) - 1, f) == sizeof(head) - 1 &&
	    !strcmp(head, openssh))
		fprintf(stderr, "vmcore-loader: warning: %s is an OpenSSH-format "
			"key, which dbclient may not read (\"String too "
			"long\"): convert it with dropbearconvert openssh "
			"dropbear %s KEY.dropbear\n", key, key);
	fclose(f);
}

struct vmc_error *ssh_conn_init(struct ssh_conn *c, const char *dest,
				const char *key, const char *known_hosts,
				const char *client)
{
	struct vmc_error *err;
	const char *base;
	size_t kl = known_hosts ? strlen(known_hosts) : 0;

	*c = (struct ssh_conn){ .shown = dest, .key = key,
				.known_hosts = known_hosts };
	if ((err = ssh_dest_parse(dest, &c->dest)))
		return err;
	if (key && access(key, R_OK) < 0)
		err = vmc_error_errno(errno, "--ssh-key %s", key);
	else if (known_hosts && access(known_hosts, R_OK) < 0)
		err = vmc_error_errno(errno, "--ssh-known-hosts %s",
				      known_hosts);
	else if (client ? !in_path(client, c->client, sizeof(c->client))
		 : !in_path("ssh", c->client, sizeof(c->client)) &&
		   !in_path("dbclient", c->client, sizeof(c->client)))
		err = vmc_error_create(VMC_ERR_NOT_FOUND, "no ssh client: "
			"%s not found in PATH (install openssh-client or "
			"dropbear-bin, or give --ssh-client)",
			client ? client : "neither ssh nor dbclient");
	if (err)
		goto fail;
	base = strrchr(c->client, '/');
	c->dropbear = strstr(base ? base + 1 : c->client, "dbclient") != NULL;
	/* dbclient has no option for it: it reads $HOME/.ssh/known_hosts. */
	if (c->dropbear && known_hosts &&
	    (kl < 17 || strcmp(known_hosts + kl - 17, "/.ssh/known_hosts"))) {
		err = vmc_error_create(VMC_ERR_INVALID, "--ssh-known-hosts %s: "
			"dbclient reads known hosts only from "
			"$HOME/.ssh/known_hosts: give a file named "
			"DIR/.ssh/known_hosts (DIR becomes its HOME)",
			known_hosts);
		goto fail;
	}
	if (c->dropbear && key)
		warn_key_format(key);
	return NULL;
fail:
	ssh_conn_deinit(c);
	return err;
}

void ssh_conn_deinit(struct ssh_conn *c)
{
	ssh_dest_deinit(&c->dest);
}

/* ---- one step ----------------------------------------------------------- */

/* 'S' for the remote shell, quotes escaped; NULL: no memory. */
static char *sh_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;

	for (const char *t = s; *t; t++)
		n += *t == '\'' ? 4 : 1;
	if (!(q = p = malloc(n)))
		return NULL;
	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* The remote command line: sh -c 'SCRIPT' vmcore-loader MODE 'ARG'... */
static char *remote_command(const char *mode, const char *const *args)
{
	char *cmd = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cmd, &len);
	bool ok = f != NULL;

	if (!f)
		return NULL;
	fprintf(f, "sh -c '%s' vmcore-loader %s", remote_script, mode);
	for (size_t i = 0; ok && args[i]; i++) {
		char *q = sh_quote(args[i]);

		ok = q != NULL;
		if (q)
			fprintf(f, " %s", q);
		free(q);
	}
	if (fclose(f) || !ok) {
		free(cmd);
		return NULL;
	}
	return cmd;
}

/* The client's argument vector (the strings are C's or CMD). */
static void client_argv(const struct ssh_conn *c, char *cmd,
			const char **argv)
{
	size_t n = 0;

	argv[n++] = c->client;
	if (c->key) {
		argv[n++] = "-i";
		argv[n++] = c->key;
	}
	if (c->dest.port) {
		argv[n++] = "-p";
		argv[n++] = c->dest.port;
	}
	if (c->dropbear) {
		/* -y: accept (and record) a host key not seen before, never
		 * one that differs from the known one: without it dbclient
		 * asks, on a terminal or on its standard input (the dump).
		 * -K: keepalive every 15 s. */
		argv[n++] = "-y";
		argv[n++] = "-K";
		argv[n++] = "15";
	} else {
		argv[n++] = "-o";
		argv[n++] = "BatchMode=yes";
		argv[n++] = "-o";
		argv[n++] = c->known_hosts ? "StrictHostKeyChecking=yes"
					   : "StrictHostKeyChecking=accept-new";
		argv[n++] = "-o";
		argv[n++] = "ConnectTimeout=30";
		argv[n++] = "-o";
		argv[n++] = "ServerAliveInterval=15";
		argv[n++] = "-o";
		argv[n++] = "ServerAliveCountMax=4";
		if (c->key) {
			argv[n++] = "-o";
			argv[n++] = "IdentitiesOnly=yes";
		}
		if (c->known_hosts) {
			argv[n++] = "-o";
			argv[n++] = "UserKnownHostsFile=-";	/* replaced below */
		}
	}
	argv[n++] = c->dest.login;
	argv[n++] = cmd;
	argv[n] = NULL;
}

/* FROM as TO across exec (FROM may already be TO: the pipe took a
 * descriptor the loader was started without). */
static int move_fd(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

/* In the child: stdin from IN, stdout to OUT, no terminal, exec. */
static void child(const struct ssh_conn *c, int in, int out,
		  char *const *argv)
{
	setsid();	/* no controlling terminal: no password prompts */
	if (move_fd(in, STDIN_FILENO) < 0 || move_fd(out, STDOUT_FILENO) < 0)
		_exit(127);
	if (c->dropbear && c->known_hosts) {
		/* HOME such that HOME/.ssh/known_hosts is the file
		 * (ssh_conn_init checked the name). */
		char *home = strndup(c->known_hosts,
				     strlen(c->known_hosts) - 17);

		if (!home || setenv("HOME", *home ? home : "/", 1) < 0)
			_exit(127);
	}
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	fprintf(stderr, "vmcore-loader: running %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

struct vmc_error *ssh_step_start(const struct ssh_conn *c, const char *what,
				 const char *mode, const char *const *args,
				 struct ssh_step *s)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 };
	char *cmd = remote_command(mode, args), *khopt = NULL;
	const char *argv[32];
	struct vmc_error *err = NULL;

	*s = (struct ssh_step){ .c = c, .what = what, .pid = -1, .in = -1,
				.out = -1 };
	if (!cmd || (c->known_hosts && !c->dropbear &&
		     asprintf(&khopt, "UserKnownHostsFile=%s",
			      c->known_hosts) < 0)) {
		err = &vmc_enomem;
		goto out;
	}
	client_argv(c, cmd, argv);
	for (size_t i = 0; khopt && argv[i]; i++)
		if (!strcmp(argv[i], "UserKnownHostsFile=-"))
			argv[i] = khopt;
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		err = vmc_error_errno(errno, "pipe");
		goto out;
	}
	fflush(NULL);
	if ((s->pid = fork()) < 0) {
		err = vmc_error_errno(errno, "fork");
		goto out;
	}
	if (s->pid == 0)
		child(c, inp[0], outp[1], (char *const *)argv);
	s->in = inp[1];
	s->out = outp[0];
	inp[1] = outp[0] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	free(cmd);
	free(khopt);
	return err;
}

/* All of FD until its end, NUL-terminated, into *RET. */
static void read_all(int fd, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char chunk[4096];
	ssize_t n;

	*ret = NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (f)
			fwrite(chunk, 1, (size_t)n, f);
	}
	if (f && fclose(f) == 0)
		*ret = buf;
}

struct vmc_error *ssh_step_finish(struct ssh_step *s, char **out_ret)
{
	const struct ssh_conn *c = s->c;
	int status = 0;
	pid_t r;

	if (out_ret)
		*out_ret = NULL;
	if (s->in >= 0)
		close(s->in);
	s->in = -1;
	if (s->out >= 0) {
		char *text;

		read_all(s->out, &text);
		if (out_ret)
			*out_ret = text;
		else
			free(text);
		close(s->out);
		s->out = -1;
	}
	while ((r = waitpid(s->pid, &status, 0)) < 0 && errno == EINTR)
		;
	s->pid = -1;
	if (r < 0)
		return vmc_error_errno(errno, "waiting for %s", c->client);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SCRIPT_FAILED)
		return vmc_error_create(VMC_ERR_OS, "%s on %s: the remote side "
			"failed (its message is above)", s->what, c->shown);
	if (WIFSIGNALED(status))
		return vmc_error_create(VMC_ERR_OS, "%s on %s: %s killed by "
			"signal %d", s->what, c->shown, c->client,
			WTERMSIG(status));
	return vmc_error_create(VMC_ERR_OS, "%s on %s: %s exited with "
		"status %d: no connection, login refused (key %s) or host key "
		"not accepted (known hosts %s); its message is above", s->what,
		c->shown, c->client, WEXITSTATUS(status),
		c->key ? c->key : "the client's default", c->known_hosts ?
		c->known_hosts : "the client's own, new hosts accepted");
}
