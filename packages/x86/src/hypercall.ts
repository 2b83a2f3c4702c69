import { C, cDataModel, type CDataModel, type CType } from "@handoff/core/c-abi";
import { ValidationError, type HypercallConvention, type HypercallInstruction } from "@handoff/core";

/**
 * i386 System V psABI (Intel386 supplement, "Fundamental Types", Table 2.1):
 * ILP32; `long long` is 8 bytes but only 4-aligned as a struct member (the
 * psABI gives 4; GCC's `__alignof__(long long)` of a lone object is 8, the
 * member alignment is 4).
 */
export const I386_DATA_MODEL: CDataModel = cDataModel({
  id: "i386-sysv",
  description: "ILP32, i386 System V psABI (long long 4-aligned in structs)",
  charSigned: true,
  long: 4,
  pointer: 4,
  longLongAlign: 4,
  source: "System V ABI Intel386 Architecture Processor Supplement, Table 2.1",
});

/** x86-64 System V psABI (section 3.1.2, Figure 3.1): LP64, natural alignment. */
export const X86_64_DATA_MODEL: CDataModel = cDataModel({
  id: "x86_64-sysv",
  description: "LP64, x86-64 System V psABI",
  charSigned: true,
  long: 8,
  pointer: 8,
  longLongAlign: 8,
  source: "System V ABI AMD64 Architecture Processor Supplement, Figure 3.1",
});

/** `vmcall` (Intel VMX), SDM Vol. 2B: 0F 01 C1. Xen's VMX hypercall page uses it. */
export const VMCALL: Uint8Array = new Uint8Array([0x0f, 0x01, 0xc1]);
/** `vmmcall` (AMD SVM), APM Vol. 3: 0F 01 D9. Xen's SVM hypercall page uses it. */
export const VMMCALL: Uint8Array = new Uint8Array([0x0f, 0x01, 0xd9]);
/** `syscall`, SDM Vol. 2B: 0F 05. 64-bit PV guests trap with it. */
export const SYSCALL: Uint8Array = new Uint8Array([0x0f, 0x05]);
/** `int $0x82`, CD ib: 32-bit PV guests' hypercall vector (HYPERCALL_VECTOR 0x82). */
export const INT_0X82: Uint8Array = new Uint8Array([0xcd, 0x82]);

/** Xen on x86: `xen_ulong_t` and `xen_pfn_t` are `unsigned long` (public/arch-x86/xen.h). */
const X86_XEN_TYPEDEFS: Readonly<Record<string, CType>> = {
  xen_ulong_t: C.int("unsigned long"),
  xen_pfn_t: C.int("unsigned long"),
};

/**
 * `XEN_GUEST_HANDLE(T)` on x86 is `struct { T *p; }` (public/arch-x86/xen.h,
 * `___DEFINE_XEN_GUEST_HANDLE`): pointer-sized in memory, 4 bytes for a
 * 32-bit guest and 8 for a 64-bit one; `XEN_GUEST_HANDLE_PARAM` is the same.
 */
const x86Handle = (target: string): CType => C.struct({ p: C.ptr(target) });
/** How Xen's headers name a guest handle to `target`. */
const xenGuestHandleName = (target: string): string => `XEN_GUEST_HANDLE(${target})`;

const HVM_INSTRUCTIONS: HypercallInstruction[] = [
  { mnemonic: "vmcall", isa: "x86", bytes: VMCALL, usedBy: "HVM/PVH guest on Intel VMX" },
  { mnemonic: "vmmcall", isa: "x86", bytes: VMMCALL, usedBy: "HVM/PVH guest on AMD SVM" },
];

const PAGE = { stride: 32, source: "public/arch-x86/xen-x86_64.h and xen-x86_32.h: call hypercall_page + hypercall-number * 32" };

const X86_SOURCES = [
  "xen/include/public/arch-x86/xen-x86_64.h (Input: %rdi, %rsi, %rdx, %r10, %r8; Output: %rax; clobbered: argument registers)",
  "xen/include/public/arch-x86/xen-x86_32.h (Input: %ebx, %ecx, %edx, %esi, %edi; Output: %eax)",
  "xen/arch/x86/include/asm/hypercall.h clobber_regs64/clobber_regs32 (debug builds corrupt the used argument registers)",
];

/** A 64-bit x86 guest: number in rax, arguments rdi rsi rdx r10 r8, result rax. */
export const X86_64_XEN_CONVENTION: HypercallConvention = {
  id: "x86_64",
  guestBits: 64,
  numberRegister: "rax",
  argumentRegisters: ["rdi", "rsi", "rdx", "r10", "r8"],
  resultRegister: "rax",
  // `syscall` itself overwrites rcx (return rip) and r11 (rflags) (SDM Vol. 2B
  // SYSCALL); Xen's PV hypercall page saves them around it, a bare syscall does not.
  alwaysClobbered: ["rcx", "r11"],
  clobbersUsedArguments: true,
  instructions: [{ mnemonic: "syscall", isa: "x86", bytes: SYSCALL, usedBy: "64-bit PV guest" }, ...HVM_INSTRUCTIONS],
  page: PAGE,
  entryRule: "native",
  dataModel: X86_64_DATA_MODEL,
  typedefs: X86_XEN_TYPEDEFS,
  handleRepresentation: x86Handle,
  handleName: xenGuestHandleName,
  sources: X86_SOURCES,
};

function x86_32Convention(id: string, entryRule: "native" | "low-halves"): HypercallConvention {
  return {
    id,
    guestBits: 32,
    numberRegister: "eax",
    argumentRegisters: ["ebx", "ecx", "edx", "esi", "edi"],
    resultRegister: "eax",
    alwaysClobbered: [],
    clobbersUsedArguments: true,
    instructions: [{ mnemonic: "int $0x82", isa: "x86", bytes: INT_0X82, usedBy: "32-bit PV guest" }, ...HVM_INSTRUCTIONS],
    page: PAGE,
    entryRule,
    dataModel: I386_DATA_MODEL,
    typedefs: X86_XEN_TYPEDEFS,
    handleRepresentation: x86Handle,
    handleName: xenGuestHandleName,
    sources: X86_SOURCES,
  };
}

/** A 32-bit x86 guest on its own 32-bit register file. */
export const X86_32_XEN_CONVENTION: HypercallConvention = x86_32Convention("x86_32", "native");

/**
 * A 32-bit guest (PV32 or HVM in 32-bit mode) seen by 64-bit Xen: the same
 * registers, read as the low halves of the 64-bit ones; structs use the i386
 * layout (Xen's compat layer translates them).
 */
export const X86_32_COMPAT_XEN_CONVENTION: HypercallConvention = x86_32Convention("x86_32-compat", "low-halves");

/** Bytes of hypercall `nr`'s entry in a VMX (`vmcall`) or SVM (`vmmcall`) hypercall page. */
export function x86HypercallPageStub(nr: number, vendor: "intel" | "amd"): Uint8Array {
  return hypercallPageStub(nr, vendor === "intel" ? VMCALL : VMMCALL);
}

/**
 * The bytes of hypercall `nr`'s stub in a Xen hypercall page: `mov $nr, %eax`
 * (b8 imm32) followed by the trap and `ret` (c3), at offset nr * stride
 * (vmx_init_hypercall_page / svm_init_hypercall_page write exactly this).
 */
export function hypercallPageStub(nr: number, trap: Uint8Array): Uint8Array {
  if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) throw new ValidationError("hypercall number", `${nr}`);
  return new Uint8Array([0xb8, nr & 0xff, (nr >>> 8) & 0xff, (nr >>> 16) & 0xff, (nr >>> 24) & 0xff, ...trap, 0xc3]);
}
