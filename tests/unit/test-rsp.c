/* SPDX-License-Identifier: MIT */
/*
 * RSP framing: the byte parser (rsp_parser_byte) and rsp_send/rsp_recv
 * over a socketpair, with the peer played by the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../gdbserver-vmcore/rsp.h"
#include "unit.h"

/* Events of feeding LEN bytes, as a string of one letter per event:
 * P packet, C bad checksum, L too long, + ack, - nak, I interrupt. */
struct feed {
	char ev[64];
	size_t nev;
	char last[256];		/* data of the last RSP_PACKET */
	size_t last_len;
};

static void feed(struct rsp_parser *p, const void *data, size_t len,
		 struct feed *f)
{
	static const char letters[] = {
		[RSP_PACKET] = 'P', [RSP_BAD_CHECKSUM] = 'C',
		[RSP_TOO_LONG] = 'L', [RSP_ACK] = '+', [RSP_NAK] = '-',
		[RSP_INTERRUPT] = 'I',
	};
	const uint8_t *b = data;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < len; i++) {
		enum rsp_event ev = rsp_parser_byte(p, b[i]);

		if (ev == RSP_NONE)
			continue;
		if (f->nev < sizeof(f->ev) - 1)
			f->ev[f->nev++] = letters[ev];
		if (ev == RSP_PACKET) {
			f->last_len = p->len;
			memcpy(f->last, p->buf,
			       p->len < sizeof(f->last) ? p->len + 1
							: sizeof(f->last));
		}
	}
}

static struct rsp_parser *new_parser(void)
{
	struct rsp_parser *p = unit_xmalloc(sizeof(*p));

	memset(p, 0xa5, sizeof(*p));	/* init must not rely on zeroing */
	rsp_parser_init(p);
	return p;
}

#define FEED(p, s, f) feed((p), (s), sizeof(s) - 1, (f))

TEST(parser_good_packets)
{
	struct rsp_parser *p = new_parser();
	struct feed f;

	FEED(p, "$qSupported#37", &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, "qSupported");
	CHECK_U64(f.last_len, 10);

	/* Upper-case checksum digits are fine too. */
	FEED(p, "$g#67$?#3F", &f);
	CHECK_STR(f.ev, "PP");
	CHECK_STR(f.last, "?");

	/* The empty packet. */
	FEED(p, "$#00", &f);
	CHECK_STR(f.ev, "P");
	CHECK_U64(f.last_len, 0);
	CHECK_STR(f.last, "");
	free(p);
}

TEST(parser_bad_checksum)
{
	struct rsp_parser *p = new_parser();
	struct feed f;

	FEED(p, "$g#68", &f);
	CHECK_STR(f.ev, "C");
	/* Non-hex checksum digits, first or second, even when the other
	 * digit would make the sum come out right. */
	FEED(p, "$#z0", &f);
	CHECK_STR(f.ev, "C");
	FEED(p, "$#0z", &f);
	CHECK_STR(f.ev, "C");
	/* '?' is 0x3f: "3?" must not parse as 0x3f via a lax digit. */
	FEED(p, "$?#3?", &f);
	CHECK_STR(f.ev, "C");
	/* A bad packet does not spoil the next one. */
	FEED(p, "$g#00$g#67", &f);
	CHECK_STR(f.ev, "CP");
	CHECK_STR(f.last, "g");
	free(p);
}

TEST(parser_escapes)
{
	struct rsp_parser *p = new_parser();
	struct feed f;
	/* "}\x03" is '#', "}\x04" '$', "}]" '}', "}\x0a" '*'; the checksum
	 * covers the escape bytes as sent. */
	const char body[] = "a}\x03" "b}\x04" "c}]" "d}\x0a";
	char pkt[64];
	unsigned sum = 0;

	for (const char *c = body; *c; c++)
		sum += (uint8_t)*c;
	snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum & 0xff);
	feed(p, pkt, strlen(pkt), &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, "a#b$c}d*");
	CHECK_U64(f.last_len, 8);

	/* Summing the unescaped bytes instead would be wrong. */
	sum = 0;
	for (const char *c = "a#b$c}d*"; *c; c++)
		sum += (uint8_t)*c;
	snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum & 0xff);
	feed(p, pkt, strlen(pkt), &f);
	CHECK_STR(f.ev, "C");
	free(p);
}

TEST(parser_dollar_restarts)
{
	struct rsp_parser *p = new_parser();
	struct feed f;

	/* A '$' inside data starts over: the cut packet is dropped. */
	FEED(p, "$m1234,$g#67", &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, "g");
	FEED(p, "$$$?#3f", &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, "?");
	free(p);
}

TEST(parser_between_packets)
{
	struct rsp_parser *p = new_parser();
	struct feed f;

	FEED(p, "+-\x03+", &f);
	CHECK_STR(f.ev, "+-I+");
	/* Junk between packets is ignored, including NULs and '#'. */
	feed(p, "xyz\0#12\r\n$g#67junk+", 20, &f);
	CHECK_STR(f.ev, "P+");
	CHECK_STR(f.last, "g");
	/* '+', '-' and 0x03 inside a packet are data. */
	{
		const char body[] = "a+-\x03";
		char pkt[32];
		unsigned sum = 0;

		for (const char *c = body; *c; c++)
			sum += (uint8_t)*c;
		snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum & 0xff);
		feed(p, pkt, strlen(pkt), &f);
		CHECK_STR(f.ev, "P");
		CHECK_STR(f.last, body);
	}
	free(p);
}

/* Feed "$" + N data bytes (ESCAPED of them as "}\x0a" = '*') + checksum. */
static enum rsp_event feed_long(struct rsp_parser *p, size_t n, size_t escaped,
				size_t *events_ret)
{
	enum rsp_event ev, last = RSP_NONE;
	uint8_t sum = 0;
	char cs[4];

	*events_ret = 0;
	rsp_parser_byte(p, '$');
	for (size_t i = 0; i < n; i++) {
		if (i < escaped) {
			ev = rsp_parser_byte(p, '}');
			*events_ret += ev != RSP_NONE;
			ev = rsp_parser_byte(p, 0x0a);
			sum += '}' + 0x0a;
		} else {
			ev = rsp_parser_byte(p, 'a' + i % 26);
			sum += (uint8_t)('a' + i % 26);
		}
		*events_ret += ev != RSP_NONE;
	}
	snprintf(cs, sizeof(cs), "%02x", sum);
	ev = rsp_parser_byte(p, '#');
	*events_ret += ev != RSP_NONE;
	ev = rsp_parser_byte(p, (uint8_t)cs[0]);
	*events_ret += ev != RSP_NONE;
	last = rsp_parser_byte(p, (uint8_t)cs[1]);
	return last;
}

TEST(parser_max_length)
{
	struct rsp_parser *p = new_parser();
	struct feed f;
	size_t events;

	CHECK_U64(feed_long(p, RSP_MAX_PACKET, 0, &events), RSP_PACKET);
	CHECK_U64(events, 0);
	CHECK_U64(p->len, RSP_MAX_PACKET);
	CHECK_U64(p->buf[RSP_MAX_PACKET], 0);
	CHECK(p->buf[RSP_MAX_PACKET - 1] == 'a' + (RSP_MAX_PACKET - 1) % 26);

	CHECK_U64(feed_long(p, RSP_MAX_PACKET + 1, 0, &events), RSP_TOO_LONG);
	CHECK_U64(events, 0);
	/* The limit is on unescaped bytes: escapes do not count twice. */
	CHECK_U64(feed_long(p, RSP_MAX_PACKET, 1000, &events), RSP_PACKET);
	CHECK(p->buf[0] == '*' && p->buf[999] == '*' && p->buf[1000] != '*');
	CHECK_U64(feed_long(p, RSP_MAX_PACKET + 1, 1000, &events),
		  RSP_TOO_LONG);
	/* Much too long, then a good packet. */
	CHECK_U64(feed_long(p, 3 * RSP_MAX_PACKET, 0, &events), RSP_TOO_LONG);
	FEED(p, "$?#3f", &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, "?");
	/* A too-long packet with a wrong checksum is still too long. */
	rsp_parser_byte(p, '$');
	for (size_t i = 0; i < RSP_MAX_PACKET + 5; i++)
		rsp_parser_byte(p, 'x');
	FEED(p, "#zz", &f);
	CHECK_STR(f.ev, "L");
	FEED(p, "$g#67", &f);
	CHECK_STR(f.ev, "P");
	free(p);
}

/* ---- rsp_send / rsp_recv over a socketpair ----------------------------- */

struct pair {
	int srv, peer;
	struct rsp_conn *conn;
};

static bool pair_open(struct pair *pr)
{
	int sv[2];

	if (!CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "%s",
		   strerror(errno)))
		return false;
	pr->srv = sv[0];
	pr->peer = sv[1];
	/* The peer side never blocks the test. */
	fcntl(pr->peer, F_SETFL, O_NONBLOCK);
	return CHECK_OK(rsp_conn_create(pr->srv, pr->srv, NULL, &pr->conn));
}

static void pair_close(struct pair *pr)
{
	rsp_conn_destroy(pr->conn);
	if (pr->srv >= 0)
		close(pr->srv);
	if (pr->peer >= 0)
		close(pr->peer);
}

static void peer_write(struct pair *pr, const void *data, size_t len)
{
	CHECK(write(pr->peer, data, len) == (ssize_t)len, "%s",
	      strerror(errno));
}

/* Everything the server wrote so far, NUL-terminated. */
static size_t peer_read(struct pair *pr, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = read(pr->peer, buf + got, cap - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

TEST(send_frames_and_escapes)
{
	struct pair pr;
	char out[256];
	/* Payload with every character that must be escaped. */
	const char data[] = "a$b#c}d*e";
	/* '$'^0x20 = 0x04, '#'^0x20 = 0x03, '}'^0x20 = ']', '*'^0x20 = 0x0a */
	const char want_body[] = "a}\x04" "b}\x03" "c}]" "d}\x0a" "e";
	char want[64];
	unsigned sum = 0;
	struct rsp_parser *p;
	struct feed f;

	if (!pair_open(&pr))
		return;
	for (const char *c = want_body; *c; c++)
		sum += (uint8_t)*c;
	snprintf(want, sizeof(want), "$%s#%02x", want_body, sum & 0xff);

	peer_write(&pr, "+", 1);	/* the ack, ready for the server */
	CHECK_OK(rsp_send(pr.conn, data, sizeof(data) - 1));
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, want);
	/* And our own parser reads it back unchanged. */
	p = new_parser();
	feed(p, out, strlen(out), &f);
	CHECK_STR(f.ev, "P");
	CHECK_STR(f.last, data);
	free(p);

	/* Bytes >= 0x80 and NULs go through raw (binary replies). */
	{
		const char bin[] = { 'x', 0, (char)0xff, 'y' };

		peer_write(&pr, "+", 1);
		CHECK_OK(rsp_send(pr.conn, bin, sizeof(bin)));
		CHECK_U64(peer_read(&pr, out, sizeof(out)), 8);
		CHECK_MEM(out, "$x\0\xffy#f0", 8);
	}
	pair_close(&pr);
}

TEST(send_resend_on_nak)
{
	struct pair pr;
	char out[256];

	if (!pair_open(&pr))
		return;
	/* Two NAKs then an ack: three copies of the frame. */
	peer_write(&pr, "--+", 3);
	CHECK_OK(rsp_send(pr.conn, "OK", 2));
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "$OK#9a$OK#9a$OK#9a");

	/* Ten NAKs in a row: give up with an error, do not loop. */
	peer_write(&pr, "----------", 10);
	CHECK_ERR(rsp_send(pr.conn, "OK", 2), VMC_ERR_INVALID, "10 times");
	peer_read(&pr, out, sizeof(out));
	CHECK_U64(strlen(out), 10 * 6);

	/* Noise before the ack is skipped. */
	peer_write(&pr, "xx+", 3);
	CHECK_OK(rsp_send(pr.conn, "OK", 2));
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "$OK#9a");
	pair_close(&pr);
}

TEST(send_then_packet_instead_of_ack)
{
	struct pair pr;
	const char *pkt;
	size_t len;
	char out[256];

	if (!pair_open(&pr))
		return;
	/* gdb may send its next packet without acking ours: that packet
	 * must not be lost. */
	peer_write(&pr, "$g#67", 5);
	CHECK_OK(rsp_send(pr.conn, "OK", 2));
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK_STR(pkt, "g");
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "$OK#9a+");
	pair_close(&pr);
}

TEST(recv_acks_and_naks)
{
	struct pair pr;
	const char *pkt;
	size_t len;
	char out[256];

	if (!pair_open(&pr))
		return;
	/* Acks and interrupts outside a send are skipped; a bad checksum
	 * is NAKed and the next good packet is delivered and acked. */
	peer_write(&pr, "++\x03$g#00junk$m10,4#2e", 21);
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK_STR(pkt, "m10,4");
	CHECK_U64(len, 5);
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "-+");
	CHECK_U64(pr.conn->bad_packets, 1);

	/* A packet split across reads. */
	peer_write(&pr, "$qSupp", 6);
	peer_write(&pr, "orted#37", 8);
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK_STR(pkt, "qSupported");

	/* End of input: NULL packet, no error. */
	close(pr.peer);
	pr.peer = -1;
	pkt = "not touched";
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK(pkt == NULL, "pkt is \"%s\"", pkt);
	CHECK(pr.conn->eof);
	pair_close(&pr);
}

static void write_big(void *arg)
{
	struct pair *pr = arg;
	size_t n = RSP_MAX_PACKET + 100;
	char *big = unit_xmalloc(n + 16);
	size_t off = 0, total = n + 9;

	big[0] = '$';
	memset(big + 1, 'a', n);
	memcpy(big + 1 + n, "#00$?#3f", 8);
	/* The peer is non-blocking (and the flag is shared with the
	 * parent): wait for room with poll(). */
	while (off < total) {
		struct pollfd pfd = { .fd = pr->peer, .events = POLLOUT };
		ssize_t w;

		if (poll(&pfd, 1, 5000) != 1)
			_exit(2);
		w = write(pr->peer, big + off, total - off);
		if (w < 0 && errno == EAGAIN)
			continue;
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	free(big);
}

TEST(recv_too_long_is_naked)
{
	struct pair pr;
	const char *pkt;
	size_t len;
	char out[64];
	pid_t pid;
	int status;

	if (!pair_open(&pr))
		return;
	/* A child writes: the socket buffer is smaller than the packet. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		write_big(&pr);
		_exit(0);
	}
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK_STR(pkt, "?");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "writer status 0x%x", status);
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "-+");
	CHECK_U64(pr.conn->bad_packets, 1);
	pair_close(&pr);
}

TEST(noack_mode)
{
	struct pair pr;
	const char *pkt;
	size_t len;
	char out[256];

	if (!pair_open(&pr))
		return;
	pr.conn->noack = true;
	/* No ack written for a good packet, no NAK for a bad one. */
	peer_write(&pr, "$g#00$g#67", 10);
	CHECK_OK(rsp_recv(pr.conn, &pkt, &len));
	CHECK_STR(pkt, "g");
	CHECK_U64(peer_read(&pr, out, sizeof(out)), 0);
	/* rsp_send does not wait for an ack (nothing is queued: if it
	 * waited, it would read end of input or block). */
	CHECK_OK(rsp_send(pr.conn, "OK", 2));
	peer_read(&pr, out, sizeof(out));
	CHECK_STR(out, "$OK#9a");
	CHECK(!pr.conn->eof);
	pair_close(&pr);
}

TEST(send_to_closed_peer)
{
	struct pair pr;

	if (!pair_open(&pr))
		return;
	close(pr.peer);
	pr.peer = -1;
	/* EPIPE is end of session, not an error; no SIGPIPE (ignored). */
	CHECK_OK(rsp_send(pr.conn, "OK", 2));
	CHECK(pr.conn->eof);
	pair_close(&pr);
}

/* Send DATA and decode the frame as gdb would; true if it round-trips. */
static bool round_trip(struct pair *pr, const char *data, size_t len,
		       size_t *frame_len)
{
	char *out = unit_xmalloc(4 * len + 64), *pkt[2];
	size_t got, lens[2];
	const char *why;
	int n;
	bool ok;

	peer_write(pr, "+", 1);
	if (!CHECK_OK(rsp_send(pr->conn, data, len))) {
		free(out);
		return false;
	}
	got = peer_read(pr, out, 4 * len + 64);
	*frame_len = got;
	n = unit_gdb_frames(out, got, pkt, lens, 2, &why);
	ok = CHECK(n == 1, "%d frames (%s) from %zu bytes: %.80s", n,
		   why ? why : "", got, out);
	if (n >= 1) {
		ok = ok && CHECK_U64(lens[0], len) &&
		     CHECK_MEM(pkt[0], data, len);
		for (int i = 0; i < n && i < 2; i++)
			free(pkt[i]);
	}
	free(out);
	return ok;
}

TEST(send_run_length_encoding)
{
	struct pair pr;
	char buf[2048];
	size_t flen;

	if (!pair_open(&pr))
		return;
	/* Every run length, including the 6/7 repeats whose count would be
	 * '#' or '$', and runs longer than one group (97 repeats). */
	for (size_t run = 1; run <= 300; run++) {
		memset(buf, '0', run);
		buf[run] = 'x';
		if (!round_trip(&pr, buf, run + 1, &flen)) {
			unit_note("run of %zu", run);
			break;
		}
	}
	/* Zero pages are what RLE is for: 4096 bytes = 8192 '0' digits
	 * in a reply must come out far smaller. */
	{
		char *zeros = unit_xmalloc(8192);

		memset(zeros, '0', 8192);
		if (round_trip(&pr, zeros, 8192, &flen))
			CHECK(flen < 400, "8192 zeros framed in %zu bytes", flen);
		free(zeros);
	}
	/* Runs of characters that must be escaped are not encoded as runs
	 * of their escapes. */
	memset(buf, '}', 50);
	memset(buf + 50, '#', 50);
	memset(buf + 100, '*', 50);
	round_trip(&pr, buf, 150, &flen);
	pair_close(&pr);
}

TEST(send_random_payloads)
{
	struct pair pr;
	char buf[1024];
	size_t flen;
	uint32_t x = 12345;

	if (!pair_open(&pr))
		return;
	for (int iter = 0; iter < 300; iter++) {
		size_t len = 0, want = (size_t)(iter * 7) % sizeof(buf);

		/* Runs of random bytes (all 256 values) of random lengths. */
		while (len < want) {
			size_t run;
			char c;

			x = x * 1103515245 + 12345;
			c = (char)(x >> 16);
			x = x * 1103515245 + 12345;
			run = (x >> 16) % 120 + 1;
			while (run-- > 0 && len < want)
				buf[len++] = c;
		}
		if (!round_trip(&pr, buf, len, &flen)) {
			unit_note("iteration %d, %zu bytes", iter, len);
			break;
		}
	}
	pair_close(&pr);
}
