import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { staticBusybox } from "@handoff/test-support/busybox";
import { fixtureKernel, requireTool, tempDir } from "@handoff/test-support";
import { assemble } from "@handoff/test-support/qemu-oracle";
import { PVH_WRAP_LAYOUT, wrapBzImageAsPvh, writePvhElf } from "@handoff/x86";
import { BIN, expectBooted, run } from "./boot-run.js";

/**
 * The other direction of PVH: a bzImage wrapped by `handoff wrap --protocol
 * pvh` and booted by a PVH-only loader — QEMU's `-kernel` on an ELF with a
 * PHYS32_ENTRY note, whose `-initrd` becomes module 0 and `-append` the
 * cmdline_paddr. handoff's stub turns that hvm_start_info into boot_params and
 * enters Linux's 64-bit (x86_64) or 32-bit (686-pae) entry. The same bzImage
 * through QEMU's own `-kernel` is the timing reference.
 */

const BOOT_TIMEOUT_S = 150;
const CASES = [
  { arch: "x86_64", kernel: "x86_64-bzImage-6.1.0-56-cloud-amd64", qemu: "qemu-system-x86_64" },
  // Debian's 686-pae flavour has CONFIG_PVH=y; the wrapper needs no PVH support in the kernel at all.
  { arch: "x86_32", kernel: "x86_32-bzImage-6.1.0-57-686-pae", qemu: "qemu-system-i386" },
] as const;

const work = tempDir("handoff-pvh-wrap-boot-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const machine = (serial: string) => ["-M", "pc", "-m", "512M", "-accel", "tcg", "-display", "none", "-monitor", "none", "-serial", `file:${serial}`, "-no-reboot"];

async function markerInitrd(arch: "x86_32" | "x86_64"): Promise<string | undefined> {
  const busybox = staticBusybox(arch);
  if (!busybox) return undefined;
  const initrd = join(work, `${arch}.cpio`);
  if (!existsSync(initrd)) {
    const made = await run(process.execPath, [BIN, "initramfs", "--busybox", busybox, "--out", initrd], "wrote", 60_000);
    expect(made.code, made.output).toBe(0);
  }
  return initrd;
}

/** Every e820 range the kernel printed, and every ACPI table it found (signature, address, length). */
function kernelMemoryView(log: string) {
  const e820 = [...log.matchAll(/BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (.+?)\r?\n/g)].map((m) => ({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`) + 1n, type: m[3]! }));
  const tables = [...log.matchAll(/ACPI: (RSDP|[A-Z0-9]{4}) 0x([0-9A-F]{16}) ([0-9A-F]{6})/g)].map((m) => ({ sig: m[1]!, start: BigInt(`0x${m[2]}`), end: BigInt(`0x${m[2]}`) + BigInt(`0x${m[3]}`) }));
  return { e820, tables };
}

describe("a bzImage wrapped as a PVH ELF boots through QEMU's PVH loader (-kernel wrapped.elf -initrd -append)", () => {
  for (const c of CASES) {
    it(`${c.arch}: ${c.kernel} to the initramfs marker with QEMU's cmdline and initrd`, async () => {
      if (!requireTool(c.qemu)) return;
      const kernel = fixtureKernel(c.kernel);
      const initrd = await markerInitrd(c.arch);
      if (!kernel || !initrd) return;
      const elf = join(work, `${c.arch}.elf`);
      const wrapped = await run(process.execPath, [BIN, "wrap", "--protocol", "pvh", "--kernel", kernel, "--out", elf], "wrote", 60_000);
      expect(wrapped.code, wrapped.output).toBe(0);

      const marker = `${c.arch}-wrap-${process.pid}-${Date.now().toString(36)}`;
      const cmdline = `console=ttyS0 handoff.marker=${marker}`;
      const serial = join(work, `${c.arch}-wrap-serial.log`);
      const ours = await run(c.qemu, [...machine(serial), "-kernel", elf, "-initrd", initrd, "-append", cmdline], `HANDOFF-MARKER: ${marker}`, BOOT_TIMEOUT_S * 1000, serial);
      expectBooted(ours.output, cmdline, marker);
      expect(ours.output).toMatch(/Freeing initrd memory/);
      expect(ours.output).not.toContain("handoff pvh-wrap:");
      // acpi_rsdp_addr came from rsdp_paddr, and no table the kernel found lies in RAM it was told is usable.
      const view = kernelMemoryView(ours.output);
      expect(view.tables.map((t) => t.sig)).toEqual(expect.arrayContaining(["RSDP", "FACP", "DSDT", "FACS"]));
      for (const t of view.tables) expect(view.e820.filter((e) => e.type === "usable" && e.start < t.end && t.start < e.end), t.sig).toEqual([]);

      const nativeMarker = `${marker}-qemu`;
      const nativeCmdline = `console=ttyS0 handoff.marker=${nativeMarker}`;
      const nativeSerial = join(work, `${c.arch}-qemu-serial.log`);
      const native = await run(c.qemu, [...machine(nativeSerial), "-kernel", kernel, "-initrd", initrd, "-append", nativeCmdline], `HANDOFF-MARKER: ${nativeMarker}`, BOOT_TIMEOUT_S * 1000, nativeSerial);
      expectBooted(native.output, nativeCmdline, nativeMarker);
      console.info(`${c.arch} bzImage wrapped as PVH ELF: marker after ${((ours.markerMs ?? NaN) / 1000).toFixed(1)} s through QEMU's PVH loader + handoff's stub, ${((native.markerMs ?? NaN) / 1000).toFixed(1)} s through QEMU's -kernel (bzImage)`);
    }, (2 * BOOT_TIMEOUT_S + 90) * 1000);
  }
});

/**
 * A loader that hands the stub a start info of its own making: a prelude at
 * the PHYS32 entry copies QEMU's hvm_start_info, applies `tamper` (GNU as,
 * %edi = the copy) and enters the wrapper's stub with %ebx = the copy.
 */
function tamperedElf(kernel: string, name: string, tamper: string): string {
  const w = wrapBzImageAsPvh({ kernel: new Uint8Array(readFileSync(kernel)), kernelPath: kernel });
  const prelude = PVH_WRAP_LAYOUT.end; // free: after the wrapper's pages, below the kernel
  const copy = prelude + 0x1000n;
  const source = `
	.code32
	.text
	movl	%ebx, %esi
	movl	$${copy}, %edi
	movl	$14, %ecx			/* 56 bytes: hvm_start_info version 1 */
	rep movsl
	movl	$${copy}, %edi
${tamper}
	movl	$${copy}, %ebx
	movl	$${PVH_WRAP_LAYOUT.stub}, %eax
	jmp	*%eax
`;
  const dir = tempDir("handoff-pvh-wrap-prelude-");
  try {
    const code = new Uint8Array(readFileSync(assemble("i686-linux-gnu-", source, dir, ["--32"])));
    const out = join(work, `${name}.elf`);
    writeFileSync(out, writePvhElf({ elfClass: 64, entry32: prelude, loads: [...w.loads, { paddr: prelude, bytes: code, memsz: 0x2000n }] }));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run QEMU until `line` shows on the serial console (or `timeoutMs`), then stop it; the console text. */
function serialUntil(qemu: string, args: readonly string[], serial: string, line: string, timeoutMs: number): Promise<string> {
  return new Promise((done) => {
    const child = spawn(qemu, [...args], { stdio: "ignore" });
    const text = () => (existsSync(serial) ? readFileSync(serial, "latin1") : "");
    const poll = setInterval(() => text().includes(line) && setTimeout(() => child.kill("SIGKILL"), 1500), 100);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", () => {
      clearInterval(poll);
      clearTimeout(timer);
      done(text());
    });
  });
}

describe("the wrapper stub with a start info it must refuse or correct", () => {
  const kernel = fixtureKernel("x86_64-bzImage-6.1.0-56-cloud-amd64");
  const ready = () => requireTool("qemu-system-x86_64") && requireTool("i686-linux-gnu-as") && kernel !== undefined;

  for (const [what, tamper, message] of [
    ["bad magic", "\tmovl\t$0x12345678, 0(%edi)", "handoff pvh-wrap: hvm_start_info.magic is not 0x336ec578"],
    ["version 0", "\tmovl\t$0, 4(%edi)", "handoff pvh-wrap: hvm_start_info.version is 0: version 1 (the memory map) is needed"],
  ] as const) {
    it(`${what}: one line on COM1 and a halt, the kernel never entered`, async () => {
      if (!ready()) return;
      const elf = tamperedElf(kernel!, what.replace(/ /g, "-"), tamper);
      const serial = join(work, `${what.replace(/ /g, "-")}.log`);
      const log = await serialUntil("qemu-system-x86_64", [...machine(serial), "-kernel", elf, "-append", "console=ttyS0"], serial, message, 30_000);
      expect(log).toContain(`${message}\r\n`);
      expect(log).not.toContain("Linux version");
    }, 60_000);
  }

  it("a memmap that calls the firmware's top of RAM usable: every ACPI table is cut out of RAM (ACPI data / NVS) and the kernel still boots", async () => {
    if (!ready()) return;
    const initrd = await markerInitrd("x86_64");
    if (!initrd) return;
    // Two RAM entries, 0..0x9fc00 and 1 MiB..512 MiB: SeaBIOS's reserved 0x1ffe0000.. (where its ACPI tables are) claimed as RAM.
    const memmap = PVH_WRAP_LAYOUT.end + 0x1800n;
    const tamper = [
      `\tmovl\t$${memmap}, 40(%edi)`,
      "\tmovl\t$0, 44(%edi)",
      "\tmovl\t$2, 48(%edi)",
      `\tmovl\t$${memmap}, %eax`,
      ...[
        [0, 0x9fc00, 1],
        [0x100000, 0x20000000 - 0x100000, 1],
      ].flatMap(([addr, size, type], i) => [`\tmovl\t$${addr}, ${i * 24}(%eax)`, `\tmovl\t$0, ${i * 24 + 4}(%eax)`, `\tmovl\t$${size}, ${i * 24 + 8}(%eax)`, `\tmovl\t$0, ${i * 24 + 12}(%eax)`, `\tmovl\t$${type}, ${i * 24 + 16}(%eax)`, `\tmovl\t$0, ${i * 24 + 20}(%eax)`]),
    ].join("\n");
    const elf = tamperedElf(kernel!, "ram-over-acpi", tamper);
    const marker = `wrap-acpi-${process.pid}-${Date.now().toString(36)}`;
    const cmdline = `console=ttyS0 handoff.marker=${marker}`;
    const serial = join(work, "ram-over-acpi.log");
    const ours = await run("qemu-system-x86_64", [...machine(serial), "-kernel", elf, "-initrd", initrd, "-append", cmdline], `HANDOFF-MARKER: ${marker}`, BOOT_TIMEOUT_S * 1000, serial);
    expectBooted(ours.output, cmdline, marker);
    const view = kernelMemoryView(ours.output);
    // The loader's map had no reserved range at the top; the kernel's has the tables typed ACPI, and nothing else of it changed type.
    const high = view.tables.filter((t) => t.sig !== "RSDP");
    expect(high.length).toBeGreaterThanOrEqual(4);
    for (const t of high) {
      const covering = view.e820.find((e) => e.start <= t.start && t.end <= e.end);
      expect(covering?.type, `${t.sig} 0x${t.start.toString(16)}`).toMatch(t.sig === "FACS" ? /^ACPI (NVS|data)$/ : /^ACPI data$/);
    }
    const usable = view.e820.filter((e) => e.type === "usable");
    expect(usable.some((e) => e.end === 0x2000_0000n)).toBe(true); // RAM after the tables, up to 512 MiB, stays RAM
    for (const t of high) expect(usable.filter((e) => e.start < t.end && t.start < e.end)).toEqual([]);
  }, (BOOT_TIMEOUT_S + 60) * 1000);
});
