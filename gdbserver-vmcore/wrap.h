/* SPDX-License-Identifier: MIT */
/*
 * gdbserver-vmcore --wrap COMMAND [ARG...]: run COMMAND (ssh HOST
 * gdbserver-vmcore VMCORE, sudo ..., a container's exec) as gdb's
 * `target remote |` program without slowing gdb down.
 *
 * gdb reads the stderr of its pipe program from a socket it polls after
 * every character of the protocol until that socket reaches end of file.
 * gdbserver-vmcore closes its copy after its startup messages, but a
 * wrapper between gdb and the server keeps its own open for the whole
 * session, and every read crawls (30 times slower).  Here COMMAND gets
 * gdb's stdin and stdout as they are (the protocol does not pass through
 * us) and a pipe as its stderr, which we copy to gdb's until the server
 * writes a NUL byte there, its end of startup messages
 * (WRAP_END_OF_STARTUP); then gdb's stderr is closed and the pipe drained
 * to the end.  gdb's stdout stays open here until COMMAND's stderr ends,
 * so gdb sees the messages of a failed start (no such dump, ssh errors)
 * before the end of the connection.
 */
#ifndef VMC_WRAP_H
#define VMC_WRAP_H

/* What the server writes on stderr after its startup messages: a NUL,
 * which gdb prints as nothing (its stderr reader stops at a NUL). */
#define WRAP_END_OF_STARTUP '\0'

/* Run ARGV (NULL-terminated, ARGV[0] looked up in $PATH) as described
 * above; returns the exit status for main(): COMMAND's, 128 + N when
 * signal N ended it, 1 when it could not be started. */
int wrap_run(char *const argv[]);

#endif
