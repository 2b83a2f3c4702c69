# handoff's x86 PVH dom0 payload for `handoff xen run`: a whole ELF32 (i386)
# executable with XEN_ELFNOTE_PHYS32_ENTRY. Xen's PVH dom0 builder loads it at
# its physical address (LOAD) and enters `entry` in 32-bit protected mode,
# paging off, %ebx = the hvm_start_info's guest-physical address, no stack
# (docs/misc/pvh.pandoc). The host appends the data block at file offset
# 0x1000 and patches p_filesz (load_filesz) to the file's size and p_memsz
# (load_memsz) to that plus the five pages this code keeps past the file:
#   +0x0000 PML4, +0x1000 PDPT, +0x2000 PD (1 GiB identity map, 2 MiB pages),
#   +0x3000 the hypercall page, +0x4000 the stack.
# Block header (data-block.ts) besides the common fields:
#   0x40/0x48 frame table: here each page's hash (written before the last
#        call), by which the host checks the pages it read: a PVH dom0's
#        guest-physical pages are not machine pages.
#   0x50 written: hvm_start_info's guest-physical address
#   0x58 block offset of a copy of hvm_start_info (0: none)
#   0x60 written: the CPUID leaf base whose signature is "XenVMMXenVMM"
#   0x68 written: the MSR that leaf base + 2 names for the hypercall page
#   0x70 1: switch to long mode before the calls (native ABI); 0: stay in
#        32-bit protected mode (compat ABI)
#   0x78 written: the hypercall page's guest-physical address
# Calls go through the hypercall page (32 bytes a call, `call page + nr*32`):
# 32-bit stage eax = nr, ebx, ecx, edx, esi, edi; long mode rax = nr, rdi,
# rsi, rdx, r10, r8. Guest address = guest-physical address throughout
# (paging off, then an identity map), so a kind-1 reloc adds the block's
# first guest frame.
        .code32
        .include "xen-pv-elf.inc"
        pv_image 1, 3, .long, 52, 32, 40 # ELFCLASS32, EM_386

notes:  xennote 6, .asciz "handoff"                     # GUEST_OS
        xennote 18, .long LOAD + (entry - image)        # PHYS32_ENTRY: all a PVH loader needs
notes_end:

        .set    BLOCK, LOAD + 0x1000
        .set    FILESZ, LOAD + (load_filesz - image)
        .set    HC_PAGE, BLOCK + 0x78

        # Hash of each block page but the first into the frame table (entry 0
        # stays 0: the host finds page 0 by its nonce): FNV-1a over the page's
        # dwords, h = (h ^ dword) * 0x01000193 from 0x811c9dc5 (a rotate-xor
        # hash gave every constant page 0). \i page index, \p page pointer,
        # \h hash (32-bit), \n dword count, \t table.
        .macro  page_hashes i, p, h, n, t, ti
        mov     $1, \i
1:      cmp     BLOCK + 0x48, \i
        jae     3f
        mov     \i, \p
        shl     $12, \p
        add     $BLOCK, \p
        mov     $0x811c9dc5, \h
        mov     $1024, \n
2:      xor     (\p), \h
        imul    $0x01000193, \h, \h
        add     $4, \p
        dec     \n
        jnz     2b
        mov     BLOCK + 0x40, \t
        add     $BLOCK, \t
        mov     \h, (\t,\ti,8)
        movl    $0, 4(\t,\ti,8)
        inc     \i
        jmp     1b
3:
        .endm

entry:
        mov     %ebx, BLOCK + 0x50
        movl    $0, BLOCK + 0x54
        movl    $BLOCK, BLOCK + 0x10
        mov     FILESZ, %ebp
        add     $LOAD, %ebp             # %ebp: the first page past the file
        lea     0x5000(%ebp), %esp
        # hvm_start_info into the block, when the host asked for it
        mov     BLOCK + 0x58, %edi
        test    %edi, %edi
        jz      1f
        add     $BLOCK, %edi
        mov     %ebx, %esi
        mov     $14, %ecx               # sizeof(struct hvm_start_info) / 4
        cld
        rep movsl
1:      # Xen's CPUID leaves: the first base (0x40000000 + n*0x100) with Xen's signature and leaf base+2
        mov     $0x40000000, %esi
2:      mov     %esi, %eax
        cpuid
        cmp     $0x566e6558, %ebx       # "XenV"
        jne     3f
        cmp     $0x65584d4d, %ecx       # "MMXe"
        jne     3f
        cmp     $0x4d4d566e, %edx       # "nVMM"
        jne     3f
        sub     %esi, %eax
        cmp     $2, %eax
        jae     4f
3:      add     $0x100, %esi
        cmp     $0x40010000, %esi
        jb      2b
        jmp     idle32                  # no Xen leaves: the block says so (base 0)
4:      mov     %esi, BLOCK + 0x60
        lea     2(%esi), %eax
        cpuid                           # ebx: the hypercall page MSR
        mov     %ebx, BLOCK + 0x68
        lea     0x3000(%ebp), %eax      # hypercall page, index 0
        mov     %eax, HC_PAGE
        xor     %edx, %edx
        mov     %ebx, %ecx
        wrmsr
        # Relocations: kind 0 adds the block's address, kind 1 its first frame.
        mov     BLOCK + 0x30, %ecx
        mov     BLOCK + 0x38, %edx
        add     $BLOCK, %edx
        jecxz   5f
6:      mov     (%edx), %eax
        testl   $0x40000000, 4(%edx)
        lea     8(%edx), %edx
        jnz     7f
        addl    $BLOCK, BLOCK(%eax)
        jmp     8f
7:      addl    $(BLOCK >> 12), BLOCK(%eax)
8:      loop    6b
5:      cmpl    $0, BLOCK + 0x70
        jne     long_mode

calls32:
        mov     BLOCK + 0x20, %ecx
        mov     BLOCK + 0x28, %ebp
        add     $BLOCK, %ebp
9:      test    %ecx, %ecx
        jz      idle32
        cmp     $1, %ecx
        jne     10f
        push    %ecx
        page_hashes %ecx, %esi, %eax, %edx, %edi, %ecx
        pop     %ecx
10:     push    %ecx
        push    %ebp
        mov     (%ebp), %eax
        shl     $5, %eax
        add     HC_PAGE, %eax
        push    %eax
        call_args32
        call    *(%esp)                 # the page's stub: mov $nr, %eax; vmmcall; ret
        add     $4, %esp
        call_done32 9b
        # The table ends with sched_op(SCHEDOP_shutdown): reaching here means it returned.
idle32: pause
        jmp     idle32

long_mode:
        # 1 GiB identity map of 2 MiB pages: PML4[0] -> PDPT[0] -> PD
        lea     0x1003(%ebp), %eax
        mov     %eax, (%ebp)
        lea     0x2003(%ebp), %eax
        mov     %eax, 0x1000(%ebp)
        xor     %ecx, %ecx
11:     mov     %ecx, %eax
        shl     $21, %eax
        or      $0x83, %eax             # present, writable, 2 MiB
        mov     %eax, 0x2000(%ebp,%ecx,8)
        inc     %ecx
        cmp     $512, %ecx
        jb      11b
        mov     %cr4, %eax
        or      $0x20, %eax             # PAE
        mov     %eax, %cr4
        mov     %ebp, %cr3
        mov     $0xc0000080, %ecx       # EFER
        rdmsr
        or      $0x100, %eax            # LME
        wrmsr
        lgdt    LOAD + (gdt_desc - image)
        mov     %cr0, %eax
        or      $0x80000000, %eax       # PG: long mode active
        mov     %eax, %cr0
        ljmp    $0x08, $(LOAD + (calls64 - image))

        .balign 8
gdt:    .quad   0
        .quad   0x00af9a000000ffff      # 0x08: 64-bit code
gdt_desc:
        .word   gdt_desc - gdt - 1
        .long   LOAD + (gdt - image)

        .code64
calls64:
        mov     BLOCK + 0x20, %r15
        mov     BLOCK + 0x28, %rbp
        add     $BLOCK, %rbp
12:     test    %r15, %r15
        jz      idle64
        cmp     $1, %r15
        jne     13f
        page_hashes %rcx, %rsi, %eax, %edx, %rdi, %rcx
13:     mov     (%rbp), %r12
        shl     $5, %r12
        add     HC_PAGE, %r12
        call_args64
        call    *%r12
        call_done64 12b
idle64: pause
        jmp     idle64
