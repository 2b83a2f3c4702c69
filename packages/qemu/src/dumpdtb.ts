import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QemuError } from "./errors.js";
import { dieWithParent } from "./parent-death.js";
import { qemuArgs, qemuBinary, type QemuOptions } from "./machine.js";

/**
 * The devicetree QEMU generates for a machine (`-machine dumpdtb=FILE`), with
 * the same -M/-cpu/-m as `options` so it describes the machine that will boot.
 */
export function dumpMachineDtb(options: QemuOptions): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "handoff-dtb-"));
  try {
    const file = join(dir, "machine.dtb");
    const args = qemuArgs({ ...options, kernel: undefined, blobs: undefined, entry: undefined, extraArgs: undefined, paused: false }, join(dir, "qmp.sock"));
    const m = args.indexOf("-M");
    args[m + 1] = `${args[m + 1]},dumpdtb=${file}`;
    const binary = options.binary ?? qemuBinary(options.arch);
    const guarded = dieWithParent(binary, args);
    const r = spawnSync(guarded.command, guarded.args, { encoding: "utf8", timeout: 30_000 });
    if (r.error) throw new QemuError(binary, "-machine dumpdtb", r.error.message, { cause: r.error });
    let dtb: Buffer;
    try {
      dtb = readFileSync(file);
    } catch {
      throw new QemuError(binary, "-machine dumpdtb", `wrote no devicetree: ${(r.stderr ?? "").trim().split("\n")[0] ?? ""}`);
    }
    return new Uint8Array(dtb);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
