import { readFileSync } from "node:fs";
import { PlacedMemory } from "@handoff/core/paging";
import { describe, expect, it } from "vitest";
import { fixtureKernel } from "@handoff/test-support";
import { X86_64_LINUX_LAYOUT, walkX86_64, x86_64LinuxBootBuilder } from "../src/index.js";

const KERNEL = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");

describe.skipIf(!KERNEL)("x86_64 Linux artefact for the real bzImage", () => {
  const kernel = new Uint8Array(readFileSync(KERNEL!));
  const initrd = new Uint8Array(5 * 4096 + 3).fill(1);
  const a = x86_64LinuxBootBuilder.build({ protocol: "linux64", kernel, kernelPath: KERNEL!, initrd, cmdline: "console=ttyS0" });

  it("identity-maps kernel + init_size, boot_params, cmdline, initrd and the stub, and nothing far from them", () => {
    const L = X86_64_LINUX_LAYOUT;
    const state = a.state.registers;
    expect(a.pageTableRoot).toBe(state.get("cr3"));
    // Walk the tables as the CPU finds them: from the PT_LOADs of the PVH ELF QEMU boots.
    const file = a.files[0]!;
    expect(file.name).toBe("handoff.elf");
    const elf = file.bytes;
    const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    const phoff = Number(v.getBigUint64(32, true));
    const phnum = v.getUint16(56, true);
    const pieces = [];
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * 56;
      if (v.getUint32(at, true) !== 1) continue;
      const off = Number(v.getBigUint64(at + 8, true));
      const paddr = v.getBigUint64(at + 24, true);
      const filesz = Number(v.getBigUint64(at + 32, true));
      pieces.push({ pa: paddr, bytes: elf.subarray(off, off + filesz) });
    }
    const mem = new PlacedMemory(pieces);
    const regs = { cr0: state.get("cr0"), cr3: state.get("cr3"), cr4: state.get("cr4"), efer: state.get("efer") };
    const kernelSeg = a.segments.find((s) => s.role === "kernel")!;
    const probes = [L.stub, a.entry, kernelSeg.mem + 0x1000n, ...a.segments.map((s) => s.mem), ...a.segments.map((s) => s.mem + s.memsz - 1n)];
    for (const va of probes) expect(walkX86_64(mem, regs, va), `va 0x${va.toString(16)}`).toMatchObject({ kind: "translation", pa: va });
    // The kernel's init_size room past its file is mapped too (boot.rst: load address + init_size).
    const header = new DataView(kernel.buffer, kernel.byteOffset);
    const initSize = BigInt(header.getUint32(0x260, true));
    expect(walkX86_64(mem, regs, kernelSeg.mem + initSize - 1n)).toMatchObject({ kind: "translation" });
    // Well away from everything planned (RAM at 400 MiB, the MMIO hole at 3.5 GiB) is not mapped.
    for (const va of [400n << 20n, 0xe000_0000n]) expect(walkX86_64(mem, regs, va).kind).toBe("fault");
  });
});
