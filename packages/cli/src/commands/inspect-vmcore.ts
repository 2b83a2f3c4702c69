/**
 * `handoff inspect` on a crash dump (/proc/vmcore or a copy): its notes — the
 * crashed kernel's vmcoreinfo (release, page size, the symbols it names) and one
 * NT_PRSTATUS per CPU — and its load segments. Only headers and notes are read,
 * so a dump as large as the crashed machine's RAM inspects in constant memory.
 */
import { elfMachineName, hex, type MachineIdentity } from "@handoff/core";
import { isElfCore, readVmcore, type Vmcore } from "@handoff/core/kexec";
import { withRandomAccessFile } from "@handoff/node";
import { indent, table, toJson } from "../output.js";

/** True when `path` is an ELF core file (reads its first 18 bytes; false for anything unreadable or short). */
export function looksLikeVmcore(path: string): boolean {
  try {
    return withRandomAccessFile(path, "image", (f) => f.size >= 18n && isElfCore(f.readAt(0n, 18)));
  } catch {
    return false; // the normal image path reports why the file cannot be read
  }
}

/** Parse the dump at `path` and render it. */
export function inspectVmcore(path: string, json: boolean, architectures: readonly MachineIdentity[]): string {
  const dump = withRandomAccessFile(path, "crash dump", (f) => readVmcore(f));
  return json ? toJson(describeVmcore(dump, architectures)) : renderVmcore(dump, architectures);
}

/** The JSON shape of `inspect --json` for a dump. */
export function describeVmcore(dump: Vmcore, architectures: readonly MachineIdentity[] = []) {
  const info = dump.vmcoreinfo;
  return {
    file: dump.file,
    format: `ELF${dump.elfClass} core`,
    machine: elfMachineName(dump.machine, architectures),
    cpus: dump.cpus,
    ramBytes: dump.ramBytes,
    loads: dump.loads,
    notes: dump.notes,
    vmcoreinfo: info ? { osRelease: info.osRelease ?? null, pageSize: info.pageSize ?? null, symbols: Object.fromEntries(info.symbols), fields: Object.fromEntries(info.fields) } : null,
  };
}

function renderVmcore(dump: Vmcore, architectures: readonly MachineIdentity[]): string {
  const info = dump.vmcoreinfo;
  const lines = [
    `file      ${dump.file}`,
    `format    ELF${dump.elfClass} core (crash dump)`,
    `machine   ${elfMachineName(dump.machine, architectures)}`,
    `cpus      ${dump.cpus} (NT_PRSTATUS notes)`,
    `memory    ${hex(dump.ramBytes)} bytes in ${dump.loads.length} load segment(s)`,
  ];
  if (info) {
    lines.push(`release   ${info.osRelease ?? "(no OSRELEASE)"}`, `page size ${info.pageSize ?? "(no PAGESIZE)"}`);
  } else lines.push("vmcoreinfo (none: no VMCOREINFO note)");
  lines.push("", "load segments", indent(table(["paddr", "vaddr", "size", "file offset"], dump.loads.map((l) => [hex(l.paddr), hex(l.vaddr), hex(l.size), hex(l.offset)]))));
  lines.push("", "notes", indent(table(["owner", "type", "descsz", "offset"], dump.notes.map((n) => [n.name, String(n.type), String(n.size), hex(n.offset)]))));
  if (info && info.symbols.size > 0) {
    lines.push("", "vmcoreinfo symbols", indent(table(["symbol", "address"], [...info.symbols].map(([name, addr]) => [name, hex(addr)]))));
  }
  return lines.join("\n");
}
