/**
 * Where the stub may report a segment mismatch on a running machine: the
 * machine's own console, as its devicetree names it, and only when that is a
 * PL011 the stub knows how to write (one store to UARTDR, offset 0x000, PL011
 * TRM §3.3.1). Anything else (another UART, a console behind translated bus
 * ranges, no stdout-path) gives none: the stub then stops without a line
 * rather than store to an address that is some other device there.
 */
import { DeviceTree, type FdtNode } from "@handoff/core/fdt";

/** Compatible strings of an ARM PrimeCell UART (Linux Documentation/devicetree/bindings/serial/pl011.yaml). */
const PL011_COMPATIBLE = "arm,pl011";

/**
 * The PL011 data register of the console in `/chosen/stdout-path` (Devicetree
 * Specification v0.4 §3.6: a full path or an alias, optionally followed by
 * ":options"), or undefined when there is none the stub can use.
 */
export function pl011Console(tree: DeviceTree): bigint | undefined {
  const chosen = tree.find("/chosen");
  const stdout = chosen?.property("stdout-path") ?? chosen?.property("linux,stdout-path");
  if (stdout === undefined || stdout.length === 0) return undefined;
  const [name] = stdout.string().split(":");
  if (name === undefined || name === "") return undefined;
  const path = name.startsWith("/") ? name : aliasPath(tree, name);
  if (path === undefined) return undefined;
  const chain = nodesAlong(tree, path);
  const node = chain?.[chain.length - 1];
  if (chain === undefined || node === undefined) return undefined;
  const compatible = node.property("compatible");
  if (compatible === undefined || !compatible.strings().includes(PL011_COMPATIBLE)) return undefined;
  const status = node.property("status");
  if (status !== undefined && !["okay", "ok"].includes(status.string())) return undefined;
  // Every bus between the root and the UART must map 1:1 (an empty `ranges`, §2.3.8), or `reg` is no CPU address.
  const buses = chain.slice(0, -1);
  if (buses.slice(1).some((bus) => bus.property("ranges")?.length !== 0)) return undefined;
  const parent = buses[buses.length - 1]!;
  const reg = node.property("reg")?.addressSizePairs(DeviceTree.addressCells(parent), DeviceTree.sizeCells(parent))[0];
  return reg === undefined || reg.address === 0n ? undefined : reg.address;
}

/** The path an `/aliases` property names (§3.3). */
function aliasPath(tree: DeviceTree, alias: string): string | undefined {
  const value = tree.find("/aliases")?.property(alias);
  return value === undefined || value.length === 0 ? undefined : value.string();
}

/** The nodes from the root to `path` (the root first), or undefined when a step is missing. */
function nodesAlong(tree: DeviceTree, path: string): FdtNode[] | undefined {
  const chain: FdtNode[] = [tree.root];
  for (const part of path.split("/").filter((p) => p.length > 0)) {
    const next = chain[chain.length - 1]!.child(part);
    if (next === undefined) return undefined;
    chain.push(next);
  }
  return chain;
}
