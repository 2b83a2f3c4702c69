import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN } from "./helpers.js";

function haveQemu(): boolean {
  if (spawnSync("sh", ["-c", "command -v qemu-system-x86_64"]).status === 0) return true;
  if (process.env.CI === "true") throw new Error("qemu-system-x86_64 is required under CI=true");
  console.warn("\n*** SKIPPING boot lifetime tests: qemu-system-x86_64 is not installed ***\n");
  return false;
}

const dir = mkdtempSync(join(tmpdir(), "handoff-lifetime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// x86 `jmp .`: the guest spins until killed, so `boot` streams its console for --timeout seconds.
const spin = join(dir, "spin.bin");
writeFileSync(spin, new Uint8Array([0xeb, 0xfe]));

const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `handoff boot` of a spinning payload, with its own TMPDIR so its temp dirs can be counted; resolves to the pid of its QEMU. */
async function startBoot(tmp: string): Promise<{ handoff: ChildProcess; qemu: number }> {
  const handoff = spawn(process.execPath, [BIN, "boot", "--arch", "x86_64", "--kernel", spin, "--timeout", "300"], { env: { ...process.env, TMPDIR: tmp }, stdio: "ignore" });
  const qemu = await waitFor("QEMU to start", () => children(handoff.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("qemu-system-x86_64")), 30_000);
  return { handoff, qemu };
}

describe.skipIf(!haveQemu())("QEMU never outlives handoff boot", () => {
  it("SIGKILL of handoff: its QEMU is gone within seconds (PR_SET_PDEATHSIG through setpriv)", async () => {
    const tmp = mkdtempSync(join(dir, "tmp-kill-"));
    const { handoff, qemu } = await startBoot(tmp);
    expect(alive(qemu)).toBe(true);
    handoff.kill("SIGKILL");
    await waitFor("QEMU to die", () => (alive(qemu) ? undefined : true), 10_000);
    expect(alive(qemu)).toBe(false);
  }, 60_000);

  it("SIGTERM or SIGINT of handoff: QEMU is gone and so are the boot's temp dirs", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const tmp = mkdtempSync(join(dir, `tmp-${signal}-`));
      const { handoff, qemu } = await startBoot(tmp);
      expect(readdirSync(tmp).some((n) => n.startsWith("handoff-boot-"))).toBe(true);
      const exited = new Promise((r) => handoff.once("exit", r));
      handoff.kill(signal);
      await exited;
      await waitFor("QEMU to die", () => (alive(qemu) ? undefined : true), 10_000);
      expect(readdirSync(tmp)).toEqual([]);
    }
  }, 120_000);
});
