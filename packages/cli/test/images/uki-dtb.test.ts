import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFdt } from "@handoff/core/fdt";
import { KERNELS, fixtureKernel, requireTool, run, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

/**
 * A UKI's `.dtb` is the devicetree an arm64 `build` hands the kernel (with
 * /chosen set by handoff), unless `--dtb` names another; no QEMU machine DTB
 * is dumped then. The UKI is made as containers.test.ts makes one: objcopy
 * adding sections to systemd's EFI stub (the stub's own arch does not matter
 * to the split; the `.linux` section is the arm64 fixture).
 */

const stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
const work = tempDir("handoff-uki-dtb-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

function dtb(name: string, model: string): string {
  const dts = join(work, `${name}.dts`);
  writeFileSync(dts, `/dts-v1/;\n/ {\n  model = "${model}";\n  compatible = "linux,dummy-virt";\n  #address-cells = <2>;\n  #size-cells = <2>;\n  memory@40000000 { device_type = "memory"; reg = <0x0 0x40000000 0x0 0x20000000>; };\n  chosen { };\n};\n`);
  const out = join(work, `${name}.dtb`);
  run("dtc", ["-I", "dts", "-O", "dtb", "-o", out, dts]);
  return out;
}

function builtDtb(out: string): { model: string; bootargs: string } {
  const { tree } = parseFdt(new Uint8Array(readFileSync(join(out, "dtb.bin"))));
  const text = (v: Uint8Array | undefined) => new TextDecoder().decode(v).replace(/\0$/, "");
  return { model: text(tree.root.property("model")?.value), bootargs: text(tree.root.child("chosen")?.property("bootargs")?.value) };
}

describe("arm64 UKI: its .dtb is used unless --dtb overrides", () => {
  it("build takes the UKI's devicetree, or --dtb's, and sets /chosen in it", () => {
    const kernel = fixtureKernel(KERNELS.arm64);
    if (!kernel || !requireTool("objcopy") || !requireTool("dtc")) return;
    if (!existsSync(stub)) {
      if (process.env.CI === "true") throw new Error(`${stub} is missing (Debian systemd-boot-efi, see .ci/debian-packages)`);
      console.warn(`\n*** SKIPPING the UKI .dtb test: ${stub} not found (apt-get install systemd-boot-efi) ***\n`);
      return;
    }
    const cmdline = join(work, "cmdline");
    writeFileSync(cmdline, "console=ttyAMA0 handoff.marker=uki-dtb\n");
    const uki = join(work, "linux-arm64.efi");
    run("objcopy", [
      "--add-section", `.cmdline=${cmdline}`, "--change-section-vma", ".cmdline=0x30000",
      "--add-section", `.dtb=${dtb("uki", "handoff,uki-board")}`, "--change-section-vma", ".dtb=0x40000",
      "--add-section", `.linux=${kernel}`, "--change-section-vma", ".linux=0x2000000",
      stub, uki,
    ]);

    const fromUki = join(work, "from-uki");
    const a = runCli(["build", "--arch", "arm64", "--kernel", uki, "--out", fromUki], { timeout: 120_000 });
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    expect(builtDtb(fromUki)).toEqual({ model: "handoff,uki-board", bootargs: "console=ttyAMA0 handoff.marker=uki-dtb" });
    // `plan` takes the UKI's .dtb too, at the address `build` gave it.
    const planned = runCli(["plan", "--arch", "arm64", "--kernel", uki, "--json"], { timeout: 120_000 });
    expect(planned.stderr).toBe("");
    const dtbOf = (segments: { role: string; mem: string; bufsz: string }[]) => segments.filter((s) => s.role === "dtb").map((s) => [s.mem, s.bufsz]);
    const builtPlan = JSON.parse(readFileSync(join(fromUki, "plan.json"), "utf8")) as { segments: { role: string; mem: string; bufsz: string }[] };
    expect(dtbOf((JSON.parse(planned.stdout) as typeof builtPlan).segments)).toEqual(dtbOf(builtPlan.segments));
    expect(dtbOf(builtPlan.segments)).toHaveLength(1);

    const overridden = join(work, "overridden");
    const b = runCli(["build", "--arch", "arm64", "--kernel", uki, "--dtb", dtb("other", "handoff,override-board"), "--cmdline", "x=1", "--out", overridden], { timeout: 120_000 });
    expect(b.stderr).toBe("");
    expect(builtDtb(overridden)).toEqual({ model: "handoff,override-board", bootargs: "x=1" });

    // --dtb that is no devicetree: one line, exit 1
    const c = runCli(["build", "--arch", "arm64", "--kernel", uki, "--dtb", cmdline, "--out", join(work, "bad")], { timeout: 120_000 });
    expect(c.code).toBe(1);
    expect(c.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(work, "bad"))).toBe(false);
  }, 300_000);

  it("--dtb is refused where no devicetree is handed over (x86) and without a kernel", () => {
    const kernel = fixtureKernel(KERNELS.x86_64);
    if (!kernel) return;
    const some = join(work, "some.dtb");
    writeFileSync(some, new Uint8Array(64));
    const x = runCli(["build", "--arch", "x86_64", "--kernel", kernel, "--dtb", some, "--out", join(work, "x86")], { timeout: 120_000 });
    expect(x.code).toBe(1);
    expect(x.stderr).toMatch(/^handoff: .*--dtb.*takes no devicetree\n$/);
    const p = runCli(["build", "--arch", "arm64", "--probe", "--dtb", some, "--out", join(work, "probe")]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/--dtb/);
  }, 300_000);
});
