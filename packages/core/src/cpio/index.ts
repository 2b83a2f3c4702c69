/**
 * @handoff/core/cpio: newc cpio archives (initramfs) and the marker initramfs.
 * @packageDocumentation
 */
export { NewcArchive, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, type CpioEntry } from "./cpio-newc.js";
export { markerInitramfs, MARKER_INIT, MARKER_PARAM, MARKER_PREFIX } from "./marker-initramfs.js";
export { requireStaticExecutable } from "./static-executable.js";
