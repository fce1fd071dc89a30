/* SPDX-License-Identifier: MIT */
/*
 * save: copy /proc/vmcore (in the capture kernel) to
 * DIR/<host>-<YYYY-MM-DD-HH:MM:SS>/vmcore, as vmcore-incomplete first and
 * renamed when complete and synced; the crashed kernel's log beside it as
 * dmesg.txt, read from the dump through libvmcore.  Never overwrites: a
 * directory name in use gets a .1, .2 ... suffix, files are created with
 * O_EXCL and renamed with RENAME_NOREPLACE.
 *
 * --format elf: a sparse byte copy.  --format kdump: makedumpfile's
 * kdump-compressed format through libvmcore's writer (kdumpwrite.h),
 * pages left out by libkernel's dump-level filter (dumplevel.h), as
 * elfconv --format kdump writes it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "../libkernel/dumplevel.h"
#include "../libvmcore/kdumpwrite.h"
#include "../libvmcore/vmcore.h"
#include "loader.h"
#include "saveint.h"

#define CHUNK (1024u * 1024)
#define PAGE 4096u

static bool zero_page(const uint8_t *b, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)b;

	for (size_t i = 0; i < n / 8; i++)
		if (w[i])
			return false;
	for (size_t i = n / 8 * 8; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static struct vmc_error *write_all(int fd, const uint8_t *b, size_t n,
				   uint64_t off, const char *path)
{
	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vmc_error_errno(w < 0 ? errno : EIO,
				"%s: writing at offset %" PRIu64, path, off);
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return NULL;
}

void save_progress(const struct save_opts *o, uint64_t done, uint64_t total,
		   time_t start)
{
	double t = difftime(time(NULL), start);

	if (!o->progress)
		return;
	/* The same line for both formats: DONE counts source bytes. */
	fprintf(stderr, "\rvmcore-loader: saving %3u%%  %6.1f MB/s ",
		total ? (unsigned)(done * 100 / total) : 100u,
		t > 0 ? (double)done / t / 1e6 : 0.0);
	if (done >= total)
		fputc('\n', stderr);
}

/* Copy IN (SIZE bytes) to OUT, zero pages as holes. */
static struct vmc_error *copy_sparse(const struct save_opts *o, int in,
				     int out, uint64_t size, const char *path)
{
	uint8_t *buf = malloc(CHUNK);
	uint64_t off = 0;
	time_t start = time(NULL), last = 0;
	struct vmc_error *err = NULL;

	if (!buf)
		return &vmc_enomem;
	while (!err && off < size) {
		size_t want = size - off < CHUNK ? size - off : CHUNK;
		ssize_t n = pread(in, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? vmc_error_errno(errno, "%s: reading at "
				"offset %" PRIu64, o->vmcore, off)
				: vmc_error_create(VMC_ERR_FORMAT, "%s ends at "
				"%" PRIu64 " of %" PRIu64 " bytes", o->vmcore,
				off, size);
			break;
		}
		for (size_t k = 0; !err && k < (size_t)n; k += PAGE) {
			size_t m = (size_t)n - k < PAGE ? (size_t)n - k : PAGE;

			if (!zero_page(buf + k, m))
				err = write_all(out, buf + k, m, off + k, path);
		}
		off += (uint64_t)n;
		if (o->stop_after && off >= o->stop_after && off < size)
			err = vmc_error_create(VMC_ERR_OS, "stopped after %"
				PRIu64 " bytes (test)", off);
		if (time(NULL) != last || off == size) {
			last = time(NULL);
			save_progress(o, off, size, start);
		}
	}
	if (!err && ftruncate(out, (off_t)size) < 0)
		err = vmc_error_errno(errno, "%s: setting the size", path);
	if (!err && fsync(out) < 0)
		err = vmc_error_errno(errno, "%s: fsync", path);
	free(buf);
	return err;
}

void save_stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d-%H:%M:%S", &tm);
}

/* DIR/<host>-<time>[.N], created; never an existing one. */
static struct vmc_error *make_dump_dir(const struct save_opts *o,
				       const char *host, char **ret)
{
	char stamp[32];

	save_stamp(stamp, sizeof(stamp));
	if (mkdir(o->dir, 0700) < 0 && errno != EEXIST)
		return vmc_error_errno(errno, "creating %s", o->dir);
	for (unsigned n = 0; n < 1000; n++) {
		char *path;

		if ((n ? asprintf(&path, "%s/%s-%s.%u", o->dir, host, stamp, n)
		       : asprintf(&path, "%s/%s-%s", o->dir, host, stamp)) < 0)
			return &vmc_enomem;
		if (mkdir(path, 0700) == 0) {
			*ret = path;
			return NULL;
		}
		free(path);
		if (errno != EEXIST)
			return vmc_error_errno(errno, "creating a directory in %s",
					       o->dir);
	}
	return vmc_error_create(VMC_ERR_OS, "%s: no free dump directory name",
				o->dir);
}

static struct vmc_error *check_space(const char *dir, uint64_t need)
{
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(dir, &sv) < 0)
		return vmc_error_errno(errno, "statvfs %s", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail >= need)
		return NULL;
	return vmc_error_create(VMC_ERR_OS,
		"%s has %" PRIu64 " MiB free; the dump needs up to %" PRIu64
		" MiB (its zero pages are not stored, so a little less may "
		"do): %" PRIu64 " MiB missing", dir, avail >> 20, need >> 20,
		(need - avail + (1 << 20) - 1) >> 20);
}

int save_dmesg_line(void *arg, uint64_t seq, uint64_t ts, const char *text,
		    size_t len)
{
	struct dmesg_out *d = arg;

	(void)seq;
	fprintf(d->f, "[%5" PRIu64 ".%06" PRIu64 "] %.*s\n", ts / 1000000000,
		ts % 1000000000 / 1000, (int)len, text);
	return 0;
}

/* The crashed kernel's log as text; a failure is only a warning. */
static void save_dmesg(struct vmcore *vc, struct vmc_error *open_err,
		       const char *dumpdir)
{
	struct vmc_error *err = NULL;
	char *tmp = NULL, *path = NULL;
	struct dmesg_out d = { NULL };

	if (!vc) {
		fprintf(stderr, "vmcore-loader: warning: no kernel log saved: "
			"%s\n", open_err->message);
		return;
	}
	if (!err && (asprintf(&tmp, "%s/dmesg.txt.incomplete", dumpdir) < 0 ||
		     asprintf(&path, "%s/dmesg.txt", dumpdir) < 0))
		err = &vmc_enomem;
	if (!err) {
		/* Private like the vmcore: the log may hold secrets. */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);

		if (fd < 0 || !(d.f = fdopen(fd, "w"))) {
			err = vmc_error_errno(errno, "%s", tmp);
			if (fd >= 0)
				close(fd);
		}
	}
	if (!err)
		err = vmcore_dmesg(vc, save_dmesg_line, &d);
	if (d.f && (fflush(d.f) || fsync(fileno(d.f)) || fclose(d.f)) && !err)
		err = vmc_error_errno(errno, "%s", tmp);
	if (!err && save_rename_noreplace(tmp, path) < 0)
		err = vmc_error_errno(errno, "%s", path);
	if (err) {
		fprintf(stderr, "vmcore-loader: warning: no kernel log saved: "
			"%s\n", err->message);
		vmc_error_destroy(err);
	}
	free(tmp);
	free(path);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remove the oldest complete dumps beyond KEEP (names sort by time for
 * one host; dumps of other hosts are left alone). */
static void prune(const struct save_opts *o, const char *host,
		  const char *keep_path)
{
	DIR *d = opendir(o->dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d || !o->keep)
		goto out;
	while ((e = readdir(d))) {
		char *p;
		struct stat st;

		if (strncmp(e->d_name, host, strlen(host)) ||
		    e->d_name[strlen(host)] != '-' ||
		    asprintf(&p, "%s/%s/vmcore", o->dir, e->d_name) < 0)
			continue;
		if (stat(p, &st) == 0 && n < 4096) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				names = realloc(names, cap * sizeof(*names));
				if (!names) {
					free(p);
					goto out;
				}
			}
			names[n++] = strdup(e->d_name);
		}
		free(p);
	}
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; n > o->keep && i < n - o->keep; i++) {
		char *dir, *f;

		if (asprintf(&dir, "%s/%s", o->dir, names[i]) < 0)
			continue;
		if (strcmp(dir, keep_path) != 0) {
			static const char *const files[] = { "vmcore",
				"dmesg.txt", NULL };

			for (size_t k = 0; files[k]; k++) {
				if (asprintf(&f, "%s/%s", dir, files[k]) >= 0) {
					unlink(f);
					free(f);
				}
			}
			if (rmdir(dir) == 0 && !o->quiet)
				fprintf(stderr, "vmcore-loader: removed the old "
					"dump %s (--keep %u)\n", dir, o->keep);
		}
		free(dir);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
}

/* A host name fit for a directory name: [A-Za-z0-9._-], others as '_'. */
static bool set_host(char *dst, size_t n, const char *src)
{
	size_t i;

	if (!src || !*src || !strcmp(src, "(none)") || src[0] == '.')
		return false;
	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (isalnum((unsigned char)src[i]) || src[i] == '.' ||
			  src[i] == '-' || src[i] == '_') ? src[i] : '_';
	dst[i] = '\0';
	return true;
}

/*
 * The name the dump directory starts with: --host, else the crashed
 * kernel's nodename read from the dump (the capture kernel's own is
 * usually "(none)"), else this system's, else "localhost".
 */
void save_pick_host(const struct save_opts *o, struct vmcore *vc,
		    char *host, size_t n)
{
	struct vmc_utsname u;
	char here[256] = "";
	struct vmc_error *err;

	if (set_host(host, n, o->host))
		return;
	if (vc) {
		if (!(err = vmcore_utsname(vc, &u)) &&
		    set_host(host, n, u.nodename))
			return;
		vmc_error_destroy(err);
	}
	if (gethostname(here, sizeof(here) - 1) == 0 && set_host(host, n, here))
		return;
	snprintf(host, n, "localhost");
}

struct vmc_error *save_create(const char *path, int *fd_ret)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return vmc_error_errno(errno, "%s%s", path, errno == EEXIST ?
			": already there; never overwritten" : "");
	*fd_ret = fd;
	return NULL;
}

/* TMP becomes FINAL, never over an existing FINAL: renameat2 with
 * RENAME_NOREPLACE, or where the file system has no such rename (NFS:
 * EINVAL; old kernels: ENOSYS) link(2), which never replaces either,
 * then unlink of TMP.  0, or -1 with errno set. */
int save_rename_noreplace(const char *tmp, const char *final)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, final) < 0)
		return -1;
	unlink(tmp);	/* FINAL is complete; a left TMP is only clutter */
	return 0;
}

struct vmc_error *save_publish(const char *tmp, const char *final)
{
	int dfd;
	char *dir, *slash;

	if (save_rename_noreplace(tmp, final) < 0)
		return vmc_error_errno(errno, "renaming %s to %s%s", tmp, final,
			errno == EEXIST ? " (already there; never "
			"overwritten: the complete dump stays in the first)"
			: "");
	if (!(dir = strdup(final)))
		return NULL;	/* renamed: only the directory sync is lost */
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	return NULL;
}

struct kdump_progress {
	const struct save_opts *o;
	time_t start, last;
};

static void kdump_progress(void *arg, uint64_t done, uint64_t total)
{
	struct kdump_progress *p = arg;

	if (time(NULL) == p->last && done < total)
		return;
	p->last = time(NULL);
	save_progress(p->o, done, total, p->start);
}

static struct vmc_error *filter_make(const struct save_opts *o,
				     struct vmcore *vc,
				     struct vmc_page_filter *f)
{
	struct dumplevel *dl;
	struct vmc_error *err;

	*f = (struct vmc_page_filter){ .dump_level = o->dump_level };
	if ((err = dumplevel_create(vc, o->dump_level, &dl)))
		return err;
	dumplevel_hook(dl, f);
	return NULL;
}

/* After the write: the filter's doubts and what was left out. */
/* What the save took at most, for sizing crashkernel= (the capture
 * kernel's memory is the reservation). */
static void report_peak_memory(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "vmcore-loader: peak memory %.1f MiB\n",
			ru.ru_maxrss / 1024.0);
}

static void kdump_report(const struct save_opts *o,
			 const struct vmc_page_filter *f,
			 const struct vmc_kdump_stats *st)
{
	const struct dumplevel *dl = f->ctx;
	char *sum;

	for (size_t i = 0; dl && i < dumplevel_num_warnings(dl); i++)
		fprintf(stderr, "vmcore-loader: warning: dump level %d: %s\n",
			o->dump_level, dumplevel_warning(dl, i));
	if (st->missing)
		fprintf(stderr, "vmcore-loader: warning: %" PRIu64 " pages "
			"could not be read from the source (truncated or "
			"corrupt): the dump has no data for them and is "
			"flagged incomplete; every other page is saved\n",
			st->missing);
	if (o->quiet)
		return;
	sum = dl ? dumplevel_summary(dl) : NULL;
	fprintf(stderr, "vmcore-loader: kdump-compressed (%s, dump level %d):"
		" %" PRIu64 " of %" PRIu64 " pages (%" PRIu64 " zero, %" PRIu64
		" filtered out), %" PRIu64 " bytes%s%s\n",
		vmc_compress_name((enum vmc_compress)o->compress),
		o->dump_level, st->dumped, st->ram_pages, st->zero,
		st->filtered, st->bytes, sum ? "; filter: " : "",
		sum ? sum : "");
	free(sum);
	report_peak_memory();
}

struct vmc_error *save_write_kdump(const struct save_opts *o,
				   struct vmcore *vc, int out, bool flat,
				   uint64_t *stream_bytes_ret)
{
	struct vmc_page_filter f;
	struct kdump_progress pr = { o, time(NULL), 0 };
	struct vmc_kdump_opts ko = {
		.compress = (enum vmc_compress)o->compress, .filter = &f,
		.flat = flat, .progress = kdump_progress, .progress_arg = &pr,
	};
	struct vmc_kdump_stats st;
	struct vmc_error *err = filter_make(o, vc, &f);

	if (err)
		return err;
	err = vmcore_write_kdump(vc, out, &ko, &st);
	if (err && o->progress)
		fputc('\n', stderr);
	if (!err && !flat && fsync(out) < 0)
		err = vmc_error_errno(errno, "fsync");
	if (!err)
		kdump_report(o, &f, &st);
	if (stream_bytes_ret)
		*stream_bytes_ret = st.stream_bytes;
	dumplevel_destroy(f.ctx);
	return err;
}

/*
 * The source as a dump libvmcore reads: needed for kdump (and for the
 * log and the host name).  A source it cannot read is saved as a plain
 * copy, a truncated one with what it holds: warnings, never a lost dump.
 */
struct vmcore *save_open_source(const struct save_opts *o, bool *kdump,
				struct vmc_error **open_err)
{
	struct vmcore *vc = NULL;

	*kdump = o->kdump;
	*open_err = vmcore_open(o->vmcore, &vc);
	if (*open_err) {
		/* The message names the file. */
		if (*kdump)
			fprintf(stderr, "vmcore-loader: warning: %s; saving a "
				"plain copy instead of a kdump-compressed one "
				"(--format elf)\n", (*open_err)->message);
		*kdump = false;
		return NULL;
	}
	for (size_t i = 0; !o->quiet && i < vmcore_num_warnings(vc); i++)
		fprintf(stderr, "vmcore-loader: warning: %s: %s\n", o->vmcore,
			vmcore_warning(vc, i));
	return vc;
}

/* DIR/vmcore-incomplete, written, then renamed to DIR/vmcore. */
static struct vmc_error *save_vmcore(const struct save_opts *o, bool kdump,
				     struct vmcore *vc, int in, uint64_t size,
				     const char *dir)
{
	char *tmp = NULL, *final = NULL;
	struct vmc_error *err = NULL;
	int out = -1;

	if (asprintf(&tmp, "%s/vmcore-incomplete", dir) < 0 ||
	    asprintf(&final, "%s/vmcore", dir) < 0) {
		err = &vmc_enomem;
		goto out;
	}
	if ((err = save_create(tmp, &out)))
		goto out;
	if (!o->quiet)
		fprintf(stderr, "vmcore-loader: saving %s (%" PRIu64 " MiB) to "
			"%s%s\n", o->vmcore, size >> 20, final, kdump ?
			" (kdump-compressed)" : "");
	err = kdump ? save_write_kdump(o, vc, out, false, NULL)
		    : copy_sparse(o, in, out, size, tmp);
	if (err) {
		err = vmc_error_prefix(err, "%s left incomplete: ", tmp);
		goto out;
	}
	close(out);
	out = -1;
	err = save_publish(tmp, final);
out:
	if (out >= 0)
		close(out);
	free(tmp);
	free(final);
	return err;
}

struct vmc_error *save_dump(const struct save_opts *o, char **saved_ret)
{
	int in = open(o->vmcore, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *dir = NULL, host[256];
	struct vmc_error *err = NULL, *open_err = NULL;
	struct vmcore *vc = NULL;
	bool kdump;

	*saved_ret = NULL;
	if (in < 0)
		return vmc_error_errno(errno, "%s (is this the capture kernel?)",
				       o->vmcore);
	if (o->ssh) {
		err = save_dump_ssh(o, in, saved_ret);
		close(in);
		return err;
	}
	if (fstat(in, &st) < 0 || st.st_size <= 0) {
		err = vmc_error_create(VMC_ERR_INVALID, "%s is empty: there is "
			"no dump to save", o->vmcore);
		goto out;
	}
	if (mkdir(o->dir, 0700) < 0 && errno != EEXIST) {
		err = vmc_error_errno(errno, "creating %s", o->dir);
		goto out;
	}
	/* The dump library reads the log and the host name, and the pages
	 * for kdump; a plain copy needs none of it, so a dump it cannot
	 * read is still saved. */
	vc = save_open_source(o, &kdump, &open_err);
	save_pick_host(o, vc, host, sizeof(host));
	/* A kdump-compressed dump's size is not known before it is written
	 * (that is the point of it): no check up front, ENOSPC says. */
	if ((!kdump && (err = check_space(o->dir, (uint64_t)st.st_size))) ||
	    (err = make_dump_dir(o, host, &dir)))
		goto out;
	if ((err = save_vmcore(o, kdump, vc, in, (uint64_t)st.st_size, dir)))
		goto out;
	save_dmesg(vc, open_err, dir);
	prune(o, host, dir);
	*saved_ret = dir;
	dir = NULL;
out:
	if (vc)
		vmcore_close(vc);
	vmc_error_destroy(open_err);
	close(in);
	free(dir);
	return err;
}
