// The release test (issue 23): publish with changesets to a real npm registry
// (Verdaccio on loopback, no uplinks), install from it by package name, ship an
// independent patch release, install a third-party plugin. Run with
// `npm run test:release` (CI runs it after `npm test`).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTarball, tarballProblems } from "./tarball.js";
import { REPO_ROOT, type WorkspacePackage, copyWorkingTree, readPackage, workspacePackages } from "./working-copy.js";
import { tempDir } from "@handoff/test-support";

const LAUNCHER = join(REPO_ROOT, "scripts/release/local-registry.mjs");
const CHANGESET = join(REPO_ROOT, "node_modules/@changesets/cli/bin.js");
const KERNEL_NAME = "arm64-Image-6.1.0-50-cloud-arm64";
const RISCV_EXAMPLE = "examples/riscv64-plugin";
const CI = process.env.CI === "true";

/** The arm64 fixture kernel in `../shared` beside the clone (a worktree sits one level deeper). */
const kernel = ["..", "../.."].map((up) => join(REPO_ROOT, up, "shared/fixtures/kernels", KERNEL_NAME)).find((p) => existsSync(p));
if (!kernel) console.warn(`\n*** SKIPPING the installed 'handoff plan' check: ../shared/fixtures/kernels/${KERNEL_NAME} not found ***\n`);

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

describe("release through a local npm registry (Verdaccio on 127.0.0.1)", () => {
  const work = tempDir("handoff-registry-");
  const copy = join(work, "repo");
  const consumer = join(work, "consumer");
  let registry: ChildProcess | undefined;
  let url = "";
  let env: NodeJS.ProcessEnv = {};
  let firstRelease: WorkspacePackage[] = [];
  const publicPackages = () => workspacePackages(copy).filter((p) => !p.private);

  /** Runs a command with the test's npm environment; never throws. */
  const exec = (cmd: string, args: readonly string[], cwd: string): Run => {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 300_000 });
    return { code: r.status, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
  };
  /** Runs a command that must succeed; its output is in the failure message otherwise. */
  const must = (cmd: string, args: readonly string[], cwd: string): string => {
    const r = exec(cmd, args, cwd);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const handoff = (args: readonly string[]) => exec("npx", ["--no", "handoff", ...args], consumer);
  const packument = async (name: string) => {
    const res = await fetch(`${url}${name.replace("/", "%2f")}`);
    if (!res.ok) throw new Error(`registry has no ${name}: HTTP ${res.status}`);
    return (await res.json()) as { versions: Record<string, { dependencies?: Record<string, string>; dist: { tarball: string } }> };
  };
  const installed = (name: string) => JSON.parse(readFileSync(join(consumer, "node_modules", name, "package.json"), "utf8")) as { version: string };
  const archIds = () => {
    const r = handoff(["archs", "--json"]);
    expect(r.stderr).toBe("");
    return (JSON.parse(r.stdout) as { architectures: { id: string }[] }).architectures.map((a) => a.id);
  };

  beforeAll(async () => {
    // The registry process owns `work`: it removes it when our pipe to it closes,
    // even if this worker is killed; afterAll closes the pipe and removes it too.
    registry = spawn(process.execPath, [LAUNCHER, work], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    registry.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`local registry did not start in 60 s\n${stderr}`)), 60_000);
      registry!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      registry!.on("exit", (code) => reject(new Error(`local registry exited ${code}\n${stderr}`)));
    });
    expect(new URL(url).hostname).toBe("127.0.0.1");

    // A throwaway user; its token goes into an npmrc used instead of the user's own.
    const user = await fetch(`${url}-/user/org.couchdb.user:release-test`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "release-test", password: "throwaway-password" }),
    });
    const { token } = (await user.json()) as { token: string };
    const npmrc = join(work, "npmrc");
    writeFileSync(npmrc, `registry=${url}\n${url.replace(/^http:/, "")}:_authToken=${token}\n`);
    // No npm_* variable of an enclosing `npm run` (local_prefix, registry, tokens) leaks in.
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|NPM_TOKEN$|NODE_AUTH_TOKEN$)/i.test(k)));
    Object.assign(env, {
      npm_config_userconfig: npmrc,
      npm_config_globalconfig: join(work, "npmrc-global"),
      npm_config_registry: url,
      npm_config_cache: join(work, "npm-cache"),
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      HANDOFF_DEBUG: "",
    });

    mkdirSync(copy);
    copyWorkingTree(copy, { withBuild: true });
    // A repository of its own, so `changeset publish` tags releases as it does for a maintainer.
    const git = (...args: string[]) => must("git", ["-c", "user.name=release test", "-c", "user.email=release@test.invalid", ...args], copy);
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "snapshot under release test");
    mkdirSync(consumer);
    writeFileSync(join(consumer, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)}\n`);
  }, 180_000);

  afterAll(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((resolve) => registry!.once("exit", resolve));
      registry.stdin!.end();
      const timer = setTimeout(() => registry!.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it("the registry is seeded with the third-party packages ours need, from the lockfile's own node_modules", () => {
    // Verdaccio has no uplink, so it serves nothing but what is published to it here.
    const ours = new Set(workspacePackages(copy).map((p) => p.name));
    const roots = [...publicPackages(), readPackage(copy, RISCV_EXAMPLE)];
    const seeds = new Map<string, { name: string; version: string }>();
    const queue = roots.flatMap((p) => Object.keys(p.runtimeDependencies).filter((d) => !ours.has(d)).map((d) => ({ name: d, from: join(REPO_ROOT, p.dir), optional: p.optionalDependencies.has(d) })));
    for (let next = queue.shift(); next; next = queue.shift()) {
      // An optional dependency npm did not install here is another platform's binary
      // (@napi-rs/lzma-win32-x64-msvc...): the consumer's npm skips it too.
      const dir = next.optional ? tryResolveInstalled(next.name, next.from) : resolveInstalled(next.name, next.from);
      if (dir === undefined || seeds.has(dir)) continue;
      const p = readPackage(dir, ".");
      seeds.set(dir, { name: p.name, version: p.version });
      for (const d of Object.keys(p.runtimeDependencies)) queue.push({ name: d, from: dir, optional: p.optionalDependencies.has(d) });
    }
    for (const [dir, p] of seeds) must("npm", ["publish", seedCopy(dir, join(work, "seeds")), "--ignore-scripts", ...(p.version.includes("-") ? ["--tag", "prerelease"] : [])], work);
    console.log(`seeded: ${[...seeds.values()].map((p) => `${p.name}@${p.version}`).join(", ")}`);
    expect([...seeds.values()].map((p) => p.name)).toEqual(expect.arrayContaining(["tsyringe", "reflect-metadata"]));
  }, 300_000);

  it("changeset version then changeset publish publish every public package with its real version and ranges", async () => {
    must(process.execPath, [CHANGESET, "version"], copy);
    must(process.execPath, [CHANGESET, "publish"], copy);
    firstRelease = publicPackages();
    expect(firstRelease.map((p) => p.name)).toEqual(expect.arrayContaining(["@handoff/core", "@handoff/cli", "@handoff/arm64"]));
    for (const p of firstRelease) {
      const published = (await packument(p.name)).versions;
      expect(Object.keys(published), p.name).toEqual([p.version]);
      const declared = JSON.parse(readFileSync(join(copy, p.dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      expect(published[p.version]!.dependencies ?? {}, p.name).toEqual(declared.dependencies ?? {});
      // Caret ranges, except a third-party package held to patch releases (~) because
      // its next minor needs a newer Node than ours (@napi-rs/lzma 1.5 wants >= 22.20).
      for (const [dep, range] of Object.entries(declared.dependencies ?? {})) expect(range, `${p.name} -> ${dep}`).toMatch(dep.startsWith("@handoff/") ? /^\^\d+\.\d+\.\d+$/ : /^[~^]\d+\.\d+\.\d+$/);
    }
    // changesets tagged each release in the copy's repository (never the real one).
    const tags = must("git", ["tag"], copy).split("\n");
    for (const p of firstRelease) expect(tags).toContain(`${p.name}@${p.version}`);
  }, 600_000);

  it("published tarballs carry README, LICENSE, types, source maps with their sources, and nothing else", async () => {
    const rows: string[] = [];
    for (const p of firstRelease) {
      const tgz = new Uint8Array(await (await fetch((await packument(p.name)).versions[p.version]!.dist.tarball)).arrayBuffer());
      const files = readTarball(tgz);
      expect(tarballProblems(files), p.name).toEqual([]);
      const unpacked = [...files.values()].reduce((n, b) => n + b.length, 0);
      rows.push(`| \`${p.name}\` | ${p.version} | ${files.size} | ${(tgz.length / 1024).toFixed(1)} KiB | ${(unpacked / 1024).toFixed(1)} KiB |`);
    }
    console.log(["", "| package | version | files | packed | unpacked |", "| --- | --- | ---: | ---: | ---: |", ...rows, ""].join("\n"));
  }, 120_000);

  it("`npm install @handoff/cli @handoff/arm64` from the registry alone: archs lists arm64 only, no x86 package installed", () => {
    must("npm", ["install", "@handoff/cli", "@handoff/arm64"], consumer);
    expect(archIds()).toEqual(["arm64"]);
    // Every package came from the local registry, and nothing x86 came at all.
    const lock = JSON.parse(readFileSync(join(consumer, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    const paths = Object.keys(lock.packages).filter(Boolean);
    for (const path of paths) expect(lock.packages[path]!.resolved, path).toMatch(new RegExp(`^${url.replace(/[.]/g, "\\.")}`));
    expect(paths.filter((path) => /x86/.test(path))).toEqual([]);
    expect(readdirSync(join(consumer, "node_modules/@handoff")).filter((d) => /x86/.test(d))).toEqual([]);
    const x86 = handoff(["plan", "--arch", "x86_64", "--kernel", join(consumer, "package.json")]);
    expect(x86.code).toBe(1);
    expect(x86.stderr).toMatch(/architecture 'x86_64' is not installed \(installed: arm64\)/);
  }, 300_000);

  it.skipIf(!kernel && !CI)(`the installed \`npx handoff plan --arch arm64 --kernel ${KERNEL_NAME}\` plans the real kernel`, () => {
    if (!kernel) throw new Error(`CI=true and the fixture ../shared/fixtures/kernels/${KERNEL_NAME} is missing`);
    const plain = handoff(["plan", "--arch", "arm64", "--kernel", kernel]);
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    const r = handoff(["plan", "--arch", "arm64", "--kernel", kernel, "--json"]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { arch: string; segments: { role: string; mem: string; bufsz: string }[] };
    expect(plan.arch).toBe("arm64");
    const seg = plan.segments.find((s) => s.role === "kernel");
    // The Image is placed at a 2 MiB-aligned base (plus text_offset 0 for a 6.1 kernel).
    expect(BigInt(seg!.mem) % 0x200000n).toBe(0n);
  }, 120_000);

  it("a patch release of @handoff/arm64 alone bumps only arm64 and its dependents; npm update picks it up", async () => {
    writeFileSync(join(copy, ".changeset/arm64-release-test.md"), '---\n"@handoff/arm64": patch\n---\n\narm64: a patch shipped on its own by the release test.\n');
    must(process.execPath, [CHANGESET, "version"], copy);
    must(process.execPath, [CHANGESET, "publish"], copy);
    const second = publicPackages();
    const before = new Map(firstRelease.map((p) => [p.name, p.version]));
    const bumped = second.filter((p) => before.get(p.name) !== p.version).map((p) => p.name).sort();
    // What changesets must bump with arm64: the public packages that depend on it at run time, transitively.
    const mustFollow = new Set(["@handoff/arm64"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of second) {
        if (mustFollow.has(p.name) || !Object.keys(p.runtimeDependencies).some((d) => mustFollow.has(d))) continue;
        mustFollow.add(p.name);
        grew = true;
      }
    }
    console.log(`second release bumped: ${bumped.join(", ")}`);
    expect(bumped).toEqual([...mustFollow].sort());
    for (const p of second) expect(Object.keys((await packument(p.name)).versions).sort(), p.name).toEqual([...new Set([before.get(p.name)!, p.version])].sort());

    const arm64 = second.find((p) => p.name === "@handoff/arm64")!;
    const changelog = readFileSync(join(copy, arm64.dir, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(new RegExp(`## ${arm64.version.replace(/\./g, "\\.")}\\s+### Patch Changes\\s+[^#]*arm64: a patch shipped on its own by the release test\\.`));

    const cliBefore = installed("@handoff/cli").version;
    must("npm", ["update"], consumer);
    expect(installed("@handoff/arm64").version).toBe(arm64.version);
    expect(installed("@handoff/cli").version).toBe(cliBefore);
    expect(archIds()).toEqual(["arm64"]);
  }, 600_000);

  it("the example riscv64 plugin, published as the third-party package handoff-arch-riscv64, is discovered with no flag", () => {
    // A third party tracks the core it was built against: its range follows the core just released.
    const core = publicPackages().find((p) => p.name === "@handoff/core")!;
    const manifestFile = join(copy, RISCV_EXAMPLE, "package.json");
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { name: string; dependencies: Record<string, string> };
    expect(manifest.name).toBe("handoff-arch-riscv64");
    manifest.dependencies["@handoff/core"] = `^${core.version}`;
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    must("npm", ["publish"], join(copy, RISCV_EXAMPLE));
    must("npm", ["install", "handoff-arch-riscv64"], consumer);
    expect(archIds()).toEqual(["arm64", "riscv64"]);
  }, 300_000);
});

/**
 * A copy of the installed package at `dir` to publish as a seed, its
 * `publishConfig` dropped: a package that names its registry there
 * (@napi-rs/lzma names registry.npmjs.org) would otherwise be sent to it.
 */
function seedCopy(dir: string, under: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string; publishConfig?: unknown };
  if (manifest.publishConfig === undefined) return dir;
  const copy = join(under, manifest.name);
  cpSync(dir, copy, { recursive: true });
  delete manifest.publishConfig;
  writeFileSync(join(copy, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return copy;
}

/** Node's lookup of an installed package `name` from `from`: the nearest node_modules up the tree. */
function resolveInstalled(name: string, from: string): string {
  const dir = tryResolveInstalled(name, from);
  if (dir === undefined) throw new Error(`${name} is not installed (looked up from ${from})`);
  return dir;
}

function tryResolveInstalled(name: string, from: string): string | undefined {
  for (let dir = realpathSync(from); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}
