/**
 * Arm kexec planning on the host, against /proc and /sys captured from the Arm
 * test VMs (packages/node/test/fixtures/running-arm64, -arm32: /proc/iomem and
 * /sys/firmware/fdt): where every segment goes, what the patched devicetree
 * says, the state the stub promises, and the refusals (no devicetree, a
 * firmware reservation in the way, a hostile DTB). Nothing here calls kexec:
 * the planner is called directly and the CLI only with --dry-run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, ValidationError, type LinuxBootBuilder } from "@handoff/core";
import { FdtValue, encodeFdt, parseFdt } from "@handoff/core/fdt";
import { readIomemMap } from "@handoff/node";
import { ARM64_HANDOFF_STUB, arm64LinuxBootBuilder } from "@handoff/arm64";
import { ARM32_HANDOFF_STUB, arm32KexecEntry, arm32LinuxBootBuilder, buildArm32Stub, readZImage, ZIMAGE_FORMAT_ID } from "@handoff/arm32";
import { ByteReader } from "@handoff/core";
import { runCli } from "@handoff/test-support/cli";
import { KERNELS, REPO_ROOT, fixtureKernel, tempDir } from "@handoff/test-support";

const running = (arch: string) => join(REPO_ROOT, `packages/node/test/fixtures/running-${arch}`);
const SEED = Uint8Array.from({ length: 72 }, (_, i) => i + 1);
const INITRD = new Uint8Array(300_000).fill(7);
const MIB = 0x10_0000n;

function plan(builder: LinuxBootBuilder, arch: "arm64" | "arm32", kernelPath: string, extra: { dtb?: Uint8Array; noVerify?: boolean } = {}) {
  return builder.kexec!({
    kernel: new Uint8Array(readFileSync(kernelPath)),
    kernelPath,
    initrd: INITRD,
    cmdline: "console=ttyAMA0 handoff.marker=x",
    memoryMap: readIomemMap(running(arch)),
    dtb: extra.dtb ?? new Uint8Array(readFileSync(join(running(arch), "sys/firmware/fdt"))),
    seed: SEED,
    ...(extra.noVerify ? { noVerify: true } : {}),
  });
}

const segment = (p: ReturnType<typeof plan>, name: string) => p.segments.find((s) => s.name === name)!;

/** Per width: `tables` lists what comes between the stub and the kernel (arm64: the identity tables its check runs over). */
const CASES = [
  { arch: "arm64", builder: arm64LinuxBootBuilder, kernel: fixtureKernel(KERNELS.arm64), kernelName: "Image", flags: 183n << 16n, dtbReg: "x0", tables: ["check tables"] },
  { arch: "arm32", builder: arm32LinuxBootBuilder, kernel: fixtureKernel(KERNELS.arm32), kernelName: "zImage", flags: 40n << 16n, dtbReg: "r2", tables: [] },
] as const;

for (const c of CASES) {
  describe.skipIf(!c.kernel)(`${c.arch} kexec_load plan from the captured ${c.arch} VM`, () => {
    it("puts the stub (the entry), kernel, devicetree and initrd page-aligned in the running machine's System RAM, flags naming the arch", () => {
      const p = plan(c.builder, c.arch, c.kernel!);
      expect(p.segments.map((s) => s.name)).toEqual(["stub", ...c.tables, c.kernelName, "dtb", "initrd"]);
      expect(p.entry).toBe(segment(p, "stub").mem);
      expect(p.flags).toBe(c.flags);
      const ram = readIomemMap(running(c.arch));
      for (const s of p.segments) {
        expect(s.mem % 0x1000n, s.name).toBe(0n);
        expect(s.memsz % 0x1000n, s.name).toBe(0n);
        expect(BigInt(s.bytes.length) <= s.memsz, s.name).toBe(true);
        expect(ram.covers(s.mem, s.mem + s.memsz), s.name).toBe(true);
      }
      const sorted = [...p.segments].sort((a, b) => (a.mem < b.mem ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.mem + sorted[i - 1]!.memsz <= sorted[i]!.mem).toBe(true);
    });

    it("promises the boot protocol's registers: the DTB register names the dtb segment, pc the kernel", () => {
      const p = plan(c.builder, c.arch, c.kernel!);
      const r = p.state.registers;
      expect(r.get("pc")).toBe(segment(p, c.kernelName).mem);
      expect(r.get(c.dtbReg)).toBe(segment(p, "dtb").mem);
      if (c.arch === "arm64") for (const x of ["x1", "x2", "x3"]) expect(r.get(x)).toBe(0n);
      else {
        expect(r.get("r0")).toBe(0n);
        expect(r.get("r1")).toBe(0xffff_ffffn);
      }
    });

    if (c.arch === "arm64") it("the stub carries the same entry at EL2, taken when it runs at EL2 (a kernel booted at EL2 enters purgatory there)", () => {
      const p = plan(c.builder, c.arch, c.kernel!);
      const stub = segment(p, "stub").bytes;
      const v = new DataView(stub.buffer, stub.byteOffset, stub.byteLength);
      const at = (symbol: keyof typeof ARM64_HANDOFF_STUB.symbols) => v.getBigUint64(ARM64_HANDOFF_STUB.symbols[symbol], true);
      expect(at("hd_pstate"), "the promise: EL1h, DAIF masked").toBe(p.state.registers.get("pstate"));
      expect(at("hd_pstate") & 0xfn).toBe(0x5n); // M[3:0] = EL1h
      expect(at("hd_pstate_el2") & 0xfn).toBe(0x9n); // M[3:0] = EL2h
      expect(at("hd_pstate_el2") & 0x3c0n, "D, A, I, F masked").toBe(0x3c0n);
      expect(at("hd_sctlr_el2") & 0x5n, "SCTLR_EL2: MMU and D-cache off").toBe(0n);
      expect(at("hd_entry")).toBe(segment(p, c.kernelName).mem);
    });

    if (c.arch === "arm32") it("the stub carries the same entry in HYP mode, taken when it runs in HYP (a kernel booted in HYP enters purgatory there)", () => {
      const p = plan(c.builder, c.arch, c.kernel!);
      const stub = segment(p, "stub").bytes;
      const v = new DataView(stub.buffer, stub.byteOffset, stub.byteLength);
      const at = (symbol: keyof typeof ARM32_HANDOFF_STUB.symbols) => v.getUint32(ARM32_HANDOFF_STUB.symbols[symbol], true);
      expect(at("hd_cpsr"), "the promise: SVC, A I F masked").toBe(0x1d3);
      expect(at("hd_cpsr_hyp"), "HYP, A I F masked").toBe(0x1da);
      expect(at("hd_hsctlr") & 0x1005, "HSCTLR: MMU and caches off").toBe(0);
      expect(at("hd_hsctlr") & 0x30c50818, "HSCTLR's RES1 bits").toBe(0x30c50818);
      // A HYP alternative that is not HYP, or enters elsewhere, is refused.
      const svc = p.state;
      expect(() => buildArm32Stub(svc, { head: 4n, maxSteps: 1n }, { regions: [] }, svc)).toThrow(/not HYP mode/);
      const elsewhere = arm32KexecEntry({ dtb: p.state.registers.get("r2"), entry: 0x4100_0000n, mode: "hyp" });
      expect(() => buildArm32Stub(svc, { head: 4n, maxSteps: 1n }, { regions: [] }, elsewhere)).toThrow(/differs from the entry in r15/);
    });

    it("patches the running devicetree: bootargs, the initrd range it was given, the seeds, and no crash-kernel leftovers", () => {
      const original = parseFdt(new Uint8Array(readFileSync(join(running(c.arch), "sys/firmware/fdt")))).tree;
      const chosenIn = original.ensure("/chosen");
      chosenIn.set("linux,elfcorehdr", FdtValue.u64(0x1234n));
      chosenIn.set("linux,usable-memory-range", FdtValue.u64(0x5678n));
      const p = plan(c.builder, c.arch, c.kernel!, { dtb: encodeFdt(original) });
      const { tree } = parseFdt(segment(p, "dtb").bytes);
      const chosen = tree.root.child("chosen")!;
      expect(chosen.property("bootargs")!.strings()[0]).toBe("console=ttyAMA0 handoff.marker=x");
      const initrd = segment(p, "initrd");
      const cell = (name: string) => chosen.property(name)!.addressSizePairs(0, chosen.property(name)!.length / 4)[0]!.size;
      expect(cell("linux,initrd-start")).toBe(initrd.mem);
      expect(cell("linux,initrd-end")).toBe(initrd.mem + BigInt(INITRD.length));
      expect([...chosen.property("rng-seed")!.value]).toEqual([...SEED.subarray(0, 64)]);
      expect(chosen.property("kaslr-seed")!.value).toEqual(SEED.subarray(64, 72));
      expect(chosen.property("linux,elfcorehdr")).toBeUndefined();
      expect(chosen.property("linux,usable-memory-range")).toBeUndefined();
      // The /memory nodes stay the running machine's.
      expect(tree.root.child("memory@40000000")?.property("reg")?.value).toEqual(original.root.child("memory@40000000")?.property("reg")?.value);
    });

    it("refuses a plan over a firmware reservation (/reserved-memory) and a plan with no devicetree", () => {
      const dtb = new Uint8Array(readFileSync(join(running(c.arch), "sys/firmware/fdt")));
      const clean = plan(c.builder, c.arch, c.kernel!);
      const { tree } = parseFdt(dtb);
      const rm = tree.ensure("/reserved-memory");
      rm.set("#address-cells", FdtValue.u32(2)).set("#size-cells", FdtValue.u32(2)).set("ranges", FdtValue.empty());
      const at = segment(clean, "dtb").mem;
      tree.ensure(`/reserved-memory/secure@${at.toString(16)}`).set("reg", FdtValue.cells([0, Number(at), 0, 0x1000]));
      expect(() => plan(c.builder, c.arch, c.kernel!, { dtb: encodeFdt(tree) })).toThrow(/overlaps the devicetree's reservation/);
      expect(() => c.builder.kexec!({ kernel: new Uint8Array(readFileSync(c.kernel!)), kernelPath: c.kernel!, cmdline: "", memoryMap: readIomemMap(running(c.arch)) })).toThrow(ValidationError);
    });

    it("a hostile devicetree is a FormatError naming it, not a crash", () => {
      const bad = new Uint8Array(readFileSync(join(running(c.arch), "sys/firmware/fdt")));
      new DataView(bad.buffer, bad.byteOffset).setUint32(8, 0xffff_fff0); // off_dt_struct far past the blob
      expect(() => plan(c.builder, c.arch, c.kernel!, { dtb: bad })).toThrow(FormatError);
    });

    it("--no-verify leaves the stub's digest table empty (a different stub, no check tables), with the same placement", () => {
      const verified = plan(c.builder, c.arch, c.kernel!);
      const unverified = plan(c.builder, c.arch, c.kernel!, { noVerify: true });
      expect(unverified.segments.map((s) => s.name)).toEqual(["stub", c.kernelName, "dtb", "initrd"]);
      expect(unverified.segments.map((s) => s.mem)).toEqual(verified.segments.filter((s) => s.name !== "check tables").map((s) => s.mem));
      expect(segment(unverified, "stub").bytes).not.toEqual(segment(verified, "stub").bytes);
    });

    it("--probe: the spin payload and a zeroed DTB page, entered in the kernel's state", () => {
      const p = c.builder.kexecProbe!(readIomemMap(running(c.arch)));
      expect(p.segments.map((s) => s.name)).toEqual(["stub", ...c.tables, "probe payload", "dtb (zeroed)"]);
      expect(p.state.registers.get("pc")).toBe(0x4020_0000n);
      expect(p.state.registers.get(c.dtbReg)).toBe(segment(p, "dtb (zeroed)").mem);
    });

    it("the CLI reads /sys/firmware/fdt under --root and prints the plan (--dry-run --json)", () => {
      const initrd = join(tempDir("kexec-arm-initrd-"), "initrd");
      writeFileSync(initrd, INITRD);
      const r = runCli(["kexec", "load", "--dry-run", "--json", "--root", running(c.arch), "--arch", c.arch, "--kernel", c.kernel!, "--initrd", initrd, "--cmdline", "x"]);
      expect(r.stderr).toBe("");
      const json = JSON.parse(r.stdout) as { flags: string; segments: { name: string }[] };
      expect(json.flags).toBe(`0x${c.flags.toString(16)}`);
      expect(json.segments.map((s) => s.name)).toEqual(["stub", ...c.tables, c.kernelName, "dtb", "initrd"]);
      // --verify-without-mmu: the same check with the MMU off, so no tables segment (arm32 never has one).
      const off = runCli(["kexec", "load", "--dry-run", "--json", "--verify-without-mmu", "--root", running(c.arch), "--arch", c.arch, "--kernel", c.kernel!, "--initrd", initrd, "--cmdline", "x"]);
      expect((JSON.parse(off.stdout) as { segments: { name: string }[] }).segments.map((s) => s.name)).toEqual(["stub", c.kernelName, "dtb", "initrd"]);
    });
  });
}

describe.skipIf(!CASES[1].kernel)("arm32: the zImage decompressor never relocates itself over the DTB or initrd", () => {
  it("the zImage lies above the whole decompressed kernel (KLSZ size + BSS from RAM + TEXT_OFFSET), the DTB and initrd above 128 MiB", () => {
    const bytes = new Uint8Array(readFileSync(CASES[1].kernel!));
    const z = readZImage(new ByteReader(bytes, CASES[1].kernel!, ZIMAGE_FORMAT_ID));
    const p = plan(arm32LinuxBootBuilder, "arm32", CASES[1].kernel!);
    const ramBase = 0x4000_0000n;
    const decompressedEnd = ramBase + 0x8000n + BigInt(z.kernelSize!.decompressedSize) + BigInt(z.kernelSize!.bssSize);
    // head.S: no relocation when the zImage starts at or above the end of the decompressed image.
    expect(segment(p, "zImage").mem >= decompressedEnd).toBe(true);
    // head.S derives the RAM base as pc & 0xf8000000: the zImage must stay in the first 128 MiB.
    expect(segment(p, "zImage").mem + segment(p, "zImage").memsz <= ramBase + 128n * MIB).toBe(true);
    expect(segment(p, "dtb").mem >= ramBase + 128n * MIB).toBe(true);
    expect(segment(p, "initrd").mem > segment(p, "dtb").mem).toBe(true);
  });
});
