/*
 * tiny: the smallest kernel that follows the Linux x86 boot protocol (2.15),
 * written for handoff's examples and tests. Both entry points print one line
 * and the kernel command line on COM1, then exit QEMU through isa-debug-exit
 * (if present) or halt.
 *
 * Layout (Linux Documentation/arch/x86/boot.rst, "The real-mode kernel header"):
 *   0x000  boot sector; setup header at 0x1f1
 *   0x400  protected-mode kernel: 32-bit entry at +0, 64-bit entry at +0x200
 * Built by build.sh with GNU as/ld into tiny-bzImage.
 */
#define COM1        0x3f8
#define DEBUG_EXIT  0xf4
#define BP_CMD_LINE_PTR     0x228   /* boot_params.hdr.cmd_line_ptr */
#define BP_EXT_CMD_LINE_PTR 0x0c8   /* boot_params.ext_cmd_line_ptr */

        .section .setup, "ax"
        .code16
        .org 0x1f1
setup_sects:            .byte 1
root_flags:             .word 0
syssize:                .long (pm_end - pm_start + 15) / 16
ram_size:               .word 0
vid_mode:               .word 0xffff
root_dev:               .word 0
boot_flag:              .word 0xaa55
        .org 0x200
jump:                   .byte 0xeb, real_mode_halt - 0x202
header:                 .ascii "HdrS"
version:                .word 0x020f
realmode_swtch:         .long 0
start_sys_seg:          .word 0x1000
kernel_version:         .word version_string - 0x200
type_of_loader:         .byte 0
loadflags:              .byte 0x01              /* LOADED_HIGH */
setup_move_size:        .word 0x8000
code32_start:           .long 0x100000
ramdisk_image:          .long 0
ramdisk_size:           .long 0
bootsect_kludge:        .long 0
heap_end_ptr:           .word 0
ext_loader_ver:         .byte 0
ext_loader_type:        .byte 0
cmd_line_ptr:           .long 0
initrd_addr_max:        .long 0x7fffffff
kernel_alignment:       .long 0x200000
relocatable_kernel:     .byte 1
min_alignment:          .byte 21
xloadflags:             .word 0x0003            /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
cmdline_size:           .long 2047
hardware_subarch:       .long 0
hardware_subarch_data:  .quad 0
payload_offset:         .long 0
payload_length:         .long 0
setup_data:             .quad 0
pref_address:           .quad 0x1000000
init_size:              .long 0x10000
handover_offset:        .long 0
kernel_info_offset:     .long 0
real_mode_halt:
        cli
1:      hlt
        jmp 1b
version_string:         .asciz "tiny 1.0 (handoff example)"
        .org 0x400

        .section .pm, "ax"
pm_start:
/* 32-bit entry: protected mode, paging off, %esi = boot_params. */
        .code32
entry32:
        call 1f
1:      popl %ebp                           /* %ebp = address of 1b: position independence */
        leal (msg32 - 1b)(%ebp), %ebx
        call puts32
        movl BP_CMD_LINE_PTR(%esi), %ebx
        call puts32
        movb $'\n', %al
        call putc32
        jmp exit32
puts32:                                     /* %ebx = NUL-terminated string */
        movb (%ebx), %al
        testb %al, %al
        jz 2f
        call putc32
        incl %ebx
        jmp puts32
2:      ret
putc32:
        movb %al, %ah
        movw $COM1 + 5, %dx
3:      inb %dx, %al
        testb $0x20, %al                    /* LSR.THRE */
        jz 3b
        movb %ah, %al
        movw $COM1, %dx
        outb %al, %dx
        ret
exit32:
        movb $0x31, %al
        outb %al, $DEBUG_EXIT
        cli
4:      hlt
        jmp 4b
msg32:  .asciz "tiny: 32-bit entry, cmdline: "

        .org 0x200
/* 64-bit entry: long mode, identity paging, %rsi = boot_params. No stack is promised, so no calls. */
        .code64
entry64:
        leaq msg64(%rip), %rbx
        xorl %ecx, %ecx                     /* 0: message, 1: command line, 2: done */
next64:
        movb (%rbx), %al
        testb %al, %al
        jz end64
        movb %al, %ah
        movw $COM1 + 5, %dx
5:      inb %dx, %al
        testb $0x20, %al
        jz 5b
        movb %ah, %al
        movw $COM1, %dx
        outb %al, %dx
        incq %rbx
        jmp next64
end64:
        incl %ecx
        cmpl $1, %ecx
        jne 6f
        movl BP_CMD_LINE_PTR(%rsi), %ebx    /* 64-bit pointer: ext_cmd_line_ptr:cmd_line_ptr */
        movl BP_EXT_CMD_LINE_PTR(%rsi), %eax
        shlq $32, %rax
        orq %rax, %rbx
        jmp next64
6:      cmpl $2, %ecx
        jne 7f
        leaq newline(%rip), %rbx
        jmp next64
7:      movb $0x31, %al
        outb %al, $DEBUG_EXIT
        cli
8:      hlt
        jmp 8b
msg64:  .asciz "tiny: 64-bit entry, cmdline: "
newline: .asciz "\n"
        .balign 16
pm_end:
