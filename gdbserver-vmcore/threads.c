/* SPDX-License-Identifier: MIT */
/*
 * One thread per CPU, in NT_PRSTATUS order (the kernel writes the notes
 * for_each_present_cpu), and which one panicked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../arch/arch.h"
#include "server.h"

/*
 * The panicking CPU saved its registers from the panic path and the
 * others from the NMI that stopped them, so nothing in the notes names
 * it for sure.  What does: the crashing task has a pid (idle CPUs are
 * pid 0), and panic() disables interrupts before crash_kexec(), so
 * prefer a CPU with a task and IF clear, then any CPU with a task.
 */
static size_t guess_panic_cpu(struct server *s)
{
	size_t with_task = SIZE_MAX;

	for (size_t i = 0; i < s->nthreads; i++) {
		const struct vmc_cpu *cpu = vmcore_cpu(s->vc, i);

		if (cpu->pid == 0)
			continue;
		if (with_task == SIZE_MAX)
			with_task = i;
		if (s->arch->irqs_disabled &&
		    s->arch->irqs_disabled(cpu->prstatus, cpu->prstatus_size))
			return i;
	}
	return with_task == SIZE_MAX ? 0 : with_task;
}

struct vmc_error *threads_init(struct server *s)
{
	size_t n = vmcore_num_cpus(s->vc);

	if (n == 0)
		return vmc_error_create(VMC_ERR_FORMAT,
			"%s has no NT_PRSTATUS note: there is no CPU to "
			"show", vmcore_path(s->vc));
	s->threads = calloc(n, sizeof(*s->threads));
	if (!s->threads)
		return &vmc_enomem;
	s->nthreads = n;
	s->panic_thread = guess_panic_cpu(s);
	for (size_t i = 0; i < n; i++) {
		const struct vmc_cpu *cpu = vmcore_cpu(s->vc, i);
		struct server_thread *t = &s->threads[i];

		t->cpu = (unsigned)i;
		snprintf(t->name, sizeof(t->name), "CPU %zu", i);
		snprintf(t->extra, sizeof(t->extra), "CPU %zu, %s%d%s", i,
			 cpu->pid ? "pid " : "idle, pid ", cpu->pid,
			 i == s->panic_thread ? ", panic" : "");
	}
	return NULL;
}

static void xml_escaped(struct strbuf *out, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '<': strbuf_adds(out, "&lt;"); break;
		case '>': strbuf_adds(out, "&gt;"); break;
		case '&': strbuf_adds(out, "&amp;"); break;
		case '"': strbuf_adds(out, "&quot;"); break;
		default: strbuf_add(out, text, 1);
		}
	}
}

void threads_xml(struct server *s, struct strbuf *out)
{
	strbuf_adds(out, "<?xml version=\"1.0\"?>\n<threads>\n");
	for (size_t i = 0; i < s->nthreads; i++) {
		const struct server_thread *t = &s->threads[i];

		strbuf_addf(out, "  <thread id=\"%zx\" core=\"%u\" name=\"",
			    i + 1, t->cpu);
		xml_escaped(out, t->name);
		strbuf_adds(out, "\">");
		xml_escaped(out, t->extra);
		strbuf_adds(out, "</thread>\n");
	}
	strbuf_adds(out, "</threads>\n");
}
