import { resolve } from "node:path";
import { ValidationError, type LinuxBootBuilder, type Segment } from "@handoff/core";
import { readFileBounded } from "@handoff/node";

/** Largest `--dtb` read (the Arm builders plan 2 MiB for the DTB with /chosen added). */
export const MAX_DTB_BYTES = 2 * 1024 * 1024;

/** What `plan` needs to place a devicetree as `build` does. */
export interface PlanDevicetreeRequest {
  readonly arch: string;
  /** The arch's Linux boot builder, when it has one. */
  readonly builder: LinuxBootBuilder | undefined;
  /** `--dtb FILE`, relative to `cwd`. */
  readonly dtbPath: string | undefined;
  /** The DTB a container carries (a UKI's `.dtb`, a FIT's fdt). */
  readonly carried: Uint8Array | undefined;
  readonly kernel: Uint8Array;
  readonly kernelPath: string;
  /** The command line /chosen's bootargs get (`--cmdline`, else the container's). */
  readonly cmdline: string | undefined;
  readonly initrdSize: number | undefined;
  readonly memory: bigint;
  readonly cwd: string;
}

/** Where a boot protocol puts the kernel, DTB and initrd, for `planLoad`. */
export interface ProtocolPlacement {
  readonly placedSegments: readonly Segment[];
  readonly imageBase: bigint;
  readonly initrdAt: bigint | undefined;
}

/**
 * The DTB segment of the plan: the arch's own Linux builder (the one `build`
 * runs) places the kernel, the DTB with /chosen set (bootargs, the initrd's
 * range) and the initrd, so `plan` shows the same DTB at the same address with
 * the same bytes. Undefined when there is no DTB; `--dtb` where the protocol
 * hands over none (x86) is refused as `build` refuses it.
 */
export function planDevicetree(r: PlanDevicetreeRequest): ProtocolPlacement | undefined {
  const dtb = r.dtbPath !== undefined ? readFileBounded(resolve(r.cwd, r.dtbPath), { role: "DTB", maxBytes: MAX_DTB_BYTES }).bytes : r.carried;
  if (dtb === undefined) return undefined;
  const protocol = r.builder?.protocols[0];
  if (r.builder === undefined || protocol === undefined || !r.builder.needsMachineDtb(protocol)) {
    if (r.dtbPath !== undefined) throw new ValidationError("--dtb", `${r.arch} ${protocol ?? "Linux"} boot takes no devicetree`);
    return undefined; // a UKI's .dtb on an arch that hands over none is not used, as by `build`
  }
  // Only the initrd's size decides placement and /chosen; its bytes stay in the file (streamed by the plan).
  const initrd = r.initrdSize === undefined ? undefined : new Uint8Array(r.initrdSize);
  const built = r.builder.build({ protocol, kernel: r.kernel, kernelPath: r.kernelPath, initrd, cmdline: r.cmdline ?? "", machineDtb: dtb, memory: r.memory, noVerify: true });
  const role = (want: string) => built.segments.find((s) => s.role === want);
  const kernel = role("kernel");
  const devicetree = role("dtb");
  if (kernel === undefined || devicetree === undefined) throw new ValidationError(`${r.arch} Linux boot`, "the builder placed no kernel or no DTB segment");
  return { placedSegments: [devicetree], imageBase: kernel.mem, initrdAt: role("initrd")?.mem };
}

