/* SPDX-License-Identifier: MIT */
/*
 * GDB Remote Serial Protocol framing: $data#cs packets, +/- acks, the
 * 0x03 interrupt byte, '}' escapes; QStartNoAckMode.
 *
 * Limits: an incoming packet holds at most RSP_MAX_PACKET bytes of
 * (unescaped) data; longer ones are consumed and reported as
 * RSP_TOO_LONG.  We advertise PacketSize=RSP_MAX_PACKET, so gdb sizes
 * memory reads to fit replies of that size.
 */
#ifndef VMC_RSP_H
#define VMC_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../libvmcore/error.h"
#include "../libkernel/strbuf.h"

#define RSP_MAX_PACKET (256 * 1024)

enum rsp_event {
	RSP_NONE,		/* need more bytes */
	RSP_PACKET,		/* a packet with a good checksum */
	RSP_BAD_CHECKSUM,
	RSP_TOO_LONG,
	RSP_ACK,
	RSP_NAK,
	RSP_INTERRUPT,
};

/* Byte-at-a-time parser: no I/O, so it can be unit-tested and fuzzed. */
struct rsp_parser {
	enum { RSP_IDLE, RSP_DATA, RSP_ESCAPE, RSP_CSUM1, RSP_CSUM2 } state;
	uint8_t sum;
	uint8_t csum;
	bool overflow;
	bool bad_csum_digit;
	size_t len;
	char buf[RSP_MAX_PACKET + 1];	/* NUL-terminated data */
};

void rsp_parser_init(struct rsp_parser *p);
enum rsp_event rsp_parser_byte(struct rsp_parser *p, uint8_t c);

struct rsp_conn {
	int in_fd, out_fd;
	bool noack;
	bool eof;
	FILE *log;		/* --debug: packets are traced here */
	size_t rpos, rlen;
	uint8_t rbuf[64 * 1024];
	struct strbuf frame;
	struct rsp_parser parser;
	unsigned long bad_packets;
};

/* Allocated: the parser buffer is too big for the stack. */
struct vmc_error *rsp_conn_create(int in_fd, int out_fd, FILE *log,
				  struct rsp_conn **ret);
void rsp_conn_destroy(struct rsp_conn *c);

/*
 * Wait for the next packet; acks it (unless no-ack mode) and NAKs bad
 * ones.  Returns NULL with the packet in *pkt_ret and *len_ret, or NULL with
 * *pkt_ret == NULL at end of input, or an I/O error.
 */
struct vmc_error *rsp_recv(struct rsp_conn *c, const char **pkt_ret,
			   size_t *len_ret);
/* Send one packet (escaped, checksummed); waits for the ack. */
struct vmc_error *rsp_send(struct rsp_conn *c, const char *data, size_t len);

#endif
