import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pvhElf, PVH_PHYS_BASE } from "@handoff/test-support/elf-fixtures";
import { int, note, put, writeElf } from "@handoff/test-support/elf-writer";
import { kernelFixturesDir, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

const dir = tempDir("handoff-inspect-");
const save = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

interface InspectJson {
  format: string;
  formatId: string;
  arch: string | null;
  machine: string | null;
  entry: { phys: string; virt: string | null };
  segments: { name: string; mem: string; memsz: string; bufsz: string; vaddr: string; role: string; data: { kind: string; offset?: number; length?: number } }[];
  metadata: Record<string, unknown> & { notes?: { name: string; type: number; typeName: string }[]; xen?: Record<string, unknown> };
}

describe("handoff inspect on ELF images", () => {
  it("--json shows a PVH ELF's phys/virt entry, segments with BSS, notes and header fields", () => {
    const f = pvhElf({ elfClass: 64, endian: "little", entryDescBytes: 8 });
    const r = runCli(["inspect", save("pvh64.elf", f.bytes), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as InspectJson;
    expect([j.format, j.formatId, j.arch]).toEqual(["ELF64", "elf", "x86_64"]);
    expect(j.entry).toEqual({ phys: "0x1000040", virt: "0xffffffff81000000" });
    expect(j.segments.map((s) => [s.mem, s.memsz, s.bufsz, s.vaddr, s.data.kind, s.data.offset])).toEqual([
      ["0x1000000", "0x200", "0x200", "0xffffffff81000000", "file", f.segmentOffsets[0]],
      ["0x1200000", "0x3000", "0x80", "0xffffffff81200000", "file", f.segmentOffsets[1]],
    ]);
    expect(j.metadata.notes!.filter((n) => n.name === "Xen").map((n) => n.typeName)).toEqual(["PHYS32_ENTRY", "GUEST_OS", "PHYS32_RELOC", "ENTRY"]);
    expect(j.metadata.xen).toMatchObject({ PHYS32_ENTRY: "0x1000040", GUEST_OS: "linux" });
    // The raw e_machine comes from core's reader; the arch name above from the installed x86_64 plugin's declaration.
    expect(j.metadata).toMatchObject({ machine: 62, endianness: "little", type: "ET_EXEC" });
    expect(j.machine).toBe("e_machine 62");
  });

  it("prints a readable summary for humans, ELF32 big-endian included", () => {
    const f = pvhElf({ elfClass: 32, endian: "big", machine: 40 });
    const r = runCli(["inspect", save("pvh32be.elf", f.bytes)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^format\s+ELF32/m);
    expect(r.stdout).toMatch(/^arch\s+arm32$/m);
    expect(r.stdout).toMatch(/^entry\s+phys 0x1000040\s+virt 0xc1000000$/m);
    expect(r.stdout).toMatch(/PT_LOAD\[1\]\s+kernel\s+0x1200000\s+0x3000\s+0x80\s/);
    expect(r.stdout).toMatch(/Xen\s+18 \(PHYS32_ENTRY\)/);
    expect(r.stdout).toMatch(/^\s+endianness\s+big$/m);
  });

  it("--paddr-offset turns link-address p_paddr into physical addresses", () => {
    const b = writeElf({ elfClass: 64, endian: "little", machine: 62, entry: 0xffff_ffff_8020_0000n, segments: [{ type: 1, vaddr: 0xffff_ffff_8020_0000n, data: new Uint8Array(64) }] });
    const r = runCli(["inspect", save("linked.elf", b.bytes), "--json", "--paddr-offset", "0xffffffff80000000"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as InspectJson;
    expect([j.segments[0]!.mem, j.entry.phys]).toEqual(["0x200000", "0x200000"]);
  });
});

describe("handoff inspect on malformed input", () => {
  const f = pvhElf({ elfClass: 64, endian: "little" });
  const bad = (edit: (b: Uint8Array) => void) => {
    const b = f.bytes.slice();
    edit(b);
    return b;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated", f.bytes.subarray(0, 30), /ELF header @0x0/],
    ["bad-class", bad((b) => (b[4] = 9)), /EI_CLASS\] @0x4: invalid class 9/],
    ["phnum", bad((b) => put(b, 56, 2, 60000, "little")), /e_phnum @0x38: 60000 program headers exceed/],
    ["memsz-2-62", bad((b) => put(b, f.phoff + 56 + 40, 8, 1n << 62n, "little")), /phdr\[1\]\.p_memsz @0x[0-9a-f]+: p_memsz 0x4000000000000000 exceeds/],
    ["namesz", bad((b) => put(b, f.segmentOffsets[2]!, 4, 0xffff_fffd, "little")), /n_namesz @0x[0-9a-f]+: name of 4294967293 bytes/],
    ["shnum", bad((b) => put(b, 60, 2, 0xffff, "little")), /e_shnum @0x3c/],
    ["entry", writeElf({ elfClass: 64, endian: "little", machine: 62, entry: PVH_PHYS_BASE, segments: [{ type: 1, vaddr: PVH_PHYS_BASE, data: new Uint8Array(16) }, { type: 4, vaddr: 0n, data: note("Xen", 18, int(0x10, 4, "little"), "little") }] }).bytes, /PHYS32_ENTRY @0x[0-9a-f]+: PVH entry 0x10 is outside every PT_LOAD/],
    ["garbage", new Uint8Array(4096).fill(0x41), /not a recognised image format \(tried: elf/],
    ["empty", new Uint8Array(0), /: image: is an empty file \(0 bytes\)/],
  ];
  it.each(cases)("%s: one line naming the problem, exit 1, no stack trace", (name, bytes, message) => {
    // runCli's timeout fails a hang; how fast it answers is the bench's business.
    const r = runCli(["inspect", save(`${name}.bin`, bytes)]);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^handoff: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("reports a missing file, a directory and bad arguments in one line", () => {
    for (const [args, code, msg] of [
      [["inspect", join(dir, "nope")], 1, /no such file/],
      [["inspect", dir], 1, /is a directory/],
      [["inspect"], 2, /exactly one FILE/],
      [["inspect", "a", "b"], 2, /exactly one FILE/],
      [["inspect", join(dir, "pvh64.elf"), "--paddr-offset", "zz"], 2, /not a number/],
    ] as const) {
      const r = runCli([...args]);
      expect(r.code).toBe(code);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe("handoff inspect with formats from architecture plugins", () => {
  it("tries every installed plugin's ImageFormat after ELF", () => {
    // A minimal plugin (no imports) whose architecture contributes a toy format.
    const plugin = join(dir, "toy-plugin");
    mkdirSync(plugin, { recursive: true });
    writeFileSync(join(plugin, "package.json"), JSON.stringify({ name: "toy-arch", type: "module", main: "index.js", keywords: ["handoff-arch"] }));
    writeFileSync(
      join(plugin, "index.js"),
      `const TOY = { id: "toy", description: "toy image",
         probe: (i) => i.bytes.length >= 4 && String.fromCharCode(...i.bytes.subarray(0, 4)) === "TOY!",
         parse: (i) => ({ format: "toy", arch: "toyarch", entry: { phys: 0x1234n }, source: { path: i.path, size: i.bytes.length },
           segments: [{ data: { kind: "file", path: i.path, offset: 4, length: i.bytes.length - 4 }, bufsz: BigInt(i.bytes.length - 4), mem: 0x1000n, memsz: 0x2000n, role: "kernel" }],
           metadata: { version: 7 } }) };
       export const plugin = { name: "toy-arch", provides: ["toyarch"], register(c) {
         c.register(Symbol.for("@handoff/core/Architecture"), { useValue: { id: "toyarch", displayName: "Toy", elfMachine: 9999, elfClass: 32, wordBits: 32,
           endianness: ["little"], pageSize: 4096n, registers: [], narrowMode: undefined, pageTableFormats: [], protocols: [], imageFormats: [TOY],
           relocations: undefined, hypercallAbi: undefined, createRegisterFile() { throw new Error("unused"); } } }); } };`,
    );
    const img = save("toy.img", new TextEncoder().encode("TOY!payload"));
    const r = runCli(["inspect", img, "--json", "--plugin", plugin]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as InspectJson;
    expect([j.format, j.formatId, j.arch, j.entry.phys]).toEqual(["toy", "toy", "toyarch", "0x1234"]);
    expect(j.segments[0]).toMatchObject({ mem: "0x1000", memsz: "0x2000", bufsz: "0x7", data: { kind: "file", offset: 4, length: 7 } });
    expect(j.metadata).toEqual({ version: 7 });
    // Without the plugin the same file is not recognised, and the message lists what was tried.
    const without = runCli(["inspect", img]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/\(tried: elf[,)]/);
    expect(without.stderr).not.toMatch(/tried:[^)]*toy/);
  });

  it("inspects the four real kernels: protocol 2.15 bzImages, the arm64 header, the zImage start/end", () => {
    const kernels = kernelFixturesDir();
    if (!kernels) {
      if (process.env.CI === "true") throw new Error("missing fixtures: ../shared/fixtures/kernels");
      console.warn("SKIPPING: ../shared/fixtures/kernels is missing");
      return;
    }
    const inspect = (name: string) => {
      const r = runCli(["inspect", join(kernels, name), "--json"]);
      expect(r.stderr, name).toBe("");
      return JSON.parse(r.stdout) as InspectJson & { metadata: Record<string, unknown>; arch: string };
    };
    const raw = (name: string) => {
      const b = readFileSync(join(kernels, name));
      return new DataView(b.buffer, b.byteOffset, b.byteLength);
    };
    for (const [name, arch] of [["x86_64-bzImage-6.1.0-56-cloud-amd64", "x86_64"], ["x86_32-bzImage-6.1.0-50-686", "x86_32"]] as const) {
      const j = inspect(name);
      expect([j.formatId, j.arch, j.metadata.protocol]).toEqual(["bzImage", arch, "2.15"]);
      // Independent read of the setup header (boot.rst): setup_sects @0x1f1, version @0x206.
      const v = raw(name);
      expect(v.getUint16(0x206, true)).toBe(0x020f);
      expect(j.metadata.setupSects).toBe(v.getUint8(0x1f1));
      expect(j.segments.map((s) => s.role)).toEqual(["setup", "kernel"]);
    }
    const a64 = inspect("arm64-Image-6.1.0-50-cloud-arm64");
    const v64 = raw("arm64-Image-6.1.0-50-cloud-arm64");
    expect([a64.formatId, a64.arch]).toEqual(["arm64-Image", "arm64"]);
    expect(a64.metadata.text_offset).toBe(`0x${v64.getBigUint64(8, true).toString(16)}`);
    expect(a64.metadata.image_size).toBe(`0x${v64.getBigUint64(16, true).toString(16)}`);
    expect(a64.metadata.flags).toBe(`0x${v64.getBigUint64(24, true).toString(16)}`);
    expect([a64.metadata.pageSize, a64.metadata.endianness, a64.metadata.placeAnywhere]).toEqual(["4K", "little", true]);
    const z = inspect("arm32-zImage-6.1.0-50-armmp");
    const vz = raw("arm32-zImage-6.1.0-50-armmp");
    expect([z.formatId, z.arch]).toEqual(["zImage", "arm32"]);
    expect([z.metadata.start, z.metadata.end]).toEqual([vz.getUint32(0x28, true), vz.getUint32(0x2c, true)]);
  });
});
