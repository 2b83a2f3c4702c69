import { makeArmArtefactBuilder } from "@handoff/arm";
import type { HandoffArtefactBuilder } from "@handoff/core";
import { ARM64_WIDTH } from "./width.js";

/** arm64 artefacts for QEMU's generic loader: stub, list, staging blobs; PC = stub. */
export const arm64ArtefactBuilder: HandoffArtefactBuilder = makeArmArtefactBuilder(ARM64_WIDTH);
