import { ValidationError } from "@handoff/core";
import { XEN_AARCH32_PAYLOAD_CODE } from "./aarch32-payload.bytes.js";
import { XEN_AARCH64_PAYLOAD_CODE } from "./aarch64-payload.bytes.js";
import { XEN_X86_32_PV_PAYLOAD_CODE } from "./x86_32-pv-payload.bytes.js";
import { XEN_X86_64_PV_PAYLOAD_CODE } from "./x86_64-pv-payload.bytes.js";
import { XEN_X86_PVH_PAYLOAD_CODE } from "./x86-pvh-payload.bytes.js";
import { BULK_OFFSET, PAYLOAD_HEADER } from "./data-block.js";

/** How QEMU must run Xen for one guest flavour (plain data: the CLI hands it to @handoff/qemu). */
export interface XenRunMachine {
  readonly qemuArch: string;
  readonly machine: string;
  readonly cpu: string;
  readonly memory: string;
  /** Guest RAM the results block is searched in. */
  readonly ram: { readonly base: bigint; readonly size: number; readonly likely?: bigint };
  /** QEMU arguments after `-kernel XEN` (the payload file is substituted for `{payload}`). */
  readonly args: readonly string[];
}

/** One kind of dom0 handoff builds a payload for: arch, width, payload image and machine. */
export interface XenRunFlavour {
  readonly id: string;
  /** Arch package id whose hypercall ABI encodes the calls. */
  readonly arch: string;
  readonly guestBits: 32 | 64;
  readonly guest: "pv" | "pvh" | "dom0";
  readonly description: string;
  /** Guest address minus guest-physical address of the data block. */
  readonly frameBias: bigint;
  /**
   * What the payload writes into its frame table: each block page's machine
   * frame (PV: pseudo-physical is not machine), each page's hash (PVH: the
   * host reads on from page 0 and checks), or nothing (1:1 dom0).
   */
  readonly frameTable: false | "machine-frames" | "page-hashes";
  /** The catalogue type of the start info the payload copies into its block (PVH). */
  readonly startInfo?: string;
  /** SHUTDOWN_* reason the payload ends with. */
  readonly shutdownReason: number;
  /** Xen's command line besides the caller's `--xen-args`. */
  readonly xenArgs: readonly string[];
  /** The dom0 image: payload code with the data block at its fixed offset (and the bulk area at the block's BULK_OFFSET). */
  image(block: Uint8Array, bulk?: Uint8Array): Uint8Array;
  /** How QEMU boots Xen with the payload file as dom0 and this Xen command line. */
  machine(payloadFile: string, xenCommandLine: string): XenRunMachine;
}

/** Image offset of the data block in every payload (the `.S` files add the same constant). */
export const PAYLOAD_DATA_OFFSET = 0x1000;

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function withBlock(code: Uint8Array, block: Uint8Array, bulk?: Uint8Array): Uint8Array {
  if (code.length > PAYLOAD_DATA_OFFSET) throw new ValidationError("xen run payload", `code of ${code.length} bytes overlaps the data block`);
  if (block.length > BULK_OFFSET) throw new ValidationError("xen run payload", `a block of ${block.length} bytes runs into the bulk area`);
  const image = new Uint8Array(PAYLOAD_DATA_OFFSET + (bulk ? BULK_OFFSET + bulk.length : block.length));
  image.set(code);
  image.set(block, PAYLOAD_DATA_OFFSET);
  if (bulk) image.set(bulk, PAYLOAD_DATA_OFFSET + BULK_OFFSET);
  return image;
}

// The generated module spells out bytes up to the last non-zero one; `size` restores the zero tail.
const AARCH64_CODE = new Uint8Array(XEN_AARCH64_PAYLOAD_CODE.size);
AARCH64_CODE.set(hexBytes(XEN_AARCH64_PAYLOAD_CODE.hex));
/** Where QEMU's guest-loader puts dom0 for Xen on the virt board (inside the first 512 MiB of RAM). */
const ARM_DOM0_MODULE = 0x49000000n;

/** Xen's command line on the virt board; noreboot: a crashed dom0 halts at once instead of rebooting in 5 s. */
const ARM_XEN_ARGS = ["console=dtuart", "dtuart=/pl011@9000000", "loglvl=all", "guest_loglvl=all", "dom0_mem=128M", "noreboot"];

/** The virt board with EL2 for Xen; dom0 through QEMU's guest-loader. */
function armMachine(qemuArch: "arm64" | "arm32", payload: string, cmdline: string, likely: bigint): XenRunMachine {
  return {
    qemuArch,
    machine: qemuArch === "arm64" ? "virt,virtualization=on,gic-version=3" : "virt,virtualization=on",
    cpu: qemuArch === "arm64" ? "cortex-a57" : "cortex-a15",
    memory: "512M",
    // Xen 4.17 gives a 128M dom0 its 1:1 bank at 0x50000000 here (its log: "BANK[0]"); a zImage goes near its top.
    ram: { base: 0x40000000n, size: 512 << 20, likely },
    // guest-loader needs a non-empty bootargs or Xen does not take -append as its own command line.
    args: ["-append", cmdline, "-device", `guest-loader,addr=0x${ARM_DOM0_MODULE.toString(16)},kernel=${payload},bootargs=handoff`],
  };
}

/** zImage: the end field (offset 0x2c) is the image size, so Xen copies the data block too. */
function zImage(block: Uint8Array, bulk?: Uint8Array): Uint8Array {
  const image = withBlock(AARCH32_CODE, block, bulk);
  new DataView(image.buffer).setUint32(0x2c, image.length, true);
  return image;
}

const AARCH32_CODE = new Uint8Array(XEN_AARCH32_PAYLOAD_CODE.size);
AARCH32_CODE.set(hexBytes(XEN_AARCH32_PAYLOAD_CODE.hex));

const ARM64_DOM0: XenRunFlavour = {
  id: "arm64",
  arch: "arm64",
  guestBits: 64,
  guest: "dom0",
  description: "AArch64 dom0 on arm64 Xen (1:1, hvc #0xEA1, number in x16)",
  frameBias: 0n,
  frameTable: false,
  shutdownReason: 0, // SHUTDOWN_poweroff
  xenArgs: ARM_XEN_ARGS,
  image: (block, bulk) => withBlock(AARCH64_CODE, block, bulk),
  machine: (payload, cmdline) => armMachine("arm64", payload, cmdline, 0x50000000n),
};

const AARCH32_ON_ARM64: XenRunFlavour = {
  ...ARM64_DOM0,
  id: "arm64-aarch32",
  guestBits: 32,
  description: "AArch32 dom0 on arm64 Xen (1:1, hvc #0xEA1, number in r12; 64-bit xen_ulong_t in memory)",
  image: zImage,
  machine: (payload, cmdline) => armMachine("arm64", payload, cmdline, 0x57e00000n),
};

const ARM32_DOM0: XenRunFlavour = {
  ...AARCH32_ON_ARM64,
  id: "arm32",
  arch: "arm32",
  description: "arm32 dom0 on armhf Xen (1:1, hvc #0xEA1, number in r12)",
  machine: (payload, cmdline) => armMachine("arm32", payload, cmdline, 0x57e00000n),
};

const X86_64_PV_CODE = new Uint8Array(XEN_X86_64_PV_PAYLOAD_CODE.size);
X86_64_PV_CODE.set(hexBytes(XEN_X86_64_PV_PAYLOAD_CODE.hex));

/** The PV payload is a whole ELF file: its PT_LOAD sizes (ELF64 or ELF32 words) must cover the data block. */
function pvElf(code: Uint8Array, symbols: { readonly load_filesz: number; readonly load_memsz: number }, bits: 32 | 64, block: Uint8Array, bulk?: Uint8Array): Uint8Array {
  const image = withBlock(code, block, bulk);
  const view = new DataView(image.buffer);
  for (const at of [symbols.load_filesz, symbols.load_memsz]) {
    if (bits === 64) view.setBigUint64(at, BigInt(image.length), true);
    else view.setUint32(at, image.length, true);
  }
  return image;
}

/** Xen on the PC: serial console on COM1; one dom0 vCPU; noreboot halts at once when dom0 ends. */
const X86_XEN_ARGS = ["console=com1", "com1=115200,8n1", "loglvl=all", "guest_loglvl=all", "dom0_mem=128M", "dom0_max_vcpus=1", "noreboot"];

/** QEMU's pc board: Xen by multiboot1 (`-kernel`), dom0 as the first module (`-initrd "FILE ARGS"`). */
function x86Machine(payload: string, cmdline: string): XenRunMachine {
  if (payload.includes(",")) throw new ValidationError("xen run payload", `${payload}: QEMU's -initrd splits modules at commas`);
  return {
    qemuArch: "x86_64",
    machine: "pc",
    // -cpu max gives Xen SVM with nested paging under TCG (PVH dom0 needs it).
    cpu: "max",
    memory: "512M",
    // Xen 4.17 here allocates dom0 just below its own relocated image (its log: "Dom0 alloc.: 1e800000->1f000000").
    ram: { base: 0n, size: 512 << 20, likely: 0x1e800000n },
    args: ["-append", cmdline, "-initrd", `${payload} handoff`],
  };
}

const X86_64_PV_DOM0: XenRunFlavour = {
  id: "x86_64-pv",
  arch: "x86_64",
  guestBits: 64,
  guest: "pv",
  description: "x86_64 PV dom0 (handoff's ELF with Xen notes, syscall; block read back by the machine frames it reports)",
  // VIRT_BASE 0: a virtual address is the pseudo-physical one.
  frameBias: 0n,
  frameTable: "machine-frames",
  shutdownReason: 0,
  xenArgs: X86_XEN_ARGS,
  image: (block, bulk) => pvElf(X86_64_PV_CODE, XEN_X86_64_PV_PAYLOAD_CODE.symbols, 64, block, bulk),
  machine: x86Machine,
};

const X86_32_PV_CODE = new Uint8Array(XEN_X86_32_PV_PAYLOAD_CODE.size);
X86_32_PV_CODE.set(hexBytes(XEN_X86_32_PV_PAYLOAD_CODE.hex));

/** Needs a Xen built with CONFIG_PV32 (Debian's stock build refuses 32-bit PV guests). */
const X86_32_PV_DOM0: XenRunFlavour = {
  ...X86_64_PV_DOM0,
  id: "x86_32-pv",
  guestBits: 32,
  description: "32-bit PAE PV dom0 on x86_64 Xen with CONFIG_PV32 (handoff's ELF32 with Xen notes, int $0x82, compat ABI; block read back by the machine frames it reports)",
  image: (block, bulk) => pvElf(X86_32_PV_CODE, XEN_X86_32_PV_PAYLOAD_CODE.symbols, 32, block, bulk),
};

const X86_PVH_CODE = new Uint8Array(XEN_X86_PVH_PAYLOAD_CODE.size);
X86_PVH_CODE.set(hexBytes(XEN_X86_PVH_PAYLOAD_CODE.hex));
/** Pages the PVH payload keeps past its file: PML4, PDPT, PD, hypercall page, stack. */
const PVH_EXTRA_PAGES = 5;

/** The PVH ELF: p_filesz the file, p_memsz the file and the payload's own pages; the header says which stage runs the calls. */
function pvhElf(block: Uint8Array, longMode: boolean, bulk?: Uint8Array): Uint8Array {
  const image = withBlock(X86_PVH_CODE, block, bulk);
  const view = new DataView(image.buffer);
  view.setUint32(XEN_X86_PVH_PAYLOAD_CODE.symbols.load_filesz, image.length, true);
  view.setUint32(XEN_X86_PVH_PAYLOAD_CODE.symbols.load_memsz, image.length + PVH_EXTRA_PAGES * 4096, true);
  view.setBigUint64(PAYLOAD_DATA_OFFSET + PAYLOAD_HEADER.longMode, longMode ? 1n : 0n, true);
  return image;
}

/** PVH dom0 (`dom0=pvh`): Xen needs SVM with nested paging (QEMU's -cpu max under TCG) and no IOMMU here. */
const X86_PVH_ARGS = [...X86_XEN_ARGS, "dom0=pvh", "dom0-iommu=none"];

const X86_PVH32_DOM0: XenRunFlavour = {
  id: "x86-pvh32",
  arch: "x86_64",
  guestBits: 32,
  guest: "pvh",
  description: "x86 PVH dom0 in its 32-bit stage (handoff's ELF with PHYS32_ENTRY; calls through the hypercall page it sets up by the MSR Xen's CPUID leaves name, compat ABI)",
  // Paging off: a guest address is guest-physical.
  frameBias: 0n,
  frameTable: "page-hashes",
  startInfo: "hvm_start_info",
  shutdownReason: 0,
  xenArgs: X86_PVH_ARGS,
  image: (block, bulk) => pvhElf(block, false, bulk),
  machine: x86Machine,
};

const X86_PVH64_DOM0: XenRunFlavour = {
  ...X86_PVH32_DOM0,
  id: "x86-pvh64",
  guestBits: 64,
  description: "x86 PVH dom0 after it switched to long mode with its own identity page tables (hypercall page set up in the 32-bit stage, native ABI)",
  image: (block, bulk) => pvhElf(block, true, bulk),
};

/** Every flavour `handoff xen run` can build. */
export const XEN_RUN_FLAVOURS: readonly XenRunFlavour[] = [ARM64_DOM0, AARCH32_ON_ARM64, ARM32_DOM0, X86_64_PV_DOM0, X86_32_PV_DOM0, X86_PVH32_DOM0, X86_PVH64_DOM0];

/** The flavour for `--arch`, `--guest-mode` and `--guest`, or a typed error listing those that exist. */
export function xenRunFlavour(arch: string, guestBits?: 32 | 64, guest?: "pv" | "pvh"): XenRunFlavour {
  const f = XEN_RUN_FLAVOURS.find((x) => x.arch === arch && (guestBits === undefined || x.guestBits === guestBits) && (guest === undefined || x.guest === guest || x.guest === "dom0"));
  if (!f) {
    const known = XEN_RUN_FLAVOURS.map((x) => `--arch ${x.arch} --guest-mode ${x.guestBits}${x.guest === "dom0" ? "" : ` --guest ${x.guest}`}`).join("; ");
    throw new ValidationError("xen run", `no payload for --arch ${arch}${guestBits ? ` --guest-mode ${guestBits}` : ""}${guest ? ` --guest ${guest}` : ""} (built: ${known})`);
  }
  return f;
}
