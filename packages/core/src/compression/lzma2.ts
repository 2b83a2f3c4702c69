// LZMA2 chunks (xz spec §5.3.1): control byte, sizes, optional properties, then
// LZMA data or a stored run, over one shared LZMA decoder.
import type { InflateSink } from "./codec.js";
import { LzmaDecoder } from "./lzma-decoder.js";

/** LZMA2 chunks (xz spec §5.3.1; the chunk format is in xz-embedded's and liblzma's documentation). */
export function decodeLzma2(input: Uint8Array, start: number, end: number, decoder: LzmaDecoder, sink: InflateSink): { end: number; size: number } {
  let ip = start;
  let size = 0;
  let needDictReset = true;
  let needProps = true;
  for (;;) {
    if (sink.done) return { end: ip, size };
    if (ip >= end) sink.fail("LZMA2 chunk", ip, "truncated (no end marker)");
    const control = input[ip]!;
    if (control === 0x00) {
      decoder.flush();
      return { end: ip + 1, size };
    }
    if (control === 0x01 || control === 0x02) {
      if (end - ip < 3) sink.fail("LZMA2 chunk", ip, "truncated header");
      const n = ((input[ip + 1]! << 8) | input[ip + 2]!) + 1;
      if (control === 0x01) {
        decoder.resetDictionary();
        needDictReset = false;
      } else if (needDictReset) sink.fail("LZMA2 chunk.control", ip, "first chunk does not reset the dictionary");
      if (n > end - ip - 3) sink.fail("LZMA2 chunk.size", ip + 1, "stored chunk runs past the end of the block");
      decoder.copyStored(input.subarray(ip + 3, ip + 3 + n));
      decoder.flush();
      size += n;
      ip += 3 + n;
      continue;
    }
    if (control < 0x80) sink.fail("LZMA2 chunk.control", ip, `0x${control.toString(16)} is not a chunk type`);
    if (end - ip < 5) sink.fail("LZMA2 chunk", ip, "truncated header");
    const unpacked = ((control & 0x1f) << 16) + (input[ip + 1]! << 8) + input[ip + 2]! + 1;
    const packed = (input[ip + 3]! << 8) + input[ip + 4]! + 1;
    const reset = (control >>> 5) & 3;
    let at = ip + 5;
    if (reset === 3) {
      decoder.resetDictionary();
      needDictReset = false;
    } else if (needDictReset) sink.fail("LZMA2 chunk.control", ip, "first chunk does not reset the dictionary");
    if (reset >= 2) {
      if (at >= end) sink.fail("LZMA2 chunk.properties", at, "truncated");
      let props = input[at]!;
      if (props >= 9 * 5 * 5) sink.fail("LZMA2 chunk.properties", at, `${props} is not below 225`);
      const lc = props % 9;
      props = (props / 9) | 0;
      decoder.setProperties(lc, props % 5, (props / 5) | 0, at);
      at++;
      needProps = false;
    } else if (needProps) sink.fail("LZMA2 chunk.control", ip, "chunk needs properties set by an earlier chunk");
    if (reset >= 1) decoder.resetState();
    if (packed > end - at) sink.fail("LZMA2 chunk.packed_size", ip + 3, "runs past the end of the block");
    decoder.beginRange(input, at, at + packed);
    decoder.decode(unpacked);
    if (sink.done) return { end: ip, size };
    if (decoder.inputPosition !== at + packed || !decoder.rangeFinished) sink.fail("LZMA2 chunk.packed_size", ip + 3, `data ends at 0x${decoder.inputPosition.toString(16)}, not at the chunk's end 0x${(at + packed).toString(16)}`);
    decoder.flush();
    size += unpacked;
    ip = at + packed;
  }
}

/**
 * Walk LZMA2 chunk headers from `ip` without decoding: where the end marker
 * leaves off, and the sum of the sizes the chunks state. A decoder must give
 * each chunk exactly its stated size, so the sum bounds the output.
 */
export function lzma2OutputBound(input: Uint8Array, ip: number, sink: InflateSink): { end: number; size: number } {
  let size = 0;
  for (;;) {
    if (ip >= input.length) sink.fail("LZMA2 chunk", ip, "truncated (no end marker)");
    const control = input[ip]!;
    if (control === 0x00) return { end: ip + 1, size };
    const header = control >= 0x80 ? 5 : 3;
    if (control < 0x80 && control > 0x02) sink.fail("LZMA2 chunk.control", ip, `0x${control.toString(16)} is not a chunk type`);
    if (input.length - ip < header) sink.fail("LZMA2 chunk", ip, "truncated header");
    const stated = (input[ip + 1]! << 8) + input[ip + 2]! + 1;
    if (header === 3) {
      size += stated;
      ip += 3 + stated;
    } else {
      size += ((control & 0x1f) << 16) + stated; // unpacked; then packed size, and a properties byte from 0xC0
      ip += header + (control >= 0xc0 ? 1 : 0) + (input[ip + 3]! << 8) + input[ip + 4]! + 1;
    }
  }
}
