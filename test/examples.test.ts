import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, requireTool, tempDir } from "@handoff/test-support";

const hasBinutils = requireTool("x86_64-linux-gnu-as");

describe("examples/tiny-kernel", () => {
  const committed = readFileSync(join(REPO_ROOT, "examples/tiny-kernel/tiny-bzImage"));

  it("carries a Linux boot protocol 2.15 header with both entry points", () => {
    const v = new DataView(committed.buffer, committed.byteOffset, committed.byteLength);
    expect(v.getUint16(0x1fe, true)).toBe(0xaa55);
    expect(committed.subarray(0x202, 0x206).toString("latin1")).toBe("HdrS");
    expect(v.getUint16(0x206, true)).toBe(0x020f);
    expect(v.getUint16(0x236, true) & 1).toBe(1); // XLF_KERNEL_64
    const setupSize = (committed[0x1f1]! + 1) * 512;
    expect(v.getUint32(0x1f4, true) * 16).toBe(committed.length - setupSize); // syssize
    // 64-bit entry at +0x200 of the protected-mode part starts with lea msg64(%rip), %rbx.
    expect([...committed.subarray(setupSize + 0x200, setupSize + 0x203)]).toEqual([0x48, 0x8d, 0x1d]);
  });

  it.skipIf(!hasBinutils)("is what build.sh assembles from tiny.S", () => {
    const dir = tempDir("tiny-");
    try {
      execFileSync(join(REPO_ROOT, "examples/tiny-kernel/build.sh"), [join(dir, "out")], { stdio: "pipe" });
      expect(Buffer.compare(readFileSync(join(dir, "out")), committed)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
