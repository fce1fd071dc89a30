/* SPDX-License-Identifier: MIT */
/* The purgatory image (built by the Makefile for the loader's
 * architecture), as data in the loader; empty where there is none. */
	.section .rodata
	.globl	purgatory_image
	.globl	purgatory_image_size
	.balign	16
purgatory_image:
#ifdef PURGATORY_BIN
	.incbin	PURGATORY_BIN
#endif
purgatory_image_end:
	.balign	4
purgatory_image_size:
	.long	purgatory_image_end - purgatory_image
	.section .note.GNU-stack, "", @progbits
