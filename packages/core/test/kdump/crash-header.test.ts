import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError, FormatError } from "@handoff/core";
// e_machine numbers as data: core names no architecture (gABI: EM_ARM 40, EM_X86_64 62, EM_AARCH64 183).
const [EM_ARM, EM_X86_64, EM_AARCH64] = [40, 62, 183];
import { buildCrashElfHeader, crashDumpRanges, parseCrashNotes, parseVmcoreinfoLocation, readVmcore, type CrashHeaderInput } from "@handoff/core/kexec";
import { READELF, requireTool, run, tempDir } from "@handoff/test-support";

const GiB = 1n << 30n;
const MiB = 1n << 20n;

/** A 6 GiB x86_64 machine (RAM split around the PCI hole) with a 256 MiB crash region. */
const X86_RAM = [
  { start: 0x1000n, end: 0x9f000n },
  { start: 0x100000n, end: 0xc0000000n },
  { start: 4n * GiB, end: 7n * GiB },
];
const CRASH = { start: 0x2b000000n, end: 0x3b000000n };
const X86_INPUT: CrashHeaderInput = {
  elfClass: 64,
  endianness: "little",
  machine: EM_X86_64,
  ram: crashDumpRanges(X86_RAM, [CRASH]),
  notes: [
    { address: 0x13fe5a000n, size: 0x1024n, source: "/sys/kernel/vmcoreinfo" },
    { address: 0x13fc1d000n, size: 0x150n + 0x24n, source: "cpu0/crash_notes" },
    { address: 0x13fc5d000n, size: 0x174n, source: "cpu1/crash_notes" },
  ],
  linearMapOffset: 0xffff888000000000n,
};

/** `readelf -lW` program header rows: [type, offset, vaddr, paddr, filesz, memsz]. */
function readelfRows(file: string): string[][] {
  const out = run(READELF, ["-hlW", file]);
  expect(out).toMatch(/Type:\s+CORE \(Core file\)/);
  return out
    .split("\n")
    .filter((l) => /^\s+(NOTE|LOAD)\s/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(0, 6));
}

const hex = (v: bigint, width: number) => `0x${v.toString(16).padStart(width, "0")}`;

describe("ELF core header for a capture kernel (elfcorehdr=)", () => {
  it("x86_64: readelf sees ET_CORE, every note area and every RAM range outside the crash region", () => {
    if (!requireTool(READELF)) return;
    const header = buildCrashElfHeader(X86_INPUT);
    const file = join(tempDir("crash-header-"), "elfcorehdr");
    writeFileSync(file, header.bytes);
    expect(run(READELF, ["-hW", file])).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    const rows = readelfRows(file);
    const expected = [
      ...X86_INPUT.notes.map((n) => ["NOTE", hex(n.address, 6), hex(0n, 16), hex(n.address, 16), hex(n.size, 6), hex(n.size, 6)]),
      ...header.loads.map((r) => ["LOAD", hex(r.start, 6), hex(r.start + X86_INPUT.linearMapOffset!, 16), hex(r.start, 16), hex(r.end - r.start, 6), hex(r.end - r.start, 6)]),
    ];
    expect(rows).toEqual(expected);
    // The crash region is not in the dump; the RAM on either side of it is.
    expect(header.loads).toContainEqual({ start: 0x100000n, end: CRASH.start });
    expect(header.loads).toContainEqual({ start: CRASH.end, end: 0xc0000000n });
    expect(header.loads.some((r) => r.start < CRASH.end && r.end > CRASH.start)).toBe(false);
  });

  it("arm32: an ELF32 header, and RAM above 4 GiB is refused, not truncated", () => {
    if (!requireTool(READELF)) return;
    const input: CrashHeaderInput = { elfClass: 32, endianness: "little", machine: EM_ARM, ram: [{ start: 0x40000000n, end: 0x60000000n }], notes: [{ address: 0x5f000000n, size: 0x400n, source: "vmcoreinfo" }] };
    const file = join(tempDir("crash-header-"), "elfcorehdr32");
    writeFileSync(file, buildCrashElfHeader(input).bytes);
    expect(run(READELF, ["-hW", file])).toMatch(/Class:\s+ELF32[\s\S]*Machine:\s+ARM/);
    expect(readelfRows(file)).toEqual([
      ["NOTE", "0x5f000000", "0x00000000", "0x5f000000", "0x00400", "0x00400"],
      ["LOAD", "0x40000000", "0x00000000", "0x40000000", "0x20000000", "0x20000000"],
    ]);
    expect(() => buildCrashElfHeader({ ...input, ram: [{ start: 0xf0000000n, end: 0x110000000n }] })).toThrow(/does not fit an ELF32 core header/);
  });

  it("a big-endian header is read back field for field (arm64 BE)", () => {
    const input: CrashHeaderInput = { elfClass: 64, endianness: "big", machine: EM_AARCH64, ram: [{ start: 0x40000000n, end: 0x80000000n }], notes: [{ address: 0x7f000000n, size: 0x1000n, source: "vmcoreinfo" }] };
    const { bytes } = buildCrashElfHeader(input);
    // The header's offsets name physical memory; a source as large as that memory serves the notes.
    const notes = new Uint8Array(0x1000);
    notes.set([0, 0, 0, 11, 0, 0, 0, 10, 0, 0, 0, 0, ...Buffer.from("VMCOREINFO\0\0"), ...Buffer.from("PAGESIZE=4096\n\0\0")]);
    notes[7] = 16; // descsz: "PAGESIZE=4096\n\0\0"
    const dump = readVmcore({ path: "hdr", size: 0x80000000n, readAt: (o, n) => (o === 0n || o === 64n ? bytes.subarray(Number(o), Number(o) + n) : o === 0x7f000000n ? notes.subarray(0, n) : new Uint8Array(n)) });
    expect(dump.elfClass).toBe(64);
    expect(dump.machine).toBe(EM_AARCH64);
    expect(dump.loads).toEqual([{ paddr: 0x40000000n, vaddr: 0n, offset: 0x40000000n, size: 0x40000000n }]);
    expect(dump.vmcoreinfo?.pageSize).toBe(4096);
  });

  it("refuses what a capture kernel would reject or what would wrap", () => {
    const base = { elfClass: 64 as const, endianness: "little" as const, machine: EM_X86_64 };
    expect(() => buildCrashElfHeader({ ...base, ram: [], notes: [] })).toThrow(ValidationError);
    expect(() => buildCrashElfHeader({ ...base, ram: [{ start: 0xffff_ffff_ffff_f000n, end: 0x1_0000_0000_0000_1000n }], notes: [] })).toThrow(/ends past 2\^64/);
    expect(() => buildCrashElfHeader({ ...base, ram: [{ start: 0x1000n, end: 0x1000n }], notes: [] })).toThrow(/empty/);
    expect(() => buildCrashElfHeader({ ...base, ram: [{ start: 0x1000n, end: 0x2000n }], notes: [], linearMapOffset: 0xffff_ffff_ffff_f000n })).toThrow(/wraps past 2\^64/);
    const many = Array.from({ length: 0xffff }, (_, i) => ({ start: BigInt(i) * 2n * MiB, end: BigInt(i) * 2n * MiB + MiB }));
    expect(() => buildCrashElfHeader({ ...base, ram: many, notes: [] })).toThrow(/exceed 65534/);
  });

  it("dump ranges are exactly System RAM minus the crash regions (property)", () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 600 })).map(([s, n]) => ({ start: BigInt(s), end: BigInt(s + n) }));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), fc.array(range, { maxLength: 3 }), (ram, crash) => {
        const out = crashDumpRanges(ram, crash);
        const inside = (rs: readonly { start: bigint; end: bigint }[], x: bigint) => rs.some((r) => r.start <= x && x < r.end);
        for (let x = 0n; x < 4700n; x += 13n) expect(inside(out, x)).toBe(inside(ram, x) && !inside(crash, x));
        for (let i = 1; i < out.length; i++) expect(out[i - 1]!.end < out[i]!.start).toBe(true); // sorted, merged
      }),
    );
  });
});

describe("sysfs texts the header is built from", () => {
  it("parses /sys/kernel/vmcoreinfo (%pa %x) and cpuN/crash_notes (%llx, %zu)", () => {
    expect(parseVmcoreinfoLocation("0x000000013fe5a000 1024\n", "/sys/kernel/vmcoreinfo")).toEqual({ address: 0x13fe5a000n, size: 0x1024n, source: "/sys/kernel/vmcoreinfo" });
    expect(parseCrashNotes("13fc1d000\n", "372\n", "cpu0/crash_notes")).toEqual({ address: 0x13fc1d000n, size: 372n, source: "cpu0/crash_notes" });
    expect(() => parseVmcoreinfoLocation("", "/sys/kernel/vmcoreinfo")).toThrow(FormatError);
    expect(() => parseVmcoreinfoLocation("0x1000", "/sys/kernel/vmcoreinfo")).toThrow(/ADDRESS SIZE/);
    expect(() => parseCrashNotes("zz\n", "1\n", "cpu0/crash_notes")).toThrow(/hex address/);
    expect(() => parseCrashNotes("1000\n", "0x10\n", "cpu0/crash_notes")).toThrow(/crash_notes_size.*decimal/);
  });
});
