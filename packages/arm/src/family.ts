import type { ArchitectureDefinition } from "@handoff/core/compose";
import { ARM_VIRT_MEMORY_LAYOUT } from "./virt.js";
import type { ArmWidth } from "./width.js";

/**
 * What both Arm architectures declare alike, from their width table: the id
 * and package name (each width is published as `@handoff/<id>`), the ELF
 * machine and width (ELF class, word bits) the table names, both byte orders
 * (the Arm ARM defines big-endian data on either width: BE8 / AArch64 EE),
 * and QEMU `virt` as the machine `plan --memory` assumes. An arch's
 * definition spreads it and adds what is its own.
 */
export function armArchitectureBase(width: ArmWidth): Pick<ArchitectureDefinition, "packageName" | "id" | "elfClass" | "wordBits" | "elfMachine" | "endianness" | "defaultMachine"> {
  return { packageName: `@handoff/${width.arch}`, id: width.arch, elfClass: width.word === 8 ? 64 : 32, wordBits: width.word === 8 ? 64 : 32, elfMachine: width.elfMachine, endianness: ["little", "big"], defaultMachine: ARM_VIRT_MEMORY_LAYOUT };
}
