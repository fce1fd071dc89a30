/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for RSP framing.  Built and run by tests/fuzz/run.sh.
 *
 * The first input byte picks a mode:
 *   even: every other byte goes to rsp_parser_byte(); the parser's
 *         invariants are checked after each one;
 *   odd:  the rest is a reply payload: rsp_send() frames it (escapes, RLE)
 *         into a socketpair, and gdb's decoding of the frame (gdbframes.c)
 *         must give the payload back.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../gdbserver-vmcore/rsp.h"
#include "../unit/gdbframes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rsp_parser *parser;
static struct rsp_conn *conn;
static int peer;
static char *frame_buf;
#define FRAME_CAP (8 * RSP_MAX_PACKET)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int sv[2], big = 4 << 20;

	(void)argc, (void)argv;
	parser = malloc(sizeof(*parser));
	frame_buf = malloc(FRAME_CAP);
	if (!parser || !frame_buf ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	peer = sv[1];
	if (rsp_conn_create(sv[0], sv[0], NULL, &conn))
		abort();
	conn->noack = true;	/* never wait for an ack */
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-rsp: %s\n", what);
		abort();
	}
}

static void parse(const uint8_t *data, size_t size)
{
	rsp_parser_init(parser);
	for (size_t i = 0; i < size; i++) {
		enum rsp_event ev = rsp_parser_byte(parser, data[i]);

		check(parser->len <= RSP_MAX_PACKET, "len past the maximum");
		if (ev == RSP_PACKET) {
			check(parser->buf[parser->len] == '\0', "no NUL");
			check(!parser->overflow, "overflowed packet delivered");
		}
		check(ev <= RSP_INTERRUPT, "unknown event");
	}
}

static void round_trip(const uint8_t *data, size_t size)
{
	size_t got = 0, lens[2];
	char *pkts[2];
	const char *why;
	ssize_t n;
	int np;

	/* A frame can be up to twice the payload plus 4 bytes. */
	if (size > RSP_MAX_PACKET)
		size = RSP_MAX_PACKET;
	if (rsp_send(conn, (const char *)data, size))
		abort();
	while ((n = read(peer, frame_buf + got, FRAME_CAP - got)) > 0)
		got += (size_t)n;
	np = unit_gdb_frames(frame_buf, got, pkts, lens, 2, &why);
	if (np != 1) {
		fprintf(stderr, "fuzz-rsp: %d frames (%s)\n", np,
			why ? why : "");
		abort();
	}
	check(lens[0] == size, "decoded length differs");
	check(memcmp(pkts[0], data, size) == 0, "decoded bytes differ");
	check(got <= 2 * size + 4, "frame longer than escaping everything");
	free(pkts[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else
		parse(data + 1, size - 1);
	return 0;
}
