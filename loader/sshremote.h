/* SPDX-License-Identifier: MIT */
/*
 * save --ssh: the dump streamed to another machine through an ssh client
 * (OpenSSH's ssh or dropbear's dbclient), written there by a small POSIX
 * sh script as DIR/vmcore-incomplete and renamed to vmcore only when the
 * byte count the remote side wrote is the one sent (sshremote.c).
 */
#ifndef LOADER_SSHREMOTE_H
#define LOADER_SSHREMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../libvmcore/error.h"

/* USER@HOST[:PORT] ([IPV6]:PORT too), split. */
struct ssh_dest {
	char *login;		/* USER@HOST or HOST, as the client takes it */
	char *port;		/* NULL: the client's default */
};
struct vmc_error *ssh_dest_parse(const char *s, struct ssh_dest *d);
void ssh_dest_deinit(struct ssh_dest *d);

/* One connection's settings. */
struct ssh_conn {
	struct ssh_dest dest;
	const char *shown;		/* the --ssh argument, for messages */
	const char *key;		/* -i FILE; NULL: the client's default */
	const char *known_hosts;	/* NULL: accept a host seen first */
	char client[4096];		/* the program run */
	bool dropbear;			/* dbclient's options, else OpenSSH's */
};

/*
 * Fill C: parse DEST, check KEY is readable, find the client (CLIENT, or
 * ssh, else dbclient in PATH).
 */
struct vmc_error *ssh_conn_init(struct ssh_conn *c, const char *dest,
				const char *key, const char *known_hosts,
				const char *client);
void ssh_conn_deinit(struct ssh_conn *c);

/* A running remote step: write its input to IN, then ssh_step_finish. */
struct ssh_step {
	const struct ssh_conn *c;
	const char *what;	/* "creating the dump directory", ... */
	pid_t pid;
	int in, out;		/* our ends of the client's stdin, stdout */
};

/*
 * Start the remote script in MODE with ARGS (NULL-terminated) on C's
 * host; S->in takes its standard input.
 */
struct vmc_error *ssh_step_start(const struct ssh_conn *c, const char *what,
				 const char *mode, const char *const *args,
				 struct ssh_step *s);
/*
 * Close S->in, read the step's standard output into *OUT_RET (malloc'ed,
 * may be NULL) and wait for the client: an error unless the remote script
 * ran and succeeded.
 */
struct vmc_error *ssh_step_finish(struct ssh_step *s, char **out_ret);

#endif
