import { describe, expect, it } from "vitest";
import { KexecRefusedError } from "@handoff/core/kexec";
import { SyscallKexecBackend, assertInsideTestVm, kexecGuardRefusal, type GuardInputs } from "@handoff/node";

const inVm: GuardInputs = { env: { HANDOFF_KEXEC_REAL: "1" }, pid1Environ: "HOME=/\0TERM=linux\0HANDOFF_TEST_VM=1\0", pid1Comm: "init\n", marker: true };

describe("the real kexec backend's guard", () => {
  it("passes only when every condition of a handoff test VM holds", () => {
    expect(kexecGuardRefusal(inVm)).toBeUndefined();
  });

  it("refuses when any one condition is missing, saying which", () => {
    expect(kexecGuardRefusal({ ...inVm, env: {} })).toMatch(/HANDOFF_KEXEC_REAL=1 is not set/);
    expect(kexecGuardRefusal({ ...inVm, env: { HANDOFF_KEXEC_REAL: "yes" } })).toMatch(/HANDOFF_KEXEC_REAL=1 is not set/);
    expect(kexecGuardRefusal({ ...inVm, pid1Comm: "systemd\n" })).toMatch(/PID 1 is systemd/);
    expect(kexecGuardRefusal({ ...inVm, pid1Comm: undefined })).toMatch(/cannot read \/proc\/1\/comm/);
    expect(kexecGuardRefusal({ ...inVm, pid1Environ: undefined })).toMatch(/PID 1's environment lacks/);
    // A variable that merely contains the text does not count.
    expect(kexecGuardRefusal({ ...inVm, pid1Environ: "X=HANDOFF_TEST_VM=1\0" })).toMatch(/PID 1's environment lacks/);
    expect(kexecGuardRefusal({ ...inVm, marker: false })).toMatch(/handoff-test-vm is missing/);
  });

  it("on this host, even with HANDOFF_KEXEC_REAL=1, the guard over the real /proc refuses", () => {
    expect(() => assertInsideTestVm({ HANDOFF_KEXEC_REAL: "1" })).toThrow(KexecRefusedError);
  });

  it("on this host the backend refuses before loading koffi or calling anything (unload: harmless even if it did)", async () => {
    const backend = new SyscallKexecBackend("x86_64", { HANDOFF_KEXEC_REAL: "1" });
    await expect(backend.unload(false)).rejects.toMatchObject({ code: "E_KEXEC", operation: "guard" });
  });
});
