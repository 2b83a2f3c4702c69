// `handoff plan --dtb` (issue 18): the DTB segment is in the plan exactly as `build`
// places it — same address, same bytes (so the same digest over its memory image),
// /chosen set with the command line and the initrd's range — with the kernel and
// initrd where `build` puts them too.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFdt } from "@handoff/core/fdt";
import { KERNELS, fixtureKernel, requireTool, run, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

const work = tempDir("handoff-plan-dtb-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Seg {
  role: string;
  mem: string;
  memsz: string;
  bufsz: string;
}

function devicetree(model: string, memory = `memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x40000000>; };`): string {
  const dts = join(work, `${model}.dts`);
  writeFileSync(dts, `/dts-v1/;\n/ {\n  model = "${model}";\n  compatible = "linux,dummy-virt";\n  #address-cells = <2>;\n  #size-cells = <2>;\n  ${memory}\n  chosen { };\n};\n`);
  const out = join(work, `${model}.dtb`);
  run("dtc", ["-I", "dts", "-O", "dtb", "-o", out, dts]);
  return out;
}

/** sha256 of `bytes` as they sit in a segment of `memsz` bytes (zero-filled past them), as `plan --digest` hashes. */
function memoryDigest(bytes: Uint8Array, memsz: bigint): string {
  const image = new Uint8Array(Number(memsz));
  image.set(bytes);
  return createHash("sha256").update(image).digest("hex");
}

describe("handoff plan --dtb", () => {
  it("puts the DTB segment where `build` does, with the same bytes and digest, and --json shows it", () => {
    const kernel = fixtureKernel(KERNELS.arm64);
    if (!kernel || !requireTool("dtc")) return;
    const dtb = devicetree("handoff,plan-dtb");
    const initrd = join(work, "initrd");
    writeFileSync(initrd, new Uint8Array(300_000).map((_, i) => i * 7));
    const common = ["--arch", "arm64", "--kernel", kernel, "--dtb", dtb, "--initrd", initrd, "--cmdline", "console=ttyAMA0 x=1", "--memory", "1G"];
    const out = join(work, "built");
    const b = runCli(["build", ...common, "--out", out], { timeout: 120_000 });
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    const built = JSON.parse(readFileSync(join(out, "plan.json"), "utf8")) as { segments: Seg[] };

    const p = runCli(["plan", ...common, "--json", "--digest", "sha256"], { timeout: 120_000 });
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    const plan = JSON.parse(p.stdout) as { segments: Seg[]; digests: { segments: { role: string; digest: string }[] } };
    const pick = (segs: Seg[], role: string) => {
      const s = segs.find((x) => x.role === role);
      expect(s, `${role} segment`).toBeDefined();
      return { mem: s!.mem, memsz: s!.memsz, bufsz: s!.bufsz };
    };
    for (const role of ["kernel", "dtb", "initrd"]) expect(pick(plan.segments, role)).toEqual(pick(built.segments, role));

    const dtbBytes = new Uint8Array(readFileSync(join(out, "dtb.bin")));
    const planned = plan.digests.segments.find((s) => s.role === "dtb")!;
    expect(planned.digest).toBe(memoryDigest(dtbBytes, BigInt(pick(built.segments, "dtb").memsz)));
    // The bytes are --dtb's tree with /chosen set for this boot.
    const { tree } = parseFdt(dtbBytes);
    const chosen = tree.root.child("chosen")!;
    expect(new TextDecoder().decode(tree.root.property("model")!.value)).toBe("handoff,plan-dtb\0");
    expect(new TextDecoder().decode(chosen.property("bootargs")!.value)).toBe("console=ttyAMA0 x=1\0");
    expect(chosen.property("linux,initrd-start")).toBeDefined();

    // Human output lists it too.
    const text = runCli(["plan", ...common], { timeout: 120_000 });
    expect(text.stdout).toMatch(new RegExp(`^\\d+\\s+${pick(built.segments, "dtb").mem}\\s+\\S+\\s+\\S+\\s+dtb\\s`, "m"));
  }, 300_000);

  it("--dtb with --memory: the DTB's /memory is rewritten to the machine booted (default 512 MiB), everything else kept", () => {
    const kernel = fixtureKernel(KERNELS.arm64);
    if (!kernel || !requireTool("dtc")) return;
    // Two 256 MiB banks, neither what QEMU will have.
    const dtb = devicetree("handoff,two-banks", `memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x10000000>; };\n  memory@c0000000 { device_type = "memory"; reg = <0x0 0xc0000000 0x0 0x10000000>; };`);
    for (const [memory, size] of [[["--memory", "768M"], 768n << 20n], [[], 512n << 20n]] as const) {
      const out = join(work, `banks-${size}`);
      const b = runCli(["build", "--arch", "arm64", "--kernel", kernel, "--dtb", dtb, "--cmdline", "console=ttyAMA0", ...memory, "--out", out], { timeout: 120_000 });
      expect(b.stderr).toBe("");
      expect(JSON.parse(readFileSync(join(out, "plan.json"), "utf8")).qemu.memory).toBe(`${size >> 20n}M`);
      const { tree } = parseFdt(new Uint8Array(readFileSync(join(out, "dtb.bin"))));
      expect(tree.root.children.filter((c) => c.name.startsWith("memory")).map((c) => c.name)).toEqual(["memory@40000000"]);
      const reg = tree.root.child("memory@40000000")!.property("reg")!.value;
      const v = new DataView(reg.buffer, reg.byteOffset, reg.byteLength);
      expect([v.getBigUint64(0, false), v.getBigUint64(8, false)]).toEqual([0x4000_0000n, size]);
      expect(new TextDecoder().decode(tree.root.property("model")!.value)).toBe("handoff,two-banks\0");
    }
  }, 300_000);

  it("refuses --dtb where the boot hands over no devicetree (x86), and a file that is no devicetree", () => {
    const x86 = fixtureKernel(KERNELS.x86_64);
    const arm = fixtureKernel(KERNELS.arm64);
    if (!x86 || !arm) return;
    const some = join(work, "not-a.dtb");
    writeFileSync(some, new Uint8Array(64));
    const x = runCli(["plan", "--arch", "x86_64", "--kernel", x86, "--dtb", some]);
    expect(x.code).toBe(1);
    expect(x.stderr).toMatch(/^handoff: .*--dtb.*takes no devicetree\n$/);
    const bad = runCli(["plan", "--arch", "arm64", "--kernel", arm, "--dtb", some, "--memory", "1G"], { timeout: 120_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("handoff plan without a devicetree", () => {
  it("says so where the boot needs one (Arm), not where it has none (x86), and not once a DTB is placed", () => {
    const note = /^devicetree: none planned \(no --dtb, and the image carries none\); (arm64|arm32) Linux is entered with one/m;
    for (const arch of ["arm64", "arm32"] as const) {
      const kernel = fixtureKernel(KERNELS[arch]);
      if (!kernel) continue;
      const p = runCli(["plan", "--arch", arch, "--kernel", kernel, "--cmdline", "console=ttyAMA0"]);
      expect(p.code).toBe(0);
      expect(p.stdout).toMatch(note);
      expect(p.stdout.match(note)![1]).toBe(arch);
    }
    const x86 = fixtureKernel(KERNELS.x86_64);
    if (x86) expect(runCli(["plan", "--arch", "x86_64", "--kernel", x86]).stdout).not.toMatch(/devicetree/);
    const arm = fixtureKernel(KERNELS.arm64);
    if (!arm || !requireTool("dtc")) return;
    const withDtb = runCli(["plan", "--arch", "arm64", "--kernel", arm, "--dtb", devicetree("handoff,with-dtb"), "--memory", "1G"], { timeout: 120_000 });
    expect(withDtb.code).toBe(0);
    expect(withDtb.stdout).not.toMatch(/devicetree: none/);
  });
});
