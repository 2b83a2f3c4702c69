/**
 * Suffix of a `--kernel` that names the vmlinux inside a bzImage. In its own
 * module so `plan` can take it without loading the Linux-boot command (and QEMU's
 * machine code and node:child_process with it) on every run.
 */
export const PAYLOAD_SUFFIX = "#payload";
