import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, BIN } from "@handoff/test-support/cli";
import { kernelFixturesDir, tempDir } from "@handoff/test-support";

const dir = tempDir("handoff-hostile-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe("inputs that are not regular files: one clean line from every command that reads a file", () => {
  const empty = file("empty", "");
  const fifo = join(dir, "fifo");
  spawnSync("mkfifo", [fifo]);
  const inputs: [string, string, RegExp][] = [
    ["/dev/zero", "/dev/zero", /is a character device, not a regular file/],
    ["a FIFO", fifo, /is a FIFO, not a regular file/],
    ["a directory", dir, /is a directory, not a regular file/],
    ["an empty file", empty, /is an empty file \(0 bytes\)/],
  ];
  const commands: [string, (f: string) => string[]][] = [
    ["inspect", (f) => ["inspect", f]],
    ["link", (f) => ["link", "--arch", "x86_64", f, "--at", "0x100000", "--out", join(dir, "linked.bin")]],
    ["hypercall encode --image", (f) => ["hypercall", "encode", "--arch", "arm64", "kexec_op", "load", "--image", f]],
    ["hypercall decode --struct", (f) => ["hypercall", "decode", "--arch", "x86_64", "--reg", "rax=37", "--reg", "rdi=3", "--struct", f]],
    ["plan --kernel", (f) => ["plan", "--arch", "x86_64", "--kernel", f]],
    ["plan --initrd", (f) => ["plan", "--arch", "x86_64", "--kernel", file("raw", new Uint8Array(4096)), "--kernel-format", "raw", "--load-addr", "0x1000000", "--initrd", f]],
    ["build --kernel", (f) => ["build", "--arch", "arm64", "--kernel", f, "--out", join(dir, "out")]],
    ["boot --kernel", (f) => ["boot", "--arch", "arm64", "--kernel", f]],
    ["initramfs --busybox", (f) => ["initramfs", "--busybox", f, "--out", join(dir, "initramfs.cpio")]],
  ];
  for (const [command, args] of commands) {
    it.each(inputs)(`${command} on %s`, (_what, input, message) => {
      const r = runCli(args(input), { timeout: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
  it("nothing was written by the refused commands", () => {
    expect(["linked.bin", "out", "initramfs.cpio"].filter((n) => existsSync(join(dir, n)))).toEqual([]);
  });
});

describe("a kernel command line gets the same verdict from plan and build", () => {
  const fixtures = kernelFixturesDir();
  const bz = fixtures && join(fixtures, "x86_64-bzImage-6.1.0-56-cloud-amd64");
  it("x86_64 bzImage: longer than the kernel's cmdline_size is refused by both", ({ skip }) => {
    if (!bz || !existsSync(bz)) {
      if (process.env.CI === "true") throw new Error("x86_64 fixture kernel missing under CI");
      console.warn("SKIPPING: x86_64 fixture kernel not found");
      return skip();
    }
    const long = "x".repeat(120_000);
    const plan = runCli(["plan", "--arch", "x86_64", "--kernel", bz, "--cmdline", long]);
    const build = runCli(["build", "--arch", "x86_64", "--kernel", bz, "--cmdline", long, "--out", join(dir, "bz-out")]);
    for (const r of [plan, build]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("handoff: command line: 120000 bytes exceed the kernel's cmdline_size 2047\n");
    }
    expect(existsSync(join(dir, "bz-out"))).toBe(false);
    expect(runCli(["plan", "--arch", "x86_64", "--kernel", bz, "--cmdline", "x".repeat(2047)]).code).toBe(0);
  });
  it.each([
    ["arm64", 2048, "0x40200000"],
    ["arm32", 1024, "0x40008000"],
  ])("%s: Linux's COMMAND_LINE_SIZE %i includes the NUL", (arch, size, base) => {
    const raw = file(`raw-${arch}`, new Uint8Array(0x2000));
    const plan = (cmdline: string) => runCli(["plan", "--arch", arch, "--kernel", raw, "--kernel-format", "raw", "--load-addr", base, "--cmdline", cmdline]);
    expect(plan("y".repeat(size - 1)).code).toBe(0);
    const over = plan("y".repeat(size));
    expect(over.code).toBe(1);
    expect(over.stderr).toBe(`handoff: command line: ${size} bytes exceed ${arch} Linux's limit of ${size - 1} (COMMAND_LINE_SIZE ${size} with the NUL)\n`);
  });
});

describe("plugins that throw", () => {
  const plugin = (name: string, index: string) => {
    const p = join(dir, "plugins", name);
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, "package.json"), JSON.stringify({ name, type: "module", main: "index.js", keywords: ["handoff-arch"] }));
    writeFileSync(join(p, "index.js"), index);
    return p;
  };
  const registerThrows = (value: string) => `export const plugin = { name: "x", provides: ["x"], register() { throw ${value}; } };`;
  it.each([
    ["import throws null", "throws-null", "throw null;", /^handoff: plugin throws-null: cannot import: threw null$/],
    ["import throws a string", "throws-string", 'throw "boom";', /^handoff: plugin throws-string: cannot import: threw "boom"$/],
    ["import throws an Error", "throws-error", 'throw new Error("kaput");', /^handoff: plugin throws-error: cannot import: kaput$/],
    ["register() throws null", "register-null", registerThrows("null"), /^handoff: plugin x: register\(\) failed: threw null$/],
    ["register() throws a string", "register-string", registerThrows('"nope"'), /^handoff: plugin x: register\(\) failed: threw "nope"$/],
    ["a syntax error", "syntax-error", "export const plugin = {", /^handoff: plugin syntax-error: cannot import: /],
  ])("%s: one line naming the plugin, exit 1", (_what, name, source, message) => {
    const r = runCli(["archs", "--plugin", plugin(name, source)]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
  });

  it("a broken stray handoff-arch-* package does not break commands that do not need it", () => {
    const project = join(dir, "project");
    const stray = join(project, "node_modules", "handoff-arch-broken");
    mkdirSync(stray, { recursive: true });
    writeFileSync(join(stray, "package.json"), '{ "name": "handoff-arch-broken", "keywords": ["handoff-arch"], "main": "index.js", ');
    const raw = file("raw-stray", new Uint8Array(0x2000));
    const plan = runCli(["plan", "--arch", "x86_64", "--kernel", raw, "--kernel-format", "raw", "--load-addr", "0x1000000", "--json"], { cwd: project });
    expect([plan.code, plan.stderr]).toEqual([0, ""]);
    const archs = runCli(["archs", "--json"], { cwd: project });
    expect(archs.code).toBe(0);
    expect(archs.stderr).toMatch(/^handoff: warning: skipped plugin handoff-arch-broken: package.json cannot be read/);
    expect((JSON.parse(archs.stdout) as { architectures: unknown[] }).architectures).toHaveLength(4);
    const needed = runCli(["plan", "--arch", "broken", "--kernel", raw], { cwd: project });
    expect(needed.code).toBe(1);
    expect(needed.stderr).toMatch(/^handoff: plugin handoff-arch-broken: package.json cannot be read/);
  });
});

describe("build writes its artefact directory as a set", () => {
  it("refuses to replace what is not an artefact directory", () => {
    const notOurs = join(dir, "not-ours");
    mkdirSync(notOurs);
    writeFileSync(join(notOurs, "precious.txt"), "keep me");
    const link = join(dir, "link-out");
    symlinkSync(notOurs, link);
    for (const out of [notOurs, link, "/dev/null"]) {
      const r = runCli(["build", "--arch", "arm64", "--probe", "--out", out]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
    expect(readFileSync(join(notOurs, "precious.txt"), "utf8")).toBe("keep me");
  });

  it("concurrent builds to one --out each leave a complete set; nothing half-written beside it", async () => {
    const parent = join(dir, "concurrent");
    mkdirSync(parent);
    const out = join(parent, "out");
    const build = (entryMode: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [BIN, "build", "--arch", "arm32", "--probe", "--entry-mode", entryMode, "--out", out], { stdio: "ignore" });
        child.on("exit", (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all(["svc", "hyp", "svc", "hyp", "svc", "hyp"].map(build));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8")) as { files: { name: string; size: number }[] };
    // Every file plan.json names is there with the size it says, and nothing else but the set marker.
    expect(readdirSync(out).sort()).toEqual([...plan.files.map((f) => f.name), "plan.json", ".handoff-set"].sort());
    for (const f of plan.files) expect(readFileSync(join(out, f.name)).length).toBe(f.size);
    expect(readdirSync(parent)).toEqual(["out"]);
  }, 60_000);
});

