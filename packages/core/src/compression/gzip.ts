import { Gunzip } from "fflate";
import { HandoffError } from "../errors.js";
import { startsWith, type Codec, type InflateSink } from "./codec.js";
import { crc32 } from "./checksums.js";

// gzip (RFC 1952) through fflate's streaming inflater: pure JS, MIT, the most
// used small deflate library on npm. fflate does not check the member's CRC-32
// or ISIZE, so this wrapper does.
const GZIP_MAGIC = [0x1f, 0x8b];
/** RFC 1952 §2.3: CM 8 = deflate, the only method defined. */
const CM_DEFLATE = 8;
/** Input is fed in pieces of this size so output streams while input is read. */
const CHUNK = 1 << 16;
/** A member ends with CRC32 and ISIZE, 4 bytes each (RFC 1952 §2.3.1). */
const TRAILER = 8;

/** gzip (RFC 1952) through fflate, with each member's CRC32 and ISIZE checked against the cap. */
export const GZIP_CODEC: Codec = {
  id: "gzip",
  tool: "gzip",
  matches: (bytes) => startsWith(bytes, GZIP_MAGIC),
  decode(input: Uint8Array, sink: InflateSink): void {
    if (input.length < 18) sink.fail("header", 0, `a gzip member needs at least 18 bytes, the stream has ${input.length}`);
    if (input[2] !== CM_DEFLATE) sink.fail("header.CM", 2, `compression method ${input[2]} is not deflate (8)`);
    let crc = 0;
    let at = 0;
    let size = 0;
    const inflater = new Gunzip((chunk) => {
      crc = crc32(chunk, crc);
      size += chunk.length;
      sink.write(chunk, at);
    });
    for (; at < input.length && !sink.done; at += CHUNK) {
      try {
        inflater.push(input.subarray(at, at + CHUNK), at + CHUNK >= input.length);
      } catch (cause) {
        if (cause instanceof HandoffError) throw cause;
        if (cause instanceof Error && "code" in cause) sink.fail("deflate data", at, cause.message, { cause });
        throw cause;
      }
    }
    if (sink.done) return;
    const end = input.length - TRAILER;
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    if (view.getUint32(end, true) !== crc) sink.fail("trailer.CRC32", end, `0x${view.getUint32(end, true).toString(16)} does not match the data's 0x${crc.toString(16)} (or trailing bytes follow the member)`);
    if (view.getUint32(end + 4, true) !== size >>> 0) sink.fail("trailer.ISIZE", end + 4, `says ${view.getUint32(end + 4, true)} bytes but the member inflates to ${size}`);
  },
};
