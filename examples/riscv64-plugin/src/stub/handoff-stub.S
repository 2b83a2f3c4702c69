/*
 * handoff RISC-V RV64 hand-off stub (GNU as, -march=rv64ima_zicsr_zifencei
 * -mno-relax). Entered in M-mode (QEMU -bios none), position-independent: it
 * finds its data block with AUIPC. It
 *   1. opens all of memory to S-mode with one PMP entry (pmpaddr0 = all ones,
 *      pmpcfg0 = NAPOT | R | W | X; Privileged ISA §3.7), since without a
 *      matching entry every S-mode access faults,
 *   2. runs a kexec indirection list (entry = page | flag: DESTINATION 0x1,
 *      INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at most
 *      hd_max_steps entries, spinning at hd_fail if the list does not end,
 *   3. FENCE.I (code was written with data stores),
 *   4. writes satp, stvec, sscratch, sepc, scause, stval, sie, sip and sstatus
 *      from the data block, sets mstatus.MPP = S and MPIE = 0, mepc = entry,
 *   5. loads x1..x31 from the data block (x31, the base, last) and MRETs into
 *      S-mode, so no register keeps a value of the stub's.
 * Code refers only to local labels, and -mno-relax lets the assembler resolve
 * label differences: a relocation would be silently dropped by objcopy. The
 * data block sits at the fixed offset HD_DATA (the assembler refuses to move
 * .org backwards if the code outgrows it), so its field offsets are constants
 * (RISC-V immediates cannot be forward label differences); they are checked
 * against the labels at the end.
 */
	.equ	HD_DATA, 0x200
	.equ	HD_LIST_HEAD, 0
	.equ	HD_MAX_STEPS, 8
	.equ	HD_ENTRY, 16
	.equ	HD_SATP, 24
	.equ	HD_STVEC, 32
	.equ	HD_SSCRATCH, 40
	.equ	HD_SEPC, 48
	.equ	HD_SCAUSE, 56
	.equ	HD_STVAL, 64
	.equ	HD_SIE, 72
	.equ	HD_SIP, 80
	.equ	HD_SSTATUS, 88
	.equ	HD_REGS, 96
	.text
	.globl	_start
_start:
1:	auipc	s0, 0
	addi	s0, s0, HD_DATA
	li	t0, -1
	csrw	pmpaddr0, t0
	li	t0, 0x1f		/* A = NAPOT (3 << 3) | X | W | R */
	csrw	pmpcfg0, t0
	csrw	satp, zero
	sfence.vma

	ld	a0, HD_LIST_HEAD(s0)	/* current entry */
	li	a1, 0			/* next entry pointer */
	li	a2, 0			/* destination */
	ld	t6, HD_MAX_STEPS(s0)
	li	t1, -4096
walk:
	beqz	t6, .Lfail
	addi	t6, t6, -1
	andi	t0, a0, 4		/* DONE */
	bnez	t0, done
	and	a3, a0, t1
	andi	t0, a0, 2		/* INDIRECTION: continue in that page */
	beqz	t0, 3f
	mv	a1, a3
	j	next
3:	andi	t0, a0, 1		/* DESTINATION */
	beqz	t0, 4f
	mv	a2, a3
	j	next
4:	andi	t0, a0, 8		/* SOURCE: one page to dest, dest += page */
	beqz	t0, 5f
	li	t2, 512
6:	ld	t3, 0(a3)
	sd	t3, 0(a2)
	addi	a3, a3, 8
	addi	a2, a2, 8
	addi	t2, t2, -1
	bnez	t2, 6b
	j	next
5:	andi	t0, a0, 16		/* ZERO: one zero page at dest, dest += page */
	beqz	t0, next
	li	t2, 512
7:	sd	zero, 0(a2)
	addi	a2, a2, 8
	addi	t2, t2, -1
	bnez	t2, 7b
next:
	ld	a0, 0(a1)
	addi	a1, a1, 8
	j	walk

	.globl	hd_fail
hd_fail:
.Lfail:
	j	.Lfail

done:
	fence.i
	ld	t0, HD_SATP(s0)
	csrw	satp, t0
	ld	t0, HD_STVEC(s0)
	csrw	stvec, t0
	ld	t0, HD_SSCRATCH(s0)
	csrw	sscratch, t0
	ld	t0, HD_SEPC(s0)
	csrw	sepc, t0
	ld	t0, HD_SCAUSE(s0)
	csrw	scause, t0
	ld	t0, HD_STVAL(s0)
	csrw	stval, t0
	ld	t0, HD_SIE(s0)
	csrw	sie, t0
	ld	t0, HD_SIP(s0)
	csrw	sip, t0
	ld	t0, HD_SSTATUS(s0)
	csrw	sstatus, t0
	sfence.vma
	li	t0, (3 << 11) | (1 << 7)	/* MPP and MPIE */
	csrc	mstatus, t0
	li	t0, (1 << 11)		/* MPP = S */
	csrs	mstatus, t0
	ld	t0, HD_ENTRY(s0)
	csrw	mepc, t0
	addi	x31, s0, HD_REGS
	ld	x1, 8(x31)
	ld	x2, 16(x31)
	ld	x3, 24(x31)
	ld	x4, 32(x31)
	ld	x5, 40(x31)
	ld	x6, 48(x31)
	ld	x7, 56(x31)
	ld	x8, 64(x31)
	ld	x9, 72(x31)
	ld	x10, 80(x31)
	ld	x11, 88(x31)
	ld	x12, 96(x31)
	ld	x13, 104(x31)
	ld	x14, 112(x31)
	ld	x15, 120(x31)
	ld	x16, 128(x31)
	ld	x17, 136(x31)
	ld	x18, 144(x31)
	ld	x19, 152(x31)
	ld	x20, 160(x31)
	ld	x21, 168(x31)
	ld	x22, 176(x31)
	ld	x23, 184(x31)
	ld	x24, 192(x31)
	ld	x25, 200(x31)
	ld	x26, 208(x31)
	ld	x27, 216(x31)
	ld	x28, 224(x31)
	ld	x29, 232(x31)
	ld	x30, 240(x31)
	ld	x31, 248(x31)
	mret

	/* Data block: filled by the planner (little-endian 64-bit words). */
	.org	HD_DATA
	.globl	hd_data, hd_list_head, hd_max_steps, hd_entry, hd_satp, hd_stvec, hd_sscratch, hd_sepc, hd_scause, hd_stval, hd_sie, hd_sip, hd_sstatus, hd_regs, hd_end
hd_data:
.Ldata:
hd_list_head:	.quad	0	/* first indirection-list entry (normally page | INDIRECTION) */
hd_max_steps:	.quad	0	/* bound on list entries walked */
hd_entry:	.quad	0	/* PC to enter at (mepc) */
hd_satp:	.quad	0
hd_stvec:	.quad	0
hd_sscratch:	.quad	0
hd_sepc:	.quad	0
hd_scause:	.quad	0
hd_stval:	.quad	0
hd_sie:		.quad	0
hd_sip:		.quad	0
hd_sstatus:	.quad	0
hd_regs:	.fill	32, 8, 0	/* x0 (unused: hardwired zero) .. x31 */
hd_end:
	.if	(hd_list_head - hd_data) != HD_LIST_HEAD
	.error	"HD_LIST_HEAD does not match the data block"
	.endif
	.if	(hd_max_steps - hd_data) != HD_MAX_STEPS
	.error	"HD_MAX_STEPS does not match the data block"
	.endif
	.if	(hd_entry - hd_data) != HD_ENTRY
	.error	"HD_ENTRY does not match the data block"
	.endif
	.if	(hd_satp - hd_data) != HD_SATP
	.error	"HD_SATP does not match the data block"
	.endif
	.if	(hd_stvec - hd_data) != HD_STVEC
	.error	"HD_STVEC does not match the data block"
	.endif
	.if	(hd_sscratch - hd_data) != HD_SSCRATCH
	.error	"HD_SSCRATCH does not match the data block"
	.endif
	.if	(hd_sepc - hd_data) != HD_SEPC
	.error	"HD_SEPC does not match the data block"
	.endif
	.if	(hd_scause - hd_data) != HD_SCAUSE
	.error	"HD_SCAUSE does not match the data block"
	.endif
	.if	(hd_stval - hd_data) != HD_STVAL
	.error	"HD_STVAL does not match the data block"
	.endif
	.if	(hd_sie - hd_data) != HD_SIE
	.error	"HD_SIE does not match the data block"
	.endif
	.if	(hd_sip - hd_data) != HD_SIP
	.error	"HD_SIP does not match the data block"
	.endif
	.if	(hd_sstatus - hd_data) != HD_SSTATUS
	.error	"HD_SSTATUS does not match the data block"
	.endif
	.if	(hd_regs - hd_data) != HD_REGS
	.error	"HD_REGS does not match the data block"
	.endif
