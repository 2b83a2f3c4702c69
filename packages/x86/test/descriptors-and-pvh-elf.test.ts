import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BOOT_SELECTORS, DESC, VMM_SELECTORS, buildHandoffGdt, descriptorAttr, descriptorLimit, encodeDescriptor, flatSegment, writePvhElf } from "@handoff/x86";
import { describe, expect, it } from "vitest";
import { tempDir } from "@handoff/test-support";

describe("segment descriptors", () => {
  it("encode a flat 32-bit code segment as the classic 0x00cf9b000000ffff", () => {
    const d = flatSegment(DESC.CODE32);
    expect(new DataView(encodeDescriptor(d).buffer).getBigUint64(0, true)).toBe(0x00cf9b000000ffffn);
    expect(descriptorAttr(d)).toBe(0xcf9bn);
    expect(descriptorLimit(d)).toBe(0xffffffffn);
    expect(new DataView(encodeDescriptor(flatSegment(DESC.CODE64)).buffer).getBigUint64(0, true)).toBe(0x00af9b000000ffffn);
  });
  it("GDTs put code, data and TSS at the chosen selectors and refuse overlaps", () => {
    const g = buildHandoffGdt(BOOT_SELECTORS, false);
    const v = new DataView(g.bytes.buffer);
    expect(v.getBigUint64(0x10, true)).toBe(0x00cf9b000000ffffn);
    expect(v.getBigUint64(0x18, true)).toBe(0x00cf93000000ffffn);
    expect(v.getBigUint64(0x20, true)).toBe(0x0000890000000067n);
    expect(g.limit).toBe(0x27);
    expect(buildHandoffGdt(VMM_SELECTORS, true).limit).toBe(0x18 + 16 - 1);
    expect(() => buildHandoffGdt({ code: 0x10, data: 0x10, tss: 0x20 }, false)).toThrow(/overlaps/);
    expect(() => buildHandoffGdt({ code: 0x0, data: 0x10, tss: 0x20 }, false)).toThrow(/non-null/);
  });
});

const haveReadelf = (() => {
  if (spawnSync("sh", ["-c", "command -v x86_64-linux-gnu-readelf"]).status === 0) return true;
  if (process.env.CI === "true") throw new Error("x86_64-linux-gnu-readelf is required under CI=true");
  console.warn("SKIPPING: x86_64-linux-gnu-readelf not installed");
  return false;
})();

describe("PVH ELF writer", () => {
  it.skipIf(!haveReadelf)("writes ELF32 and ELF64 that binutils reads: PT_NOTE Xen type 18 and the PT_LOADs", () => {
    for (const elfClass of [32, 64] as const) {
      const elf = writePvhElf({ elfClass, entry32: 0x100000n, loads: [{ paddr: 0x100000n, bytes: new Uint8Array(100).fill(1) }, { paddr: 0x400123n, bytes: new Uint8Array(10), memsz: 0x2000n }] });
      const f = join(tempDir("pvh-elf-"), "x.elf");
      writeFileSync(f, elf);
      const r = spawnSync("x86_64-linux-gnu-readelf", ["-W", "-l", "-n", "-h", f], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain(elfClass === 64 ? "ELF64" : "ELF32");
      expect(r.stdout).toContain(elfClass === 64 ? "X86-64" : "80386");
      expect(r.stdout).toMatch(/Xen\s+0x0000000(4|8)\s+(Unknown note type: \(0x00000012\)|NT_VERSION|.*PHYS32_ENTRY)/);
      expect(r.stdout).toMatch(/LOAD\s+0x[0-9a-f]*123\s+0x0*400123\s+0x0*400123\s+0x0*00a\s+0x0*2000/);
      expect(r.stdout).toMatch(/Entry point address:\s+0x100000/);
    }
  });
  it("refuses overlapping loads, a 64-bit entry and ELF32 loads past 4 GiB", () => {
    const b = new Uint8Array(16);
    expect(() => writePvhElf({ elfClass: 32, entry32: 0n, loads: [{ paddr: 0x1000n, bytes: b, memsz: 0x2000n }, { paddr: 0x2000n, bytes: b }] })).toThrow(/overlap/);
    expect(() => writePvhElf({ elfClass: 64, entry32: 0x1_0000_0000n, loads: [{ paddr: 0n, bytes: b }] })).toThrow(/32-bit/);
    expect(() => writePvhElf({ elfClass: 32, entry32: 0n, loads: [{ paddr: 0xffff_fff8n, bytes: b }] })).toThrow(/ELF32/);
  });
});
