import type { DependencyContainer } from "tsyringe";
import type { HypercallAbi } from "./hypercall-abi.js";
import type { ImageFormat } from "./image-format.js";
import type { MachineMemoryLayout } from "./memory-map.js";
import type { NarrowMode, RegisterFile, RegisterSpec } from "./registers.js";
import type { RelocationInfo } from "./link/relocator.js";

import type { PageTableFormat } from "./paging/types.js";
import type { KexecSyscalls, MachineNames } from "./machine-tag.js";

/** The page-table format contract lives with the page-table machinery; re-exported here for plugins. */
export type { PageTableFormat };

/** One boot or hand-off protocol an architecture implements (Linux, PVH, kexec entry...). */
export interface BootProtocolInfo {
  readonly id: string;
  readonly description: string;
}

/** The ELF relocation types an architecture applies, and how (see link/relocator.ts). */
export type { RelocationInfo } from "./link/relocator.js";

/**
 * The plugin contract: everything handoff knows about one CPU architecture.
 * Core defines it; arch packages implement it; nothing in core names an arch.
 */
export interface Architecture {
  /** Stable id used on the command line: `x86_64`, `arm64`... */
  readonly id: string;
  readonly displayName: string;
  /** ELF e_machine (EM_386 = 3, EM_ARM = 40, EM_X86_64 = 62, EM_AARCH64 = 183). */
  readonly elfMachine: number;
  /**
   * How other headers name this architecture. Core's generic readers report
   * these raw (a `MachineTag`) and resolve them by asking the registered
   * architectures, so core itself keeps no table of machines.
   */
  readonly machineNames?: MachineNames;
  /** Linux's kexec system call numbers on this architecture (what the live backend calls). */
  readonly kexecSyscalls?: KexecSyscalls;
  /** ELF class this arch's images use. */
  readonly elfClass: 32 | 64;
  /** Natural register/pointer width in bits. */
  readonly wordBits: 32 | 64;
  /** Byte orders it runs; the first is the default. */
  readonly endianness: readonly ("little" | "big")[];
  /** Smallest page size in bytes. */
  readonly pageSize: bigint;
  /** Every register a hand-off sets, with widths and aliases. */
  readonly registers: readonly RegisterSpec[];
  /** A narrower mode sharing the register file (x86-64 compat, AArch32), if any. */
  readonly narrowMode: NarrowMode | undefined;
  /** Translation-table formats this arch builds; the first is the default. */
  readonly pageTableFormats: readonly PageTableFormat[];
  readonly protocols: readonly BootProtocolInfo[];
  /** Image formats this arch contributes (bzImage, arm64 Image, zImage...); ELF is core's. */
  readonly imageFormats: readonly ImageFormat[];
  readonly relocations: RelocationInfo | undefined;
  readonly hypercallAbi: HypercallAbi | undefined;
  /** RAM layout of the machine `plan --memory SIZE` assumes (PC, QEMU virt...), if the arch has one. */
  readonly defaultMachine?: MachineMemoryLayout;
  /** A register file where every register is a known zero. */
  createRegisterFile(): RegisterFile;
}

/** Token under which every installed architecture is registered. */
export const ARCHITECTURE = Symbol.for("@handoff/core/Architecture");

/**
 * What an arch package exports as `plugin`: it registers its architecture (and
 * its parts, under its own tokens) into the container it is given, which is a
 * child container, so nothing global changes at import time.
 */
export interface ArchitecturePlugin {
  /** npm package name, e.g. `@handoff/arm64`. */
  readonly name: string;
  /** Architecture ids this plugin registers. */
  readonly provides: readonly string[];
  /** Registers the plugin's architectures and builders in `container`. */
  register(container: DependencyContainer): void;
}

/** Runtime check that a module export is an `ArchitecturePlugin`. */
export function isArchitecturePlugin(value: unknown): value is ArchitecturePlugin {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === "string" && Array.isArray(v.provides) && typeof v.register === "function";
}
