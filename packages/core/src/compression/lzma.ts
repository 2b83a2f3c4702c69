import { u32le, type Codec, type InflateSink } from "./codec.js";
import { LzmaDecoder } from "./lzma-decoder.js";

// LZMA alone (.lzma), LZMA2 and the .xz container are written from the public-domain
// LZMA SDK specification (lzma-specification.txt) and the .xz file format spec 1.2.0.
// No npm library offers a synchronous, streaming xz decoder with the x86 BCJ
// filter Linux uses (`xz --x86 --lzma2`) and a bounded dictionary; see README.

function isPlausibleDictSize(d: number): boolean {
  // `lzma` writes 2^n or 2^n + 2^(n-1) (xz's lzma_alone encoder rounds up to these).
  for (let n = 12; n <= 31; n++) if (d === 2 ** n || d === 2 ** n + 2 ** (n - 1)) return true;
  return d === 0xffffffff;
}

/** LZMA alone (`.lzma`, `lzma -z`): 13-byte header (properties, dictionary size, uncompressed size or -1), then the range-coded data. */
export const LZMA_CODEC: Codec = {
  id: "lzma",
  tool: "lzma",
  matches(bytes) {
    // No magic: properties byte < 225 (lc=3 lp=0 pb=2 = 0x5d is what every tool writes), a dictionary size a tool writes, a sane size, range coder's first byte 0.
    if (bytes.length < 14 || bytes[0] !== 0x5d) return false;
    if (!isPlausibleDictSize(u32le(bytes, 1))) return false;
    const hi = u32le(bytes, 9);
    const lo = u32le(bytes, 5);
    const unknown = hi === 0xffffffff && lo === 0xffffffff;
    return (unknown || hi < 0x100) && bytes[13] === 0;
  },
  decode(input: Uint8Array, sink: InflateSink): void {
    if (input.length < 13) sink.fail("header", 0, `needs 13 bytes, the stream has ${input.length}`);
    let props = input[0]!;
    if (props >= 9 * 5 * 5) sink.fail("header.properties", 0, `${props} is not below 225`);
    const lc = props % 9;
    props = (props / 9) | 0;
    const lp = props % 5;
    const pb = (props / 5) | 0;
    const dictSize = Math.max(4096, u32le(input, 1));
    const lo = u32le(input, 5);
    const hi = u32le(input, 9);
    const known = !(lo === 0xffffffff && hi === 0xffffffff);
    const size = hi * 2 ** 32 + lo;
    if (known && size > sink.maxOutput) sink.fail("header.uncompressed_size", 5, `says ${size} bytes, more than the cap of ${sink.maxOutput}`);
    const decoder = new LzmaDecoder(known ? Math.min(dictSize, Math.max(size, 4096)) : dictSize, sink, 0);
    decoder.setProperties(lc, lp, pb, 0);
    decoder.resetState();
    decoder.beginRange(input, 13, input.length);
    const marker = decoder.decode(known ? size : undefined);
    decoder.flush();
    if (sink.done) return;
    if (known && !marker && decoder.total !== size) sink.fail("compressed data", decoder.inputPosition, `ends after ${decoder.total} of ${size} bytes`);
    if (known && !marker && decoder.inputPosition < input.length) {
      // an end marker may follow even when the size is known
      if (!decoder.decode(undefined)) sink.fail("compressed data", decoder.inputPosition, "data continues past the uncompressed size");
    }
    if (decoder.inputPosition !== input.length) sink.fail("compressed data", decoder.inputPosition, `${input.length - decoder.inputPosition} byte(s) follow the end of the stream`);
  },
};
