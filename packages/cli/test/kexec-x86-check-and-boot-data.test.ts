/**
 * x86 kexec_load plans on the host, against /proc and /sys captured from the
 * x86_64 test VM (packages/node/test/fixtures/running-x86_64-crash holds its
 * /sys/kernel/boot_params/data):
 * - the stub's segment check: every segment but the stub itself is in the
 *   stub's table with its SHA-256, on both widths (the kexec entries reach
 *   the check: the x86_64 stub in compatibility mode, the IA-32 one after
 *   dropping out of long mode); `--no-verify` leaves the table empty;
 * - boot_params built as kexec-tools builds them: the firmware facts of the
 *   running kernel's boot_params (screen_info, acpi_rsdp_addr,
 *   hardware_subarch) carried over at bootparam.h's offsets, efi_info and the
 *   old command-line protocol left out, the e820 from /sys/firmware/memmap.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, type LinuxKexecPlan } from "@handoff/core";
import { verifyEntryBytes, type KexecLoadSegment } from "@handoff/core/kexec";
import { BootParams, E820Type } from "@handoff/x86";
import { X86_64_HANDOFF_STUB, planX86_64Kexec } from "@handoff/x86_64";
import { X86_32_HANDOFF_STUB, planX86_32Kexec } from "@handoff/x86_32";
import { TEST_FLIP_SEGMENT_ENV, readFirmwareMemmap, testVmSegmentFault } from "@handoff/node";
import { KERNELS, REPO_ROOT, fixtureKernel } from "@handoff/test-support";
import { loadArchitectures } from "../src/container.js";
import { planLiveKexec, runningKexecInputs } from "../src/commands/kexec-live.js";

const VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64-crash");
const NO_BOOT_PARAMS_VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64");
const RUNNING = new Uint8Array(readFileSync(join(VM, "sys/kernel/boot_params/data")));
const kernel = fixtureKernel(KERNELS.x86_64);
const kernel32 = fixtureKernel(KERNELS.x86_32);

/** bootparam.h / screen_info.h offsets the tests check by hand. */
const ACPI_RSDP_ADDR = 0x70;
const EFI_INFO = 0x1c0;
const HARDWARE_SUBARCH = 0x23c;
const CL_MAGIC = 0x20;
const ORIG_VIDEO_MODE = 0x06;
const ORIG_VIDEO_COLS = 0x07;
const ORIG_VIDEO_LINES = 0x0e;
const ORIG_VIDEO_IS_VGA = 0x0f;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The stub's region table, read back from the stub segment: [start, len, digest hex] per region (4-byte words). */
function verifyTable(plan: LinuxKexecPlan, symbols: Record<string, number>): [bigint, bigint, string][] {
  const stub = plan.segments.find((s) => s.name === "stub")!.bytes;
  const v = view(stub);
  const count = v.getUint32(symbols.hd_verify_count!, true);
  const entry = verifyEntryBytes(4);
  return Array.from({ length: count }, (_, i) => {
    const at = symbols.hd_verify_regions! + i * entry;
    return [BigInt(v.getUint32(at, true)), BigInt(v.getUint32(at + 4, true)), Buffer.from(stub.subarray(at + 8, at + 8 + 32)).toString("hex")];
  });
}

/** What the stub must find in memory for a segment: its bytes, then zeros up to memsz, hashed independently here. */
function expectedRegion(s: KexecLoadSegment): [bigint, bigint, string] {
  const h = createHash("sha256").update(s.bytes).update(new Uint8Array(Number(s.memsz) - s.bytes.length));
  return [s.mem, s.memsz, h.digest("hex")];
}

const request = (extra: object = {}) => ({ kernel: new Uint8Array(readFileSync(kernel!)), kernelPath: kernel!, cmdline: "console=ttyS0", memoryMap: readFirmwareMemmap(VM)!, ...extra });

describe.skipIf(!kernel)("x86 kexec_load: the stub checks every segment before it enters", () => {
  it("x86_64: the table holds every segment after the stub with its SHA-256; --no-verify empties it", () => {
    const plan = planX86_64Kexec(request());
    expect(plan.entry).toBe(0x100000n + BigInt(X86_64_HANDOFF_STUB.symbols.hd_entry64!));
    const rest = plan.segments.filter((s) => s.name !== "stub");
    expect(rest.map((s) => s.name)).toEqual(["page tables", "protected-mode kernel", "boot_params", "cmdline"]);
    expect(verifyTable(plan, X86_64_HANDOFF_STUB.symbols)).toEqual(rest.map(expectedRegion));
    const stub = plan.segments[0]!.bytes;
    expect(view(stub).getUint16(X86_64_HANDOFF_STUB.symbols.hd_serial_port!, true), "mismatches are reported on COM1").toBe(0x3f8);
    expect(verifyTable(planX86_64Kexec(request({ noVerify: true })), X86_64_HANDOFF_STUB.symbols)).toEqual([]);
  });

  it.skipIf(!kernel32)("x86_64 -> x86_32: the IA-32 stub's table holds the 32-bit kernel's segments", () => {
    const plan = planX86_32Kexec({ ...request(), kernel: new Uint8Array(readFileSync(kernel32!)), kernelPath: kernel32!, runningArch: "x86_64" });
    const rest = plan.segments.filter((s) => s.name !== "stub");
    expect(verifyTable(plan, X86_32_HANDOFF_STUB.symbols)).toEqual(rest.map(expectedRegion));
    expect(verifyTable(planX86_32Kexec({ ...request({ noVerify: true }), kernel: new Uint8Array(readFileSync(kernel32!)), kernelPath: kernel32!, runningArch: "x86_64" }), X86_32_HANDOFF_STUB.symbols)).toEqual([]);
  });

  it("the fault injection the VM proof uses is refused outside a handoff test VM", () => {
    expect(testVmSegmentFault({ [TEST_FLIP_SEGMENT_ENV]: "protected-mode kernel", HANDOFF_TEST_VM: "1" })).toBeUndefined();
  });

  it("a corrupted segment no longer matches its table entry (what the stub compares)", () => {
    const plan = planX86_64Kexec(request());
    const table = verifyTable(plan, X86_64_HANDOFF_STUB.symbols);
    const kernelSeg = plan.segments.find((s) => s.name === "protected-mode kernel")!;
    const flipped = { ...kernelSeg, bytes: kernelSeg.bytes.slice() };
    flipped.bytes[0x1234]! ^= 1;
    expect(table).toContainEqual(expectedRegion(kernelSeg));
    expect(table).not.toContainEqual(expectedRegion(flipped));
  });
});

describe.skipIf(!kernel)("x86 kexec_load: boot_params from the running kernel's (as kexec-tools builds them)", () => {
  const bootParams = (plan: LinuxKexecPlan) => plan.segments.find((s) => s.name === "boot_params")!.bytes;

  it("the fixture is the SeaBIOS VM's: RSDP at 0xf59d0 in acpi_rsdp_addr, an 80x25 VGA text console, no EFI", () => {
    expect(view(RUNNING).getBigUint64(ACPI_RSDP_ADDR, true)).toBe(0xf59d0n);
    expect([RUNNING[ORIG_VIDEO_MODE], RUNNING[ORIG_VIDEO_COLS], RUNNING[ORIG_VIDEO_LINES], RUNNING[ORIG_VIDEO_IS_VGA]]).toEqual([3, 80, 25, 1]);
    expect(RUNNING.subarray(EFI_INFO, EFI_INFO + 32).every((b) => b === 0)).toBe(true);
  });

  it("carries screen_info, acpi_rsdp_addr and hardware_subarch; the e820 is the firmware map's, the header the new kernel's", () => {
    const plan = planX86_64Kexec(request({ runningBootParams: RUNNING }));
    const bp = bootParams(plan);
    expect(bp.subarray(0, 0x40)).toEqual(RUNNING.subarray(0, 0x40));
    expect(view(bp).getBigUint64(ACPI_RSDP_ADDR, true)).toBe(0xf59d0n);
    const decoded = BootParams.decode(bp);
    expect(decoded.acpiRsdpAddr).toBe(0xf59d0n);
    const memoryMap = readFirmwareMemmap(VM)!;
    expect(decoded.e820.map((e) => [e.addr, e.size, e.type])).toEqual(memoryMap.ranges.map((r) => [r.start, r.size, r.type === "ram" ? E820Type.RAM : E820Type.RESERVED]));
    expect(decoded.cmdLinePtr).toBe(plan.segments.find((s) => s.name === "cmdline")!.mem);
    expect(decoded.header.fields.type_of_loader).toBe(0xff);
    // Without the running boot_params the same plan has none of it.
    const bare = bootParams(planX86_64Kexec(request()));
    expect(view(bare).getBigUint64(ACPI_RSDP_ADDR, true)).toBe(0n);
    expect(bare.subarray(0, 0x40).every((b) => b === 0)).toBe(true);
  });

  it("leaves out efi_info (its memory map is the old kernel's) and the pre-2.02 cl_magic; takes hardware_subarch", () => {
    const running = RUNNING.slice();
    view(running).setUint16(CL_MAGIC, 0xa33f, true);
    view(running).setUint32(EFI_INFO, 0x34364c45, true); // "EL64"
    view(running).setUint32(EFI_INFO + 20, 0x1000, true); // efi_memmap_size
    view(running).setUint32(HARDWARE_SUBARCH, 1, true); // X86_SUBARCH_LGUEST
    const bp = bootParams(planX86_64Kexec(request({ runningBootParams: running })));
    expect(view(bp).getUint16(CL_MAGIC, true)).toBe(0);
    expect(bp.subarray(EFI_INFO, EFI_INFO + 32).every((b) => b === 0)).toBe(true);
    expect(view(bp).getUint32(HARDWARE_SUBARCH, true)).toBe(1);
  });

  it("a running boot_params of the wrong size is a FormatError naming the file", () => {
    const thrown = (() => {
      try {
        planX86_64Kexec(request({ runningBootParams: RUNNING.subarray(0, 100) }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(FormatError);
    expect((thrown as FormatError).file).toBe("/sys/kernel/boot_params/data");
    expect((thrown as Error).message).toMatch(/100 bytes, not 4096/);
  });

  it("the CLI reads /sys/kernel/boot_params/data on x86 only, and its plan carries the RSDP", async () => {
    expect(runningKexecInputs("x86_64", { root: VM }).runningBootParams).toEqual(RUNNING);
    expect(runningKexecInputs("x86_64", { root: NO_BOOT_PARAMS_VM }).runningBootParams).toBeUndefined();
    expect(runningKexecInputs("arm64", { root: VM }).runningBootParams).toBeUndefined();
    const loaded = await loadArchitectures({ cwd: REPO_ROOT });
    const plan = planLiveKexec(loaded, "x86_64", { root: VM, cwd: REPO_ROOT, kernel: kernel!, cmdline: "c", probe: false, reuseCmdline: false, file: false, crash: false, dryRun: true, json: false });
    expect(view(bootParams(plan)).getBigUint64(ACPI_RSDP_ADDR, true)).toBe(0xf59d0n);
  });
});
