import { ValidationError, crc32, type MachineTag } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { container } from "tsyringe";
import { describe, expect, it } from "vitest";
import { RISCV64_REGISTERS, riscv64Architecture, SSTATUS_UXL_64, plugin, riscvLinuxEntryState } from "../src/index.js";
import { runCli } from "@handoff/test-support/cli";
import { tempDir } from "@handoff/test-support";
import { writeElf } from "@handoff/test-support/elf-writer";

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

/** A U-Boot legacy uImage (include/image.h: 64-byte big-endian header, CRC-32s of header and data) around `data`. */
function uImage(data: Uint8Array, ihArch: number): Uint8Array {
  const out = new Uint8Array(64 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x27051956); // IH_MAGIC
  v.setUint32(12, data.length); // ih_size
  v.setUint32(16, 0x8020_0000); // ih_load
  v.setUint32(20, 0x8020_0000); // ih_ep
  v.setUint32(24, crc32(data)); // ih_dcrc
  out.set([5, ihArch, 2, 0], 28); // ih_os IH_OS_LINUX, ih_arch, ih_type IH_TYPE_KERNEL, ih_comp none
  out.set(new TextEncoder().encode("rv64"), 32);
  v.setUint32(4, crc32(out.subarray(0, 64))); // ih_hcrc, over the header with ih_hcrc zero
  out.set(data, 64);
  return out;
}

describe("riscv64 example plugin: the machine names other headers use, declared as data", () => {
  it("is what the registry finds for each of them, and for nothing another arch declares", () => {
    const child = container.createChildContainer();
    plugin.register(child);
    const registry = ArchitectureRegistry.fromContainer(child);
    // Per header: RV64's own value, then one another architecture declares.
    const pairs: [MachineTag, MachineTag][] = [
      [{ scheme: "elf", value: 243 }, { scheme: "elf", value: 62 }],
      [{ scheme: "uImage", value: 26 }, { scheme: "uImage", value: 22 }],
      [{ scheme: "fit", value: "riscv" }, { scheme: "fit", value: "arm64" }],
      [{ scheme: "pe", value: 0x5064 }, { scheme: "pe", value: 0xaa64 }],
      [{ scheme: "node", value: "riscv64" }, { scheme: "node", value: "x64" }],
    ];
    for (const [own, other] of pairs) {
      expect(registry.byMachine(own)?.id, own.scheme).toBe("riscv64");
      expect(registry.byMachine(other), other.scheme).toBeUndefined();
    }
  });

  it("lets `handoff inspect` name an RV64 ELF and a uImage's ih_arch only with the plugin; without it the raw values show", () => {
    const dir = tempDir("handoff-riscv64-names-");
    try {
      const elf = writeElf({ elfClass: 64, endian: "little", machine: 243, entry: 0x8020_0000n, segments: [{ type: 1, vaddr: 0x8020_0000n, data: new Uint8Array(64) }] }).bytes;
      writeFileSync(join(dir, "vmlinux"), elf);
      writeFileSync(join(dir, "uImage"), uImage(elf, 26));
      const plain = runCli(["inspect", join(dir, "vmlinux")]);
      expect(plain.stderr).toBe("");
      expect(plain.stdout).toMatch(/^arch\s+unknown: e_machine 243 \(no installed architecture claims it\)$/m);
      const named = runCli(["inspect", join(dir, "vmlinux"), "--plugin", "./examples/riscv64-plugin"]);
      expect(named.stdout).toMatch(/^arch\s+riscv64$/m);

      const bare = JSON.parse(runCli(["inspect", join(dir, "uImage"), "--json"]).stdout) as { arch: string | null; machine: string; metadata: { container: Record<string, unknown>[] } };
      expect([bare.arch, bare.machine]).toEqual([null, "e_machine 243"]);
      expect(bare.metadata.container[0]).toMatchObject({ kind: "uImage", ih_arch: 26, arch: null });
      const withPlugin = JSON.parse(runCli(["inspect", join(dir, "uImage"), "--json", "--plugin", "./examples/riscv64-plugin"]).stdout) as typeof bare;
      expect(withPlugin.arch).toBe("riscv64");
      expect(withPlugin.metadata.container[0]).toMatchObject({ kind: "uImage", ih_arch: 26, arch: "riscv64" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shows the declared names in `handoff archs --json`", () => {
    const r = runCli(["archs", "--json", "--plugin", "./examples/riscv64-plugin"]);
    const rv = (JSON.parse(r.stdout) as { architectures: { id: string; machineNames: Record<string, unknown>; kexecSyscalls: unknown }[] }).architectures.find((a) => a.id === "riscv64");
    expect(rv).toMatchObject({ machineNames: { elf: "EM_RISCV", uImage: 26, fit: ["riscv"], pe: 0x5064, node: "riscv64" }, kexecSyscalls: { kexecLoad: 104, kexecFileLoad: 294 } });
  });
});
