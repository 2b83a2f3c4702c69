/**
 * The paging-qemu suites of every architecture, one shape: boot a few
 * instructions that load a build's translation registers and spin, check the
 * CPU reached its spin loop, and let QEMU's MMU (gva2gpa) judge the tables
 * against the walker and the mappings; always stop QEMU and remove the scratch
 * directory. An architecture supplies only its `MmuRig`: how to boot and how to
 * tell that the CPU spins.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect } from "vitest";
import type { Mapping, PageTableBuild } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { QemuSession, assemble, expectCpuTranslatesLikeWalker, requireTool, scratchDir } from "./qemu-oracle.js";

/** One booted oracle VM: the build it runs on, the QEMU session, its spin loop's address, its cleanup. */
export interface MmuBoot {
  readonly build: PageTableBuild;
  readonly qemu: QemuSession;
  readonly spin: bigint;
  readonly cleanup: () => void;
}

/** How one architecture boots a table build under QEMU and tells whether the CPU got to its spin loop. */
export interface MmuRig {
  boot(format: PageTableFormat, mappings: readonly Mapping[]): Promise<MmuBoot>;
  /** Polls for a while: true once the CPU sits on `boot.spin`, false when it never gets there. */
  reachesSpin(boot: MmuBoot): Promise<boolean>;
}

/** Boots `mappings` with `rig`, runs `check` on the VM, and always stops QEMU and removes its directory. */
export async function withMmuBoot<T>(rig: MmuRig, format: PageTableFormat, mappings: readonly Mapping[], check: (boot: MmuBoot) => Promise<T>): Promise<T> {
  const boot = await rig.boot(format, mappings);
  try {
    return await check(boot);
  } finally {
    await boot.qemu.stop();
    boot.cleanup();
  }
}

/**
 * The CPU turns the MMU on with the build's registers and reaches its spin
 * loop, and then QEMU translates every probe as the walker (and, unless
 * `againstMappings` is false, the mappings) say.
 */
export function expectCpuRunsTables(
  rig: MmuRig,
  format: PageTableFormat,
  mappings: readonly Mapping[],
  probes: readonly bigint[],
  options: { readonly againstMappings?: boolean; readonly minTranslated?: number } = {},
): Promise<void> {
  return withMmuBoot(rig, format, mappings, async (boot) => {
    expect(await rig.reachesSpin(boot), "the CPU reaches its spin loop through the tables").toBe(true);
    await expectCpuTranslatesLikeWalker(format, boot.build, boot.qemu, mappings, probes, options);
  });
}

/** With `mappings` (its code page not executable) the CPU never reaches its spin loop; `also` checks more on the stuck VM. */
export function expectCpuNeverSpins(rig: MmuRig, format: PageTableFormat, mappings: readonly Mapping[], also?: (boot: MmuBoot) => Promise<void>): Promise<void> {
  return withMmuBoot(rig, format, mappings, async (boot) => {
    expect(await rig.reachesSpin(boot), "the CPU must fault before its spin loop").toBe(false);
    await also?.(boot);
  });
}

/**
 * `count` random mapping sets (fixed seed, from `arbitrary`), each the `code`
 * page plus the random mappings `keep` accepts; sets `keep` leaves empty are
 * skipped, at most `tries` are drawn. Fewer than `count` fails the test.
 */
export function randomSetsBesideCode(arbitrary: fc.Arbitrary<Mapping[]>, code: Mapping, keep: (m: Mapping) => boolean, count: number, tries = 12): Mapping[][] {
  const sets = fc
    .sample(arbitrary, { numRuns: tries })
    .map((random) => [code, ...random.filter(keep)])
    .filter((ms) => ms.length > 1)
    .slice(0, count);
  expect(sets.length, "the run's seed yields random mappings besides the code page").toBe(count);
  return sets;
}

/** How `bootRawCode` runs a flat code blob: the QEMU binary and machine options, the binutils prefix and the assembly. */
export interface RawCodeBoot {
  readonly qemu: string;
  /** Machine, CPU and memory options, e.g. `-M virt -cpu max -m 2G`. */
  readonly machine: readonly string[];
  readonly prefix: string;
  /** The assembly for a build's translation registers. */
  readonly source: (registers: PageTableBuild["registers"]) => string;
  readonly asFlags?: string[];
  /** Where the code and the tables are loaded; the CPU starts at `codeAt`. */
  readonly codeAt: bigint;
  readonly tablesAt: bigint;
}

/** Whether QEMU `qemu` and the `prefix` binutils that `bootRawCode` uses are installed (skip loudly, or fail under CI). */
export function rawCodeToolsAvailable(qemu: string, prefix: string): boolean {
  return requireTool(qemu) && requireTool(`${prefix}as`) && requireTool(`${prefix}objcopy`) && requireTool(`${prefix}nm`);
}

/**
 * Builds `mappings` in `format` with the tables at `tablesAt`, assembles
 * `o.source` for its registers (the code must define a local `spin` label) to
 * flat code and boots it with QEMU's generic loader: code at `codeAt`, tables
 * at `tablesAt`, the first CPU started at `codeAt`.
 */
export async function bootRawCode(format: PageTableFormat, mappings: readonly Mapping[], o: RawCodeBoot): Promise<MmuBoot> {
  const build = format.build(mappings, { tableBase: o.tablesAt });
  const { dir, cleanup } = scratchDir();
  const code = assemble(o.prefix, o.source(build.registers), dir, o.asFlags);
  const nm = spawnSync(`${o.prefix}nm`, [join(dir, "code.o")], { encoding: "utf8" }).stdout;
  const spin = o.codeAt + BigInt(`0x${/([0-9a-f]+) t spin/.exec(nm)![1]}`);
  const tables = join(dir, "tables.bin");
  writeFileSync(tables, build.segment.bytes);
  const at = (v: bigint) => `0x${v.toString(16)}`;
  const loaders = ["-device", `loader,file=${code},addr=${at(o.codeAt)},force-raw=on`, "-device", `loader,file=${tables},addr=${at(o.tablesAt)},force-raw=on`, "-device", `loader,addr=${at(o.codeAt)},cpu-num=0`];
  try {
    return { build, qemu: await QemuSession.start(o.qemu, [...o.machine, ...loaders], dir), spin, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
