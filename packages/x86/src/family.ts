import type { ArchitectureDefinition } from "@handoff/core/compose";
import { bzImageFormat } from "./bzimage.js";
import { bzImagePayloadFormat } from "./bzimage-payload.js";
import { PC_MEMORY_LAYOUT } from "./pc-layout.js";
import type { X86Width } from "./width.js";

/**
 * What both x86 architectures declare alike, from their width table: the id
 * and package name (each width is published as `@handoff/<id>`), the ELF
 * machine and width (ELF class, word bits) the table names, little-endian
 * only, the PC as the machine `plan --memory` assumes, and the bzImage formats
 * (one implementation; the parsed image says which width it is). An arch's
 * definition spreads it and adds what is its own.
 */
export function x86ArchitectureBase(width: X86Width): Pick<ArchitectureDefinition, "packageName" | "id" | "elfMachine" | "elfClass" | "wordBits" | "endianness" | "defaultMachine" | "imageFormats"> {
  return { packageName: `@handoff/${width.arch}`, id: width.arch, elfClass: width.word === 8 ? 64 : 32, wordBits: width.word === 8 ? 64 : 32, elfMachine: width.elfMachine, endianness: ["little"], defaultMachine: PC_MEMORY_LAYOUT, imageFormats: [bzImageFormat, bzImagePayloadFormat] };
}
