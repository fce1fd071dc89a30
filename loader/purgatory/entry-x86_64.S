/* SPDX-License-Identifier: MIT */
/*
 * The purgatory's entry on x86_64 (see purgatory.h).  kexec's
 * relocate_kernel jumps here in 64-bit mode with the crashed kernel's
 * identity page tables, interrupts off, the GDT and IDT invalidated.  We
 * load a GDT of our own with the selectors the 64-bit boot protocol wants
 * (__BOOT_CS 0x10, __BOOT_DS 0x18), verify, and enter the kernel at its
 * 64-bit entry with %rsi = boot_params.  Position independent: everything
 * is addressed relative to %rip.
 */
#include "purgatory.h"

	.section .head, "awx"
	.code64
	.globl	purgatory_header
purgatory_header:
	.ascii	PURGATORY_MAGIC
	.long	purgatory_start - purgatory_header
	.long	purgatory_params - purgatory_header

	.balign	16
purgatory_start:
	cli
	cld
	leaq	stack_end(%rip), %rsp
	leaq	gdt(%rip), %rax
	movq	%rax, gdt_desc + 2(%rip)
	lgdt	gdt_desc(%rip)
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	1f(%rip), %rax
	pushq	$0x10
	pushq	%rax
	lretq
1:
	call	purgatory_main
	testl	%eax, %eax
	jnz	halt
	movq	purgatory_params + PP_BOOT_PARAMS(%rip), %rsi
	movq	purgatory_params + PP_KERNEL_ENTRY(%rip), %rax
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	jmpq	*%rax
halt:
	cli
	hlt
	jmp	halt

	.balign	16
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: data */
gdt_end:
	.balign	16
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	0

	.balign	16
	.globl	purgatory_params
purgatory_params:
	.fill	PP_SIZE, 1, 0

	.balign	16
stack:
	.fill	8192, 1, 0
stack_end:

	.section .note.GNU-stack, "", @progbits
