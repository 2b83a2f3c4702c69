import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hex } from "@handoff/core";
import { ArchitectureRegistry } from "@handoff/core/compose";
import { makePlan } from "../src/commands/plan.js";
import { plugin as x86_64Plugin } from "@handoff/x86_64";
import { container } from "tsyringe";
import { describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { fixtureKernel, KERNELS, REPO_ROOT, tempDir } from "@handoff/test-support";

const TINY = join(REPO_ROOT, "examples/tiny-kernel/tiny-bzImage");

interface PlanJson {
  segments: { mem: string; memsz: string; bufsz: string; role: string; source: string }[];
  pageTables: { format: string; root: string; tablePages: number; tableBase: string } | null;
  digests?: { algorithm: string; segments: { index: number; digest: string }[] };
}

describe("handoff plan --page-tables --digest on the bundled tiny kernel", () => {
  const r = runCli(["plan", "--arch", "x86_64", "--kernel", TINY, "--cmdline", "console=ttyS0 quiet", "--page-tables", "default", "--digest", "sha256", "--json"]);
  const plan = JSON.parse(r.stdout) as PlanJson;

  it("adds identity tables that map exactly the segments, walked by the x86_64 walker", () => {
    expect(r.stderr).toBe("");
    expect(plan.pageTables?.format).toBe("x86_64-4level");
    expect(plan.pageTables!.tableBase).toBe(plan.segments.find((s) => s.role === "page-tables")!.mem);
    // 4 mappings in three 2 MiB regions (0x90000, 0x1000000, 0x1fe00000..): PML4 + PDPT + PD + 3 PTs.
    expect(plan.pageTables!.tablePages).toBe(6);
    // The same plan in-process, its table bytes walked by the format's own walker.
    const child = container.createChildContainer();
    x86_64Plugin.register(child);
    const arch = ArchitectureRegistry.fromContainer(child).get("x86_64");
    const p = makePlan({ arch, kernel: TINY, cmdline: "console=ttyS0 quiet", pageTables: "default", cwd: REPO_ROOT });
    const build = p.pageTables!.build;
    const format = arch.pageTableFormats[0]!;
    expect(hex(build.root)).toBe(plan.pageTables!.root);
    for (const seg of p.segments) {
      for (let va = seg.mem; va < seg.mem + seg.memsz; va += 0x1000n) {
        const w = format.walk(build.memory(), build.registers, va);
        expect(w.kind, `${seg.role} ${hex(va)}`).toBe("translation");
        if (w.kind === "translation") expect(w.pa).toBe(va);
      }
      expect(format.walk(build.memory(), build.registers, seg.mem + seg.memsz + 0x200000n).kind).toBe("fault");
    }
    expect(format.walk(build.memory(), build.registers, 0n).kind).toBe("fault");
  });

  it("digests each segment's memory image (buffer, then zeros to memsz), matching an independent sha256", () => {
    expect(plan.digests?.algorithm).toBe("sha256");
    const bytes = readFileSync(TINY);
    const setupSize = (bytes[0x1f1]! + 1) * 512;
    const image = (buf: Uint8Array, memsz: string) => {
      const page = new Uint8Array(Number(BigInt(memsz)));
      page.set(buf);
      return createHash("sha256").update(page).digest("hex");
    };
    const byRole = (role: string) => plan.segments.findIndex((s) => s.role === role);
    const digest = (role: string) => plan.digests!.segments[byRole(role)]!.digest;
    expect(digest("setup")).toBe(image(bytes.subarray(0, setupSize), plan.segments[byRole("setup")]!.memsz));
    expect(digest("kernel")).toBe(image(bytes.subarray(setupSize), plan.segments[byRole("kernel")]!.memsz));
    expect(digest("cmdline")).toBe(image(new TextEncoder().encode("console=ttyS0 quiet\0"), plan.segments[byRole("cmdline")]!.memsz));
  });

  it("refuses an unknown page-table format and an unknown digest in one line", () => {
    const bad = runCli(["plan", "--arch", "x86_64", "--kernel", TINY, "--page-tables", "sv39"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^handoff: .*'sv39' is not a page-table format of x86_64 \(have: none, default, x86_64-4level, x86_64-5level\)\n$/);
    const alg = runCli(["plan", "--arch", "x86_64", "--kernel", TINY, "--digest", "md77"]);
    expect(alg.code).toBe(1);
    expect(alg.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("handoff plan --digest with a kernel and an initrd (hashed on two threads)", () => {
  const kernel = fixtureKernel(KERNELS.x86_64);
  it.skipIf(!kernel)("every segment's digest equals sha256 of its memory image, initrd and kernel's zero tail included", () => {
    const dir = tempDir("handoff-plan-digest-");
    try {
      const initrd = join(dir, "initrd");
      // Not a page multiple: the initrd's zero tail up to memsz is hashed too.
      writeFileSync(initrd, randomBytes(3 * 1024 * 1024 + 123));
      const r = runCli(["plan", "--arch", "x86_64", "--kernel", kernel!, "--initrd", initrd, "--cmdline", "console=ttyS0", "--memory", "4G", "--page-tables", "default", "--digest", "sha256", "--json"]);
      expect(r.stderr).toBe("");
      const plan = JSON.parse(r.stdout) as PlanJson;
      const files = new Map([[kernel!, readFileSync(kernel!)], [initrd, readFileSync(initrd)]]);
      plan.segments.forEach((s, i) => {
        // "file:PATH@0xOFFSET+0xLENGTH" or "bytes:..." (the page tables and cmdline, checked through the tiny kernel's test above)
        const m = /^file:(.*)@0x([0-9a-f]+)\+0x([0-9a-f]+)$/.exec(s.source);
        if (m === null) return;
        const body = files.get(m[1]!)!.subarray(parseInt(m[2]!, 16), parseInt(m[2]!, 16) + parseInt(m[3]!, 16));
        const memory = new Uint8Array(Number(BigInt(s.memsz)));
        memory.set(body);
        expect(plan.digests!.segments[i]!.digest, `${s.role}`).toBe(createHash("sha256").update(memory).digest("hex"));
      });
      expect(plan.segments.filter((s) => s.source.startsWith("file:")).map((s) => s.role)).toEqual(["setup", "kernel", "initrd"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
