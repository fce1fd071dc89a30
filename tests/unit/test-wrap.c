/* SPDX-License-Identifier: MIT */
/*
 * gdbserver-vmcore --wrap (wrap.c) as gdb's pipe program: a child process
 * gets three socketpairs as stdin, stdout and stderr, as gdb's ser-pipe.c
 * gives them (stdin and stdout one socket there; separate ones here, to
 * see each), and runs wrap_run() on a shell command playing the wrapper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../gdbserver-vmcore/wrap.h"
#include "unit.h"

struct gdb_side {
	int in, out, err;	/* our ends: we write in, read out and err */
	pid_t pid;
};

/* Start wrap_run(ARGV) with our socketpairs as its stdio. */
static bool start(struct gdb_side *g, char *const argv[])
{
	int in[2], out[2], err[2];

	if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, in) == 0) ||
	    !CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, out) == 0) ||
	    !CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, err) == 0))
		return false;
	g->pid = fork();
	if (g->pid == 0) {
		dup2(in[1], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		_exit(wrap_run(argv));
	}
	close(in[1]);
	close(out[1]);
	close(err[1]);
	g->in = in[0];
	g->out = out[0];
	g->err = err[0];
	return CHECK(g->pid > 0);
}

/* Read FD to its end into BUF (NUL-terminated); false if it does not
 * end within 20 s (a test that would hang fails instead). */
static bool read_to_eof(int fd, char *buf, size_t cap, size_t *len_ret)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 20000) != 1)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf[len] = '\0';
			*len_ret = len;
			return true;
		}
		len += (size_t)n;
		if (len == cap - 1)
			break;
	}
	buf[len] = '\0';
	*len_ret = len;
	return false;
}

/* What FD holds now, without waiting (what gdb reads of its stderr once
 * stdout has ended, before it closes the connection). */
static void available(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 &&
	       (n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

static int finish(struct gdb_side *g)
{
	int status = -1;

	close(g->in);
	close(g->out);
	close(g->err);
	while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The server's messages, its NUL, then a session that outlives gdb's
 * stderr: the messages arrive and stderr ends while the wrapper runs;
 * what follows the NUL is dropped; the protocol goes straight through. */
TEST(relays_until_end_of_startup)
{
	char *argv[] = { "sh", "-c",
		"printf 'summary line\\n' >&2; printf 'tail\\0later' >&2; "
		"read req; echo \"reply to $req\"; echo late >&2; exit 0",
		NULL };
	struct gdb_side g;
	char buf[4096];
	size_t len;

	if (!start(&g, argv))
		return;
	CHECK(read_to_eof(g.err, buf, sizeof(buf), &len),
	      "gdb's stderr did not end while the wrapper runs: \"%s\"", buf);
	CHECK_STR(buf, "summary line\ntail");
	CHECK(write(g.in, "ping\n", 5) == 5);
	CHECK(read_to_eof(g.out, buf, sizeof(buf), &len));
	CHECK_STR(buf, "reply to ping\n");
	CHECK_U64(finish(&g), 0);
}

/* A start that fails: the messages and the wrapper's status reach gdb's
 * stderr before its stdout ends, and the status is the wrapper's. */
TEST(failed_start)
{
	char *argv[] = { "sh", "-c", "echo 'no such dump' >&2; exit 3", NULL };
	struct gdb_side g;
	char buf[4096];
	size_t len;

	if (!start(&g, argv))
		return;
	/* gdb writes its first packet before it learns anything. */
	CHECK(write(g.in, "$qSupported#37", 14) == 14);
	CHECK(read_to_eof(g.out, buf, sizeof(buf), &len));
	CHECK_U64(len, 0);
	/* Once stdout has ended, everything is already in stderr. */
	available(g.err, buf, sizeof(buf));
	CHECK_STR(buf, "no such dump\ngdbserver-vmcore: --wrap: sh exited "
		  "with status 3\n");
	CHECK_U64(finish(&g), 3);
}

/* A command that does not exist: said on gdb's stderr, status 127. */
TEST(no_such_command)
{
	char *argv[] = { "/nonexistent/ssh", "host", NULL };
	struct gdb_side g;
	char buf[4096];
	size_t len;

	if (!start(&g, argv))
		return;
	CHECK(read_to_eof(g.out, buf, sizeof(buf), &len));
	available(g.err, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "gdbserver-vmcore: --wrap: cannot run "
		       "/nonexistent/ssh: No such file or directory");
	CHECK_CONTAINS(buf, "exited with status 127");
	CHECK_U64(finish(&g), 127);
}

/* Killed by a signal: 128 + N, as a shell says. */
TEST(signal_status)
{
	char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	struct gdb_side g;
	char buf[4096];
	size_t len;

	if (!start(&g, argv))
		return;
	CHECK(read_to_eof(g.out, buf, sizeof(buf), &len));
	available(g.err, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "sh was killed by signal 15");
	CHECK_U64(finish(&g), 128 + SIGTERM);
}
