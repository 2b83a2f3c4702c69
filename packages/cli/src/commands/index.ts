import type { Command } from "../cli/command.js";

/** One entry of `handoff --help`: a command (loaded only when it runs) or a group of subcommands. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Imports the command's module (only when it runs). */
  readonly load?: () => Promise<Command>;
  readonly subcommands?: readonly CommandEntry[];
  /**
   * Whether these arguments hash segments, so a second thread for it should be
   * started at once: a Node thread takes about 30 ms to come up, which then
   * overlaps loading the command and planning instead of following them.
   */
  readonly digestThread?: (args: readonly string[]) => boolean;
}

// Each command module is imported only when its command runs (or shows its help):
// `handoff archs` pays for neither QEMU's nor Xen's package.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module's table types its own run(); the table only needs the shape
const load = (m: Promise<{ command: Command<any> }>) => m.then((x) => x.command as Command);

/** Every command, in the order `handoff --help` lists them; the summaries live here only. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "archs", summary: "installed architectures: registers and widths, page-table formats, protocols", load: () => load(import("./archs.js")) },
  { name: "inspect", summary: "what a boot image is: format, arch, entry (phys/virt), segments, notes, protocol header fields", load: () => load(import("./inspect.js")) },
  {
    name: "plan",
    summary: "the whole hand-off: segments, the kexec relocation list, identity page tables over exactly the segments, digests",
    load: () => load(import("./plan.js")),
    digestThread: (args) => args.some((a) => a === "--digest" || a.startsWith("--digest=")),
  },
  { name: "pagetable", summary: "build translation tables, walk them, print root, table pages and registers", load: () => load(import("./pagetable.js")) },
  { name: "build", summary: "a bootable artefact directory (x86: PVH ELF; arm: loader blobs) with plan.json", load: () => load(import("./build.js")) },
  { name: "boot", summary: "build and run in qemu-system-*; --probe compares every register and segment with the promise", load: () => load(import("./boot.js")) },
  { name: "wrap", summary: "a bzImage as a PVH ELF for PVH-only loaders: handoff's stub turns the loader's hvm_start_info into boot_params", load: () => load(import("./wrap.js")) },
  { name: "link", summary: "link a relocatable object (purgatory) at an address and write its bytes", load: () => load(import("./link.js")) },
  { name: "initramfs", summary: "newc initramfs whose /init prints HANDOFF-MARKER: <handoff.marker=> and powers off", load: () => load(import("./initramfs.js")) },
  {
    name: "kexec",
    summary: "load and start a new kernel on this running Linux (kexec_load with handoff's stub, or kexec_file_load)",
    subcommands: [
      { name: "load", summary: "plan from the running machine and load a kernel (--dry-run prints the segments)", load: () => load(import("./kexec-load.js")) },
      { name: "exec", summary: "start the loaded kernel now", load: () => load(import("./kexec-exec.js")) },
      { name: "unload", summary: "unload the loaded kernel", load: () => load(import("./kexec-unload.js")) },
      { name: "status", summary: "what is loaded (/sys/kernel/kexec_loaded), kexec_load_disabled, lockdown", load: () => load(import("./kexec-status.js")) },
    ],
  },
  {
    name: "hypercall",
    summary: "Xen hypercalls: registers and structs built, read and laid out",
    subcommands: [
      { name: "encode", summary: "registers and in-memory structs of a Xen hypercall (kexec_op load --image FILE too)", load: () => load(import("./hypercall-encode.js")) },
      { name: "decode", summary: "read a hypercall from registers with the guest's width rules", load: () => load(import("./hypercall-decode.js")) },
      { name: "layout", summary: "C layout of Xen's structs for an arch", load: () => load(import("./hypercall-layout.js")) },
    ],
  },
  {
    name: "xen",
    summary: "a real Xen under QEMU",
    subcommands: [
      { name: "run", summary: "boot Xen with a dom0 payload built by handoff that makes the calls; report results read from guest memory", load: () => load(import("./xen-run.js")) },
    ],
  },
];
