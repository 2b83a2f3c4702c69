import { join, resolve } from "node:path";
import { ValidationError, hex, type Architecture, type HandoffArtefact, type HandoffArtefactBuilder } from "@handoff/core";
import { BuilderLookup } from "@handoff/core/compose";
import type { LoadedArchitectures } from "../container.js";
import { readFileBounded, writeDirectorySet } from "@handoff/node";
import { linuxArtefact, type LinuxOptions } from "./linux-boot.js";

/** Largest flat payload `--kernel` accepts (checked before reading the file). */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** The file every artefact directory holds: everything about the artefact except its bytes. */
export const PLAN_FILE = "plan.json";

/** The arch and its artefact builder, or a typed error naming what is missing. */
export function builderFor(loaded: LoadedArchitectures, arch: string, protocol?: string): { arch: Architecture; builder: HandoffArtefactBuilder } {
  const architecture = loaded.registry.get(arch);
  // BuilderLookup (core) picks the installed builder that builds `protocol`; NoBuilderError lists what is built.
  return { arch: architecture, builder: loaded.container.resolve(BuilderLookup).artefactBuilder(arch, protocol) };
}

/** Read a flat payload: a regular, non-empty file of at most {@link MAX_PAYLOAD_BYTES}. */
export function readPayload(path: string): Uint8Array {
  return readFileBounded(path, { role: "kernel payload", maxBytes: MAX_PAYLOAD_BYTES }).bytes;
}

/** What `build` and `boot` are asked for. */
export interface ArtefactOptions extends LinuxOptions {
  /** Builder switches turned on (`--vmm-selectors`). */
  readonly switches: readonly string[];
}

/** The artefact for a request: a real Linux kernel through the Linux builder, else a flat payload or the probe. */
export async function artefactFor(loaded: LoadedArchitectures, o: ArtefactOptions, cwd: string): Promise<{ arch: Architecture; builder: HandoffArtefactBuilder; artefact: HandoffArtefact }> {
  const { arch, builder } = builderFor(loaded, o.arch);
  const linux = await linuxArtefact(loaded, o, cwd);
  const payload = () => (o.probe || !o.kernel ? builder.probePayload() : readPayload(resolve(cwd, o.kernel)));
  const artefact = linux ?? builder.build({ protocol: o.protocol ?? builder.protocols[0]!, payload: payload(), switches: o.switches, entryMode: o.entryMode, noVerify: o.noVerify });
  return { arch, builder, artefact };
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
    ...(a.verify === undefined ? {} : { verify: { regions: a.verify.regions, failPc: a.verify.failPc } }),
    files: a.files.map((f) => ({ name: f.name, role: f.role, size: f.bytes.length, ...(f.addr === undefined ? {} : { addr: f.addr }) })),
    segments: a.segments.map((s) => ({ name: s.name, role: s.role, mem: s.mem, memsz: s.memsz, bufsz: s.bufsz })),
    indirectionList: { head: a.list.head, maxSteps: a.list.maxSteps, entries: a.list.entries.map((e) => hex(e)) },
    ...(a.pageTableRoot === undefined ? {} : { pageTableRoot: a.pageTableRoot }),
    state: a.state.toJSON(),
    ...(a.bootInfo === undefined ? {} : { bootInfo: a.bootInfo }),
  };
}

/**
 * Write the artefact's files and plan.json into `dir` as one set (see
 * `writeDirectorySet` in @handoff/node, which adds the `.handoff-set` marker
 * that lets a later build replace the directory). Returns the paths written.
 */
export async function writeArtefact(a: HandoffArtefact, dir: string, render: (v: unknown) => string): Promise<string[]> {
  const files = [...a.files.map((f) => ({ name: f.name, source: f.bytes })), { name: PLAN_FILE, source: render(planJson(a)) + "\n" }];
  const written = await writeDirectorySet(dir, files);
  return written.files.map((name) => join(dir, name));
}
