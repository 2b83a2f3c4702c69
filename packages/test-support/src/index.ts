/**
 * @handoff/test-support: what every package's tests share (private, never published).
 * The root holds the light helpers; heavier ones are subpaths named after their file
 * (`@handoff/test-support/page-table-properties`, `/probe-kit`, `/elf-writer`, ...),
 * so a test loads only what it uses.
 */
export * from "./tools.js";
export * from "./temp.js";
export * from "./seed.js";
export * from "./thrown.js";
