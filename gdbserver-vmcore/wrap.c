/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wrap.h"

struct relay {
	int from;		/* COMMAND's stderr, read end */
	bool released;		/* gdb's stderr closed: drain only */
};

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* gdb went away: nothing to tell */
		p += n;
		len -= (size_t)n;
	}
}

/* Put /dev/null on FD (gdb's end goes away with our copy). */
static void to_dev_null(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	dup2(null, fd);
	close(null);
}

/*
 * Give gdb the end of its stderr socket.  Our copy is not the only one:
 * gdb starts `target remote | ...` through $SHELL -c, and a shell that
 * does not exec its last command (Debian's dash) keeps a copy for the
 * whole session.  shutdown() ends the socket for every holder.
 */
static void end_gdb_stderr(void)
{
	struct stat st;

	if (fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode))
		shutdown(STDERR_FILENO, SHUT_WR);
	to_dev_null(STDERR_FILENO);
}

/* Copy COMMAND's stderr to gdb's up to the end of the startup messages,
 * then only drain it; returns at its end. */
static void relay_stderr(struct relay *r)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(r->from, buf, sizeof(buf));
		const char *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (r->released)
			continue;
		end = memchr(buf, WRAP_END_OF_STARTUP, (size_t)n);
		write_all(STDERR_FILENO, buf, end ? (size_t)(end - buf) :
			  (size_t)n);
		if (end) {
			end_gdb_stderr();
			r->released = true;
		}
	}
}

/*
 * COMMAND is gone and its messages are out: end gdb's connection.  gdb's
 * socket, closed with packets unread, would reset, and gdb 16 then
 * reports "Connection reset by peer" without printing its stderr; so
 * half-close it and read until gdb, at the end of file, closes it.
 */
static void end_connection(void)
{
	struct stat st;
	char buf[4096];
	ssize_t n;

	if (fstat(STDOUT_FILENO, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    shutdown(STDOUT_FILENO, SHUT_WR) < 0)
		return;
	do
		n = read(STDOUT_FILENO, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}

/* In the child: stderr into the pipe, then COMMAND. */
static void run_child(char *const argv[], int pipe_w)
{
	if (dup2(pipe_w, STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "gdbserver-vmcore: --wrap: cannot run %s: "
		"%s\n", argv[0], strerror(errno));
	_exit(127);
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int wrap_run(char *const argv[])
{
	struct relay r = { .released = false };
	int fds[2], status;
	char msg[512];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "gdbserver-vmcore: --wrap: pipe: %s\n",
			strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "gdbserver-vmcore: --wrap: fork: %s\n",
			strerror(errno));
		return 1;
	}
	if (pid == 0)
		run_child(argv, fds[1]);
	close(fds[1]);
	r.from = fds[0];
	/* COMMAND reads gdb's packets: we must not hold gdb's stdin (its
	 * writes would not fail when COMMAND is gone).  gdb's stdout stays
	 * open until the messages are out (see wrap.h). */
	to_dev_null(STDIN_FILENO);
	signal(SIGPIPE, SIG_IGN);
	relay_stderr(&r);
	close(r.from);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!r.released && exit_status(status) != 0) {
		snprintf(msg, sizeof(msg), "gdbserver-vmcore: --wrap: %s %s "
			 "%d\n", argv[0], WIFSIGNALED(status) ?
			 "was killed by signal" : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) :
			 exit_status(status));
		write_all(STDERR_FILENO, msg, strlen(msg));
	}
	end_connection();
	return exit_status(status);
}
