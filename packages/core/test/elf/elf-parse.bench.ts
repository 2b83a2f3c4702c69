/**
 * Parsing a large ELF kernel must cost far less than copying it: segments
 * reference the file, nothing is copied. Peer: one copy of the same bytes.
 */
import { bench, describe } from "vitest";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { writeElf } from "@handoff/test-support/elf-writer";

const big = writeElf({
  elfClass: 64,
  endian: "little",
  machine: 62,
  entry: 0x100_0000n,
  segments: [
    { type: 1, vaddr: 0xffff_ffff_8100_0000n, paddr: 0x100_0000n, data: new Uint8Array(48 << 20) },
    { type: 1, vaddr: 0xffff_ffff_8400_0000n, paddr: 0x400_0000n, data: new Uint8Array(16 << 20), memsz: 32n << 20n },
  ],
}).bytes;

describe("64 MiB ELF kernel", () => {
  bench("parse (segments reference the file)", () => {
    ELF_IMAGE_FORMAT.parse({ path: "big.elf", bytes: big });
  });
  bench("peer: copy the file once", () => {
    big.slice();
  });
});
