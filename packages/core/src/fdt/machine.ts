/**
 * Devicetree operations a loader needs: read RAM from /memory nodes, set the
 * /chosen properties Linux reads at boot, and build a DTB for a simple
 * machine description. Node and property conventions from the Devicetree
 * Specification v0.4 (§3.4 memory, §3.6 chosen, §3.7-3.8 cpus) and Linux
 * Documentation/devicetree/usage-model.rst (linux,initrd-start/end).
 */
import { ValidationError } from "../errors.js";
import { fitsUnsigned, hex } from "../bits.js";
import { MemoryMap, type MemoryRange } from "../memory-map.js";
import { DeviceTree, FdtNode, FdtValue, type FdtReservation } from "./tree.js";

/**
 * RAM described by the tree: every node directly under the root whose
 * device_type is "memory" (§3.4), its `reg` decoded with the root's
 * #address-cells/#size-cells. Zero-sized entries are dropped.
 */
export function fdtMemoryRanges(tree: DeviceTree): MemoryRange[] {
  const ac = DeviceTree.addressCells(tree.root);
  const sc = DeviceTree.sizeCells(tree.root);
  const out: MemoryRange[] = [];
  for (const node of tree.root.children) {
    const type = node.property("device_type");
    if (!type || type.length === 0 || type.strings()[0] !== "memory") continue;
    const reg = node.property("reg");
    if (!reg) continue;
    for (const { address, size } of reg.addressSizePairs(ac, sc)) {
      if (size > 0n) out.push({ start: address, size, type: "ram" });
    }
  }
  return out;
}

const isMemoryNode = (node: FdtNode): boolean => {
  const type = node.property("device_type");
  return type !== undefined && type.length > 0 && type.strings()[0] === "memory";
};
const byStart = (a: MemoryRange, b: MemoryRange) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0);

/**
 * Make the tree describe exactly `ram` (§3.4): left untouched when its
 * /memory nodes already say so; otherwise every root child whose device_type
 * is "memory" is removed and one memory@<start> node per range (reg in the
 * root's #address-cells/#size-cells) takes the first one's place.
 */
export function setFdtMemory(tree: DeviceTree, ram: readonly MemoryRange[]): void {
  const wanted = [...ram].sort(byStart);
  for (const m of wanted) if (m.type !== "ram" || m.size <= 0n) throw new ValidationError(`memory ${hex(m.start)}`, `a /memory node describes RAM of a positive size, not ${m.type} of ${hex(m.size)}`);
  const current = fdtMemoryRanges(tree).sort(byStart);
  if (current.length === wanted.length && current.every((c, i) => c.start === wanted[i]!.start && c.size === wanted[i]!.size)) return;
  const ac = DeviceTree.addressCells(tree.root);
  const sc = DeviceTree.sizeCells(tree.root);
  const children = tree.root.children;
  const first = children.findIndex(isMemoryNode);
  const at = first < 0 ? children.length : first;
  const kept = children.filter((c) => !isMemoryNode(c));
  const nodes = wanted.map((m) => {
    const node = new FdtNode(`memory@${m.start.toString(16)}`);
    if (kept.some((c) => c.name === node.name)) throw new ValidationError(`node ${node.name}`, "a sibling that is not a memory node already has this name");
    return node.set("device_type", FdtValue.string("memory")).set("reg", FdtValue.reg([{ address: m.start, size: m.size }], ac, sc));
  });
  children.splice(0, children.length, ...kept.slice(0, at), ...nodes, ...kept.slice(at));
}

/** RAM of the tree as a validated `MemoryMap` (overlapping /memory ranges are refused). */
export function fdtMemoryMap(tree: DeviceTree): MemoryMap {
  return MemoryMap.of(fdtMemoryRanges(tree));
}

/** What a loader writes into /chosen. */
export interface ChosenSettings {
  /** Kernel command line (`bootargs`). */
  readonly bootargs?: string;
  /** Initrd physical range: linux,initrd-start / linux,initrd-end (end exclusive). */
  readonly initrd?: { readonly start: bigint; readonly end: bigint };
  /** `stdout-path`, e.g. "/pl011@9000000". */
  readonly stdoutPath?: string;
}

/**
 * Create /chosen if needed and set bootargs and the initrd range. The initrd
 * properties are u64 when the root's #address-cells is 2 (or more), u32 when
 * it is 1 (a value that does not fit is refused).
 */
export function setChosen(tree: DeviceTree, settings: ChosenSettings): FdtNode {
  const chosen = tree.ensure("/chosen");
  if (settings.bootargs !== undefined) chosen.set("bootargs", FdtValue.string(settings.bootargs));
  if (settings.stdoutPath !== undefined) chosen.set("stdout-path", FdtValue.string(settings.stdoutPath));
  if (settings.initrd) {
    const { start, end } = settings.initrd;
    if (end < start) throw new ValidationError("initrd", `end ${hex(end)} is below start ${hex(start)}`);
    const wide = DeviceTree.addressCells(tree.root) >= 2;
    const encode = (v: bigint, name: string): Uint8Array => {
      if (wide) return FdtValue.u64(v);
      if (!fitsUnsigned(v, 32)) throw new ValidationError(name, `${hex(v)} does not fit the root's #address-cells = 1`);
      return FdtValue.u32(v);
    };
    chosen.set("linux,initrd-start", encode(start, "linux,initrd-start"));
    chosen.set("linux,initrd-end", encode(end, "linux,initrd-end"));
  }
  return chosen;
}

/** A minimal machine for which to emit a devicetree. */
export interface MachineDescription {
  readonly model: string;
  readonly compatible: readonly string[];
  /** Root #address-cells / #size-cells (default 2 / 2, as on 64-bit machines). */
  readonly addressCells?: number;
  readonly sizeCells?: number;
  /** RAM ranges; each becomes a memory@<start> node. Non-RAM ranges are refused. */
  readonly memory: readonly MemoryRange[];
  readonly cpus?: {
    readonly count: number;
    readonly compatible: string;
    /** e.g. "psci"; omitted when undefined. */
    readonly enableMethod?: string;
  };
  readonly chosen?: ChosenSettings;
  readonly reservations?: readonly FdtReservation[];
}

/** Build the devicetree for `machine` (encode it with `encodeFdt`). */
export function machineDeviceTree(machine: MachineDescription): DeviceTree {
  const ac = machine.addressCells ?? 2;
  const sc = machine.sizeCells ?? 2;
  if (ac < 1 || ac > 2 || sc < 1 || sc > 2) throw new ValidationError("machine", "#address-cells and #size-cells must be 1 or 2");
  const tree = new DeviceTree(undefined, machine.reservations ? [...machine.reservations] : []);
  const root = tree.root;
  root.set("#address-cells", FdtValue.u32(ac));
  root.set("#size-cells", FdtValue.u32(sc));
  root.set("model", FdtValue.string(machine.model));
  root.set("compatible", FdtValue.strings(machine.compatible));
  if (machine.cpus) {
    const { count, compatible, enableMethod } = machine.cpus;
    if (!Number.isInteger(count) || count < 1 || count > 4096) throw new ValidationError("machine.cpus.count", `${count} is not between 1 and 4096`);
    const cpus = root.addChild("cpus");
    cpus.set("#address-cells", FdtValue.u32(1));
    cpus.set("#size-cells", FdtValue.u32(0));
    for (let i = 0; i < count; i++) {
      const cpu = cpus.addChild(`cpu@${i.toString(16)}`);
      cpu.set("device_type", FdtValue.string("cpu"));
      cpu.set("compatible", FdtValue.string(compatible));
      cpu.set("reg", FdtValue.u32(i));
      if (enableMethod) cpu.set("enable-method", FdtValue.string(enableMethod));
    }
  }
  const sorted = [...machine.memory].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const m of sorted) {
    if (m.type !== "ram") throw new ValidationError(`memory ${hex(m.start)}`, `type ${m.type} is not RAM; describe it with a reservation instead`);
    const node = root.addChild(`memory@${m.start.toString(16)}`);
    node.set("device_type", FdtValue.string("memory"));
    node.set("reg", FdtValue.reg([{ address: m.start, size: m.size }], ac, sc));
  }
  if (machine.chosen) setChosen(tree, machine.chosen);
  else tree.ensure("/chosen");
  return tree;
}
