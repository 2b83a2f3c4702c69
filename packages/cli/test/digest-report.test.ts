import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Segment } from "@handoff/core";
import { digestReport, renderDigestReport } from "@handoff/cli";
import { tempDir } from "@handoff/test-support";

describe("digestReport", () => {
  it("reports each segment's digest of its memsz bytes, as a table and as JSON with hex addresses", async () => {
    const dir = tempDir("handoff-digest-report-");
    try {
      const initrd = join(dir, "initrd");
      writeFileSync(initrd, Buffer.alloc(10_000, 0x37));
      const segments: Segment[] = [
        { data: { kind: "bytes", bytes: new TextEncoder().encode("console=ttyS0") }, bufsz: 13n, mem: 0x91000n, memsz: 0x1000n, role: "cmdline", name: "cmdline" },
        { data: { kind: "file", path: initrd, offset: 0, length: 10_000 }, bufsz: 10_000n, mem: 0x10000000n, memsz: 0x3000n, role: "initrd" },
      ];
      const report = await digestReport(segments, "sha256", { purgatory: true });
      const oracle = (cmd: string) => execFileSync("bash", ["-c", `{ ${cmd}; } | sha256sum`], { encoding: "utf8" }).split(" ")[0];
      expect(report.segments[1]!.digest).toBe(oracle(`cat '${initrd}'; head -c ${0x3000 - 10_000} /dev/zero`));
      const text = renderDigestReport(report, false);
      expect(text.split("\n")[0]).toMatch(/^#\s+segment\s+mem\s+bufsz\s+memsz\s+sha256$/);
      expect(text).toContain(`initrd   0x10000000  0x2710  0x3000  ${report.segments[1]!.digest}`);
      expect(text).toContain(`purgatory sha256: ${report.purgatory!.digest} over 2 regions`);
      const json = JSON.parse(renderDigestReport(report, true));
      expect(json.segments[0]).toMatchObject({ name: "cmdline", mem: "0x91000", memsz: "0x1000", digest: report.segments[0]!.digest });
      expect(json.purgatory.regions[1]).toEqual({ start: "0x10000000", len: "0x3000" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
