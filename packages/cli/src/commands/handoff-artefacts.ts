import { mkdirSync, readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "../file-io.js";
import { join } from "node:path";
import { BuilderLookup, ValidationError, hex, type Architecture, type HandoffArtefact, type HandoffArtefactBuilder } from "@handoff/core";
import type { LoadedArchitectures } from "../container.js";

/** Largest flat payload `--kernel` accepts (checked before reading the file). */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** The arch and its artefact builder, or a typed error naming what is missing. */
export function builderFor(loaded: LoadedArchitectures, arch: string, protocol?: string): { arch: Architecture; builder: HandoffArtefactBuilder } {
  const architecture = loaded.registry.get(arch);
  // BuilderLookup (core) picks the installed builder that builds `protocol`; NoBuilderError lists what is built.
  return { arch: architecture, builder: loaded.container.resolve(BuilderLookup).artefactBuilder(arch, protocol) };
}

/** Read a flat payload, checking its size before reading it. */
export function readPayload(path: string): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new ValidationError(path, "cannot read the kernel payload", { cause });
  }
  if (size === 0) throw new ValidationError(path, "the kernel payload is empty");
  if (size > MAX_PAYLOAD_BYTES) throw new ValidationError(path, `flat payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  return new Uint8Array(readFileSync(path));
}

/** plan.json: everything about the artefact except its bytes. */
export function planJson(a: HandoffArtefact) {
  return {
    arch: a.arch,
    protocol: a.protocol,
    qemu: a.qemu,
    launch: a.launch,
    stubEntry: a.stubEntry,
    entry: a.entry,
    files: a.files.map((f) => ({ name: f.name, role: f.role, size: f.bytes.length, ...(f.addr === undefined ? {} : { addr: f.addr }) })),
    segments: a.segments.map((s) => ({ name: s.name, role: s.role, mem: s.mem, memsz: s.memsz, bufsz: s.bufsz })),
    indirectionList: { head: a.list.head, maxSteps: a.list.maxSteps, entries: a.list.entries.map((e) => hex(e)) },
    ...(a.pageTableRoot === undefined ? {} : { pageTableRoot: a.pageTableRoot }),
    state: a.state.toJSON(),
  };
}

/** Write the artefact's files and plan.json into `dir`, each atomically (temp file + rename). */
export function writeArtefact(a: HandoffArtefact, dir: string, render: (v: unknown) => string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, bytes: Uint8Array | string) => {
    const final = join(dir, name);
    writeFileAtomic(final, typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
    written.push(final);
  };
  for (const f of a.files) put(f.name, f.bytes);
  put("plan.json", render(planJson(a)) + "\n");
  return written;
}
