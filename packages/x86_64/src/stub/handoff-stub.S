/*
 * handoff Intel 64 hand-off stub (GNU as, AT&T syntax). Entered in 32-bit
 * protected mode with paging off and flat segments (the Xen PVH entry state,
 * docs/misc/pvh.pandoc), anywhere below 4 GiB; finds itself with call/pop.
 *   1. (32-bit) runs a kexec indirection list of 64-bit entries (page | flag:
 *      DESTINATION 0x1, INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at
 *      most hd_max_steps entries; an address above 4 GiB or a runaway list
 *      spins at hd_fail;
 *   2. (32-bit) checks every segment's SHA-256 (verify32.S; spins at
 *      hd_verify_fail on a mismatch) — on the kexec entry too, in
 *      compatibility mode (see hd_entry64),
 *   3. loads its GDT, then CR4 (PAE), CR3 (the planner's page tables), EFER
 *      (LME) and CR0 (PG) from the data block — SDM Vol. 3A §10.8.5
 *      "Initializing IA-32e Mode" — and far-returns into its 64-bit code segment
 *      (the kexec entry first leaves IA-32e mode, see hd_entry64);
 *   4. (64-bit) loads DS/ES/FS/GS/SS, TR, LDTR, IDTR, CR2, CR8, zeroes the
 *      FS/GS/KERNEL_GS bases, sets RFLAGS and every GPR from the data block,
 *      and jumps to the entry through a RIP-relative pointer.
 * Code refers to local labels only, so the object has no relocations.
 */
	.include "verify32.S"
	.include "handoff-common.S"
	X86_START
	X86_WALK_LIST 8

.Ldone:
	call	.Lcheck
.Lenter_ia32e:
	X86_LOAD_GDT32
	movl	(.Lcr4 - .Lbase)(%ebp), %eax
	movl	%eax, %cr4
	movl	(.Lcr3 - .Lbase)(%ebp), %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* IA32_EFER; LMA (bit 10) is set by the CPU, not written */
	movl	(.Lefer - .Lbase)(%ebp), %eax
	andl	$~0x400, %eax
	movl	(.Lefer + 4 - .Lbase)(%ebp), %edx
	wrmsr
	movl	(.Lcr0 - .Lbase)(%ebp), %eax
	movl	%eax, %cr0			/* paging on: IA-32e mode, compatibility submode */
	movzwl	(.Lcs - .Lbase)(%ebp), %eax
	pushl	%eax
	leal	(.Llong - .Lbase)(%ebp), %eax
	pushl	%eax
	lret

	/*
	 * The segment check as a 32-bit subroutine, for both entries: protected
	 * mode with paging off (PVH) and compatibility mode (kexec). %ebp = .Lbase;
	 * returns when every region matches (X86_VERIFY restores %esp), spins at
	 * hd_verify_fail otherwise.
	 */
.Lcheck:
	X86_VERIFY
	ret

	/*
	 * kexec entry: Linux's relocate_kernel (6.1 arch/x86/kernel/
	 * relocate_kernel_64.S, identity_mapped) has copied every segment and
	 * returns here in 64-bit mode over the old kernel's identity map, GPRs
	 * zeroed: there is no list to walk. First the segment check: its code is
	 * 32-bit, so far-return into compatibility mode through a GDT of the
	 * check's own (the planned GDT promises the kernel no 32-bit code
	 * segment), still over the old kernel's identity map (6.1
	 * machine_kexec_64.c init_pgtable: every RAM range, writable, executable),
	 * and call .Lcheck. Then leave IA-32e mode and enter it again as the PVH
	 * path does: the old kernel may run 5-level paging (relocate_kernel keeps
	 * CR4.LA57), and LA57 changes only with paging off (a MOV to CR4 clearing
	 * it in IA-32e mode is a #GP, SDM Vol. 3A 2.5). Clearing CR0.PG is legal
	 * in compatibility mode once CR4.PCIDE is clear (Vol. 3A 10.8.5.4); this
	 * code is identity mapped, so it carries on at the same address in
	 * protected mode with paging off.
	 */
	.set	CHECK_CS32, 0x08		/* selectors of .Lcheck_gdt */
	.set	CHECK_DS, 0x10
	.code64
	.globl	hd_entry64
hd_entry64:
	cli
	cld
	leaq	.Lstack_top(%rip), %rsp
	leaq	.Lcheck_gdt(%rip), %rax
	pushq	%rax
	pushw	$(.Lcheck_gdt_end - .Lcheck_gdt - 1)
	lgdt	(%rsp)
	pushq	$CHECK_CS32
	leaq	.Lcompat(%rip), %rax
	pushq	%rax
	lretq
	.code32
.Lcompat:
	movl	$CHECK_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	call	1f
1:	popl	%ebp
	subl	$(1b - .Lbase), %ebp
	leal	(.Lstack_top - .Lbase)(%ebp), %esp
	call	.Lcheck
	movl	%cr4, %eax
	andl	$~0x20000, %eax			/* PCIDE */
	movl	%eax, %cr4
	movl	%cr0, %eax
	andl	$0x7fffffff, %eax		/* PG: IA-32e mode off (EFER.LMA clears) */
	movl	%eax, %cr0
	jmp	.Lenter_ia32e
	.code64

.Llong:
	X86_LOAD_SELECTORS (%rip)
	lidt	.Lidtr(%rip)
	movq	.Lcr2(%rip), %rax
	movq	%rax, %cr2
	xorl	%eax, %eax
	movq	%rax, %cr8
	xorl	%edx, %edx
	movl	$0xc0000100, %ecx		/* IA32_FS_BASE, IA32_GS_BASE, IA32_KERNEL_GS_BASE */
	wrmsr
	incl	%ecx
	wrmsr
	incl	%ecx
	wrmsr
	leaq	.Lstack_top(%rip), %rsp
	pushq	.Lrflags(%rip)
	popfq
	movq	.Lrsp(%rip), %rsp
	.irp	reg, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	movq	.L\reg(%rip), %\reg
	.endr
	jmp	*.Lrip(%rip)

	/* The check's GDT: null, flat 32-bit code, flat data (SDM Vol. 3A 3.4.5; accessed bits preset). */
	.balign	8, 0
.Lcheck_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
.Lcheck_gdt_end:

	/* Data block (little-endian). */
	.balign	8, 0
	.globl	hd_data
hd_data:
	X86_FIELD list_head, quad	/* first entry (normally list page | INDIRECTION) */
	X86_FIELD cr3, quad		/* page-table root (must be below 4 GiB) */
	X86_FIELD cr4, quad
	X86_FIELD efer, quad
	X86_FIELD cr2, quad
	X86_FIELD rflags, quad
	X86_FIELD rip, quad		/* entry */
	.irp	name, rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15
	X86_FIELD \name, quad
	.endr
	X86_FIELD max_steps, long
	X86_FIELD cr0, long
	.irp	name, cs, ds, es, fs, gs, ss, tr, ldtr
	X86_FIELD \name, word
	.endr
	.balign	8, 0
	.word	0, 0, 0
	X86_DESCRIPTOR_TABLES quad	/* the 10-byte IDTR operand of 64-bit mode */
	X86_DATA_TAIL 128
