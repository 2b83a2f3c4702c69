import { execFileSync } from "node:child_process";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteReader } from "@handoff/core";
import { parseVmcoreinfo } from "@handoff/core/kexec";
import { withQemu } from "@handoff/qemu";
import { staticBusybox } from "@handoff/test-support/busybox";
import { KERNELS, READELF, REPO_ROOT, fixtureKernel, requireTool, run, tempDir } from "@handoff/test-support";

/**
 * `handoff inspect` on a real ELF core file: the fixture kernel boots in QEMU
 * with two CPUs, powers off (QEMU stays, -no-shutdown), and QEMU's
 * dump-guest-memory writes the machine's memory as an ELF core, as crash tools
 * read it. What inspect reports is checked against binutils' readelf, and the
 * kernel's own vmcoreinfo note (found in the dumped RAM by its note header) is
 * decoded and checked against the fixture's release.
 */

const BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");
const RELEASE = KERNELS.x86_64.replace(/^x86_64-bzImage-/, ""); // 6.1.0-56-cloud-amd64

/** Find the kernel's VMCOREINFO note in a dump: header (namesz 11, descsz, type 0) then "VMCOREINFO\0". */
function findVmcoreinfoNote(path: string): { desc: Uint8Array; descOffset: number } | undefined {
  const name = Buffer.from("VMCOREINFO\0\0OSRELEASE=", "latin1");
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    for (let at = 0; at < size; at += chunk.length - 64) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      const i = chunk.subarray(0, n).indexOf(name);
      if (i >= 12 && chunk.readUInt32LE(i - 12) === 11 && chunk.readUInt32LE(i - 4) === 0) {
        const descsz = chunk.readUInt32LE(i - 8);
        const desc = Buffer.alloc(descsz);
        readSync(fd, desc, 0, descsz, at + i + 12);
        return { desc: new Uint8Array(desc), descOffset: at + i + 12 };
      }
      if (n < chunk.length) break;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

describe("inspect on a crash dump (ELF core from QEMU's dump-guest-memory)", () => {
  it("reports the dump's CPUs, load segments and notes as readelf does, and decodes the kernel's vmcoreinfo", async () => {
    if (!requireTool("qemu-system-x86_64") || !requireTool(READELF)) return;
    const kernel = fixtureKernel(KERNELS.x86_64);
    const busybox = staticBusybox("x86_64");
    if (!kernel || !busybox) return;
    const work = tempDir("vmcore-");
    const initrd = join(work, "init.cpio");
    execFileSync(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd]);
    const dump = join(work, "vmcore");
    await withQemu(
      { arch: "x86_64", kernel, memory: "192M", lifetimeMs: 150_000, extraArgs: ["-smp", "2", "-initrd", initrd, "-append", "console=ttyS0 handoff.marker=vmcore", "-no-shutdown"] },
      async (machine) => {
        await machine.waitForSerial("reboot: Power down", 120_000);
        await machine.qmp.execute("dump-guest-memory", { paging: false, protocol: `file:${dump}` }, 60_000);
      },
    );

    const report = JSON.parse(execFileSync(process.execPath, [BIN, "inspect", "--json", dump], { encoding: "utf8" }));
    expect(report.format).toBe("ELF64 core");
    expect(report.cpus).toBe(2);
    const rows = run(READELF, ["-lW", dump])
      .split("\n")
      .filter((l) => /^\s+LOAD\s/.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(rows.length).toBeGreaterThan(0);
    expect(report.loads.map((l: Record<string, string>) => [l.offset, l.paddr, l.size].map((v) => BigInt(v!)))).toEqual(rows.map((r) => [BigInt(r[1]!), BigInt(r[3]!), BigInt(r[5]!)]));
    // All 192 MiB of RAM, plus the blocks QEMU dumps beside it (BIOS, option ROMs, VGA memory).
    expect(BigInt(report.ramBytes)).toBe(rows.reduce((sum, r) => sum + BigInt(r[5]!), 0n));
    expect(BigInt(report.ramBytes)).toBeGreaterThanOrEqual(192n << 20n);
    const noteCount = (run(READELF, ["-nW", dump]).match(/^\s+(CORE|QEMU|VMCOREINFO)\s/gm) ?? []).length;
    expect(report.notes.length).toBe(noteCount);

    const note = findVmcoreinfoNote(dump);
    expect(note, "the running kernel keeps its vmcoreinfo note in RAM").toBeDefined();
    const info = parseVmcoreinfo(note!, new ByteReader(new Uint8Array(0), dump, "vmcore"));
    expect(info.osRelease).toBe(RELEASE);
    expect(info.pageSize).toBe(4096);
    // Symbols name kernel virtual addresses: x86_64's kernel map is in the top 2 GiB.
    expect(info.symbols.get("init_uts_ns")! >= 0xffffffff80000000n).toBe(true);
  }, 240_000);
});
