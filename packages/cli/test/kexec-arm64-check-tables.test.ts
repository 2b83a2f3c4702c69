/**
 * The identity tables the arm64 stub checks the segments over with the MMU
 * and caches on, walked by the arm64 table walker (written apart from the
 * builder) as the MMU would walk them: for a plan from the captured arm64 VM,
 * every page of every segment and of the stub translates 1:1 as Normal
 * write-back, read/write/execute, in both formats the stub may use (TTBR0_EL1,
 * and TTBR0_EL2 with E2H = 0), the console page as Device, nothing past them;
 * the stub's data block carries the roots and control values. Hostile
 * requests are typed errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError, alignUp } from "@handoff/core";
import { PlacedMemory, type TranslationRegisters, type WalkResult } from "@handoff/core/paging";
import { readIomemMap } from "@handoff/node";
import { ARM_VIRT_PL011 } from "@handoff/arm";
import { ARM64_HANDOFF_STUB, arm64CheckTables, arm64LinuxBootBuilder, walkVmsaV8_64, walkVmsaV8_64El2 } from "@handoff/arm64";
import { KERNELS, REPO_ROOT, fixtureKernel } from "@handoff/test-support";

const PAGE = 0x1000n;
const running = join(REPO_ROOT, "packages/node/test/fixtures/running-arm64");
const kernel = fixtureKernel(KERNELS.arm64);

function plan() {
  return arm64LinuxBootBuilder.kexec!({
    kernel: new Uint8Array(readFileSync(kernel!)),
    kernelPath: kernel!,
    initrd: new Uint8Array(300_000).fill(7),
    cmdline: "console=ttyAMA0",
    memoryMap: readIomemMap(running),
    dtb: new Uint8Array(readFileSync(join(running, "sys/firmware/fdt"))),
    seed: new Uint8Array(72),
  });
}

type Walk = (memory: PlacedMemory, registers: TranslationRegisters, va: bigint) => WalkResult;

describe.skipIf(!kernel)("arm64 check tables of a kexec_load plan (captured arm64 VM)", () => {
  const p = plan();
  const seg = (name: string) => p.segments.find((s) => s.name === name)!;
  const stub = seg("stub");
  const tables = seg("check tables");
  const data = new DataView(stub.bytes.buffer, stub.bytes.byteOffset, stub.bytes.byteLength);
  const field = (name: string) => data.getBigUint64(ARM64_HANDOFF_STUB.symbols[name as keyof typeof ARM64_HANDOFF_STUB.symbols], true);
  /** Bytes the stub maps for a segment: the stub's whole image (code, data, scratch page), others their memsz. */
  const extent = (s: (typeof p.segments)[number]) => (s === stub ? alignUp(BigInt(ARM64_HANDOFF_STUB.size), PAGE) : s.memsz);
  const memory = new PlacedMemory([{ pa: tables.mem, bytes: tables.bytes }]);
  const regimes: [string, Walk, TranslationRegisters][] = [
    ["EL1 (TTBR0_EL1)", walkVmsaV8_64, { ttbr0_el1: field("hd_mmu_ttbr"), tcr_el1: field("hd_mmu_tcr"), mair_el1: field("hd_mmu_mair") }],
    ["EL2, E2H = 0 (TTBR0_EL2)", walkVmsaV8_64El2, { ttbr0_el2: field("hd_mmu_ttbr_el2"), tcr_el2: field("hd_mmu_tcr_el2"), mair_el2: field("hd_mmu_mair") }],
  ];

  it("the stub's data block points at the tables segment, which is the first region it checks", () => {
    expect(field("hd_mmu_tables")).toBe(tables.mem);
    expect(field("hd_mmu_tables_size")).toBe(BigInt(tables.bytes.length));
    for (const root of [field("hd_mmu_ttbr"), field("hd_mmu_ttbr_el2")]) expect(root >= tables.mem && root < tables.mem + tables.memsz).toBe(true);
    const regions = ARM64_HANDOFF_STUB.symbols.hd_verify_regions;
    expect(data.getBigUint64(regions, true), "region 0 starts at the tables").toBe(tables.mem);
    expect(data.getBigUint64(regions + 8, true)).toBe(tables.memsz);
    expect(field("hd_verify_count")).toBe(BigInt(p.segments.length - 1));
    // TCR_EL2 (E2H = 0): RES1 bits 23 and 31, PS = the EL1 value's IPS; the CPU must offer that PARange.
    expect(field("hd_mmu_tcr_el2") & ((1n << 23n) | (1n << 31n))).toBe((1n << 23n) | (1n << 31n));
    expect((field("hd_mmu_tcr_el2") >> 16n) & 7n).toBe((field("hd_mmu_tcr") >> 32n) & 7n);
    expect(field("hd_mmu_pa_range")).toBe((field("hd_mmu_tcr") >> 32n) & 7n);
  });

  for (const [regime, walk, registers] of regimes) {
    it(`${regime}: every page of the stub and of every checked segment maps 1:1 as Normal write-back RWX`, () => {
      for (const s of p.segments.filter((x) => x !== tables)) {
        for (let va = s.mem; va < s.mem + extent(s); va += PAGE) {
          for (const at of [va, va + PAGE - 1n]) {
            const r = walk(memory, registers, at);
            expect(r.kind, `${s.name} ${at.toString(16)}: ${r.kind === "fault" ? r.reason : ""}`).toBe("translation");
            if (r.kind !== "translation") return;
            expect(r.pa).toBe(at);
            // "normal" is the walker's name for MAIR attribute 0xff: Normal, inner and outer write-back.
            expect(r.attributes).toEqual({ writable: true, executable: true, user: false, memoryType: "normal" });
          }
        }
      }
    });

    it(`${regime}: the console page is Device memory, never executable; memory past the mapped ranges faults`, () => {
      const uart = walk(memory, registers, ARM_VIRT_PL011);
      expect(uart.kind === "translation" && uart.attributes).toEqual({ writable: true, executable: false, user: false, memoryType: "device" });
      const ends = p.segments.filter((x) => x !== tables).map((s) => s.mem + extent(s));
      const starts = new Set(p.segments.map((s) => s.mem));
      for (const end of ends.filter((e) => !starts.has(e))) expect(walk(memory, registers, end).kind, `the page at ${end.toString(16)}`).toBe("fault");
      expect(walk(memory, registers, tables.mem).kind, "the tables themselves need no mapping").toBe("fault");
    });
  }
});

describe("arm64 check tables: requests", () => {
  it("merge ranges that share a page and refuse a misaligned base or a console inside a segment", () => {
    const t = arm64CheckTables({ segments: [{ mem: 0x4100_0000n, memsz: 0x1800n }, { mem: 0x4100_2000n, memsz: 0x1000n }], stubAt: 0x4200_0000n, at: 0x4201_0000n });
    expect(t.mappings.map((m) => [m.pa, m.size])).toEqual([
      [0x4100_0000n, 0x3000n],
      [0x4200_0000n, BigInt(ARM64_HANDOFF_STUB.size + 0xfff) & ~0xfffn],
    ]);
    expect(() => arm64CheckTables({ segments: [], stubAt: 0x4200_0000n, at: 0x4201_0010n })).toThrow(ValidationError);
    expect(() => arm64CheckTables({ segments: [{ mem: 0x900_0000n, memsz: 0x2000n }], stubAt: 0x4200_0000n, console: 0x900_1000n, at: 0x4201_0000n })).toThrow(/console page/);
  });
});
