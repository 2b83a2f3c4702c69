import "reflect-metadata";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HandoffArtefact, LinuxBootBuilder, Segment } from "@handoff/core";
import { XEN_ELF_IMAGE_FORMAT, XEN_PVH_ENTRY_SOURCE } from "@handoff/xen";
import { compareRegisters, verifyFailure, withQemu } from "@handoff/qemu";
import { acpiTables, decodePvhStartInfo, pvhKernelElf, RSDP_SEARCH, findRsdp, type PvhStartInfo } from "@handoff/x86";
import { x86_32Architecture, x86_32LinuxBootBuilder } from "@handoff/x86_32";
import { x86_64Architecture, x86_64LinuxBootBuilder } from "@handoff/x86_64";
import { fixtureKernel, readFixture, requireTool, tempDir } from "@handoff/test-support";

/**
 * Probe boots of handoff as the PVH loader with the real kernels: the kernel's
 * PHYS32 entry is patched to `jmp .`, QEMU runs our artefact until the CPU
 * spins there, and then (over QMP) every register must equal the promised
 * PVH state, the hvm_start_info in guest memory must equal the plan field by
 * field (rsdp_paddr: the RSDP really in the BIOS area), and every ACPI table
 * reachable from that RSDP must lie in a range the memory map does not give
 * as RAM, with no planned byte over it.
 */

const GIB = 1n << 30n;
const CASES = [
  { arch: "x86_64", kernel: "x86_64-bzImage-6.1.0-56-cloud-amd64", builder: x86_64LinuxBootBuilder, registers: x86_64Architecture, qemu: "qemu-system-x86_64", memory: undefined },
  // 6 GiB: SeaBIOS's ACPI tables sit at the top of the 3 GiB below the PCI hole, not of 512 MiB.
  { arch: "x86_64", kernel: "x86_64-bzImage-6.1.0-56-cloud-amd64", builder: x86_64LinuxBootBuilder, registers: x86_64Architecture, qemu: "qemu-system-x86_64", memory: 6n * GIB },
  { arch: "x86_32", kernel: "x86_32-bzImage-6.1.0-57-686-pae", builder: x86_32LinuxBootBuilder, registers: x86_32Architecture, qemu: "qemu-system-i386", memory: undefined },
] as const;

const work = tempDir("handoff-pvh-probe-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The vmlinux with `jmp .` at its PVH entry, so the probe stops exactly where the kernel would start. */
function spinningVmlinux(bzImage: Uint8Array, path: string): Uint8Array {
  const elf = pvhKernelElf(bzImage, path);
  // The ELF format that decodes Xen notes: its entry is PHYS32_ENTRY (core's plain ELF reader would give e_entry).
  const image = XEN_ELF_IMAGE_FORMAT.parse(elf);
  expect(image.metadata, "the patched entry is PHYS32_ENTRY").toMatchObject({ entrySource: XEN_PVH_ENTRY_SOURCE });
  const bytes = elf.bytes.slice();
  const seg = image.segments.find((s) => s.mem <= image.entry.phys && image.entry.phys < s.mem + s.bufsz) as Segment;
  const at = seg.data.kind === "file" ? seg.data.offset + Number(image.entry.phys - seg.mem) : -1;
  expect(at, "the entry's PT_LOAD is file-backed").toBeGreaterThan(0);
  bytes.set([0xeb, 0xfe], at);
  return bytes;
}

const rangeOf = (info: PvhStartInfo, addr: bigint, end: bigint) => info.memmap.find((m) => m.addr <= addr && end <= m.addr + m.size);

describe("handoff as the PVH loader: probe at the kernel's PHYS32 entry", () => {
  for (const c of CASES) {
    it(`${c.arch}${c.memory ? ` with ${c.memory / GIB} GiB` : ""}: registers, hvm_start_info and ACPI tables as planned`, async () => {
      if (!requireTool(c.qemu)) return;
      const kernelPath = fixtureKernel(c.kernel);
      if (!kernelPath) return;
      const builder: LinuxBootBuilder = c.builder;
      const initrd = new Uint8Array(0x3000).fill(0x5a);
      const artefact: HandoffArtefact = builder.build({ protocol: "pvh", kernel: spinningVmlinux(readFixture(kernelPath), kernelPath), kernelPath, initrd, cmdline: "console=ttyS0 handoff.probe=pvh", ...(c.memory ? { memory: c.memory } : {}) });
      // The stub checks every planned segment's SHA-256 before it enters (the start info as planned, before its run-time RSDP).
      expect(artefact.verify?.regions).toBe(artefact.segments.length);
      const planned = artefact.bootInfo!.hvm_start_info as PvhStartInfo;
      const infoAddr = artefact.bootInfo!.hvm_start_info_paddr as bigint;
      const file = join(work, `${c.arch}-${c.memory ?? 0n}.elf`);
      writeFileSync(file, artefact.files[0]!.bytes);
      await withQemu({ arch: c.arch, machine: artefact.qemu.machine, memory: artefact.qemu.memory, kernel: file, lifetimeMs: 90_000 }, async (m) => {
        const observed = await m.waitForPc(artefact.entry, c.registers, 60_000, { failPc: artefact.stubFail, failures: verifyFailure(artefact) });
        const registers = compareRegisters(artefact.state, observed);
        expect(registers.filter((r) => !r.match).map((r) => `${r.name} ${r.expected} != ${r.observed}`)).toEqual([]);
        expect(registers.find((r) => r.name === (c.arch === "x86_64" ? "rbx" : "ebx"))?.observed).toBe(infoAddr);

        const read = await m.readMemory(infoAddr, 0x2000);
        const got = decodePvhStartInfo(read, infoAddr, `guest memory at ${infoAddr}`);
        const bios = await m.readMemory(RSDP_SEARCH.start, Number(RSDP_SEARCH.end - RSDP_SEARCH.start));
        const rsdp = findRsdp(bios);
        expect(rsdp, "SeaBIOS placed an RSDP").toBeDefined();
        // Field by field: everything as planned; rsdp_paddr is filled at run time from the loader, and must be the real RSDP.
        expect({ ...got, rsdp_paddr: 0n }).toEqual(planned);
        expect(got.rsdp_paddr).toBe(rsdp!.addr);
        expect(got.modlist[0]).toMatchObject({ size: BigInt(initrd.length) });
        expect(await m.readMemory(got.modlist[0]!.paddr, initrd.length)).toEqual(initrd);

        const tables = await acpiTables((addr, size) => m.readMemory(addr, size), bios);
        expect(tables.map((t) => t.signature)).toEqual(expect.arrayContaining(["RSD PTR", "RSDT", "FACP", "DSDT", "FACS"]));
        // The tables SeaBIOS put at the top of RAM below 4 GiB (3 GiB on a 6 GiB machine) are where the plan's map says.
        const lowTop = c.memory ? 3n * GIB : 512n << 20n;
        expect(tables.filter((t) => t.signature !== "RSD PTR").every((t) => t.addr < lowTop && t.addr >= lowTop - 0x2_0000n), "ACPI tables in the top 128 KiB of low RAM").toBe(true);
        for (const t of tables) {
          const end = t.addr + BigInt(t.length);
          const range = rangeOf(got, t.addr, end);
          expect(range && range.type !== 1, `${t.signature} at ${t.addr} lies in a non-RAM memmap range`).toBe(true);
          for (const s of artefact.segments) expect(s.mem + s.memsz <= t.addr || end <= s.mem, `${s.name} does not overlap ${t.signature}`).toBe(true);
        }
      });
    }, 150_000);
  }
});
