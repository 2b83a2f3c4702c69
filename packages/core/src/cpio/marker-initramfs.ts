import { NewcArchive } from "./cpio-newc.js";

/** Kernel command-line key whose value the marker initramfs prints. */
export const MARKER_PARAM = "handoff.marker";
/** Prefix of the line the marker initramfs prints on the console. */
export const MARKER_PREFIX = "HANDOFF-MARKER: ";

/**
 * /init for the marker initramfs: proves the kernel found our initrd and our
 * command line, then powers off so a test sees a clean end. `poweroff -f` skips
 * init-system shutdown; the kernel still prints its power-down line.
 */
export const MARKER_INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
for word in $(/bin/busybox cat /proc/cmdline); do
  case "$word" in
    ${MARKER_PARAM}=*) marker="\${word#${MARKER_PARAM}=}" ;;
  esac
done
echo "${MARKER_PREFIX}\${marker:-none}"
/bin/busybox poweroff -f
`;

/**
 * A newc initramfs around a static busybox whose /init prints
 * `HANDOFF-MARKER: <value of handoff.marker=>` and powers off.
 */
export function markerInitramfs(busybox: Uint8Array): Uint8Array {
  return new NewcArchive()
    .directory("bin")
    .directory("dev")
    .directory("proc")
    .characterDevice("dev/console", 5, 1)
    .file("bin/busybox", busybox, 0o755)
    .symlink("bin/sh", "busybox")
    .file("init", MARKER_INIT, 0o755)
    .toBytes();
}
