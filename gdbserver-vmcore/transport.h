/* SPDX-License-Identifier: MIT */
/* Listening sockets: TCP ([HOST:]PORT) and Unix (unix:PATH). */
#ifndef VMC_TRANSPORT_H
#define VMC_TRANSPORT_H

#include "../libvmcore/error.h"

struct listener {
	int fd;
	char *unix_path;	/* to unlink when done */
	char where[300];	/* "127.0.0.1:1234" or "unix:/path" */
};

struct vmc_error *listener_open(const char *spec, struct listener *ret);
struct vmc_error *listener_accept(struct listener *l, int *fd_ret);
void listener_close(struct listener *l);

#endif
