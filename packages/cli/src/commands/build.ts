import { resolve } from "node:path";
import { pictureOfArtefact, renderMemoryMapSvg } from "@handoff/core/svg";
import { writeSvgFile } from "../svg-output.js";
import type { LoadedArchitectures } from "../container.js";
import { toJson } from "../output.js";
import { builderFor, readPayload, writeArtefact } from "./handoff-artefacts.js";
import { linuxArtefact } from "./linux-boot.js";

export interface BuildOptions {
  readonly arch: string;
  readonly protocol?: string;
  /** A flat payload entered at its first byte; omitted with `probe`. */
  readonly kernel?: string;
  readonly probe: boolean;
  readonly vmmSelectors: boolean;
  readonly entryMode?: string;
  readonly out: string;
  readonly json: boolean;
  /** Linux boots: initrd file and command line. */
  readonly initrd?: string;
  readonly cmdline?: string;
  /** Also draw what the artefact places in memory into this SVG file. */
  readonly svg?: string;
}

/** `handoff build`: write a bootable artefact and plan.json into a directory. */
export function buildCommand(loaded: LoadedArchitectures, o: BuildOptions, cwd: string): string {
  const { builder } = builderFor(loaded, o.arch);
  const linux = linuxArtefact(loaded, o, cwd);
  const artefact =
    linux ?? builder.build({ protocol: o.protocol ?? builder.protocols[0]!, payload: o.probe || !o.kernel ? builder.probePayload() : readPayload(resolve(cwd, o.kernel)), vmmSelectors: o.vmmSelectors, entryMode: o.entryMode });
  const files = writeArtefact(artefact, resolve(cwd, o.out), toJson);
  if (o.svg !== undefined) writeSvgFile(resolve(cwd, o.svg), renderMemoryMapSvg(pictureOfArtefact(artefact)));
  if (o.json) return toJson({ out: resolve(cwd, o.out), files, arch: artefact.arch, protocol: artefact.protocol, entry: artefact.entry, stubEntry: artefact.stubEntry });
  return [`built ${artefact.arch} ${artefact.protocol} hand-off: stub at 0x${artefact.stubEntry.toString(16)}, enters 0x${artefact.entry.toString(16)}`, ...files.map((f) => `  ${f}`)].join("\n");
}
