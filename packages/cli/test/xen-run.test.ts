import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "@handoff/test-support/cli";
import { IN_CI, KERNELS, fixtureKernel, requireTool, tempDir, xenFixturesDir } from "@handoff/test-support";
import { staticBusybox } from "@handoff/test-support/busybox";
import { MARKER_PREFIX, markerInitramfs } from "@handoff/core/cpio";

// One boot per guest flavour, each running a script of all its calls; every
// result is checked against something handoff did not compute: Xen's console,
// the machine QEMU was given, or a second route to the same value.

interface CallResult {
  readonly index: number;
  readonly result: string;
  readonly returned: boolean;
  readonly struct?: { readonly value: unknown };
  readonly calls?: readonly CallResult[];
  readonly buffers: readonly {
    readonly values?: readonly { readonly addr: string; readonly size: string; readonly type: string }[];
    /** Argo ring messages; the data bytes come as an index-keyed object. */
    readonly messages?: readonly { readonly len: number; readonly source: { readonly domainId: string }; readonly messageType: string; readonly data: Record<string, number> }[];
  }[];
}
/** What a PVH payload found at boot (hex strings), hvm_start_info as Xen wrote it. */
interface PvhFacts {
  readonly cpuidBase: string;
  readonly hypercallMsr: string;
  readonly hypercallPage: string;
  readonly startInfoAddress: string;
  readonly startInfo: Readonly<Record<"magic" | "version" | "flags" | "nr_modules" | "cmdline_paddr" | "rsdp_paddr", string>>;
}
/** The parts of `xen run --json` the checks read. */
type Report = { readonly results: readonly CallResult[]; readonly console: readonly string[]; readonly completed: boolean } & {
  readonly blockAddress: string;
  readonly blockFoundAt: string;
  readonly timing: { readonly toShutdownMs: number; readonly toResultsMs: number };
  readonly pvh?: PvhFacts;
  readonly handover?: { readonly vmStopped: boolean };
};

function xenImage(name: string): string | undefined {
  const dir = xenFixturesDir();
  const path = dir ? join(dir, name) : undefined;
  if (path && existsSync(path)) return path;
  if (IN_CI) throw new Error(`Xen fixture ${name} is required under CI=true (set HANDOFF_XEN_FIXTURES)`);
  console.warn(`\n*** SKIPPING xen run tests on ${name}: no Xen fixtures (HANDOFF_XEN_FIXTURES) ***\n`);
  return undefined;
}

function runScript(args: readonly string[], timeout = 90_000): Report {
  const r = runCli(["xen", "run", ...args, "--json"], { timeout });
  if (r.code !== 0) throw new Error(`xen run failed (${r.code}): ${r.stderr}\n${r.stdout.slice(-2000)}`);
  return JSON.parse(r.stdout) as Report;
}

const n = (s: string) => (s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s));
const byIndex = (r: Report, i: number) => r.results.find((x) => x.index === i)!;

/** Checks of the calls of test/xen/arm-dom0.json, shared by every flavour; `ramEnd` is the end of the machine's RAM. */
function checkScript(report: Report, ownCapability: string, ramEnd: bigint): void {
  // XENVER_version / extraversion against Xen's boot banner.
  const version = n(byIndex(report, 0).result);
  const extra = byIndex(report, 1).struct!.value as string;
  expect(report.console.some((l) => l.includes(`Xen version ${version >> 16n}.${version & 0xffffn}${extra} `))).toBe(true);
  // Capabilities must name the guest's own ABI.
  expect((byIndex(report, 2).struct!.value as string).split(" ")).toContain(ownCapability);
  expect(n(byIndex(report, 3).result)).toBe(4096n);
  // console_io write: the text is a line of Xen's console (hardware dom0's writes carry no prefix).
  expect(n(byIndex(report, 4).result)).toBe(0n);
  expect(report.console.map((l) => l.replace(/\r$/, ""))).toContain("HANDOFF-XEN-CONSOLE-OK");
  // dom0_mem=128M on Xen's command line: 32768 pages; the highest RAM frame is where QEMU's RAM ends.
  expect(n(byIndex(report, 5).result)).toBe(32768n);
  expect(n(byIndex(report, 6).result)).toBe(ramEnd >> 12n);
  // Event channel: alloc_unbound gives a port; send/close on it succeed; send after close is -EINVAL.
  const port = (byIndex(report, 7).struct!.value as { port: string }).port;
  expect(n(byIndex(report, 7).result)).toBe(0n);
  expect(n(port)).toBeGreaterThan(0n);
  expect([8, 9, 10].map((i) => n(byIndex(report, i).result))).toEqual([0n, 0n, -22n]);
  // Multicall: each batched result equals the same call made alone.
  const mc = byIndex(report, 11);
  expect(n(mc.result)).toBe(0n);
  expect(mc.calls!.map((c) => c.result)).toEqual([0, 3, 5].map((i) => byIndex(report, i).result));
}

const ENOSYS = -38n;

/** Arm Xen has no e820: its arch_memory_op answers both memory-map queries -ENOSYS and leaves the struct alone. */
function checkArmMemoryMaps(report: Report): void {
  for (const i of [12, 13]) {
    expect(n(byIndex(report, i).result)).toBe(ENOSYS);
    expect(n((byIndex(report, i).struct!.value as { nr_entries: string }).nr_entries)).toBe(16n);
  }
}

/** The Arm flavours: dom0 is 1:1, so the address the payload saw is where its block sits in machine memory; the virt board's 512M start at 1 GiB. */
function checkArmScript(report: Report, ownCapability: string): void {
  expect(report.blockFoundAt).toBe(report.blockAddress);
  checkScript(report, ownCapability, 0x40000000n + (512n << 20n));
  checkArmMemoryMaps(report);
}

/**
 * x86 hardware domain: XENMEM_machine_memory_map is Xen's own e820 as its boot
 * console lists it ("Xen-e820 RAM map"), plus one reserved entry for each
 * interrupt controller Xen keeps from dom0, at the addresses its ACPI lines
 * print; a PV dom0 has no e820 of its own, so XENMEM_memory_map is -ENOSYS.
 */
function checkX86MemoryMaps(report: Report): void {
  const text = report.console.join("\n");
  const lines = report.console.slice(report.console.findIndex((l) => l.includes("Xen-e820 RAM map:")) + 1);
  const types: Record<string, bigint> = { usable: 1n, reserved: 2n, "ACPI data": 3n, "ACPI NVS": 4n, unusable: 5n };
  const rangeLine = /^\(XEN\)\s+\[([0-9a-f]{16}), ([0-9a-f]{16})\] \(([^)]+)\)/;
  const xenE820 = lines.slice(0, lines.findIndex((l) => !rangeLine.test(l))).map((l) => {
    const m = rangeLine.exec(l)!;
    return { addr: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`) + 1n - BigInt(`0x${m[1]}`), type: types[m[3]!]! };
  });
  const mm = byIndex(report, 12);
  expect(n(mm.result)).toBe(0n);
  const count = Number(n((mm.struct!.value as { nr_entries: string }).nr_entries));
  const got = mm.buffers[0]!.values!.slice(0, count).map((e) => ({ addr: n(e.addr), size: n(e.size), type: n(e.type) }));
  expect(xenE820.length).toBeGreaterThan(3);
  const extra = got.filter((e) => !xenE820.some((x) => x.addr === e.addr && x.size === e.size && x.type === e.type));
  expect(got.length - extra.length).toBe(xenE820.length);
  const ioapic = /IOAPIC\[0\]: .*address (0x[0-9a-f]+)/.exec(text)![1]!;
  const lapic = /Local APIC address (0x[0-9a-f]+)/.exec(text)![1]!;
  expect(extra.map((e) => [e.addr, e.type])).toEqual([[BigInt(ioapic), 2n], [BigInt(lapic), 2n]]);
  expect(n(byIndex(report, 13).result)).toBe(ENOSYS);
}

const ARM_SCRIPT = join(__dirname, "xen/arm-dom0.json");
/** Calls of ARM_SCRIPT; the x86 extras follow. */
const ARM_SCRIPT_CALLS = 14;
/** The Arm script's calls plus kexec_op get_range (x86 PV only) for KEXEC_RANGE_MA_XEN (1) and the crash area (KEXEC_RANGE_MA_CRASH, 0). */
const X86_PV_EXTRA = [
  { call: "kexec_op", command: "get_range", struct: { range: 1, nr: 0 } },
  { call: "kexec_op", command: "get_range", struct: { range: 0, nr: 0 } },
];
/** A multicall whose xen_version entry has bit 32 set in argument 1 (its handle). */
const UNCLEAN = { call: "multicall", calls: [{ call: "xen_version", command: "version", args: ["0x100000000"] }] };
const dir = tempDir("handoff-xen-run-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("handoff xen run on Arm: one boot per flavour", () => {
  const arm64 = xenImage("xen-arm64");
  const armhf = xenImage("xen-armhf");
  const ready64 = arm64 !== undefined && requireTool("qemu-system-aarch64");
  const ready32 = armhf !== undefined && requireTool("qemu-system-arm");

  it.skipIf(!ready64)("AArch64 dom0 on arm64 Xen: version, console, memory, event channel and multicall, each checked independently", () => {
    const report = runScript(["--arch", "arm64", "--xen", arm64!, "--script", ARM_SCRIPT]);
    console.log(`arm64 dom0: ${report.timing.toShutdownMs} ms from QEMU start to the guest's end, ${report.timing.toResultsMs} ms to the results`);
    expect(report.completed).toBe(true);
    checkArmScript(report, "xen-3.0-aarch64");
  });

  it.skipIf(!ready64)("AArch32 dom0 on arm64 Xen: the same calls; then a multicall argument that is not 32-bit clean crashes the domain as handoff's rule says", () => {
    const script = join(dir, "aarch32.json");
    writeFileSync(script, JSON.stringify([...(JSON.parse(readFileSync(ARM_SCRIPT, "utf8")) as unknown[]), { ...UNCLEAN, allowUnclean: true }]));
    const report = runScript(["--arch", "arm64", "--guest-mode", "32", "--xen", arm64!, "--script", script]);
    console.log(`AArch32 dom0 on arm64 Xen: ${report.timing.toShutdownMs} ms to the guest's end, ${report.timing.toResultsMs} ms to the results`);
    checkArmScript(report, "xen-3.0-armv7l");
    // Every call before the unclean multicall returned; that one never did, and Xen says why.
    expect(report.completed).toBe(false);
    expect(report.results.slice(0, ARM_SCRIPT_CALLS).every((r) => r.returned)).toBe(true);
    expect(report.results[ARM_SCRIPT_CALLS]!.returned).toBe(false);
    expect(report.console.some((l) => /multicall argument 1 is not 32-bit clean 100000000/.test(l))).toBe(true);
    expect(report.console.some((l) => l.includes("Hardware Dom0 crashed"))).toBe(true);
  });

  it("without the override handoff refuses that multicall for a 32-bit guest and names the rule (no boot)", () => {
    const script = join(dir, "unclean.json");
    writeFileSync(script, JSON.stringify([UNCLEAN]));
    const r = runCli(["xen", "run", "--arch", "arm64", "--guest-mode", "32", "--xen", "/nonexistent-xen", "--script", script]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/xen_version: argument 'arg': 0x100000000 does not fit 32 bits; .*32-bit clean/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it.skipIf(!ready32)("arm32 dom0 on armhf Xen: the same calls, each checked independently", () => {
    const report = runScript(["--arch", "arm32", "--xen", armhf!, "--script", ARM_SCRIPT]);
    console.log(`arm32 dom0 on armhf Xen: ${report.timing.toShutdownMs} ms to the guest's end, ${report.timing.toResultsMs} ms to the results`);
    expect(report.completed).toBe(true);
    checkArmScript(report, "xen-3.0-armv7l");
  });
});

/** One Argo message from dom0 to its own ring (port 1000, partner dom0; wildcard rings would need mac-permissive). */
const ARGO_TEXT = "HANDOFF-ARGO-MESSAGE";
const ARGO = [
  { call: "argo_op", command: "register_ring", struct: { aport: 1000, partner_id: 0, len: 4032 }, args: [{ frames: 1 }, 1, 0] },
  { call: "argo_op", command: "sendv", struct: { src: { aport: 0, domain_id: 0x7ff4 }, dst: { aport: 1000, domain_id: 0 } }, args: [{ type: "xen_argo_iov_t[]", value: [{ iov_hnd: { text: ARGO_TEXT }, iov_len: ARGO_TEXT.length }] }, 1, 0x1234] },
];

/** Boot Xen with an x86 PV dom0 running the Arm script, the kexec ranges and `more`; checks what every x86 PV run shares. */
function runX86Pv(xen: string, mode: "32" | "64", more: readonly unknown[], xenArgs: readonly string[] = []): Report {
  const script = join(dir, `x86-pv${mode}-${more.length}.json`);
  writeFileSync(script, JSON.stringify([...(JSON.parse(readFileSync(ARM_SCRIPT, "utf8")) as unknown[]), ...X86_PV_EXTRA, ...more]));
  const report = runScript(["--arch", "x86_64", "--guest-mode", mode, "--guest", "pv", "--xen", xen, "--script", script, ...xenArgs.flatMap((a) => ["--xen-args", a])]);
  console.log(`${mode}-bit PV dom0 on ${xen.split("/").pop()}: ${report.timing.toShutdownMs} ms from QEMU start to the guest's end, ${report.timing.toResultsMs} ms to the results`);
  expect(report.completed).toBe(true);
  const text = report.console.join("\n");
  // The ELF is linked at 4 MiB with VIRT_BASE 0: the payload's address is that plus the block's file offset (Xen: "Loaded kernel: 0000000000400000").
  expect(BigInt(report.blockAddress)).toBe(0x400000n + 0x1000n);
  // Xen says which ELF it loaded: 64-bit, or 32-bit PAE through its compat layer.
  expect(text).toMatch(mode === "64" ? /Dom0 kernel: 64-bit, lsb, paddr 0x400000/ : /Dom0 kernel: 32-bit, PAE, lsb, paddr 0x400000/);
  // The block's first page was found in the machine memory Xen says it gave dom0.
  const alloc = /Dom0 alloc\.:\s+([0-9a-f]+)->([0-9a-f]+)/.exec(text)!;
  expect(BigInt(report.blockFoundAt) >= BigInt(`0x${alloc[1]}`) && BigInt(report.blockFoundAt) < BigInt(`0x${alloc[2]}`)).toBe(true);
  // maximum_ram_page: the end of the last usable range of Xen's own e820 listing.
  const usable = [...text.matchAll(/\[([0-9a-f]{16}), ([0-9a-f]{16})\] \(usable\)/g)];
  checkScript(report, mode === "64" ? "xen-3.0-x86_64" : "xen-3.0-x86_32p", BigInt(`0x${usable.at(-1)![2]}`) + 1n);
  checkX86MemoryMaps(report);
  // KEXEC_RANGE_MA_XEN is [_start, _end): 2 MiB past where Xen said it moved itself ("New Xen image base
  // address"), as x86 Xen links _start at XEN_VIRT_START + XEN_IMG_OFFSET (0x200000, xen/arch/x86/xen.lds.S).
  const xenRange = byIndex(report, ARM_SCRIPT_CALLS);
  expect(n(xenRange.result)).toBe(0n);
  const range = xenRange.struct!.value as { start: string; size: string };
  const base = /New Xen image base address: (0x[0-9a-f]+)/.exec(text)!;
  expect(n(range.start)).toBe(BigInt(base[1]!) + 0x200000n);
  expect(n(range.size)).toBeGreaterThan(0n);
  // No crashkernel= on Xen's command line: the crash area is empty.
  expect(n(byIndex(report, ARM_SCRIPT_CALLS + 1).result)).toBe(0n);
  expect(n((byIndex(report, ARM_SCRIPT_CALLS + 1).struct!.value as { size: string }).size)).toBe(0n);
  return report;
}

/** The ring registered (call `at`), the message sent (`at` + 1), and Xen's copy of it read back from the ring pages with its header. */
function checkArgo(report: Report, at = ARM_SCRIPT_CALLS + 2): void {
  const [register, send] = [byIndex(report, at), byIndex(report, at + 1)];
  expect(n(register.result)).toBe(0n);
  // sendv returns the bytes it queued.
  expect(n(send.result)).toBe(BigInt(ARGO_TEXT.length));
  // The ring's one message: header (len covers itself, from domain 0, the type sent) and the bytes.
  const messages = register.buffers[0]!.messages!;
  expect(messages).toHaveLength(1);
  const m = messages[0]!;
  expect([m.len, n(m.source.domainId), n(m.messageType)]).toEqual([16 + ARGO_TEXT.length, 0n, 0x1234n]);
  expect(Buffer.from(Object.values(m.data)).toString()).toBe(ARGO_TEXT);
}

const kexecRange = (r: Report) => byIndex(r, ARM_SCRIPT_CALLS).struct!.value;

describe("handoff xen run on x86: PV dom0", () => {
  const amd64 = xenImage("xen-amd64");
  const pv32 = xenImage("xen-amd64-argo-pv32");
  const qemu = requireTool("qemu-system-x86_64");

  it.skipIf(!(amd64 && qemu))("x86_64 PV dom0 (syscall) on Debian's Xen: the Arm calls plus kexec get_range, each checked independently; the block read back at the machine frames the guest reported", () => {
    runX86Pv(amd64!, "64", []);
  });

  it.skipIf(!(pv32 && qemu))("32-bit PV dom0 (int $0x82) and x86_64 PV dom0 on the PV32 + Argo build: the same checks, one kexec range through the compat and native layouts, and an Argo message each", () => {
    const r32 = runX86Pv(pv32!, "32", ARGO, ["argo=1"]);
    const r64 = runX86Pv(pv32!, "64", ARGO, ["argo=1"]);
    expect(kexecRange(r32)).toEqual(kexecRange(r64));
    checkArgo(r32);
    checkArgo(r64);
  });
});

/** Xen's own e820 as its boot console lists it ("Xen-e820 RAM map"). */
function xenE820(report: Report): { addr: bigint; size: bigint; type: string }[] {
  const lines = report.console.slice(report.console.findIndex((l) => l.includes("Xen-e820 RAM map:")) + 1);
  const rangeLine = /^\(XEN\)\s+\[([0-9a-f]{16}), ([0-9a-f]{16})\] \(([^)]+)\)/;
  return lines.slice(0, lines.findIndex((l) => !rangeLine.test(l))).map((l) => {
    const m = rangeLine.exec(l)!;
    return { addr: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`) + 1n - BigInt(`0x${m[1]}`), type: m[3]! };
  });
}

/**
 * A PVH dom0's own e820 (XENMEM_memory_map) against Xen's e820 and the
 * reservation, by the rules of xen/arch/x86/hvm/dom0_build.c pvh_setup_e820:
 * every non-RAM range is Xen's, unchanged; RAM (plus the ACPI tables Xen
 * carves out of it) adds up to dom0's pages; the rest of the machine's RAM is
 * one UNUSABLE range up to the end of Xen's last usable one. The start info's
 * RSDP lies in that ACPI range. XENMEM_machine_memory_map is -ENOSYS for HVM
 * guests (hvm_memory_op) and leaves the struct alone.
 */
function checkPvhMemoryMaps(report: Report): void {
  expect(n(byIndex(report, 12).result)).toBe(ENOSYS);
  expect(n((byIndex(report, 12).struct!.value as { nr_entries: string }).nr_entries)).toBe(16n);
  const mm = byIndex(report, 13);
  expect(n(mm.result)).toBe(0n);
  const count = Number(n((mm.struct!.value as { nr_entries: string }).nr_entries));
  const got = mm.buffers[0]!.values!.slice(0, count).map((e) => ({ addr: n(e.addr), size: n(e.size), type: n(e.type) }));
  const host = xenE820(report);
  expect(host.length).toBeGreaterThan(3);
  for (const r of host.filter((h) => h.type === "reserved")) expect(got).toContainEqual({ addr: r.addr, size: r.size, type: 2n });
  const pages = n(byIndex(report, 5).result);
  // The ACPI tables end inside their last page, which Xen lists no further.
  const ramAndAcpi = got.filter((e) => e.type === 1n || e.type === 3n);
  const pageUp = (x: bigint) => (x + 0xfffn) & ~0xfffn;
  expect(pageUp(ramAndAcpi.reduce((a, e) => a + e.size, 0n))).toBe(pages << 12n);
  const unusable = got.filter((e) => e.type === 5n);
  expect(unusable).toHaveLength(1);
  const ramEnd = pageUp(ramAndAcpi.reduce((a, e) => (e.addr + e.size > a ? e.addr + e.size : a), 0n));
  const lastUsable = host.filter((h) => h.type === "usable").at(-1)!;
  expect([unusable[0]!.addr, unusable[0]!.addr + unusable[0]!.size]).toEqual([ramEnd, lastUsable.addr + lastUsable.size]);
  const acpi = got.find((e) => e.type === 3n)!;
  const rsdp = n(report.pvh!.startInfo.rsdp_paddr);
  expect(rsdp >= acpi.addr && rsdp < acpi.addr + acpi.size).toBe(true);
}

/** The PVH ELF's load address (PT_LOAD p_paddr in x86-pvh-payload.S, through xen-pv-elf.inc): the block is a page past it. */
const PVH_LOAD = 0x400000n;
const TWO_MIB = 2n << 20n;

/** What every PVH run shares: where the block was, what the payload found at boot, the start info. */
function checkPvhBoot(report: Report): void {
  expect(report.completed).toBe(true);
  expect(report.console.some((l) => l.includes("*** Building a PVH Dom0 ***"))).toBe(true);
  // Paging off (32-bit stage) or handoff's identity map (long mode): the block's address is guest-physical.
  expect(n(report.blockAddress)).toBe(PVH_LOAD + 0x1000n);
  // Not 1:1 — but Xen populates a PVH dom0's RAM in naturally aligned 2 MiB chunks where it can (pvh_populate_memory_range).
  expect(report.blockFoundAt).not.toBe(report.blockAddress);
  expect(n(report.blockFoundAt) % TWO_MIB).toBe(n(report.blockAddress) % TWO_MIB);
  const pvh = report.pvh!;
  // public/arch-x86/cpuid.h: Xen's leaves start at 0x40000000 (0x40000100 only with Viridian); leaf 2's EBX is the MSR base, 0x40000000.
  expect([n(pvh.cpuidBase), n(pvh.hypercallMsr)]).toEqual([0x40000000n, 0x40000000n]);
  // public/hvm/start_info.h: XEN_HVM_START_MAGIC_VALUE; SIF_PRIVILEGED | SIF_INITDOMAIN; no modules; %ebx pointed at it.
  const si = pvh.startInfo;
  expect([n(si.magic), n(si.flags), n(si.nr_modules)]).toEqual([0x336ec578n, 3n, 0n]);
  // Xen puts dom0's command line at the first page past the ELF's p_memsz, which the payload's
  // last two pages (stack and the one below) end: the hypercall page is three pages from that end.
  expect(n(si.cmdline_paddr)).toBe(n(pvh.hypercallPage) + 0x2000n);
  expect(n(pvh.startInfoAddress) > n(si.cmdline_paddr) && n(pvh.startInfoAddress) < n(si.cmdline_paddr) + 0x1000n).toBe(true);
}

describe("handoff xen run on Arm: Argo from both widths on the arm64 Argo build", () => {
  const argo = xenImage("xen-arm64-argo");
  const ready = argo !== undefined && requireTool("qemu-system-aarch64");

  it.skipIf(!ready)("an AArch64 and an AArch32 dom0 each register a ring, send to it and read the message back: the same structs and the same result from both", () => {
    const script = join(dir, "argo-arm.json");
    writeFileSync(script, JSON.stringify(ARGO));
    const reports = (["64", "32"] as const).map((mode) => {
      const report = runScript(["--arch", "arm64", "--guest-mode", mode, "--xen", argo!, "--xen-args", "argo=1", "--script", script]);
      console.log(`${mode === "64" ? "AArch64" : "AArch32"} dom0 on xen-arm64-argo: ${report.timing.toShutdownMs} ms from QEMU start to the guest's end, ${report.timing.toResultsMs} ms to the results`);
      expect(report.completed).toBe(true);
      checkArgo(report, 0);
      return report;
    });
    // Argo's structs are fixed-width (public/argo.h): both guests' register_ring and sendv structs decode alike.
    expect(reports[0]!.results.map((r) => r.struct!.value)).toEqual(reports[1]!.results.map((r) => r.struct!.value));
  }, 120_000);
});

describe("handoff xen run on x86: PVH dom0, its 32-bit stage and long mode", () => {
  const amd64 = xenImage("xen-amd64");
  const argo = xenImage("xen-amd64-argo-pv32");
  const qemu = requireTool("qemu-system-x86_64");
  const PVH_KEXEC = { call: "kexec_op", command: "get_range", struct: { range: 1, nr: 0 } };

  function runPvh(xen: string, mode: "32" | "64", calls: readonly unknown[], xenArgs: readonly string[] = []): Report {
    const script = join(dir, `x86-pvh${mode}-${calls.length}.json`);
    writeFileSync(script, JSON.stringify(calls));
    const report = runScript(["--arch", "x86_64", "--guest-mode", mode, "--guest", "pvh", "--xen", xen, "--script", script, ...xenArgs.flatMap((a) => ["--xen-args", a])]);
    console.log(`PVH dom0, ${mode === "32" ? "32-bit stage" : "long mode"}, on ${xen.split("/").pop()}: ${report.timing.toShutdownMs} ms from QEMU start to the guest's end, ${report.timing.toResultsMs} ms to the results`);
    checkPvhBoot(report);
    return report;
  }

  for (const mode of ["32", "64"] as const) {
    it.skipIf(!(amd64 && qemu))(`${mode === "32" ? "32-bit stage (compat ABI)" : "long mode (native ABI)"} through the hypercall page on Debian's Xen: the Arm calls, each checked independently; its own e820 against Xen's; kexec_op is PV-only`, () => {
      const report = runPvh(amd64!, mode, [...(JSON.parse(readFileSync(ARM_SCRIPT, "utf8")) as unknown[]), PVH_KEXEC]);
      const usable = xenE820(report).filter((h) => h.type === "usable").at(-1)!;
      checkScript(report, mode === "64" ? "hvm-3.0-x86_64" : "hvm-3.0-x86_32", usable.addr + usable.size);
      checkPvhMemoryMaps(report);
      // The x86 hypercall table gives HVM guests no kexec_op (README: PV only).
      expect(n(byIndex(report, ARM_SCRIPT_CALLS).result)).toBe(ENOSYS);
    }, 90_000);
  }

  it.skipIf(!(argo && qemu))("Argo from the 32-bit stage and from long mode on the Argo build: one ABI, the message read back from the ring", () => {
    for (const mode of ["32", "64"] as const) checkArgo(runPvh(argo!, mode, ARGO, ["argo=1"]), 0);
  }, 120_000);
});

/** e820 types (Xen's XENMEM_machine_memory_map entries) as handoff's memory-map JSON names them. */
const MAP_TYPES: Record<string, string> = { "1": "ram", "2": "reserved", "3": "acpi", "4": "nvs", "5": "unusable" };

describe("handoff xen run on x86: Xen's own kexec starts a kernel from handoff's segments", () => {
  it("the --kexec options are a usage error without --kexec-kernel, and --kexec-kernel needs the machine's map (no boot)", () => {
    const base = ["xen", "run", "--arch", "x86_64", "--guest", "pv", "--xen", "/nonexistent-xen"];
    const noKernel = runCli([...base, "--kexec-initrd", "/nonexistent-initrd", "xen_version", "version"]);
    expect([noKernel.code, noKernel.stderr.trim().split("\n").length]).toEqual([2, 1]);
    expect(noKernel.stderr).toMatch(/go with --kexec-kernel/);
    const noMap = runCli([...base, "--kexec-kernel", "/nonexistent-kernel"]);
    expect(noMap.code).toBe(2);
    expect(noMap.stderr).toMatch(/--kexec-kernel needs --kexec-memory-map/);
    const arm = runCli(["xen", "run", "--arch", "arm64", "--xen", "/nonexistent-xen", "--kexec-kernel", "/nonexistent-kernel", "--kexec-memory-map", "/nonexistent-map"]);
    expect(arm.code).toBe(2);
    expect(arm.stderr).toMatch(/needs an x86 PV dom0/);
  });

  const amd64 = xenImage("xen-amd64");
  const kernel = fixtureKernel(KERNELS.x86_64);
  const busybox = staticBusybox("x86_64");
  const qemu = requireTool("qemu-system-x86_64");

  it.skipIf(!(amd64 && kernel && busybox && qemu))("x86_64 PV dom0: KEXEC_CMD_kexec_load (a default image: no crash area) with handoff's stub, kernel and initramfs, then KEXEC_CMD_kexec: Xen hands over and the kernel reaches the initramfs marker", () => {
    // The machine's map as Xen gives it to dom0 (XENMEM_machine_memory_map), read by a first boot.
    const probe = runScript(["--arch", "x86_64", "--guest", "pv", "--xen", amd64!, "memory_op", "machine_memory_map", "--struct", JSON.stringify({ nr_entries: 16, buffer: { type: "e820entry_t[]", count: 16 } })]);
    const mm = probe.results[0]!;
    expect(n(mm.result)).toBe(0n);
    const count = Number(n((mm.struct!.value as { nr_entries: string }).nr_entries));
    const ranges = mm.buffers[0]!.values!.slice(0, count).map((e) => ({ start: e.addr, size: e.size, type: MAP_TYPES[n(e.type).toString()]! }));
    const mapFile = join(dir, "xen-machine-map.json");
    writeFileSync(mapFile, JSON.stringify(ranges));
    const initrd = join(dir, "marker.cpio");
    writeFileSync(initrd, markerInitramfs(new Uint8Array(readFileSync(busybox!))));
    const marker = `xen-kexec-${process.pid}`;
    // QEMU's -cpu max has LA57: Linux 6.1's decompressor then switches to 5-level paging through a trampoline it
    // places by reading the BIOS data area in page 0, which handoff's identity map must cover (it triple-faulted before).
    const cmdline = `console=ttyS0,115200 handoff.marker=${marker}`;
    const report = runScript(["--arch", "x86_64", "--guest", "pv", "--xen", amd64!, "--kexec-kernel", kernel!, "--kexec-initrd", initrd, "--kexec-cmdline", cmdline, "--kexec-memory-map", mapFile, "--timeout", "240"], 300_000);
    console.log(`Xen kexec from an x86_64 PV dom0 to the fixture kernel: ${report.timing.toShutdownMs} ms from QEMU start to the kernel's power-off`);
    // The new kernel powered the VM off (QEMU's SHUTDOWN), not Xen's end of dom0.
    expect(report.handover!.vmStopped).toBe(true);
    const text = report.console.map((l) => l.replace(/\r$/, ""));
    const handover = text.findIndex((l) => l === "(XEN) Executing kexec image on cpu0");
    expect(handover).toBeGreaterThan(0);
    const after = text.slice(handover + 1);
    // The kernel's own account: its command line is handoff's, its e820 the map handoff planned into (from boot_params).
    expect(after.some((l) => l.endsWith(`Command line: ${cmdline}`))).toBe(true);
    const e820 = after.filter((l) => /BIOS-e820: \[mem 0x[0-9a-f]+-0x[0-9a-f]+\] usable/.test(l)).map((l) => /mem (0x[0-9a-f]+)-(0x[0-9a-f]+)/.exec(l)!.slice(1).map((x) => BigInt(x)));
    expect(e820).toEqual(ranges.filter((r) => r.type === "ram").map((r) => [n(r.start), n(r.start) + n(r.size) - 1n]));
    expect(after).toContain(`${MARKER_PREFIX}${marker}`);
    // Xen executes only a loaded image (xen/common/kexec.c kexec_exec: -ENOENT otherwise), so the line above
    // shows the load took; dom0's block is not read after a handover (the new kernel may have reused its pages).
    expect(report.results).toEqual([]);
  }, 300_000);
});
