/**
 * The bench's building blocks work (the bench itself runs only under
 * `npm run bench`): the LD_PRELOAD shim builds and interposes syscall(), strace
 * proves no kexec syscall reaches the kernel, and Debian's kexec-tools runs to
 * completion under the shim.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper shared with the bench script, no type declarations
import { buildNoKexec, ensureKexecTools, interposedEnv, kexecSyscallsSeenByStrace } from "../scripts/bench/kexec-tools.mjs";
import { fixtureKernel, IN_CI, KERNELS, requireTool, tempDir } from "@handoff/test-support";

const x64 = process.arch === "x64";
if (!x64) {
  if (IN_CI) throw new Error("the kexec-tools bench blocks are x86_64-only and CI runs on x86_64");
  console.warn("\n*** SKIPPING kexec-tools bench blocks: not an x86_64 host ***\n");
}
const hasGcc = x64 && requireTool("gcc");
const hasStrace = x64 && requireTool("strace", ["-V"]);

const dir = tempDir("handoff-bench-blocks-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A program that calls kexec_load through libc's syscall() the way kexec-tools does.
// The flags carry an undefined bit (0x8000), so a kernel that does see the call
// refuses it (EINVAL, or EPERM/ENOSYS) and changes nothing.
const PROBE = `
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) {
  long load = syscall(SYS_kexec_load, 0L, 0L, 0L, 0x8000L | (62L << 16));
  long file = syscall(SYS_kexec_file_load, -1L, -1L, 0L, 0L, 0x8000L);
  long pid = syscall(SYS_getpid);
  printf("%ld %ld %d\\n", load, file, pid == (long)getpid());
  return 0;
}
`;

describe.skipIf(!hasGcc || !hasStrace)("nokexec LD_PRELOAD shim", () => {
  it("builds; with it no kexec syscall reaches the kernel (strace), without it strace sees both; other syscalls pass through", () => {
    const shim = buildNoKexec({ outDir: dir }) as string;
    writeFileSync(join(dir, "probe.c"), PROBE);
    execFileSync("gcc", ["-O2", "-o", join(dir, "probe"), join(dir, "probe.c")]);

    const bare = kexecSyscallsSeenByStrace(join(dir, "probe"), [], process.env);
    expect(bare.calls.map((l: string) => /\b(kexec_(?:file_)?load)\(/.exec(l)?.[1])).toEqual(["kexec_load", "kexec_file_load"]);

    const shimmed = kexecSyscallsSeenByStrace(join(dir, "probe"), [], interposedEnv(shim, { NOKEXEC_LOG: "1" }));
    expect(shimmed.calls).toEqual([]);
    expect(shimmed.status).toBe(0);
    expect(shimmed.stderr).toContain("nokexec: intercepted kexec_load(");
    expect(shimmed.stderr).toContain("nokexec: intercepted kexec_file_load(");
    // Both calls "succeeded" and getpid went through the real syscall().
    const out = spawnSync(join(dir, "probe"), [], { env: interposedEnv(shim), encoding: "utf8" }).stdout.trim();
    expect(out).toBe("0 0 1");
  });
});

describe.skipIf(!hasGcc || !hasStrace)("kexec-tools under the shim", () => {
  const kernel = fixtureKernel(KERNELS.x86_64);
  let peer: { kexec: string; env: Record<string, string>; version: string } | undefined;
  if (kernel) {
    try {
      peer = ensureKexecTools();
    } catch (error) {
      if (IN_CI) throw error;
      console.warn(`\n*** SKIPPING kexec-tools runs: ${(error as Error).message} ***\n`);
    }
  }
  it.skipIf(!kernel || !peer)("kexec -c -l and -s -l load the real bzImage + initrd with no kexec syscall reaching the kernel", () => {
    const shim = buildNoKexec({ outDir: dir }) as string;
    const initrd = join(dir, "initrd");
    writeFileSync(initrd, Buffer.alloc(1 << 20, 0x42));
    expect(peer!.version).toMatch(/^kexec-tools \d+\.\d+/);
    for (const mode of ["-c", "-s"]) {
      const r = kexecSyscallsSeenByStrace(peer!.kexec, [mode, "-l", kernel!, `--initrd=${initrd}`, "--append=console=ttyS0"], interposedEnv(shim, { ...peer!.env, NOKEXEC_LOG: "1" }));
      expect(r.calls, `kexec ${mode}: strace saw kexec syscalls`).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      const intercepted = r.stderr.split("\n").filter((l: string) => l.startsWith("nokexec: intercepted"));
      expect(intercepted).toHaveLength(1);
      if (mode === "-c") {
        // kexec_load(entry, nr_segments, segments, flags): several segments, arch x86_64 (62) in bits 16..31.
        const [, nr, , flags] = /kexec_load\((0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+)/.exec(intercepted[0]!)!.slice(1).map(Number) as number[];
        expect(intercepted[0]).toMatch(/^nokexec: intercepted kexec_load\(/);
        expect(nr).toBeGreaterThanOrEqual(3);
        expect(flags! >>> 16).toBe(62);
      } else {
        expect(intercepted[0]).toMatch(/^nokexec: intercepted kexec_file_load\(/);
      }
    }
  }, 600_000);
});
