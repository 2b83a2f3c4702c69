/**
 * The PVH wrapper: a bzImage turned into an ELF that any PVH-only loader
 * (QEMU `-kernel`, Firecracker, Cloud Hypervisor, Xen PVH) boots. The ELF's
 * XEN_ELFNOTE_PHYS32_ENTRY is handoff's wrapper stub (pvh-wrap-stub/pvh-wrap.S),
 * which reads the loader's hvm_start_info and enters Linux through its own
 * boot protocol (Documentation/arch/x86/boot.rst): the 64-bit entry for an
 * x86_64 kernel, the 32-bit one for x86_32. Initrd and command line are the
 * loader's (module 0 and cmdline_paddr), not baked in.
 */
import { ValidationError, alignUp, hex } from "@handoff/core";
import { StubImage } from "@handoff/core/link";
import { BootParams } from "./boot-params.js";
import { parseBzImage } from "./bzimage.js";
import { DESC, encodeDescriptor, flatSegment } from "./descriptors.js";
import { X86_PTE } from "./paging-entries.js";
import { writePvhElf, type PvhLoad } from "./pvh-elf.js";
import { X86_PVH_WRAP_STUB_CODE } from "./pvh-wrap-stub/pvh-wrap.bytes.js";
import { ENTRY64_OFFSET, XLoadFlags } from "./setup-header.js";
import { PC_COM1_PORT } from "./uart.js";

const PAGE = 0x1000n;
const FOUR_GIB = 0x1_0000_0000n;
/** boot.rst: pref_address arrived with protocol 2.10, xloadflags (XLF_KERNEL_64) with 2.12. */
const PROTOCOL_PREF_ADDRESS = 0x020a;
const PROTOCOL_XLOADFLAGS = 0x020c;
/** Identity tables for the 64-bit entry: PML4, PDPT, four page directories of 2 MiB pages = the low 4 GiB. */
const TABLE_PAGES = 6;

/** Where the wrapper puts its own pages (below the kernel's pref_address, 16 MiB on both Debian kernels). */
export const PVH_WRAP_LAYOUT = { stub: 0x10_0000n, bootParams: 0x10_4000n, tables: 0x10_5000n, end: 0x10_5000n + BigInt(TABLE_PAGES) * PAGE } as const;

/** The stub's machine code and symbols (data-block offsets, `hd_halt`). */
export const X86_PVH_WRAP_STUB = X86_PVH_WRAP_STUB_CODE;

/** What to wrap. */
export interface PvhWrapRequest {
  /** The bzImage file. */
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  /** Which Linux entry the stub takes; default: x86_64 when the kernel has XLF_KERNEL_64, else x86_32. */
  readonly arch?: "x86_32" | "x86_64";
}

/** One PT_LOAD of the wrapped ELF, named. */
export interface PvhWrapLoad {
  readonly name: "stub" | "boot_params" | "page tables" | "kernel";
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  /** What the PT_LOAD holds (filesz bytes). */
  readonly bytes: Uint8Array;
}

/** A wrapped bzImage. */
export interface PvhWrapped {
  readonly arch: "x86_32" | "x86_64";
  /** The ELF (ELF64 for x86_64, ELF32 for x86_32). */
  readonly elf: Uint8Array;
  /** XEN_ELFNOTE_PHYS32_ENTRY = e_entry: the stub. */
  readonly phys32Entry: bigint;
  /** Where the protected-mode kernel is loaded (pref_address). */
  readonly kernelLoad: bigint;
  /** Linux's entry the stub jumps to: the load address (32-bit) or + 0x200 (64-bit). */
  readonly kernelEntry: bigint;
  readonly bootParams: bigint;
  /** CR3 of the identity tables (x86_64 only). */
  readonly pageTableRoot?: bigint;
  readonly loads: readonly PvhWrapLoad[];
  /** Where the stub halts after reporting a start info it cannot honour. */
  readonly haltPc: bigint;
}

/** 4-level identity tables of the low 4 GiB in 2 MiB pages at `base` (SDM Vol. 3A §4.5). */
function identityTables(base: bigint): Uint8Array {
  const bytes = new Uint8Array(TABLE_PAGES * Number(PAGE));
  const v = new DataView(bytes.buffer);
  const table = X86_PTE.P | X86_PTE.RW;
  v.setBigUint64(0, (base + PAGE) | table, true); // PML4[0] -> PDPT
  for (let g = 0; g < 4; g++) {
    v.setBigUint64(Number(PAGE) + g * 8, (base + BigInt(2 + g) * PAGE) | table, true); // PDPT[g] -> PD g
    for (let i = 0; i < 512; i++) {
      const pa = (BigInt(g) << 30n) | (BigInt(i) << 21n);
      v.setBigUint64((2 + g) * Number(PAGE) + i * 8, pa | table | X86_PTE.PS, true);
    }
  }
  return bytes;
}

function wrapArch(r: PvhWrapRequest, xloadflags: number, version: number): "x86_32" | "x86_64" {
  const kernel64 = version >= PROTOCOL_XLOADFLAGS && (xloadflags & XLoadFlags.XLF_KERNEL_64) !== 0;
  const arch = r.arch ?? (kernel64 ? "x86_64" : "x86_32");
  if (arch === "x86_64" && !kernel64) throw new ValidationError(`${r.kernelPath} xloadflags`, "XLF_KERNEL_64 is clear: the kernel has no 64-bit entry (wrap it for x86_32)");
  return arch;
}

/**
 * Wrap a bzImage as a PVH ELF. The protected-mode kernel goes to its
 * pref_address (a relocatable kernel may run there, boot.rst "pref_address")
 * with memsz = init_size, so a loader keeps that room free; boot_params is the
 * bzImage's setup header copied into a zero page (type_of_loader 0xFF,
 * code32_start = the load address), completed at run time by the stub.
 */
export function wrapBzImageAsPvh(r: PvhWrapRequest): PvhWrapped {
  const { info } = parseBzImage({ path: r.kernelPath, bytes: r.kernel });
  const h = info.header;
  const f = h.fields as Record<string, number | bigint | undefined>;
  if (h.version < PROTOCOL_PREF_ADDRESS) throw new ValidationError(`${r.kernelPath} setup header`, `boot protocol ${h.protocol} has no pref_address (2.10+ does)`);
  if (!f.relocatable_kernel) throw new ValidationError(`${r.kernelPath} relocatable_kernel`, "is 0: the kernel must run where it is loaded and 1 MiB is the wrapper stub's");
  const arch = wrapArch(r, h.xloadflags, h.version);
  const load = BigInt(f.pref_address ?? 0);
  const align = BigInt(f.kernel_alignment ?? 0);
  if (load < PVH_WRAP_LAYOUT.end || (align !== 0n && load % align !== 0n)) throw new ValidationError(`${r.kernelPath} pref_address`, `${hex(load)} is not a kernel_alignment-aligned address above the wrapper's pages (${hex(PVH_WRAP_LAYOUT.end)})`);
  const file = r.kernel.subarray(info.kernelOffset, info.kernelOffset + info.kernelFileSize);
  const room = alignUp(BigInt(Math.max(Number(f.init_size ?? 0), file.length)), PAGE);
  if (load + room > FOUR_GIB) throw new ValidationError(`${r.kernelPath} init_size`, `${hex(load)} + ${hex(room)} passes 4 GiB: the PVH entry runs with paging off`);
  const kernelEntry = arch === "x86_64" ? load + ENTRY64_OFFSET : load;
  const bootParams = BootParams.forKernel(r.kernel, r.kernelPath).setHeaderField("code32_start", load).toBytes();
  const L = PVH_WRAP_LAYOUT;
  const stub = new StubImage("PVH wrapper stub", X86_PVH_WRAP_STUB_CODE);
  stub.write("hd_zero_page", L.bootParams, 4).write("hd_entry", kernelEntry, 4).write("hd_cr3", arch === "x86_64" ? L.tables : 0n, 4).write("hd_serial_port", PC_COM1_PORT, 2);
  // null, 0x08 32-bit code (the stub's own), 0x10 __BOOT_CS (64-bit code for the 64-bit entry), 0x18 __BOOT_DS.
  const gdt = [flatSegment(DESC.CODE32), flatSegment(arch === "x86_64" ? DESC.CODE64 : DESC.CODE32), flatSegment(DESC.DATA32)].map(encodeDescriptor);
  const gdtBytes = new Uint8Array(32);
  gdt.forEach((d, i) => gdtBytes.set(d, 8 * (i + 1)));
  stub.write("hd_gdtr", BigInt(gdtBytes.length - 1), 2).writeBytes("hd_gdt", gdtBytes, "hd_gdt_end");
  const named: (PvhLoad & { name: PvhWrapLoad["name"] })[] = [
    { name: "stub", paddr: L.stub, bytes: stub.bytes },
    { name: "boot_params", paddr: L.bootParams, bytes: bootParams },
    ...(arch === "x86_64" ? [{ name: "page tables" as const, paddr: L.tables, bytes: identityTables(L.tables) }] : []),
    { name: "kernel", paddr: load, bytes: file, memsz: room },
  ];
  const elf = writePvhElf({ elfClass: arch === "x86_64" ? 64 : 32, entry32: L.stub, loads: named });
  return {
    arch,
    elf,
    phys32Entry: L.stub,
    kernelLoad: load,
    kernelEntry,
    bootParams: L.bootParams,
    ...(arch === "x86_64" ? { pageTableRoot: L.tables } : {}),
    loads: named.map((l) => ({ name: l.name, paddr: l.paddr, filesz: BigInt(l.bytes.length), memsz: l.memsz ?? BigInt(l.bytes.length), bytes: l.bytes })),
    haltPc: L.stub + BigInt(X86_PVH_WRAP_STUB_CODE.symbols.hd_halt),
  };
}
