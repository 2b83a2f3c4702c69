import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { MARKER_PARAM, MARKER_PREFIX, markerInitramfs } from "@handoff/core/cpio";
import { ValidationError } from "@handoff/core";
import { writeFileAtomic } from "../file-io.js";

/** Largest busybox binary accepted (checked before reading). */
const MAX_BUSYBOX_BYTES = 64 * 1024 * 1024;

/**
 * `handoff initramfs --busybox FILE --out FILE`: a newc initramfs around a
 * static busybox whose /init prints `HANDOFF-MARKER: <handoff.marker=...>` and
 * powers off. Written atomically.
 */
export function initramfsCommand(o: { busybox: string; out: string }, cwd: string): string {
  const path = resolve(cwd, o.busybox);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new ValidationError(path, "cannot read busybox", { cause });
  }
  if (size === 0 || size > MAX_BUSYBOX_BYTES) throw new ValidationError(path, `busybox of ${size} bytes is not in (0, ${MAX_BUSYBOX_BYTES}]`);
  const bytes = new Uint8Array(readFileSync(path));
  if (!(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) throw new ValidationError(path, "busybox is not an ELF executable (offset 0: no \\x7fELF)");
  const cpio = markerInitramfs(bytes);
  const out = resolve(cwd, o.out);
  writeFileAtomic(out, cpio);
  return `wrote ${out} (${cpio.length} bytes): /init prints "${MARKER_PREFIX}<${MARKER_PARAM}=...>" and powers off`;
}
