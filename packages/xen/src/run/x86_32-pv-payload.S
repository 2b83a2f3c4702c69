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
        .text
        .globl _start
        .set    LOAD, 0x400000          # virtual = pseudo-physical address of the image (VIRT_BASE 0)
        .set    SI_MFN_LIST, 68         # offsetof(start_info_t, mfn_list), 32-bit guest
_start:
image:
        # ELF32 header (System V gABI, Figure 4-3)
        .byte   0x7f, 'E', 'L', 'F', 1, 1, 1, 0 # ELFCLASS32, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE
        .long   0, 0
        .word   2                       # e_type ET_EXEC
        .word   3                       # e_machine EM_386
        .long   1                       # e_version
        .long   LOAD + (entry - image)  # e_entry
        .long   phdrs - image           # e_phoff
        .long   0                       # e_shoff: no sections, Xen reads the notes through PT_NOTE
        .long   0                       # e_flags
        .word   52, 32, 2               # e_ehsize, e_phentsize, e_phnum
        .word   40, 0, 0                # e_shentsize, e_shnum, e_shstrndx
phdrs:  .long   1, 0, LOAD, LOAD        # PT_LOAD: p_type, p_offset, p_vaddr, p_paddr
        .globl  load_filesz
load_filesz:
        .long   0                       # p_filesz: patched by the host
        .globl  load_memsz
load_memsz:
        .long   0                       # p_memsz: patched by the host
        .long   7, 0x1000               # p_flags PF_R|PF_W|PF_X, p_align
        .long   4, notes - image, LOAD + (notes - image), LOAD + (notes - image) # PT_NOTE
        .long   notes_end - notes, notes_end - notes, 4, 4

        # Xen ELF notes (public/elfnote.h): owner "Xen", 4-byte aligned
        .macro  xennote type, desc:vararg
        .long   4, 2f - 1f, \type
        .asciz  "Xen"
1:      \desc
2:      .balign 4
        .endm
notes:  xennote 6, .asciz "handoff"             # GUEST_OS
        xennote 5, .asciz "xen-3.0"             # XEN_VERSION: the only one Xen loads
        xennote 8, .asciz "generic"             # LOADER
        xennote 9, .asciz "yes"                 # PAE_MODE: Xen runs 32-bit PV guests with PAE paging only
        xennote 3, .long 0                      # VIRT_BASE
        xennote 4, .long 0                      # PADDR_OFFSET
        xennote 1, .long LOAD + (entry - image) # ENTRY
notes_end:

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
        xor     %eax, %eax
2:      cmp     %edx, %eax
        jae     relocs
        lea     (%edi,%eax), %esi
        mov     (%ebp,%esi,4), %esi
        mov     %esi, (%ecx,%eax,8)
        inc     %eax
        jmp     2b
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
        mov     8(%ebp), %ebx
        mov     16(%ebp), %ecx
        mov     24(%ebp), %edx
        mov     32(%ebp), %esi
        mov     40(%ebp), %edi
        int     $0x82                   # 32-bit PV hypercall
        pop     %ebp
        pop     %ecx
        mov     %eax, 48(%ebp)
        movl    $0, 52(%ebp)
        movl    $1, 56(%ebp)
        add     $64, %ebp
        dec     %ecx
        jmp     6b
        # The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle:   pause
        jmp     idle
