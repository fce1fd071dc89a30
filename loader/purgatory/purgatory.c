/* SPDX-License-Identifier: MIT */
/*
 * The purgatory's C part (see purgatory.h): runs with interrupts off, on
 * its own stack, with memory identity-mapped (x86_64) or paging off
 * (i386), nothing else.  No C library; the few functions the compiler may
 * call are here.
 */
#include <stddef.h>
#include <stdint.h>

#include "../sha256.h"
#include "purgatory.h"

_Static_assert(offsetof(struct purgatory_params, boot_params) ==
	       PP_BOOT_PARAMS, "layout");
_Static_assert(offsetof(struct purgatory_params, nregions) == PP_NREGIONS,
	       "layout");
_Static_assert(offsetof(struct purgatory_params, regions) == PP_REGIONS,
	       "layout");
_Static_assert(offsetof(struct purgatory_params, digest) == PP_DIGEST,
	       "layout");
_Static_assert(sizeof(struct purgatory_params) == PP_SIZE, "layout");

/* Hidden: reached PC-relatively, never through an absolute GOT entry. */
extern struct purgatory_params purgatory_params
	__attribute__((visibility("hidden")));
int purgatory_main(void);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

/* The first serial port (0x3f8, as the BIOS left it), for the one
 * message the purgatory ever prints: why it did not start the kernel. */
static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_putc(char c)
{
	for (unsigned spin = 0; spin < 100000; spin++)
		if (inb(0x3f8 + 5) & 0x20)
			break;
	outb(0x3f8, (uint8_t)c);
}

static void serial_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s++);
	}
}

static void serial_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	serial_puts("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		serial_putc(digits[(v >> shift) & 15]);
}

/* 0 when every region hashes to the stored digest; else says so on the
 * serial port and returns nonzero (the entry code then halts). */
int purgatory_main(void)
{
	const struct purgatory_params *p = &purgatory_params;
	struct sha256 s;
	uint8_t got[SHA256_DIGEST_SIZE];
	uint64_t n = p->nregions;

	sha256_init(&s);
	if (n > PURGATORY_MAX_REGIONS)
		n = PURGATORY_MAX_REGIONS;
	for (uint64_t i = 0; i < n; i++)
		sha256_update(&s, (const void *)(uintptr_t)p->regions[i].start,
			      (size_t)p->regions[i].len);
	sha256_final(&s, got);
	for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
		if (got[i] == p->digest[i])
			continue;
		serial_puts("\nvmcore-loader purgatory: SHA-256 of the capture "
			    "kernel's segments does not match what was "
			    "loaded (memory at ");
		serial_hex(p->regions[0].start);
		serial_puts(".. changed after `vmcore-loader load`); not "
			    "starting the capture kernel\n");
		return 1;
	}
	return 0;
}
