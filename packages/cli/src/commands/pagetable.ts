import { resolve } from "node:path";
import { writeFileAtomic } from "@handoff/node";
import { MemoryMap, ValidationError, hex, type Architecture, type PageTableFormat } from "@handoff/core";
import { mappingsForPolicy, pageTableReport, verifyPageTableBuild, type Mapping, type MappingAttributes, type WalkResult } from "@handoff/core/paging";
import type { LoadedArchitectures } from "../container.js";
import { table, toJson } from "../output.js";
import { defineCommand } from "../cli/command.js";
import { parseAddress, parseQuantity, parseSize } from "../numbers.js";

export interface PagetableOptions {
  readonly arch: string | undefined;
  readonly format: string | undefined;
  readonly maps: readonly string[];
  readonly policy: string | undefined;
  readonly gib: string | undefined;
  readonly memory: string | undefined;
  readonly tableBase: string | undefined;
  readonly pageZero: boolean;
  readonly out: string | undefined;
  readonly json: boolean;
}

/** `VA:PA:SIZE[:FLAGS]` with FLAGS from w (writable), x (executable), u (user), d (device); default `w`. */
export function parseMapping(text: string): Mapping {
  const parts = text.split(":");
  if (parts.length < 3 || parts.length > 4) throw new ValidationError(`--map ${text}`, "expected VA:PA:SIZE[:FLAGS]");
  const flags = parts[3] ?? "w";
  if (!/^[rwxud]*$/.test(flags)) throw new ValidationError(`--map ${text}`, `unknown flag in '${flags}' (r w x u d)`);
  const attributes: MappingAttributes = {
    writable: flags.includes("w"),
    executable: flags.includes("x"),
    user: flags.includes("u"),
    memoryType: flags.includes("d") ? "device" : "normal",
  };
  return { va: parseQuantity(parts[0]!, "--map VA"), pa: parseQuantity(parts[1]!, "--map PA"), size: parseQuantity(parts[2]!, "--map SIZE"), attributes };
}

function chooseFormat(arch: Architecture, id: string | undefined): PageTableFormat {
  if (arch.pageTableFormats.length === 0) throw new ValidationError(`--arch ${arch.id}`, "this architecture offers no page-table format");
  if (id === undefined) return arch.pageTableFormats[0]!;
  const f = arch.pageTableFormats.find((x) => x.id === id);
  if (!f) throw new ValidationError(`--format ${id}`, `not a ${arch.id} format (have: ${arch.pageTableFormats.map((x) => x.id).join(", ")})`);
  return f;
}

function describeWalk(r: WalkResult): string {
  if (r.kind === "fault") return `${r.fault} fault (level ${r.level}: ${r.reason})`;
  const a = r.attributes;
  return `${hex(r.pa)} in a ${hex(r.pageSize)} page, ${a.writable ? "w" : "-"}${a.executable ? "x" : "-"}${a.user ? "u" : "-"} ${a.memoryType}`;
}

/**
 * `handoff pagetable`: build tables for explicit mappings (or a policy), then
 * walk them with the format's walker and report root, table count, registers
 * and the translation of every mapping's first and last byte.
 * Returns the text to print and the exit code (1 when a walk disagrees).
 */
export async function pagetableCommand(loaded: LoadedArchitectures, o: PagetableOptions): Promise<{ output: string; code: number }> {
  if (!o.arch) throw new ValidationError("pagetable", "--arch is required");
  const arch = loaded.registry.get(o.arch);
  const format = chooseFormat(arch, o.format);
  const pageSize = format.pageSizes[0]!;
  const tableBase = o.tableBase === undefined ? 0x10_0000n : parseAddress(o.tableBase, "--table-base");
  const memoryMap = o.memory === undefined ? undefined : MemoryMap.of([{ start: 0n, size: parseSize(o.memory, "--memory"), type: "ram" }]);
  const mappings: Mapping[] = o.maps.map(parseMapping);
  const policy = o.policy ?? (mappings.length > 0 ? "explicit" : undefined);
  if (policy === "first-n-gib") {
    mappings.push(...mappingsForPolicy({ kind: "first-n-gib", gib: parseAddress(o.gib ?? "1", "--gib"), memoryMap, mapPageZero: o.pageZero }, pageSize));
  } else if (policy === "all-ram") {
    if (!memoryMap) throw new ValidationError("--policy all-ram", "needs --memory SIZE");
    mappings.push(...mappingsForPolicy({ kind: "all-ram", memoryMap, mapPageZero: o.pageZero }, pageSize));
  } else if (policy !== "explicit") {
    throw new ValidationError("pagetable", policy === undefined ? "give --map VA:PA:SIZE[:FLAGS] or --policy first-n-gib|all-ram" : `unknown policy '${policy}'`);
  }

  const build = format.build(mappings, { tableBase, mapPageZero: o.pageZero });
  const mismatches = verifyPageTableBuild(format, build, build.mappings);
  const walks = build.mappings.flatMap((m) => [m.va, m.va + m.size - 1n].map((va) => ({ va, result: format.walk(build.memory(), build.registers, va) })));
  if (o.out) {
    await writeFileAtomic(o.out, build.segment.bytes, { role: "page tables" });
  }
  const report = pageTableReport(build, format);
  const code = mismatches.length === 0 ? 0 : 1;
  if (o.json) {
    return { output: toJson({ arch: arch.id, ...report, walks, verified: mismatches.length === 0, mismatches, ...(o.out ? { out: o.out } : {}) }), code };
  }
  const lines = [
    `format      ${format.id}: ${format.description}`,
    `root        ${hex(build.root)}`,
    `tables      ${build.tables} (per level: ${build.tablesPerLevel.join(" / ")}), ${build.tablePages} pages, ${build.tableBytes} bytes at ${hex(build.segment.pa)}`,
    `leaves      ${build.leaves.map((l) => `${l.count} x ${hex(l.pageSize)}`).join(", ") || "none"}`,
    `registers   ${Object.entries(build.registers).map(([k, v]) => `${k}=${hex(v)}`).join(" ")}`,
    "",
    table(
      ["va", "pa", "size", "rights", "type", "walk of first byte", "walk of last byte"],
      build.mappings.map((m, i) => [
        hex(m.va),
        hex(m.pa),
        hex(m.size),
        `${m.attributes.writable ? "w" : "-"}${m.attributes.executable ? "x" : "-"}${m.attributes.user ? "u" : "-"}`,
        m.attributes.memoryType,
        describeWalk(walks[2 * i]!.result),
        describeWalk(walks[2 * i + 1]!.result),
      ]),
    ),
    "",
    ...build.notes.map((n) => `note: ${n}`),
    mismatches.length === 0 ? "walk check: every mapping translates as intended, neighbours and page 0 fault" : `walk check FAILED:\n${mismatches.map((m) => `  ${hex(m.va)}: want ${m.expected}, got ${m.found}`).join("\n")}`,
  ];
  if (o.out) lines.push(`wrote ${build.tableBytes} bytes of tables to ${o.out} (load at ${hex(build.segment.pa)})`);
  return { output: lines.join("\n"), code };
}

/** `handoff pagetable` */
export const command = defineCommand({
  options: {
    arch: { type: "string", value: "A", required: true, help: "the architecture" },
    format: { type: "string", value: "ID", help: "page-table format (default: the arch's first)" },
    map: { type: "string", multiple: true, value: "VA:PA:SIZE[:wxud]", help: "one mapping; flags w(ritable) x(ecutable) u(ser) d(evice), default w" },
    policy: { type: "string", value: "first-n-gib|all-ram", help: "map by policy instead of (or besides) --map" },
    gib: { type: "string", value: "N", help: "first-n-gib: how many GiB (default 1)" },
    memory: { type: "string", value: "SIZE", help: "all-ram: RAM size from 0, e.g. 512M" },
    "table-base": { type: "string", value: "ADDR", help: "where the tables are placed (default 0x100000)" },
    "page-zero": { type: "boolean", help: "map page 0 too (default: it faults)" },
    out: { type: "string", value: "FILE", help: "write the table bytes to FILE (atomically)" },
  },
  async run({ values }, context) {
    const loaded = await context.architectures(values.arch);
    const { output, code } = await pagetableCommand(loaded, {
      arch: values.arch,
      format: values.format,
      maps: values.map,
      policy: values.policy,
      gib: values.gib,
      memory: values.memory,
      tableBase: values["table-base"],
      pageZero: values["page-zero"],
      out: values.out === undefined ? undefined : resolve(context.cwd, values.out),
      json: values.json,
    });
    return { text: output, code };
  },
});
