import { ValidationError } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { container } from "tsyringe";
import { describe, expect, it } from "vitest";
import { RISCV64_REGISTERS, riscv64Architecture, SSTATUS_UXL_64, plugin, riscvLinuxEntryState } from "../src/index.js";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";

const arch = () => riscv64Architecture;

describe("riscv64 example plugin", () => {
  it("models x0 as hardwired zero and ABI names as the same registers", () => {
    const f = arch().createRegisterFile();
    expect(() => f.set("x0", 1n)).toThrow(ValidationError);
    expect(() => f.set("zero", 1n)).toThrow(/hardwired/);
    f.set("a0", 7n).set("fp", 0xffff_ffff_8000_0000n);
    expect(f.get("x10")).toBe(7n);
    expect(f.get("s0")).toBe(0xffff_ffff_8000_0000n);
    expect(f.get("x8")).toBe(0xffff_ffff_8000_0000n);
    expect(() => f.set("priv", 4n)).toThrow(/does not fit 2-bit/);
  });

  it("gives the Linux entry state a0 = hart, a1 = DTB, satp = 0 in S-mode, everything else forced zero", () => {
    const dirty = arch().createRegisterFile().set("t0", 0xdeadn).set("sstatus", 2n);
    const s = riscvLinuxEntryState(dirty, { entry: 0x8020_0000n, hartId: 0n, dtb: 0x8220_0000n });
    expect(s.registers.get("a1")).toBe(0x8220_0000n);
    expect(s.registers.get("pc")).toBe(0x8020_0000n);
    expect(s.registers.get("priv")).toBe(1n);
    expect(s.registers.get("t0")).toBe(0n);
    expect(s.registers.get("sstatus")).toBe(SSTATUS_UXL_64);
    expect(s.provenanceOf("a0")).toMatchObject({ kind: "protocol", protocol: "linux-riscv" });
    expect(s.provenanceOf("t0")).toEqual({ kind: "forced-zero" });
  });

  it("registers into a child container next to nothing else", () => {
    const child = container.createChildContainer();
    plugin.register(child);
    expect(ArchitectureRegistry.fromContainer(child).ids()).toEqual(["riscv64"]);
  });

  it("is loaded by `handoff archs --plugin <path>` next to the built-in architectures", () => {
    const r = runCli(["archs", "--json", "--plugin", "./examples/riscv64-plugin"]);
    expect(r.stderr).toBe("");
    const ids = (JSON.parse(r.stdout) as { architectures: { id: string; elfMachine: number }[] }).architectures.map((a) => `${a.id}:${a.elfMachine}`);
    expect(ids).toEqual(["arm32:40", "arm64:183", "riscv64:243", "x86_32:3", "x86_64:62"]);
  });

  it("lets `handoff inspect` and `handoff pagetable` use its Image format and Sv39 tables through --plugin", () => {
    const dir = tempDir("handoff-riscv64-cli-");
    try {
      const b = new Uint8Array(256);
      const v = new DataView(b.buffer);
      v.setBigUint64(8, 0x20_0000n, true); // text_offset
      v.setBigUint64(16, 0x1000n, true); // image_size
      v.setUint32(56, 0x05435352, true); // magic2 "RSC\x05"
      writeFileSync(join(dir, "Image"), b);
      const without = runCli(["inspect", join(dir, "Image")]);
      expect(without.stderr).toMatch(/^handoff: .*not a recognised image format/);
      const r = runCli(["inspect", join(dir, "Image"), "--json", "--plugin", "./examples/riscv64-plugin"]);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ format: "riscv64-Image", arch: "riscv64", entry: { phys: "0x200000" } });
      const p = runCli(["pagetable", "--arch", "riscv64", "--plugin", "./examples/riscv64-plugin", "--map", "0x80200000:0x80200000:2M:wx", "--table-base", "0x81000000", "--json"]);
      expect(p.stderr).toBe("");
      expect(p.stdout).toContain('"satp": "0x8000000000081000"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
