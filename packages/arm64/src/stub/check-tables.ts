import type { StubCheckTables, StubCheckTablesRequest } from "@handoff/arm";
import { ValidationError, alignUp, hex } from "@handoff/core";
import type { Mapping, PageTableBuild } from "@handoff/core/paging";
import { ARM64_4K_48, ARM64_EL2_4K_48, ARM64_MAIR } from "../paging.js";
import { ARM64_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

const PAGE = 0x1000n;

/** The arm64 stub's check tables: both builds (for the stub's data block and for tests that walk them) and the segment holding them. */
export interface Arm64CheckTables extends StubCheckTables {
  /** TTBR0_EL1-format tables (EL1, and EL2 with HCR_EL2.E2H = 1), at `at`. */
  readonly el1: PageTableBuild;
  /** TTBR0_EL2-format tables (EL2 with E2H = 0), right after them. */
  readonly el2: PageTableBuild;
  /** What they map, page-rounded and merged: RAM (Normal write-back, RWX) and the console (Device). */
  readonly mappings: readonly Mapping[];
}

/** Ranges rounded out to pages, sorted, overlapping or touching ones merged. */
function pageRanges(ranges: readonly { start: bigint; size: bigint }[]): { start: bigint; size: bigint }[] {
  const rounded = ranges.filter((r) => r.size > 0n).map((r) => ({ start: r.start & ~(PAGE - 1n), end: alignUp(r.start + r.size, PAGE) }));
  rounded.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of rounded) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end) last.end = r.end > last.end ? r.end : last.end;
    else out.push({ ...r });
  }
  return out.map((r) => ({ start: r.start, size: r.end - r.start }));
}

/**
 * Identity tables (4 KiB granule, 48-bit VA) over what the arm64 stub touches
 * while it checks with the MMU on: every segment and the stub itself as
 * Normal write-back RAM (read, write, execute; the stub has no stack), the
 * console's page as Device-nGnRnE. Two sets in one segment at `at`: the
 * TTBR0_EL1 format and the EL2 (E2H = 0) one, since the stub runs at
 * whichever EL the running kernel left it. The tables need not map
 * themselves: the MMU reads them by physical address.
 */
export function arm64CheckTables(request: StubCheckTablesRequest): Arm64CheckTables {
  if ((request.at & (PAGE - 1n)) !== 0n) throw new ValidationError("arm64 check tables", `${hex(request.at)} is not page-aligned`);
  const ram = pageRanges([...request.segments.map((s) => ({ start: s.mem, size: s.memsz })), { start: request.stubAt, size: BigInt(ARM64_HANDOFF_STUB_CODE.size) }]);
  const devices = request.console === undefined || request.console === 0n ? [] : pageRanges([{ start: request.console, size: 4n }]);
  const clash = devices.find((d) => ram.some((r) => r.start < d.start + d.size && d.start < r.start + r.size));
  if (clash) throw new ValidationError("arm64 check tables", `the console page ${hex(clash.start)} lies inside a segment or the stub`);
  const mappings: Mapping[] = [
    ...ram.map((r) => ({ va: r.start, pa: r.start, size: r.size, attributes: { writable: true, executable: true, memoryType: "normal" as const } })),
    ...devices.map((d) => ({ va: d.start, pa: d.start, size: d.size, attributes: { writable: true, executable: false, memoryType: "device" as const } })),
  ];
  const el1 = ARM64_4K_48.build(mappings, { tableBase: request.at, mapPageZero: true });
  const el2 = ARM64_EL2_4K_48.build(mappings, { tableBase: alignUp(request.at + el1.tableBytes, PAGE), mapPageZero: true });
  const end = el2.segment.pa + BigInt(el2.segment.bytes.length);
  const bytes = new Uint8Array(Number(end - request.at));
  bytes.set(el1.segment.bytes, Number(el1.segment.pa - request.at));
  bytes.set(el2.segment.bytes, Number(el2.segment.pa - request.at));
  const tcr = el1.registers.tcr_el1!;
  return {
    at: request.at,
    bytes,
    el1,
    el2,
    mappings,
    registers: {
      ttbr: el1.registers.ttbr0_el1!,
      tcr,
      ttbr_el2: el2.registers.ttbr0_el2!,
      tcr_el2: el2.registers.tcr_el2!,
      mair: ARM64_MAIR,
      // ID_AA64MMFR0_EL1.PARange encodes widths as TCR_EL1.IPS does (0b000 32 bits ... 0b101 48 bits).
      pa_range: (tcr >> 32n) & 7n,
      tables: request.at,
      tables_size: BigInt(bytes.length),
    },
  };
}
