import { ValidationError, hex, type HandoffArtefact } from "@handoff/core";
import type { LoadedArchitectures } from "../container.js";
import { indent, table, toJson } from "../output.js";
import { linuxArtefact } from "./linux-boot.js";

/** The start info as `@handoff/x86` plans it (found through the artefact: the CLI imports no arch package). */
interface PvhStartInfo {
  readonly cmdline: string;
  readonly modlist: readonly { readonly paddr: bigint; readonly size: bigint; readonly cmdline_paddr: bigint; readonly cmdline: string | null }[];
  readonly memmap: readonly { readonly addr: bigint; readonly size: bigint; readonly type: number }[];
  readonly [field: string]: unknown;
}

/** XEN_HVM_MEMMAP_TYPE_* (start_info.h; the e820 values). */
const MEMMAP_TYPES: Readonly<Record<number, string>> = { 1: "RAM", 2: "reserved", 3: "ACPI", 4: "NVS", 5: "unusable", 6: "disabled", 7: "PMEM" };

/** `plan` options that describe a kexec plan only: `--protocol pvh` refuses them. */
export const PVH_PLAN_REFUSES = ["kernel-format", "load-addr", "entry", "memmap", "use-zero", "page-tables", "digest", "svg", "dtb"] as const;

/** What `plan --protocol pvh` is asked for. */
export interface PvhPlanOptions {
  readonly arch: string;
  readonly kernel: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  readonly memory?: string;
  /** `--no-verify`: the stub would enter without checking the segments' SHA-256. */
  readonly noVerify?: boolean;
}

/** The PVH part of an artefact: where the start info goes and every field of it. */
function pvhBootInfo(a: HandoffArtefact): { paddr: bigint; info: PvhStartInfo; rsdpSource: string } {
  const b = a.bootInfo as { hvm_start_info_paddr?: bigint; hvm_start_info?: PvhStartInfo; rsdp_paddr_source?: string } | undefined;
  if (b?.hvm_start_info === undefined || b.hvm_start_info_paddr === undefined) throw new ValidationError(`${a.arch} ${a.protocol} plan`, "has no hvm_start_info");
  return { paddr: b.hvm_start_info_paddr, info: b.hvm_start_info, rsdpSource: b.rsdp_paddr_source ?? "" };
}

/** The stub's segment check as `plan` reports it (null: --no-verify). */
function pvhCheck(a: HandoffArtefact): { algorithm: "sha256"; segments: number } | null {
  return a.verify && a.verify.regions > 0 ? { algorithm: "sha256", segments: a.verify.regions } : null;
}

/**
 * `handoff plan --protocol pvh`: the PVH boot handoff builds for an ELF with
 * XEN_ELFNOTE_PHYS32_ENTRY (or `bzImage#payload`) on QEMU `-M pc` of
 * `--memory`: the entry, the segments, and the hvm_start_info (start_info.h
 * version 1) with every field by its header name, module list and memory map.
 */
export async function planPvhCommand(loaded: LoadedArchitectures, o: PvhPlanOptions, cwd: string, json: boolean): Promise<string> {
  const artefact = await linuxArtefact(loaded, { ...o, protocol: "pvh", probe: false }, cwd);
  if (!artefact) throw new ValidationError(o.kernel, "is not a kernel a PVH loader boots");
  const { paddr, info, rsdpSource } = pvhBootInfo(artefact);
  const segments = artefact.segments.map((s) => ({ name: s.name ?? s.role, role: s.role, mem: s.mem, memsz: s.memsz, bufsz: s.bufsz }));
  if (json) {
    return toJson({ arch: artefact.arch, protocol: "pvh", machine: artefact.qemu, entry: artefact.entry, segments, segmentCheck: pvhCheck(artefact), hvm_start_info_paddr: paddr, hvm_start_info: info, rsdp_paddr_source: rsdpSource });
  }
  const { modlist, memmap, cmdline, ...fields } = info;
  return [
    `${artefact.arch} PVH boot on QEMU -M ${artefact.qemu.machine} -m ${artefact.qemu.memory}: enters ${hex(artefact.entry)} with ebx = ${hex(paddr)}`,
    "",
    table(["segment", "role", "mem", "memsz", "bufsz"], segments.map((s) => [s.name, s.role, hex(s.mem), hex(s.memsz), hex(s.bufsz)])),
    pvhCheck(artefact) ? `segment check: the stub verifies the SHA-256 of all ${pvhCheck(artefact)!.segments} segments before it enters` : "segment check: none (--no-verify)",
    "",
    `hvm_start_info at ${hex(paddr)}`,
    indent(table(["field", "value"], Object.entries(fields).map(([k, v]) => [k, typeof v === "bigint" || typeof v === "number" ? hex(v) : String(v)]))),
    `  cmdline          ${JSON.stringify(cmdline)}`,
    `  rsdp_paddr       ${rsdpSource}`,
    "",
    "modlist",
    indent(modlist.length ? table(["#", "paddr", "size", "cmdline_paddr", "cmdline"], modlist.map((m, i) => [String(i), hex(m.paddr), hex(m.size), hex(m.cmdline_paddr), m.cmdline ?? "-"])) : "(none)"),
    "",
    "memmap",
    indent(table(["addr", "size", "type"], memmap.map((m) => [hex(m.addr), hex(m.size), `${m.type} ${MEMMAP_TYPES[m.type] ?? ""}`.trim()]))),
  ].join("\n");
}
