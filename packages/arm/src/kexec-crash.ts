/**
 * Arm crash (kdump) `kexec_load`, both widths: the capture kernel, its DTB,
 * initrd, handoff's stub and the ELF core header all inside the crash region
 * (`crashkernel=`, /proc/iomem "Crash kernel"), flags | KEXEC_ON_CRASH. The
 * capture kernel learns where the dump's header is and which memory is its own:
 *
 * - arm64 through /chosen (Documentation/devicetree/bindings/chosen.txt):
 *   `linux,elfcorehdr` = <address size> of the header, which the capture kernel
 *   reserves (drivers/of/fdt.c), and `linux,usable-memory-range` = the crash
 *   region(s), crashk_res first, to which it caps memblock; both in the root's
 *   #address-cells / #size-cells, as kexec-tools arm64 writes them.
 * - arm32 through its command line, as kexec-tools arm does: `elfcorehdr=ADDR`
 *   and `mem=SIZE@START` (arch/arm/kernel/setup.c early_mem replaces every RAM
 *   bank with that one); the header sits at the region's top, outside `mem=`,
 *   where vmcore reads it as old memory. The zImage decompressor writes the
 *   kernel at (pc & 0xf8000000) + TEXT_OFFSET, so the region must start on a
 *   128 MiB boundary (arch/arm/kernel/setup.c reserves crashkernel= with
 *   CRASH_ALIGN = 128 MiB) for the kernel to unpack inside it.
 *
 * Linux (6.1 machine_kexec, both arches) enters purgatory for a crash image
 * exactly as for a live one with nothing to copy: MMU and caches off, the
 * segments already in place; the stub checks them and enters the kernel.
 */
import { MemoryMap, ValidationError, alignDown, hex, type LinuxBootBuilder, type LinuxCrashKexecRequest, type LinuxKexecPlan, type SegmentRole } from "@handoff/core";
import { DeviceTree, FdtValue, encodeFdt, parseFdt } from "@handoff/core/fdt";
import { KEXEC_ON_CRASH, buildCrashElfHeader, captureCmdline, crashDumpRanges, crashRegionTooSmall, kexecLoadSegment, type KexecLoadSegment } from "@handoff/core/kexec";
import { checkInRam, checkOptionsOf, firmwareReservations, kexecDeviceTree, makeArmLinuxKexecBuilder, withStub } from "./kexec.js";
import { ARM_DTB_ROOM, type ArmLinuxPlacement, type ArmLinuxWidth } from "./linux-boot.js";

const PAGE = 0x1000n;
/** arch/arm/boot/compressed/head.S: the decompressor's RAM base is pc & 0xf8000000. */
const ARM32_DECOMPRESSOR_BASE_MASK = ~0x7ff_ffffn;
/** /chosen property naming the ELF core header, <address size> (chosen.txt). */
export const CHOSEN_ELFCOREHDR = "linux,elfcorehdr";
/** /chosen property limiting the capture kernel's memory, <address size>... with crashk_res first (chosen.txt). */
export const CHOSEN_USABLE_MEMORY = "linux,usable-memory-range";

/** Where the crashed kernel's ELF core header goes: page-aligned at the crash region's top. */
function headerPlace(region: { start: bigint; end: bigint }, bytes: number): bigint {
  const at = alignDown(region.end - BigInt(bytes), PAGE);
  if (at < region.start) throw crashRegionTooSmall(region, `the ELF core header (${bytes} bytes)`);
  return at;
}

/** The capture kernel placed by its width in [region start, header), compactly (arm32: DTB above the zImage, not at RAM + 128 MiB). */
function placeCapture(width: ArmLinuxWidth, request: LinuxCrashKexecRequest, below: bigint, initrdSize: bigint) {
  const region = request.crashRegion;
  const kernel = width.readKernel({ protocol: "linux", kernel: request.kernel, kernelPath: request.kernelPath, cmdline: request.cmdline });
  let p: ArmLinuxPlacement;
  try {
    p = kernel.place({ memory: "", ramBase: region.start, ramSize: below - region.start }, initrdSize, { compact: true });
  } catch (cause) {
    if (cause instanceof ValidationError) throw crashRegionTooSmall(region, `the capture kernel ${request.kernelPath}${initrdSize > 0n ? ` and its ${initrdSize}-byte initrd` : ""} (${cause.message})`, cause);
    throw cause;
  }
  if (width.arch === "arm32" && (p.kernel & ARM32_DECOMPRESSOR_BASE_MASK) !== region.start) {
    throw new ValidationError(
      "kexec load --crash",
      `the zImage's decompressor would write the kernel at ${hex((p.kernel & ARM32_DECOMPRESSOR_BASE_MASK) + 0x8000n)} (pc & 0xf8000000 + TEXT_OFFSET), outside the crash region [${hex(region.start)}, ${hex(region.end)}), which does not start on a 128 MiB boundary`,
    );
  }
  return { kernel, p };
}

/** The running devicetree for the capture kernel: the live kexec patch, plus arm64's linux,elfcorehdr and linux,usable-memory-range. */
function captureDeviceTree(width: ArmLinuxWidth, request: LinuxCrashKexecRequest, cmdline: string, header: { at: bigint; size: bigint }, initrd?: { start: bigint; end: bigint }): { tree: DeviceTree; bytes: Uint8Array } {
  const { tree } = parseFdt(request.dtb!, "running devicetree");
  // kexecDeviceTree patches /chosen (and removes stale capture properties); arm64's are set after it, then encoded again.
  const patched = kexecDeviceTree(tree, { cmdline, ...(initrd ? { initrd } : {}), ...(request.seed ? { seed: request.seed } : {}) });
  if (width.arch !== "arm64") return { tree, bytes: patched };
  const ac = DeviceTree.addressCells(tree.root);
  const sc = DeviceTree.sizeCells(tree.root);
  const chosen = tree.ensure("/chosen");
  chosen.set(CHOSEN_ELFCOREHDR, FdtValue.reg([{ address: header.at, size: header.size }], ac, sc));
  const usable = [request.crashRegion, ...request.crashRegions.filter((r) => r.start !== request.crashRegion.start)];
  chosen.set(CHOSEN_USABLE_MEMORY, FdtValue.reg(usable.map((r) => ({ address: r.start, size: r.end - r.start })), ac, sc));
  return { tree, bytes: encodeFdt(tree) };
}

/**
 * A crash `kexec_load` of an Arm kernel: see the file comment. Every refusal
 * is one line: the crash region too small for the header or the capture
 * kernel and its initrd, an arm32 region the decompressor would unpack
 * outside of, a segment over a firmware reservation.
 */
export function planArmCrashKexec(width: ArmLinuxWidth, request: LinuxCrashKexecRequest): LinuxKexecPlan {
  const what = `${width.arch} kexec_load --crash`;
  if (request.dtb === undefined) throw new ValidationError(what, "needs the running machine's devicetree (/sys/firmware/fdt) or --dtb");
  const region = request.crashRegion;
  const header = buildCrashElfHeader({
    elfClass: width.arch === "arm64" ? 64 : 32,
    endianness: "little",
    machine: width.elfMachine,
    ram: crashDumpRanges(request.systemRam, request.crashRegions),
    notes: request.notes,
  });
  const headerAt = headerPlace(region, header.bytes.length);
  const initrd = request.initrd ?? new Uint8Array(0);
  const { kernel, p } = placeCapture(width, request, headerAt, BigInt(initrd.length));
  const cmdline =
    width.arch === "arm64" ? captureCmdline(request.cmdline, undefined) : captureCmdline(request.cmdline, headerAt, [`mem=${hex(headerAt - region.start)}@${hex(region.start)}`]);
  const initrdRange = initrd.length ? { start: p.initrd, end: p.initrd + BigInt(initrd.length) } : undefined;
  const dtb = captureDeviceTree(width, request, cmdline, { at: headerAt, size: BigInt(header.bytes.length) }, initrdRange);
  if (BigInt(dtb.bytes.length) > ARM_DTB_ROOM) throw new ValidationError(`${width.arch} DTB`, `${dtb.bytes.length} bytes exceed the 2 MiB planned for it`);
  const staged: { segment: KexecLoadSegment; role: SegmentRole }[] = [
    { segment: kexecLoadSegment(kernel.bytes, p.kernel, kernel.name, kernel.memsz), role: "kernel" },
    { segment: kexecLoadSegment(dtb.bytes, p.dtb, "dtb"), role: "dtb" },
    ...(initrd.length ? [{ segment: kexecLoadSegment(initrd, p.initrd, "initrd"), role: "initrd" as const }] : []),
    { segment: kexecLoadSegment(header.bytes, headerAt, "ELF core header"), role: "other" },
  ];
  // Entered at EL1/SVC, or at EL2 when the running kernel was booted there (arm64): as for a live kexec.
  const [state, atHypervisor] = width.entryModes.map((mode) => width.entryState({ dtb: p.dtb, entry: p.kernel, mode })) as [LinuxKexecPlan["state"], LinuxKexecPlan["state"]];
  const plan = withStub(width, state, { stub: p.stub, tables: p.list }, staged, checkOptionsOf(request, dtb.tree), atHypervisor);
  checkInRam(request.memoryMap, firmwareReservations(dtb.tree), plan.segments, what);
  const inRegion = MemoryMap.of([{ start: region.start, size: region.end - region.start, type: "ram" }]);
  for (const s of plan.segments) if (!inRegion.covers(s.mem, s.mem + s.memsz)) throw crashRegionTooSmall(region, `${s.name} at ${hex(s.mem)}..${hex(s.mem + s.memsz)}`);
  return { ...plan, flags: plan.flags | KEXEC_ON_CRASH };
}

/** The width's Linux boot builder with live and crash kexec planning. */
export function makeArmLinuxKdumpBuilder(width: ArmLinuxWidth): LinuxBootBuilder {
  return { ...makeArmLinuxKexecBuilder(width), kexecCrash: (request) => planArmCrashKexec(width, request) };
}
