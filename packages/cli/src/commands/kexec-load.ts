import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { kexecLoadCommand, kexecRunCommand } from "./kexec-live.js";
import { KEXEC_COMMON_OPTIONS, KEXEC_GUARD_NOTE, kexecCommon } from "./kexec-options.js";

/** `handoff kexec load` */
export const command = defineCommand({
  options: {
    kernel: { type: "string", value: "FILE", help: "the kernel to start (bzImage; others with --file)" },
    probe: { type: "boolean", help: "load the spin probe payload instead of a kernel, entered in the state a kernel gets" },
    initrd: { type: "string", value: "FILE", help: "its initrd" },
    cmdline: { type: "string", value: "TEXT", help: "its command line" },
    "reuse-cmdline": { type: "boolean", help: "use the running kernel's command line (/proc/cmdline)" },
    append: { type: "string", value: "TEXT", help: "add TEXT to the command line (after /proc/cmdline when no --cmdline)" },
    dtb: { type: "string", value: "FILE", help: "Arm: this devicetree instead of the running one" },
    file: { type: "boolean", help: "use kexec_file_load: the kernel parses and places the files itself" },
    "no-verify": { type: "boolean", help: "the stub does not check the segments' SHA-256 before entering the kernel" },
    "verify-without-mmu": { type: "boolean", help: "arm64: the stub checks with the MMU and caches off, not over its identity tables (slower on hardware)" },
    crash: { type: "boolean", help: "load a capture (kdump) kernel into the crash region, started by a panic; it reads the dead kernel's memory from /proc/vmcore" },
    exec: { type: "boolean", help: "start the loaded kernel at once, from this process (as kexec-tools' 'kexec KERNEL' without -l): no second start of handoff" },
    ...KEXEC_COMMON_OPTIONS,
  },
  notes: [
    "Without --file, handoff plans the segments from the running machine's memory map and enters the kernel through its own stub.",
    "With --crash, every segment goes into the crash region the running kernel reserved (crashkernel=): the capture kernel, its initrd, and an ELF core header describing the System RAM outside that region and the vmcoreinfo and per-CPU crash notes; the capture kernel's memory map is limited to the crash region and elfcorehdr= is added to its command line (crashkernel= words are dropped).",
    KEXEC_GUARD_NOTE,
  ],
  async run({ values }, context) {
    const common = kexecCommon(values);
    if (values.exec && values.crash) throw new UsageError("kexec load: a --crash kernel is started by a panic, not by --exec", "kexec load");
    // Every installed arch: the running machine's (its syscalls, how purgatory is entered) besides the new kernel's.
    const loaded = await context.architectures();
    const summary = await kexecLoadCommand(loaded, {
      ...common,
      ...(values.kernel !== undefined ? { kernel: values.kernel } : {}),
      probe: values.probe,
      ...(values.initrd !== undefined ? { initrd: values.initrd } : {}),
      ...(values.cmdline !== undefined ? { cmdline: values.cmdline } : {}),
      reuseCmdline: values["reuse-cmdline"],
      ...(values.append !== undefined ? { append: values.append } : {}),
      ...(values.dtb !== undefined ? { dtb: values.dtb } : {}),
      file: values.file,
      noVerify: values["no-verify"],
      verifyWithoutMmu: values["verify-without-mmu"],
      crash: values.crash,
      cwd: context.cwd,
    });
    if (!values.exec) return summary;
    // The load succeeded (it throws otherwise): start it now, without a second Node start (tens of seconds under emulation).
    const started = await kexecRunCommand(loaded, common, "exec", false, false, true);
    return common.json ? JSON.stringify({ load: JSON.parse(summary), exec: JSON.parse(started) }, null, 2) : `${summary}\n${started}`;
  },
});
