import { ElfFile } from "@handoff/core/elf";
import { LinkError, linkObject, type LinkedObject } from "@handoff/core/link";
import { hex } from "@handoff/core";
import type { LoadedArchitectures } from "../container.js";
import { readFileBounded, writeFileAtomic } from "@handoff/node";
import { table, toJson } from "../output.js";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { parseAddress } from "../numbers.js";
import { resolve } from "node:path";

export interface LinkCommandOptions {
  readonly arch: string;
  readonly object: string;
  readonly at: bigint;
  readonly set: ReadonlyMap<string, bigint>;
  readonly out: string;
  readonly json: boolean;
}

/** `handoff link`: link a relocatable object at an address and write its bytes (atomically). */
export async function linkCommand(loaded: LoadedArchitectures, o: LinkCommandOptions): Promise<string> {
  const arch = loaded.registry.get(o.arch);
  if (!arch.relocations) throw new LinkError(o.object, `architecture ${arch.id} does not implement ELF relocations`);
  const elf = ElfFile.parse(readFileBounded(o.object, { role: "object", maxBytes: 64 << 20 }));
  const linked = linkObject(elf, { base: o.at, relocator: arch.relocations, set: o.set, architectures: loaded.registry.all() });
  await writeFileAtomic(o.out, linked.bytes, { role: "linked image" });
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

/** `--set SYM=VALUE ...` as a map; a symbol given twice is a usage error. */
function parseSettings(items: readonly string[]): Map<string, bigint> {
  const set = new Map<string, bigint>();
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`link: --set ${item}: expected SYM=VALUE`, "link");
    const name = item.slice(0, eq);
    if (set.has(name)) throw new UsageError(`link: --set ${name} is given twice`, "link");
    set.set(name, parseAddress(item.slice(eq + 1), `--set ${name}`));
  }
  return set;
}

/** `handoff link` */
export const command = defineCommand({
  positionals: { synopsis: "OBJ", min: 1, max: 1 },
  options: {
    arch: { type: "string", value: "A", required: true, help: "the architecture whose relocations apply" },
    at: { type: "string", value: "ADDR", required: true, help: "link address of the first section" },
    set: { type: "string", multiple: true, value: "SYM=VALUE", help: "define an undefined symbol or store into a data object" },
    out: { type: "string", value: "FILE", required: true, help: "where the linked bytes go (written atomically)" },
  },
  notes: ["Sections are laid out .text, .rodata, .data, .bss in that order."],
  async run({ values, positionals }, context) {
    const at = parseAddress(values.at, "--at");
    const set = parseSettings(values.set);
    const loaded = await context.architectures(values.arch);
    return linkCommand(loaded, { arch: values.arch, object: resolve(context.cwd, positionals[0]!), at, set, out: resolve(context.cwd, values.out), json: values.json });
  },
});
