/**
 * What every architecture's stub test checks the same way: the committed stub
 * bytes are what its handoff-stub.S assembles to (scripts/assemble-stubs.mjs
 * --check), with the cross assembler required (skip loudly locally, fail under CI).
 */
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { REPO_ROOT, requireTool } from "./tools.js";

/** Declare, inside the caller's describe, the test that re-assembles `arch`'s stub with `assembler`. */
export function itAssemblesCommittedStub(arch: string, assembler: string): void {
  it.skipIf(!requireTool(assembler))(`committed ${arch} stub bytes are what handoff-stub.S assembles to`, () => {
    const r = spawnSync(process.execPath, ["scripts/assemble-stubs.mjs", "--check", "--only", arch], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
}
