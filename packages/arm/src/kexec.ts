import { LINUX_KEXEC_SEED_BYTES, ValidationError, hex, type LinuxBootBuilder, type LinuxKexecPlan, type LinuxKexecRequest, type LinuxMachine, type MemoryMap, type Segment, type SegmentRole } from "@handoff/core";
import { DeviceTree, FdtValue, encodeFdt, parseFdt, setChosen } from "@handoff/core/fdt";
import { IND_DONE, kexecLoadSegment, linuxKexecFlags, segmentCheck, type KexecLoadSegment, type Sha256Hasher } from "@handoff/core/kexec";
import { ARM_DTB_ROOM, makeArmLinuxBootBuilder, placeAfterDtb, type ArmLinuxWidth } from "./linux-boot.js";
import { ARM_VIRT_LINUX_MACHINE } from "./virt.js";
import { pl011Console } from "./console.js";

const PAGE = 0x1000n;
const MIB = 0x10_0000n;
/** Bytes of `rng-seed` handed to the new kernel (drivers/of/fdt.c feeds all of it to add_bootloader_randomness). */
export const ARM_KEXEC_RNG_SEED_BYTES = 64;
/** `kaslr-seed`: one u64 (Documentation/devicetree/bindings/chosen.txt); rng-seed and it make LINUX_KEXEC_SEED_BYTES. */
export const ARM_KEXEC_KASLR_SEED_BYTES = 8;
/**
 * /chosen properties of the running kernel that must not reach the next one:
 * a crash kernel's elfcorehdr and usable-memory range (chosen.txt), which
 * would make a normal kernel think it is a capture kernel.
 */
const STALE_CHOSEN = ["linux,elfcorehdr", "linux,usable-memory-range"] as const;

/**
 * The running machine's RAM a plan goes into: its largest System RAM range
 * (on `-M virt` the only one). Everything the plan places is checked against
 * the whole map afterwards, so a reservation inside it is never overwritten.
 */
export function kexecMachine(memoryMap: MemoryMap, what: string): LinuxMachine {
  const ram = memoryMap.ram().sort((a, b) => (a.size > b.size ? -1 : a.size < b.size ? 1 : 0))[0];
  if (ram === undefined) throw new ValidationError(what, "the running machine's memory map has no System RAM");
  return { ...ARM_VIRT_LINUX_MACHINE, ramBase: ram.start, ramSize: ram.size };
}

/** The staged segments as core `Segment`s, for the stub's SHA-256 table. */
function checkedSegment(s: KexecLoadSegment, role: SegmentRole): Segment {
  return { data: { kind: "bytes", bytes: s.bytes }, bufsz: BigInt(s.bytes.length), mem: s.mem, memsz: s.memsz, role, name: s.name! };
}

/**
 * What must survive the exec: the devicetree's /memreserve/ entries and
 * /reserved-memory children (firmware, secure world, GIC LPI tables). The
 * running kernel's own boot-time reservations (its image, initrd, page tables,
 * shown nested as "reserved" in /proc/iomem) die with it, as kexec-tools
 * also assumes, so they are not avoided.
 */
export function firmwareReservations(tree: DeviceTree): { start: bigint; size: bigint }[] {
  const out = tree.reservations.map((r) => ({ start: r.address, size: r.size }));
  const reserved = tree.root.child("reserved-memory");
  if (reserved !== undefined) {
    const ac = DeviceTree.addressCells(reserved);
    const sc = DeviceTree.sizeCells(reserved);
    for (const node of reserved.children) {
      for (const { address, size } of node.property("reg")?.addressSizePairs(ac, sc) ?? []) out.push({ start: address, size });
    }
  }
  return out.filter((r) => r.size > 0n);
}

/** Refuse a plan that writes outside the running machine's RAM (a hole, a device) or over a firmware reservation. */
export function checkInRam(memoryMap: MemoryMap, reservations: readonly { start: bigint; size: bigint }[], segments: readonly KexecLoadSegment[], what: string): void {
  for (const s of segments) {
    const end = s.mem + s.memsz;
    if (!memoryMap.covers(s.mem, end)) throw new ValidationError(what, `${s.name} at ${hex(s.mem)}..${hex(end)} is not all System RAM of the running machine`);
    const hit = reservations.find((r) => r.start < end && s.mem < r.start + r.size);
    if (hit) throw new ValidationError(what, `${s.name} at ${hex(s.mem)}..${hex(end)} overlaps the devicetree's reservation ${hex(hit.start)}..${hex(hit.start + hit.size)}`);
  }
}

/**
 * The running kernel's devicetree for the next one: /chosen gets the new
 * command line, the initrd range (or loses a stale one), fresh `rng-seed` and
 * `kaslr-seed` from `seed` (when given), and loses a crash kernel's
 * elfcorehdr / usable-memory-range. The /memory nodes and the reserve map are
 * the running machine's, as kexec-tools keeps them.
 */
export function kexecDeviceTree(tree: DeviceTree, settings: { cmdline: string; initrd?: { start: bigint; end: bigint }; seed?: Uint8Array }): Uint8Array {
  const chosen = setChosen(tree, { bootargs: settings.cmdline, ...(settings.initrd ? { initrd: settings.initrd } : {}) });
  if (!settings.initrd) for (const p of ["linux,initrd-start", "linux,initrd-end"]) chosen.remove(p);
  for (const p of STALE_CHOSEN) chosen.remove(p);
  if (settings.seed !== undefined) {
    if (settings.seed.length < LINUX_KEXEC_SEED_BYTES) throw new ValidationError("kexec seed", `${settings.seed.length} random bytes; rng-seed and kaslr-seed need ${LINUX_KEXEC_SEED_BYTES}`);
    chosen.set("rng-seed", settings.seed.slice(0, ARM_KEXEC_RNG_SEED_BYTES));
    const kaslr = new DataView(settings.seed.buffer, settings.seed.byteOffset + ARM_KEXEC_RNG_SEED_BYTES, ARM_KEXEC_KASLR_SEED_BYTES);
    chosen.set("kaslr-seed", FdtValue.u64(kaslr.getBigUint64(0)));
  }
  return encodeFdt(tree);
}

/** How the stub checks the segments: not at all (`noVerify`), with the MMU off even where the width has tables (`withoutMmu`), and the SHA-256 used for the digests. */
export interface ArmStubCheckOptions {
  readonly noVerify?: boolean;
  readonly withoutMmu?: boolean;
  readonly hasher?: Sha256Hasher;
  /** The PL011 data register the stub reports a mismatch on (see {@link pl011Console}); none: it stops without a line. */
  readonly console?: bigint;
}

/** The check options of a kexec request, as {@link withStub} takes them; the mismatch line goes to the console the running devicetree names. */
export const checkOptionsOf = (r: { readonly noVerify?: boolean; readonly verifyWithoutMmu?: boolean; readonly hasher?: Sha256Hasher }, running: DeviceTree): ArmStubCheckOptions => {
  const console = pl011Console(running);
  return {
    ...(r.noVerify ? { noVerify: true } : {}),
    ...(r.verifyWithoutMmu ? { withoutMmu: true } : {}),
    ...(r.hasher ? { hasher: r.hasher } : {}),
    ...(console === undefined ? {} : { console }),
  };
};

/**
 * The stub as purgatory: Linux's relocate_kernel has copied every segment, so
 * its list is a lone DONE; it checks, then enters `state` — or `atHypervisor`
 * (the same entry at EL2) where the width's stub follows a purgatory entered
 * at EL2, i.e. a running kernel booted there (arm64). Where the width has
 * check tables (arm64), they go at `tablesAt` as one more segment, checked
 * first, and the stub checks the others with the MMU and caches on.
 */
export function withStub(
  width: ArmLinuxWidth,
  state: LinuxKexecPlan["state"],
  at: { readonly stub: bigint; readonly tables: bigint },
  staged: readonly { segment: KexecLoadSegment; role: SegmentRole }[],
  verify: ArmStubCheckOptions,
  atHypervisor: LinuxKexecPlan["state"],
): LinuxKexecPlan {
  const useTables = !verify.noVerify && !verify.withoutMmu && width.checkTables !== undefined;
  const console = verify.console === undefined ? {} : { console: verify.console };
  const tables = useTables ? width.checkTables!({ segments: staged.map((s) => s.segment), stubAt: at.stub, ...console, at: at.tables }) : undefined;
  const checked = [...(tables ? [{ segment: kexecLoadSegment(tables.bytes, tables.at, "check tables"), role: "page-tables" as const }] : []), ...staged];
  const check = segmentCheck(
    checked.map((s) => checkedSegment(s.segment, s.role)),
    { ...(verify.noVerify ? { noVerify: true } : {}), ...(verify.hasher ? { hasher: verify.hasher } : {}), ...console },
  );
  const stub = width.buildStub(state, { head: IND_DONE, maxSteps: 1n }, check, atHypervisor, tables);
  return { entry: at.stub, segments: [kexecLoadSegment(stub.bytes, at.stub, "stub"), ...checked.map((s) => s.segment)], flags: linuxKexecFlags({ elfMachine: width.elfMachine }), state };
}

/**
 * A live `kexec_load` of an Arm kernel on the running machine: the width's
 * placement (arm64: 2 MiB-aligned base + text_offset; arm32: zImage above
 * the decompressed kernel so the decompressor never relocates itself, DTB and
 * initrd above 128 MiB) in the running machine's largest RAM range, the
 * running devicetree patched for the new kernel, and the stub as purgatory.
 * Linux's relocate_kernel (arm64 and arm) enters purgatory with the MMU and
 * D-cache off at the kernel's exception level; the stub sets the boot
 * protocol's registers (arm64 booting.rst: x0 = DTB, x1..x3 = 0; arm
 * booting.rst: r0 = 0, r1 = ~0, r2 = DTB).
 */
export function planArmKexec(width: ArmLinuxWidth, request: LinuxKexecRequest): LinuxKexecPlan {
  const what = `${width.arch} kexec_load`;
  if (request.dtb === undefined) throw new ValidationError(what, "needs the running machine's devicetree (/sys/firmware/fdt) or --dtb");
  const machine = kexecMachine(request.memoryMap, what);
  const kernel = width.readKernel({ protocol: "linux", kernel: request.kernel, kernelPath: request.kernelPath, cmdline: request.cmdline });
  const initrd = request.initrd ?? new Uint8Array(0);
  const p = kernel.place(machine, BigInt(initrd.length));
  const { tree } = parseFdt(request.dtb, "running devicetree");
  const dtb = kexecDeviceTree(tree, {
    cmdline: request.cmdline,
    ...(initrd.length ? { initrd: { start: p.initrd, end: p.initrd + BigInt(initrd.length) } } : {}),
    ...(request.seed ? { seed: request.seed } : {}),
  });
  if (BigInt(dtb.length) > ARM_DTB_ROOM) throw new ValidationError(`${width.arch} DTB`, `${dtb.length} bytes exceed the 2 MiB planned for it`);
  const staged = [
    { segment: kexecLoadSegment(kernel.bytes, p.kernel, kernel.name, kernel.memsz), role: "kernel" as const },
    { segment: kexecLoadSegment(dtb, p.dtb, "dtb"), role: "dtb" as const },
    ...(initrd.length ? [{ segment: kexecLoadSegment(initrd, p.initrd, "initrd"), role: "initrd" as const }] : []),
  ];
  const [state, atHypervisor] = width.entryModes.map((mode) => width.entryState({ dtb: p.dtb, entry: p.kernel, mode })) as [LinuxKexecPlan["state"], LinuxKexecPlan["state"]];
  const plan = withStub(width, state, { stub: p.stub, tables: p.list }, staged, checkOptionsOf(request, tree), atHypervisor);
  checkInRam(request.memoryMap, firmwareReservations(tree), plan.segments, what);
  return plan;
}

/**
 * `kexec load --probe` on Arm: the width's `b .` 2 MiB into the running
 * machine's RAM, entered in the state a kernel gets (the DTB register names a
 * zeroed page 4 MiB in, where nothing reads it), so that after a real exec the
 * CPU read over QMP can be compared with `state` register by register.
 */
export function planArmKexecProbe(width: ArmLinuxWidth, memoryMap: MemoryMap): LinuxKexecPlan {
  const what = `${width.arch} kexec --probe`;
  const machine = kexecMachine(memoryMap, what);
  const payloadAt = machine.ramBase + 2n * MIB;
  const p = placeAfterDtb(what, machine, payloadAt, machine.ramBase + 4n * MIB, 0n);
  const staged = [
    { segment: kexecLoadSegment(width.spin, payloadAt, "probe payload"), role: "kernel" as const },
    { segment: kexecLoadSegment(new Uint8Array(Number(PAGE)), p.dtb, "dtb (zeroed)"), role: "dtb" as const },
  ];
  const [state, atHypervisor] = width.entryModes.map((mode) => width.entryState({ dtb: p.dtb, entry: payloadAt, mode })) as [LinuxKexecPlan["state"], LinuxKexecPlan["state"]];
  const plan = withStub(width, state, { stub: p.stub, tables: p.list }, staged, {}, atHypervisor);
  checkInRam(memoryMap, [], plan.segments, what);
  return plan;
}

/** The width's Linux boot builder (QEMU artefacts) with live kexec planning: `kexec` and `kexecProbe`. */
export function makeArmLinuxKexecBuilder(width: ArmLinuxWidth): LinuxBootBuilder {
  return { ...makeArmLinuxBootBuilder(width), kexec: (request) => planArmKexec(width, request), kexecProbe: (memoryMap) => planArmKexecProbe(width, memoryMap) };
}
