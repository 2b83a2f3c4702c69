import type { OptionTable, Values } from "../cli/option-table.js";
import type { ArtefactOptions } from "./handoff-artefacts.js";

/** Options `build` and `boot` share: what to hand off and how. */
export const ARTEFACT_OPTIONS = {
  arch: { type: "string", value: "A", required: true, help: "the architecture" },
  protocol: { type: "string", value: "P", help: "boot protocol (see 'handoff archs'; default: the arch's first)" },
  kernel: { type: "string", value: "FILE", help: "a flat payload entered at its first byte, or a Linux kernel (bzImage, arm64 Image, zImage)" },
  probe: { type: "boolean", help: "hand off to handoff's probe payload instead of a kernel" },
  initrd: { type: "string", value: "FILE", help: "Linux: an initrd" },
  cmdline: { type: "string", value: "TEXT", help: "Linux: the command line (checked against the kernel's limit)" },
  dtb: { type: "string", value: "FILE", help: "arm Linux: the devicetree handed to the kernel, /chosen set by handoff and /memory rewritten to the machine booted (--memory, default 512M) (default: a UKI's .dtb, else QEMU's machine DTB)" },
  memory: { type: "string", value: "SIZE", help: "Linux: RAM of the QEMU machine, e.g. 512M, 6G (default 512M); the memory map, e820 and PVH start info are built from it" },
  "entry-mode": { type: "string", value: "el1|el2|svc|hyp", help: "arm: the exception level or mode the payload is entered in" },
  "vmm-selectors": { type: "boolean", help: "x86: use the VMM's selectors instead of the stub's GDT" },
  "no-verify": { type: "boolean", help: "leave out the stub's check of every segment's SHA-256 before it enters (faster; a corrupted segment is entered)" },
} as const satisfies OptionTable;

/** The parsed shared options as the library's request. */
export function artefactOptions(values: Values<typeof ARTEFACT_OPTIONS>): ArtefactOptions {
  return {
    arch: values.arch,
    protocol: values.protocol,
    kernel: values.kernel,
    probe: values.probe,
    initrd: values.initrd,
    cmdline: values.cmdline,
    dtb: values.dtb,
    memory: values.memory,
    entryMode: values["entry-mode"],
    switches: values["vmm-selectors"] ? ["vmm-selectors"] : [],
    noVerify: values["no-verify"],
  };
}
