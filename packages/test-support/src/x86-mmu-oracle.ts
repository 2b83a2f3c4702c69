/**
 * Shared by the x86_32 and x86_64 QEMU page-table tests: a multiboot (v1) ELF
 * whose code loads CR3/CR4/EFER/CR0 from a page-table build and spins, booted
 * with `qemu-system-x86_64 -kernel` (entered in 32-bit protected mode, paging off).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Mapping, PageTableBuild } from "@handoff/core/paging";
import type { PageTableFormat } from "@handoff/core";
import { QemuSession, requireTool, scratchDir, sleep } from "./qemu-oracle.js";
import type { MmuRig } from "./mmu-rig.js";

export const X86_QEMU = "qemu-system-x86_64";
const PREFIX = "x86_64-linux-gnu-";
/** Where the multiboot ELF's code is linked (and identity-mapped). */
export const X86_CODE = 0x20_0000n;
export const X86_TABLES = 0x100_0000n;

export function x86ToolsAvailable(): boolean {
  return requireTool(X86_QEMU) && requireTool(`${PREFIX}as`) && requireTool(`${PREFIX}ld`) && requireTool(`${PREFIX}nm`);
}

function program(regs: Record<string, bigint>): string {
  const efer = (regs.efer ?? 0n) & ~(1n << 10n); // LMA is set by the CPU, not written
  return `
  .code32
  .text
  .globl _start
  .align 4
multiboot_header:
  .long 0x1BADB002
  .long 0
  .long -(0x1BADB002)
_start:
  mov $0x${regs.cr3!.toString(16)}, %eax
  mov %eax, %cr3
  mov $0x${regs.cr4!.toString(16)}, %eax
  mov %eax, %cr4
${
  efer === 0n
    ? ""
    : `  mov $0xC0000080, %ecx
  rdmsr
  or $0x${efer.toString(16)}, %eax
  wrmsr`
}
  mov %cr0, %eax
  or $0x${regs.cr0!.toString(16)}, %eax
  mov %eax, %cr0
spin:
  jmp spin
`;
}

export interface X86Boot {
  readonly build: PageTableBuild;
  readonly qemu: QemuSession;
  readonly spin: bigint;
  readonly cleanup: () => void;
}

export async function bootX86(format: PageTableFormat, mappings: readonly Mapping[], cpu = "max"): Promise<X86Boot> {
  const build = format.build(mappings, { tableBase: X86_TABLES });
  const { dir, cleanup } = scratchDir();
  const src = join(dir, "code.S");
  const obj = join(dir, "code.o");
  const elf = join(dir, "code.elf");
  writeFileSync(src, program(build.registers));
  const steps: [string, string[]][] = [
    [`${PREFIX}as`, ["--32", "-o", obj, src]],
    [`${PREFIX}ld`, ["-m", "elf_i386", `-Ttext=0x${X86_CODE.toString(16)}`, "-e", "_start", "-o", elf, obj]],
  ];
  for (const [tool, args] of steps) {
    const r = spawnSync(tool, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${tool}: ${r.stderr}`);
  }
  const nm = spawnSync(`${PREFIX}nm`, [elf], { encoding: "utf8" }).stdout;
  const spin = BigInt(`0x${/([0-9a-f]+) t spin/.exec(nm)![1]}`);
  const tables = join(dir, "tables.bin");
  writeFileSync(tables, build.segment.bytes);
  // A triple fault must not reboot into the BIOS again: pause instead, so a faulting stub is seen as stopped.
  const qemu = await QemuSession.start(X86_QEMU, ["-cpu", cpu, "-m", "2G", "-action", "reboot=shutdown,shutdown=pause", "-kernel", elf, "-device", `loader,file=${tables},addr=0x${X86_TABLES.toString(16)},force-raw=on`], dir);
  return { build, qemu, spin, cleanup };
}

/**
 * Poll until the CPU runs its spin loop: the VM is still running (a triple fault
 * pauses it) and the instruction pointer sits on `spin` twice in a row.
 * Returns the last instruction pointer seen and the run state.
 */
export async function waitForSpin(boot: X86Boot): Promise<{ ip: bigint | undefined; status: string; spinning: boolean }> {
  let ip: bigint | undefined;
  let status = "";
  let hits = 0;
  for (let i = 0; i < 80 && hits < 2; i++) {
    status = await boot.qemu.status();
    ip = (await boot.qemu.register("RIP")) ?? (await boot.qemu.register("EIP"));
    hits = status === "running" && ip === boot.spin ? hits + 1 : 0;
    if (status !== "running" && i > 10) break;
    await sleep(100);
  }
  return { ip, status, spinning: hits >= 2 };
}

/** The x86 oracle as an MmuRig: multiboot boot under `cpu` (per format: 5-level paging needs `max,+la57`), spin seen by waitForSpin. */
export function x86MmuRig(cpu: (format: PageTableFormat) => string = () => "max"): MmuRig {
  return {
    boot: (format, mappings) => bootX86(format, mappings, cpu(format)),
    reachesSpin: async (boot) => (await waitForSpin(boot)).spinning,
  };
}
