/**
 * How QEMU 7.2's `info registers` prints a RISC-V hart (target/riscv/cpu.c
 * riscv_cpu_dump_state: ` name     value` lines, GPRs as `x10/a0`), mapped to
 * this plugin's register names. Plain data shaped like @handoff/qemu's
 * `InfoRegistersDialect`, so the plugin does not depend on @handoff/qemu.
 *
 * QEMU prints no privilege level and no sstatus, sie or sip: sstatus is the
 * S-mode view of mstatus (Privileged ISA §10.1.1), so it is read from mstatus
 * through SSTATUS64_MASK; priv, sie and sip are not observed.
 */

const ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"];

/**
 * mstatus bits visible in sstatus on RV64: SIE 1, SPIE 5, UBE 6, SPP 8, VS 10:9,
 * FS 14:13, XS 16:15, SUM 18, MXR 19, UXL 33:32, SD 63 (§10.1.1, Figure "sstatus").
 */
export const SSTATUS64_MASK = (1n << 1n) | (1n << 5n) | (1n << 6n) | (1n << 8n) | (3n << 9n) | (3n << 13n) | (3n << 15n) | (1n << 18n) | (1n << 19n) | (3n << 32n) | (1n << 63n);

/** The dialect: printed name, register name, and (for views) the mask applied to the printed value. */
export const RISCV64_QEMU_INFO_REGISTERS = {
  separator: "whitespace",
  registers: [
    ["pc", "pc"],
    ...ABI.map((abi, i) => [`x${i}/${abi}`, `x${i}`] as const),
    ["mstatus", "sstatus", SSTATUS64_MASK],
    ["stvec", "stvec"],
    ["sscratch", "sscratch"],
    ["sepc", "sepc"],
    ["scause", "scause"],
    ["stval", "stval"],
    ["satp", "satp"],
  ],
  pc: "pc",
} as const satisfies {
  readonly separator: "=" | "whitespace";
  readonly registers: readonly (readonly [string, string] | readonly [string, string, bigint])[];
  readonly pc: string;
};
