/* SPDX-License-Identifier: MIT */
/*
 * save --ssh: the dump streamed to USER@HOST:DIR/<host>-<time>[.N]/ in
 * three remote steps (sshremote.c has the remote script): begin (the
 * directory, and dmesg.txt.incomplete), put (vmcore-incomplete, the dump
 * as it is read: the flattened kdump stream, or the ELF file's bytes in
 * order) and commit (both renamed, if the remote files hold the bytes
 * sent).  Anything that fails leaves vmcore-incomplete there and an
 * error here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libvmcore/vmcore.h"
#include "saveint.h"
#include "sshremote.h"

#define CHUNK (1024u * 1024)

struct ssh_save {
	const struct save_opts *o;
	struct ssh_conn conn;
	struct vmcore *vc;		/* NULL: a plain copy */
	bool kdump;
	int in;
	uint64_t size;			/* of the source */
	char *dmesg;			/* the log's text, or NULL */
	size_t dmesg_len;
	char *dir;			/* the remote dump directory */
	uint64_t sent;			/* the dump's bytes put there */
};

/* The crashed kernel's log as text in S->dmesg; a failure is a warning. */
static void dmesg_text(struct ssh_save *s, const struct vmc_error *open_err)
{
	struct dmesg_out d = { open_memstream(&s->dmesg, &s->dmesg_len) };
	struct vmc_error *err = NULL;

	if (!s->vc) {
		fprintf(stderr, "vmcore-loader: warning: no kernel log saved: "
			"%s\n", open_err->message);
	} else if (!d.f) {
		err = &vmc_enomem;
	} else {
		err = vmcore_dmesg(s->vc, save_dmesg_line, &d);
	}
	if (d.f && fclose(d.f) && !err)
		err = &vmc_enomem;
	if (err || !s->vc) {
		if (err)
			fprintf(stderr, "vmcore-loader: warning: no kernel log "
				"saved: %s\n", err->message);
		vmc_error_destroy(err);
		free(s->dmesg);
		s->dmesg = NULL;
	}
}

static struct vmc_error *write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vmc_error_errno(w < 0 ? errno : EIO,
					       "writing to the ssh client");
		p += w;
		n -= (size_t)w;
	}
	return NULL;
}

/* begin: the remote directory (S->dir), with the log in it. */
static struct vmc_error *step_begin(struct ssh_save *s, const char *name)
{
	char need[32], *out = NULL, *nl;
	const char *args[] = { s->o->dir, name, need, NULL };
	struct ssh_step st;
	struct vmc_error *err, *werr = NULL;

	/* A plain copy's size is known: the remote side checks its space. */
	snprintf(need, sizeof(need), "%" PRIu64,
		 s->kdump ? 0 : (s->size + 1023) / 1024);
	err = ssh_step_start(&s->conn, "creating the dump directory", "begin",
			     args, &st);
	if (err)
		return err;
	if (s->dmesg)
		werr = write_all(st.in, s->dmesg, s->dmesg_len);
	err = ssh_step_finish(&st, &out);
	if (!err && werr)
		err = vmc_error_prefix(werr, "%s: sending dmesg.txt: ",
				       s->o->ssh);
	else
		vmc_error_destroy(werr);
	if (!err && (!out || strncmp(out, "DIR ", 4) || !strchr(out, '\n')))
		err = vmc_error_create(VMC_ERR_FORMAT, "%s: the remote side "
			"did not say which directory it made (said \"%.80s\")",
			s->o->ssh, out ? out : "");
	if (!err) {
		nl = strchr(out, '\n');
		*nl = '\0';
		if (!(s->dir = strdup(out + 4)))
			err = &vmc_enomem;
	}
	free(out);
	return err;
}

/* The source's bytes in order (a plain copy: zero pages too). */
static struct vmc_error *stream_copy(struct ssh_save *s, int out)
{
	const struct save_opts *o = s->o;
	uint8_t *buf = malloc(CHUNK);
	time_t start = time(NULL), last = 0;
	struct vmc_error *err = NULL;

	if (!buf)
		return &vmc_enomem;
	while (!err && s->sent < s->size) {
		size_t want = s->size - s->sent < CHUNK ? s->size - s->sent
							  : CHUNK;
		ssize_t n = pread(s->in, buf, want, (off_t)s->sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? vmc_error_errno(errno, "%s: reading at "
				"offset %" PRIu64, o->vmcore, s->sent)
				: vmc_error_create(VMC_ERR_FORMAT, "%s ends at "
				"%" PRIu64 " of %" PRIu64 " bytes", o->vmcore,
				s->sent, s->size);
			break;
		}
		if ((err = write_all(out, buf, (size_t)n)))
			break;
		s->sent += (uint64_t)n;
		if (o->stop_after && s->sent >= o->stop_after &&
		    s->sent < s->size)
			err = vmc_error_create(VMC_ERR_OS, "stopped after %"
				PRIu64 " bytes (test)", s->sent);
		if (time(NULL) != last || s->sent == s->size) {
			last = time(NULL);
			save_progress(o, s->sent, s->size, start);
		}
	}
	free(buf);
	return err;
}

/* put: the dump into DIR/vmcore-incomplete. */
static struct vmc_error *step_put(struct ssh_save *s)
{
	const char *args[] = { s->dir, NULL };
	struct ssh_step st;
	struct vmc_error *err, *serr;

	if (!s->o->quiet)
		fprintf(stderr, "vmcore-loader: saving %s (%" PRIu64 " MiB) to "
			"%s:%s/vmcore through %s%s\n", s->o->vmcore,
			s->size >> 20, s->conn.dest.login, s->dir,
			s->conn.client, s->kdump ? " (kdump-compressed, "
			"flattened)" : "");
	err = ssh_step_start(&s->conn, "writing the dump", "put", args, &st);
	if (err)
		return err;
	serr = s->kdump ? save_write_kdump(s->o, s->vc, st.in, true, &s->sent)
			: stream_copy(s, st.in);
	err = ssh_step_finish(&st, NULL);
	/* The remote side's failure explains a write that failed here
	 * (EPIPE: it stopped reading). */
	if (err)
		vmc_error_destroy(serr);
	else
		err = serr;
	return err ? vmc_error_prefix(err, "%s:%s/vmcore-incomplete left "
			"incomplete: ", s->conn.dest.login, s->dir) : NULL;
}

/* commit: vmcore-incomplete to vmcore if it holds what was sent. */
static struct vmc_error *step_commit(struct ssh_save *s)
{
	char n[32], m[32], *out = NULL;
	const char *args[] = { s->dir, n, m, NULL };
	struct ssh_step st;
	struct vmc_error *err;

	snprintf(n, sizeof(n), "%" PRIu64, s->sent);
	if (s->dmesg)
		snprintf(m, sizeof(m), "%zu", s->dmesg_len);
	else
		snprintf(m, sizeof(m), "-");
	err = ssh_step_start(&s->conn, "renaming vmcore-incomplete to vmcore",
			     "commit", args, &st);
	if (err)
		return err;
	err = ssh_step_finish(&st, &out);
	if (!err && (!out || strncmp(out, "SAVED ", 6)))
		err = vmc_error_create(VMC_ERR_FORMAT, "%s:%s: the remote side "
			"did not confirm the rename", s->conn.dest.login,
			s->dir);
	free(out);
	return err;
}

static struct vmc_error *run(struct ssh_save *s, char **saved_ret)
{
	struct vmc_error *err, *open_err = NULL;
	char host[256], stamp[32], *name = NULL;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	s->vc = save_open_source(s->o, &s->kdump, &open_err);
	save_pick_host(s->o, s->vc, host, sizeof(host));
	save_stamp(stamp, sizeof(stamp));
	dmesg_text(s, open_err);
	vmc_error_destroy(open_err);
	if (asprintf(&name, "%s-%s", host, stamp) < 0)
		return &vmc_enomem;
	/* A client that exits early makes our writes fail with EPIPE,
	 * not kill us. */
	sigaction(SIGPIPE, &ign, &old);
	if (!(err = step_begin(s, name)) && !(err = step_put(s)) &&
	    !(err = step_commit(s)) &&
	    (s->conn.dest.port ? asprintf(saved_ret, "%s:%s (port %s)",
					  s->conn.dest.login, s->dir,
					  s->conn.dest.port)
			       : asprintf(saved_ret, "%s:%s",
					  s->conn.dest.login, s->dir)) < 0) {
		*saved_ret = NULL;
		err = &vmc_enomem;
	}
	sigaction(SIGPIPE, &old, NULL);
	free(name);
	return err;
}

struct vmc_error *save_dump_ssh(const struct save_opts *o, int in,
				char **saved_ret)
{
	struct ssh_save s = { .o = o, .in = in };
	struct stat st;
	struct vmc_error *err;

	if (fstat(in, &st) < 0 || st.st_size <= 0)
		return vmc_error_create(VMC_ERR_INVALID, "%s is empty: there "
			"is no dump to save", o->vmcore);
	s.size = (uint64_t)st.st_size;
	err = ssh_conn_init(&s.conn, o->ssh, o->ssh_key, o->ssh_known_hosts,
			    o->ssh_client);
	if (err)
		return err;
	err = run(&s, saved_ret);
	if (s.vc)
		vmcore_close(s.vc);
	ssh_conn_deinit(&s.conn);
	free(s.dmesg);
	free(s.dir);
	return err;
}
