import { ValidationError, type HandoffState, type MemoryMap } from "@handoff/core";
import { planPageTables, type HandoffRegion } from "@handoff/core/paging";
import { BOOT_SELECTORS, buildHandoffGdt, type HandoffGdt, type X86LinuxPlan, type X86StubTables } from "@handoff/x86";
import { linux64Entry } from "./handoff-states.js";
import { X86_64_4LEVEL } from "./paging.js";
import { X86_64_STUB_GDT_OFFSET } from "./stub/stub.js";

/** Fixed places of the stub's own pages, below the kernel's usual 16 MiB pref_address. */
export const X86_64_LINUX_LAYOUT = { stub: 0x10_0000n, list: 0x11_0000n, listEnd: 0x1d_0000n, tables: 0x1d_0000n, tablesEnd: 0x1f_0000n, bootData: 0x1f_0000n } as const;

/** The stub's own pages a kexec plan needs: the stub, its identity tables' room, boot_params + cmdline. */
export interface X86_64StubPages {
  readonly stub: bigint;
  readonly tables: bigint;
  readonly tablesEnd: bigint;
  readonly bootData: bigint;
}

/** The regions a planned Linux occupies for the identity tables: every segment, the kernel with its init_size room. */
export function linuxRegions(plan: X86LinuxPlan): HandoffRegion[] {
  return plan.segments.map((s) => ({ start: s.mem, size: s.role === "kernel" ? plan.kernelRoom : s.memsz, writable: true, executable: true, name: s.name ?? s.role }));
}

/** The first MiB: the BIOS data area and the conventional memory below the EBDA are in it. */
const FIRST_MIB = 0x10_0000n;
const PAGE = 0x1000n;

/**
 * Low memory as Linux's 64-bit entry uses it: Linux 6.1's decompressor, on a
 * CPU whose paging depth it must change (LA57 present, 4-level paging at
 * entry), reads the BIOS data area in page 0 (0x40e, 0x413) and builds a
 * 32-bit trampoline in RAM below 640 KiB before it has a page-fault handler
 * (arch/x86/boot/compressed/pgtable_64.c, find_trampoline_placement): the RAM
 * range the map has from address 0, up to 1 MiB (a capture kernel's e820
 * keeps it too). None where the map has no RAM at 0.
 */
function lowMemory(memoryMap: MemoryMap): HandoffRegion | undefined {
  const low = memoryMap.ranges.find((r) => r.start === 0n && r.type === "ram");
  const end = low === undefined ? 0n : (low.size < FIRST_MIB ? low.size : FIRST_MIB) & ~(PAGE - 1n);
  return end >= PAGE ? { start: 0n, size: end, writable: true, executable: true, name: "low memory (BIOS data area, Linux's paging-mode trampoline)" } : undefined;
}

/**
 * What the stub needs to enter a 64-bit entry with rsi = boot_params: the boot
 * GDT, 4-level identity tables over the stub and `regions` at the layout's
 * table room, and the linux64 entry state.
 */
export function linux64StubState(
  regions: readonly HandoffRegion[],
  entry: bigint,
  bootParams: bigint,
  memoryMap: MemoryMap,
  L: Omit<X86_64StubPages, "bootData"> = X86_64_LINUX_LAYOUT,
): { gdt: HandoffGdt; tables: X86StubTables; state: HandoffState } {
  const gdt = buildHandoffGdt(BOOT_SELECTORS, true);
  const low = lowMemory(memoryMap);
  const all: HandoffRegion[] = [{ start: L.stub, size: 0x1000n, writable: true, executable: true, name: "stub" }, ...regions, ...(low ? [low] : [])];
  const { build } = planPageTables(X86_64_4LEVEL, { kind: "segments", regions: all, memoryMap, mapPageZero: low !== undefined }, { tableBase: L.tables, mapTables: false });
  if (L.tables + build.tableBytes > L.tablesEnd) throw new ValidationError("x86_64 Linux boot", `page tables of ${build.tableBytes} bytes overrun their room`);
  const tables = { base: L.tables, cr3: build.root, bytes: build.segment.bytes };
  const state = linux64Entry({ gdt, gdtBase: L.stub + BigInt(X86_64_STUB_GDT_OFFSET), cr3: tables.cr3, entry, bootParams });
  return { gdt, tables, state };
}
