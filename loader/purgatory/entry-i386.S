/* SPDX-License-Identifier: MIT */
/*
 * The purgatory's entry on i386 (see purgatory.h).  kexec's
 * relocate_kernel jumps here in 32-bit protected mode with paging off,
 * interrupts off, the GDT and IDT invalidated.  We load a GDT of our own
 * with flat segments at the selectors the 32-bit boot protocol wants
 * (__BOOT_CS 0x10, __BOOT_DS 0x18), verify, and enter the kernel at its
 * 32-bit entry with %esi = boot_params and %ebx, %ebp, %edi zero.
 * Position independent: %ebx holds where we run, and purgatory_main is
 * compiled -fpie (GOT-relative addressing from its own thunk).
 */
#include "purgatory.h"

#define REL(sym) ((sym) - purgatory_header)(%ebx)

	.section .head, "awx"
	.code32
	.globl	purgatory_header
purgatory_header:
	.ascii	PURGATORY_MAGIC
	.long	purgatory_start - purgatory_header
	.long	purgatory_params - purgatory_header

	.balign	16
purgatory_start:
	cli
	cld
	call	1f
1:	popl	%ebx
	subl	$(1b - purgatory_header), %ebx
	leal	REL(stack_end), %esp
	leal	REL(gdt), %eax
	movl	%eax, REL(gdt_desc + 2)
	lgdt	REL(gdt_desc)
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leal	REL(2f), %eax
	pushl	$0x10
	pushl	%eax
	lret
2:
	pushl	%ebx
	call	purgatory_main
	popl	%ebx
	testl	%eax, %eax
	jnz	halt
	movl	REL(purgatory_params + PP_BOOT_PARAMS), %esi
	movl	REL(purgatory_params + PP_KERNEL_ENTRY), %eax
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmpl	*%eax
halt:
	cli
	hlt
	jmp	halt

	.balign	16
gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt_end:
	.balign	16
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0

	.balign	16
	.globl	purgatory_params
purgatory_params:
	.fill	PP_SIZE, 1, 0

	.balign	16
stack:
	.fill	8192, 1, 0
stack_end:

	.section .note.GNU-stack, "", @progbits
