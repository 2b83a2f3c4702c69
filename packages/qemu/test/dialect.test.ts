import { RegisterFile } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { RegisterDumpError, parseInfoRegisters, qemuArgs, qemuBinary, type InfoRegistersDialect } from "@handoff/qemu";

/** A made-up plugin arch: two registers and how QEMU would print them. */
function toyArch(dialect?: InfoRegistersDialect) {
  return {
    id: "toy",
    createRegisterFile: () => new RegisterFile("toy", [
      { name: "acc", width: 16, kind: "gpr" },
      { name: "ip", width: 32, kind: "pc" },
    ]),
    ...(dialect ? { qemuInfoRegisters: dialect } : {}),
  };
}

describe("info-registers dialects supplied by a plugin arch", () => {
  it("refuses an arch with neither a built-in nor a supplied dialect", () => {
    expect(() => parseInfoRegisters("ACC=0001 IP=00000002", toyArch())).toThrow(RegisterDumpError);
  });
  it("reads `name=value` fields, masking views, and names a missing one", () => {
    const arch = toyArch({ separator: "=", registers: [["ACC", "acc", 0xffn], ["IP", "ip"]] });
    const o = parseInfoRegisters("CPU#0\nACC =1234 IP=00001000\n", arch);
    expect(o.file.get("acc")).toBe(0x34n);
    expect(o.file.get("ip")).toBe(0x1000n);
    expect(o.reported).toEqual(["acc", "ip"]);
    expect(() => parseInfoRegisters("ACC=1", arch)).toThrow(/IP: not in the dump/);
  });
  it("reads whitespace-separated fields without taking a longer name's value", () => {
    const arch = toyArch({ separator: "whitespace", registers: [["ip", "ip"], ["acc", "acc"]] });
    const o = parseInfoRegisters(" vip 0000ffff\n ip  00000010\n acc 0002\n", arch);
    expect(o.file.get("ip")).toBe(0x10n);
    expect(o.file.get("acc")).toBe(2n);
  });
  it("runs qemu-system-<id> for an arch without built-in defaults, which must name its machine", () => {
    expect(qemuBinary("riscv64")).toBe("qemu-system-riscv64");
    expect(qemuBinary("arm64")).toBe("qemu-system-aarch64");
    expect(qemuArgs({ arch: "riscv64", machine: "virt" }, "/tmp/q.sock").slice(0, 2)).toEqual(["-M", "virt"]);
    expect(() => qemuArgs({ arch: "riscv64" }, "/tmp/q.sock")).toThrow(/no default machine/);
  });
});
