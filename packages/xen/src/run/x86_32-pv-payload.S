# handoff's 32-bit PV dom0 payload for `handoff xen run` on a Xen built with
# CONFIG_PV32: a whole ELF32 (i386) executable with Xen notes, PAE, whose
# code runs the same table of hypercalls as x86_64-pv-payload.S with
# `int $0x82` (eax = number, ebx, ecx, edx, esi, edi). Xen runs it through its
# compat layer: every call below takes the 32-bit layouts. The host appends
# the data block at file offset 0x1000 and patches the PT_LOAD sizes
# (load_filesz, load_memsz). Words of the block are read as their low halves;
# results are stored with a zero upper half. Frame-table entries and kind-1
# relocs become machine frames through start_info's mfn_list (4-byte entries
# for a 32-bit guest). Xen's PV entry state (public/xen.h "Start-of-day
# memory layout"): the image mapped at its ELF addresses, %esi = start_info's
# virtual address, %esp = the bootstrap stack.
        .code32
        .set    SI_MFN_LIST, 68         # offsetof(start_info_t, mfn_list), 32-bit guest
        .include "xen-pv-elf.inc"
        pv_image 1, 3, .long, 52, 32, 40 # ELFCLASS32, EM_386

        xen_notes .long, pae

entry:
        call    1f
1:      pop     %ebx
        sub     $(1b - image), %ebx
        add     $0x1000, %ebx           # %ebx: the data block
        mov     %ebx, 0x10(%ebx)
        mov     %ebx, %edi
        sub     0x18(%ebx), %edi
        shr     $12, %edi               # %edi: the block's first pseudo-physical frame
        mov     SI_MFN_LIST(%esi), %ebp # %ebp: mfn_list[pfn] = mfn
        mov     0x48(%ebx), %edx        # frame table: count (0: none), then its address
        mov     0x40(%ebx), %ecx
        add     %ebx, %ecx
        frame_table %edi, %ebp, 4, %edx, %ecx, %eax, %esi
relocs: mov     0x30(%ebx), %ecx
        mov     0x38(%ebx), %edx
        add     %ebx, %edx
        jecxz   calls
3:      mov     (%edx), %eax            # block offset of the word (low half)
        testl   $0x40000000, 4(%edx)    # kind: bit 62 of the entry
        lea     8(%edx), %edx
        jnz     4f
        add     %ebx, (%ebx,%eax)
        jmp     5f
4:      mov     (%ebx,%eax), %esi
        add     %edi, %esi
        mov     (%ebp,%esi,4), %esi
        mov     %esi, (%ebx,%eax)
5:      loop    3b
calls:  mov     0x20(%ebx), %ecx
        mov     0x28(%ebx), %ebp
        add     %ebx, %ebp              # %ebp: the call entry
6:      test    %ecx, %ecx
        jz      idle
        push    %ecx
        push    %ebp                    # %ebp is the sixth argument register: kept on the stack across the call
        mov     (%ebp), %eax
        call_args32
        int     $0x82                   # 32-bit PV hypercall
        call_done32 6b
        # The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle:   pause
        jmp     idle
