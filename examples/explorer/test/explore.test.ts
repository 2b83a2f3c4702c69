import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { plugin as arm32 } from "@handoff/arm32";
import { plugin as arm64 } from "@handoff/arm64";
import { plugin as x86_32 } from "@handoff/x86_32";
import { plugin as x86_64 } from "@handoff/x86_64";
import { container } from "tsyringe";
import { describe, expect, it } from "vitest";
import { byClass, readSvg } from "../../../packages/core/test/svg/read-svg.js";
import { kernelFixturesDir } from "../../../packages/cli/test/helpers.js";
import { explore, makeExplorer } from "../src/explore.js";

const ROOT = join(import.meta.dirname, "../../..");
const explorer = makeExplorer(container, [x86_64, x86_32, arm64, arm32]);
const tiny = { name: "tiny-bzImage", bytes: new Uint8Array(readFileSync(join(ROOT, "examples/tiny-kernel/tiny-bzImage"))) };

describe("explore (the page's logic, run in Node)", () => {
  it("the tiny kernel: inspect fields, a plan picture with every segment, and rsi = boot_params by the protocol", () => {
    const r = explore(explorer, { kernel: tiny, cmdline: "console=ttyS0" });
    if ("error" in r.inspect) throw new Error(r.inspect.error);
    expect(r.inspect.view.format).toBe("bzImage");
    expect(new Map(r.inspect.view.fields).get("header.pref_address")).toBe("0x1000000");
    expect(r.arch).toBe("x86_64");
    if (!r.plan || "error" in r.plan) throw new Error(JSON.stringify(r.plan));
    const regions = byClass(readSvg(r.plan.svg), "region");
    for (const s of r.plan.plan.segments) expect(regions.some((e) => BigInt(e.attrs["data-start"]!) === s.mem && e.attrs["data-role"] === s.role)).toBe(true);
    if (!r.handoff || !("registers" in r.handoff)) throw new Error(JSON.stringify(r.handoff));
    const rsi = r.handoff.registers.find((x) => x.name === "rsi")!;
    expect(rsi.provenance).toMatch(/boot_params|zero page/i);
    expect(BigInt(rsi.value)).not.toBe(0n);
    const rax = r.handoff.registers.find((x) => x.name === "rax")!;
    expect([rax.value, rax.provenance]).toEqual(["0x0", "forced zero (undefined by the protocol)"]);
  });

  it("a file no format knows: the CLI's one line, and no plan", () => {
    const r = explore(explorer, { kernel: { name: "junk.bin", bytes: new Uint8Array(4096).fill(0x5a) } });
    expect(r.inspect).toEqual({ error: expect.stringMatching(/^handoff: junk\.bin: image magic @0x0: not a recognised image format \(tried: /) });
    expect(r.plan).toBeUndefined();
  });

  it("a RAM size the CLI would refuse is refused with the CLI's words", () => {
    const r = explore(explorer, { kernel: tiny, memory: "1.5G" });
    expect(r.plan).toEqual({ error: "handoff: --memory: '1.5G' is not a size (e.g. 512M, 1G, 0x20000000)" });
    const ok = explore(explorer, { kernel: tiny, memory: "0x40000000" });
    if (!ok.plan || "error" in ok.plan) throw new Error(JSON.stringify(ok.plan));
    // The machine's RAM (drawn behind the plan) now ends at 1 GiB.
    expect(byClass(readSvg(ok.plan.svg), "memory").some((m) => m.attrs["data-type"] === "ram" && m.attrs["data-end"] === "0x40000000")).toBe(true);
  });

  it("the wrong arch for an image is a one-line error for plan and hand-off", () => {
    const r = explore(explorer, { kernel: tiny, arch: "arm64" });
    expect(r.plan).toEqual({ error: expect.stringMatching(/^handoff: [^\n]+$/) });
  });

  it("the four real kernels: arch recognised, planned; x86 hand-off states, arm asks for a DTB", () => {
    const dir = kernelFixturesDir();
    if (!dir) {
      if (process.env.CI === "true") throw new Error("missing fixtures: ../shared/fixtures/kernels");
      console.warn("SKIPPING: ../shared/fixtures/kernels is missing");
      return;
    }
    for (const name of readdirSync(dir).filter((n) => /^(x86_64|x86_32|arm64|arm32)-/.test(n) && !n.includes("686-pae"))) {
      const want = name.split("-")[0]!;
      const r = explore(explorer, { kernel: { name, bytes: new Uint8Array(readFileSync(join(dir, name))) }, arch: want, cmdline: "console=ttyS0" });
      expect("view" in r.inspect, name).toBe(true);
      if (!r.plan || "error" in r.plan) throw new Error(`${name}: ${JSON.stringify(r.plan)}`);
      expect(byClass(readSvg(r.plan.svg), "region").length, name).toBeGreaterThanOrEqual(r.plan.plan.segments.length);
      if (want.startsWith("x86")) expect(r.handoff && "registers" in r.handoff, name).toBe(true);
      else expect(r.handoff && "note" in r.handoff && r.handoff.note, name).toMatch(/DTB/);
    }
  });
});
