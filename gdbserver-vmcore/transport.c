/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport.h"

static struct vmc_error *open_unix(const char *path, struct listener *l)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path))
		return vmc_error_create(VMC_ERR_INVALID,
			"unix socket path too long (max %zu bytes): %s",
			sizeof(sun.sun_path) - 1, path);
	/* Replace a stale socket, never any other kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return vmc_error_create(VMC_ERR_INVALID,
				"%s exists and is not a socket; not touching "
				"it", path);
		unlink(path);
	}
	strcpy(sun.sun_path, path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return vmc_error_errno(errno, "socket");
	if (bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return vmc_error_errno(errno, "binding %s", path);
	l->unix_path = strdup(path);
	if (!l->unix_path)
		return &vmc_enomem;
	snprintf(l->where, sizeof(l->where), "unix:%s", path);
	return NULL;
}

static void split_host_port(const char *spec, char *host, size_t hostlen,
			    const char **port)
{
	const char *colon = strrchr(spec, ':');

	snprintf(host, hostlen, "127.0.0.1");
	*port = spec;
	if (!colon)
		return;
	*port = colon + 1;
	if (colon > spec) {
		size_t n = (size_t)(colon - spec);

		/* [::1]:1234 */
		if (spec[0] == '[' && colon[-1] == ']') {
			spec++;
			n -= 2;
		}
		snprintf(host, hostlen, "%.*s", (int)n, spec);
	}
}

static bool valid_port(const char *port)
{
	unsigned long v = 0;

	if (!*port || strlen(port) > 5)
		return false;
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	return v <= 65535;
}

static void describe_bound(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char h[NI_MAXHOST], p[NI_MAXSERV];

	if (getsockname(l->fd, (struct sockaddr *)&ss, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), p,
			sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(l->where, sizeof(l->where),
			 strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
}

static struct vmc_error *open_tcp(const char *spec, struct listener *l)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai;
	char host[256];
	const char *port;
	int one = 1, ret;

	split_host_port(spec, host, sizeof(host), &port);
	if (!valid_port(port))
		return vmc_error_create(VMC_ERR_INVALID,
			"--listen %s: port \"%s\" is not a number from 0 to "
			"65535 (expected [HOST:]PORT or unix:PATH)", spec, port);
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret)
		return vmc_error_create(VMC_ERR_INVALID,
			"--listen %s: %s (expected [HOST:]PORT or unix:PATH)",
			spec, gai_strerror(ret));
	l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		       ai->ai_protocol);
	if (l->fd < 0) {
		freeaddrinfo(ai);
		return vmc_error_errno(errno, "socket");
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ret = bind(l->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (ret < 0)
		return vmc_error_errno(errno, "binding %s:%s", host, port);
	describe_bound(l);
	return NULL;
}

struct vmc_error *listener_open(const char *spec, struct listener *l)
{
	struct vmc_error *err;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (strncmp(spec, "unix:", 5) == 0)
		err = open_unix(spec + 5, l);
	else
		err = open_tcp(spec, l);
	if (!err && listen(l->fd, 1) < 0)
		err = vmc_error_errno(errno, "listening on %s", l->where);
	if (err)
		listener_close(l);
	return err;
}

struct vmc_error *listener_accept(struct listener *l, int *fd_ret)
{
	int one = 1, fd;

	do
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return vmc_error_errno(errno, "accepting on %s", l->where);
	/* Replies are whole packets: do not wait to coalesce them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_ret = fd;
	return NULL;
}

void listener_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (l->unix_path) {
		unlink(l->unix_path);
		free(l->unix_path);
		l->unix_path = NULL;
	}
}
