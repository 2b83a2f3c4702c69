// Where a live Arm kexec's stub reports a segment mismatch: the PL011 the running
// devicetree names as its console, or nowhere.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseFdt, type DeviceTree } from "@handoff/core/fdt";
import { pl011Console } from "@handoff/arm";
import { requireTool, run, tempDir } from "@handoff/test-support";

const work = tempDir("handoff-arm-console-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let made = 0;
/** A tree from DTS source through dtc (the reference compiler). */
function tree(body: string): DeviceTree {
  const dts = join(work, `t${made}.dts`);
  const dtb = join(work, `t${made++}.dtb`);
  writeFileSync(dts, `/dts-v1/;\n/ {\n  #address-cells = <2>;\n  #size-cells = <2>;\n${body}\n};\n`);
  run("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]);
  return parseFdt(new Uint8Array(readFileSync(dtb)), dtb).tree;
}

const uart = (name: string, extra = "", compatible = `"arm,pl011", "arm,primecell"`) =>
  `${name} { compatible = ${compatible}; reg = <0x0 0x9000000 0x0 0x1000>; ${extra} };`;

describe.skipIf(!requireTool("qemu-system-aarch64"))("on QEMU's own virt machine devicetree", () => {
  it("is the PL011 at 0x9000000 that /chosen/stdout-path names", () => {
    const out = join(work, "virt.dtb");
    const r = spawnSync("qemu-system-aarch64", ["-M", `virt,dumpdtb=${out}`, "-m", "256M", "-nographic"], { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const virt = parseFdt(new Uint8Array(readFileSync(out)), out).tree;
    expect(virt.find("/chosen")!.property("stdout-path")!.string()).toBe("/pl011@9000000");
    expect(pl011Console(virt)).toBe(0x9000000n);
  });
});

describe.skipIf(!requireTool("dtc"))("from devicetrees compiled by dtc", () => {
  it("follows a full path or an alias, with or without options after ':'", () => {
    expect(pl011Console(tree(`chosen { stdout-path = "/pl011@9000000:115200n8"; };\n${uart("pl011@9000000")}`))).toBe(0x9000000n);
    expect(pl011Console(tree(`aliases { serial0 = "/pl011@9000000"; };\nchosen { stdout-path = "serial0:115200n8"; };\n${uart("pl011@9000000")}`))).toBe(0x9000000n);
    expect(pl011Console(tree(`chosen { linux,stdout-path = "/pl011@9000000"; };\n${uart("pl011@9000000")}`))).toBe(0x9000000n);
  });

  it("through a bus that maps 1:1 (empty ranges), in the bus's own cell sizes", () => {
    const bus = `soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges; serial@1c28000 { compatible = "arm,pl011"; reg = <0x1c28000 0x400>; }; };`;
    expect(pl011Console(tree(`chosen { stdout-path = "/soc/serial@1c28000"; };\n${bus}`))).toBe(0x1c28000n);
  });

  it("is none for a console the stub cannot write: another UART, disabled, behind translated ranges, missing", () => {
    const chosen = `chosen { stdout-path = "/serial@9000000"; };\n`;
    expect(pl011Console(tree(chosen + uart("serial@9000000", "", `"ns16550a"`)))).toBeUndefined();
    expect(pl011Console(tree(chosen + uart("serial@9000000", `status = "disabled";`)))).toBeUndefined();
    const translated = `soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0x0 0x0 0x10000000 0x1000000>; serial@9000 { compatible = "arm,pl011"; reg = <0x9000 0x1000>; }; };`;
    expect(pl011Console(tree(`chosen { stdout-path = "/soc/serial@9000"; };\n${translated}`))).toBeUndefined();
    expect(pl011Console(tree(`chosen { stdout-path = "/nowhere@0"; };\n${uart("pl011@9000000")}`))).toBeUndefined();
    expect(pl011Console(tree(`chosen { stdout-path = "serial3"; };\n${uart("pl011@9000000")}`))).toBeUndefined();
    expect(pl011Console(tree(`chosen { };\n${uart("pl011@9000000")}`))).toBeUndefined();
    expect(pl011Console(tree(uart("pl011@9000000")))).toBeUndefined();
  });
});
