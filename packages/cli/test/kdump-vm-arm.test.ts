/**
 * kdump for real inside Arm QEMU VMs (arm64, arm32): the fixture kernel boots
 * the Arm kexec VM image with crashkernel=, its /init stores a random token in
 * a tmpfs file, loads the fixture kernel as the capture kernel (`handoff kexec
 * load --crash`, or kexec-tools `-p` as the reference) and panics (sysrq c).
 * The capture kernel's /init reads /proc/vmcore and prints what it found; the
 * test checks it: an ELF core of the arch's class and machine, vmcoreinfo
 * naming the first kernel's release, load segments adding up to the first
 * kernel's RAM outside the crash region (its own /proc/iomem), the token.
 * Both tools' times from the panic to the capture kernel's marker are logged.
 * One QEMU per case. Nothing here calls kexec on the host.
 */
import { describe, expect, it } from "vitest";
import { EM_AARCH64, EM_ARM } from "@handoff/arm";
import { requireTool } from "@handoff/test-support";
import { VM_CRASH_MEMORY, armKexecVmImage } from "@handoff/test-support/kexec-vm";
import { captured, expectedDumpBytes, firstKernelRelease, runCrashCase } from "./kdump-vm.js";

/** Boot, load, panic, capture kernel boot and a scan of the whole dump, under Arm TCG on a loaded 2-core machine. */
const VM_LIFETIME_MS = 400_000;

const ARCH_CASES = [
  // Debian's kexec-tools 2.0.25 writes an arm64 dump whose kernel-text PT_LOAD has a wrapped size (p_memsz near 2^64) and
  // an offset outside RAM for this 6.1 kernel: the capture kernel boots and vmcore's header reads, but reading that
  // segment oopses it in copy_oldmem_page, so its dump has no token to find. The test holds it to exactly that.
  // (/init sums the sizes in 64-bit shell arithmetic: with the wrapped one the sum prints negative.)
  { arch: "arm64", cpu: "cortex-a57", elfClass: 2, machine: EM_AARCH64, ld: "aarch64-linux-gnu-ld", toolsCase: "tools-crash", toolsDumpWrapped: true },
  // kexec-tools arm sizes the decompressed kernel as 4x the zImage unless told; without --image-size it hangs on this zImage (as for kexec -l).
  { arch: "arm32", cpu: "cortex-a15", elfClass: 1, machine: EM_ARM, ld: "arm-linux-gnueabihf-ld", toolsCase: "tools-crash-imagesize", toolsDumpWrapped: false },
] as const;

for (const c of ARCH_CASES) {
  // clang and the arch's binutils build the capture initramfs' token scanner (test-support/vm/find-token.c).
  const vmImage = requireTool("clang") && requireTool(c.ld) ? armKexecVmImage(c.arch) : undefined;
  const run = (crashCase: string) =>
    runCrashCase({ arch: c.arch, kernel: vmImage!.kernel, machine: "virt", cpu: c.cpu, memory: VM_CRASH_MEMORY, lifetimeMs: VM_LIFETIME_MS, extraArgs: ["-initrd", vmImage!.initrd()] }, "console=ttyAMA0", crashCase);

  describe.skipIf(vmImage === undefined)(`kdump inside an ${c.arch} VM (fixture kernel -> capture kernel after a panic)`, () => {
    it(`${c.arch} handoff kexec load --crash: the capture kernel reads the dead kernel's memory from /proc/vmcore`, async () => {
      const r = await run("crash");
      expect(r.serial).toContain(`loaded with kexec_load (crash kernel, run at a panic): ${c.arch}`);
      expect(r.serial).toContain("crash image loaded: yes");
      const k = captured(r.serial, "crash");
      // ELF magic, the arch's class, ET_CORE, its e_machine.
      expect(k.elf, r.serial.slice(-4000)).toMatchObject({ magic: "7f454c46", elfClass: c.elfClass, type: 4, machine: c.machine });
      expect(k.release).toBe(firstKernelRelease(r.serial));
      expect(k.elf!.bytes, "PT_LOAD sizes add up to the first kernel's System RAM outside the crash region").toBe(expectedDumpBytes(r.serial));
      expect(k.token, "the token the first kernel wrote into tmpfs is in the dump").toBe(r.token);
      console.log(`kdump ${c.arch}, handoff kexec_load --crash: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${k.elf!.loads} PT_LOADs, ${k.elf!.bytes} bytes scanned)`);
    }, VM_LIFETIME_MS + 30_000);

    it(`${c.arch} kexec-tools -p on the same inputs (the reference${c.arch === "arm32" ? ", --image-size=0x3000000" : ""})`, async () => {
      const r = await run(c.toolsCase);
      const k = captured(r.serial, c.toolsCase);
      expect(k.elf, r.serial.slice(-4000)).toMatchObject({ magic: "7f454c46", elfClass: c.elfClass, type: 4, machine: c.machine });
      expect(k.release).toBe(firstKernelRelease(r.serial));
      const wrapped = k.loadSizes.some((size) => size >= 1n << 63n);
      expect(wrapped, "a PT_LOAD whose p_memsz wraps past 2^63").toBe(c.toolsDumpWrapped);
      if (c.toolsDumpWrapped) expect(r.serial).toContain("copy_oldmem_page");
      else expect(k.token).toBe(r.token);
      console.log(`kdump ${c.arch}, kexec-tools -p: ${r.panicToMarker.toFixed(1)} s from panic to the capture kernel's marker (${k.elf!.loads} PT_LOADs, sizes ${k.loadSizes.join(", ")}${wrapped ? "; a wrapped size, the dump is unreadable" : ""})`);
    }, VM_LIFETIME_MS + 30_000);
  });
}
