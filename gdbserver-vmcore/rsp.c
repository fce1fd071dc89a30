/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp.h"

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void rsp_parser_init(struct rsp_parser *p)
{
	p->state = RSP_IDLE;
	p->len = 0;
	p->buf[0] = '\0';
}

static void start_packet(struct rsp_parser *p)
{
	p->state = RSP_DATA;
	p->sum = 0;
	p->len = 0;
	p->overflow = false;
	p->bad_csum_digit = false;
}

static void append(struct rsp_parser *p, uint8_t c)
{
	if (p->len >= RSP_MAX_PACKET) {
		p->overflow = true;
		return;
	}
	p->buf[p->len++] = (char)c;
}

static enum rsp_event finish_packet(struct rsp_parser *p)
{
	p->state = RSP_IDLE;
	p->buf[p->len] = '\0';
	if (p->overflow)
		return RSP_TOO_LONG;
	if (p->bad_csum_digit || p->csum != p->sum)
		return RSP_BAD_CHECKSUM;
	return RSP_PACKET;
}

enum rsp_event rsp_parser_byte(struct rsp_parser *p, uint8_t c)
{
	int d;

	switch (p->state) {
	case RSP_IDLE:
		if (c == '$')
			start_packet(p);
		else if (c == '+')
			return RSP_ACK;
		else if (c == '-')
			return RSP_NAK;
		else if (c == 0x03)
			return RSP_INTERRUPT;
		/* Anything else between packets is line noise. */
		return RSP_NONE;
	case RSP_DATA:
		if (c == '$') {
			/* A new packet start: the previous one was cut. */
			start_packet(p);
		} else if (c == '#') {
			p->state = RSP_CSUM1;
		} else {
			p->sum += c;
			if (c == '}')
				p->state = RSP_ESCAPE;
			else
				append(p, c);
		}
		return RSP_NONE;
	case RSP_ESCAPE:
		p->sum += c;
		append(p, c ^ 0x20);
		p->state = RSP_DATA;
		return RSP_NONE;
	case RSP_CSUM1:
		d = hexval(c);
		p->bad_csum_digit = d < 0;
		p->csum = (uint8_t)((d < 0 ? 0 : d) << 4);
		p->state = RSP_CSUM2;
		return RSP_NONE;
	case RSP_CSUM2:
		d = hexval(c);
		p->bad_csum_digit |= d < 0;
		p->csum |= (uint8_t)(d < 0 ? 0 : d);
		return finish_packet(p);
	}
	return RSP_NONE;
}

struct vmc_error *rsp_conn_create(int in_fd, int out_fd, FILE *log,
				  struct rsp_conn **ret)
{
	struct rsp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return &vmc_enomem;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->log = log;
	strbuf_init(&c->frame);
	rsp_parser_init(&c->parser);
	*ret = c;
	return NULL;
}

void rsp_conn_destroy(struct rsp_conn *c)
{
	if (!c)
		return;
	strbuf_deinit(&c->frame);
	free(c);
}

/* Next input byte; -1 at end of input. */
static struct vmc_error *next_byte(struct rsp_conn *c, int *byte_ret)
{
	if (c->rpos == c->rlen) {
		ssize_t n;

		do
			n = read(c->in_fd, c->rbuf, sizeof(c->rbuf));
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != ECONNRESET)
			return vmc_error_errno(errno, "reading from gdb");
		if (n <= 0) {
			c->eof = true;
			*byte_ret = -1;
			return NULL;
		}
		c->rpos = 0;
		c->rlen = (size_t)n;
	}
	*byte_ret = c->rbuf[c->rpos++];
	return NULL;
}

static struct vmc_error *write_all(struct rsp_conn *c, const void *data,
				   size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(c->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			c->eof = true;
			return NULL;
		}
		if (n < 0)
			return vmc_error_errno(errno, "writing to gdb");
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

static void trace(struct rsp_conn *c, const char *dir, const char *data,
		  size_t len)
{
	if (!c->log)
		return;
	fprintf(c->log, "%s %.*s%s\n", dir, (int)(len > 200 ? 200 : len),
		data, len > 200 ? "..." : "");
	fflush(c->log);
}

struct vmc_error *rsp_recv(struct rsp_conn *c, const char **pkt_ret,
			   size_t *len_ret)
{
	for (;;) {
		struct vmc_error *err;
		enum rsp_event ev;
		int byte;

		*pkt_ret = NULL;
		if ((err = next_byte(c, &byte)) || byte < 0)
			return err;
		ev = rsp_parser_byte(&c->parser, (uint8_t)byte);
		if (ev == RSP_PACKET) {
			if (!c->noack && (err = write_all(c, "+", 1)))
				return err;
			*pkt_ret = c->parser.buf;
			*len_ret = c->parser.len;
			trace(c, "<-", *pkt_ret, *len_ret);
			return NULL;
		}
		if (ev == RSP_BAD_CHECKSUM || ev == RSP_TOO_LONG) {
			c->bad_packets++;
			trace(c, "<- (bad)", c->parser.buf, c->parser.len);
			/* Ask for a resend; in no-ack mode just drop it. */
			if (!c->noack && (err = write_all(c, "-", 1)))
				return err;
		}
		/* Acks outside rsp_send, interrupts: nothing is running. */
	}
}

/* '$', '#', '}' and '*' go as '}' and the byte xor 0x20. */
static const bool escaped[256] = {
	['$'] = true, ['#'] = true, ['}'] = true, ['*'] = true,
};

/*
 * Run-length encoding: "c*N" stands for c followed by N-29 more copies.
 * N must be printable and not '#' or '$' (6 or 7 repeats), so at most 97
 * repeats per group and 6 or 7 become 5.  Zero pages (73% of a freshly
 * booted guest's direct map) shrink from 8192 hex digits to 252 bytes,
 * which matters because gdb parses replies one character at a time.
 * Writes into OUT, which has room for the worst case; returns the end.
 */
static uint8_t *emit_run(uint8_t *out, uint8_t ch, size_t run)
{
	while (run > 0) {
		size_t rep = run - 1;

		*out++ = ch;
		run--;
		if (rep > 97)
			rep = 97;
		if (rep == 6 || rep == 7)
			rep = 5;
		if (rep >= 3) {
			*out++ = '*';
			*out++ = (uint8_t)(rep + 29);
			run -= rep;
		}
	}
	return out;
}

/* Escaped and run-length encoded DATA between '$' and '#', in one pass
 * (replies are up to 256 KiB of binary data for gdb 16's 'x'). */
static uint8_t *encode(uint8_t *out, const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		uint8_t ch = *p;
		const uint8_t *q;

		if (escaped[ch]) {
			*out++ = '}';
			*out++ = ch ^ 0x20;
			p++;
			continue;
		}
		/* Most bytes of non-zero data start no run of 4. */
		if (end - p < 4 || p[1] != ch || p[2] != ch || p[3] != ch) {
			*out++ = ch;
			p++;
			continue;
		}
		for (q = p + 4; q < end && *q == ch; q++)
			;
		out = emit_run(out, ch, (size_t)(q - p));
		p = q;
	}
	return out;
}

static void frame_packet(struct strbuf *f, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t *start, *out;
	uint8_t sum = 0;

	strbuf_reset(f);
	/* Worst case: every byte escaped, plus "$" and "#xx". */
	if (!strbuf_reserve(f, 2 * len + 4))
		return;
	start = out = (uint8_t *)f->data;
	*out++ = '$';
	out = encode(out, (const uint8_t *)data, (const uint8_t *)data + len);
	for (const uint8_t *p = start + 1; p < out; p++)
		sum += *p;
	*out++ = '#';
	*out++ = (uint8_t)hex[sum >> 4];
	*out++ = (uint8_t)hex[sum & 15];
	f->len = (size_t)(out - start);
	*out = '\0';
}

/* Wait for '+'; '-' means send again.  Returns resend=true on NAK. */
static struct vmc_error *wait_ack(struct rsp_conn *c, bool *resend)
{
	*resend = false;
	for (;;) {
		struct vmc_error *err;
		int byte;

		if ((err = next_byte(c, &byte)) || byte < 0)
			return err;
		if (byte == '+')
			return NULL;
		if (byte == '-') {
			*resend = true;
			return NULL;
		}
		/* gdb sent a packet without acking ours: treat as an ack
		 * and let rsp_recv() parse what follows. */
		if (byte == '$') {
			c->rpos--;
			return NULL;
		}
	}
}

struct vmc_error *rsp_send(struct rsp_conn *c, const char *data, size_t len)
{
	int tries = 0;

	frame_packet(&c->frame, data, len);
	if (c->frame.oom)
		return &vmc_enomem;
	trace(c, "->", data, len);
	for (;;) {
		struct vmc_error *err = write_all(c, c->frame.data,
						  c->frame.len);
		bool resend;

		if (err || c->noack || c->eof)
			return err;
		if ((err = wait_ack(c, &resend)) || !resend || c->eof)
			return err;
		if (++tries == 10)
			return vmc_error_create(VMC_ERR_INVALID,
				"gdb rejected a reply 10 times: the "
				"connection corrupts data");
	}
}
