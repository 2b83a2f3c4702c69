import { hex } from "../bits.js";
import type { Mapping, PageTableBuild, PageTableFormat, PhysicalMemory, WalkResult } from "./types.js";

/** One way the tables disagree with the mappings they were built for. */
export interface TranslationMismatch {
  readonly va: bigint;
  readonly expected: string;
  readonly found: string;
}

/** How thoroughly {@link verifyPageTableBuild} walks the built tables. */
export interface VerifyOptions {
  /** Pages checked inside each mapping besides its first and last (evenly spread). */
  readonly samplesPerMapping?: number;
  /** Extra addresses that must fault (unless some mapping covers them). */
  readonly probes?: readonly bigint[];
  /** Memory to walk; defaults to the build's own table segment. */
  readonly memory?: PhysicalMemory;
}

function describe(r: WalkResult): string {
  if (r.kind === "fault") return `${r.fault} fault at level ${r.level} (${r.reason})`;
  const a = r.attributes;
  return `pa ${hex(r.pa)} page ${hex(r.pageSize)} ${a.writable ? "w" : "-"}${a.executable ? "x" : "-"}${a.user ? "u" : "-"} ${a.memoryType}`;
}

/**
 * Walk the built tables with the format's walker and compare with `mappings`:
 * first, last and sampled pages of every mapping translate to the intended
 * address with the intended permissions and memory type; the pages just
 * outside every mapping, page 0 and any probes fault unless mapped.
 */
export function verifyPageTableBuild(format: PageTableFormat, build: PageTableBuild, mappings: readonly Mapping[], options: VerifyOptions = {}): TranslationMismatch[] {
  const memory = options.memory ?? build.memory();
  const page = format.pageSizes[0]!;
  const samples = options.samplesPerMapping ?? 4;
  const problems: TranslationMismatch[] = [];
  const covering = (va: bigint) => mappings.find((m) => m.va <= va && va < m.va + m.size);
  const check = (va: bigint) => {
    const m = covering(va);
    const r = format.walk(memory, build.registers, va);
    if (!m) {
      if (r.kind !== "fault") problems.push({ va, expected: "fault", found: describe(r) });
      return;
    }
    const want = {
      pa: m.pa + (va - m.va),
      writable: m.attributes.writable,
      executable: format.capabilities.noExecute ? m.attributes.executable : true,
      user: m.attributes.user === true,
      memoryType: m.attributes.memoryType,
    };
    const ok =
      r.kind === "translation" &&
      r.pa === want.pa &&
      r.attributes.writable === want.writable &&
      r.attributes.executable === want.executable &&
      r.attributes.user === want.user &&
      r.attributes.memoryType === want.memoryType;
    if (!ok) {
      problems.push({
        va,
        expected: `pa ${hex(want.pa)} ${want.writable ? "w" : "-"}${want.executable ? "x" : "-"}${want.user ? "u" : "-"} ${want.memoryType}`,
        found: describe(r),
      });
    }
  };
  const limit = 1n << 64n;
  for (const m of mappings) {
    const pages = m.size / page;
    check(m.va);
    check(m.va + m.size - 1n);
    for (let i = 1; i <= samples; i++) check(m.va + ((pages * BigInt(i)) / BigInt(samples + 1)) * page + (page >> 1n));
    if (m.va >= page) check(m.va - 1n);
    if (m.va + m.size < limit) check(m.va + m.size);
  }
  check(0n);
  for (const p of options.probes ?? []) check(p);
  return problems;
}
