import { ValidationError, type Image } from "@handoff/core";

/**
 * Linux's COMMAND_LINE_SIZE where the image itself does not say: the kernel
 * copies /chosen/bootargs into a buffer of this many bytes including the NUL
 * (arch/arm64/include/uapi/asm/setup.h: 2048; arch/arm/include/uapi/asm/setup.h: 1024)
 * and truncates the rest silently, so a longer command line is refused here.
 */
export const LINUX_COMMAND_LINE_SIZE: Readonly<Record<string, number>> = { arm64: 2048, arm32: 1024 };

/**
 * The longest command line (bytes, without the NUL) a kernel accepts: an x86
 * bzImage's own `cmdline_size` (boot.rst: "maximum size of the command line
 * without the terminating zero"), else the arch's COMMAND_LINE_SIZE - 1.
 */
export function cmdlineLimit(archId: string, image: Pick<Image, "metadata"> | undefined): { bytes: number; source: string } | undefined {
  const fromHeader = (image?.metadata as { cmdlineSize?: unknown } | undefined)?.cmdlineSize;
  if (typeof fromHeader === "number") return { bytes: fromHeader, source: `the kernel's cmdline_size ${fromHeader}` };
  const size = LINUX_COMMAND_LINE_SIZE[archId];
  return size === undefined ? undefined : { bytes: size - 1, source: `${archId} Linux's limit of ${size - 1} (COMMAND_LINE_SIZE ${size} with the NUL)` };
}

/** Refuse a command line the kernel would not take whole: the same verdict from `plan`, `build` and `boot`. */
export function checkCmdline(archId: string, image: Pick<Image, "metadata"> | undefined, cmdline: string | undefined): void {
  if (cmdline === undefined) return;
  const limit = cmdlineLimit(archId, image);
  const length = new TextEncoder().encode(cmdline).length;
  if (limit !== undefined && length > limit.bytes) throw new ValidationError("command line", `${length} bytes exceed ${limit.source}`);
}
