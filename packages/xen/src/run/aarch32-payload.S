// handoff's AArch32 dom0 payload for `handoff xen run` (arm32 Xen, or arm64
// Xen running a 32-bit dom0): a zImage, the form Xen's dom0 loader takes for
// 32-bit kernels. Same data block as aarch64-payload.S at image offset 0x1000;
// words are read as their low halves (a 32-bit guest's values are 32 bits),
// results stored with a zero upper half. The host patches the zImage end
// field (0x2c) with the image size. Registers: r9 block, r10 its first
// frame, r5 count, r6 cursor; r0..r4 and r12 carry the hypercall.
        .arm
        .text
        .globl _start
_start:
image:
        .rept   8
        mov     r0, r0
        .endr
        b       entry                   // 0x20
        .word   0x016f2818              // 0x24: zImage magic
        .word   0                       // 0x28: start (position-independent)
        .word   0                       // 0x2c: end = image size (patched)
entry:
        adr     r9, image
        add     r9, r9, #0x1000
        ldr     r0, [r9, #0x18]         // frame bias
        str     r9, [r9, #0x10]         // mark the running copy
        sub     r10, r9, r0
        lsr     r10, r10, #12
        ldr     r5, [r9, #0x30]
        ldr     r6, [r9, #0x38]
        add     r6, r9, r6
reloc:  cmp     r5, #0
        beq     calls
        ldr     r0, [r6], #8            // offset (low word)
        ldr     r1, [r6, #-4]           // kind in bit 30 of the high word
        ldr     r2, [r9, r0]
        tst     r1, #0x40000000
        addeq   r2, r2, r9
        addne   r2, r2, r10
        str     r2, [r9, r0]
        sub     r5, r5, #1
        b       reloc
calls:  ldr     r5, [r9, #0x20]
        ldr     r6, [r9, #0x28]
        add     r6, r9, r6
next:   subs    r5, r5, #1
        bmi     idle
        ldr     r12, [r6]
        ldr     r0, [r6, #8]
        ldr     r1, [r6, #16]
        ldr     r2, [r6, #24]
        ldr     r3, [r6, #32]
        ldr     r4, [r6, #40]
        hvc     #0xea1
        mov     r1, #0                  // result: the 32-bit value, upper half zero
        strd    r0, r1, [r6, #48]
        mov     r2, #1                  // done = 1
        mov     r3, #0
        strd    r2, r3, [r6, #56]
        add     r6, r6, #64
        b       next
        // The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle:   wfi
        b       idle
