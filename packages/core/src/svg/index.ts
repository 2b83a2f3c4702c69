/**
 * `@handoff/core/svg`: the physical memory map as a picture. Pure (no DOM, no
 * `node:*`): the CLI writes the string to a file, the explorer page puts it in
 * the document.
 */
export {
  renderMemoryMapSvg,
  formatSize,
  roleColour,
  MAX_PICTURE_REGIONS,
  type MemoryPicture,
  type MemoryPictureOptions,
  type PictureMemory,
  type PictureRegion,
} from "./memory-map-svg.js";
export { pictureOfPlan, pictureOfImage, pictureOfArtefact } from "./pictures.js";
