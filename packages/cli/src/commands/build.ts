import { resolve } from "node:path";
import { hex } from "@handoff/core";
import { pictureOfArtefact, renderMemoryMapSvg } from "@handoff/core/svg";
import { defineCommand } from "../cli/command.js";
import { UsageError } from "../cli/usage-error.js";
import { writeFileAtomic } from "@handoff/node";
import { toJson } from "../output.js";
import { ARTEFACT_OPTIONS, artefactOptions } from "./artefact-options.js";
import { artefactFor, writeArtefact } from "./handoff-artefacts.js";

/** `handoff build` */
export const command = defineCommand({
  options: {
    ...ARTEFACT_OPTIONS,
    out: { type: "string", value: "DIR", required: true, help: "the artefact directory, written as one set (a new or earlier artefact directory only)" },
    svg: { type: "string", value: "FILE", help: "also draw what the artefact places in memory into FILE" },
  },
  async run({ values }, context) {
    if (!values.kernel && !values.probe) throw new UsageError("build: give --kernel FILE or --probe", "build");
    const loaded = await context.architectures(values.arch);
    const { artefact } = await artefactFor(loaded, artefactOptions(values), context.cwd);
    const out = resolve(context.cwd, values.out);
    const files = await writeArtefact(artefact, out, toJson);
    if (values.svg !== undefined) await writeFileAtomic(resolve(context.cwd, values.svg), renderMemoryMapSvg(pictureOfArtefact(artefact)), { role: "SVG picture" });
    if (values.json) return toJson({ out, files, arch: artefact.arch, protocol: artefact.protocol, entry: artefact.entry, stubEntry: artefact.stubEntry });
    return [`built ${artefact.arch} ${artefact.protocol} hand-off: stub at ${hex(artefact.stubEntry)}, enters ${hex(artefact.entry)}`, ...files.map((f) => `  ${f}`)].join("\n");
  },
});
