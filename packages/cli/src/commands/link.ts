import { ElfFile } from "@handoff/core/elf";
import { LinkError, linkObject, type LinkedObject } from "@handoff/core/link";
import { hex } from "@handoff/core";
import type { LoadedArchitectures } from "../container.js";
import { readInput, writeFileAtomic } from "../file-io.js";
import { table, toJson } from "../output.js";

export interface LinkCommandOptions {
  readonly arch: string;
  readonly object: string;
  readonly at: bigint;
  readonly set: ReadonlyMap<string, bigint>;
  readonly out: string;
  readonly json: boolean;
}

/** `handoff link`: link a relocatable object at an address and write its bytes (atomically). */
export function linkCommand(loaded: LoadedArchitectures, o: LinkCommandOptions): string {
  const arch = loaded.registry.get(o.arch);
  if (!arch.relocations) throw new LinkError(o.object, `architecture ${arch.id} does not implement ELF relocations`);
  const elf = ElfFile.parse(readInput(o.object));
  const linked = linkObject(elf, { base: o.at, relocator: arch.relocations, set: o.set });
  writeFileAtomic(o.out, linked.bytes);
  return o.json ? toJson(describeLinked(o, linked)) : renderLinked(o, linked);
}

function describeLinked(o: LinkCommandOptions, linked: LinkedObject) {
  return {
    object: o.object,
    arch: o.arch,
    out: o.out,
    base: linked.base,
    fileSize: linked.bytes.length,
    memsz: linked.memsz,
    relocationsApplied: linked.relocationsApplied,
    sections: linked.sections.map((s) => ({ name: s.name, group: s.group, addr: s.addr, size: s.size, alignment: s.alignment })),
    symbols: Object.fromEntries([...linked.symbols].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

function renderLinked(o: LinkCommandOptions, linked: LinkedObject): string {
  return [
    `linked ${o.object} (${o.arch}) at ${hex(linked.base)}: ${linked.bytes.length} bytes written to ${o.out}, memsz ${hex(linked.memsz)}, ${linked.relocationsApplied} relocations applied`,
    "",
    table(
      ["section", "group", "addr", "size", "align"],
      linked.sections.map((s) => [s.name, s.group, hex(s.addr), hex(s.size), String(s.alignment)]),
    ),
  ].join("\n");
}
