import type { Architecture } from "@handoff/core";
import { defineCommand } from "../cli/command.js";
import type { LoadedArchitectures } from "../container.js";
import { table, toJson } from "../output.js";

export function describeArchitecture(arch: Architecture) {
  return {
    id: arch.id,
    name: arch.displayName,
    elfMachine: arch.elfMachine,
    elfClass: arch.elfClass,
    wordBits: arch.wordBits,
    endianness: arch.endianness,
    pageSize: arch.pageSize,
    narrowMode: arch.narrowMode
      ? { id: arch.narrowMode.id, width: arch.narrowMode.width, upperBitsUnknownAfterExecution: arch.narrowMode.upperBitsUnknownAfterExecution, source: arch.narrowMode.source }
      : null,
    registers: arch.registers.map((r) => ({
      name: r.name,
      width: r.width,
      kind: r.kind,
      ...(r.alias ? { aliasOf: r.alias.of, lsb: r.alias.lsb, onWrite: r.alias.onWrite } : {}),
    })),
    pageTableFormats: arch.pageTableFormats.map((f) => f.id),
    protocols: arch.protocols.map((p) => p.id),
    // How other headers name it (uImage ih_arch, FIT arch, PE Machine, Node's process.arch): what `inspect` resolves through.
    machineNames: arch.machineNames ?? {},
    kexecSyscalls: arch.kexecSyscalls ?? null,
  };
}

export function archsCommand(loaded: LoadedArchitectures, json: boolean): string {
  const archs = loaded.registry.all();
  if (json) return toJson({ architectures: archs.map(describeArchitecture) });
  if (archs.length === 0) return "no architectures installed (install @handoff/x86_64, @handoff/arm64, ... or pass --plugin)";
  return table(
    ["arch", "name", "e_machine", "word", "endian", "registers", "narrow mode"],
    archs.map((a) => [
      a.id,
      a.displayName,
      String(a.elfMachine),
      `${a.wordBits}-bit`,
      a.endianness.join("/"),
      String(a.registers.filter((r) => !r.alias).length) + ` (+${a.registers.filter((r) => r.alias).length} aliases)`,
      a.narrowMode ? `${a.narrowMode.id} (${a.narrowMode.width}-bit)` : "-",
    ]),
  );
}

/** `handoff archs` */
export const command = defineCommand({
  options: {},
  notes: ["Lists the built-in architectures and every installed package with the 'handoff-arch' keyword."],
  async run({ values }, context) {
    return archsCommand(await context.architectures(), values.json);
  },
});
