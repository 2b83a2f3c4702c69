/**
 * @handoff/core/link: linking a relocatable ELF object (purgatory-style) with
 * an architecture's Relocator, and stub images with typed data-block writes.
 * @packageDocumentation
 */
export {
  RelocationValueError,
  checkRange,
  checkSignedBits,
  checkUnsignedBits,
  checkBitfield,
  checkAlignment,
  readField,
  writeField,
  signExtend,
  type Relocator,
  type RelocationSite,
} from "./relocator.js";
export { RelocationError, LinkError, type RelocationLocation } from "./link-errors.js";
export { linkObject, type LinkOptions, type LinkedObject, type PlacedSection, type SectionGroup } from "./linker.js";
export { StubImage, type StubCode } from "./stub-code.js";
export { defineRelocator, type RelocationType, type RelocatorDefinition } from "./define-relocator.js";
