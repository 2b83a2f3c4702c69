import type { PhysicalMemory, PhysicalBytes } from "./types.js";

/**
 * Physical memory backed by a few placed byte ranges; everything else reads as
 * unbacked (a walker turns that into a bus fault rather than inventing zeros).
 */
export class PlacedMemory implements PhysicalMemory {
  private readonly pieces: readonly PhysicalBytes[];

  constructor(pieces: readonly PhysicalBytes[]) {
    this.pieces = [...pieces];
  }

  read(pa: bigint, length: number): Uint8Array | undefined {
    if (pa < 0n || length < 0) return undefined;
    const end = pa + BigInt(length);
    for (const piece of this.pieces) {
      const pieceEnd = piece.pa + BigInt(piece.bytes.length);
      if (pa >= piece.pa && end <= pieceEnd) {
        const off = Number(pa - piece.pa);
        return piece.bytes.subarray(off, off + length);
      }
    }
    return undefined;
  }
}

/**
 * One little-endian table entry of `bytes` bytes at `pa`, as a walker reads it
 * (every format handoff builds is little-endian); undefined where `memory` has
 * no bytes there, which the walker reports as a bus fault.
 */
export function readTableEntry(memory: PhysicalMemory, pa: bigint, bytes: 4 | 8): bigint | undefined {
  const raw = memory.read(pa, bytes);
  if (!raw || raw.length < bytes) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, bytes);
  return bytes === 4 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
}
