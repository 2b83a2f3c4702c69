/*
 * handoff IA-32 hand-off stub (GNU as, AT&T syntax). Entered in 32-bit
 * protected mode with paging off and flat segments (the Xen PVH entry state,
 * docs/misc/pvh.pandoc), anywhere in memory: it finds itself with call/pop.
 *   1. runs a kexec indirection list (entry = page | flag: DESTINATION 0x1,
 *      INDIRECTION 0x2, DONE 0x4, SOURCE 0x8, ZERO 0x10), at most hd_max_steps
 *      entries, spinning at hd_fail otherwise;
 *   2. checks every segment's SHA-256 (verify32.S; spins at hd_verify_fail
 *      on a mismatch),
 *   3. loads its GDT (filled by the planner) and a null IDT, writes CR0, CR3,
 *      CR4 and CR2 from the data block, loads DS/ES/FS/GS/SS, TR and LDTR;
 *   4. sets EFLAGS, then every GPR from the data block, and far-jumps to the
 *      entry with the planned CS (the ljmp immediates are data-block fields).
 * Before 2, when hd_rsdp_dst is not zero and the loader that entered the stub
 * passed an hvm_start_info in %ebx (magic 0x336ec578, xen start_info.h), its
 * rsdp_paddr (offset 32, 8 bytes) is copied to hd_rsdp_dst: where the firmware
 * put the RSDP is known only at run time, and the PVH loader found it.
 * Code refers to local labels only, so the object has no relocations.
 */
	.include "verify32.S"
	.code32
	.text
	.globl	_start
_start:
.Lbase:
	cli
	cld
	call	1f
1:	popl	%ebp
	subl	$(1b - .Lbase), %ebp		/* %ebp = address of .Lbase */
	leal	(.Lstack_top - .Lbase)(%ebp), %esp
	movl	%ebx, (.Lloader_info - .Lbase)(%ebp)	/* the loader's hvm_start_info, if any */

	movl	(.Lhead - .Lbase)(%ebp), %eax	/* current entry */
	xorl	%edx, %edx			/* next entry pointer */
	xorl	%edi, %edi			/* destination */
	movl	(.Lmax_steps - .Lbase)(%ebp), %ebx
.Lwalk:
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
3:	testb	$0x8, %al			/* SOURCE: esi -> edi, one page; edi advances */
	jz	4f
	movl	$1024, %ecx
	rep movsl
	jmp	.Lnext
4:	testb	$0x10, %al			/* ZERO: one page at edi; edi advances */
	jz	.Lnext
	xorl	%eax, %eax
	movl	$1024, %ecx
	rep stosl
.Lnext:
	movl	(%edx), %eax
	addl	$4, %edx
	jmp	.Lwalk

	.globl	hd_fail
hd_fail:
.Lfail:
	jmp	.Lfail

.Ldone:
	movl	(.Lrsdp_dst - .Lbase)(%ebp), %edi
	testl	%edi, %edi
	jz	6f
	movl	(.Lloader_info - .Lbase)(%ebp), %esi
	testl	%esi, %esi
	jz	6f
	cmpl	$0x336ec578, (%esi)		/* XEN_HVM_START_MAGIC_VALUE */
	jne	6f
	movl	32(%esi), %eax			/* rsdp_paddr, low and high halves */
	movl	%eax, (%edi)
	movl	36(%esi), %eax
	movl	%eax, 4(%edi)
6:
	X86_VERIFY
	/* GDTR base = runtime address of the GDT (position-independent). */
	leal	(.Lgdt - .Lbase)(%ebp), %eax
	movl	%eax, (.Lgdtr - .Lbase + 2)(%ebp)
	lgdt	(.Lgdtr - .Lbase)(%ebp)
	lidt	(.Lidtr - .Lbase)(%ebp)
	movl	(.Lcr0 - .Lbase)(%ebp), %eax
	movl	%eax, %cr0
	movl	(.Lcr3 - .Lbase)(%ebp), %eax
	movl	%eax, %cr3
	movl	(.Lcr4 - .Lbase)(%ebp), %eax
	movl	%eax, %cr4
	movl	(.Lcr2 - .Lbase)(%ebp), %eax
	movl	%eax, %cr2
	movw	(.Lds - .Lbase)(%ebp), %ax
	movw	%ax, %ds
	movw	(.Les - .Lbase)(%ebp), %ax
	movw	%ax, %es
	movw	(.Lfs - .Lbase)(%ebp), %ax
	movw	%ax, %fs
	movw	(.Lgs - .Lbase)(%ebp), %ax
	movw	%ax, %gs
	movw	(.Lss - .Lbase)(%ebp), %ax
	movw	%ax, %ss
	movw	(.Ltr - .Lbase)(%ebp), %ax
	testw	%ax, %ax
	jz	5f
	ltr	%ax
5:	movw	(.Lldtr - .Lbase)(%ebp), %ax
	lldt	%ax
	pushl	(.Leflags - .Lbase)(%ebp)
	popfl
	movl	(.Lesp - .Lbase)(%ebp), %esp
	movl	(.Leax - .Lbase)(%ebp), %eax
	movl	(.Lebx - .Lbase)(%ebp), %ebx
	movl	(.Lecx - .Lbase)(%ebp), %ecx
	movl	(.Ledx - .Lbase)(%ebp), %edx
	movl	(.Lesi - .Lbase)(%ebp), %esi
	movl	(.Ledi - .Lbase)(%ebp), %edi
	movl	(.Lebp - .Lbase)(%ebp), %ebp
	.byte	0xea				/* ljmp ptr16:32 */
	.globl	hd_entry, hd_cs
hd_entry:	.long	0
hd_cs:
.Lcs:		.word	0

	/*
	 * kexec entry from a 64-bit kernel: Linux's relocate_kernel (6.1
	 * arch/x86/kernel/relocate_kernel_64.S) has copied the segments and returns
	 * here in 64-bit mode over its identity map. Load this stub's GDT and its
	 * flat data segments, drop CR4 to PAE alone (PCIDE must be clear before
	 * paging goes off), far-return into its 32-bit code segment (compatibility
	 * mode), turn paging off and then EFER.LME (SDM Vol. 3A 10.8.5.4
	 * "Switching Out of IA-32e Mode Operation") and carry on at _start as if
	 * entered in 32-bit protected mode with paging off.
	 */
	.code64
	.globl	hd_entry64
hd_entry64:
	cli
	leaq	.Lstack_top(%rip), %rsp
	leaq	.Lgdt(%rip), %rax
	pushq	%rax
	pushw	.Lgdtr(%rip)
	lgdt	(%rsp)
	movw	.Lds(%rip), %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	.Lss(%rip), %ax
	movw	%ax, %ss
	movl	$0x20, %eax			/* CR4.PAE only */
	movq	%rax, %cr4
	movzwl	.Lcs(%rip), %eax
	pushq	%rax
	leaq	.Lcompat(%rip), %rax
	pushq	%rax
	lretq
	.code32
.Lcompat:
	movl	%cr0, %eax
	andl	$0x7fffffff, %eax		/* CR0.PG off: legacy protected mode */
	movl	%eax, %cr0
	movl	$0xc0000080, %ecx		/* IA32_EFER.LME off */
	rdmsr
	andl	$~0x100, %eax
	wrmsr
	jmp	.Lbase

	/* Data block (little-endian). */
	.balign	8, 0
	.globl	hd_data, hd_list_head, hd_max_steps, hd_rsdp_dst, hd_loader_info, hd_cr0, hd_cr2, hd_cr3, hd_cr4, hd_eflags
	.globl	hd_eax, hd_ebx, hd_ecx, hd_edx, hd_esi, hd_edi, hd_ebp, hd_esp
	.globl	hd_ds, hd_es, hd_fs, hd_gs, hd_ss, hd_tr, hd_ldtr, hd_idtr, hd_gdtr, hd_gdt, hd_gdt_end, hd_end
hd_data:
hd_list_head:
.Lhead:		.long	0	/* first entry (normally list page | INDIRECTION) */
hd_max_steps:
.Lmax_steps:	.long	0
hd_rsdp_dst:
.Lrsdp_dst:	.long	0	/* where to copy the loader's rsdp_paddr (0: do not) */
hd_loader_info:
.Lloader_info:	.long	0	/* %ebx at entry, saved by the stub */
hd_cr0:
.Lcr0:		.long	0
hd_cr2:
.Lcr2:		.long	0
hd_cr3:
.Lcr3:		.long	0
hd_cr4:
.Lcr4:		.long	0
hd_eflags:
.Leflags:	.long	0
hd_eax:
.Leax:		.long	0
hd_ebx:
.Lebx:		.long	0
hd_ecx:
.Lecx:		.long	0
hd_edx:
.Ledx:		.long	0
hd_esi:
.Lesi:		.long	0
hd_edi:
.Ledi:		.long	0
hd_ebp:
.Lebp:		.long	0
hd_esp:
.Lesp:		.long	0
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
	.balign	4, 0
	.word	0
hd_idtr:
.Lidtr:		.word	0	/* limit */
		.long	0	/* base */
	.word	0
hd_gdtr:
.Lgdtr:		.word	0	/* limit: planner; base: set at run time */
		.long	0
	.balign	8, 0
hd_gdt:
.Lgdt:		.fill	16, 8, 0	/* GDT, filled by the planner */
hd_gdt_end:
	.balign	16, 0
.Lstack:	.fill	64, 4, 0	/* the stub's own stack: PVH gives none */
.Lstack_top:
	X86_VERIFY_DATA
hd_end:
	X86_VERIFY_SCRATCH
