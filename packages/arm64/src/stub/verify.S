/*
 * The arm64 hand-off stub's segment check (GNU as, A64). The stub expands
 *   ARM64_VERIFY          where no code falls into it: the routine
 *                         .Lverify_range, called with BL, x23 = first region,
 *                         x24 = end (capped at the table's count); returns
 *                         when every one matches; clobbers x0..x28, keeps
 *                         x18, x20, x29),
 *   ARM64_VERIFY_DATA     in its data block (the region table), and
 *   ARM64_VERIFY_SCRATCH  last: the hash's working memory on a page of its own
 *                         (TCG re-translates a page's code when that page is
 *                         written, and a hash writes hundreds of times per block).
 *
 * Each region [start, start + len) of the table is hashed with SHA-256 (FIPS
 * 180-4 §6.2, padding §5.1.1; constants from sha256-constants.S) and compared
 * with its digest. On a mismatch (or a count beyond the table) the stub writes
 * "handoff: SHA-256 mismatch in segment NN" to the PL011 data register at
 * hd_verify_uart (none when 0) and spins at hd_verify_fail with x0 = the region
 * index, never entering the image. Table layout: packages/core/src/kexec/
 * verify-table.ts (8-byte words: start, len, then the 32-byte digest).
 * Every access is naturally aligned: with the MMU off all memory is Device
 * memory, where an unaligned access faults. The stub runs the routine with
 * the MMU and caches on over identity tables when it has them (the region
 * holding those tables first, with the MMU still off); the mismatch line's
 * UART is then mapped as Device memory.
 */
	.include "sha256-constants.S"
	.set	VERIFY_ENTRY_BYTES, 48

.macro	PUT_HEX_DIGIT reg
	and	w3, \reg, #0xf
	add	w3, w3, #'0'
	cmp	w3, #'9'
	b.ls	1f
	add	w3, w3, #('a' - '9' - 1)
1:	str	w3, [x1]
.endm

.macro	ARM64_VERIFY
.Lverify_range:
	mov	x28, x30
	adr	x25, .Lverify_count
	ldr	x25, [x25]
	cmp	x24, x25
	csel	x24, x24, x25, lo		/* end = min(end, count) */
	adr	x25, .Lverify_regions
	mov	x0, #VERIFY_ENTRY_BYTES
	madd	x25, x23, x0, x25		/* the first region's entry */
.Lverify_loop:
	cmp	x23, x24
	b.hs	.Lverified
	cmp	x23, #VERIFY_MAX_REGIONS	/* a count beyond the table is refused, not trusted */
	b.hs	.Lverify_mismatch
	ldp	x0, x1, [x25]			/* start, len */
	bl	.Lsha256
	add	x2, x25, #16
	mov	x3, #0
1:	ldr	w4, [x19, x3, lsl #2]
	rev	w4, w4				/* the digest is stored as bytes, H0 first, big-endian */
	ldr	w5, [x2, x3, lsl #2]
	cmp	w4, w5
	b.ne	.Lverify_mismatch
	add	x3, x3, #1
	cmp	x3, #8
	b.lo	1b
	add	x23, x23, #1
	add	x25, x25, #VERIFY_ENTRY_BYTES
	b	.Lverify_loop

.Lverify_mismatch:
	adr	x1, .Lverify_uart
	ldr	x1, [x1]
	cbz	x1, 4f
	adr	x2, .Lverify_msg
2:	ldrb	w3, [x2], #1
	cbz	w3, 3f
	str	w3, [x1]
	b	2b
3:	lsr	x4, x23, #4
	PUT_HEX_DIGIT w4
	PUT_HEX_DIGIT w23
	mov	w3, #'\r'
	str	w3, [x1]
	mov	w3, #'\n'
	str	w3, [x1]
4:	mov	x0, x23
	.globl	hd_verify_fail
hd_verify_fail:
.Lverify_fail:
	b	.Lverify_fail

/* SHA-256 of x1 bytes at x0 into .Lsha_h (host-order words; x19 = .Lsha_h on return). Clobbers x0..x17, x19, x21, x22, x26, x27. */
.Lsha256:
	mov	x26, x30
	mov	x27, x1				/* total length, for the length field */
	adr	x19, .Lsha_h
	adr	x21, .Lsha_w
	adr	x22, .Lsha_k
	adr	x2, .Lsha_iv
	ldp	x3, x4, [x2]
	ldp	x5, x6, [x2, #16]
	stp	x3, x4, [x19]
	stp	x5, x6, [x19, #16]
1:	cmp	x1, #64				/* every whole block straight from memory */
	b.lo	2f
	bl	.Lsha_block
	add	x0, x0, #64
	sub	x1, x1, #64
	b	1b
2:	adr	x2, .Lsha_buf			/* the tail, 0x80, zeros (§5.1.1) */
	mov	x3, #0
3:	cmp	x3, x1
	b.hs	4f
	ldrb	w4, [x0, x3]
	strb	w4, [x2, x3]
	add	x3, x3, #1
	b	3b
4:	mov	w4, #0x80
	strb	w4, [x2, x3]
	add	x3, x3, #1
5:	cmp	x3, #64
	b.hs	6f
	strb	wzr, [x2, x3]
	add	x3, x3, #1
	b	5b
6:	cmp	x1, #56				/* no room for the length: one more block */
	b.lo	7f
	mov	x0, x2
	bl	.Lsha_block
	stp	xzr, xzr, [x2]
	stp	xzr, xzr, [x2, #16]
	stp	xzr, xzr, [x2, #32]
	str	xzr, [x2, #48]
7:	lsl	x3, x27, #3			/* bit length, 64-bit big-endian */
	rev	x3, x3
	str	x3, [x2, #56]
	mov	x0, x2
	bl	.Lsha_block
	ret	x26

/* One 64-byte block at x0 (kept) into H at x19 (§6.2.2); W at x21, K at x22. Clobbers x3..x17. */
.Lsha_block:
	mov	x3, #0
1:	ldr	w4, [x0, x3, lsl #2]		/* W0..W15: the block's big-endian words */
	rev	w4, w4
	str	w4, [x21, x3, lsl #2]
	add	x3, x3, #1
	cmp	x3, #16
	b.lo	1b
2:	sub	x5, x3, #15
	ldr	w4, [x21, x5, lsl #2]
	ror	w6, w4, #7
	eor	w6, w6, w4, ror #18
	eor	w6, w6, w4, lsr #3		/* σ0(W[t-15]) */
	sub	x5, x3, #2
	ldr	w4, [x21, x5, lsl #2]
	ror	w7, w4, #17
	eor	w7, w7, w4, ror #19
	eor	w7, w7, w4, lsr #10		/* σ1(W[t-2]) */
	add	w6, w6, w7
	sub	x5, x3, #16
	ldr	w4, [x21, x5, lsl #2]
	add	w6, w6, w4
	sub	x5, x3, #7
	ldr	w4, [x21, x5, lsl #2]
	add	w6, w6, w4
	str	w6, [x21, x3, lsl #2]
	add	x3, x3, #1
	cmp	x3, #64
	b.lo	2b
	ldp	w8, w9, [x19]			/* a..h = H */
	ldp	w10, w11, [x19, #8]
	ldp	w12, w13, [x19, #16]
	ldp	w14, w15, [x19, #24]
	mov	x3, #0
3:	ror	w4, w12, #6
	eor	w4, w4, w12, ror #11
	eor	w4, w4, w12, ror #25		/* Σ1(e) */
	and	w5, w12, w13
	bic	w6, w14, w12
	orr	w5, w5, w6			/* Ch(e,f,g) */
	add	w4, w4, w5
	add	w4, w4, w15
	ldr	w5, [x22, x3, lsl #2]
	add	w4, w4, w5
	ldr	w5, [x21, x3, lsl #2]
	add	w4, w4, w5			/* T1 */
	ror	w5, w8, #2
	eor	w5, w5, w8, ror #13
	eor	w5, w5, w8, ror #22		/* Σ0(a) */
	orr	w6, w8, w9
	and	w6, w6, w10
	and	w7, w8, w9
	orr	w6, w6, w7			/* Maj(a,b,c) */
	add	w5, w5, w6			/* T2 */
	mov	w15, w14
	mov	w14, w13
	mov	w13, w12
	add	w12, w11, w4
	mov	w11, w10
	mov	w10, w9
	mov	w9, w8
	add	w8, w4, w5
	add	x3, x3, #1
	cmp	x3, #64
	b.lo	3b
	ldp	w4, w5, [x19]			/* H += a..h */
	add	w4, w4, w8
	add	w5, w5, w9
	stp	w4, w5, [x19]
	ldp	w4, w5, [x19, #8]
	add	w4, w4, w10
	add	w5, w5, w11
	stp	w4, w5, [x19, #8]
	ldp	w4, w5, [x19, #16]
	add	w4, w4, w12
	add	w5, w5, w13
	stp	w4, w5, [x19, #16]
	ldp	w4, w5, [x19, #24]
	add	w4, w4, w14
	add	w5, w5, w15
	stp	w4, w5, [x19, #24]
	ret

.Lverified:
	ret	x28

	SHA256_STUB_CONSTANTS
.endm

.macro	ARM64_VERIFY_DATA
	.balign	8, 0
	.globl	hd_verify_uart
hd_verify_uart:
.Lverify_uart:	.quad	0		/* PL011 data register for the mismatch line; 0 = none */
	VERIFY_TABLE .quad, VERIFY_ENTRY_BYTES
.endm

.macro	ARM64_VERIFY_SCRATCH
	.balign	4096, 0		/* zeros, not NOPs: the generated module leaves trailing zeros out */
.Lsha_h:	.fill	8, 4, 0
.Lsha_w:	.fill	64, 4, 0
.Lsha_buf:	.fill	64, 1, 0
.endm
