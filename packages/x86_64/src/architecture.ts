import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { defineArchitecture } from "@handoff/core/compose";
import { X86_32_COMPAT_XEN_CONVENTION, X86_64_XEN_CONVENTION, bzImageFormat, bzImagePayloadFormat } from "@handoff/x86";
import { x86_64ArtefactBuilder, x86_64LinuxBootBuilder } from "./width.js";
import { planX86_64CrashKexec, planX86_64Kexec, planX86_64KexecProbe } from "./kexec.js";
import { X86_64_4LEVEL, X86_64_5LEVEL } from "./paging.js";
import { COMPATIBILITY_MODE, X86_64_REGISTERS } from "./registers.js";
import { X86_64_RELOCATOR } from "./relocations.js";

/** x86-64 as data: ELF identity, registers, page tables, bzImage, relocations, Xen convention, builders. */
const defined = defineArchitecture({
  packageName: "@handoff/x86_64",
  id: "x86_64",
  displayName: "x86-64",
  elfMachine: 62,
  elfClass: 64,
  wordBits: 64,
  endianness: ["little"],
  registers: X86_64_REGISTERS,
  narrowMode: COMPATIBILITY_MODE,
  pageTableFormats: [X86_64_4LEVEL, X86_64_5LEVEL],
  // bzImage: one shared implementation from @handoff/x86; the parsed image says which arch it is.
  imageFormats: [bzImageFormat, bzImagePayloadFormat],
  relocations: X86_64_RELOCATOR,
  hypercall: { hypervisor: "xen", conventions: [X86_64_XEN_CONVENTION, X86_32_COMPAT_XEN_CONVENTION] },
  defaultMachine: PC_MEMORY_LAYOUT,
  artefactBuilder: x86_64ArtefactBuilder,
  // The live kexec planner rides on the Linux boot builder: same kernel plan, different entry.
  linuxBootBuilder: { ...x86_64LinuxBootBuilder, kexec: planX86_64Kexec, kexecProbe: planX86_64KexecProbe, kexecCrash: planX86_64CrashKexec },
  protocols: {
    linux64: "Linux x86 boot protocol, 64-bit entry at load address + 0x200: long mode, identity paging, rsi = boot_params",
    kexec: "kexec entry: long mode, identity paging, every GPR zero except rsp",
    pvh: "Xen PVH entry: 32-bit protected mode, paging off, ebx = hvm_start_info (a vmlinux, or bzImage#payload)",
  },
});

/** The x86-64 architecture object (registers, formats, protocols...), as the plugin registers it. */
export const x86_64Architecture = defined.architecture;
/** Registers x86-64 and its parts into the (child) container it is given. */
export const plugin = defined.plugin;
