import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareRegisters, describeMismatches, parseInfoRegisters, withQemu } from "@handoff/qemu";
import { afterAll, describe, expect, it } from "vitest";
import { RISCV64_REGISTERS, RISCV64_VIRT_LAYOUT, riscv64Architecture, riscv64ArtefactBuilder } from "../src/index.js";
import { runCli } from "../../../packages/cli/test/helpers.js";
import { requireTool } from "./tools.js";

const arch = riscv64Architecture;

/** The first lines of a real QEMU 7.2 `info registers` dump of an RV64 hart (-M virt, reset). */
const DUMP = `CPU#0
 V      =   0
 pc       0000000000001000
 mhartid  0000000000000000
 mstatus  0000000a00000022
 stvec    0000000000000000
 sepc     0000000000000000
 scause   0000000000000000
 stval    0000000000000000
 sscratch 0000000000000000
 satp     8000000000081000
 x0/zero  0000000000000000 x1/ra    0000000000000001 x2/sp    0000000000000002 x3/gp    0000000000000003
 x4/tp    0000000000000004 x5/t0    0000000000000005 x6/t1    0000000000000006 x7/t2    0000000000000007
 x8/s0    0000000000000008 x9/s1    0000000000000009 x10/a0   000000000000000a x11/a1   000000000000000b
 x12/a2   000000000000000c x13/a3   000000000000000d x14/a4   000000000000000e x15/a5   000000000000000f
 x16/a6   0000000000000010 x17/a7   0000000000000011 x18/s2   0000000000000012 x19/s3   0000000000000013
 x20/s4   0000000000000014 x21/s5   0000000000000015 x22/s6   0000000000000016 x23/s7   0000000000000017
 x24/s8   0000000000000018 x25/s9   0000000000000019 x26/s10  000000000000001a x27/s11  000000000000001b
 x28/t3   000000000000001c x29/t4   000000000000001d x30/t5   000000000000001e x31/t6   000000000000001f
 f0/ft0   0000000000000000 f1/ft1   0000000000000000
`;

describe("@handoff/qemu reads a plugin arch's registers through the plugin's dialect", () => {
  it("maps `x10/a0` lines, mstatus (as sstatus, masked) and the S-mode CSRs", () => {
    const o = parseInfoRegisters(DUMP, arch);
    expect(o.reported).toHaveLength(1 + 32 + 7);
    for (let i = 1; i < 32; i++) expect(o.file.get(`x${i}`)).toBe(BigInt(i));
    expect(o.file.get("a1")).toBe(11n);
    expect(o.file.get("pc")).toBe(0x1000n);
    // mstatus 0xa_0000_0022: SXL (35:34) is not an sstatus bit; UXL, SPIE and SIE are.
    expect(o.file.get("sstatus")).toBe(0x2_0000_0022n);
    expect(o.file.get("satp")).toBe(0x8000_0000_0008_1000n);
  });
  it("names the missing line", () => {
    expect(() => parseInfoRegisters(DUMP.replace(" satp ", " xatp "), arch)).toThrow(/satp: not in the dump/);
  });
});

describe.skipIf(!requireTool("qemu-system-riscv64"))("riscv64 probe: the stub reaches the promised Linux entry state on a real (TCG) hart", () => {
  const dir = mkdtempSync(join(tmpdir(), "handoff-riscv64-probe-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every register QEMU reports equals riscvLinuxEntryState, and the payload and DTB are in place", async () => {
    const artefact = riscv64ArtefactBuilder.build({ protocol: "linux", payload: riscv64ArtefactBuilder.probePayload() });
    for (const f of artefact.files) writeFileSync(join(dir, f.name), f.bytes);
    if (artefact.launch.kind !== "loader") throw new Error("expected a loader launch");
    const launch = artefact.launch;
    const result = await withQemu(
      { arch: "riscv64", machine: artefact.qemu.machine, memory: artefact.qemu.memory, blobs: launch.blobs.map((b) => ({ file: join(dir, b.file), addr: b.addr })), entry: launch.entry },
      async (m) => {
        const observed = await m.waitForPc(artefact.entry, arch, 30_000, { failPc: artefact.stubFail });
        const dtb = await m.readMemory(RISCV64_VIRT_LAYOUT.dtb, 4);
        const seg = artefact.segments[0]!;
        const mem = await m.readMemory(seg.mem, Number(seg.memsz));
        return { observed, dtb, mem, want: seg.data.kind === "bytes" ? seg.data.bytes : new Uint8Array() };
      },
    );
    const rows = compareRegisters(artefact.state, result.observed);
    expect(describeMismatches(rows)).toBe("");
    // pc, x0..x31, sstatus (from mstatus) and six S-mode CSRs: every one QEMU prints that the plugin models.
    expect(rows.map((r) => r.name).sort()).toEqual(["pc", "satp", "scause", "sepc", "sscratch", "sstatus", "stval", "stvec", ...Array.from({ length: 32 }, (_, i) => `x${i}`)].sort());
    expect(rows.find((r) => r.name === "x11")).toMatchObject({ observed: RISCV64_VIRT_LAYOUT.dtb, match: true });
    // a1 points at a real flattened device tree (magic 0xd00dfeed, big-endian).
    expect([...result.dtb]).toEqual([0xd0, 0x0d, 0xfe, 0xed]);
    expect(Buffer.from(result.mem).equals(Buffer.from(result.want))).toBe(true);
  }, 60_000);

  it("`handoff boot --arch riscv64 --probe --plugin ./examples/riscv64-plugin` runs the same probe from the built CLI", () => {
    const r = runCli(["boot", "--arch", "riscv64", "--probe", "--json", "--plugin", "./examples/riscv64-plugin"]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { ok: boolean; registers: { name: string; match: boolean }[]; memory: { equal: boolean }[]; qemuLoaderLeftovers?: { name: string; value: string }[] };
    expect(out.ok).toBe(true);
    expect(out.registers).toHaveLength(40);
    expect(out.registers.every((x) => x.match)).toBe(true);
    expect(out.memory.every((x) => x.equal)).toBe(true);
    // OpenSBI, entered by QEMU's -kernel, reaches the same entry but leaves values in registers the protocol leaves undefined.
    expect(Array.isArray(out.qemuLoaderLeftovers)).toBe(true);
  }, 120_000);
});
