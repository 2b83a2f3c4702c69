/*
 * handoff PVH wrapper stub (GNU as, AT&T syntax): the code at the
 * XEN_ELFNOTE_PHYS32_ENTRY of a bzImage wrapped as a PVH ELF (`handoff wrap`).
 * A PVH loader enters it in 32-bit protected mode, paging off, flat segments,
 * %ebx = its hvm_start_info (xen docs/misc/pvh.pandoc, start_info.h). It
 *   1. checks magic 0x336ec578 and version >= 1 (version 1 adds the memory map);
 *   2. completes the boot_params page the wrapper made from the bzImage's setup
 *      header (Documentation/arch/x86/boot.rst): cmd_line_ptr = cmdline_paddr,
 *      initrd = module 0, acpi_rsdp_addr = rsdp_paddr, e820 = the memmap;
 *   3. corrects that e820: every ACPI table reachable from the RSDP (the RSDP,
 *      RSDT/XSDT, each table they list, the FADT's DSDT and FACS) is cut out of
 *      the RAM ranges and typed ACPI (3; the FACS NVS, 4), page-granular, so the
 *      kernel (its decompressor's KASLR included) never places itself on them;
 *   4. enters Linux: hd_cr3 zero -> the 32-bit boot protocol (CS 0x10 32-bit
 *      flat, DS/ES/SS 0x18, %esi = boot_params, %ebx %edi %ebp zero); else the
 *      64-bit one (CR3 = the wrapper's identity tables, PAE, EFER.LME, paging,
 *      CS 0x10 64-bit, %rsi = boot_params), at hd_entry.
 * Anything it cannot honour is one line on the UART at hd_serial_port
 * ("handoff pvh-wrap: ...") and a halt at hd_halt (interrupts off).
 * Code refers to local labels only, so the object has no relocations.
 */
	.include "handoff-common.S"

	/* hvm_start_info (start_info.h) */
	.set	SI_MAGIC, 0
	.set	SI_VERSION, 4
	.set	SI_NR_MODULES, 12
	.set	SI_MODLIST, 16
	.set	SI_CMDLINE, 24
	.set	SI_RSDP, 32
	.set	SI_MEMMAP, 40
	.set	SI_MEMMAP_ENTRIES, 48
	.set	MEMMAP_ENTRY, 24		/* hvm_memmap_table_entry: addr, size, type, reserved */
	/* boot_params (arch/x86/include/uapi/asm/bootparam.h) */
	.set	BP_ACPI_RSDP, 0x070
	.set	BP_EXT_RAMDISK_IMAGE, 0x0c0
	.set	BP_EXT_RAMDISK_SIZE, 0x0c4
	.set	BP_EXT_CMD_LINE_PTR, 0x0c8
	.set	BP_E820_ENTRIES, 0x1e8
	.set	BP_RAMDISK_IMAGE, 0x218
	.set	BP_RAMDISK_SIZE, 0x21c
	.set	BP_CMD_LINE_PTR, 0x228
	.set	BP_INITRD_ADDR_MAX, 0x22c
	.set	BP_XLOADFLAGS, 0x236
	.set	BP_E820_TABLE, 0x2d0
	.set	E820_ENTRY, 20
	.set	E820_MAX, 128			/* E820_MAX_ENTRIES_ZEROPAGE */
	.set	XLF_CAN_BE_LOADED_ABOVE_4G, 2
	.set	E820_RAM, 1
	.set	E820_ACPI, 3
	.set	E820_NVS, 4
	.set	ACPI_MAX_TABLES, 256		/* bound on RSDT/XSDT entries walked */
	.set	ACPI_MAX_LENGTH, 0x1000000	/* a table claiming more is refused */

	X86_START
	movl	%ebx, %esi
	leal	(.Lm_no_info - .Lbase)(%ebp), %eax
	testl	%esi, %esi
	jz	.Lfail
	leal	(.Lm_magic - .Lbase)(%ebp), %eax
	cmpl	$0x336ec578, SI_MAGIC(%esi)	/* XEN_HVM_START_MAGIC_VALUE */
	jne	.Lfail
	leal	(.Lm_version - .Lbase)(%ebp), %eax
	cmpl	$1, SI_VERSION(%esi)
	jb	.Lfail
	movl	%esi, (.Linfo - .Lbase)(%ebp)
	movl	(.Lzero_page - .Lbase)(%ebp), %edi

	/* Command line: cmdline_paddr as is (0 = none). */
	movl	SI_CMDLINE(%esi), %eax
	movl	SI_CMDLINE+4(%esi), %edx
	leal	(.Lm_cmdline_high - .Lbase)(%ebp), %ecx
	call	.Lcheck_low
	movl	%eax, BP_CMD_LINE_PTR(%edi)
	movl	%edx, BP_EXT_CMD_LINE_PTR(%edi)

	/* RSDP: acpi_rsdp_addr (boot protocol 2.14). */
	movl	SI_RSDP(%esi), %eax
	movl	%eax, BP_ACPI_RSDP(%edi)
	movl	SI_RSDP+4(%esi), %eax
	movl	%eax, BP_ACPI_RSDP+4(%edi)

	call	.Linitrd
	call	.Lmemmap
	call	.Lacpi
	jmp	.Lenter

/* %edx:%eax an address; unless the kernel has XLF_CAN_BE_LOADED_ABOVE_4G, %edx must be 0 (fail with message %ecx). */
.Lcheck_low:
	testl	%edx, %edx
	jz	1f
	testb	$XLF_CAN_BE_LOADED_ABOVE_4G, BP_XLOADFLAGS(%edi)
	jnz	1f
	movl	%ecx, %eax
	jmp	.Lfail
1:	ret

/* Module 0 of the modlist, when nr_modules > 0, becomes the initrd. */
.Linitrd:
	cmpl	$0, SI_NR_MODULES(%esi)
	je	9f
	leal	(.Lm_modlist - .Lbase)(%ebp), %eax
	cmpl	$0, SI_MODLIST+4(%esi)		/* paging off: the list must be below 4 GiB */
	jne	.Lfail
	movl	SI_MODLIST(%esi), %ebx
	testl	%ebx, %ebx
	jz	.Lfail
	movl	0(%ebx), %eax			/* paddr */
	movl	4(%ebx), %edx
	addl	8(%ebx), %eax			/* + size: the end, checked for wrap */
	adcl	12(%ebx), %edx
	jc	8f
	leal	(.Lm_initrd_high - .Lbase)(%ebp), %ecx
	call	.Lcheck_low
	testl	%edx, %edx
	jnz	2f
	testb	$XLF_CAN_BE_LOADED_ABOVE_4G, BP_XLOADFLAGS(%edi)
	jnz	2f
	decl	%eax				/* last byte at or below initrd_addr_max */
	cmpl	BP_INITRD_ADDR_MAX(%edi), %eax
	movl	%ecx, %eax
	ja	.Lfail
2:	movl	0(%ebx), %eax
	movl	%eax, BP_RAMDISK_IMAGE(%edi)
	movl	4(%ebx), %eax
	movl	%eax, BP_EXT_RAMDISK_IMAGE(%edi)
	movl	8(%ebx), %eax
	movl	%eax, BP_RAMDISK_SIZE(%edi)
	movl	12(%ebx), %eax
	movl	%eax, BP_EXT_RAMDISK_SIZE(%edi)
9:	ret
8:	leal	(.Lm_wrap - .Lbase)(%ebp), %eax
	jmp	.Lfail

/* The memmap, converted entry by entry to the zero page's e820 table. */
.Lmemmap:
	leal	(.Lm_memmap - .Lbase)(%ebp), %eax
	cmpl	$0, SI_MEMMAP+4(%esi)
	jne	.Lfail
	movl	SI_MEMMAP(%esi), %ebx
	testl	%ebx, %ebx
	jz	.Lfail
	movl	SI_MEMMAP_ENTRIES(%esi), %ecx
	testl	%ecx, %ecx
	jz	.Lfail
	leal	(.Lm_e820_full - .Lbase)(%ebp), %eax
	cmpl	$E820_MAX, %ecx
	ja	.Lfail
	movb	%cl, BP_E820_ENTRIES(%edi)
	leal	BP_E820_TABLE(%edi), %edx
1:	movl	8(%ebx), %eax			/* addr + size must not wrap */
	addl	0(%ebx), %eax
	movl	12(%ebx), %eax
	adcl	4(%ebx), %eax
	jc	8b
	.irp	at, 0, 4, 8, 12, 16		/* addr, size, type */
	movl	\at(%ebx), %eax
	movl	%eax, \at(%edx)
	.endr
	addl	$MEMMAP_ENTRY, %ebx
	addl	$E820_ENTRY, %edx
	loop	1b
	ret

/*
 * The ACPI walk (ACPI 6.5 §5.2.5 RSDP: signature "RSD PTR ", revision at 15,
 * RsdtAddress at 16, Length at 20, XsdtAddress at 24; §5.2.6 header: Length
 * at 4, entries from 36; §5.2.9 FADT: FIRMWARE_CTRL 36, DSDT 40,
 * X_FIRMWARE_CTRL 132, X_DSDT 140). rsdp_paddr 0 means no ACPI.
 */
.Lacpi:
	movl	(.Linfo - .Lbase)(%ebp), %esi
	movl	SI_RSDP(%esi), %ebx
	leal	(.Lm_acpi_high - .Lbase)(%ebp), %eax
	cmpl	$0, SI_RSDP+4(%esi)
	jne	.Lfail
	testl	%ebx, %ebx
	jz	9f
	leal	(.Lm_rsdp - .Lbase)(%ebp), %eax
	cmpl	$0x20445352, 0(%ebx)		/* "RSD " */
	jne	.Lfail
	cmpl	$0x20525450, 4(%ebx)		/* "PTR " */
	jne	.Lfail
	movl	$20, %ecx			/* revision 0: 20 bytes */
	cmpb	$2, 15(%ebx)
	jb	1f
	movl	20(%ebx), %ecx
	leal	(.Lm_acpi_length - .Lbase)(%ebp), %eax
	cmpl	$ACPI_MAX_LENGTH, %ecx
	ja	.Lfail
1:	movl	%ebx, %eax
	movl	$E820_ACPI, %edx
	call	.Lreserve
	/* XSDT (8-byte entries) when revision >= 2 and present, else RSDT (4-byte). */
	movl	$4, (.Lwidth - .Lbase)(%ebp)
	movl	16(%ebx), %eax
	cmpb	$2, 15(%ebx)
	jb	2f
	movl	24(%ebx), %ecx
	orl	28(%ebx), %ecx
	jz	2f
	movl	$8, (.Lwidth - .Lbase)(%ebp)
	movl	24(%ebx), %eax
	movl	28(%ebx), %edx
	call	.Lcheck_acpi_low
2:	testl	%eax, %eax
	jz	9f
	movl	%eax, %ebx
	movl	$E820_ACPI, %edx
	call	.Lreserve_table			/* %ecx = its length */
	subl	$36, %ecx
	jb	9f
	movl	%ecx, %eax
	xorl	%edx, %edx
	divl	(.Lwidth - .Lbase)(%ebp)
	movl	%eax, %ecx			/* entries */
	leal	(.Lm_acpi_many - .Lbase)(%ebp), %eax
	cmpl	$ACPI_MAX_TABLES, %ecx
	ja	.Lfail
	leal	36(%ebx), %esi
3:	testl	%ecx, %ecx
	jz	9f
	pushl	%ecx
	movl	(%esi), %eax
	xorl	%edx, %edx
	cmpl	$8, (.Lwidth - .Lbase)(%ebp)
	jne	4f
	movl	4(%esi), %edx
4:	addl	(.Lwidth - .Lbase)(%ebp), %esi
	call	.Lcheck_acpi_low
	call	.Lone_table
	popl	%ecx
	decl	%ecx
	jmp	3b
9:	ret

/* One table listed by the RSDT/XSDT at %eax (0: skip); a FADT's DSDT and FACS too. */
.Lone_table:
	testl	%eax, %eax
	jz	9f
	pushl	%esi
	movl	%eax, %ebx
	movl	$E820_ACPI, %edx
	call	.Lreserve_table
	cmpl	$0x50434146, 0(%ebx)		/* "FACP" */
	jne	8f
	movl	%ecx, %esi			/* FADT length decides which fields exist */
	cmpl	$44, %esi
	jb	8f
	pushl	%ebx
	movl	40(%ebx), %eax			/* DSDT */
	movl	$E820_ACPI, %edx
	call	.Lreserve_at
	movl	(%esp), %ebx
	movl	36(%ebx), %eax			/* FIRMWARE_CTRL: the FACS, NVS */
	movl	$E820_NVS, %edx
	call	.Lreserve_at
	movl	(%esp), %ebx
	cmpl	$148, %esi
	jb	7f
	movl	132(%ebx), %eax			/* X_FIRMWARE_CTRL */
	movl	136(%ebx), %edx
	call	.Lcheck_acpi_low
	movl	$E820_NVS, %edx
	call	.Lreserve_at
	movl	(%esp), %ebx
	movl	140(%ebx), %eax			/* X_DSDT */
	movl	144(%ebx), %edx
	call	.Lcheck_acpi_low
	movl	$E820_ACPI, %edx
	call	.Lreserve_at
7:	popl	%ebx
8:	popl	%esi
9:	ret

/* %edx (high half of an ACPI address) must be 0: paging is off. */
.Lcheck_acpi_low:
	testl	%edx, %edx
	jz	1f
	leal	(.Lm_acpi_high - .Lbase)(%ebp), %eax
	jmp	.Lfail
1:	ret

/* A table at %eax (0: skip) typed %edx. */
.Lreserve_at:
	testl	%eax, %eax
	jz	1f
	movl	%eax, %ebx
	call	.Lreserve_table
1:	ret

/* The table at %ebx, its Length at 4 (8..ACPI_MAX_LENGTH), typed %edx; returns %ecx = Length. */
.Lreserve_table:
	movl	4(%ebx), %ecx
	leal	(.Lm_acpi_length - .Lbase)(%ebp), %eax
	cmpl	$8, %ecx
	jb	.Lfail
	cmpl	$ACPI_MAX_LENGTH, %ecx
	ja	.Lfail
	movl	%ebx, %eax
	/* fall through */

/*
 * Cut [%eax, %eax + %ecx) rounded out to pages from every RAM entry of the
 * e820 and type it %edx: an entry it overlaps keeps its part below (or
 * becomes the cut part), the cut part and the part above are appended.
 * Preserves %ebx, %ecx, %esi.
 */
.Lreserve:
	pushl	%ebx
	pushl	%ecx
	pushl	%esi
	movl	%edx, (.Lcut_type - .Lbase)(%ebp)
	leal	0xfff(%eax, %ecx), %edx		/* end, rounded up */
	cmpl	%eax, %edx
	jb	.Lcross4g
	andl	$~0xfff, %edx
	jz	.Lcross4g
	andl	$~0xfff, %eax
	movl	%eax, (.Lcut_lo - .Lbase)(%ebp)
	movl	%edx, (.Lcut_hi - .Lbase)(%ebp)
	leal	BP_E820_TABLE(%edi), %esi
	xorl	%ecx, %ecx			/* entry index */
1:	movzbl	BP_E820_ENTRIES(%edi), %eax
	cmpl	%eax, %ecx
	jae	9f
	cmpl	$E820_RAM, 16(%esi)
	jne	8f
	cmpl	$0, 4(%esi)			/* starts at or above 4 GiB: above the cut */
	jne	8f
	movl	0(%esi), %eax			/* a */
	cmpl	(.Lcut_hi - .Lbase)(%ebp), %eax
	jae	8f
	movl	8(%esi), %ebx			/* %edx:%ebx = e = a + size */
	movl	12(%esi), %edx
	addl	%eax, %ebx
	adcl	$0, %edx
	jnz	2f
	cmpl	(.Lcut_lo - .Lbase)(%ebp), %ebx
	jbe	8f
2:	call	.Lsplit
8:	addl	$E820_ENTRY, %esi
	incl	%ecx
	jmp	1b
9:	popl	%esi
	popl	%ecx
	popl	%ebx
	ret
.Lcross4g:
	leal	(.Lm_acpi_high - .Lbase)(%ebp), %eax
	jmp	.Lfail

/* Split the RAM entry at %esi (a = %eax, e = %edx:%ebx) around [cut_lo, cut_hi). */
.Lsplit:
	pushl	%ecx
	movl	%edx, (.Le_hi - .Lbase)(%ebp)
	movl	%ebx, (.Le_lo - .Lbase)(%ebp)
	movl	(.Lcut_lo - .Lbase)(%ebp), %ecx	/* mid start = max(a, cut_lo) */
	cmpl	%ecx, %eax
	jbe	1f
	movl	%eax, %ecx
1:	movl	(.Lcut_hi - .Lbase)(%ebp), %ebx	/* mid end = min(e, cut_hi) */
	testl	%edx, %edx
	jnz	2f
	cmpl	(.Le_lo - .Lbase)(%ebp), %ebx
	jbe	2f
	movl	(.Le_lo - .Lbase)(%ebp), %ebx
2:	cmpl	%ecx, %eax			/* a < mid start: this entry keeps [a, mid start) */
	jae	3f
	subl	%eax, %ecx
	movl	%ecx, 8(%esi)
	movl	$0, 12(%esi)
	addl	%eax, %ecx
	pushl	%esi
	call	.Lappend			/* the cut part, at the end */
	popl	%esi
	jmp	4f
3:	call	.Lput_cut			/* the entry becomes the cut part */
4:	/* e > mid end: [mid end, e) stays RAM, appended */
	movl	(.Le_lo - .Lbase)(%ebp), %eax
	movl	(.Le_hi - .Lbase)(%ebp), %edx
	subl	%ebx, %eax
	sbbl	$0, %edx
	movl	%eax, %ecx
	orl	%edx, %ecx
	jz	5f
	pushl	%esi
	call	.Lnew_entry
	movl	%ebx, 0(%esi)
	movl	$0, 4(%esi)
	movl	%eax, 8(%esi)
	movl	%edx, 12(%esi)
	movl	$E820_RAM, 16(%esi)
	popl	%esi
5:	popl	%ecx
	ret

/* Append the cut part [%ecx, %ebx) typed cut_type. Preserves %eax. */
.Lappend:
	pushl	%eax
	call	.Lnew_entry
	call	.Lput_cut
	popl	%eax
	ret

/* Write the cut part [%ecx, %ebx) typed cut_type into the entry at %esi. Clobbers %eax. */
.Lput_cut:
	movl	%ecx, 0(%esi)
	movl	$0, 4(%esi)
	movl	%ebx, %eax
	subl	%ecx, %eax
	movl	%eax, 8(%esi)
	movl	$0, 12(%esi)
	movl	(.Lcut_type - .Lbase)(%ebp), %eax
	movl	%eax, 16(%esi)
	ret

/* %esi = a new entry at the end of the e820 table (fails when it is full). Preserves %eax. */
.Lnew_entry:
	pushl	%eax
	movzbl	BP_E820_ENTRIES(%edi), %eax
	cmpl	$E820_MAX, %eax
	jae	1f
	incb	BP_E820_ENTRIES(%edi)
	imull	$E820_ENTRY, %eax, %esi
	leal	BP_E820_TABLE(%edi, %esi), %esi
	popl	%eax
	ret
1:	leal	(.Lm_e820_full - .Lbase)(%ebp), %eax
	jmp	.Lfail

/* Enter Linux: its GDT (0x08 32-bit code for us, 0x10 __BOOT_CS, 0x18 __BOOT_DS). */
.Lenter:
	X86_LOAD_GDT32
	movl	$0x18, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	pushl	$0x08
	leal	(1f - .Lbase)(%ebp), %eax
	pushl	%eax
	lret
1:	movl	(.Lzero_page - .Lbase)(%ebp), %esi
	movl	(.Lcr3 - .Lbase)(%ebp), %eax
	testl	%eax, %eax
	jz	2f
	/* 64-bit boot protocol: long mode over the identity tables. */
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$0x20, %eax			/* CR4.PAE */
	movl	%eax, %cr4
	movl	$0xc0000080, %ecx		/* IA32_EFER.LME */
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax		/* CR0.PG | PE */
	movl	%eax, %cr0
	pushl	$0x10
	leal	(.Llong - .Lbase)(%ebp), %eax
	pushl	%eax
	lret
2:	/* 32-bit boot protocol. */
	pushl	$0x10
	pushl	(.Lentry - .Lbase)(%ebp)
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	lret

	.code64
.Llong:
	movl	.Lentry(%rip), %eax		/* 32-bit moves zero the upper halves */
	movl	.Lzero_page(%rip), %esi
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*%rax
	.code32

/* Print "handoff pvh-wrap: " and the message at %eax on the UART, then halt. */
.Lfail:
	movl	%eax, %ebx
	leal	(.Lm_prefix - .Lbase)(%ebp), %eax
	call	.Lputs
	movl	%ebx, %eax
	call	.Lputs
	leal	(.Lm_eol - .Lbase)(%ebp), %eax
	call	.Lputs
	.globl	hd_halt
hd_halt:
	cli
	hlt
	jmp	hd_halt

/* The NUL-terminated string at %eax, polling LSR.THRE (bounded) before each byte. */
.Lputs:
	movl	%eax, %esi
1:	movb	(%esi), %al
	testb	%al, %al
	jz	3f
	movw	(.Lserial_port - .Lbase)(%ebp), %dx
	addw	$5, %dx				/* line status register */
	movl	$100000, %ecx
2:	inb	%dx, %al
	testb	$0x20, %al
	jnz	4f
	loop	2b
4:	subw	$5, %dx
	movb	(%esi), %al
	outb	%al, %dx
	incl	%esi
	jmp	1b
3:	ret

.Lm_prefix:	.asciz	"handoff pvh-wrap: "
.Lm_eol:	.asciz	"\r\n"
.Lm_no_info:	.asciz	"no hvm_start_info (%ebx is 0)"
.Lm_magic:	.asciz	"hvm_start_info.magic is not 0x336ec578"
.Lm_version:	.asciz	"hvm_start_info.version is 0: version 1 (the memory map) is needed"
.Lm_cmdline_high: .asciz "cmdline_paddr is above 4 GiB and the kernel lacks XLF_CAN_BE_LOADED_ABOVE_4G"
.Lm_modlist:	.asciz	"nr_modules > 0 but modlist_paddr is 0 or above 4 GiB"
.Lm_initrd_high: .asciz	"module 0 (the initrd) ends above the kernel's initrd_addr_max"
.Lm_wrap:	.asciz	"a module or memory-map entry wraps past 2^64"
.Lm_memmap:	.asciz	"no memory map (memmap_paddr 0 or above 4 GiB, or memmap_entries 0)"
.Lm_e820_full:	.asciz	"the e820 table would exceed 128 entries"
.Lm_rsdp:	.asciz	"rsdp_paddr does not point at \"RSD PTR \""
.Lm_acpi_high:	.asciz	"an ACPI table lies at or above 4 GiB"
.Lm_acpi_length: .asciz	"an ACPI table's Length is below 8 or above 16 MiB"
.Lm_acpi_many:	.asciz	"the RSDT/XSDT lists more than 256 tables"

	/* Data block (little-endian): the wrapper fills the hd_ fields. */
	.balign	8, 0
	.globl	hd_data
hd_data:
	X86_FIELD zero_page, long	/* the boot_params page the wrapper made */
	X86_FIELD entry, long		/* Linux's entry: load address (32-bit) or + 0x200 (64-bit) */
	X86_FIELD cr3, long		/* identity tables for the 64-bit entry; 0: the 32-bit entry */
	X86_FIELD serial_port, word	/* UART for the one-line failure report */
	.balign	4, 0
.Linfo:		.long	0
.Lwidth:	.long	0
.Lcut_lo:	.long	0
.Lcut_hi:	.long	0
.Lcut_type:	.long	0
.Le_lo:		.long	0
.Le_hi:		.long	0
	.word	0
	.globl	hd_gdtr, hd_gdt, hd_gdt_end
hd_gdtr:
.Lgdtr:		.word	0	/* limit: the wrapper; base: set at run time */
		.long	0
	.balign	8, 0
hd_gdt:
.Lgdt:		.fill	4, 8, 0	/* null, 32-bit code, __BOOT_CS, __BOOT_DS: the wrapper fills them */
hd_gdt_end:
	.balign	16, 0
.Lstack:	.fill	256, 1, 0
.Lstack_top:
	.globl	hd_end
hd_end:
