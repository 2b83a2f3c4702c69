/*
 * The arm32 hand-off stub's segment check (GNU as, A32, ARMv7-A). The stub
 * expands
 *   ARM32_VERIFY          inline after the indirection list, with r12 = its
 *                         data block and r11 = its mode (both kept; falls
 *                         through when every region matches; clobbers r0..r10),
 *   ARM32_VERIFY_DATA     in its data block (the region table), and
 *   ARM32_VERIFY_SCRATCH  last: the hash's working memory on a page of its own
 *                         (TCG re-translates a page's code when that page is
 *                         written, and a hash writes hundreds of times per block).
 *
 * Each region [start, start + len) of the table is hashed with SHA-256 (FIPS
 * 180-4 §6.2, padding §5.1.1; constants from sha256-constants.S) and compared
 * with its digest. On a mismatch (or a count beyond the table) the stub writes
 * "handoff: SHA-256 mismatch in segment NN" to the PL011 data register at
 * hd_verify_uart (none when 0) and spins at hd_verify_fail with r0 = the
 * region index, never entering the image. Table layout: packages/core/src/
 * kexec/verify-table.ts (4-byte words: start, len, then the 32-byte digest).
 * There is no stack: the scratch page keeps what a call must survive.
 */
	.include "sha256-constants.S"
	.set	VERIFY_ENTRY_BYTES, 40
	/* Scratch page layout: 64 (K[t], W[t]) pairs, so one LDM feeds a round; then H, the last block, saved words. */
	.set	S_PAIRS, 0
	.set	S_PAIRS_END, 512
	.set	S_H, 512
	.set	S_BUF, 544
	.set	S_DATA, 608			/* the stub's r12 and r11 */
	.set	S_MODE, 612
	.set	S_LR, 616
	.set	S_LR_BLOCK, 620
	.set	S_PTR, 624
	.set	S_LEN, 628
	.set	S_TOTAL, 632
	.set	S_INDEX, 636
	.set	S_REGION, 640
	.set	S_END, 644

.macro	PUT_HEX_DIGIT reg
	and	r3, \reg, #0xf
	add	r3, r3, #'0'
	cmp	r3, #'9'
	addhi	r3, r3, #('a' - '9' - 1)
	str	r3, [r1]
.endm

.macro	ARM32_VERIFY
	adrl	r10, .Lsha_s
	str	r12, [r10, #S_DATA]
	str	r11, [r10, #S_MODE]
	mov	r0, #0
	str	r0, [r10, #S_INDEX]
.Lverify_loop:
	adrl	r12, .Lsha_s
	ldr	r11, [r12, #S_INDEX]
	adrl	r9, .Lverify_count
	ldr	r9, [r9]
	cmp	r11, r9
	bhs	.Lverify_done
	cmp	r11, #VERIFY_MAX_REGIONS	@ a count beyond the table is refused, not trusted
	bhs	.Lverify_mismatch
	adrl	r8, .Lverify_regions
	mov	r9, #VERIFY_ENTRY_BYTES
	mla	r8, r11, r9, r8
	str	r8, [r12, #S_REGION]
	ldr	r0, [r8]			@ start
	ldr	r1, [r8, #4]			@ len
	bl	.Lsha256
	ldr	r8, [r12, #S_REGION]
	add	r8, r8, #8
	add	r9, r12, #S_H
	mov	r3, #0
1:	ldr	r4, [r9, r3]
	rev	r4, r4				@ the digest is stored as bytes, H0 first, big-endian
	ldr	r5, [r8, r3]
	cmp	r4, r5
	bne	.Lverify_mismatch
	add	r3, r3, #4
	cmp	r3, #32
	blo	1b
	add	r11, r11, #1
	str	r11, [r12, #S_INDEX]
	b	.Lverify_loop

.Lverify_mismatch:
	adrl	r12, .Lsha_s
	ldr	r4, [r12, #S_INDEX]
	adrl	r1, .Lverify_uart
	ldr	r1, [r1]
	cmp	r1, #0
	beq	4f
	adrl	r2, .Lverify_msg
2:	ldrb	r3, [r2], #1
	cmp	r3, #0
	beq	3f
	str	r3, [r1]
	b	2b
3:	mov	r5, r4, lsr #4
	PUT_HEX_DIGIT r5
	PUT_HEX_DIGIT r4
	mov	r3, #'\r'
	str	r3, [r1]
	mov	r3, #'\n'
	str	r3, [r1]
4:	mov	r0, r4
	.globl	hd_verify_fail
hd_verify_fail:
.Lverify_fail:
	b	.Lverify_fail

/* SHA-256 of r1 bytes at r0 into H (host-order words); r12 = scratch page on return. Clobbers r0..r11. */
.Lsha256:
	adrl	r12, .Lsha_s
	str	lr, [r12, #S_LR]
	str	r1, [r12, #S_TOTAL]		@ for the length field
	adrl	r2, .Lsha_k			@ K[t] into the even words of the pairs
	mov	r3, r12
	mov	r4, #64
1:	ldr	r5, [r2], #4
	str	r5, [r3], #8
	subs	r4, r4, #1
	bne	1b
	adrl	r2, .Lsha_iv
	ldmia	r2, {r4-r11}
	add	r3, r12, #S_H
	stmia	r3, {r4-r11}
2:	cmp	r1, #64				@ every whole block straight from memory
	blo	3f
	str	r0, [r12, #S_PTR]
	str	r1, [r12, #S_LEN]
	bl	.Lsha_block
	ldr	r0, [r12, #S_PTR]
	ldr	r1, [r12, #S_LEN]
	add	r0, r0, #64
	sub	r1, r1, #64
	b	2b
3:	add	r2, r12, #S_BUF			@ the tail, 0x80, zeros (§5.1.1)
	mov	r3, #0
4:	cmp	r3, r1				@ conditional execution: copy while r3 < r1
	ldrblo	r4, [r0, r3]
	strblo	r4, [r2, r3]
	addlo	r3, r3, #1
	blo	4b
	mov	r4, #0x80
	strb	r4, [r2, r3]
	add	r3, r3, #1
	mov	r4, #0
6:	cmp	r3, #64				@ zero the rest of the block
	strblo	r4, [r2, r3]
	addlo	r3, r3, #1
	blo	6b
	cmp	r1, #56				@ no room for the length: one more block
	blo	8f
	mov	r0, r2
	bl	.Lsha_block
	add	r2, r12, #S_BUF
	mov	r3, #0
	mov	r4, #0
9:	str	r4, [r2, r3]
	add	r3, r3, #4
	cmp	r3, #56
	blo	9b
8:	ldr	r3, [r12, #S_TOTAL]		@ bit length, 64-bit big-endian
	mov	r4, r3, lsr #29
	mov	r3, r3, lsl #3
	rev	r4, r4
	rev	r3, r3
	add	r0, r12, #S_BUF
	str	r4, [r0, #56]
	str	r3, [r0, #60]
	bl	.Lsha_block
	ldr	lr, [r12, #S_LR]
	bx	lr

/* One 64-byte block at r0 into H (§6.2.2); r12 = scratch page (kept). Clobbers r0..r11. */
.Lsha_block:
	str	lr, [r12, #S_LR_BLOCK]
	mov	r1, #0
	add	r2, r12, #(S_PAIRS + 4)
1:	ldr	r3, [r0, r1, lsl #2]		@ W0..W15: the block's big-endian words
	rev	r3, r3
	str	r3, [r2], #8
	add	r1, r1, #1
	cmp	r1, #16
	blo	1b
2:	ldr	r3, [r2, #-(15 * 8)]
	mov	r4, r3, ror #7
	eor	r4, r4, r3, ror #18
	eor	r4, r4, r3, lsr #3		@ σ0(W[t-15])
	ldr	r3, [r2, #-(2 * 8)]
	mov	r5, r3, ror #17
	eor	r5, r5, r3, ror #19
	eor	r5, r5, r3, lsr #10		@ σ1(W[t-2])
	add	r4, r4, r5
	ldr	r3, [r2, #-(16 * 8)]
	add	r4, r4, r3
	ldr	r3, [r2, #-(7 * 8)]
	add	r4, r4, r3
	str	r4, [r2], #8
	add	r1, r1, #1
	cmp	r1, #64
	blo	2b
	add	r8, r12, #S_H			@ a..h = H, in r0..r7
	ldmia	r8, {r0-r7}
	add	r10, r12, #S_PAIRS
3:	ldmia	r10!, {r8, r9}			@ K[t], W[t]
	add	r8, r8, r9
	add	r8, r8, r7
	eor	r9, r5, r6
	and	r9, r9, r4
	eor	r9, r9, r6			@ Ch(e,f,g) = g ^ (e & (f ^ g))
	add	r8, r8, r9
	mov	r9, r4, ror #6
	eor	r9, r9, r4, ror #11
	eor	r9, r9, r4, ror #25		@ Σ1(e)
	add	r8, r8, r9			@ T1
	mov	r9, r0, ror #2
	eor	r9, r9, r0, ror #13
	eor	r9, r9, r0, ror #22		@ Σ0(a)
	orr	r11, r0, r1
	and	r11, r11, r2
	and	lr, r0, r1
	orr	r11, r11, lr			@ Maj(a,b,c)
	add	r9, r9, r11			@ T2
	mov	r7, r6
	mov	r6, r5
	mov	r5, r4
	add	r4, r3, r8
	mov	r3, r2
	mov	r2, r1
	mov	r1, r0
	add	r0, r8, r9
	add	lr, r12, #S_PAIRS_END
	cmp	r10, lr
	blo	3b
	add	lr, r12, #S_H			@ H += a..h
	ldmia	lr, {r8-r11}
	add	r8, r8, r0
	add	r9, r9, r1
	add	r10, r10, r2
	add	r11, r11, r3
	stmia	lr!, {r8-r11}
	ldmia	lr, {r8-r11}
	add	r8, r8, r4
	add	r9, r9, r5
	add	r10, r10, r6
	add	r11, r11, r7
	stmia	lr, {r8-r11}
	ldr	lr, [r12, #S_LR_BLOCK]
	bx	lr

	SHA256_STUB_CONSTANTS
.Lverify_done:
	adrl	r12, .Lsha_s
	ldr	r11, [r12, #S_MODE]
	ldr	r12, [r12, #S_DATA]
.endm

.macro	ARM32_VERIFY_DATA
	.balign	4, 0
	.globl	hd_verify_uart
hd_verify_uart:
.Lverify_uart:	.word	0		@ PL011 data register for the mismatch line; 0 = none
	VERIFY_TABLE .word, VERIFY_ENTRY_BYTES
.endm

.macro	ARM32_VERIFY_SCRATCH
	.balign	4096, 0		@ zeros, not NOPs: the generated module leaves trailing zeros out
.Lsha_s:	.fill	S_END, 1, 0
.endm
