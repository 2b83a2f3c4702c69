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
 * After 2, when hd_rsdp_dst is not zero and the loader that entered the stub
 * passed an hvm_start_info in %ebx (magic 0x336ec578, xen start_info.h), its
 * rsdp_paddr (offset 32, 8 bytes) is copied to hd_rsdp_dst: where the firmware
 * put the RSDP is known only at run time, and the PVH loader found it (after
 * the check: the planned start info, rsdp_paddr 0, is what was hashed).
 * Code refers to local labels only, so the object has no relocations.
 */
	.include "verify32.S"
	.include "handoff-common.S"
	X86_START
	movl	%ebx, (.Lloader_info - .Lbase)(%ebp)	/* the loader's hvm_start_info, if any */
	X86_WALK_LIST 4

.Ldone:
	X86_VERIFY
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
	X86_LOAD_GDT32
	lidt	(.Lidtr - .Lbase)(%ebp)
	movl	(.Lcr0 - .Lbase)(%ebp), %eax
	movl	%eax, %cr0
	movl	(.Lcr3 - .Lbase)(%ebp), %eax
	movl	%eax, %cr3
	movl	(.Lcr4 - .Lbase)(%ebp), %eax
	movl	%eax, %cr4
	movl	(.Lcr2 - .Lbase)(%ebp), %eax
	movl	%eax, %cr2
	X86_LOAD_SELECTORS -.Lbase(%ebp)
	pushl	(.Leflags - .Lbase)(%ebp)
	popfl
	movl	(.Lesp - .Lbase)(%ebp), %esp
	.irp	reg, eax, ebx, ecx, edx, esi, edi, ebp	/* %ebp last: it addresses the rest */
	movl	(.L\reg - .Lbase)(%ebp), %\reg
	.endr
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
	X86_LOAD_GDT64
	movw	.Lds(%rip), %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	.Lss(%rip), %ax
	movw	%ax, %ss
	movl	$0x20, %eax			/* CR4.PAE only */
	movq	%rax, %cr4
	X86_LRET64 .Lcompat
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
	.globl	hd_data
hd_data:
	X86_FIELD list_head, long	/* first entry (normally list page | INDIRECTION) */
	X86_FIELD max_steps, long
	X86_FIELD rsdp_dst, long	/* where to copy the loader's rsdp_paddr (0: do not) */
	X86_FIELD loader_info, long	/* %ebx at entry, saved by the stub */
	.irp	name, cr0, cr2, cr3, cr4, eflags, eax, ebx, ecx, edx, esi, edi, ebp, esp
	X86_FIELD \name, long
	.endr
	.irp	name, ds, es, fs, gs, ss, tr, ldtr
	X86_FIELD \name, word
	.endr
	.balign	4, 0
	.word	0
	X86_DESCRIPTOR_TABLES long
	X86_DATA_TAIL 256
