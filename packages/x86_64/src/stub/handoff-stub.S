/*
 * handoff Intel 64 hand-off stub (GNU as, AT&T syntax). Entered in 32-bit
 * protected mode with paging off and flat segments (the Xen PVH entry state,
 * docs/misc/pvh.pandoc), anywhere below 4 GiB; finds itself with call/pop.
 *   1. (32-bit) runs a kexec indirection list of 64-bit entries (page | flag:
 *      DESTINATION 0x1, INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at
 *      most hd_max_steps entries; an address above 4 GiB or a runaway list
 *      spins at hd_fail;
 *   2. (32-bit) checks every segment's SHA-256 (verify32.S; spins at
 *      hd_verify_fail on a mismatch),
 *   3. loads its GDT, then CR4 (PAE), CR3 (the planner's page tables), EFER
 *      (LME) and CR0 (PG) from the data block — SDM Vol. 3A §10.8.5
 *      "Initializing IA-32e Mode" — and far-returns into its 64-bit code segment;
 *   4. (64-bit) loads DS/ES/FS/GS/SS, TR, LDTR, IDTR, CR2, CR8, zeroes the
 *      FS/GS/KERNEL_GS bases, sets RFLAGS and every GPR from the data block,
 *      and jumps to the entry through a RIP-relative pointer.
 * Code refers to local labels only, so the object has no relocations.
 */
	.include "verify32.S"
	.text
	.code32
	.globl	_start
_start:
.Lbase:
	cli
	cld
	call	1f
1:	popl	%ebp
	subl	$(1b - .Lbase), %ebp
	leal	(.Lstack_top - .Lbase)(%ebp), %esp

	movl	(.Lhead - .Lbase)(%ebp), %eax	/* current entry, low half */
	movl	(.Lhead + 4 - .Lbase)(%ebp), %ecx
	xorl	%edx, %edx			/* next entry pointer */
	xorl	%edi, %edi			/* destination */
	movl	(.Lmax_steps - .Lbase)(%ebp), %ebx
.Lwalk:
	testl	%ecx, %ecx			/* an address above 4 GiB cannot be reached with paging off */
	jnz	.Lfail
	testl	%ebx, %ebx
	jz	.Lfail
	decl	%ebx
	testb	$0x4, %al			/* DONE */
	jnz	.Ldone
	movl	%eax, %esi
	andl	$~0xfff, %esi
	testb	$0x2, %al			/* INDIRECTION */
	jz	2f
	movl	%esi, %edx
	jmp	.Lnext
2:	testb	$0x1, %al			/* DESTINATION */
	jz	3f
	movl	%esi, %edi
	jmp	.Lnext
3:	testb	$0x8, %al			/* SOURCE */
	jz	4f
	movl	$1024, %ecx
	rep movsl
	jmp	.Lnext
4:	testb	$0x10, %al			/* ZERO */
	jz	.Lnext
	xorl	%eax, %eax
	movl	$1024, %ecx
	rep stosl
.Lnext:
	movl	(%edx), %eax
	movl	4(%edx), %ecx
	addl	$8, %edx
	jmp	.Lwalk

	.globl	hd_fail
hd_fail:
.Lfail:
	jmp	.Lfail

.Ldone:
	X86_VERIFY
	leal	(.Lgdt - .Lbase)(%ebp), %eax
	movl	%eax, (.Lgdtr - .Lbase + 2)(%ebp)
	lgdt	(.Lgdtr - .Lbase)(%ebp)
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
	 * kexec entry: Linux's relocate_kernel (6.1 arch/x86/kernel/
	 * relocate_kernel_64.S, identity_mapped) has copied every segment and
	 * returns here in 64-bit mode over the old kernel's identity map, GPRs
	 * zeroed: there is no list to walk. Load the GDT (a 10-byte operand built
	 * on the stack) and CR4, CR3, EFER, CR0 from the data block (PAE, LME and
	 * PG stay set, so this is legal in long mode), then far-return into .Llong
	 * as the 32-bit path does.
	 */
	.code64
	.globl	hd_entry64
hd_entry64:
	cli
	cld
	leaq	.Lstack_top(%rip), %rsp
	leaq	.Lgdt(%rip), %rax
	pushq	%rax
	pushw	.Lgdtr(%rip)
	lgdt	(%rsp)
	movq	.Lcr4(%rip), %rax
	movq	%rax, %cr4
	movq	.Lcr3(%rip), %rax
	movq	%rax, %cr3
	movl	$0xc0000080, %ecx
	movl	.Lefer(%rip), %eax
	andl	$~0x400, %eax
	movl	(.Lefer + 4)(%rip), %edx
	wrmsr
	movl	.Lcr0(%rip), %eax
	movq	%rax, %cr0
	movzwl	.Lcs(%rip), %eax
	pushq	%rax
	leaq	.Llong(%rip), %rax
	pushq	%rax
	lretq

.Llong:
	movw	.Lds(%rip), %ax
	movw	%ax, %ds
	movw	.Les(%rip), %ax
	movw	%ax, %es
	movw	.Lfs(%rip), %ax
	movw	%ax, %fs
	movw	.Lgs(%rip), %ax
	movw	%ax, %gs
	movw	.Lss(%rip), %ax
	movw	%ax, %ss
	movw	.Ltr(%rip), %ax
	testw	%ax, %ax
	jz	5f
	ltr	%ax
5:	movw	.Lldtr(%rip), %ax
	lldt	%ax
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
	movq	.Lrax(%rip), %rax
	movq	.Lrbx(%rip), %rbx
	movq	.Lrcx(%rip), %rcx
	movq	.Lrdx(%rip), %rdx
	movq	.Lrsi(%rip), %rsi
	movq	.Lrdi(%rip), %rdi
	movq	.Lrbp(%rip), %rbp
	movq	.Lr8(%rip), %r8
	movq	.Lr9(%rip), %r9
	movq	.Lr10(%rip), %r10
	movq	.Lr11(%rip), %r11
	movq	.Lr12(%rip), %r12
	movq	.Lr13(%rip), %r13
	movq	.Lr14(%rip), %r14
	movq	.Lr15(%rip), %r15
	jmp	*.Lrip(%rip)

	/* Data block (little-endian). */
	.balign	8, 0
	.globl	hd_data, hd_list_head, hd_max_steps, hd_cr0, hd_cr2, hd_cr3, hd_cr4, hd_efer, hd_rflags, hd_rip
	.globl	hd_rax, hd_rbx, hd_rcx, hd_rdx, hd_rsi, hd_rdi, hd_rbp, hd_rsp
	.globl	hd_r8, hd_r9, hd_r10, hd_r11, hd_r12, hd_r13, hd_r14, hd_r15
	.globl	hd_cs, hd_ds, hd_es, hd_fs, hd_gs, hd_ss, hd_tr, hd_ldtr, hd_idtr, hd_gdtr, hd_gdt, hd_gdt_end, hd_end
hd_data:
hd_list_head:
.Lhead:		.quad	0	/* first entry (normally list page | INDIRECTION) */
hd_cr3:
.Lcr3:		.quad	0	/* page-table root (must be below 4 GiB) */
hd_cr4:
.Lcr4:		.quad	0
hd_efer:
.Lefer:		.quad	0
hd_cr2:
.Lcr2:		.quad	0
hd_rflags:
.Lrflags:	.quad	0
hd_rip:
.Lrip:		.quad	0	/* entry */
hd_rax:
.Lrax:		.quad	0
hd_rbx:
.Lrbx:		.quad	0
hd_rcx:
.Lrcx:		.quad	0
hd_rdx:
.Lrdx:		.quad	0
hd_rsi:
.Lrsi:		.quad	0
hd_rdi:
.Lrdi:		.quad	0
hd_rbp:
.Lrbp:		.quad	0
hd_rsp:
.Lrsp:		.quad	0
hd_r8:
.Lr8:		.quad	0
hd_r9:
.Lr9:		.quad	0
hd_r10:
.Lr10:		.quad	0
hd_r11:
.Lr11:		.quad	0
hd_r12:
.Lr12:		.quad	0
hd_r13:
.Lr13:		.quad	0
hd_r14:
.Lr14:		.quad	0
hd_r15:
.Lr15:		.quad	0
hd_max_steps:
.Lmax_steps:	.long	0
hd_cr0:
.Lcr0:		.long	0
hd_cs:
.Lcs:		.word	0
hd_ds:
.Lds:		.word	0
hd_es:
.Les:		.word	0
hd_fs:
.Lfs:		.word	0
hd_gs:
.Lgs:		.word	0
hd_ss:
.Lss:		.word	0
hd_tr:
.Ltr:		.word	0
hd_ldtr:
.Lldtr:		.word	0
	.balign	8, 0
	.word	0, 0, 0
hd_idtr:
.Lidtr:		.word	0	/* limit */
		.quad	0	/* base (10-byte operand in 64-bit mode) */
	.word	0
hd_gdtr:
.Lgdtr:		.word	0	/* limit: planner; base: set at run time */
		.long	0
	.balign	8, 0
hd_gdt:
.Lgdt:		.fill	16, 8, 0
hd_gdt_end:
	.balign	16, 0
.Lstack:	.fill	16, 8, 0
.Lstack_top:
	X86_VERIFY_DATA
hd_end:
	X86_VERIFY_SCRATCH
