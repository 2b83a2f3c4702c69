import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { byClass, readSvg } from "@handoff/test-support/read-svg";
import { runCli } from "@handoff/test-support/cli";
import { REPO_ROOT, tempDir } from "@handoff/test-support";

const dir = tempDir("handoff-svg-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = join(REPO_ROOT, "examples/tiny-kernel/tiny-bzImage");

/** Xen's own ELF (real PT_LOADs), beside the kernels in ../shared/fixtures. */
function xenElf(): string | undefined {
  for (const up of ["..", "../.."]) {
    const p = join(REPO_ROOT, up, "shared/fixtures/xen/xen-amd64");
    if (existsSync(p)) return p;
  }
  if (process.env.CI === "true") throw new Error("missing fixture: ../shared/fixtures/xen/xen-amd64");
  console.warn("SKIPPING: ../shared/fixtures/xen/xen-amd64 is missing");
  return undefined;
}

describe("--svg", () => {
  it("plan --svg draws every segment of the plan, the list page and the page-table coverage", () => {
    const out = join(dir, "plan.svg");
    const json = runCli(["plan", "--arch", "x86_64", "--kernel", tiny, "--cmdline", "console=ttyS0", "--page-tables", "default", "--json", "--svg", out]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { segments: { mem: string; memsz: string; role: string }[]; relocation: { listPages: string[] }; pageTables: { mappings: unknown[] } };
    const svg = readSvg(readFileSync(out, "utf8"));
    const regions = byClass(svg, "region");
    for (const s of plan.segments) {
      expect(regions.some((r) => r.attrs["data-start"] === s.mem && r.attrs["data-role"] === s.role && BigInt(r.attrs["data-end"]!) === BigInt(s.mem) + BigInt(s.memsz))).toBe(true);
    }
    expect(regions.filter((r) => r.attrs["data-role"] === "indirection-list").map((r) => r.attrs["data-start"])).toEqual(plan.relocation.listPages);
    expect(byClass(svg, "coverage").length).toBeGreaterThan(0);
    expect(byClass(svg, "gap").length).toBeGreaterThan(0);
  });

  it("inspect --svg draws a real ELF's PT_LOADs", () => {
    const elf = xenElf();
    if (!elf) return;
    const out = join(dir, "xen.svg");
    const r = runCli(["inspect", elf, "--json", "--svg", out]);
    expect(r.code).toBe(0);
    const segments = (JSON.parse(r.stdout) as { segments: { name: string; mem: string; memsz: string }[] }).segments.filter((s) => BigInt(s.memsz) > 0n);
    const svg = readSvg(readFileSync(out, "utf8"));
    const regions = byClass(svg, "region");
    expect(regions).toHaveLength(segments.length);
    const labels = byClass(svg, "label").map((l) => l.text);
    for (const s of segments) expect(labels.some((t) => t.includes(s.name) && t.includes(s.mem))).toBe(true);
  });

  it("build --svg draws what the artefact places", () => {
    const out = join(dir, "build.svg");
    const r = runCli(["build", "--arch", "x86_64", "--kernel", tiny, "--cmdline", "hi", "--out", join(dir, "art"), "--svg", out]);
    expect(r.stderr).toBe("");
    const plan = JSON.parse(readFileSync(join(dir, "art/plan.json"), "utf8")) as { segments: { mem: string; role: string }[]; stubEntry: string; pageTableRoot: string };
    const regions = byClass(readSvg(readFileSync(out, "utf8")), "region");
    const roles = regions.map((e) => `${e.attrs["data-role"]}@${e.attrs["data-start"]}`);
    for (const s of plan.segments) expect(roles).toContain(`${s.role}@${s.mem}`);
    // The PVH ELF's own PT_LOADs: the stub where the CPU starts, the tables CR3 points at, the list.
    const holds = (role: string, address: string) => regions.some((e) => e.attrs["data-role"] === role && BigInt(e.attrs["data-start"]!) <= BigInt(address) && BigInt(address) < BigInt(e.attrs["data-end"]!));
    expect(holds("stub", plan.stubEntry)).toBe(true);
    expect(holds("page-tables", plan.pageTableRoot)).toBe(true);
    expect(roles.filter((r) => r.startsWith("indirection-list@"))).toHaveLength(1);
  });

  it("the picture in the README is what plan --svg draws today", () => {
    // Besides the parsed checks above: the committed example must not go stale.
    const committed = join(REPO_ROOT, "examples/tiny-kernel/tiny-plan.svg");
    const fresh = join(dir, "tiny-plan.svg");
    expect(runCli(["plan", "--arch", "x86_64", "--kernel", "examples/tiny-kernel/tiny-bzImage", "--cmdline", "console=ttyS0", "--page-tables", "default", "--svg", fresh]).code).toBe(0);
    expect(readFileSync(fresh, "utf8"), "regenerate: handoff plan --arch x86_64 --kernel examples/tiny-kernel/tiny-bzImage --cmdline console=ttyS0 --page-tables default --svg examples/tiny-kernel/tiny-plan.svg").toBe(readFileSync(committed, "utf8"));
    expect(byClass(readSvg(readFileSync(committed, "utf8")), "region").length).toBe(8);
  });

  it("refuses to replace a symlink or a device: one line, exit 1, target untouched", () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep me");
    const link = join(dir, "link.svg");
    symlinkSync(victim, link);
    for (const target of [link, "/dev/null"]) {
      const r = runCli(["plan", "--arch", "x86_64", "--kernel", tiny, "--svg", target]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/: SVG picture: is a (symbolic link|character device); handoff replaces only regular files/);
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(victim);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
  });
});
