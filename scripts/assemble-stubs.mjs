#!/usr/bin/env node
// Regenerates each hand-off stub's committed bytes from its GNU as source:
//   as -> .o, objcopy -O binary -> bytes, nm -> the global symbols (data-block
//   offsets), written as a TypeScript module beside the source.
// `--check` assembles into memory and fails if a committed module differs.
// `--only ARCH` limits the run to one stub.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));

/** Every stub: source, generated module, exported constant, binutils prefix, as flags. */
export const STUBS = [
  { arch: "arm64", src: "packages/arm64/src/stub/handoff-stub.S", out: "packages/arm64/src/stub/handoff-stub.bytes.ts", name: "ARM64_HANDOFF_STUB_CODE", prefix: "aarch64-linux-gnu-", asflags: ["-I", "packages/arm64/src/stub"] },
  { arch: "arm32", src: "packages/arm32/src/stub/handoff-stub.S", out: "packages/arm32/src/stub/handoff-stub.bytes.ts", name: "ARM32_HANDOFF_STUB_CODE", prefix: "arm-linux-gnueabihf-", asflags: ["-march=armv7ve", "-I", "packages/arm32/src/stub"] },
  { arch: "x86_32", src: "packages/x86/src/ia32-stub/handoff-stub.S", out: "packages/x86/src/ia32-stub/handoff-stub.bytes.ts", name: "X86_32_HANDOFF_STUB_CODE", prefix: "i686-linux-gnu-", asflags: ["--32", "-I", "packages/x86/src/stub"] },
  { arch: "x86_64", src: "packages/x86_64/src/stub/handoff-stub.S", out: "packages/x86_64/src/stub/handoff-stub.bytes.ts", name: "X86_64_HANDOFF_STUB_CODE", prefix: "x86_64-linux-gnu-", asflags: ["--64", "-I", "packages/x86/src/stub"] },
  { arch: "x86-pvh-wrap", what: "PVH wrapper stub (a bzImage as a PVH ELF)", src: "packages/x86/src/pvh-wrap-stub/pvh-wrap.S", out: "packages/x86/src/pvh-wrap-stub/pvh-wrap.bytes.ts", name: "X86_PVH_WRAP_STUB_CODE", prefix: "i686-linux-gnu-", asflags: ["--32", "-I", "packages/x86/src/stub"] },
  { arch: "xen-aarch64", what: "Xen dom0 payload (AArch64 Image)", src: "packages/xen/src/run/aarch64-payload.S", out: "packages/xen/src/run/aarch64-payload.bytes.ts", name: "XEN_AARCH64_PAYLOAD_CODE", prefix: "aarch64-linux-gnu-", asflags: [] },
  { arch: "xen-aarch32", what: "Xen dom0 payload (AArch32 zImage)", src: "packages/xen/src/run/aarch32-payload.S", out: "packages/xen/src/run/aarch32-payload.bytes.ts", name: "XEN_AARCH32_PAYLOAD_CODE", prefix: "arm-linux-gnueabihf-", asflags: ["-march=armv7ve"] },
  { arch: "xen-x86_64-pv", what: "Xen x86_64 PV dom0 payload (ELF64 with Xen notes)", src: "packages/xen/src/run/x86_64-pv-payload.S", out: "packages/xen/src/run/x86_64-pv-payload.bytes.ts", name: "XEN_X86_64_PV_PAYLOAD_CODE", prefix: "x86_64-linux-gnu-", asflags: ["--64", "-I", "packages/xen/src/run"] },
  { arch: "xen-x86_32-pv", what: "Xen 32-bit PV dom0 payload (ELF32 with Xen notes, PAE)", src: "packages/xen/src/run/x86_32-pv-payload.S", out: "packages/xen/src/run/x86_32-pv-payload.bytes.ts", name: "XEN_X86_32_PV_PAYLOAD_CODE", prefix: "i686-linux-gnu-", asflags: ["--32", "-I", "packages/xen/src/run"] },
  { arch: "xen-x86-pvh", what: "Xen x86 PVH dom0 payload (ELF32 with PHYS32_ENTRY; 32-bit stage, then long mode on request)", src: "packages/xen/src/run/x86-pvh-payload.S", out: "packages/xen/src/run/x86-pvh-payload.bytes.ts", name: "XEN_X86_PVH_PAYLOAD_CODE", prefix: "i686-linux-gnu-", asflags: ["--32", "-I", "packages/xen/src/run"] },
  { arch: "riscv64", src: "examples/riscv64-plugin/src/stub/handoff-stub.S", out: "examples/riscv64-plugin/src/stub/handoff-stub.bytes.ts", name: "RISCV64_HANDOFF_STUB_CODE", prefix: "riscv64-linux-gnu-", asflags: ["-march=rv64ima_zicsr_zifencei", "-mno-relax"], resolvedRelocs: /^\s*[0-9a-f]+\s+[0-9a-f]+\s+R_RISCV_(BRANCH|JAL)\s/ },
];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** Assemble one stub; returns the text of its generated module. */
export function generate(stub) {
  const dir = mkdtempSync(join(tmpdir(), "handoff-as-"));
  try {
    const obj = join(dir, "stub.o");
    const bin = join(dir, "stub.bin");
    // Include paths are repository-relative: the shared SHA-256 constants (core) and family includes.
    const includes = ["-I", "packages/core/src/link", ...stub.asflags].map((a, i, all) => (all[i - 1] === "-I" ? join(root, a) : a));
    run(`${stub.prefix}as`, [...includes, "-o", obj, join(root, stub.src)]);
    // A relocation left in the object would be silently dropped by objcopy -O binary.
    const relocs = run(`${stub.prefix}readelf`, ["-r", obj]);
    // RISC-V GAS keeps BRANCH/JAL relocations against local labels although it has
    // already encoded their displacement (-mno-relax): those are harmless; any other
    // (or one against a global symbol, which GAS may leave unresolved) is not.
    const globals = new Set(run(`${stub.prefix}nm`, ["--defined-only", "-g", obj]).split("\n").map((l) => l.trim().split(/\s+/)[2]).filter(Boolean));
    const harmless = (l) => stub.resolvedRelocs.test(l) && !globals.has(l.trim().split(/\s+/)[4]);
    const kept = stub.resolvedRelocs ? relocs.split("\n").filter((l) => /R_/.test(l) && !harmless(l)) : relocs.split("\n");
    if (/Relocation section/.test(relocs) && (!stub.resolvedRelocs || kept.length > 0)) throw new Error(`${stub.src}: the object has relocations (refer to local labels only):\n${relocs}`);
    run(`${stub.prefix}objcopy`, ["-O", "binary", "-j", ".text", obj, bin]);
    const bytes = readFileSync(bin);
    const symbols = run(`${stub.prefix}nm`, ["--defined-only", "-g", obj])
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length === 3 && f[2] !== "_start")
      .map(([value, , name]) => [name, parseInt(value, 16)])
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    // Trailing zeros (the data block's template, the scratch page) are not spelled out: `size` restores them.
    let used = bytes.length;
    while (used > 0 && bytes[used - 1] === 0) used--;
    const hexText = (bytes.subarray(0, used).toString("hex").match(/.{1,96}/g) ?? [""]).map((l) => `  "${l}"`).join(" +\n");
    return `// Generated by scripts/assemble-stubs.mjs from ${stub.src.split("/").pop()} (GNU as). Do not edit;
// change the .S file and run \`node scripts/assemble-stubs.mjs\`.

/** Machine code of the ${stub.what ?? `${stub.arch} hand-off stub`} and the offsets of its global symbols (data-block fields). */
export const ${stub.name} = {
  /** ${bytes.length} bytes, position-independent; the data block is filled by the planner. */
  size: ${bytes.length},
  /** The first ${used} bytes; the rest are zero. */
  hex:
${hexText},
  symbols: {
${symbols.map(([n, v]) => `    ${n}: 0x${v.toString(16)},`).join("\n")}
  },
} as const;
`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes("--check");
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
  let bad = 0;
  for (const stub of STUBS.filter((s) => !only || s.arch === only)) {
    const text = generate(stub);
    const out = join(root, stub.out);
    if (check) {
      let old = "";
      try { old = readFileSync(out, "utf8"); } catch { /* missing counts as different */ }
      if (old !== text) { console.error(`${stub.out}: differs from what ${stub.src} assembles to`); bad++; }
      else console.log(`${stub.out}: matches ${stub.src}`);
    } else {
      writeFileSync(`${out}.tmp`, text);
      renameSync(`${out}.tmp`, out);
      console.log(`wrote ${stub.out}`);
    }
  }
  if (bad) process.exit(1);
}
