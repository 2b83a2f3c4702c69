/*
 * What the x86_32 (ia32-stub) and x86_64 hand-off stubs share, as GNU as
 * macros both assemble. Every macro refers to the including stub's local
 * labels: .Lbase (the stub's first byte), .Lstack_top, .Llist_head, .Lmax_steps,
 * .Ldone and the selector fields .Lds ... .Lldtr, so each stub stays free of
 * relocations.
 *
 *   X86_START              the stub's first byte: `_start` and .Lbase in
 *                          32-bit .text, then X86_FIND_SELF.
 *   X86_FIND_SELF          entered in 32-bit protected mode with paging off,
 *                          anywhere: interrupts off, DF clear, %ebp = the
 *                          run-time address of .Lbase (call/pop), %esp = the
 *                          stub's own stack.
 *   X86_WALK_LIST bytes    runs the kexec indirection list at .Llist_head whose
 *                          entries are `bytes` (4 or 8) wide: entry = page |
 *                          flag (DESTINATION 0x1, INDIRECTION 0x2, DONE 0x4,
 *                          SOURCE 0x8, ZERO 0x10; Linux include/linux/kexec.h),
 *                          at most .Lmax_steps entries; jumps to .Ldone at
 *                          DONE, spins at hd_fail on a runaway list or (8-byte
 *                          entries) an address above 4 GiB, which paging-off
 *                          code cannot reach. Defines hd_fail.
 *   X86_LOAD_SELECTORS at  loads DS, ES, FS, GS, SS, then TR (unless null) and
 *                          LDTR from the data block; `at` completes each
 *                          field's address: -.Lbase(%ebp) in 32-bit code,
 *                          (%rip) in 64-bit code. Clobbers %ax.
 *   X86_LOAD_GDT32         (32-bit code) points the GDTR's base at the
 *                          run-time address of the GDT and loads it.
 *   X86_LOAD_GDT64         (64-bit code, kexec entry) takes the stub's stack
 *                          and loads the GDT through a 10-byte operand built
 *                          on it. Clobbers %rax.
 *   X86_LRET64 target      (64-bit code) far-returns to .Lcs:target (the
 *                          lretq frame: RIP, then CS). Clobbers %rax.
 *   X86_FIELD name, kind   one data-block field: global hd_<name> and local
 *                          .L<name>, a zero `.kind` (long, quad, word) the
 *                          planner fills.
 *   X86_DESCRIPTOR_TABLES base
 *                          the IDTR (limit and a `.base`-sized base: long in
 *                          32-bit code, quad in 64-bit), the GDTR (limit from
 *                          the planner, base set at run time) and a 16-entry
 *                          GDT the planner fills; the caller aligns the IDTR's
 *                          base.
 *   X86_DATA_TAIL stack    the stub's own stack of `stack` bytes (PVH gives
 *                          none), the segment-check table and hd_end, then
 *                          the check's scratch page (verify32.S).
 */

.macro	X86_START
	.text
	.code32
	.globl	_start
_start:
.Lbase:
	X86_FIND_SELF
.endm

.macro	X86_FIND_SELF
	cli
	cld
	call	1f
1:	popl	%ebp
	subl	$(1b - .Lbase), %ebp		/* %ebp = address of .Lbase */
	leal	(.Lstack_top - .Lbase)(%ebp), %esp
.endm

.macro	X86_WALK_LIST bytes
	movl	(.Llist_head - .Lbase)(%ebp), %eax	/* current entry (low half) */
.if \bytes == 8
	movl	(.Llist_head + 4 - .Lbase)(%ebp), %ecx
.endif
	xorl	%edx, %edx			/* next entry pointer */
	xorl	%edi, %edi			/* destination */
	movl	(.Lmax_steps - .Lbase)(%ebp), %ebx
.Lwalk:
.if \bytes == 8
	testl	%ecx, %ecx			/* an address above 4 GiB cannot be reached with paging off */
	jnz	.Lfail
.endif
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
.if \bytes == 8
	movl	4(%edx), %ecx
.endif
	addl	$\bytes, %edx
	jmp	.Lwalk

	.globl	hd_fail
hd_fail:
.Lfail:
	jmp	.Lfail
.endm

.macro	X86_LOAD_SELECTORS at
	movw	.Lds\at, %ax
	movw	%ax, %ds
	movw	.Les\at, %ax
	movw	%ax, %es
	movw	.Lfs\at, %ax
	movw	%ax, %fs
	movw	.Lgs\at, %ax
	movw	%ax, %gs
	movw	.Lss\at, %ax
	movw	%ax, %ss
	movw	.Ltr\at, %ax
	testw	%ax, %ax			/* a null TR cannot be loaded */
	jz	5f
	ltr	%ax
5:	movw	.Lldtr\at, %ax
	lldt	%ax
.endm

.macro	X86_FIELD name, kind
	.globl	hd_\name
hd_\name:
.L\name:	.\kind	0
.endm

.macro	X86_LOAD_GDT32
	leal	(.Lgdt - .Lbase)(%ebp), %eax
	movl	%eax, (.Lgdtr - .Lbase + 2)(%ebp)
	lgdt	(.Lgdtr - .Lbase)(%ebp)
.endm

.macro	X86_LOAD_GDT64
	leaq	.Lstack_top(%rip), %rsp
	leaq	.Lgdt(%rip), %rax
	pushq	%rax
	pushw	.Lgdtr(%rip)
	lgdt	(%rsp)
.endm

.macro	X86_LRET64 target
	movzwl	.Lcs(%rip), %eax
	pushq	%rax
	leaq	\target(%rip), %rax
	pushq	%rax
	lretq
.endm

.macro	X86_DESCRIPTOR_TABLES base
	.globl	hd_idtr, hd_gdtr, hd_gdt, hd_gdt_end
hd_idtr:
.Lidtr:		.word	0	/* limit */
		.\base	0	/* base */
	.word	0
hd_gdtr:
.Lgdtr:		.word	0	/* limit: planner; base: set at run time */
		.long	0
	.balign	8, 0
hd_gdt:
.Lgdt:		.fill	16, 8, 0	/* GDT, filled by the planner */
hd_gdt_end:
.endm

.macro	X86_DATA_TAIL stack
	.balign	16, 0
.Lstack:	.fill	\stack, 1, 0
.Lstack_top:
	X86_VERIFY_DATA
	.globl	hd_end
hd_end:
	X86_VERIFY_SCRATCH
.endm
