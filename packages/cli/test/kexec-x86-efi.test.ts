/**
 * x86 kexec_load: the EFI facts of the running kernel passed on as kexec-tools
 * passes them (efi_info over a copy of the runtime map, and one SETUP_EFI
 * setup_data entry), read from a recorded /sys/firmware/efi tree
 * (packages/node/test/fixtures/running-x86_64-efi, built from Linux's
 * documented sysfs layout: see its README); and the `--noefi`-like zero
 * efi_info wherever something is missing: no /sys/firmware/efi (the SeaBIOS
 * captures, which the VM cases boot), an empty running efi_info, descriptor
 * version other than 1, firmware of the other width. Hostile trees are typed
 * errors naming the file.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, type LinuxKexecPlan } from "@handoff/core";
import { verifyEntryBytes } from "@handoff/core/kexec";
import { EFI_INFO_OFFSET, EFI_MEMDESC_SIZE, SETUP_EFI, planX86Efi, readEfiInfo } from "@handoff/x86";
import { X86_64_HANDOFF_STUB, planX86_64Kexec } from "@handoff/x86_64";
import { planX86_32Kexec } from "@handoff/x86_32";
import { FileAccessError, readFirmwareMemmap, readRunningBootParams, readRunningEfi } from "@handoff/node";
import { KERNELS, REPO_ROOT, fixtureKernel, tempDir } from "@handoff/test-support";
import { loadArchitectures } from "../src/container.js";
import { planLiveKexec, runningKexecInputs } from "../src/commands/kexec-live.js";

const EFI_VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64-efi");
const SEABIOS_VM = join(REPO_ROOT, "packages/node/test/fixtures/running-x86_64-crash");
const kernel = fixtureKernel(KERNELS.x86_64);
const kernel32 = fixtureKernel(KERNELS.x86_32);
/** boot_params.hdr.setup_data (bootparam.h, 0x250). */
const SETUP_DATA = 0x250;
const EL64 = 0x3436_4c45;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const RUNNING = readRunningBootParams(EFI_VM)!;
const EFI = readRunningEfi(EFI_VM)!;
const request = (root: string, extra: object = {}) => ({
  kernel: new Uint8Array(readFileSync(kernel!)),
  kernelPath: kernel!,
  cmdline: "console=ttyS0",
  memoryMap: readFirmwareMemmap(root)!,
  ...extra,
});
const seg = (plan: LinuxKexecPlan, name: string) => plan.segments.find((s) => s.name === name);

describe("reading /sys/firmware/efi (the recorded EFI tree)", () => {
  it("takes fw_vendor, runtime, config_table, systab's SMBIOS= (not SMBIOS3=) and the runtime map in N's order", () => {
    expect([EFI.fwVendor, EFI.runtime, EFI.configTable, EFI.smbios]).toEqual([0x1ffec100n, 0x1ffec200n, 0x1ffec300n, 0x1ffee000n]);
    expect(EFI.runtimeMap.map((d) => [d.type, d.physAddr, d.numPages])).toEqual([
      [5, 0x1ffe0000n, 4n],
      [6, 0x1ffe4000n, 8n],
      [6, 0x1ffec000n, 4n],
      [11, 0xfffc0000n, 64n],
    ]);
    expect(EFI.runtimeMap[0]!.virtAddr).toBe(0xfffffffeffce0000n);
    expect(EFI.runtimeMap[0]!.attribute).toBe(0x800000000000000fn);
  });

  it("orders runtime-map/10 after /9 (numbers, not names), and is absent without the directory or one of its files", () => {
    const root = tempDir("efi-tree-");
    cpSync(EFI_VM, root, { recursive: true });
    const map = join(root, "sys/firmware/efi/runtime-map");
    for (let n = 4; n <= 10; n++) cpSync(join(map, "0"), join(map, String(n)), { recursive: true });
    writeFileSync(join(map, "10/phys_addr"), "0xabc000\n");
    const efi = readRunningEfi(root)!;
    expect(efi.runtimeMap).toHaveLength(11);
    expect(efi.runtimeMap[10]!.physAddr).toBe(0xabc000n);
    rmSync(join(root, "sys/firmware/efi/config_table"));
    expect(readRunningEfi(root)).toBeUndefined();
    expect(readRunningEfi(SEABIOS_VM)).toBeUndefined();
  });

  it("a malformed value is a FormatError naming the file; a missing descriptor file a FileAccessError", () => {
    const root = tempDir("efi-bad-");
    cpSync(EFI_VM, root, { recursive: true });
    writeFileSync(join(root, "sys/firmware/efi/runtime-map/2/num_pages"), "lots\n");
    expect(() => readRunningEfi(root)).toThrow(FormatError);
    expect(() => readRunningEfi(root)).toThrow(/runtime-map\/2\/num_pages/);
    writeFileSync(join(root, "sys/firmware/efi/runtime-map/2/num_pages"), "0x10000000000000\n");
    expect(() => readRunningEfi(root)).toThrow(/wraps past 2\^64/);
    rmSync(join(root, "sys/firmware/efi/runtime-map/2/num_pages"));
    expect(() => readRunningEfi(root)).toThrow(FileAccessError);
    writeFileSync(join(root, "sys/firmware/efi/runtime-map/2/num_pages"), "0x4\n");
    writeFileSync(join(root, "sys/firmware/efi/fw_vendor"), "0x12345678123456789\n");
    expect(() => readRunningEfi(root)).toThrow(/fw_vendor/);
  });
});

describe("planX86Efi: when the new kernel gets EFI data", () => {
  it("only with a non-empty running efi_info, descriptor version 1, the kernel's width and a runtime map", () => {
    expect(planX86Efi(RUNNING, EFI, true).kind).toBe("efi");
    expect(planX86Efi(RUNNING, undefined, true)).toMatchObject({ kind: "none", why: expect.stringMatching(/runtime map/) });
    expect(planX86Efi(RUNNING, EFI, false)).toMatchObject({ kind: "none", why: expect.stringMatching(/32-bit kernel/) });
    const v2 = RUNNING.slice();
    view(v2).setUint32(EFI_INFO_OFFSET + 12, 2, true);
    expect(planX86Efi(v2, EFI, true)).toMatchObject({ kind: "none", why: expect.stringMatching(/version 2/) });
    const empty = RUNNING.slice();
    view(empty).setUint32(EFI_INFO_OFFSET + 20, 0, true);
    expect(planX86Efi(empty, EFI, true)).toMatchObject({ kind: "none", why: expect.stringMatching(/empty/) });
  });
});

describe.skipIf(!kernel)("x86_64 kexec_load plan on the EFI machine", () => {
  const plan = planX86_64Kexec(request(EFI_VM, { runningBootParams: RUNNING, runningEfi: EFI }));
  const efiSeg = seg(plan, "EFI setup_data and runtime map")!;
  const bp = seg(plan, "boot_params")!.bytes;

  it("efi_info: the firmware's signature, system table and descriptor version; memmap = the runtime map copied after SETUP_EFI, 40-byte descriptors", () => {
    expect(efiSeg).toBeDefined();
    const info = readEfiInfo(bp);
    const running = readEfiInfo(RUNNING);
    expect(info.loaderSignature).toBe(EL64);
    expect([info.systab, info.systabHi, info.memdescVersion]).toEqual([running.systab, running.systabHi, 1]);
    expect(info.memdescSize).toBe(EFI_MEMDESC_SIZE);
    const memmap = (BigInt(info.memmapHi) << 32n) | BigInt(info.memmap);
    expect(memmap).toBe(efiSeg.mem + 112n);
    expect(info.memmapSize).toBe(4 * EFI_MEMDESC_SIZE);
    // Every descriptor as the runtime map gives it, read back at efi_memmap.
    const map = view(efiSeg.bytes);
    EFI.runtimeMap.forEach((d, i) => {
      const o = 112 + i * EFI_MEMDESC_SIZE;
      expect([map.getUint32(o, true), map.getUint32(o + 4, true), map.getBigUint64(o + 8, true), map.getBigUint64(o + 16, true), map.getBigUint64(o + 24, true), map.getBigUint64(o + 32, true)]).toEqual([d.type, 0, d.physAddr, d.virtAddr, d.numPages, d.attribute]);
    });
  });

  it("setup_data points at one SETUP_EFI entry: fw_vendor, runtime, config_table, SMBIOS, eight reserved zero words", () => {
    expect(view(bp).getBigUint64(SETUP_DATA, true)).toBe(efiSeg.mem);
    const v = view(efiSeg.bytes);
    expect([v.getBigUint64(0, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([0n, SETUP_EFI, 96]);
    expect([16, 24, 32, 40].map((o) => v.getBigUint64(o, true))).toEqual([EFI.fwVendor, EFI.runtime, EFI.configTable, EFI.smbios]);
    expect(efiSeg.bytes.subarray(48, 112).every((b) => b === 0)).toBe(true);
  });

  it("the block lies in RAM below 4 GiB, clear of every other segment, and the stub checks it like the rest", () => {
    const ram = readFirmwareMemmap(EFI_VM)!;
    expect(ram.covers(efiSeg.mem, efiSeg.mem + efiSeg.memsz)).toBe(true);
    expect(efiSeg.mem + efiSeg.memsz <= 1n << 32n).toBe(true);
    for (const s of plan.segments) if (s !== efiSeg) expect(s.mem + s.memsz <= efiSeg.mem || efiSeg.mem + efiSeg.memsz <= s.mem, s.name).toBe(true);
    const stub = seg(plan, "stub")!.bytes;
    const count = view(stub).getUint32(X86_64_HANDOFF_STUB.symbols.hd_verify_count, true);
    const starts = Array.from({ length: count }, (_, i) => BigInt(view(stub).getUint32(X86_64_HANDOFF_STUB.symbols.hd_verify_regions + i * verifyEntryBytes(4), true)));
    expect(starts).toContain(efiSeg.mem);
  });

  it("without /sys/firmware/efi (the SeaBIOS capture) efi_info stays zero and there is no setup_data, as with kexec-tools' --noefi", async () => {
    const loaded = await loadArchitectures({ cwd: REPO_ROOT });
    const options = { cwd: REPO_ROOT, kernel: kernel!, cmdline: "c", probe: false, reuseCmdline: false, file: false, crash: false, dryRun: true, json: false };
    expect(runningKexecInputs("x86_64", { root: SEABIOS_VM }).runningEfi).toBeUndefined();
    const bios = planLiveKexec(loaded, "x86_64", { ...options, root: SEABIOS_VM });
    const biosBp = seg(bios, "boot_params")!.bytes;
    expect(biosBp.subarray(EFI_INFO_OFFSET, EFI_INFO_OFFSET + 32).every((b) => b === 0)).toBe(true);
    expect(view(biosBp).getBigUint64(SETUP_DATA, true)).toBe(0n);
    expect(bios.segments.some((s) => (s.name ?? "").startsWith("EFI"))).toBe(false);
    // The CLI's own reading of the EFI tree gives the same plan as above.
    const efi = planLiveKexec(loaded, "x86_64", { ...options, root: EFI_VM });
    expect(readEfiInfo(seg(efi, "boot_params")!.bytes).memmapSize).toBe(4 * EFI_MEMDESC_SIZE);
  });

  it.skipIf(!kernel32)("x86_64 -> x86_32 on 64-bit firmware: zero efi_info (no EFI mixed mode through kexec)", () => {
    const cross = planX86_32Kexec({ ...request(EFI_VM, { runningBootParams: RUNNING, runningEfi: EFI }), kernel: new Uint8Array(readFileSync(kernel32!)), kernelPath: kernel32!, runningArch: "x86_64" });
    const crossBp = seg(cross, "boot_params")!.bytes;
    expect(crossBp.subarray(EFI_INFO_OFFSET, EFI_INFO_OFFSET + 32).every((b) => b === 0)).toBe(true);
    expect(cross.segments.some((s) => (s.name ?? "").startsWith("EFI"))).toBe(false);
  });
});
