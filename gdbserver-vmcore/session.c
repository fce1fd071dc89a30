/* SPDX-License-Identifier: MIT */
/* Server lifecycle and the packet loop. */
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "libraries.h"
#include "server.h"

struct vmc_error *server_create(struct vmcore *vc,
				const struct server_opts *opts,
				struct server **ret)
{
	struct server *s = calloc(1, sizeof(*s));
	struct vmc_error *err;

	if (!s)
		return &vmc_enomem;
	s->vc = vc;
	s->arch = vmcore_arch(vc);
	s->opts = *opts;
	s->kaslr = vmcore_kaslr_offset(vc);
	s->c_thread = -1;
	strbuf_init(&s->reply);
	strbuf_init(&s->threads_xml);
	strbuf_init(&s->thread_warnings);
	s->membuf = malloc(RSP_MAX_PACKET / 2);
	if (!s->membuf) {
		err = &vmc_enomem;
		goto fail;
	}
	/* Without the link address there is no TextSeg to send: gdb then
	 * uses vmlinux as linked, as when KASLR is off.  VMC_ERR_NOT_FOUND:
	 * the dump does not say it. */
	if (!s->arch->kernel_link_base)
		s->kaslr = 0;
	else if ((err = s->arch->kernel_link_base(vc, &s->kernel_link_base))) {
		if (err->code != VMC_ERR_NOT_FOUND)
			goto fail;
		vmc_error_destroy(err);
		err = NULL;
		s->kaslr = 0;
	}
	if (opts->strip_pac && !s->arch->strip_pac) {
		err = vmc_error_create(VMC_ERR_INVALID, "--strip-pac: %s has "
				       "no pointer authentication",
				       s->arch->name);
		goto fail;
	}
	/* Stripped return addresses must not be unmasked again. */
	s->dump_regs = opts->strip_pac ? NULL : vc;
	if ((err = threads_init(s)) ||
	    (err = arch_target_xml_for(s->arch, s->dump_regs, s->task_threads,
				       &s->target_xml, &s->target_xml_len)))
		goto fail;
	*ret = s;
	return NULL;
fail:
	server_destroy(s);
	return err;
}

const char *server_offsets_warning(const struct server *s)
{
	if (!s->arch->kernel_link_base || vmcore_kaslr_known(s->vc))
		return NULL;
	return "the dump's VMCOREINFO has no KERNELOFFSET (32-bit kernels "
	       "write none), so the KASLR offset is unknown and gdb gets no "
	       "qOffsets: symbols are right only if KASLR was off; pass "
	       "--vmlinux VMLINUX to compute the offset from SYMBOL(_stext)";
}

void server_destroy(struct server *s)
{
	if (!s)
		return;
	libraries_destroy(s);
	threads_deinit(s);
	strbuf_deinit(&s->thread_warnings);
	free(s->target_xml);
	free(s->membuf);
	strbuf_deinit(&s->threads_xml);
	strbuf_deinit(&s->reply);
	free(s);
}

void server_console(struct server *s, const char *text, size_t len)
{
	/* O packets carry hex; keep each well under the packet size. */
	const size_t chunk = 4096;
	struct strbuf pkt;

	if (!s->conn)
		return;
	strbuf_init(&pkt);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		strbuf_reset(&pkt);
		strbuf_add(&pkt, "O", 1);
		strbuf_add_hex(&pkt, text + off, n);
		if (pkt.oom)
			break;
		vmc_error_destroy(rsp_send(s->conn, pkt.data, pkt.len));
		if (s->conn->eof)
			break;
	}
	strbuf_deinit(&pkt);
}

struct vmc_error *server_run(struct server *s, int in_fd, int out_fd,
			     FILE *log)
{
	struct vmc_error *err = rsp_conn_create(in_fd, out_fd, log, &s->conn);

	if (err)
		return err;
	s->done = false;
	s->client_lldb = false;
	s->g_thread = s->panic_thread;
	s->c_thread = -1;
	while (!s->done) {
		const char *pkt;
		size_t len;

		if ((err = rsp_recv(s->conn, &pkt, &len)) || !pkt)
			break;
		if (!server_handle(s, pkt, len))
			continue;
		if ((err = rsp_send(s->conn, s->reply.data ? s->reply.data : "",
				    s->reply.len)) || s->conn->eof)
			break;
	}
	rsp_conn_destroy(s->conn);
	s->conn = NULL;
	return err;
}
