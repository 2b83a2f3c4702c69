#!/usr/bin/env node
/**
 * Stand-in for `handoff plan --arch x86_64 --kernel K --initrd I --cmdline C --digest sha256`
 * until the planner lands (issue 10 bench): a fresh node process that loads the
 * CLI package like bin.js does, turns a bzImage + initrd + command line into
 * kexec-style segments that REFER to file ranges (nothing is copied), and
 * streams the per-segment SHA-256 with digestReport. The lead replaces this
 * process with the real `handoff plan ... --digest sha256` after merging.
 *
 * usage: handoff-digest.mjs KERNEL INITRD CMDLINE [--json]
 */
import "reflect-metadata";
import { open, stat } from "node:fs/promises";
import { HandoffError } from "@handoff/core";
import { digestReport, renderDigestReport } from "@handoff/cli";

const [kernel, initrd, cmdline, flag] = process.argv.slice(2);
if (!kernel || !initrd || cmdline === undefined) {
  process.stderr.write("usage: handoff-digest.mjs KERNEL INITRD CMDLINE [--json]\n");
  process.exit(2);
}

const PAGE = 4096n;
const alignUp = (v, a) => ((v + a - 1n) / a) * a;

// Minimal bzImage split (Documentation/arch/x86/boot.rst): setup_sects @0x1f1,
// "HdrS" @0x202, init_size @0x260. TEMPORARY: the planner's bzImage parser replaces it.
const sizeOf = (path) =>
  stat(path).then(
    (s) => s.size,
    (e) => {
      process.stderr.write(`handoff: ${path}: ${e.message}\n`);
      process.exit(1);
    },
  );
const kernelSize = await sizeOf(kernel);
const initrdSize = await sizeOf(initrd);
const fh = await open(kernel, "r");
const head = Buffer.alloc(0x270);
await fh.read(head, 0, head.length, 0);
await fh.close();
if (head.toString("latin1", 0x202, 0x206) !== "HdrS") {
  process.stderr.write(`handoff: ${kernel}: bzImage header magic @0x202: not "HdrS"\n`);
  process.exit(1);
}

const setupBytes = ((head[0x1f1] || 4) + 1) * 512;
const initSize = BigInt(head.readUInt32LE(0x260));
const payload = kernelSize - setupBytes;

// boot_params zero page with the setup header copied in, then the command line (small, in memory).
const bootParams = new Uint8Array(4096);
bootParams.set(head.subarray(0x1f1, 0x270), 0x1f1);
const cmd = new TextEncoder().encode(`${cmdline}\0`);

const segments = [
  { data: { kind: "bytes", bytes: bootParams }, bufsz: 4096n, mem: 0x90000n, memsz: 4096n, role: "boot-info", name: "boot_params" },
  { data: { kind: "bytes", bytes: cmd }, bufsz: BigInt(cmd.length), mem: 0x91000n, memsz: alignUp(BigInt(cmd.length), PAGE), role: "cmdline", name: "cmdline" },
  {
    data: { kind: "file", path: kernel, offset: setupBytes, length: payload },
    bufsz: BigInt(payload),
    mem: 0x1000000n,
    memsz: alignUp(initSize > BigInt(payload) ? initSize : BigInt(payload), PAGE),
    role: "kernel",
    name: "kernel",
  },
  {
    data: { kind: "file", path: initrd, offset: 0, length: initrdSize },
    bufsz: BigInt(initrdSize),
    mem: 0x10000000n,
    memsz: alignUp(BigInt(initrdSize), PAGE),
    role: "initrd",
    name: "initrd",
  },
];

try {
  const report = await digestReport(segments, "sha256");
  process.stdout.write(`${renderDigestReport(report, flag === "--json")}\n`);
} catch (error) {
  // Like the CLI: a typed error is one line and exit 1, never a stack trace.
  if (error instanceof HandoffError || typeof error?.code === "string") {
    process.stderr.write(`handoff: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
