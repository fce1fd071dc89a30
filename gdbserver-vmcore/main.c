/* SPDX-License-Identifier: MIT */
/* gdbserver-vmcore: serve a Linux kernel crash dump to gdb. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../arch/arch.h"
#include "server.h"
#include "transport.h"
#include "../libkernel/vmlinux-find.h"
#include "../libkernel/vmlinux.h"
#include "wrap.h"

#ifndef VMC_VERSION
#define VMC_VERSION "unknown"
#endif

/* Exit codes, as documented in gdbserver-vmcore(1). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define MAX_SEARCH_DIRS 32
#define SEARCH_ENV "GDBSERVER_VMCORE_SEARCH_PATH"
#define ROOT_ENV "GDBSERVER_VMCORE_ROOT"

struct options {
	const char *const *dumps;	/* one dump, or a split set's files */
	size_t ndumps;
	const char *listen;
	const char *vmlinux;
	bool no_vmlinux;		/* do not look for one */
	/* --search-dir, then $GDBSERVER_VMCORE_SEARCH_PATH (in env_copy). */
	const char *search_dirs[MAX_SEARCH_DIRS];
	size_t nsearch_dirs;
	char *env_copy;
	bool keep_listening;
	bool debug;
	bool quiet;
	bool zero_excluded;
	enum { PAC_AUTO, PAC_STRIP, PAC_KEEP } pac;
	enum server_threads threads;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: gdbserver-vmcore [OPTIONS] VMCORE\n"
"       gdbserver-vmcore [OPTIONS] SPLIT-FILE... (makedumpfile --split)\n"
"       gdbserver-vmcore --wrap COMMAND [ARG...]\n"
"Serve a Linux kernel crash dump to gdb as a stopped remote target.\n"
"\n"
"  gdb vmlinux -ex 'target remote | gdbserver-vmcore VMCORE'\n"
"  gdb vmlinux -ex 'target remote | gdbserver-vmcore --wrap ssh HOST \\\n"
"                   gdbserver-vmcore /var/crash/DIR/vmcore'\n"
"\n"
"  --wrap COMMAND [ARG...]   run COMMAND (ssh, sudo, a container's exec)\n"
"                            that runs gdbserver-vmcore, with its startup\n"
"                            messages passed to gdb, and without slowing\n"
"                            gdb down as such a wrapper alone does; must\n"
"                            be the first argument\n"
"\n"
"Options:\n"
"  -l, --listen [HOST:]PORT  serve over TCP (HOST defaults to 127.0.0.1;\n"
"                            port 0 picks a free one)\n"
"  -l, --listen unix:PATH    serve over a Unix socket\n"
"  -k, --keep-listening      serve clients one after another (default:\n"
"                            exit when the first one disconnects)\n"
"  -z, --zero-excluded       pages makedumpfile filtered out read as zeros\n"
"                            (default: they fail like unmapped memory)\n"
"  -P, --strip-pac           aarch64: serve kernel return addresses with their\n"
"                            pointer authentication code removed, and no\n"
"                            pauth registers (the default when the dump has\n"
"                            KERNELPACMASK: gdb 13 and older cannot strip\n"
"                            kernel PACs themselves)\n"
"      --keep-pac            aarch64: serve memory as it is, with the pauth\n"
"                            registers (for gdb 14 and later, lldb)\n"
"      --vmlinux FILE        the dumped kernel's vmlinux: its _stext gives\n"
"                            the KASLR offset when the dump has no\n"
"                            KERNELOFFSET (32-bit x86), its debug info\n"
"                            the task list\n"
"      --search-dir DIR      look for the vmlinux and module files (.ko,\n"
"                            .ko.xz, .ko.zst, below DIR) in DIR too (repeatable;\n"
"                            also $GDBSERVER_VMCORE_SEARCH_PATH, DIR:DIR...)\n"
"      --no-vmlinux          without --vmlinux, do not look for one (by\n"
"                            default gdb's files and the usual debug paths\n"
"                            are searched for the dump's build-id)\n"
"      --threads cpus|tasks  a thread per CPU, or per kernel task (needs\n"
"                            the vmlinux; the default when there is one)\n"
"  -d, --debug               trace the protocol on stderr\n"
"  -q, --quiet               no startup summary\n"
"  -h, --help                this text\n"
"  -V, --version             the version\n"
"Without --listen, the protocol runs on stdin/stdout.\n"
"Exit status: 0 when the session ended, 1 on errors, 2 on bad usage.\n");
}

static bool parse_threads(const char *arg, enum server_threads *ret)
{
	if (strcmp(arg, "cpus") == 0)
		*ret = THREADS_CPUS;
	else if (strcmp(arg, "tasks") == 0)
		*ret = THREADS_TASKS;
	else {
		fprintf(stderr, "gdbserver-vmcore: --threads %s: give cpus or "
			"tasks\n", arg);
		return false;
	}
	return true;
}

static bool add_search_dir(struct options *o, const char *dir)
{
	if (!*dir)
		return true;
	if (o->nsearch_dirs == MAX_SEARCH_DIRS) {
		fprintf(stderr, "gdbserver-vmcore: more than %d search "
			"directories\n", MAX_SEARCH_DIRS);
		return false;
	}
	o->search_dirs[o->nsearch_dirs++] = dir;
	return true;
}

/* $GDBSERVER_VMCORE_SEARCH_PATH, after the --search-dir ones. */
static bool add_env_search_dirs(struct options *o)
{
	const char *env = getenv(SEARCH_ENV);
	char *save = NULL;

	if (!env || !*env)
		return true;
	if (!(o->env_copy = strdup(env)))
		return false;
	for (char *d = strtok_r(o->env_copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save))
		if (!add_search_dir(o, d))
			return false;
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_VMLINUX = 256, OPT_KEEP_PAC, OPT_THREADS, OPT_NO_VMLINUX,
	       OPT_SEARCH_DIR };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
		{ "no-vmlinux", no_argument, NULL, OPT_NO_VMLINUX },
		{ "search-dir", required_argument, NULL, OPT_SEARCH_DIR },
		{ "keep-listening", no_argument, NULL, 'k' },
		{ "zero-excluded", no_argument, NULL, 'z' },
		{ "strip-pac", no_argument, NULL, 'P' },
		{ "keep-pac", no_argument, NULL, OPT_KEEP_PAC },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "debug", no_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "l:kzPdqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case OPT_VMLINUX: o->vmlinux = optarg; break;
		case OPT_NO_VMLINUX: o->no_vmlinux = true; break;
		case OPT_SEARCH_DIR:
			if (!add_search_dir(o, optarg))
				return EXIT_USAGE;
			break;
		case 'k': o->keep_listening = true; break;
		case 'z': o->zero_excluded = true; break;
		case 'P': o->pac = PAC_STRIP; break;
		case OPT_KEEP_PAC: o->pac = PAC_KEEP; break;
		case OPT_THREADS:
			if (!parse_threads(optarg, &o->threads))
				return EXIT_USAGE;
			break;
		case 'd': o->debug = true; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); return EXIT_OK + 100;
		case 'V':
			printf("gdbserver-vmcore %s\n", VMC_VERSION);
			return EXIT_OK + 100;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "gdbserver-vmcore: give the vmcore to serve\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->threads == THREADS_TASKS && !o->vmlinux && o->no_vmlinux) {
		fprintf(stderr, "gdbserver-vmcore: --threads tasks needs "
			"a vmlinux (the task list is read with its debug "
			"info): drop --no-vmlinux or give --vmlinux\n");
		return EXIT_USAGE;
	}
	if (o->vmlinux && o->no_vmlinux) {
		fprintf(stderr, "gdbserver-vmcore: give --vmlinux or "
			"--no-vmlinux, not both\n");
		return EXIT_USAGE;
	}
	if (o->keep_listening && !o->listen) {
		fprintf(stderr, "gdbserver-vmcore: --keep-listening needs "
			"--listen\n");
		return EXIT_USAGE;
	}
	if (!add_env_search_dirs(o))
		return EXIT_USAGE;
	o->dumps = (const char *const *)argv + optind;
	o->ndumps = (size_t)(argc - optind);
	return -1;
}

static void summary(struct vmcore *vc, struct server *s, bool strip_pac)
{
	const char *rel = vmcore_vmcoreinfo(vc, "OSRELEASE");

	fprintf(stderr, "gdbserver-vmcore: %s: %s; %s, Linux %s, %zu CPUs, "
		"panic on CPU %u", vmcore_path(vc), vmcore_format(vc),
		vmcore_arch(vc)->name, rel ? rel : "(release unknown)",
		vmcore_num_cpus(vc), s->threads[s->panic_thread].cpu);
	if (vmcore_kaslr_offset(vc))
		fprintf(stderr, ", KASLR offset 0x%" PRIx64 "%s",
			vmcore_kaslr_offset(vc),
			vmcore_vmcoreinfo(vc, "KERNELOFFSET") ? "" :
			" (from --vmlinux)");
	if (s->task_threads)
		fprintf(stderr, ", %zu tasks", s->nthreads);
	fputc('\n', stderr);
	if (strip_pac)
		fprintf(stderr, "gdbserver-vmcore: kernel return addresses are "
			"served with their PAC stripped (--keep-pac: as "
			"stored)\n");
}

/* --vmlinux: the KASLR offset from its _stext, and whether it matches. */
static void print_warnings(const struct strbuf *warnings)
{
	for (char *line = warnings->data, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		fprintf(stderr, "gdbserver-vmcore: warning: %.*s\n",
			(int)(nl - line), line);
	}
}

static struct vmc_error *use_vmlinux(struct vmcore *vc, const char *path,
				     struct vmlinux_info *info)
{
	struct strbuf warnings;
	struct vmc_error *err;

	strbuf_init(&warnings);
	err = vmlinux_apply_info(vc, path, &warnings, info);
	print_warnings(&warnings);
	strbuf_deinit(&warnings);
	return err;
}

/*
 * With `target remote | gdbserver-vmcore`, gdb reads our stderr through a
 * socketpair and polls it after every character it receives, which makes
 * bulk reads ~20 times slower.  Once the startup messages are out, say so
 * with a NUL byte (for `gdbserver-vmcore --wrap` in front of a wrapper
 * such as ssh, which keeps its own copy of gdb's stderr open: wrap.h; gdb
 * prints a NUL as nothing) and hand that socket back (gdb sees EOF and
 * stops polling); nothing else is printed there during a session.
 */
static void release_gdb_stderr(void)
{
	static const char end = WRAP_END_OF_STARTUP;
	struct stat st;
	int fd;

	if (fstat(STDERR_FILENO, &st) < 0 ||
	    !(S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)))
		return;
	if (write(STDERR_FILENO, &end, 1) < 0 || !S_ISSOCK(st.st_mode))
		return;
	/* The shell gdb ran us with may hold a copy (dash does not exec
	 * its last command): end the socket itself, not just our copy. */
	shutdown(STDERR_FILENO, SHUT_WR);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/*
 * The dump could not be served over stdio: the message is out.  Mark the
 * end of the startup messages (for --wrap), then end our side of the
 * connection cleanly: a socket closed with gdb's unread packets in it
 * resets, and gdb 16 then reports "Connection reset by peer" without
 * printing what we wrote on stderr.  So half-close it and read what gdb
 * sends until gdb, at the end of file, prints our message and closes.
 */
static void end_failed_stdio(void)
{
	static const char end = WRAP_END_OF_STARTUP;
	struct stat st;
	char buf[4096];
	ssize_t n;

	if (fstat(STDERR_FILENO, &st) < 0 ||
	    !(S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)) ||
	    write(STDERR_FILENO, &end, 1) < 0)
		return;
	/* Under --wrap (stderr a pipe) the wrapper ends the connection once
	 * it has passed the message on: a shutdown here could overtake it. */
	if (!S_ISSOCK(st.st_mode) || fstat(STDIN_FILENO, &st) < 0 ||
	    !S_ISSOCK(st.st_mode) || shutdown(STDOUT_FILENO, SHUT_WR) < 0)
		return;
	do
		n = read(STDIN_FILENO, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}

static int serve_listener(struct server *s, struct listener *l,
			  const struct options *o)
{
	struct vmc_error *err = NULL;

	if (!o->quiet)
		fprintf(stderr, "gdbserver-vmcore: listening on %s\n", l->where);
	do {
		int fd;

		if ((err = listener_accept(l, &fd)))
			break;
		err = server_run(s, fd, fd, o->debug ? stderr : NULL);
		close(fd);
		if (err && o->keep_listening) {
			fprintf(stderr, "gdbserver-vmcore: %s\n", err->message);
			vmc_error_destroy(err);
			err = NULL;
		}
	} while (!err && o->keep_listening);
	if (err) {
		fprintf(stderr, "gdbserver-vmcore: %s\n", err->message);
		vmc_error_destroy(err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int serve_stdio(struct server *s, const struct options *o)
{
	struct vmc_error *err;

	if (!o->debug)
		release_gdb_stderr();
	err = server_run(s, STDIN_FILENO, STDOUT_FILENO,
			 o->debug ? stderr : NULL);
	if (!err)
		return EXIT_OK;
	fprintf(stderr, "gdbserver-vmcore: %s\n", err->message);
	vmc_error_destroy(err);
	return EXIT_FAIL;
}

/*
 * A Unix socket must not outlive the server, also when it is stopped by
 * a signal (--keep-listening runs until then).  The one global of the
 * program: a signal handler has no other way to find the path.
 */
static const char *volatile socket_to_remove;

static void remove_socket_and_die(int sig)
{
	if (socket_to_remove)
		unlink(socket_to_remove);	/* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The signals that end a --listen server and remove its Unix socket. */
static const int cleanup_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NUM_CLEANUP_SIGS (sizeof(cleanup_sigs) / sizeof(cleanup_sigs[0]))

static void remove_socket_on_signals(const struct listener *l)
{
	if (!l->unix_path)
		return;
	socket_to_remove = l->unix_path;
	for (size_t i = 0; i < NUM_CLEANUP_SIGS; i++)
		signal(cleanup_sigs[i], remove_socket_and_die);
}

/* Listen first: a bad --listen is reported before the dump is read. */
static int open_listener(const struct options *o, struct listener *l)
{
	struct vmc_error *err;
	int ret;

	l->fd = -1;
	if (!o->listen)
		return -1;
	err = listener_open(o->listen, l);
	if (!err)
		return -1;
	fprintf(stderr, "gdbserver-vmcore: %s\n", err->message);
	ret = err->code == VMC_ERR_INVALID ? EXIT_USAGE : EXIT_FAIL;
	vmc_error_destroy(err);
	return ret;
}

/*
 * open_listener() with the signal handlers that remove a Unix socket in
 * place before the socket exists: a signal while the dump is being read
 * (which can take seconds) must not leave the socket behind, nor be lost
 * to a SIGINT disposition inherited as ignored.  The signals are blocked
 * from before the bind until the handlers know the path.
 */
static int listen_with_cleanup(const struct options *o, struct listener *l)
{
	sigset_t block, old;
	int ret;

	sigemptyset(&block);
	for (size_t i = 0; i < NUM_CLEANUP_SIGS; i++)
		sigaddset(&block, cleanup_sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	ret = open_listener(o, l);
	if (ret < 0 && o->listen)
		remove_socket_on_signals(l);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * Without --vmlinux (and --no-vmlinux): the dumped kernel's, if gdb has it
 * or it is where debug kernels are installed.  Says on stderr which one
 * was taken and why, or why none was.  Returns a malloc'ed path or NULL.
 */
static char *find_vmlinux(struct vmcore *vc, const struct options *o)
{
	struct vmlinux_search search = {
		.dirs = o->search_dirs, .ndirs = o->nsearch_dirs,
	};
	struct strbuf report;
	char *path = NULL;
	struct vmc_error *err;

	strbuf_init(&report);
	err = vmlinux_find(vc, &search, &report, &path);
	if (err)
		fprintf(stderr, "gdbserver-vmcore: looking for the vmlinux: "
			"%s\n", err->message);
	else if (!path && o->threads == THREADS_TASKS)
		fprintf(stderr, "gdbserver-vmcore: warning: threads are CPUs, "
			"not tasks: %s", report.data);
	else if (!o->quiet && report.len)
		fprintf(stderr, "gdbserver-vmcore: %s", report.data);
	vmc_error_destroy(err);
	strbuf_deinit(&report);
	return path;
}

/* Open the dump, apply the vmlinux (given or found) and make the server. */
static struct vmc_error *open_target(const struct options *o,
				     struct server_opts *so,
				     struct vmlinux_info *vinfo,
				     char **found_ret, struct vmcore **vc_ret,
				     struct server **s_ret)
{
	struct vmc_error *err = vmcore_open_set(o->dumps, o->ndumps, vc_ret);
	struct vmcore *vc = *vc_ret;

	if (err)
		return err;
	if (o->pac == PAC_AUTO)
		so->strip_pac = vmcore_arch(vc)->strip_pac &&
			vmcore_vmcoreinfo(vc, "NUMBER(KERNELPACMASK)");
	so->vmlinux = o->vmlinux;
	if (!o->vmlinux && !o->no_vmlinux)
		so->vmlinux = *found_ret = find_vmlinux(vc, o);
	if (!so->vmlinux && so->threads == THREADS_TASKS)
		so->threads = THREADS_AUTO;	/* CPUs, as find_vmlinux said */
	so->vmlinux_info = so->vmlinux ? vinfo : NULL;
	if (so->vmlinux && (err = use_vmlinux(vc, so->vmlinux, vinfo)))
		return err;
	return server_create(vc, so, s_ret);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct server_opts so = { 0 };
	struct vmlinux_info vinfo;
	struct listener l;
	struct vmcore *vc = NULL;
	struct server *s = NULL;
	struct vmc_error *err;
	char *found = NULL;
	int ret;

	if (argc >= 2 && strcmp(argv[1], "--wrap") == 0) {
		if (argc == 2) {
			fprintf(stderr, "gdbserver-vmcore: --wrap: give the "
				"command to run (ssh HOST gdbserver-vmcore "
				"VMCORE)\n");
			return EXIT_USAGE;
		}
		return wrap_run(argv + 2);
	}
	ret = parse_args(argc, argv, &o);
	if (ret >= 0) {
		free(o.env_copy);
		return ret >= 100 ? ret - 100 : ret;
	}
	/* A vanished gdb must show up as EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if ((ret = listen_with_cleanup(&o, &l)) >= 0) {
		free(o.env_copy);
		return ret;
	}
	so.quiet = o.quiet;
	so.strip_pac = o.pac == PAC_STRIP;
	so.threads = o.threads;
	so.search_dirs = o.search_dirs;
	so.nsearch_dirs = o.nsearch_dirs;
	/* Tests stand a fake /usr/lib/debug and /lib/modules here. */
	so.root = getenv(ROOT_ENV);
	if ((err = open_target(&o, &so, &vinfo, &found, &vc, &s))) {
		fprintf(stderr, "gdbserver-vmcore: %s\n", err->message);
		vmc_error_destroy(err);
		vmcore_close(vc);
		if (o.listen) {
			socket_to_remove = NULL;
			listener_close(&l);
		} else {
			end_failed_stdio();
		}
		free(found);
		free(o.env_copy);
		return EXIT_FAIL;
	}
	vmcore_set_zero_excluded(vc, o.zero_excluded);
	print_warnings(&s->thread_warnings);
	for (size_t i = 0; i < vmcore_num_warnings(vc); i++)
		fprintf(stderr, "gdbserver-vmcore: warning: %s\n",
			vmcore_warning(vc, i));
	/* Even with -q: without it gdb's symbols are silently wrong. */
	if (server_offsets_warning(s))
		fprintf(stderr, "gdbserver-vmcore: warning: %s\n",
			server_offsets_warning(s));
	if (!o.quiet)
		summary(vc, s, so.strip_pac);
	ret = o.listen ? serve_listener(s, &l, &o) : serve_stdio(s, &o);
	if (o.listen) {
		socket_to_remove = NULL;
		listener_close(&l);
	}
	server_destroy(s);
	vmcore_close(vc);
	free(found);
	free(o.env_copy);
	return ret;
}
