import { resolve } from "node:path";
import { MARKER_PARAM, MARKER_PREFIX, markerInitramfs, requireStaticExecutable } from "@handoff/core/cpio";
import { ValidationError } from "@handoff/core";
import { readFileBounded, writeFileAtomic } from "@handoff/node";
import { defineCommand } from "../cli/command.js";
import { toJson } from "../output.js";
import type { LoadedArchitectures } from "../container.js";

/** Largest busybox binary accepted (checked before reading). */
const MAX_BUSYBOX_BYTES = 64 * 1024 * 1024;

/**
 * `handoff initramfs --busybox FILE --out FILE`: a newc initramfs around a
 * static busybox whose /init prints `HANDOFF-MARKER: <handoff.marker=...>` and
 * powers off. Written atomically.
 */
export async function initramfsCommand(o: { busybox: string; out: string }, cwd: string, loaded: LoadedArchitectures): Promise<string> {
  const path = resolve(cwd, o.busybox);
  const { bytes } = readFileBounded(path, { role: "busybox", maxBytes: MAX_BUSYBOX_BYTES });
  if (!(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) throw new ValidationError(path, "busybox is not an ELF executable (offset 0: no \\x7fELF)");
  requireStaticExecutable(bytes, path, loaded.registry.all());
  const cpio = markerInitramfs(bytes);
  const out = resolve(cwd, o.out);
  await writeFileAtomic(out, cpio, { role: "initramfs" });
  return `wrote ${out} (${cpio.length} bytes): /init prints "${MARKER_PREFIX}<${MARKER_PARAM}=...>" and powers off`;
}

/** `handoff initramfs` */
export const command = defineCommand({
  options: {
    busybox: { type: "string", value: "FILE", required: true, help: "a static busybox executable for the target arch" },
    out: { type: "string", value: "FILE", required: true, help: "where the newc cpio goes (written atomically)" },
  },
  async run({ values }, context) {
    const text = await initramfsCommand({ busybox: values.busybox, out: values.out }, context.cwd, await context.architectures());
    return values.json ? toJson({ out: resolve(context.cwd, values.out) }) : text;
  },
});
