import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { kernelFixturesDir, REPO_ROOT, tempDir } from "@handoff/test-support";

const FIXTURES = kernelFixturesDir() ?? join(REPO_ROOT, "..", "shared", "fixtures", "kernels");
const ARM64_IMAGE = join(FIXTURES, "arm64-Image-6.1.0-50-cloud-arm64");

function fixture(path: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === "true") throw new Error(`fixture ${path} missing (CI=true)`);
  console.warn(`SKIPPING: ${path} missing (set HANDOFF_FIXTURES)`);
  return false;
}

describe("handoff hypercall", () => {
  it("encode --arch arm64 kexec_op load --image: registers and the segment array for the real kernel", () => {
    if (!fixture(ARM64_IMAGE)) return;
    const r = runCli(["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", ARM64_IMAGE, "--load-addr", "0x40200000", "--buffer-addr", "0x80000000", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.registers).toEqual([
      { register: "x16", value: "0x25", argument: "number" },
      { register: "x0", value: "0x4", argument: "op" },
      { register: "x1", value: "0x80000000", argument: "uarg" },
    ]);
    const size = statSync(ARM64_IMAGE).size;
    expect(out.segments.count).toBe(1);
    expect(out.segments.entries[0]).toMatchObject({ buf_size: `0x${size.toString(16)}`, dest_maddr: "0x40200000" });
    expect(out.load.value).toMatchObject({ arch: "0xb7", nr_segments: "0x1", entry_maddr: "0x40200000" });
    expect(out.instructions[0]).toMatchObject({ mnemonic: "hvc #0xea1", isa: "A64", bytes: "22d401d4" });
    expect(out.buffers.map((b: { label: string }) => b.label).slice(0, 2)).toEqual(["xen_kexec_load_t", "xen_kexec_segment_t[1]"]);
    // 24-byte xen_kexec_load_t: type 0, pad, arch 183 (b7 00), nr 1, segments.h, entry
    expect(out.buffers[0].hex).toBe("0000b700010000001800008000000000000020400000000".padEnd(48, "0"));
  });

  it("encode --arch arm64 kexec_op load --image FILE: the arm64 Image parser places it where plan would, or at --load-addr", () => {
    if (!fixture(ARM64_IMAGE)) return;
    const alone = runCli(["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", ARM64_IMAGE, "--json"]);
    expect(alone.stderr).toBe("");
    const a = JSON.parse(alone.stdout);
    expect(a.registers.map((x: { register: string; value: string }) => `${x.register}=${x.value}`)).toEqual(["x16=0x25", "x0=0x4", "x1=0x100000"]);
    // QEMU virt RAM starts at 0x40000000, which is 2 MiB-aligned: the lowest base.
    expect(a.segments.entries[0]).toMatchObject({ dest_maddr: "0x40000000" });
    expect(a.load.value).toMatchObject({ arch: "0xb7", nr_segments: "0x1", entry_maddr: "0x40000000" });
    const misaligned = runCli(["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", ARM64_IMAGE, "--load-addr", "0x40100000"]);
    expect(misaligned.code).toBe(1);
    expect(misaligned.stderr).toMatch(/not 0x200000-aligned/);
    const placed = JSON.parse(runCli(["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", ARM64_IMAGE, "--load-addr", "0x40200000", "--json"]).stdout);
    expect(placed.image.format).toBe("arm64-Image");
    // memsz is the header's image_size (BSS included), not the file size
    expect(placed.segments.entries[0]).toMatchObject({ dest_maddr: "0x40200000" });
    expect(BigInt(placed.segments.entries[0].dest_size)).toBeGreaterThan(BigInt(placed.segments.entries[0].buf_size));
  });

  it("encode for an AArch32 guest on arm64 and for x86_32; a value too wide is one line, exit 1", () => {
    const r = runCli(["hypercall", "encode", "--arch", "arm64", "--guest-mode", "32", "argo_op", "sendv", "0x1000", "0x2000", "2", "7", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.convention).toBe("aarch32");
    expect(out.registers.map((x: { register: string }) => x.register)).toEqual(["w12", "w0", "w1", "w2", "w3", "w4"]);
    expect(out.instructions.map((i: { isa: string; bytes: string }) => `${i.isa}:${i.bytes}`)).toEqual(["A32:71ea40e1", "T32:e0f7a18e"]);
    const wide = runCli(["hypercall", "encode", "--arch", "x86_64", "argo_op", "sendv", "0", "0", "0", "0x100000000"]);
    expect(wide.code).toBe(1);
    expect(wide.stderr.trim().split("\n")).toHaveLength(1);
    expect(wide.stderr).toMatch(/^handoff: argo_op: argument 'arg4'.*does not fit 32-bit/);
    const x86 = runCli(["hypercall", "encode", "--arch", "x86_32", "memory_op", "memory_map", "0xc0001000"]);
    expect(x86.code).toBe(0);
    expect(x86.stdout).toMatch(/eax\s+0xc\s+number/);
    expect(x86.stdout).toMatch(/int \$0x82 \[x86: cd82\]/);
  });

  it("decode applies the width rules: compat low halves accepted, a 64-bit guest's wide 32-bit argument rejected", () => {
    const compat = runCli(["hypercall", "decode", "--arch", "x86_64", "--guest-mode", "32", "--reg", "rax=0xffffffff00000027", "--reg", "rbx=0x100000003", "--json"]);
    expect(compat.code).toBe(0);
    const d = JSON.parse(compat.stdout);
    expect([d.call, d.command.name, d.args[0].register, d.args[0].value]).toEqual(["argo_op", "sendv", "ebx", "0x3"]);
    const wide = runCli(["hypercall", "decode", "--arch", "x86_64", "--reg", "rax=39", "--reg", "rdi=0x100000003"]);
    expect(wide.code).toBe(1);
    expect(wide.stderr).toMatch(/^handoff: argo_op: argument 'cmd': register rdi = 0x100000003 has bits set above the declared 32-bit width/);
  });

  it("layout prints the arch's struct layout; unknown names and guest modes are errors", () => {
    const r = runCli(["hypercall", "layout", "--arch", "arm32", "xen_kexec_range_t", "xen_argo_iov_t", "--json"]);
    expect(r.code).toBe(0);
    const { types } = JSON.parse(r.stdout);
    expect(types.map((t: { name: string; size: number }) => [t.name, t.size])).toEqual([["xen_kexec_range_t", 16], ["xen_argo_iov_t", 16]]);
    expect(runCli(["hypercall", "layout", "--arch", "x86_32"]).stdout).toMatch(/multicall_entry_t: size 32, align 4/);
    expect(runCli(["hypercall", "layout", "--arch", "x86_32", "nope"]).code).toBe(1);
    const g = runCli(["hypercall", "layout", "--arch", "x86_32", "--guest-mode", "64"]);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/no convention for a 64-bit guest/);
    const noImage = runCli(["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", "/nonexistent"]);
    expect(noImage.code).toBe(1);
    expect(noImage.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("decode --struct reads the command's struct; an AArch32 multicall entry with upper bits set is rejected, accepted from AArch64", () => {
    const dir = tempDir("handoff-hc-");
    const mc = Buffer.alloc(64);
    mc.writeBigUInt64LE(12n, 0); // op = memory_op
    mc.writeBigUInt64LE(1n, 16); // args[0]
    mc.writeBigUInt64LE(0x1_0000_1000n, 24); // args[1]: upper half set
    writeFileSync(join(dir, "mc.bin"), mc);
    const a32 = runCli(["hypercall", "decode", "--arch", "arm64", "--guest-mode", "32", "--reg", "x12=13", "--reg", "x0=0x4000", "--reg", "x1=1", "--struct", join(dir, "mc.bin")]);
    expect(a32.code).toBe(1);
    expect(a32.stderr).toMatch(/^handoff: multicall entry 0 argument 1 = 0x100001000: not 32-bit clean/);
    const a64 = runCli(["hypercall", "decode", "--arch", "arm64", "--reg", "x16=13", "--reg", "x0=0x4000", "--reg", "x1=1", "--struct", join(dir, "mc.bin"), "--json"]);
    expect(a64.code).toBe(0);
    expect(JSON.parse(a64.stdout).struct.value[0]).toMatchObject({ call: "memory_op", args: ["0x1", "0x100001000", "0x0", "0x0", "0x0", "0x0"] });
    const range = Buffer.alloc(16);
    range.writeInt32LE(2, 0);
    range.writeUInt32LE(0x200000, 12);
    writeFileSync(join(dir, "range.bin"), range);
    const r = runCli(["hypercall", "decode", "--arch", "x86_64", "--guest-mode", "32", "--reg", "eax=37", "--reg", "ebx=3", "--struct", join(dir, "range.bin"), "--json"]);
    expect(JSON.parse(r.stdout).struct).toEqual({ name: "xen_kexec_range_t", value: { range: "0x2", nr: "0x0", size: "0x0", start: "0x200000" } });
    // the same 16 bytes are too short for a 64-bit guest's 24-byte xen_kexec_range_t
    const short = runCli(["hypercall", "decode", "--arch", "x86_64", "--reg", "rax=37", "--reg", "rdi=3", "--struct", join(dir, "range.bin")]);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/xen_kexec_range_t start @0x10: needs 8 bytes/);
  });
});
