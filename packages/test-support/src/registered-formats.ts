/**
 * Every page-table format an architecture registers must produce register values
 * its own register file accepts (known names, values that fit the widths), and
 * must build and walk a small identity mapping.
 */
import { container } from "tsyringe";
import { expect } from "vitest";
import { type ArchitecturePlugin } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { verifyPageTableBuild } from "@handoff/core/paging";

export function checkRegisteredFormats(plugin: ArchitecturePlugin, expectedIds: readonly string[]): void {
  const child = container.createChildContainer();
  plugin.register(child);
  const registry = ArchitectureRegistry.fromContainer(child);
  for (const arch of registry.all()) {
    expect(arch.pageTableFormats.map((f) => f.id)).toEqual(expectedIds);
    for (const format of arch.pageTableFormats) {
      const page = format.pageSizes[0]!;
      const mappings = [{ va: 0x4000_0000n, pa: 0x4000_0000n, size: 4n * page, attributes: { writable: true, executable: true, memoryType: "normal" as const } }];
      const build = format.build(mappings, { tableBase: 0x8000_0000n });
      const file = arch.createRegisterFile();
      for (const [name, value] of Object.entries(build.registers)) file.set(name, value);
      expect(verifyPageTableBuild(format, build, mappings)).toEqual([]);
      expect(format.pageSizes).toEqual([...format.pageSizes].sort((a, b) => (a < b ? -1 : 1)));
    }
  }
}
