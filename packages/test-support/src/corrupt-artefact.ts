import type { HandoffArtefact } from "@handoff/core";
import { ElfFile, PT_LOAD } from "@handoff/core/elf";

/**
 * Flip one byte of what an artefact loads at physical `addr` (in place, in
 * the artefact's file bytes) — a segment corrupted after planning, for the
 * stubs' segment check to catch. Loader artefacts: the blob covering `addr`;
 * PVH ELF artefacts: the PT_LOAD whose file bytes cover it. Returns the file
 * and offset changed; throws when nothing the artefact loads covers `addr`.
 */
export function flipLoadedByte(artefact: HandoffArtefact, addr: bigint): { file: string; offset: number } {
  const launch = artefact.launch;
  if (launch.kind === "loader") {
    for (const blob of launch.blobs) {
      const file = artefact.files.find((f) => f.name === blob.file)!;
      if (addr >= blob.addr && addr < blob.addr + BigInt(file.bytes.length)) {
        const offset = Number(addr - blob.addr);
        file.bytes[offset]! ^= 0x01;
        return { file: file.name, offset };
      }
    }
  } else {
    const file = artefact.files.find((f) => f.name === launch.file)!;
    const elf = ElfFile.parse({ path: file.name, bytes: file.bytes });
    for (const ph of elf.programHeaders) {
      if (ph.type === PT_LOAD && addr >= ph.paddr && addr < ph.paddr + ph.filesz) {
        const offset = Number(ph.offset + (addr - ph.paddr));
        file.bytes[offset]! ^= 0x01;
        return { file: file.name, offset };
      }
    }
  }
  throw new Error(`nothing the ${artefact.arch} artefact loads covers 0x${addr.toString(16)}`);
}
