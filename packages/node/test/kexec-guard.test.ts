import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KexecRefusedError } from "@handoff/core/kexec";
import { SyscallKexecBackend, TEST_RUN_REGISTRIES, activeTestRuns, assertKexecAllowed, kexecGuardRefusal, type GuardInputs } from "@handoff/node";

const inVm: GuardInputs = { env: { HANDOFF_KEXEC_REAL: "1" }, pid1Environ: "HOME=/\0TERM=linux\0HANDOFF_TEST_VM=1\0", pid1Comm: "init\n", marker: true, activeTestRuns: [] };
/** A user's own machine: systemd, no test VM marks, no test run. */
const userMachine: GuardInputs = { env: { HOME: "/root" }, pid1Environ: "HOME=/\0TERM=linux\0", pid1Comm: "systemd\n", marker: false, activeTestRuns: [] };

describe("the real kexec backend's guard", () => {
  it("inside a handoff test VM: allowed with HANDOFF_KEXEC_REAL=1 only", () => {
    expect(kexecGuardRefusal(inVm)).toBeUndefined();
    expect(kexecGuardRefusal({ ...inVm, env: {} })).toMatch(/HANDOFF_KEXEC_REAL=1 is not set/);
    expect(kexecGuardRefusal({ ...inVm, env: { HANDOFF_KEXEC_REAL: "yes" } })).toMatch(/HANDOFF_KEXEC_REAL=1 is not set/);
  });

  it("a machine that only looks partly like a test VM is a real machine", () => {
    // Each missing VM mark makes it a real machine, where a test run is refused.
    const testRun = { HANDOFF_KEXEC_REAL: "1", HANDOFF_TEST_RUN: "/tmp/handoff-run-x" };
    for (const partial of [{ pid1Comm: "systemd\n" }, { pid1Comm: undefined }, { pid1Environ: undefined }, { pid1Environ: "X=HANDOFF_TEST_VM=1\0" }, { marker: false }]) {
      expect(kexecGuardRefusal({ ...inVm, ...partial, env: testRun })).toMatch(/belongs to a handoff test run/);
    }
  });

  it("on a real machine: refused in a test run's process and while any test run is alive; a user's kexec is allowed", () => {
    expect(kexecGuardRefusal({ ...userMachine, env: { HANDOFF_TEST_RUN: "/tmp/handoff-run-x" } })).toMatch(/belongs to a handoff test run/);
    expect(kexecGuardRefusal({ ...userMachine, activeTestRuns: [4242] })).toMatch(/test run \(pid 4242\) is active on this machine/);
    expect(kexecGuardRefusal(userMachine)).toBeUndefined();
  });

  it("this test run is registered where the guard looks, so a command spawned with an empty environment is refused too", () => {
    // The runner (vitest's main process) registered itself in one of the registries.
    const registered = TEST_RUN_REGISTRIES.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).map(Number));
    expect(activeTestRuns().some((pid) => registered.includes(pid))).toBe(true);
    const script = `import("reflect-metadata").then(() => import("@handoff/node")).then((m) => { try { m.assertKexecAllowed({}); console.log("ALLOWED"); } catch (e) { console.log("REFUSED " + e.message); } })`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "" }, cwd: process.cwd(), encoding: "utf8" });
    expect(r.stdout, r.stderr).toMatch(/^REFUSED .*test run \(pid \d+.*\) is active on this machine/);
  });

  it("on this host the guard over the real /proc refuses, even with HANDOFF_KEXEC_REAL=1", () => {
    expect(() => assertKexecAllowed({ HANDOFF_KEXEC_REAL: "1" })).toThrow(KexecRefusedError);
  });

  it("on this host the backend refuses before loading koffi or calling anything (unload: harmless even if it did)", async () => {
    const backend = new SyscallKexecBackend({ id: "x86_64", wordBits: 64, kexecSyscalls: { kexecLoad: 246 } }, { HANDOFF_KEXEC_REAL: "1" });
    await expect(backend.unload(false)).rejects.toMatchObject({ code: "E_KEXEC", operation: "guard" });
  });
});
