import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RISCV64_HANDOFF_STUB, RISCV64_REGISTERS, riscv64Architecture, buildRiscv64Stub, riscvLinuxEntryState } from "../src/index.js";
import { requireTool } from "./tools.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const arch = riscv64Architecture;

describe("riscv64 stub data block", () => {
  it("carries every register of the state at its symbol's offset", () => {
    const s = riscvLinuxEntryState(arch.createRegisterFile(), { entry: 0x8020_0000n, hartId: 3n, dtb: 0x87e0_0000n });
    const stub = buildRiscv64Stub(s, { head: 0x8101_0002n, maxSteps: 40n });
    const v = new DataView(stub.bytes.buffer);
    const at = (sym: keyof typeof RISCV64_HANDOFF_STUB.symbols) => RISCV64_HANDOFF_STUB.symbols[sym];
    expect(v.getBigUint64(at("hd_list_head"), true)).toBe(0x8101_0002n);
    expect(v.getBigUint64(at("hd_max_steps"), true)).toBe(40n);
    expect(v.getBigUint64(at("hd_entry"), true)).toBe(0x8020_0000n);
    expect(v.getBigUint64(at("hd_regs") + 10 * 8, true)).toBe(3n); // a0 = x10
    expect(v.getBigUint64(at("hd_regs") + 11 * 8, true)).toBe(0x87e0_0000n); // a1 = x11
    expect(v.getBigUint64(at("hd_sstatus"), true)).toBe(2n << 32n);
    expect(at("hd_end") - at("hd_regs")).toBe(32 * 8);
    expect(stub.bytes.length).toBe(at("hd_end"));
  });
  it("refuses a state that does not enter S-mode", () => {
    const s = riscvLinuxEntryState(arch.createRegisterFile(), { entry: 0x8020_0000n, hartId: 0n, dtb: 0x87e0_0000n });
    s.registers.set("priv", 3n);
    expect(() => buildRiscv64Stub(s, { head: 2n, maxSteps: 1n })).toThrow(/S-mode/);
  });
  it.skipIf(!requireTool("riscv64-linux-gnu-as"))("committed bytes are what handoff-stub.S assembles to", () => {
    const r = spawnSync(process.execPath, ["scripts/assemble-stubs.mjs", "--check", "--only", "riscv64"], { cwd: root, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
