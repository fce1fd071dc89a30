/* SPDX-License-Identifier: MIT */
/*
 * Packet handlers and their dispatch table (after QEMU's gdbstub
 * commands table, with the state passed in instead of a global).  A dump
 * is a stopped, read-only target: resume requests answer with a stop,
 * writes answer with an error, breakpoints are accepted and never hit,
 * unknown packets get the empty reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "libraries.h"
#include "server.h"

/* Error replies (errno values, as gdbserver sends them). */
#define E_FAULT "E0e"	/* EFAULT: memory not readable */
#define E_INVAL "E16"	/* EINVAL: malformed packet */
#define E_SRCH "E03"	/* ESRCH: no such thread */
#define E_ROFS "E1e"	/* EROFS: a dump is read-only */

typedef void handler_fn(struct server *s, const char *args, size_t len);

struct packet_handler {
	const char *name;
	bool prefix;	/* NAME starts the packet; else the whole packet */
	handler_fn *fn;
};

static void reply(struct server *s, const char *text)
{
	strbuf_adds(&s->reply, text);
}

/* ---- threads and stop replies ---------------------------------------- */

/* Thread ids are CPU indexes + 1, or task ids (tasks.h); 0 = any,
 * -1 = all. */
static bool parse_thread(struct server *s, const char *p, const char *end,
			 long *idx_ret)
{
	uint64_t tid;

	if (end - p == 2 && p[0] == '-' && p[1] == '1') {
		*idx_ret = -1;
		return true;
	}
	if (!parse_hex_u64(&p, end, &tid) || p != end)
		return false;
	if (tid == 0) {
		*idx_ret = -1;
		return true;
	}
	*idx_ret = threads_index(s, tid);
	return *idx_ret >= 0;
}

static void stop_reply(struct server *s, unsigned signo, size_t thread)
{
	strbuf_addf(&s->reply, "T%02xthread:%" PRIx64 ";core:%x;", signo,
		    s->threads[thread].tid, s->threads[thread].cpu);
}

static void h_stop_reason(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	s->g_thread = s->panic_thread;
	stop_reply(s, 5, s->panic_thread);
}

static void h_set_thread(struct server *s, const char *args, size_t len)
{
	long idx;

	if (len < 1 || !parse_thread(s, args + 1, args + len, &idx)) {
		reply(s, E_SRCH);
		return;
	}
	if (args[0] == 'g' && idx >= 0)
		s->g_thread = (size_t)idx;
	else if (args[0] == 'c')
		s->c_thread = idx;
	reply(s, "OK");
}

static void h_thread_alive(struct server *s, const char *args, size_t len)
{
	long idx;

	reply(s, parse_thread(s, args, args + len, &idx) && idx >= 0 ?
		 "OK" : E_SRCH);
}

static void h_current_thread(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	strbuf_addf(&s->reply, "QC%" PRIx64, s->threads[s->g_thread].tid);
}

static void h_thread_info_first(struct server *s, const char *args,
				size_t len)
{
	(void)args, (void)len;
	strbuf_adds(&s->reply, "m");
	for (size_t i = 0; i < s->nthreads; i++)
		strbuf_addf(&s->reply, "%s%" PRIx64, i ? "," : "",
			    s->threads[s->order[i]].tid);
}

static void h_thread_info_next(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "l");
}

static void h_thread_extra(struct server *s, const char *args, size_t len)
{
	long idx;

	if (!parse_thread(s, args, args + len, &idx) || idx < 0) {
		reply(s, E_SRCH);
		return;
	}
	strbuf_add_hex(&s->reply, s->threads[idx].extra,
		       strlen(s->threads[idx].extra));
}

/* ---- registers --------------------------------------------------------- */

static void add_register(struct server *s, size_t thread, size_t reg)
{
	const struct server_thread *t = &s->threads[thread];
	size_t bytes = s->arch->regs[reg].bitsize / 8;
	const uint8_t *pr;
	size_t pr_size;
	uint8_t val[64];

	if (s->arch->regs[reg].prstatus_offset == ARCH_REG_TASK &&
	    s->task_threads && bytes <= 8) {
		uint64_t v = s->tasks.v[thread].addr;

		/* threads[i] is tasks.v[i] (threads.c task_threads()). */
		for (size_t i = 0; i < bytes; i++, v >>= 8)
			val[s->arch->big_endian ? bytes - 1 - i : i] = (uint8_t)v;
		strbuf_add_hex(&s->reply, val, bytes);
		return;
	}
	if (t->regs) {
		/* A sleeping task: what switch_to() saved. */
		pr = t->known && t->known[reg] ? t->regs : NULL;
		pr_size = s->arch->prstatus.size;
	} else {
		pr = vmcore_cpu(s->vc, t->cpu)->prstatus;
		pr_size = vmcore_cpu(s->vc, t->cpu)->prstatus_size;
	}
	/* The dump's own registers (the aarch64 pauth masks) are every
	 * thread's, a sleeping task's too. */
	if ((pr || s->arch->regs[reg].prstatus_offset == ARCH_REG_DUMP) &&
	    arch_reg_value(s->arch, s->dump_regs, reg, pr, pr_size, val)) {
		/* As memory reads: a return address still in the link
		 * register (aarch64 x30 after paciasp) is signed too. */
		if (s->opts.strip_pac && bytes == s->arch->word_size)
			s->arch->strip_pac(s->vc, 0, val, bytes);
		strbuf_add_hex(&s->reply, val, bytes);
		return;
	}
	/* "xx" marks an unavailable register. */
	for (size_t i = 0; i < bytes; i++)
		strbuf_add(&s->reply, "xx", 2);
}

static void h_read_registers(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	/* In regnum order, without those target.xml leaves out. */
	for (size_t i = 0; i < s->arch->nregs; i++) {
		if (arch_reg_present(s->arch, s->dump_regs, s->task_threads, i))
			add_register(s, s->g_thread, i);
	}
}

static void h_read_register(struct server *s, const char *args, size_t len)
{
	const char *p = args;
	uint64_t reg;

	if (!parse_hex_u64(&p, args + len, &reg) || p != args + len) {
		reply(s, E_INVAL);
		return;
	}
	if (reg >= s->arch->nregs ||
	    !arch_reg_present(s->arch, s->dump_regs, s->task_threads,
			      (size_t)reg)) {
		reply(s, E_INVAL);
		return;
	}
	add_register(s, s->g_thread, (size_t)reg);
}

/* ---- memory ------------------------------------------------------------ */

/*
 * Where __per_cpu_offset is in the dump: from our own vmlinux when we
 * have one, else as gdb says.  gdb 13 answers qSymbol with the link
 * address after "add-symbol-file vmlinux -o OFFSET -s .data..percpu 0"
 * (the way to keep the per-CPU section at 0 for Linux's scripts/gdb,
 * gdbserver-vmcore(1) PER-CPU VARIABLES) although it prints the symbol
 * relocated.
 */
static uint64_t pcpu_offset_array(const struct server *s)
{
	const struct vmlinux_info *vi = s->opts.vmlinux_info;

	if (vi && vi->have_sym[VSYM_PER_CPU_OFFSET])
		return vi->sym[VSYM_PER_CPU_OFFSET] + vmcore_kaslr_offset(s->vc);
	return s->sym_value[SYM_PER_CPU_OFFSET];
}

static struct vmc_error *read_pcpu_offset(struct server *s, unsigned cpu,
					  uint64_t *ret)
{
	uint64_t addr = pcpu_offset_array(s) +
			(uint64_t)cpu * s->arch->word_size;
	uint8_t raw[8] = { 0 };
	struct vmc_error *err = vmcore_read_virt(s->vc, addr, raw,
						 s->arch->word_size, NULL);

	if (err)
		return err;
	*ret = 0;
	for (unsigned i = 0; i < s->arch->word_size; i++) {
		unsigned b = s->arch->big_endian ? i : s->arch->word_size - 1 - i;

		*ret = *ret << 8 | raw[b];
	}
	return NULL;
}

/*
 * gdb relocates the whole vmlinux by the KASLR offset (qOffsets cannot
 * exempt one segment), so x86_64's per-CPU variables, linked at 0, appear
 * at [pcpu_start, pcpu_end) = KASLR offset + link address.  Those are
 * user-space addresses that mean nothing in a kernel dump; we serve them
 * from the per-CPU area of the selected thread's CPU, which is what
 * this_cpu_read() would return on that CPU.
 */
static struct vmc_error *read_pcpu_window(struct server *s, uint64_t addr,
					  uint8_t *buf, size_t len,
					  size_t *done_ret)
{
	uint64_t base;
	struct vmc_error *err;

	err = read_pcpu_offset(s, s->threads[s->g_thread].cpu, &base);
	if (err) {
		*done_ret = 0;
		return err;
	}
	return vmcore_read_virt(s->vc, base + (addr - s->pcpu_start), buf,
				len, done_ret);
}

/* A user address: through the selected thread's page tables only. */
static struct vmc_error *read_user(struct server *s, uint64_t addr,
				   uint8_t *buf, size_t len, size_t *done_ret)
{
	struct vmc_pgt pgt;
	struct vmc_error *err = threads_user_pgt(s, s->g_thread, &pgt);

	if (err) {
		*done_ret = 0;
		return err;
	}
	return usermem_read(s->vc, &pgt, addr, buf, len, done_ret);
}

struct vmc_error *server_read_memory(struct server *s, uint64_t addr,
				     uint8_t *buf, size_t len,
				     size_t *done_ret)
{
	if (s->pcpu_window && addr >= s->pcpu_start && addr < s->pcpu_end) {
		if (len > s->pcpu_end - addr)
			len = (size_t)(s->pcpu_end - addr);
		return read_pcpu_window(s, addr, buf, len, done_ret);
	}
	if (usermem_is_user(s->vc, addr))
		return read_user(s, addr, buf, len, done_ret);
	return vmcore_read_virt(s->vc, addr, buf, len, done_ret);
}

static bool parse_addr_len(const char *p, const char *end, uint64_t *addr,
			   uint64_t *len)
{
	if (!parse_hex_u64(&p, end, addr) || p == end || *p++ != ',')
		return false;
	return parse_hex_u64(&p, end, len) && p == end;
}

/*
 * Read up to N bytes at ADDR into BUF, capped to MAX; the bytes read, or
 * 0 with an error reply made when not even the first byte is readable (a
 * short read is fine as long as the first byte was).
 */
static size_t read_for_reply(struct server *s, const char *args, size_t len,
			     uint64_t max, uint8_t *buf)
{
	uint64_t addr, n;
	size_t done = 0;
	struct vmc_error *err;

	if (!parse_addr_len(args, args + len, &addr, &n)) {
		reply(s, E_INVAL);
		return 0;
	}
	if (n > max)
		n = max;
	if (n > UINT64_MAX - addr)
		n = UINT64_MAX - addr + 1;
	err = server_read_memory(s, addr, buf, (size_t)n, &done);
	vmc_error_destroy(err);
	if (s->opts.strip_pac && done)
		s->arch->strip_pac(s->vc, addr, buf, done);
	if (done == 0 && n > 0)
		reply(s, E_FAULT);
	return done;
}

/* mADDR,LENGTH: the bytes as hex, two digits each. */
static void h_read_memory(struct server *s, const char *args, size_t len)
{
	size_t done = read_for_reply(s, args, len, (RSP_MAX_PACKET - 1) / 2,
				     s->membuf);

	strbuf_add_hex(&s->reply, s->membuf, done);
}

/*
 * xADDR,LENGTH (gdb 16 and later, after binary-upload+ in our
 * qSupported): 'b' and the bytes as they are, read straight into the
 * reply.  rsp_send() escapes '$', '#', '}' and '*' as the protocol's
 * binary data requires.  An empty read of LENGTH 0 is "b"; an unreadable
 * first byte is an error, as for 'm'.  Up to RSP_MAX_PACKET - 1 bytes
 * (the reply, unescaped, fits a packet).
 */
static void h_read_memory_binary(struct server *s, const char *args,
				 size_t len)
{
	size_t done;

	if (!strbuf_reserve(&s->reply, RSP_MAX_PACKET))
		return;		/* out of memory: server_handle() says so */
	done = read_for_reply(s, args, len, RSP_MAX_PACKET - 1,
			      (uint8_t *)s->reply.data + 1);
	if (s->reply.len)
		return;		/* the error */
	s->reply.data[0] = 'b';
	s->reply.len = 1 + done;
	s->reply.data[s->reply.len] = '\0';
}

static void h_read_only(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, E_ROFS);
}

/*
 * Z and z (TYPE,ADDR,KIND[;conditions]): a breakpoint or watchpoint in a
 * dump can never be hit, and inserting one writes nothing, so accept
 * it.  Front ends (IDEs) insert the user's breakpoints before every
 * resume; refusing them aborted the resume after gdb had already told
 * them the target was running.
 */
static void h_breakpoint(struct server *s, const char *args, size_t len)
{
	const char *p = args, *end = memchr(args, ';', len);
	uint64_t type, addr, kind;

	if (!end)
		end = args + len;
	if (!parse_hex_u64(&p, end, &type) || type > 4 || p == end ||
	    *p++ != ',' || !parse_addr_len(p, end, &addr, &kind)) {
		reply(s, E_INVAL);
		return;
	}
	reply(s, "OK");
}

/* ---- resume, detach, kill --------------------------------------------- */

static const char resume_msg[] = "gdbserver-vmcore: this target is a "
	"crash dump; it cannot run or step, it stays stopped.\n";

/*
 * Stop again at once, where we were, in THREAD (an index).  SIGINT, as
 * if interrupted: gdb stops instead of stepping again and again over a
 * pc that never moves (a SIGTRAP would do that), does not pass it on at
 * the next resume, and MI front ends take it as a pause (VS Code's
 * MIEngine reports any other signal, 0 included, as an exception).
 */
static void stay_stopped(struct server *s, size_t thread)
{
	server_console(s, resume_msg, sizeof(resume_msg) - 1);
	s->g_thread = thread;
	stop_reply(s, 2, thread);
}

/* The thread set with Hc, else the panicking one. */
static size_t resume_thread(const struct server *s)
{
	return s->c_thread >= 0 ? (size_t)s->c_thread : s->panic_thread;
}

/* c, C, s, S */
static void h_resume(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	stay_stopped(s, resume_thread(s));
}

/*
 * vCont;ACTION[:TID]...: the first thread a step names (gdb's
 * "vCont;s:2;c" steps 2), else the first one any action names, else
 * resume_thread().  Actions are c, s, t (no signal), C and S (a signal)
 * and r (step in a range).
 */
static void h_vcont(struct server *s, const char *args, size_t len)
{
	const char *p = args, *end = args + len;
	long stop = -1, step = -1;

	while (p < end) {
		const char *act_end = memchr(p, ';', (size_t)(end - p));
		const char *colon, *q;
		uint64_t v;
		long idx;

		if (!act_end)
			act_end = end;
		colon = memchr(p, ':', (size_t)(act_end - p));
		q = p + 1;
		switch (*p) {
		case 'c': case 's': case 't':
			break;
		case 'C': case 'S':
			if (!parse_hex_u64(&q, colon ? colon : act_end, &v))
				goto bad;
			break;
		case 'r':
			if (!parse_hex_u64(&q, act_end, &v) || q == act_end ||
			    *q++ != ',' || !parse_hex_u64(&q, act_end, &v))
				goto bad;
			break;
		default:
			goto bad;
		}
		if (q != (colon ? colon : act_end))
			goto bad;
		if (colon) {
			if (!parse_thread(s, colon + 1, act_end, &idx))
				goto bad;
			if (stop < 0)
				stop = idx;
			if (step < 0 && strchr("sSr", *p))
				step = idx;
		}
		p = act_end + 1;
	}
	if (len == 0 || args[len - 1] == ';')
		goto bad;
	if (step >= 0)
		stop = step;
	stay_stopped(s, stop >= 0 ? (size_t)stop : resume_thread(s));
	return;
bad:
	reply(s, E_INVAL);
}

static void h_vcont_query(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "vCont;c;C;s;S");
}

static void h_detach(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "OK");
	s->done = true;
}

static void h_kill(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	s->done = true;
}

static void h_vkill(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "OK");
	s->done = true;
}

/* ---- queries ----------------------------------------------------------- */

static void h_supported(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	strbuf_addf(&s->reply, "PacketSize=%x;QStartNoAckMode+;"
		    "qXfer:features:read+;qXfer:threads:read+;vContSupported+;"
		    "qXfer:libraries-svr4:read+;"
		    "binary-upload+",
		    RSP_MAX_PACKET);
}

static void h_noack(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "OK");
	/* From now on neither side acks; gdb's '+' for this reply is
	 * ignored like any stray ack. */
	if (s->conn)
		s->conn->noack = true;
}

static void h_attached(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	reply(s, "1");
}

static void h_offsets(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	if (!s->kaslr)
		return;
	/*
	 * lldb (14 to at least 19) takes every qOffsets value as a slide,
	 * TextSeg's address too, and applies equal Text and Data offsets
	 * to the whole module: give it the offset itself.
	 */
	if (s->client_lldb) {
		strbuf_addf(&s->reply, "Text=%" PRIx64 ";Data=%" PRIx64,
			    s->kaslr, s->kaslr);
		return;
	}
	/*
	 * TextSeg relocates every vmlinux segment by (TextSeg - first
	 * segment's link address); gdb's "Text=;Data=" would move only
	 * .text, .data and .bss and leave .rodata and .init.* at link
	 * addresses.
	 */
	strbuf_addf(&s->reply, "TextSeg=%" PRIx64,
		    s->kernel_link_base + s->kaslr);
}

/* ---- lldb's queries ----------------------------------------------------- */

/* What lldb needs to pick its plugins: "x86_64-unknown-linux-gnu" etc. */
static void add_target_info(struct server *s)
{
	char triple[64];

	snprintf(triple, sizeof(triple), "%s-unknown-linux-gnu",
		 s->arch->name);
	strbuf_adds(&s->reply, "triple:");
	strbuf_add_hex(&s->reply, triple, strlen(triple));
	strbuf_addf(&s->reply, ";ptrsize:%u;endian:%s;ostype:linux;"
		    "vendor:unknown;", s->arch->word_size,
		    s->arch->big_endian ? "big" : "little");
}

/* Only lldb sends qHostInfo (before qOffsets): remember who asks. */
static void h_host_info(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	s->client_lldb = true;
	add_target_info(s);
	strbuf_adds(&s->reply, "hostname:");
	strbuf_add_hex(&s->reply, "crash-dump", 10);
	strbuf_adds(&s->reply, ";");
}

/* The dump as one process; pid 1 (the kernel's pids are per thread). */
static void h_process_info(struct server *s, const char *args, size_t len)
{
	(void)args, (void)len;
	strbuf_adds(&s->reply, "pid:1;parent-pid:0;");
	add_target_info(s);
}

/* qThreadStopInfoTID: the panicking thread stopped with SIGTRAP, as
 * '?' says; the others just stopped (signal 0). */
static void h_thread_stop_info(struct server *s, const char *args,
			       size_t len)
{
	long idx;

	if (!parse_thread(s, args, args + len, &idx) || idx < 0) {
		reply(s, E_SRCH);
		return;
	}
	stop_reply(s, (size_t)idx == s->panic_thread ? 5 : 0, (size_t)idx);
}

static void h_empty(struct server *s, const char *args, size_t len)
{
	(void)s, (void)args, (void)len;
}

/* qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH over a buffer. */
void server_xfer_reply(struct server *s, const char *data, size_t size,
		       const char *range, const char *end)
{
	uint64_t off, n;

	if (!parse_addr_len(range, end, &off, &n)) {
		reply(s, E_INVAL);
		return;
	}
	if (off >= size) {
		reply(s, "l");
		return;
	}
	if (n > RSP_MAX_PACKET / 2)
		n = RSP_MAX_PACKET / 2;
	if (n > size - off)
		n = size - off;
	strbuf_add(&s->reply, off + n < size ? "m" : "l", 1);
	strbuf_add(&s->reply, data + off, (size_t)n);
}

static void h_xfer_features(struct server *s, const char *args, size_t len)
{
	static const char annex[] = "target.xml:";
	size_t alen = sizeof(annex) - 1;

	if (len < alen || memcmp(args, annex, alen) != 0) {
		reply(s, "E00");
		return;
	}
	server_xfer_reply(s, s->target_xml, s->target_xml_len, args + alen,
		   args + len);
}

static void h_xfer_threads(struct server *s, const char *args, size_t len)
{
	if (len < 1 || args[0] != ':') {
		reply(s, "E00");
		return;
	}
	if (s->threads_xml.len == 0)
		threads_xml(s, &s->threads_xml);
	server_xfer_reply(s, s->threads_xml.data, s->threads_xml.len, args + 1,
		   args + len);
}

static void h_rcmd(struct server *s, const char *args, size_t len)
{
	char cmd[1024];
	long n = hex_decode(args, len, (uint8_t *)cmd, sizeof(cmd) - 1);

	if (n < 0) {
		reply(s, E_INVAL);
		return;
	}
	cmd[n] = '\0';
	monitor_command(s, cmd);
}

/* ---- qSymbol: learn gdb's (relocated) addresses of a few symbols ------ */

static const char *const sym_names[SYM_COUNT] = {
	[SYM_PER_CPU_START] = "__per_cpu_start",
	[SYM_PER_CPU_END] = "__per_cpu_end",
	[SYM_PER_CPU_OFFSET] = "__per_cpu_offset",
};

static void update_pcpu_window(struct server *s)
{
	s->pcpu_window = s->arch->percpu_zero_based &&
		s->sym_known[SYM_PER_CPU_START] &&
		s->sym_known[SYM_PER_CPU_END] &&
		s->sym_known[SYM_PER_CPU_OFFSET] &&
		s->sym_value[SYM_PER_CPU_END] > s->sym_value[SYM_PER_CPU_START];
	s->pcpu_start = s->sym_value[SYM_PER_CPU_START];
	s->pcpu_end = s->sym_value[SYM_PER_CPU_END];
}

/* "qSymbol:VALUE:HEXNAME" (VALUE empty when gdb does not know it). */
static void record_symbol(struct server *s, const char *p, const char *end)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	char name[128];
	uint64_t value;
	long n;

	if (!colon)
		return;
	n = hex_decode(colon + 1, (size_t)(end - colon - 1), (uint8_t *)name,
		       sizeof(name) - 1);
	if (n < 0)
		return;
	name[n] = '\0';
	for (unsigned i = 0; i < SYM_COUNT; i++) {
		const char *q = p;

		if (strcmp(name, sym_names[i]) != 0)
			continue;
		s->sym_known[i] = colon > p && parse_hex_u64(&q, colon, &value)
				  && q == colon;
		s->sym_value[i] = s->sym_known[i] ? value : 0;
	}
}

static void h_symbol(struct server *s, const char *args, size_t len)
{
	/* "qSymbol::" starts the exchange; anything else answers us. */
	if (len == 1 && args[0] == ':')
		s->next_sym = 0;
	else
		record_symbol(s, args, args + len);
	if (s->next_sym < SYM_COUNT) {
		const char *name = sym_names[s->next_sym++];

		strbuf_adds(&s->reply, "qSymbol:");
		strbuf_add_hex(&s->reply, name, strlen(name));
		return;
	}
	update_pcpu_window(s);
	reply(s, "OK");
}

/* ---- dispatch ---------------------------------------------------------- */

/* First match wins: longer names before their prefixes. */
static const struct packet_handler handlers[] = {
	{ "qSupported", true, h_supported },
	{ "QStartNoAckMode", false, h_noack },
	{ "qXfer:features:read:", true, h_xfer_features },
	{ "qXfer:threads:read:", true, h_xfer_threads },
	{ "qXfer:libraries-svr4:read:", true, libraries_xfer },
	{ "vFile:", true, libraries_vfile },
	{ "qOffsets", false, h_offsets },
	{ "qAttached", true, h_attached },
	{ "qSymbol:", true, h_symbol },
	{ "qC", false, h_current_thread },
	{ "qfThreadInfo", false, h_thread_info_first },
	{ "qsThreadInfo", false, h_thread_info_next },
	{ "qThreadExtraInfo,", true, h_thread_extra },
	{ "qRcmd,", true, h_rcmd },
	{ "qHostInfo", false, h_host_info },
	{ "qProcessInfo", false, h_process_info },
	{ "qThreadStopInfo", true, h_thread_stop_info },
	{ "vMustReplyEmpty", false, h_empty },
	{ "vCont?", false, h_vcont_query },
	{ "vCont;", true, h_vcont },
	{ "vKill", true, h_vkill },
	{ "?", false, h_stop_reason },
	{ "g", false, h_read_registers },
	{ "p", true, h_read_register },
	{ "m", true, h_read_memory },
	{ "x", true, h_read_memory_binary },
	{ "H", true, h_set_thread },
	{ "T", true, h_thread_alive },
	{ "c", true, h_resume },
	{ "C", true, h_resume },
	{ "s", true, h_resume },
	{ "S", true, h_resume },
	{ "G", true, h_read_only },
	{ "P", true, h_read_only },
	{ "M", true, h_read_only },
	{ "X", true, h_read_only },
	{ "Z", true, h_breakpoint },
	{ "z", true, h_breakpoint },
	{ "D", true, h_detach },
	{ "k", false, h_kill },
};

static const struct packet_handler *find_handler(const char *pkt, size_t len)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		const struct packet_handler *h = &handlers[i];
		size_t n = strlen(h->name);

		if (h->prefix ? len >= n && memcmp(pkt, h->name, n) == 0
			      : len == n && memcmp(pkt, h->name, n) == 0)
			return h;
	}
	return NULL;
}

bool server_handle(struct server *s, const char *pkt, size_t len)
{
	const struct packet_handler *h = find_handler(pkt, len);
	size_t n;

	strbuf_reset(&s->reply);
	if (!h)
		return true;	/* the empty reply: not supported */
	n = strlen(h->name);
	h->fn(s, pkt + n, len - n);
	if (s->reply.oom) {
		strbuf_reset(&s->reply);
		reply(s, "E0c");	/* ENOMEM */
	}
	/* 'k' is the one packet gdb expects no reply to. */
	return h->fn != h_kill;
}
