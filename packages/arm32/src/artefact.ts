import { makeArmArtefactBuilder } from "@handoff/arm";
import type { HandoffArtefactBuilder } from "@handoff/core";
import { ARM32_WIDTH } from "./width.js";

/** arm32 artefacts for QEMU's generic loader: stub, list, staging blobs; PC = stub. */
export const arm32ArtefactBuilder: HandoffArtefactBuilder = makeArmArtefactBuilder(ARM32_WIDTH);
