/*
 * handoff AArch32 (ARMv7-A, A32 state) hand-off stub (GNU as). Entered in SVC
 * or HYP mode anywhere in memory; finds its data block with ADR. Enters the
 * image in the mode it runs in (booting.rst: SVC, or HYP on CPUs with the
 * virtualization extensions).
 *   1. writes SCTLR (and in HYP, HSCTLR) from the data block
 *      (Documentation/arch/arm/booting.rst "The MMU must be off", "Data cache
 *      must be off"), then zeroes TTBCR, TTBR0/1, DACR, PRRR, NMRR and VBAR
 *      (in HYP also HTCR, HVBAR and SPSR_svc),
 *   2. runs a kexec indirection list (entry = page | flag: DESTINATION 0x1,
 *      INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at most hd_max_steps
 *      entries, spinning at hd_fail otherwise,
 *   3. checks every segment's SHA-256 (verify.S; spins at hd_verify_fail on
 *      a mismatch),
 *   4. invalidates the I-cache and branch predictor,
 *   5. SVC: sets SPSR to the CPSR to enter with and loads R0..R15 in one
 *      exception-return LDM, which copies SPSR to CPSR as it writes PC;
 *      HYP: sets ELR_hyp = entry and SPSR_hyp = CPSR, loads R0..R14, ERET.
 * Code refers to local labels only, so the object has no relocations.
 */
	.syntax	unified
	.arm
	.include "verify.S"
	.text
	.globl	_start
_start:
	adrl	r12, .Ldata			@ two instructions: the data block lies past the segment check
	mrs	r11, cpsr
	and	r11, r11, #0x1f			@ r11 = mode; 0x1a = HYP
	cmp	r11, #0x1a
	bne	1f
	ldr	r0, [r12, #(.Lhsctlr - .Ldata)]
	mcr	p15, 4, r0, c1, c0, 0		@ HSCTLR
	isb
	mov	r0, #0
	mcr	p15, 4, r0, c2, c0, 2		@ HTCR
	mcr	p15, 4, r0, c12, c0, 0		@ HVBAR
	msr	spsr_svc, r0
1:	ldr	r0, [r12, #(.Lsctlr - .Ldata)]
	mcr	p15, 0, r0, c1, c0, 0		@ SCTLR
	isb
	mov	r0, #0
	mcr	p15, 0, r0, c2, c0, 2		@ TTBCR
	mcr	p15, 0, r0, c2, c0, 0		@ TTBR0
	mcr	p15, 0, r0, c2, c0, 1		@ TTBR1
	mcr	p15, 0, r0, c3, c0, 0		@ DACR
	mcr	p15, 0, r0, c10, c2, 0		@ PRRR (MAIR0)
	mcr	p15, 0, r0, c10, c2, 1		@ NMRR (MAIR1)
	mcr	p15, 0, r0, c12, c0, 0		@ VBAR
	isb

	ldr	r0, [r12, #(.Lhead - .Ldata)]	@ current entry
	mov	r1, #0				@ next entry pointer
	mov	r2, #0				@ destination
	ldr	r9, [r12, #(.Lmax_steps - .Ldata)]
.Lwalk:
	cmp	r9, #0
	beq	.Lfail
	sub	r9, r9, #1
	tst	r0, #0x4			@ DONE
	bne	.Ldone
	bic	r3, r0, #0xff
	bic	r3, r3, #0xf00
	tst	r0, #0x2			@ INDIRECTION
	movne	r1, r3
	bne	.Lnext
	tst	r0, #0x1			@ DESTINATION
	movne	r2, r3
	bne	.Lnext
	tst	r0, #0x8			@ SOURCE: one page to r2, r2 advances
	beq	4f
	mov	r4, #256
2:	ldmia	r3!, {r5-r8}
	stmia	r2!, {r5-r8}
	subs	r4, r4, #1
	bne	2b
	b	.Lnext
4:	tst	r0, #0x10			@ ZERO: one zero page at r2, r2 advances
	beq	.Lnext
	mov	r5, #0
	mov	r6, #0
	mov	r7, #0
	mov	r8, #0
	mov	r4, #256
3:	stmia	r2!, {r5-r8}
	subs	r4, r4, #1
	bne	3b
.Lnext:
	ldr	r0, [r1], #4
	b	.Lwalk

	.globl	hd_fail
hd_fail:
.Lfail:
	b	.Lfail

.Ldone:
	ARM32_VERIFY
	dsb
	mov	r0, #0
	mcr	p15, 0, r0, c7, c5, 0		@ ICIALLU
	mcr	p15, 0, r0, c7, c5, 6		@ BPIALL
	dsb
	isb
	ldr	r0, [r12, #(.Lcpsr - .Ldata)]
	cmp	r11, #0x1a
	beq	5f
	msr	spsr_fsxc, r0
	add	r12, r12, #(.Lregs - .Ldata)
	ldm	r12, {r0-r15}^			@ R0..R15, and CPSR <- SPSR
5:	ldr	r1, [r12, #(.Lcpsr_hyp - .Ldata)]
	cmp	r1, #0
	movne	r0, r1				@ a HYP entry planned: ERET stays in HYP
	msr	spsr_fsxc, r0			@ SPSR_hyp (a banked MSR to its own mode is UNPREDICTABLE)
	ldr	r0, [r12, #(.Lregs + 60 - .Ldata)]
	msr	elr_hyp, r0
	add	r12, r12, #(.Lregs - .Ldata)
	ldm	r12, {r0-r14}
	eret

	/* Data block (little-endian 32-bit words), filled by the planner. */
	.balign	4, 0
	.globl	hd_data, hd_list_head, hd_max_steps, hd_sctlr, hd_cpsr, hd_hsctlr, hd_cpsr_hyp, hd_regs, hd_end
hd_data:
.Ldata:
hd_list_head:
.Lhead:		.word	0	@ first entry (normally list page | INDIRECTION)
hd_max_steps:
.Lmax_steps:	.word	0
hd_sctlr:
.Lsctlr:	.word	0
hd_cpsr:
.Lcpsr:		.word	0	@ CPSR to enter with (via SPSR)
hd_hsctlr:
.Lhsctlr:	.word	0	@ HSCTLR, written when running in HYP
hd_cpsr_hyp:
.Lcpsr_hyp:	.word	0	@ CPSR for a HYP entry when running in HYP (0: enter with hd_cpsr)
hd_regs:
.Lregs:		.fill	16, 4, 0	@ R0..R15 (R15 = entry)
	ARM32_VERIFY_DATA
hd_end:
	ARM32_VERIFY_SCRATCH
