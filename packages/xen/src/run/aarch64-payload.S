// handoff's AArch64 dom0 payload for `handoff xen run`: an arm64 Linux Image
// (Xen's dom0 loader takes that form) whose code runs a table of hypercalls.
// The host appends the data block at image offset 0x1000 (see data-block.ts):
//   0x00 nonce[16]  0x10 base (written here: the block's address)
//   0x18 frame bias (address - bias = guest-physical; 0 on Arm, dom0 is 1:1)
//   0x20 call count 0x28 call table offset 0x30 reloc count 0x38 reloc offset
// A reloc is a block offset | kind << 62: kind 0 adds the block's address to
// the 64-bit word there, kind 1 adds its first frame number.
// A call entry is 8 words: nr, a0..a4, result (written), done (written 1).
// Xen enters with the MMU off at EL1: every access here is aligned.
        .text
        .globl _start
_start:
image:
        b       entry                   // code0
        .long   0                       // code1
        .quad   0                       // text_offset: Xen loads the image at the start of dom0's first bank
        .quad   0                       // image_size 0: the file size is used
        .quad   0                       // flags
        .quad   0, 0, 0                 // res2..res4
        .long   0x644d5241              // magic "ARM\x64" (offset 0x38)
        .long   0
entry:
        adr     x19, image
        add     x19, x19, #0x1000
        str     x19, [x19, #0x10]
        ldr     x9, [x19, #0x18]
        sub     x24, x19, x9
        lsr     x24, x24, #12           // first frame of the block
        ldr     x20, [x19, #0x30]
        ldr     x21, [x19, #0x38]
        add     x21, x19, x21
reloc:  cbz     x20, calls
        ldr     x22, [x21], #8
        lsr     x23, x22, #62
        and     x22, x22, #0x3fffffffffffffff
        ldr     x25, [x19, x22]
        add     x25, x25, x19
        cbz     x23, 1f
        sub     x25, x25, x19
        add     x25, x25, x24
1:      str     x25, [x19, x22]
        sub     x20, x20, #1
        b       reloc
calls:  ldr     x20, [x19, #0x20]
        ldr     x21, [x19, #0x28]
        add     x21, x19, x21
next:   cbz     x20, idle
        ldr     x16, [x21]
        ldp     x0, x1, [x21, #8]
        ldp     x2, x3, [x21, #24]
        ldr     x4, [x21, #40]
        hvc     #0xea1
        str     x0, [x21, #48]
        mov     x9, #1
        str     x9, [x21, #56]
        add     x21, x21, #64
        sub     x20, x20, #1
        b       next
        // The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle:   wfi
        b       idle
