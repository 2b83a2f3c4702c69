import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError } from "@handoff/core";
import { parseIomem, memoryMapFromIomem, memoryMapFromFirmwareMemmap, parseLockdown } from "@handoff/core/kexec";
import { readFirmwareMemmap, readIomemMap, readKexecStatus, readProcCmdline, readPseudoFile } from "@handoff/node";
import { tempDir } from "@handoff/test-support";

/** /proc and /sys captured from the x86_64 kexec test VM (see its README). */
const VM = join(import.meta.dirname, "fixtures/running-x86_64");

describe("readers of the running machine, on files captured from the test VM", () => {
  it("/proc/iomem: top-level System RAM and reservations, device windows and nested resources left out", () => {
    const map = readIomemMap(VM);
    expect(map.ram().map((r) => [r.start, r.start + r.size])).toEqual([
      [0x1000n, 0x9fc00n],
      [0x100000n, 0x1ffe0000n],
    ]);
    expect(map.ranges.filter((r) => r.type === "reserved").map((r) => r.start)).toEqual([0n, 0x9fc00n, 0xf0000n, 0x1ffe0000n, 0xfffc0000n, 0xfd00000000n]);
    // The kernel's own code is inside System RAM, not a range of its own.
    expect(map.covers(0x6a00000n, 0x7801ef2n)).toBe(true);
  });

  it("/sys/firmware/memmap: the e820 the firmware gave (page 0 is RAM here, unlike iomem)", () => {
    const map = readFirmwareMemmap(VM)!;
    expect(map.ranges.map((r) => [r.start, r.size, r.type])).toEqual([
      [0n, 0x9fc00n, "ram"],
      [0x9fc00n, 0x400n, "reserved"],
      [0xf0000n, 0x10000n, "reserved"],
      [0x100000n, 0x1fee0000n, "ram"],
      [0x1ffe0000n, 0x20000n, "reserved"],
      [0xfffc0000n, 0x40000n, "reserved"],
      [0xfd00000000n, 0x300000000n, "reserved"],
    ]);
  });

  it("/proc/cmdline and the kexec status files", () => {
    expect(readProcCmdline(VM)).toBe("console=ttyS0 quiet HANDOFF_TEST_VM=1 handoff.case=capture");
    expect(readKexecStatus(VM)).toEqual({ loaded: false, crashLoaded: undefined, crashSize: undefined, loadDisabled: false, lockdown: undefined });
  });

  it("a machine without /sys/firmware/memmap (Arm) gives undefined, not an empty map", () => {
    expect(readFirmwareMemmap(tempDir("no-memmap-"))).toBeUndefined();
  });
});

describe("hostile running-machine files", () => {
  it("iomem as a non-root reader sees it (all addresses zero) is refused with the reason", () => {
    const zeros = "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n";
    expect(() => memoryMapFromIomem(parseIomem(zeros))).toThrow(/root only/);
  });

  it("malformed iomem lines, end below start and overlapping RAM are typed errors naming the line", () => {
    expect(() => parseIomem("00001000-0009fbff System RAM\n")).toThrow(FormatError);
    expect(() => parseIomem("00002000-00001000 : System RAM\n")).toThrow(/line 1.*end below start/);
    expect(() => memoryMapFromIomem(parseIomem("00001000-00002fff : System RAM\n00002000-00003fff : System RAM\n"))).toThrow(/overlaps/);
    expect(() => parseIomem("x\n".repeat(70000))).toThrow(/more than 65536 lines/);
  });

  it("firmware memmap fields that are not hex addresses are refused with the file", () => {
    expect(() => memoryMapFromFirmwareMemmap([{ start: "0x1000", end: "4096", type: "System RAM" }])).toThrow(/memmap\/0\/end/);
    expect(() => memoryMapFromFirmwareMemmap([{ start: "0x2000", end: "0x1000", type: "System RAM" }])).toThrow(/below start/);
    expect(() => memoryMapFromFirmwareMemmap([{ start: "0x10000000000000000", end: "0x1", type: "x" }])).toThrow(FormatError);
  });

  it("lockdown: the bracketed mode is the active one", () => {
    expect(parseLockdown("none [integrity] confidentiality\n")).toBe("integrity");
    expect(parseLockdown("[none] integrity confidentiality\n")).toBe("none");
    expect(parseLockdown("garbage")).toBeUndefined();
  });

  it("a pseudo-file larger than its bound is refused, not read whole", () => {
    const dir = tempDir("pseudo-");
    writeFileSync(join(dir, "big"), Buffer.alloc(200_000));
    expect(() => readPseudoFile(join(dir, "big"), 100_000, "test")).toThrow(/more than 100000 bytes/);
    expect(readPseudoFile(join(dir, "big"), 200_000, "test").length).toBe(200_000);
  });

  it("a copied tree with kexec disabled and lockdown on reads as such", () => {
    const root = tempDir("locked-");
    cpSync(VM, root, { recursive: true });
    writeFileSync(join(root, "proc/sys/kernel/kexec_load_disabled"), "1\n");
    mkdirSync(join(root, "sys/kernel/security"), { recursive: true });
    writeFileSync(join(root, "sys/kernel/security/lockdown"), "none [integrity] confidentiality\n");
    expect(readKexecStatus(root)).toMatchObject({ loadDisabled: true, lockdown: "integrity" });
  });
});
