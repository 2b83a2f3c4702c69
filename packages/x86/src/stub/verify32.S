/*
 * Segment check shared by the x86_32 and x86_64 hand-off stubs (both run it
 * in 32-bit protected mode with paging off, after the indirection list).
 * The including stub defines .Lbase and keeps %ebp = the address of .Lbase,
 * and has cleared EFLAGS.DF (cld); it expands
 *   X86_VERIFY          inline where the check runs (falls through when every
 *                       region matches; clobbers every GPR but %ebp and %esp),
 *   X86_VERIFY_DATA     in its data block (the region table), and
 *   X86_VERIFY_SCRATCH  last: the hash's working memory and stack, on a page
 *                       of their own — TCG re-translates a page's code when
 *                       that page is written, and a hash writes thousands of
 *                       times per block.
 *
 * The check hashes each region [start, start + len) of the table with SHA-256
 * (FIPS 180-4 §6.2, padding §5.1.1, initial value §5.3.3, constants §4.2.2)
 * and compares it with the region's digest. On a mismatch (or a count beyond
 * the table) it writes "handoff: SHA-256 mismatch in segment NN" to the 16550
 * UART at hd_serial_port (none when 0) and spins at hd_verify_fail with
 * %eax = the region index, never returning. Table layout: see
 * packages/core/src/kexec/verify-table.ts (4-byte words: start, len, digest).
 */
	.include "sha256-constants.S"
	.set	VERIFY_ENTRY_BYTES, 40
	.set	UART_LSR, 5			/* 16550 line status register offset */
	.set	UART_LSR_THRE, 0x20		/* transmit holding register empty */

/* \out = (\in ror r1) ^ (\in ror r2) ^ (\in ror r3) for r1 < r2 < r3 (§4.1.2 Σ0, Σ1); \tmp clobbered. */
.macro	ROR3 in, out, tmp, r1, r2, r3
	movl	\in, \out
	movl	\in, \tmp
	rorl	$\r1, \out
	rorl	$\r2, \tmp
	xorl	\tmp, \out
	rorl	$(\r3 - \r2), \tmp
	xorl	\tmp, \out
.endm

.macro	X86_VERIFY
	movl	%esp, (.Lsha_saved_esp - .Lbase)(%ebp)
	leal	(.Lsha_stack_top - .Lbase)(%ebp), %esp
	xorl	%ebx, %ebx			/* region index */
.Lverify_loop:
	cmpl	(.Lverify_count - .Lbase)(%ebp), %ebx
	jae	.Lverify_ok
	cmpl	$VERIFY_MAX_REGIONS, %ebx	/* a count beyond the table is refused, not trusted */
	jae	.Lverify_mismatch
	imull	$VERIFY_ENTRY_BYTES, %ebx, %edx
	leal	(.Lverify_regions - .Lbase)(%ebp,%edx), %edx
	pushl	%ebx
	pushl	%edx
	movl	(%edx), %esi
	movl	4(%edx), %ecx
	call	.Lsha256
	popl	%edx
	popl	%ebx
	xorl	%ecx, %ecx
1:	movl	(.Lsha_h - .Lbase)(%ebp,%ecx,4), %eax
	bswap	%eax				/* the digest is stored as bytes, H0 first, big-endian */
	cmpl	8(%edx,%ecx,4), %eax
	jne	.Lverify_mismatch
	incl	%ecx
	cmpl	$8, %ecx
	jb	1b
	incl	%ebx
	jmp	.Lverify_loop
.Lverify_ok:
	movl	(.Lsha_saved_esp - .Lbase)(%ebp), %esp
	jmp	.Lverified

.Lverify_mismatch:
	cmpw	$0, (.Lserial_port - .Lbase)(%ebp)	/* no UART: only spin */
	je	4f
	movzwl	(.Lserial_port - .Lbase)(%ebp), %edx
	leal	(.Lverify_msg - .Lbase)(%ebp), %esi
2:	movb	(%esi), %al
	testb	%al, %al
	jz	3f
	call	.Lputc
	incl	%esi
	jmp	2b
3:	movl	%ebx, %eax			/* two hex digits of the index, then CR LF */
	shrl	$4, %eax
	call	.Lputhex
	movl	%ebx, %eax
	call	.Lputhex
	movb	$'\r', %al
	call	.Lputc
	movb	$'\n', %al
	call	.Lputc
4:	movl	%ebx, %eax
	.globl	hd_verify_fail
hd_verify_fail:
.Lverify_fail:
	jmp	.Lverify_fail

/* %al & 0xf as one hex digit to the UART at %dx. */
.Lputhex:
	andb	$0xf, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	.Lputc
	addb	$('a' - '9' - 1), %al
/* %al to the 16550 at %dx, once it can take a byte. */
.Lputc:
	movb	%al, %ah
	addw	$UART_LSR, %dx
5:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	5b
	subw	$UART_LSR, %dx
	movb	%ah, %al
	outb	%al, %dx
	ret

/* SHA-256 of %ecx bytes at %esi into .Lsha_h (host-order words). Clobbers %eax..%edi. */
.Lsha256:
	pushl	%ecx				/* total length, for the length field */
	pushl	%esi
	pushl	%ecx
	leal	(.Lsha_iv - .Lbase)(%ebp), %esi
	leal	(.Lsha_h - .Lbase)(%ebp), %edi
	movl	$8, %ecx
	rep movsl
	popl	%ecx
	popl	%esi
6:	cmpl	$64, %ecx			/* every whole block straight from memory */
	jb	7f
	pushl	%ecx
	pushl	%esi
	call	.Lsha_block
	popl	%esi
	popl	%ecx
	addl	$64, %esi
	subl	$64, %ecx
	jmp	6b
7:	leal	(.Lsha_buf - .Lbase)(%ebp), %edi	/* the tail, 0x80, zeros (§5.1.1) */
	pushl	%ecx
	rep movsb
	popl	%ecx
	movb	$0x80, (%edi)
	incl	%edi
	pushl	%ecx
	negl	%ecx
	addl	$63, %ecx
	xorl	%eax, %eax
	rep stosb
	popl	%ecx
	cmpl	$56, %ecx			/* no room for the length: one more block */
	jb	8f
	leal	(.Lsha_buf - .Lbase)(%ebp), %esi
	call	.Lsha_block
	leal	(.Lsha_buf - .Lbase)(%ebp), %edi
	xorl	%eax, %eax
	movl	$14, %ecx
	rep stosl
8:	popl	%eax				/* bit length = bytes * 8, as a 64-bit big-endian number */
	movl	%eax, %edx
	shrl	$29, %edx
	shll	$3, %eax
	bswap	%edx
	bswap	%eax
	movl	%edx, (.Lsha_buf + 56 - .Lbase)(%ebp)
	movl	%eax, (.Lsha_buf + 60 - .Lbase)(%ebp)
	leal	(.Lsha_buf - .Lbase)(%ebp), %esi
	/* fall through: the last block */

/* One 64-byte block at %esi into .Lsha_h (§6.2.2). Clobbers %eax..%edi. */
.Lsha_block:
	xorl	%ecx, %ecx
1:	movl	(%esi,%ecx,4), %eax		/* W0..W15: the block's big-endian words */
	bswap	%eax
	movl	%eax, (.Lsha_w - .Lbase)(%ebp,%ecx,4)
	incl	%ecx
	cmpl	$16, %ecx
	jb	1b
2:	movl	(.Lsha_w - 15 * 4 - .Lbase)(%ebp,%ecx,4), %eax
	movl	%eax, %ebx
	movl	%eax, %edx
	rorl	$7, %eax
	rorl	$18, %edx
	xorl	%edx, %eax
	shrl	$3, %ebx
	xorl	%ebx, %eax			/* σ0(W[t-15]) */
	movl	(.Lsha_w - 2 * 4 - .Lbase)(%ebp,%ecx,4), %ebx
	movl	%ebx, %edx
	movl	%ebx, %edi
	rorl	$17, %ebx
	rorl	$19, %edi
	xorl	%edi, %ebx
	shrl	$10, %edx
	xorl	%edx, %ebx			/* σ1(W[t-2]) */
	addl	%ebx, %eax
	addl	(.Lsha_w - 16 * 4 - .Lbase)(%ebp,%ecx,4), %eax
	addl	(.Lsha_w - 7 * 4 - .Lbase)(%ebp,%ecx,4), %eax
	movl	%eax, (.Lsha_w - .Lbase)(%ebp,%ecx,4)
	incl	%ecx
	cmpl	$64, %ecx
	jb	2b
	leal	(.Lsha_h - .Lbase)(%ebp), %esi	/* a..h = H */
	leal	(.Lsha_v - .Lbase)(%ebp), %edi
	movl	$8, %ecx
	rep movsl
	xorl	%ecx, %ecx
3:	movl	(.Lsha_v + 16 - .Lbase)(%ebp), %eax	/* e */
	ROR3	%eax, %ebx, %edx, 6, 11, 25	/* Σ1(e) */
	movl	(.Lsha_v + 20 - .Lbase)(%ebp), %edx
	xorl	(.Lsha_v + 24 - .Lbase)(%ebp), %edx
	andl	%eax, %edx
	xorl	(.Lsha_v + 24 - .Lbase)(%ebp), %edx	/* Ch(e,f,g) = g ^ (e & (f ^ g)) */
	addl	%edx, %ebx
	addl	(.Lsha_v + 28 - .Lbase)(%ebp), %ebx
	addl	(.Lsha_k - .Lbase)(%ebp,%ecx,4), %ebx
	addl	(.Lsha_w - .Lbase)(%ebp,%ecx,4), %ebx	/* T1 */
	movl	(.Lsha_v - .Lbase)(%ebp), %eax		/* a */
	ROR3	%eax, %edx, %edi, 2, 13, 22	/* Σ0(a) */
	movl	(.Lsha_v + 4 - .Lbase)(%ebp), %edi
	movl	%eax, %esi
	orl	%edi, %esi
	andl	(.Lsha_v + 8 - .Lbase)(%ebp), %esi
	andl	%eax, %edi
	orl	%edi, %esi			/* Maj(a,b,c) = (a & b) | (c & (a | b)) */
	addl	%esi, %edx			/* T2 */
	movl	(.Lsha_v + 24 - .Lbase)(%ebp), %eax	/* h = g, g = f, f = e, e = d + T1, ... */
	movl	%eax, (.Lsha_v + 28 - .Lbase)(%ebp)
	movl	(.Lsha_v + 20 - .Lbase)(%ebp), %eax
	movl	%eax, (.Lsha_v + 24 - .Lbase)(%ebp)
	movl	(.Lsha_v + 16 - .Lbase)(%ebp), %eax
	movl	%eax, (.Lsha_v + 20 - .Lbase)(%ebp)
	movl	(.Lsha_v + 12 - .Lbase)(%ebp), %eax
	addl	%ebx, %eax
	movl	%eax, (.Lsha_v + 16 - .Lbase)(%ebp)
	movl	(.Lsha_v + 8 - .Lbase)(%ebp), %eax
	movl	%eax, (.Lsha_v + 12 - .Lbase)(%ebp)
	movl	(.Lsha_v + 4 - .Lbase)(%ebp), %eax
	movl	%eax, (.Lsha_v + 8 - .Lbase)(%ebp)
	movl	(.Lsha_v - .Lbase)(%ebp), %eax
	movl	%eax, (.Lsha_v + 4 - .Lbase)(%ebp)
	addl	%edx, %ebx			/* a = T1 + T2 */
	movl	%ebx, (.Lsha_v - .Lbase)(%ebp)
	incl	%ecx
	cmpl	$64, %ecx
	jb	3b
	xorl	%ecx, %ecx			/* H += a..h */
4:	movl	(.Lsha_v - .Lbase)(%ebp,%ecx,4), %eax
	addl	%eax, (.Lsha_h - .Lbase)(%ebp,%ecx,4)
	incl	%ecx
	cmpl	$8, %ecx
	jb	4b
	ret

	SHA256_STUB_CONSTANTS
.Lverified:
.endm

.macro	X86_VERIFY_DATA
	.balign	4, 0
	.globl	hd_serial_port
hd_serial_port:
.Lserial_port:	.word	0		/* 16550 I/O base for the mismatch line; 0 = none */
	.balign	4, 0
	VERIFY_TABLE .long, VERIFY_ENTRY_BYTES
.endm

.macro	X86_VERIFY_SCRATCH
	.balign	4096, 0		/* zeros, not NOPs: the generated module leaves trailing zeros out */
.Lsha_saved_esp: .long	0
.Lsha_h:	.fill	8, 4, 0		/* scratch: hash value, working variables, schedule, last block */
.Lsha_v:	.fill	8, 4, 0
.Lsha_w:	.fill	64, 4, 0
.Lsha_buf:	.fill	64, 1, 0
	.balign	16, 0
		.fill	32, 4, 0
.Lsha_stack_top:
.endm
