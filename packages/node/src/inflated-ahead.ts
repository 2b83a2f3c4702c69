/**
 * What `inflateAhead` (./inflate-ahead.ts) inflated, waiting for the
 * synchronous inflate of exactly the same bytes (./native-codecs.ts takes it).
 */

/** An inflate done ahead: the stream's place in its buffer and what it inflates to. */
interface InflatedAhead {
  readonly byteOffset: number;
  readonly length: number;
  readonly bytes: Uint8Array;
}

/** Results waiting for their synchronous inflate, by the buffer the stream lies in (gone with it). */
const waiting = new WeakMap<ArrayBufferLike, InflatedAhead[]>();

/**
 * What `inflateAhead` made of exactly `stream` (same buffer, offset and
 * length), taken once; undefined when there is none or it is over `maxOutput`.
 */
export function takeInflatedAhead(stream: Uint8Array, maxOutput: number): Uint8Array | undefined {
  const list = waiting.get(stream.buffer);
  const i = list?.findIndex((e) => e.byteOffset === stream.byteOffset && e.length === stream.length) ?? -1;
  if (list === undefined || i < 0) return undefined;
  const [entry] = list.splice(i, 1);
  if (list.length === 0) waiting.delete(stream.buffer);
  return entry!.bytes.length <= maxOutput ? entry!.bytes : undefined;
}

/** Keep `bytes` as what exactly `stream` (its buffer, offset and length) inflates to, for {@link takeInflatedAhead}. */
export function keepInflatedAhead(stream: Uint8Array, bytes: Uint8Array): void {
  const list = waiting.get(stream.buffer) ?? [];
  list.push({ byteOffset: stream.byteOffset, length: stream.length, bytes });
  waiting.set(stream.buffer, list);
}
