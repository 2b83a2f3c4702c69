import { alignUp, checkedAdd64, hex } from "./bits.js";
import { ValidationError } from "./errors.js";
import { IND_DESTINATION, IND_DONE, IND_INDIRECTION, IND_SOURCE, IND_ZERO, type HandoffArtefact } from "./handoff-artefact.js";
import type { Segment } from "./image.js";

const PAGE = 4096n;

/** A real kernel to boot with its initrd and command line. */
export interface LinuxBootRequest {
  /** `linux` (the arch's native boot protocol) or another the builder lists (x86: `pvh`). */
  readonly protocol: string;
  /** The kernel file as the user has it (bzImage, arm64 Image, zImage). */
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  readonly initrd?: Uint8Array;
  /** The exact command line the kernel must report. */
  readonly cmdline: string;
  /** The emulated machine's own devicetree (`-machine dumpdtb=`), for arches that hand one over. */
  readonly machineDtb?: Uint8Array;
  /** `el1`/`el2` (arm64), `svc`/`hyp` (arm32). */
  readonly entryMode?: string;
}

/** QEMU settings a Linux artefact's addresses assume. */
export interface LinuxMachine {
  readonly machine?: string;
  readonly memory: string;
  /** RAM the plan may use: [base, base + size). */
  readonly ramBase: bigint;
  readonly ramSize: bigint;
}

/**
 * Builds artefacts that boot a real Linux kernel through handoff's stub
 * (registered by arch plugins under {@link LINUX_BOOT_BUILDER}).
 */
export interface LinuxBootBuilder {
  readonly arch: string;
  /** Protocols accepted; the first is the default. */
  readonly protocols: readonly string[];
  /** Whether `build` needs the machine's devicetree for `protocol`. */
  needsMachineDtb(protocol: string): boolean;
  /** The machine the plan is for (the DTB must be dumped from the same one). */
  machine(protocol: string, entryMode?: string): LinuxMachine;
  /** Builds the Linux boot artefact for `request`. */
  build(request: LinuxBootRequest): HandoffArtefact;
}

/** Token under which arch plugins register their {@link LinuxBootBuilder}. */
export const LINUX_BOOT_BUILDER = Symbol.for("@handoff/core/LinuxBootBuilder");

/** The list that places segments already staged at their destinations (page-aligned). */
export interface InPlaceList {
  readonly head: bigint;
  readonly maxSteps: bigint;
  readonly entries: readonly bigint[];
  /** The list pages, to be loaded at `listBase`. */
  readonly bytes: Uint8Array;
}

/**
 * Indirection list for segments staged in place: each segment's file pages are
 * loaded at their destination, so each page's SOURCE is its own DESTINATION
 * (copy-safe by the rule "a source page is its own destination or no one's"),
 * and pages past bufsz up to memsz become ZERO entries. The list pages at
 * `listBase` must not touch any segment.
 */
export function layoutInPlaceList(segments: readonly Segment[], options: { readonly word: 4 | 8; readonly listBase: bigint }): InPlaceList {
  const { word, listBase } = options;
  if (listBase % PAGE !== 0n) throw new ValidationError("in-place list", `list base ${hex(listBase)} is not page-aligned`);
  const entries: bigint[] = [];
  const limit = word === 4 ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
  const sorted = [...segments].sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  let previousEnd = 0n;
  for (const s of sorted) {
    const what = s.name ?? s.role;
    if (s.mem % PAGE !== 0n) throw new ValidationError(`segment ${what}`, `destination ${hex(s.mem)} is not page-aligned`);
    if (s.bufsz > s.memsz) throw new ValidationError(`segment ${what}`, `bufsz ${hex(s.bufsz)} exceeds memsz ${hex(s.memsz)}`);
    const end = checkedAdd64(s.mem, alignUp(s.memsz, PAGE), `segment ${what} end`);
    if (end - 1n > limit) throw new ValidationError(`segment ${what}`, `ends at ${hex(end)}, beyond a ${word * 8}-bit list word`);
    if (s.mem < previousEnd) throw new ValidationError(`segment ${what}`, `overlaps the segment before it (which ends at ${hex(previousEnd)})`);
    previousEnd = end;
    entries.push(s.mem | IND_DESTINATION);
    const filePages = alignUp(s.bufsz, PAGE) / PAGE;
    const pages = alignUp(s.memsz, PAGE) / PAGE;
    for (let i = 0n; i < pages; i++) entries.push(i < filePages ? (s.mem + i * PAGE) | IND_SOURCE : IND_ZERO);
  }
  entries.push(IND_DONE);
  const per = Number(PAGE) / word - 1;
  const listPages = Math.ceil(entries.length / per);
  const listEnd = listBase + BigInt(listPages) * PAGE;
  for (const s of sorted) {
    if (listBase < s.mem + alignUp(s.memsz, PAGE) && s.mem < listEnd) throw new ValidationError("in-place list", `list pages ${hex(listBase)}..${hex(listEnd)} overlap segment ${s.name ?? s.role}`);
  }
  const bytes = new Uint8Array(listPages * Number(PAGE));
  const view = new DataView(bytes.buffer);
  for (let p = 0; p < listPages; p++) {
    const chunk = entries.slice(p * per, (p + 1) * per);
    if (p + 1 < listPages) chunk.push((listBase + BigInt(p + 1) * PAGE) | IND_INDIRECTION);
    chunk.forEach((w, i) => {
      const at = p * Number(PAGE) + i * word;
      if (word === 8) view.setBigUint64(at, w, true);
      else view.setUint32(at, Number(w), true);
    });
  }
  return { head: listBase | IND_INDIRECTION, maxSteps: BigInt(entries.length + listPages + 1), entries, bytes };
}
