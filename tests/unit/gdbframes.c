/* SPDX-License-Identifier: MIT */
/* Reading server output the way gdb does: see gdbframes.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbframes.h"

static void *gf_alloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "gdbframes: out of memory\n");
		abort();
	}
	return p;
}

static int gdb_frame(const char *in, size_t len, size_t *pos, char **pkt,
		     size_t *pkt_len, const char **why)
{
	char *out = gf_alloc((len - *pos) * 50 + 1); /* "c*~": 3 bytes, 98 */
	size_t i = *pos, n = 0;
	unsigned sum = 0, cs;

	for (; i < len && in[i] != '#'; i++) {
		char c = in[i];

		sum += (uint8_t)c;
		if (c == '}' && i + 1 < len) {
			sum += (uint8_t)in[++i];
			out[n++] = (char)(in[i] ^ 0x20);
		} else if (c == '*' && i + 1 < len) {
			int rep = (uint8_t)in[++i] - 29;

			sum += (uint8_t)in[i];
			if (n == 0 || in[i] == '#' || in[i] == '$' ||
			    (uint8_t)in[i] > 126 || rep < 3) {
				*why = "bad run-length count";
				free(out);
				return -1;
			}
			memset(out + n, out[n - 1], (size_t)rep);
			n += (size_t)rep;
		} else if (c == '$') {
			*why = "'$' inside a frame";
			free(out);
			return -1;
		} else {
			out[n++] = c;
		}
	}
	if (i + 2 >= len || sscanf(in + i + 1, "%2x", &cs) != 1) {
		*why = "unterminated frame";
		free(out);
		return -1;
	}
	if (cs != (sum & 0xff)) {
		*why = "bad checksum";
		free(out);
		return -1;
	}
	out[n] = '\0';
	*pkt = out;
	*pkt_len = n;
	*pos = i + 3;
	return 0;
}

int unit_gdb_frames(const char *in, size_t len, char **pkts, size_t *lens,
		    int max, const char **why)
{
	size_t pos = 0;
	int n = 0;

	*why = NULL;
	while (pos < len) {
		char *pkt;
		size_t pkt_len;

		if (in[pos++] != '$')
			continue;
		if (gdb_frame(in, len, &pos, &pkt, &pkt_len, why) < 0) {
			for (int i = 0; i < n; i++)
				free(pkts[i]);
			return -1;
		}
		if (n < max) {
			pkts[n] = pkt;
			lens[n] = pkt_len;
			n++;
		} else {
			free(pkt);
		}
	}
	return n;
}
