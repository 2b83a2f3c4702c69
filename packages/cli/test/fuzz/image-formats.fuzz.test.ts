/**
 * The fuzz harness over every parser: core's ELF image format and ELF object
 * readers, and every ImageFormat the four architecture plugins register.
 * `npm test` runs a bounded budget; `npm run fuzz [SECONDS]` runs as long as asked
 * (FUZZ_SECONDS per target, FUZZ_SEED to replay a failure).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import "reflect-metadata";
import { container } from "tsyringe";
import { afterAll, expect, it } from "vitest";
import { type ArchitecturePlugin, type ImageFormat } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { ELF_IMAGE_FORMAT, ElfFile, ElfImageFormat } from "@handoff/core/elf";
import { linkObject, type Relocator } from "@handoff/core/link";
import { plugin as arm32 } from "@handoff/arm32";
import { plugin as arm64 } from "@handoff/arm64";
import { plugin as x86_32 } from "@handoff/x86_32";
import { plugin as x86_64 } from "@handoff/x86_64";
import { pvhElf, relObject } from "@handoff/test-support/elf-fixtures";
import { note, writeElf } from "@handoff/test-support/elf-writer";
import { fileURLToPath } from "node:url";
import { assemble } from "@handoff/test-support/ld-compare";
import { requireTool } from "@handoff/test-support";
import { kernelFixturesDir } from "@handoff/test-support";
import { describeFuzzTargets, fuzzBudget, fuzzTarget, fuzzWatchdog, type FuzzTarget, type Seed } from "./harness.js";

const budget = fuzzBudget(300);
const watchdog = fuzzWatchdog();
afterAll(() => watchdog.stop());

function installedArchitectures() {
  const child = container.createChildContainer();
  for (const p of [arm32, arm64, x86_32, x86_64] as ArchitecturePlugin[]) p.register(child);
  return ArchitectureRegistry.fromContainer(child).all();
}

function architectureFormats(): ImageFormat[] {
  const seen = new Set<string>();
  return installedArchitectures()
    .flatMap((a) => a.imageFormats)
    .filter((f) => !seen.has(f.id) && seen.add(f.id));
}

const relocators = new Map<number, Relocator>(
  installedArchitectures().flatMap((a) => (a.relocations ? [[a.relocations.elfMachine, a.relocations] as const] : [])),
);

function seeds(): Seed[] {
  const out: Seed[] = [];
  for (const elfClass of [32, 64] as const) {
    for (const endian of ["little", "big"] as const) {
      out.push({ name: `pvh-elf${elfClass}-${endian}`, bytes: pvhElf({ elfClass, endian, entryDescBytes: elfClass === 64 ? 8 : 4 }).bytes.slice() });
      out.push({ name: `rel-elf${elfClass}-${endian}`, bytes: relObject(elfClass, endian).bytes.slice() });
    }
  }
  // p_paddr holding the link address, for the paddr-offset target.
  out.push({
    name: "linked-high-elf64",
    bytes: writeElf({ elfClass: 64, endian: "little", machine: 62, entry: 0xffff_ffff_8020_0000n, segments: [{ type: 1, vaddr: 0xffff_ffff_8020_0000n, data: new Uint8Array(64), memsz: 0x1000n }, { type: 4, vaddr: 0n, data: note("Xen", 6, new TextEncoder().encode("bsd\0"), "little") }] }).bytes,
  });
  // Relocatable objects from the relocation fixtures, assembled for each arch.
  for (const [pkg, triple] of [["x86_64", "x86_64-linux-gnu"], ["x86_32", "i686-linux-gnu"], ["arm32", "arm-linux-gnueabihf"], ["arm64", "aarch64-linux-gnu"]]) {
    if (!requireTool(`${triple}-as`)) continue;
    const obj = assemble(triple!, fileURLToPath(new URL(`../../../${pkg}/test/fixtures/relocs.S`, import.meta.url)));
    out.push({ name: `${pkg}-relocs.o`, bytes: new Uint8Array(readFileSync(obj)) });
  }
  // Real ELF images of other machines (QEMU firmware, Debian qemu-system-data).
  for (const name of ["openbios-ppc", "opensbi-riscv64-generic-fw_dynamic.elf", "hppa-firmware.img", "s390-ccw.img"]) {
    const path = `/usr/share/qemu/${name}`;
    if (existsSync(path)) out.push({ name, bytes: new Uint8Array(readFileSync(path)) });
  }
  const kernels = kernelFixturesDir();
  if (kernels) {
    for (const name of readdirSync(kernels).filter((n) => !n.includes("SHA256"))) {
      out.push({ name, bytes: new Uint8Array(readFileSync(join(kernels, name))) });
    }
  } else if (process.env.CI === "true") {
    throw new Error("missing fixtures: ../shared/fixtures/kernels");
  } else {
    console.warn("SKIPPING real-kernel fuzz seeds: ../shared/fixtures/kernels is missing");
  }
  return out;
}

const input = (bytes: Uint8Array) => ({ path: "fuzz.bin", bytes });

const targets: FuzzTarget[] = [
  { name: "elf image", run: (b) => void ELF_IMAGE_FORMAT.parse(input(b)) },
  { name: "elf image (paddr offset)", run: (b) => void new ElfImageFormat({ paddrOffset: 0xffff_ffff_8000_0000n }).parse(input(b)) },
  {
    name: "elf object readers",
    run: (b) => {
      const elf = ElfFile.parse(input(b));
      const symtab = elf.symbolTableSection();
      if (symtab) elf.symbols(symtab);
      elf.relocationSections();
      elf.notes();
    },
  },
  {
    name: "elf linker (every arch's relocator)",
    run: (b) => {
      const elf = ElfFile.parse(input(b));
      const relocator = relocators.get(elf.header.machine) ?? relocators.values().next().value!;
      // Every undefined symbol gets a nearby value, as a planner would set them.
      const symtab = elf.symbolTableSection();
      const set = new Map((symtab ? elf.symbols(symtab) : []).filter((x) => x.shndx === 0 && x.name).map((x) => [x.name, 0x4010_0000n] as const));
      linkObject(elf, { base: 0x4000_0000n, relocator, set, maxOutputBytes: 1 << 20 });
    },
  },
  ...architectureFormats().map((f) => ({
    name: `${f.id} image format`,
    run: (b: Uint8Array) => {
      f.probe(input(b)); // must never throw
      f.parse(input(b));
    },
  })),
];

describeFuzzTargets("every parser", targets, seeds, budget, watchdog, (allSeeds) => {
  it("the harness itself fails on a non-HandoffError and on a slow input", () => {
    const failure = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return `${(e as Error).message} ${String((e as Error).cause)}`;
      }
      return "no failure";
    };
    const crashing: FuzzTarget = { name: "crashes on ELF", run: (b) => { if (b[0] === 0x7f && b[1] === 0x45) throw new TypeError("boom"); } };
    expect(failure(() => fuzzTarget(crashing, allSeeds, { ...budget, timeMs: 2000, maxRuns: 500 }, watchdog))).toMatch(/boom/);
    const slow: FuzzTarget = { name: "slow", run: () => { const t = performance.now(); while (performance.now() - t < 15); } };
    expect(failure(() => fuzzTarget(slow, allSeeds, { ...budget, timeMs: 2000, maxRuns: 5, perInputMs: 5 }, watchdog))).toMatch(/took \d+ ms \(bound 5 ms\)/);
    const kept: Uint8Array[] = [];
    const greedy: FuzzTarget = { name: "greedy", run: () => void kept.push(new Uint8Array(8 << 20)) };
    expect(failure(() => fuzzTarget(greedy, allSeeds, { ...budget, timeMs: 2000, maxRuns: 5, maxAllocationBytes: 4 << 20 }, watchdog))).toMatch(/allocated 8 MiB of buffers \(bound 4 MiB\)/);
  });
});
