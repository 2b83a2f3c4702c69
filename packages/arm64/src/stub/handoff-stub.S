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
 *      a mismatch): given identity tables (hd_mmu_ttbr not 0), it checks the
 *      region holding them with the MMU off, then turns the MMU and caches on
 *      over them for the other regions (a caches-off hash is what makes
 *      kexec-tools' purgatory slow on hardware), then cleans and invalidates
 *      what it touched to PoC and turns them off again; it records the
 *      SCTLR_ELx it checked under and the check's counter ticks (hd_check_*),
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

/* M (bit 0), C (2), I (12) set; A (1, alignment faults) and WXN (19) clear: every mapping is writable and executable. */
.macro	SCTLR_MMU_CACHES_ON reg
	orr	\reg, \reg, #1
	orr	\reg, \reg, #4
	orr	\reg, \reg, #0x1000
	bic	\reg, \reg, #2
	bic	\reg, \reg, #(1 << 19)
.endm

/* .Ldc_<op>_range: DC <op> by VA over [x0, x0 + x1), a line at a time (CTR_EL0.DminLine). Clobbers x0..x3. */
.macro	DC_RANGE op
.Ldc_\op\()_range:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4
	mov	x2, #4
	lsl	x2, x2, x3		/* line bytes: 4 << DminLine */
	add	x1, x0, x1
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	\op, x0
	add	x0, x0, x2
	b	1b
2:	ret
.endm
	.text
	.globl	_start
_start:
.Lstart:
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
2:	mov	x29, x1			/* the SCTLR to return to after a check with the MMU on */
	isb

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
	isb
	mrs	x18, cntvct_el0
	mov	x23, #0
	ldr	x0, [x20, #(hd_mmu_ttbr - hd_data)]
	cbz	x0, 1f
	mov	x24, #1			/* region 0, the tables, with the MMU off */
	bl	.Lverify_range
	bl	.Lmmu_on
	mov	x23, #1
1:	mov	x24, #-1
	bl	.Lverify_range
	bl	.Lmmu_off
	isb
	mrs	x0, cntvct_el0
	sub	x0, x0, x18
	str	x0, [x20, #(hd_check_ticks - hd_data)]
	mrs	x0, cntfrq_el0
	str	x0, [x20, #(hd_check_freq - hd_data)]
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

	ARM64_VERIFY

/*
 * MMU and caches on over the identity tables for the EL the stub runs at
 * (DDI 0487 D8: MAIR, TCR, TTBR0 of that regime, TLB invalidated, then
 * SCTLR_ELx M|C|I with A and WXN clear). At EL2 with HCR_EL2.E2H set the
 * regime has two VA ranges and takes the EL1-format tables and TCR value.
 * Skipped (hd_check_sctlr stays 0) when the CPU lacks the 4 KiB granule or
 * a PARange as wide as the tables' PS/IPS. Clobbers x0..x4, x27.
 */
.Lmmu_on:
	mrs	x0, id_aa64mmfr0_el1
	ubfx	x1, x0, #28, #4		/* TGran4: 0xf = not implemented */
	cmp	x1, #0xf
	b.eq	9f
	ubfx	x1, x0, #0, #4		/* PARange */
	ldr	x2, [x20, #(hd_mmu_pa_range - hd_data)]
	cmp	x1, x2
	b.lo	9f
	mov	x27, x30
	/* Lines a cache may hold from before the MMU-off writes (the stub's data, the tables) must go, as head.S does for its tables. */
	ldr	x0, [x20, #(hd_mmu_tables - hd_data)]
	ldr	x1, [x20, #(hd_mmu_tables_size - hd_data)]
	bl	.Ldc_ivac_range
	adr	x0, .Lstart
	adr	x1, .Lstub_end
	sub	x1, x1, x0
	bl	.Ldc_ivac_range
	dsb	sy
	mov	x30, x27
	mrs	x0, CurrentEL
	str	x0, [x20, #(hd_check_el - hd_data)]
	ldr	x1, [x20, #(hd_mmu_mair - hd_data)]
	ldr	x2, [x20, #(hd_mmu_tcr - hd_data)]
	ldr	x3, [x20, #(hd_mmu_ttbr - hd_data)]
	cmp	x0, #8
	b.eq	2f
	str	x3, [x20, #(hd_check_ttbr - hd_data)]
	msr	mair_el1, x1
	msr	tcr_el1, x2
	msr	ttbr0_el1, x3
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mrs	x0, sctlr_el1
	SCTLR_MMU_CACHES_ON x0
	msr	sctlr_el1, x0
	isb
	mrs	x0, sctlr_el1
	b	8f
2:	mrs	x4, hcr_el2
	tbnz	x4, #34, 3f		/* HCR_EL2.E2H */
	ldr	x2, [x20, #(hd_mmu_tcr_el2 - hd_data)]
	ldr	x3, [x20, #(hd_mmu_ttbr_el2 - hd_data)]
3:	str	x3, [x20, #(hd_check_ttbr - hd_data)]
	msr	mair_el2, x1
	msr	tcr_el2, x2
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	dsb	nsh
	isb
	mrs	x0, sctlr_el2
	SCTLR_MMU_CACHES_ON x0
	msr	sctlr_el2, x0
	isb
	mrs	x0, sctlr_el2
8:	str	x0, [x20, #(hd_check_sctlr - hd_data)]
9:	ret

/*
 * After a check with the MMU on: every checked region (read through the
 * caches; the tables were walked through them) and the stub (its scratch and
 * results were written through them) cleaned and invalidated to PoC by VA, so
 * the new kernel, starting with caches off, finds memory as the stub left it
 * and no line of ours; then SCTLR_ELx as at entry (x29: MMU and D-cache off),
 * the I-cache and TLB invalidated. Clobbers x0..x4, x25..x27.
 */
.Lmmu_off:
	ldr	x0, [x20, #(hd_check_sctlr - hd_data)]
	cbz	x0, 9f
	mov	x27, x30
	adr	x25, .Lverify_count
	ldr	x25, [x25]
	cmp	x25, #VERIFY_MAX_REGIONS
	mov	x0, #VERIFY_MAX_REGIONS
	csel	x25, x25, x0, lo
	adr	x26, .Lverify_regions
1:	cbz	x25, 2f
	ldp	x0, x1, [x26], #VERIFY_ENTRY_BYTES
	bl	.Ldc_civac_range
	sub	x25, x25, #1
	b	1b
2:	adr	x0, .Lstart
	adr	x1, .Lstub_end
	sub	x1, x1, x0
	bl	.Ldc_civac_range
	dsb	sy
	mov	x30, x27
	mrs	x0, CurrentEL
	cmp	x0, #8
	b.eq	3f
	msr	sctlr_el1, x29
	isb
	tlbi	vmalle1
	b	4f
3:	msr	sctlr_el2, x29
	isb
	tlbi	alle2
4:	dsb	nsh
	ic	iallu
	dsb	nsh
	isb
9:	ret

	DC_RANGE ivac
	DC_RANGE civac

	/* Data block: filled by the planner (little-endian 64-bit words). */
	.balign	8, 0
	.globl	hd_data, hd_list_head, hd_entry, hd_pstate, hd_sctlr, hd_max_steps, hd_sp, hd_sctlr_el1, hd_pstate_el2, hd_sctlr_el2, hd_regs, hd_end
	.globl	hd_mmu_ttbr, hd_mmu_tcr, hd_mmu_ttbr_el2, hd_mmu_tcr_el2, hd_mmu_mair, hd_mmu_pa_range, hd_mmu_tables, hd_mmu_tables_size
	.globl	hd_check_sctlr, hd_check_el, hd_check_ttbr, hd_check_ticks, hd_check_freq
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
/* Identity tables for the check (hd_mmu_ttbr 0: none, the check runs with the MMU off). */
hd_mmu_ttbr:	.quad	0	/* root of the EL1-format tables (TTBR0_EL1; TTBR0_EL2 when E2H = 1) */
hd_mmu_tcr:	.quad	0	/* TCR_EL1 value (TCR_EL2 when E2H = 1) */
hd_mmu_ttbr_el2: .quad	0	/* root of the EL2-format tables (E2H = 0) */
hd_mmu_tcr_el2:	.quad	0	/* TCR_EL2 value for them */
hd_mmu_mair:	.quad	0	/* MAIR_ELx */
hd_mmu_pa_range: .quad	0	/* the ID_AA64MMFR0_EL1.PARange the tables' IPS/PS needs */
hd_mmu_tables:	.quad	0	/* where the tables lie (invalidated before use) */
hd_mmu_tables_size: .quad 0
/* Results, for tests and reports: zero until the stub writes them. */
hd_check_sctlr:	.quad	0	/* SCTLR_ELx read back with the MMU on (0: the check ran with it off) */
hd_check_el:	.quad	0	/* CurrentEL then */
hd_check_ttbr:	.quad	0	/* the table root it installed: hd_mmu_ttbr, or hd_mmu_ttbr_el2 at EL2 with E2H = 0 */
hd_check_ticks:	.quad	0	/* CNTVCT_EL0 ticks the whole check took */
hd_check_freq:	.quad	0	/* CNTFRQ_EL0 */
	ARM64_VERIFY_DATA
hd_end:
	ARM64_VERIFY_SCRATCH
.Lstub_end:
