import { readFileSync } from "node:fs";
import { PlacedMemory } from "@handoff/core/paging";
import { describe, expect, it } from "vitest";
import { fixtureKernel } from "@handoff/test-support";
import { BootParams, pcMemoryMap } from "@handoff/x86";
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
    // The BIOS data area (0x40e, 0x413) and the conventional RAM below 640 KiB, where Linux 6.1's decompressor
    // builds its paging-mode trampoline on an LA57 CPU, are mapped writable; the EBDA and legacy hole above are not.
    for (const va of [0x413n, 0x9e000n]) expect(walkX86_64(mem, regs, va), `va 0x${va.toString(16)}`).toMatchObject({ kind: "translation", pa: va, attributes: { writable: true } });
    for (const va of [0x9fc00n, 0xb8000n]) expect(walkX86_64(mem, regs, va).kind).toBe("fault");
  });
});

describe.skipIf(!KERNEL)("x86_64 Linux artefacts for a machine of --memory SIZE", () => {
  const kernel = new Uint8Array(readFileSync(KERNEL!));
  const GIB = 1n << 30n;
  const build = (protocol: string, memory?: bigint) => x86_64LinuxBootBuilder.build({ protocol, kernel, kernelPath: KERNEL!, cmdline: "console=ttyS0", ...(memory === undefined ? {} : { memory }) });

  it("hands the 64-bit entry an e820 of the machine's size, split around the PCI hole, and asks QEMU for that RAM", () => {
    for (const [memory, qemu] of [[undefined, "512M"], [6n * GIB, "6144M"]] as const) {
      const a = build("linux64", memory);
      expect(a.qemu.memory).toBe(qemu);
      const page = a.segments.find((s) => s.name === "boot_params")!.data as { bytes: Uint8Array };
      const e820 = BootParams.decode(page.bytes).e820;
      expect(e820).toEqual(pcMemoryMap(memory ?? 512n << 20n).ranges.map((r) => ({ addr: r.start, size: r.size, type: r.type === "ram" ? 1 : 2 })));
      // 6 GiB: 3 GiB below the hole (the top 128 KiB SeaBIOS's), 3 GiB from 4 GiB (pc_piix.c gigabyte_align).
      const high = e820.find((e) => e.addr === 1n << 32n);
      expect(high?.size).toBe(memory === undefined ? undefined : 3n * GIB);
    }
  });

  it("hands the PVH entry a memmap of the machine's size", () => {
    const a = build("pvh", 6n * GIB);
    expect(a.qemu.memory).toBe("6144M");
    const info = (a.bootInfo as { hvm_start_info: { memmap: { addr: bigint; size: bigint; type: number }[] } }).hvm_start_info;
    expect(info.memmap.filter((m) => m.type === 1).map((m) => [m.addr, m.addr + m.size])).toEqual([[0n, 0x9_fc00n], [1n << 20n, 3n * GIB - 0x2_0000n], [4n * GIB, 7n * GIB]]);
  });

  it("refuses a size QEMU would round (not whole MiB) and one reaching the HyperTransport window", () => {
    expect(() => build("linux64", (5n << 20n) + 4096n)).toThrow(/whole number of MiB/);
    expect(() => build("pvh", 1024n * GIB)).toThrow(/HyperTransport/);
  });
});
