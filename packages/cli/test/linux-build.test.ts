import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parseFdt } from "@handoff/core/fdt";
import { afterAll, describe, expect, it } from "vitest";
import { kernelFixturesDir, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

const fixtures = kernelFixturesDir();
if (!fixtures) {
  if (process.env.CI === "true") throw new Error("kernel fixtures missing under CI");
  console.warn("SKIPPING Linux build tests: ../shared/fixtures/kernels not found");
}
const hasQemuArm = spawnSync("qemu-system-aarch64", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasQemuArm) {
  if (process.env.CI === "true") throw new Error("qemu-system-aarch64 missing under CI");
  console.warn("SKIPPING arm64 Linux build test: qemu-system-aarch64 not installed");
}
const work = tempDir("handoff-linux-build-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const initrd = join(work, "initrd.cpio");
writeFileSync(initrd, new Uint8Array(10_000).fill(7));

describe.skipIf(!fixtures)("handoff build with a real kernel", () => {
  it("x86_64: one PVH ELF and a plan entering the 64-bit entry with rsi = boot_params", () => {
    const out = join(work, "x86_64");
    const r = runCli(["build", "--arch", "x86_64", "--kernel", join(fixtures!, "x86_64-bzImage-6.1.0-56-cloud-amd64"), "--initrd", initrd, "--cmdline", "console=ttyS0", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan.protocol).toBe("linux64");
    expect(plan.launch).toEqual({ kind: "kernel-elf", file: "handoff.elf" });
    const kernel = plan.segments.find((s: { role: string }) => s.role === "kernel");
    const bootParams = plan.segments.find((s: { role: string }) => s.role === "boot-info");
    expect(plan.entry).toBe(`0x${(BigInt(kernel.mem) + 0x200n).toString(16)}`);
    expect(JSON.stringify(plan.state)).toContain(bootParams.mem);
    expect(plan.segments.find((s: { role: string }) => s.role === "initrd").bufsz).toBe("0x2710");
    expect(readFileSync(join(out, "handoff.elf")).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  }, 60_000);

  it.skipIf(!hasQemuArm)("arm64: QEMU's DTB with our /chosen, x0 = DTB", () => {
    const out = join(work, "arm64");
    const r = runCli(["build", "--arch", "arm64", "--kernel", join(fixtures!, "arm64-Image-6.1.0-50-cloud-arm64"), "--initrd", initrd, "--cmdline", "console=ttyAMA0 a=b", "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    const dtbSeg = plan.segments.find((s: { role: string }) => s.role === "dtb");
    const rdSeg = plan.segments.find((s: { role: string }) => s.role === "initrd");
    const { tree } = parseFdt(new Uint8Array(readFileSync(join(out, "dtb.bin"))));
    const chosen = tree.root.child("chosen")!;
    expect(new TextDecoder().decode(chosen.property("bootargs")!.value)).toBe("console=ttyAMA0 a=b\0");
    const u64 = (name: string) => {
      const v = chosen.property(name)!.value;
      return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, false);
    };
    expect(u64("linux,initrd-start")).toBe(BigInt(rdSeg.mem));
    expect(u64("linux,initrd-end")).toBe(BigInt(rdSeg.mem) + 10_000n);
    expect(tree.root.child("memory@40000000")).toBeDefined();
    const kernel = plan.segments.find((s: { role: string }) => s.role === "kernel");
    expect(BigInt(kernel.mem) % 0x20_0000n).toBe(0n); // text_offset 0 on this kernel
    expect(JSON.stringify(plan.state)).toContain(dtbSeg.mem);
  }, 60_000);

  it.skipIf(!hasQemuArm)("arm64 --memory 6G: QEMU's DTB of a 6 GiB virt machine, and QEMU asked for 6 GiB", () => {
    const out = join(work, "arm64-6g");
    const r = runCli(["build", "--arch", "arm64", "--memory", "6G", "--kernel", join(fixtures!, "arm64-Image-6.1.0-50-cloud-arm64"), "--cmdline", "console=ttyAMA0", "--out", out]);
    expect(r.stderr).toBe("");
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan.qemu.memory).toBe("6144M");
    const { tree } = parseFdt(new Uint8Array(readFileSync(join(out, "dtb.bin"))));
    const reg = tree.root.child("memory@40000000")!.property("reg")!.value;
    const v = new DataView(reg.buffer, reg.byteOffset, reg.byteLength);
    expect([v.getBigUint64(0, false), v.getBigUint64(8, false)]).toEqual([0x4000_0000n, 6n << 30n]);
  }, 60_000);

  it("refuses --memory without a Linux kernel (exit 1) and a malformed size (exit 2), in one line", () => {
    const a = runCli(["build", "--arch", "x86_64", "--probe", "--memory", "1G", "--out", join(work, "nope")]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^handoff: .*--memory.*need a Linux --kernel/);
    const b = runCli(["build", "--arch", "x86_64", "--kernel", join(fixtures!, "x86_64-bzImage-6.1.0-56-cloud-amd64"), "--memory", "6Q", "--out", join(work, "nope")]);
    expect(b.code).toBe(2);
    expect(b.stderr.trim().split("\n")).toHaveLength(1);
    expect(b.stderr).toMatch(/--memory: '6Q' is not a size/);
  });

  it("refuses --cmdline with --probe and a file that is no kernel, in one line", () => {
    const a = runCli(["boot", "--arch", "arm64", "--probe", "--cmdline", "x"]);
    expect(a.code).toBe(1);
    expect(a.stderr.trim().split("\n")).toHaveLength(1);
    expect(a.stderr).toMatch(/^handoff: .*--cmdline/);
    const b = runCli(["build", "--arch", "x86_64", "--kernel", initrd, "--cmdline", "x", "--out", join(work, "nope")]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^handoff: .*not a kernel image x86_64 knows \(bzImage(, bzImage-payload)?, or a PVH ELF\)\n$/);
  });
});
