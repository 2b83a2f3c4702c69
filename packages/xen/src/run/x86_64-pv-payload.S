# handoff's x86_64 PV dom0 payload for `handoff xen run`: a whole ELF64
# executable (header, program headers and Xen notes written out here, so the
# flat bytes are the file) whose code runs a table of hypercalls with
# `syscall`. The host appends the data block at file offset 0x1000 and patches
# the PT_LOAD sizes (load_filesz, load_memsz) to cover it. The block header is
# the one data-block.ts describes (see aarch64-payload.S), plus:
#   0x40 offset of the frame table, 0x48 its length: the payload writes the
#        machine frame (MFN) of each block page there, for the host to read
#        the block back over QMP (a PV guest's pages are not machine-contiguous).
# A kind-1 reloc (a frame number) becomes an MFN through start_info's
# mfn_list: PV guests name frames by machine frame number.
# Xen's PV entry state (public/xen.h "Start-of-day memory layout"): the image
# mapped at its ELF addresses, %rsi = start_info's virtual address.
        .set    SI_MFN_LIST, 104        # offsetof(start_info_t, mfn_list), 64-bit guest
        .include "xen-pv-elf.inc"
        pv_image 2, 62, .quad, 64, 56, 64 # ELFCLASS64, EM_X86_64

        xen_notes .quad

        # A header's (count, block offset) pair: \n = the count, \p = the table's address.
        .macro  table count, at, n, p
        mov     \count(%rbx), \n
        mov     \at(%rbx), \p
        add     %rbx, \p
        .endm

entry:
        lea     image(%rip), %rbx
        add     $0x1000, %rbx           # %rbx: the data block
        mov     %rsi, %r14              # start_info
        mov     %rbx, 0x10(%rbx)
        mov     %rbx, %r12
        sub     0x18(%rbx), %r12
        shr     $12, %r12               # %r12: the block's first pseudo-physical frame
        mov     SI_MFN_LIST(%r14), %r13 # %r13: mfn_list[pfn] = mfn
        table   0x48, 0x40, %rdx, %rcx     # frame table (count 0: none)
        frame_table %r12, %r13, 8, %rdx, %rcx, %rax, %r8
relocs: table   0x30, 0x38, %rcx, %rdx
        jrcxz   calls
2:      mov     (%rdx), %rax
        add     $8, %rdx
        mov     %rax, %r8
        shr     $62, %r8                # kind
        shl     $2, %rax
        shr     $2, %rax                # block offset of the word
        mov     (%rbx,%rax), %r9
        test    %r8, %r8
        jnz     3f
        add     %rbx, %r9
        jmp     4f
3:      add     %r12, %r9
        mov     (%r13,%r9,8), %r9
4:      mov     %r9, (%rbx,%rax)
        loop    2b
calls:  table   0x20, 0x28, %r15, %rbp
5:      test    %r15, %r15
        jz      idle
        mov     (%rbp), %rax
        call_args64
        syscall                         # 64-bit PV hypercall: clobbers %rcx and %r11
        call_done64 5b
        # The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle:   pause
        jmp     idle
