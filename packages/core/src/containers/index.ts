export { looksLikePe, parsePe, peSectionData, PE_E_LFANEW_OFFSET, type PeFile, type PeSection } from "./pe.js";
export {
  unwrapImage,
  containerKindOf,
  imageFromUnwrapped,
  PROBE_PREFIX_BYTES,
  type ContainerKind,
  type ContainerLayer,
  type ContainerExtras,
  type UnwrappedImage,
  type UnwrapOptions,
} from "./unwrap.js";
export { openImage, type OpenedImage, type OpenImageOptions } from "./open-image.js";
