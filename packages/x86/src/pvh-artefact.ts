import type { HandoffArtefact } from "@handoff/core";
import { writePvhElf, type PvhLoad } from "./pvh-elf.js";

/** What both x86 widths put in a PVH-ELF artefact: the stub and the blobs it needs, and what the CPU must reach. */
export interface PvhArtefactParts extends Pick<HandoffArtefact, "protocol" | "entry" | "segments" | "list" | "pageTableRoot" | "state" | "qemu"> {
  readonly arch: "x86_32" | "x86_64";
  /** The stub's load address (QEMU's PVH entry jumps here) and its bytes; `failOffset` is `hd_fail`, `verifyFailOffset` `hd_verify_fail`. */
  readonly stub: { readonly addr: bigint; readonly bytes: Uint8Array; readonly failOffset: number; readonly verifyFailOffset?: number };
  /** Regions the stub's segment check hashes (0 = none). */
  readonly verifiedRegions?: number;
  /** Everything else to load: list, tables, boot data, staged pages, segments. */
  readonly loads: readonly PvhLoad[];
}

/**
 * An x86 artefact as one PVH ELF (`qemu -kernel handoff.elf` enters the stub
 * through QEMU's PVH path): the shape every x86 builder returns, kept once.
 */
export function pvhElfArtefact(p: PvhArtefactParts): HandoffArtefact {
  const elf = writePvhElf({ elfClass: p.arch === "x86_64" ? 64 : 32, entry32: p.stub.addr, loads: [{ paddr: p.stub.addr, bytes: p.stub.bytes }, ...p.loads] });
  return {
    arch: p.arch,
    protocol: p.protocol,
    files: [{ name: "handoff.elf", bytes: elf, role: "pvh-elf" }],
    launch: { kind: "kernel-elf", file: "handoff.elf" },
    stubEntry: p.stub.addr,
    stubFail: p.stub.addr + BigInt(p.stub.failOffset),
    ...(p.stub.verifyFailOffset === undefined ? {} : { verify: { regions: p.verifiedRegions ?? 0, failPc: p.stub.addr + BigInt(p.stub.verifyFailOffset) } }),
    entry: p.entry,
    segments: p.segments,
    list: { head: p.list.head, maxSteps: p.list.maxSteps, entries: p.list.entries },
    ...(p.pageTableRoot === undefined ? {} : { pageTableRoot: p.pageTableRoot }),
    state: p.state,
    qemu: p.qemu,
  };
}
