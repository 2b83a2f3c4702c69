/*
 * handoff AArch64 hand-off stub (GNU as). Position-independent: it finds its
 * data block with ADR. It
 *   1. writes SCTLR_ELx from the data block (MMU and D-cache off: booting.rst
 *      "The MMU must be off", "The instruction cache may be on or off" and
 *      "The data cache must be off"),
 *   2. runs a kexec indirection list (entry = page | flag: DESTINATION 0x1,
 *      INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at most hd_max_steps
 *      entries, spinning at hd_fail if the list does not end,
 *   3. checks every segment's SHA-256 (verify.S; spins at hd_verify_fail on
 *      a mismatch),
 *   4. invalidates the I-cache (code was written with data stores),
 *   5. zeroes the translation and vector registers of the current EL (and of
 *      EL1 when entering at EL2, with SCTLR_EL1 from the data block), sets
 *      ELR_ELx = entry and SPSR_ELx = the PSTATE to enter with,
 *   6. loads SP and X0..X30 from the data block and ERETs, so no register keeps
 *      a value of the stub's.
 * Code refers only to local labels: a branch or ADR to a global symbol would
 * leave a relocation that objcopy -O binary silently drops.
 * Runs at EL1 or EL2; enters the image at the EL hd_pstate names, or at EL2
 * when it runs at EL2 and hd_pstate_el2 is set.
 */
	.include "verify.S"
	.text
	.globl	_start
_start:
	adr	x20, .Ldata
	mrs	x0, CurrentEL
	ldr	x1, [x20, #(hd_sctlr - hd_data)]
	cmp	x0, #8			/* CurrentEL.EL == 2 */
	b.eq	1f
	msr	sctlr_el1, x1
	b	2f
	/*
	 * Entered at EL2 (kexec from a kernel booted at EL2: Linux's
	 * cpu_soft_restart moves to EL2 through its hyp stub first) with an EL2
	 * entry planned (hd_pstate_el2 not 0): the image is entered at EL2 too,
	 * as booting.rst prefers ("boot in EL2 ... to use virtualisation"), with
	 * that PSTATE and SCTLR_EL2. The plan's EL1 entry is for an EL1 purgatory.
	 */
1:	ldr	x3, [x20, #(hd_pstate_el2 - hd_data)]
	cbz	x3, 3f
	str	x3, [x20, #(hd_pstate - hd_data)]
	ldr	x1, [x20, #(hd_sctlr_el2 - hd_data)]
3:	msr	sctlr_el2, x1
2:	isb

	ldr	x0, [x20, #(hd_list_head - hd_data)]	/* current entry */
	mov	x1, #0			/* next entry pointer */
	mov	x2, #0			/* destination */
	ldr	x9, [x20, #(hd_max_steps - hd_data)]
walk:
	cbz	x9, .Lfail
	sub	x9, x9, #1
	tbnz	x0, #2, done		/* DONE */
	and	x3, x0, #~0xfff
	tbz	x0, #1, 3f		/* INDIRECTION: continue in that page */
	mov	x1, x3
	b	next
3:	tbz	x0, #0, 4f		/* DESTINATION */
	mov	x2, x3
	b	next
4:	tbz	x0, #3, 5f		/* SOURCE: one page to dest, dest += page */
	mov	x4, #256
6:	ldp	x5, x6, [x3], #16
	stp	x5, x6, [x2], #16
	subs	x4, x4, #1
	b.ne	6b
	b	next
5:	tbz	x0, #4, next		/* ZERO: one zero page at dest, dest += page */
	mov	x4, #256
7:	stp	xzr, xzr, [x2], #16
	subs	x4, x4, #1
	b.ne	7b
next:
	ldr	x0, [x1], #8
	b	walk

	.globl	hd_fail
hd_fail:
.Lfail:
	b	.Lfail

done:
	ARM64_VERIFY
	dsb	sy
	ic	iallu
	dsb	sy
	isb
	ldr	x1, [x20, #(hd_entry - hd_data)]
	ldr	x2, [x20, #(hd_pstate - hd_data)]
	msr	sp_el0, xzr
	mrs	x0, CurrentEL
	cmp	x0, #8
	b.eq	8f
	msr	tcr_el1, xzr
	msr	mair_el1, xzr
	msr	ttbr0_el1, xzr
	msr	ttbr1_el1, xzr
	msr	vbar_el1, xzr
	msr	elr_el1, x1
	msr	spsr_el1, x2
	b	9f
8:	msr	tcr_el2, xzr
	msr	mair_el2, xzr
	msr	ttbr0_el2, xzr
	msr	vbar_el2, xzr
	/* EL1's registers too, so nothing below the entry EL keeps old values. */
	ldr	x3, [x20, #(hd_sctlr_el1 - hd_data)]
	msr	sctlr_el1, x3
	msr	tcr_el1, xzr
	msr	mair_el1, xzr
	msr	ttbr0_el1, xzr
	msr	ttbr1_el1, xzr
	msr	vbar_el1, xzr
	msr	elr_el1, xzr
	msr	spsr_el1, xzr
	msr	elr_el2, x1
	msr	spsr_el2, x2
9:	isb
	ldr	x1, [x20, #(hd_sp - hd_data)]
	mov	sp, x1
	add	x30, x20, #(hd_regs - hd_data)
	ldp	x0, x1, [x30, #0]
	ldp	x2, x3, [x30, #16]
	ldp	x4, x5, [x30, #32]
	ldp	x6, x7, [x30, #48]
	ldp	x8, x9, [x30, #64]
	ldp	x10, x11, [x30, #80]
	ldp	x12, x13, [x30, #96]
	ldp	x14, x15, [x30, #112]
	ldp	x16, x17, [x30, #128]
	ldp	x18, x19, [x30, #144]
	ldp	x20, x21, [x30, #160]
	ldp	x22, x23, [x30, #176]
	ldp	x24, x25, [x30, #192]
	ldp	x26, x27, [x30, #208]
	ldp	x28, x29, [x30, #224]
	ldr	x30, [x30, #240]
	eret

	/* Data block: filled by the planner (little-endian 64-bit words). */
	.balign	8, 0
	.globl	hd_data, hd_list_head, hd_entry, hd_pstate, hd_sctlr, hd_max_steps, hd_sp, hd_sctlr_el1, hd_pstate_el2, hd_sctlr_el2, hd_regs, hd_end
hd_data:
.Ldata:
hd_list_head:	.quad	0	/* first indirection-list entry (normally page | INDIRECTION) */
hd_entry:	.quad	0	/* PC to enter at */
hd_pstate:	.quad	0	/* SPSR_ELx value: the PSTATE to enter with */
hd_sctlr:	.quad	0	/* SCTLR_ELx value */
hd_max_steps:	.quad	0	/* bound on list entries walked */
hd_sp:		.quad	0
hd_sctlr_el1:	.quad	0	/* SCTLR_EL1 written when entering at EL2 */
hd_pstate_el2:	.quad	0	/* SPSR_EL2 for an EL2 entry when the stub runs at EL2 (0: enter as hd_pstate says) */
hd_sctlr_el2:	.quad	0	/* SCTLR_EL2 with it */
hd_regs:	.fill	31, 8, 0	/* X0..X30 */
	ARM64_VERIFY_DATA
hd_end:
	ARM64_VERIFY_SCRATCH
