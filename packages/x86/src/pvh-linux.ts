/**
 * handoff as the PVH loader (xen docs/misc/pvh.pandoc): an ELF kernel with
 * XEN_ELFNOTE_PHYS32_ENTRY (a Linux vmlinux, e.g. the payload of a bzImage),
 * its PT_LOADs placed at their physical addresses, a version-1 hvm_start_info
 * with the command line, the initrd as module 0, the memory map and the RSDP,
 * entered at the PHYS32 entry in 32-bit protected mode through the IA-32 stub
 * (both widths: the PVH entry is 32-bit code).
 */
import { MemoryMap, ValidationError, alignDown, alignUp, checkedAdd64, hex, type HandoffArtefact, type HandoffState, type Image, type LinuxBootRequest, type LinuxMachine, type Segment } from "@handoff/core";
import { XEN_ELF_IMAGE_FORMAT, XEN_PVH_ENTRY_SOURCE } from "@handoff/xen";
import { layoutInPlaceList, segmentCheck, type InPlaceList } from "@handoff/core/kexec";
import { PC_COM1_PORT } from "./uart.js";
import { BOOT_SELECTORS, buildHandoffGdt, type HandoffGdt } from "./descriptors.js";
import { buildIa32Stub, X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET } from "./ia32-stub/stub.js";
import { X86_LINUX_INITRD_CEILING, pcMemoryMap, placeInitrdHigh, type X86StubLayout } from "./linux-boot.js";
import { bzImageFormat } from "./bzimage.js";
import { extractBzImagePayload } from "./bzimage-payload.js";
import { pvhElfArtefact } from "./pvh-artefact.js";
import { EM_386, EM_X86_64 } from "./elf-machines.js";
import { buildPvhStartInfo, START_INFO_RSDP_OFFSET, type PvhStartInfo } from "./pvh-start-info.js";

const PAGE = 0x1000n;
const FOUR_GIB = 0x1_0000_0000n;
const PVH = "xen docs/misc/pvh.pandoc";
const overlaps = (a: bigint, aEnd: bigint, b: bigint, bEnd: bigint) => a < bEnd && b < aEnd;

/** Fixed places of the stub's own pages for a PVH boot (below the kernel's 16 MiB): stub, list room, two start-info pages. */
export const PVH_LINUX_LAYOUT: X86StubLayout = { stub: 0x10_0000n, list: 0x11_0000n, listEnd: 0x1e_0000n, bootData: 0x1f_0000n };

/** What the PVH planner needs. */
export interface PvhLinuxRequest {
  readonly arch: "x86_32" | "x86_64";
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  readonly initrd?: Uint8Array;
  readonly cmdline: string;
  /** The initrd's own command line (hvm_modlist_entry.cmdline_paddr), when given. */
  readonly initrdCmdline?: string;
  readonly memoryMap: MemoryMap;
  readonly layout: X86StubLayout;
}

/** A planned PVH boot. */
export interface PvhLinuxPlan {
  readonly image: Image;
  /** XEN_ELFNOTE_PHYS32_ENTRY. */
  readonly entry: bigint;
  readonly startInfoAddr: bigint;
  readonly startInfo: PvhStartInfo;
  /** PT_LOADs, start info, initrd: each page-aligned, bytes in `data`. */
  readonly segments: readonly Segment[];
}

function elfMachineArch(image: Image, r: PvhLinuxRequest): void {
  const machine = (image.metadata as { machine?: number }).machine;
  const width = machine === EM_X86_64 ? "x86_64" : machine === EM_386 ? "x86_32" : `e_machine ${machine}`;
  if (width !== r.arch) throw new ValidationError(r.kernelPath, `is a ${width} ELF, not ${r.arch}`);
  if ((image.metadata as { entrySource?: string }).entrySource !== XEN_PVH_ENTRY_SOURCE) {
    throw new ValidationError(r.kernelPath, "has no Xen XEN_ELFNOTE_PHYS32_ENTRY note: not a PVH kernel (Linux needs CONFIG_PVH=y)");
  }
}

function segmentBytes(s: Segment, kernel: Uint8Array): Uint8Array {
  const d = s.data;
  if (d.kind === "bytes") return d.bytes;
  if (d.kind === "file") return kernel.subarray(d.offset, d.offset + d.length);
  return new Uint8Array(0);
}

/**
 * The kernel's PT_LOADs where they must go. A PVH loader places them at
 * p_paddr: Xen's libelf forces PADDR_OFFSET and VIRT_BASE to 0 for PVH
 * ("For PVH this is forced to 0", libelf-dominfo.c elf_xen_addr_calc_check),
 * so the kernel's legacy PV notes never move it. Each must be RAM below 4 GiB
 * (the entry runs with paging off) and clear of `keepOut`.
 */
function kernelSegments(image: Image, r: PvhLinuxRequest, keepOut: readonly { start: bigint; end: bigint }[]): Segment[] {
  return image.segments.map((s, i) => {
    const mem = alignDown(s.mem, PAGE);
    const lead = s.mem - mem;
    const memsz = alignUp(checkedAdd64(lead, s.memsz, `${r.kernelPath} PT_LOAD[${i}]`), PAGE);
    const end = mem + memsz;
    const what = `${r.kernelPath} ${s.name ?? `PT_LOAD[${i}]`}`;
    if (end > FOUR_GIB) throw new ValidationError(what, `${hex(mem)}..${hex(end)} is not below 4 GiB (the PVH entry runs with paging off)`);
    if (!r.memoryMap.covers(mem, end)) throw new ValidationError(what, `${hex(mem)}..${hex(end)} is not RAM in the memory map (reserved, ACPI or firmware)`);
    const hit = keepOut.find((k) => overlaps(mem, end, k.start, k.end));
    if (hit) throw new ValidationError(what, `${hex(mem)}..${hex(end)} overlaps the loader's own pages ${hex(hit.start)}..${hex(hit.end)}`);
    const file = segmentBytes(s, r.kernel);
    const bytes = lead === 0n ? file : new Uint8Array(Number(lead) + file.length);
    if (lead !== 0n) bytes.set(file, Number(lead));
    return { data: { kind: "bytes", bytes }, bufsz: BigInt(bytes.length), mem, memsz, role: "kernel", name: s.name ?? `PT_LOAD[${i}]`, ...(s.vaddr === undefined ? {} : { vaddr: s.vaddr }) };
  });
}

/**
 * The ELF a PVH loader boots: the kernel itself, or, for a bzImage, the
 * vmlinux its payload inflates to (`FILE#payload`).
 */
export function pvhKernelElf(kernel: Uint8Array, kernelPath: string): { path: string; bytes: Uint8Array } {
  const input = { path: kernelPath, bytes: kernel };
  if (XEN_ELF_IMAGE_FORMAT.probe(input)) return input;
  if (bzImageFormat.probe(input)) return extractBzImagePayload(input).vmlinux;
  throw new ValidationError(kernelPath, "a PVH kernel is an ELF with XEN_ELFNOTE_PHYS32_ENTRY, or a bzImage whose payload is one");
}

/** Plan a PVH boot of an ELF kernel: PT_LOADs, start info (two pages at layout.bootData), initrd placed high. */
export function planPvhLinux(request: PvhLinuxRequest): PvhLinuxPlan {
  const elf = pvhKernelElf(request.kernel, request.kernelPath);
  const r = { ...request, kernel: elf.bytes, kernelPath: elf.path };
  const image = XEN_ELF_IMAGE_FORMAT.parse(elf);
  elfMachineArch(image, r);
  const L = r.layout;
  const startInfoAddr = L.bootData;
  const keepOut = [{ start: L.stub, end: startInfoAddr + 2n * PAGE }];
  const kernel = kernelSegments(image, r, keepOut);
  const taken = [...keepOut, ...kernel.map((s) => ({ start: s.mem, end: s.mem + s.memsz }))];
  const modules = [];
  let initrdSegment: Segment | undefined;
  if (r.initrd?.length) {
    const size = BigInt(r.initrd.length);
    // Our blobs are in RAM before SeaBIOS runs its POST allocations from the top of RAM: keep the initrd low.
    const addr = placeInitrdHigh(r.memoryMap, taken, size, X86_LINUX_INITRD_CEILING);
    modules.push({ paddr: addr, size, ...(r.initrdCmdline === undefined ? {} : { cmdline: r.initrdCmdline }) });
    initrdSegment = { data: { kind: "bytes", bytes: r.initrd }, bufsz: size, mem: addr, memsz: alignUp(size, PAGE), role: "initrd", name: "initrd (module 0)" };
  }
  // rsdp_paddr is planned 0: the stub copies the PVH loader's value there at run time (where SeaBIOS put the RSDP moves with the machine).
  const info = buildPvhStartInfo({ base: startInfoAddr, cmdline: r.cmdline, modules, memmap: r.memoryMap.ranges, rsdpPaddr: 0n });
  const startSegment: Segment = { data: { kind: "bytes", bytes: info.bytes }, bufsz: BigInt(info.bytes.length), mem: startInfoAddr, memsz: BigInt(info.bytes.length), role: "boot-info", name: "hvm_start_info" };
  return { image, entry: image.entry.phys, startInfoAddr, startInfo: info.fields, segments: [...kernel, startSegment, ...(initrdSegment ? [initrdSegment] : [])] };
}

/** How one width names its PVH entry state. */
export type PvhStateMaker = (options: { readonly gdt: HandoffGdt; readonly gdtBase: bigint; readonly startInfo: bigint; readonly entry: bigint }) => HandoffState;

/**
 * The PVH boot of `request` as a PVH ELF QEMU boots with `-kernel`: QEMU's
 * PVH path enters the IA-32 stub, which runs the in-place list, copies the
 * loader's rsdp_paddr into our start info and enters the kernel's PHYS32
 * entry with ebx = our hvm_start_info, every other register as `makeState`
 * promises (pvh.pandoc; handoff zeroes the unspecified ones).
 */
export function buildPvhLinuxArtefact(arch: "x86_32" | "x86_64", request: LinuxBootRequest, makeState: PvhStateMaker, machine: LinuxMachine): HandoffArtefact {
  const L = PVH_LINUX_LAYOUT;
  if (request.entryMode !== undefined) throw new ValidationError(`${arch} PVH boot`, "this architecture has no entry-mode choice");
  const plan = planPvhLinux({ arch, kernel: request.kernel, kernelPath: request.kernelPath, initrd: request.initrd, cmdline: request.cmdline, memoryMap: pcMemoryMap(machine.ramSize), layout: L });
  const list: InPlaceList = layoutInPlaceList(plan.segments, { word: 4, listBase: L.list });
  if (L.list + BigInt(list.bytes.length) > L.listEnd) throw new ValidationError(`${arch} PVH boot`, `indirection list of ${list.bytes.length} bytes overruns its room`);
  const gdt = buildHandoffGdt(BOOT_SELECTORS, false);
  const state = makeState({ gdt, gdtBase: L.stub + BigInt(X86_32_STUB_GDT_OFFSET), startInfo: plan.startInfoAddr, entry: plan.entry });
  // Checked as planned (rsdp_paddr 0): the stub copies the loader's RSDP into the start info after its check.
  const check = segmentCheck(plan.segments, { ...(request.noVerify ? { noVerify: true } : {}), console: PC_COM1_PORT });
  const stub = buildIa32Stub(state, list, gdt, { rsdpDestination: plan.startInfoAddr + BigInt(START_INFO_RSDP_OFFSET), check });
  const artefact = pvhElfArtefact({
    arch,
    protocol: "pvh",
    stub: { addr: L.stub, bytes: stub.bytes, failOffset: X86_32_HANDOFF_STUB.symbols.hd_fail, verifyFailOffset: X86_32_HANDOFF_STUB.symbols.hd_verify_fail },
    verifiedRegions: check.regions.length,
    loads: [{ paddr: L.list, bytes: list.bytes }, ...plan.segments.map((s) => ({ paddr: s.mem, bytes: (s.data as { bytes: Uint8Array }).bytes, memsz: s.memsz }))],
    entry: plan.entry,
    segments: plan.segments,
    list,
    state,
    qemu: { machine: "pc", memory: machine.memory },
  });
  return {
    ...artefact,
    bootInfo: {
      protocol: `${PVH} "x86/HVM direct boot ABI", start_info.h version 1`,
      hvm_start_info_paddr: plan.startInfoAddr,
      hvm_start_info: plan.startInfo,
      rsdp_paddr_source: "copied at run time from the hvm_start_info of the PVH loader that entered the stub (QEMU: the RSDP SeaBIOS placed)",
      paddrOffsetApplied: 0n,
    },
  };
}
