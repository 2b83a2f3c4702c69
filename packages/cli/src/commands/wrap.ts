import { resolve } from "node:path";
import { ValidationError, hex } from "@handoff/core";
import { DEFAULT_BOOT_FILE_LIMITS, readFileBounded, writeFileAtomic } from "@handoff/node";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { table, toJson } from "../output.js";

/** The x86 family package: imported only when `wrap` runs (installed with @handoff/x86_64 or @handoff/x86_32). */
type X86Family = typeof import("@handoff/x86");

async function x86Family(): Promise<X86Family> {
  try {
    return await import("@handoff/x86");
  } catch (cause) {
    throw new ValidationError("handoff wrap", "needs @handoff/x86 (installed with @handoff/x86_64 or @handoff/x86_32)", { cause });
  }
}

/** What `wrap` is asked for. */
export interface WrapOptions {
  readonly protocol: string;
  readonly kernel: string;
  readonly out: string;
  readonly arch?: string;
}

/**
 * `handoff wrap --protocol pvh --kernel bzImage --out FILE [--arch]`: the
 * bzImage as a PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY = handoff's wrapper stub),
 * for loaders that boot only PVH ELFs; the loader's cmdline and first module
 * become the kernel's command line and initrd. Written atomically.
 */
export async function wrapCommand(o: WrapOptions, cwd: string) {
  if (o.protocol !== "pvh") throw new UsageError(`wrap: --protocol ${o.protocol}: the one wrapper is pvh`, "wrap");
  if (o.arch !== undefined && o.arch !== "x86_64" && o.arch !== "x86_32") throw new UsageError(`wrap: --arch ${o.arch}: a bzImage is wrapped for x86_64 or x86_32`, "wrap");
  const x86 = await x86Family();
  const path = resolve(cwd, o.kernel);
  const { bytes } = readFileBounded(path, { role: "kernel", maxBytes: DEFAULT_BOOT_FILE_LIMITS.kernel });
  const wrapped = x86.wrapBzImageAsPvh({ kernel: bytes, kernelPath: path, ...(o.arch === undefined ? {} : { arch: o.arch }) });
  const out = resolve(cwd, o.out);
  await writeFileAtomic(out, wrapped.elf, { role: "PVH ELF" });
  return { out, wrapped };
}

/** `handoff wrap` */
export const command = defineCommand({
  options: {
    protocol: { type: "string", value: "NAME", required: true, help: "the wrapper: pvh (an ELF with XEN_ELFNOTE_PHYS32_ENTRY)" },
    kernel: { type: "string", value: "FILE", required: true, help: "the bzImage to wrap" },
    out: { type: "string", value: "FILE", required: true, help: "where the ELF goes (written atomically)" },
    arch: { type: "string", value: "ARCH", help: "Linux entry the stub takes: x86_64 (64-bit, identity tables) or x86_32 (32-bit); default from XLF_KERNEL_64" },
  },
  notes: [
    "Boot the result with any PVH loader, e.g. `qemu-system-x86_64 -kernel wrapped.elf -initrd initrd.cpio -append 'console=ttyS0'`: the stub reads the loader's hvm_start_info (magic, version 1), takes cmdline_paddr as the command line, module 0 as the initrd, the memmap as the e820 (every ACPI table reachable from rsdp_paddr cut out of RAM) and rsdp_paddr as acpi_rsdp_addr, and enters the kernel. A start info it cannot honour is one line on COM1 (\"handoff pvh-wrap: ...\") and a halt.",
  ],
  async run({ values }, context) {
    const { out, wrapped: w } = await wrapCommand({ protocol: values.protocol, kernel: values.kernel, out: values.out, ...(values.arch === undefined ? {} : { arch: values.arch }) }, context.cwd);
    const loads = w.loads.map((l) => ({ name: l.name, paddr: l.paddr, filesz: l.filesz, memsz: l.memsz }));
    const summary = { out, arch: w.arch, phys32Entry: w.phys32Entry, kernelLoad: w.kernelLoad, kernelEntry: w.kernelEntry, bootParams: w.bootParams, ...(w.pageTableRoot === undefined ? {} : { pageTableRoot: w.pageTableRoot }), loads };
    if (values.json) return toJson(summary);
    const rows = loads.map((l) => [l.name, hex(l.paddr), hex(l.filesz), hex(l.memsz)]);
    return [`wrote ${out} (${w.elf.length} bytes): PVH ELF${w.arch === "x86_64" ? "64" : "32"}, PHYS32_ENTRY ${hex(w.phys32Entry)} (handoff's stub) -> Linux ${w.arch === "x86_64" ? "64-bit" : "32-bit"} entry ${hex(w.kernelEntry)}`, table(["load", "paddr", "filesz", "memsz"], rows)].join("\n");
  },
});
