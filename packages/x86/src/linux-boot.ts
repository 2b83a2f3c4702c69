import { MemoryMap, ValidationError, alignDown, alignUp, hex, type LinuxBootRequest, type LinuxMachine, type Segment } from "@handoff/core";
import { layoutInPlaceList, type InPlaceList, type RunningEfi } from "@handoff/core/kexec";
import { BootParams } from "./boot-params.js";
import { parseBzImage } from "./bzimage.js";
import { e820FromRange } from "./e820.js";
import { encodeEfiInfo, planX86Efi } from "./efi-kexec.js";
import { ENTRY64_OFFSET } from "./setup-header.js";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;

/** What the Linux x86 boot protocol needs from a planner (Documentation/arch/x86/boot.rst). */
export interface X86LinuxRequest {
  /** The bzImage file. */
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  readonly initrd?: Uint8Array;
  readonly cmdline: string;
  /** The machine's memory: the e820 table and where the kernel may go. */
  readonly memoryMap: MemoryMap;
  /** Page for boot_params; the command line goes in the page after it. */
  readonly bootData: bigint;
  /** Ranges the plan keeps for itself (stub, list, tables): nothing is placed there. */
  readonly keepOut: readonly { readonly start: bigint; readonly end: bigint }[];
  /** What the kernel is told about memory (its e820), when not `memoryMap` itself (a capture kernel sees only its crash region). */
  readonly e820?: MemoryMap;
  /** The initrd ends at or below this (default: the end of the highest RAM range below 4 GiB). */
  readonly initrdCeiling?: bigint;
  /** Set XLF-dependent bits for a 64-bit entry (boot.rst "64-bit Boot Protocol"). */
  readonly entry64: boolean;
  /** A running kernel's boot_params (kexec): its firmware facts are passed on ({@link BootParams.carryFirmwareInfo}). */
  readonly runningBootParams?: Uint8Array;
  /** With it, the running kernel's /sys/firmware/efi: efi_info and SETUP_EFI for the new kernel ({@link planX86Efi}). */
  readonly runningEfi?: RunningEfi;
}

/** A planned Linux x86 boot: segments to place and the two entry points. */
export interface X86LinuxPlan {
  /** Where the protected-mode kernel starts (boot.rst: "load address"). */
  readonly load: bigint;
  /** 32-bit entry: code32_start = the load address. */
  readonly entry32: bigint;
  /** 64-bit entry: load address + 0x200. */
  readonly entry64: bigint;
  /** Room the kernel needs from `load` (init_size, at least the file). */
  readonly kernelRoom: bigint;
  readonly bootParams: bigint;
  readonly cmdline: bigint;
  readonly initrd?: { readonly addr: bigint; readonly size: bigint };
  /** kernel, boot_params, cmdline, initrd: each page-aligned, file bytes in `data`. */
  readonly segments: readonly Segment[];
  readonly bootParamsPage: Uint8Array;
}

const overlaps = (a: bigint, aEnd: bigint, b: bigint, bEnd: bigint) => a < bEnd && b < aEnd;

/**
 * Choose the load address (boot.rst "pref_address", "kernel_alignment",
 * "init_size"): a relocatable kernel goes to pref_address when [pref,
 * pref + init_size) is free RAM, else to the lowest kernel_alignment-aligned
 * free RAM above 1 MiB that fits; a non-relocatable one must use code32_start's
 * default (pref_address / 0x100000).
 */
function chooseLoad(map: MemoryMap, keepOut: X86LinuxRequest["keepOut"], pref: bigint, align: bigint, room: bigint, relocatable: boolean): bigint {
  const free = (at: bigint) => map.covers(at, at + room) && !keepOut.some((k) => overlaps(at, at + room, k.start, k.end));
  if (pref !== 0n && free(pref)) return pref;
  if (!relocatable) throw new ValidationError("kernel load address", `non-relocatable kernel needs ${hex(pref)}..${hex(pref + room)} free RAM`);
  for (const r of map.ram()) {
    for (let at = alignUp(r.start > MIB ? r.start : MIB, align); at + room <= r.start + r.size; at += align) if (free(at)) return at;
  }
  throw new ValidationError("kernel load address", `no ${hex(align)}-aligned free RAM of ${hex(room)} bytes (init_size)`);
}

/**
 * Place an initrd of `size` bytes as high as it goes in RAM below 4 GiB,
 * ending at or below `ceiling` (default: the end of the highest RAM range
 * below 4 GiB) and below `max` (initrd_addr_max + 1), page-aligned, clear of
 * every `taken` range and above 1 MiB.
 */
export function placeInitrdHigh(map: MemoryMap, taken: readonly { readonly start: bigint; readonly end: bigint }[], size: bigint, ceiling: bigint | undefined, max = 0x1_0000_0000n, what = "initrd"): bigint {
  const below4g = map.ram().filter((m) => m.start < 0x1_0000_0000n);
  const top = below4g.length ? below4g[below4g.length - 1]! : undefined;
  let limit = ceiling ?? (top ? (top.start + top.size < 0x1_0000_0000n ? top.start + top.size : 0x1_0000_0000n) : 0n);
  if (limit > max) limit = max;
  let at = alignDown(limit - size, PAGE);
  // Walk down past anything already placed.
  for (let guard = 0; guard < taken.length + 1; guard++) {
    const hit = taken.find((k) => overlaps(at, at + size, k.start, k.end));
    if (!hit) break;
    at = alignDown(hit.start - size, PAGE);
  }
  if (at < MIB || !map.covers(at, at + size) || taken.some((k) => overlaps(at, at + size, k.start, k.end))) {
    throw new ValidationError(what, `no free RAM of ${hex(size)} bytes below ${hex(limit)} (limit ${hex(max - 1n)})`);
  }
  return at;
}

/**
 * Plan a bzImage boot: the protected-mode kernel at the chosen load address,
 * boot_params built from the kernel's own setup header (BootParams.forKernel)
 * with type_of_loader, cmd_line_ptr (checked against cmdline_size), the initrd
 * (within initrd_addr_max, placed high) and the e820 table from the memory map.
 */
export function planX86Linux(r: X86LinuxRequest): X86LinuxPlan {
  const { image, info } = parseBzImage({ path: r.kernelPath, bytes: r.kernel });
  const hdr = info.header;
  if (!hdr.isBzImage) throw new ValidationError(r.kernelPath, "not a bzImage (protocol 2.00+ with LOADED_HIGH)");
  if (r.entry64 && !hdr.hasKernel64Entry) throw new ValidationError(r.kernelPath, "xloadflags lack XLF_KERNEL_64: no 64-bit entry");
  if (image.arch === "x86_64" && !r.entry64) throw new ValidationError(r.kernelPath, "a 64-bit kernel is entered through the 64-bit entry");
  const kernelFile = r.kernel.subarray(info.kernelOffset, info.kernelOffset + info.kernelFileSize);
  const fileRoom = alignUp(BigInt(kernelFile.length), PAGE);
  const initSize = BigInt(hdr.initSize);
  const room = alignUp(initSize > fileRoom ? initSize : fileRoom, PAGE);
  const align = BigInt((hdr.fields.kernel_alignment as number | undefined) ?? 0x100000) || MIB;
  const bootParams = r.bootData;
  const cmdlineAddr = r.bootData + PAGE;
  if (bootParams % PAGE !== 0n) throw new ValidationError("boot_params", `${hex(bootParams)} is not page-aligned`);
  const keepOut = [...r.keepOut, { start: bootParams, end: cmdlineAddr + PAGE }];
  const pref = hdr.prefAddress !== 0n ? hdr.prefAddress : 0x10_0000n;
  const load = chooseLoad(r.memoryMap, keepOut, pref, align, room, hdr.relocatable);

  const cmdline = new TextEncoder().encode(r.cmdline);
  if (cmdline.includes(0)) throw new ValidationError("command line", "contains a NUL byte");
  if (BigInt(cmdline.length + 1) > PAGE) throw new ValidationError("command line", `${cmdline.length} bytes do not fit the page after boot_params`);
  const bp = BootParams.forKernel(r.kernel, r.kernelPath);
  bp.setLoader(0xf);
  bp.setCommandLine(cmdlineAddr, cmdline.length);
  if (hdr.has("code32_start")) bp.setHeaderField("code32_start", load);
  bp.setE820((r.e820 ?? r.memoryMap).ranges.map(e820FromRange));
  if (r.runningBootParams) bp.carryFirmwareInfo(r.runningBootParams, "/sys/kernel/boot_params/data");

  let initrd: X86LinuxPlan["initrd"];
  if (r.initrd?.length) {
    const max = BigInt(hdr.initrdAddrMax) + 1n;
    initrd = { addr: placeInitrdHigh(r.memoryMap, [...keepOut, { start: load, end: load + room }], BigInt(r.initrd.length), r.initrdCeiling, max), size: BigInt(r.initrd.length) };
    bp.setRamdisk(initrd.addr, initrd.size);
  }
  const efi = r.runningBootParams && hdr.has("setup_data") ? planX86Efi(r.runningBootParams, r.runningEfi, r.entry64) : undefined;
  let efiData: { at: bigint; bytes: Uint8Array } | undefined;
  if (efi?.kind === "efi") {
    // Below 4 GiB: efi_memmap_hi is ignored by a 32-bit kernel, and kexec-tools puts it there too.
    const taken = [...keepOut, { start: load, end: load + room }, ...(initrd ? [{ start: initrd.addr, end: initrd.addr + initrd.size }] : [])];
    const built = efi.build(placeInitrdHigh(r.memoryMap, taken, alignUp(BigInt(efi.bytes), PAGE), r.initrdCeiling, 0x1_0000_0000n, "EFI runtime map"));
    bp.setEfiInfo(encodeEfiInfo(built.efiInfo)).setSetupData(built.setupData);
    efiData = { at: built.setupData, bytes: built.bytes };
  }
  const page = bp.toBytes();
  const cmdlinePage = new Uint8Array(cmdline.length + 1);
  cmdlinePage.set(cmdline);
  const seg = (bytes: Uint8Array, mem: bigint, role: Segment["role"], name: string): Segment => ({
    data: { kind: "bytes", bytes },
    bufsz: BigInt(bytes.length),
    mem,
    memsz: alignUp(BigInt(bytes.length), PAGE),
    role,
    name,
  });
  const segments = [
    seg(kernelFile, load, "kernel", "protected-mode kernel"),
    seg(page, bootParams, "boot-info", "boot_params"),
    seg(cmdlinePage, cmdlineAddr, "cmdline", "cmdline"),
    ...(initrd ? [seg(r.initrd!, initrd.addr, "initrd", "initrd")] : []),
    ...(efiData ? [seg(efiData.bytes, efiData.at, "boot-info", "EFI setup_data and runtime map")] : []),
  ];
  return { load, entry32: load, entry64: load + BigInt(ENTRY64_OFFSET), kernelRoom: room, bootParams, cmdline: cmdlineAddr, initrd, segments, bootParamsPage: page };
}

/** QEMU `-M pc -m 512M`: RAM below 640 KiB and from 1 MiB to 512 MiB (the default; `--memory` resizes it, see machineWithMemory). */
export const X86_LINUX_MACHINE: LinuxMachine = { machine: "pc", memory: "512M", ramBase: 0n, ramSize: 512n * MIB };

/** SeaBIOS keeps its ACPI tables and high allocations in the top 128 KiB of RAM below 4 GiB (QEMU -M pc). */
export const SEABIOS_HIGH_TABLES = 0x2_0000n;

/**
 * RAM below 4 GiB on QEMU `-M pc` (i440FX) for `ramSize` bytes: all of it up
 * to max-ram-below-4g (default 0xe0000000, 3.5 GiB); a machine at least that
 * big is split at 0xc0000000 (gigabyte_align, every pc machine type since 2.1)
 * and the rest continues at 4 GiB (QEMU hw/i386/pc_piix.c pc_init1). `q35`
 * splits at 0x80000000 from 0xb0000000 up (pc_q35.c); handoff plans for `pc`.
 */
export function pcLowMemory(ramSize: bigint): bigint {
  return ramSize >= 0xe000_0000n ? 0xc000_0000n : ramSize;
}

/** QEMU (hw/i386/pc.c, 7.1+) reserves AMD's HyperTransport window below 1 TiB in its e820 table. */
const AMD_HT_WINDOW = { start: 0xfd_0000_0000n, size: 0x3_0000_0000n } as const;

/**
 * The e820 view of QEMU `-M pc` with `ramSize` of RAM under SeaBIOS: low RAM,
 * the EBDA and BIOS area reserved, RAM from 1 MiB up to SeaBIOS's high
 * tables (reserved: the ACPI tables and FACS live there, the kernel must not
 * be placed over them), the BIOS flash, RAM above 4 GiB when the machine is
 * split around the PCI hole, and QEMU's HyperTransport reservation. Mirrors
 * what SeaBIOS reports (measured: `BIOS-e820` of the fixture kernel at 512M
 * and 6G, QEMU 7.2) and what QEMU's own PVH loader passes in its memmap.
 */
export function pcMemoryMap(ramSize: bigint): MemoryMap {
  const low = pcLowMemory(ramSize);
  if (low < 2n * SEABIOS_HIGH_TABLES + 2n * MIB) throw new ValidationError("memory size", `${hex(ramSize)} bytes is too small for a PC with SeaBIOS`);
  const high = ramSize - low;
  // QEMU moves RAM above the HyperTransport window when it would reach it (pc.c); handoff does not model that layout.
  if (0x1_0000_0000n + high > AMD_HT_WINDOW.start) throw new ValidationError("memory size", `${hex(ramSize)} bytes reaches the HyperTransport window at ${hex(AMD_HT_WINDOW.start)}: at most ${hex(AMD_HT_WINDOW.start - 0x1_0000_0000n + low)} on -M pc`);
  return MemoryMap.of([
    { start: 0n, size: 0x9_fc00n, type: "ram" },
    { start: 0x9_fc00n, size: 0x400n, type: "reserved" },
    { start: 0xf_0000n, size: 0x1_0000n, type: "reserved" },
    { start: MIB, size: low - SEABIOS_HIGH_TABLES - MIB, type: "ram" },
    { start: low - SEABIOS_HIGH_TABLES, size: SEABIOS_HIGH_TABLES, type: "reserved" },
    { start: 0xfffc_0000n, size: 0x4_0000n, type: "reserved" },
    ...(high > 0n ? [{ start: 0x1_0000_0000n, size: high, type: "ram" as const }] : []),
    { start: AMD_HT_WINDOW.start, size: AMD_HT_WINDOW.size, type: "reserved" },
  ]);
}

/** The initrd ends at or below this (our blobs are in RAM before SeaBIOS runs, and SeaBIOS allocates from the top of RAM during POST). */
export const X86_LINUX_INITRD_CEILING = 128n * MIB;


/** Where an x86 stub keeps its own pages: the stub, its list room, and boot_params + cmdline. */
export interface X86StubLayout {
  readonly stub: bigint;
  readonly list: bigint;
  readonly listEnd: bigint;
  readonly bootData: bigint;
}

/**
 * What both x86 Linux builders do before their entry differs: check the request,
 * plan the kernel for QEMU `-M pc` with `memoryMap` (pcMemoryMap of the
 * machine's RAM), and lay out the in-place list inside the
 * stub's room. `entry64` picks the 64-bit entry (and 8-byte list words).
 */
export function planX86LinuxForStub(
  arch: string,
  protocols: readonly string[],
  request: LinuxBootRequest,
  layout: X86StubLayout,
  entry64: boolean,
  memoryMap: MemoryMap,
): { plan: X86LinuxPlan; list: InPlaceList } {
  const what = `${arch} Linux boot`;
  if (!protocols.includes(request.protocol)) throw new ValidationError(what, `protocol '${request.protocol}' is not one of ${protocols.join(", ")}`);
  if (request.entryMode !== undefined) throw new ValidationError(what, "this architecture has no entry-mode choice");
  const plan = planX86Linux({
    kernel: request.kernel,
    kernelPath: request.kernelPath,
    initrd: request.initrd,
    cmdline: request.cmdline,
    memoryMap,
    bootData: layout.bootData,
    keepOut: [{ start: layout.stub, end: layout.bootData }],
    // Our blobs are in RAM before SeaBIOS runs, and SeaBIOS allocates from the
    // top of RAM during POST: keep the initrd at or below 128 MiB.
    initrdCeiling: X86_LINUX_INITRD_CEILING,
    entry64,
  });
  const list = layoutInPlaceList(plan.segments, { word: entry64 ? 8 : 4, listBase: layout.list });
  if (layout.list + BigInt(list.bytes.length) > layout.listEnd) throw new ValidationError(what, `indirection list of ${list.bytes.length} bytes overruns its room`);
  return { plan, list };
}
