/**
 * `struct boot_params`, the x86 "zero page" a loader hands to a Linux kernel
 * in %rsi/%esi (boot.rst "32-bit Boot Protocol" / "64-bit Boot Protocol").
 *
 * Layout: Linux arch/x86/include/uapi/asm/bootparam.h (packed struct, offsets
 * in its comments) and Documentation/arch/x86/zero-page.rst. The builder
 * follows boot.rst: start from 4096 zero bytes, copy the setup header from
 * the kernel from 0x1f1 up to 0x202 + the byte at 0x201, then set the fields
 * a loader writes, only those the kernel's protocol version has.
 */
import { ByteReader, ValidationError, fitsUnsigned, hex, type MemoryRange } from "@handoff/core";
import { E820_ENTRY_SIZE, E820_MAX_ENTRIES_ZEROPAGE, e820FromRange, type E820Entry } from "./e820.js";
import {
  LoadFlags,
  SETUP_HEADER_END,
  SETUP_HEADER_OFFSET,
  SetupHeader,
  XLoadFlags,
  formatProtocolVersion,
  setupHeaderField,
  type SetupHeaderFieldName,
} from "./setup-header.js";

/** boot_params is exactly one 4 KiB page. */
export const BOOT_PARAMS_SIZE = 4096;

/** Names of the boot_params fields (bootparam.h `struct boot_params`), padding included. */
export type BootParamsFieldName =
  | "screen_info"
  | "apm_bios_info"
  | "_pad2"
  | "tboot_addr"
  | "ist_info"
  | "acpi_rsdp_addr"
  | "_pad3"
  | "hd0_info"
  | "hd1_info"
  | "sys_desc_table"
  | "olpc_ofw_header"
  | "ext_ramdisk_image"
  | "ext_ramdisk_size"
  | "ext_cmd_line_ptr"
  | "_pad4"
  | "cc_blob_address"
  | "edid_info"
  | "efi_info"
  | "alt_mem_k"
  | "scratch"
  | "e820_entries"
  | "eddbuf_entries"
  | "edd_mbr_sig_buf_entries"
  | "kbd_status"
  | "secure_boot"
  | "_pad5"
  | "sentinel"
  | "_pad6"
  | "hdr"
  | "_pad7"
  | "edd_mbr_sig_buffer"
  | "e820_table"
  | "_pad8"
  | "eddbuf"
  | "_pad9";

/** Where one boot_params field lives: name, offset and size. */
export interface BootParamsField {
  readonly name: BootParamsFieldName;
  readonly offset: number;
  readonly size: number;
}

/**
 * bootparam.h `struct boot_params`, in order. cc_blob_address (0x13c, from
 * zero-page.rst) is carved out of the end of _pad4.
 */
export const BOOT_PARAMS_LAYOUT: readonly BootParamsField[] = [
  { name: "screen_info", offset: 0x000, size: 0x40 },
  { name: "apm_bios_info", offset: 0x040, size: 0x14 },
  { name: "_pad2", offset: 0x054, size: 4 },
  { name: "tboot_addr", offset: 0x058, size: 8 },
  { name: "ist_info", offset: 0x060, size: 0x10 },
  { name: "acpi_rsdp_addr", offset: 0x070, size: 8 },
  { name: "_pad3", offset: 0x078, size: 8 },
  { name: "hd0_info", offset: 0x080, size: 16 },
  { name: "hd1_info", offset: 0x090, size: 16 },
  { name: "sys_desc_table", offset: 0x0a0, size: 16 },
  { name: "olpc_ofw_header", offset: 0x0b0, size: 16 },
  { name: "ext_ramdisk_image", offset: 0x0c0, size: 4 },
  { name: "ext_ramdisk_size", offset: 0x0c4, size: 4 },
  { name: "ext_cmd_line_ptr", offset: 0x0c8, size: 4 },
  { name: "_pad4", offset: 0x0cc, size: 112 },
  { name: "cc_blob_address", offset: 0x13c, size: 4 },
  { name: "edid_info", offset: 0x140, size: 0x80 },
  { name: "efi_info", offset: 0x1c0, size: 0x20 },
  { name: "alt_mem_k", offset: 0x1e0, size: 4 },
  { name: "scratch", offset: 0x1e4, size: 4 },
  { name: "e820_entries", offset: 0x1e8, size: 1 },
  { name: "eddbuf_entries", offset: 0x1e9, size: 1 },
  { name: "edd_mbr_sig_buf_entries", offset: 0x1ea, size: 1 },
  { name: "kbd_status", offset: 0x1eb, size: 1 },
  { name: "secure_boot", offset: 0x1ec, size: 1 },
  { name: "_pad5", offset: 0x1ed, size: 2 },
  { name: "sentinel", offset: 0x1ef, size: 1 },
  { name: "_pad6", offset: 0x1f0, size: 1 },
  { name: "hdr", offset: SETUP_HEADER_OFFSET, size: SETUP_HEADER_END - SETUP_HEADER_OFFSET },
  { name: "_pad7", offset: SETUP_HEADER_END, size: 0x290 - SETUP_HEADER_END },
  { name: "edd_mbr_sig_buffer", offset: 0x290, size: 16 * 4 },
  { name: "e820_table", offset: 0x2d0, size: E820_MAX_ENTRIES_ZEROPAGE * E820_ENTRY_SIZE },
  { name: "_pad8", offset: 0xcd0, size: 48 },
  { name: "eddbuf", offset: 0xd00, size: 6 * 82 },
  { name: "_pad9", offset: 0xeec, size: 276 },
];

// Struct-table assertions: fields tile the page exactly, and the fixed offsets
// of bootparam.h's comments hold.
{
  let cursor = 0;
  for (const f of BOOT_PARAMS_LAYOUT) {
    if (f.offset !== cursor) throw new Error(`boot_params table: ${f.name} at 0x${f.offset.toString(16)}, expected 0x${cursor.toString(16)}`);
    cursor += f.size;
  }
  if (cursor !== BOOT_PARAMS_SIZE) throw new Error(`boot_params table covers 0x${cursor.toString(16)} bytes, not 4096`);
}

const LAYOUT_BY_NAME = new Map(BOOT_PARAMS_LAYOUT.map((f) => [f.name, f]));

/** Offset of a boot_params field. */
export function bootParamsOffset(name: BootParamsFieldName): number {
  return LAYOUT_BY_NAME.get(name)!.offset;
}

const OFF = {
  acpi_rsdp_addr: bootParamsOffset("acpi_rsdp_addr"),
  ext_ramdisk_image: bootParamsOffset("ext_ramdisk_image"),
  ext_ramdisk_size: bootParamsOffset("ext_ramdisk_size"),
  ext_cmd_line_ptr: bootParamsOffset("ext_cmd_line_ptr"),
  e820_entries: bootParamsOffset("e820_entries"),
  e820_table: bootParamsOffset("e820_table"),
  sentinel: bootParamsOffset("sentinel"),
} as const;

/** screen_info.cl_magic and cl_offset (bootparam.h / screen_info.h offsets 0x20, 0x22): the old command-line protocol. */
const SCREEN_INFO_CL_MAGIC = 0x20;
const SCREEN_INFO_CL_OFFSET = 0x22;

/** boot.rst "type_of_loader": 0xFF = undefined loader (handoff has no assigned id). */
export const LOADER_TYPE_UNDEFINED = 0xff;

/** Everything the kernel will read back from a boot_params page. */
export interface DecodedBootParams {
  readonly header: SetupHeader;
  readonly acpiRsdpAddr: bigint;
  /** ramdisk_image | ext_ramdisk_image << 32. */
  readonly ramdiskImage: bigint;
  readonly ramdiskSize: bigint;
  /** cmd_line_ptr | ext_cmd_line_ptr << 32. */
  readonly cmdLinePtr: bigint;
  readonly e820: readonly E820Entry[];
  readonly sentinel: number;
}

const U32 = 0xffff_ffffn;

/**
 * Builder of a boot_params page for one kernel. Every setter checks the value
 * against the field width and the kernel's protocol version and xloadflags,
 * and refuses (ValidationError) what the kernel could not honour.
 */
export class BootParams {
  private readonly page: Uint8Array;
  private readonly view: DataView;
  /** The kernel's setup header (as copied). */
  readonly kernelHeader: SetupHeader;

  private constructor(page: Uint8Array, header: SetupHeader) {
    this.page = page;
    this.view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    this.kernelHeader = header;
  }

  /**
   * Zero page with the kernel's setup header copied in (0x1f1 up to 0x202 +
   * byte at 0x201, per boot.rst) and type_of_loader = 0xFF.
   * `kernel` is the start of a bzImage file (at least its header sector).
   */
  static forKernel(kernel: Uint8Array, file = "<kernel>"): BootParams {
    const reader = new ByteReader(kernel, file, "bzImage");
    const header = SetupHeader.read(reader);
    const page = new Uint8Array(BOOT_PARAMS_SIZE);
    const end = header.headerEnd;
    if (end > bootParamsOffset("edd_mbr_sig_buffer")) {
      // boot.rst: the header must fit the hole before edd_mbr_sig_buffer (SetupHeader.read already bounds it at 0x281).
      reader.fail("jump", 0x201, `header end 0x${end.toString(16)} would overrun boot_params.edd_mbr_sig_buffer at 0x290`);
    }
    page.set(reader.slice("hdr", SETUP_HEADER_OFFSET, end - SETUP_HEADER_OFFSET), SETUP_HEADER_OFFSET);
    const bp = new BootParams(page, header);
    bp.setHeaderField("type_of_loader", LOADER_TYPE_UNDEFINED);
    return bp;
  }

  /** Decode a boot_params page (4096 bytes), bounds- and count-checked. */
  static decode(bytes: Uint8Array, file = "<boot_params>"): DecodedBootParams {
    const r = new ByteReader(bytes, file, "boot_params");
    if (bytes.length !== BOOT_PARAMS_SIZE) r.fail("boot_params", 0, `is ${bytes.length} bytes, not ${BOOT_PARAMS_SIZE}`);
    const header = SetupHeader.read(r);
    const count = r.u8("e820_entries", OFF.e820_entries);
    if (count > E820_MAX_ENTRIES_ZEROPAGE) r.fail("e820_entries", OFF.e820_entries, `${count} entries, the zero page holds ${E820_MAX_ENTRIES_ZEROPAGE}`);
    const e820: E820Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = OFF.e820_table + i * E820_ENTRY_SIZE;
      e820.push({ addr: r.u64le(`e820_table[${i}].addr`, at), size: r.u64le(`e820_table[${i}].size`, at + 8), type: r.u32le(`e820_table[${i}].type`, at + 16) });
    }
    const lo = (name: SetupHeaderFieldName): bigint => BigInt((header.fields[name] as number | undefined) ?? 0);
    const hi = (off: number, name: string): bigint => BigInt(r.u32le(name, off)) << 32n;
    return {
      header,
      acpiRsdpAddr: r.u64le("acpi_rsdp_addr", OFF.acpi_rsdp_addr),
      ramdiskImage: lo("ramdisk_image") | hi(OFF.ext_ramdisk_image, "ext_ramdisk_image"),
      ramdiskSize: lo("ramdisk_size") | hi(OFF.ext_ramdisk_size, "ext_ramdisk_size"),
      cmdLinePtr: lo("cmd_line_ptr") | hi(OFF.ext_cmd_line_ptr, "ext_cmd_line_ptr"),
      e820,
      sentinel: r.u8("sentinel", OFF.sentinel),
    };
  }

  get protocol(): string {
    return this.kernelHeader.protocol;
  }

  private get above4g(): boolean {
    return (this.kernelHeader.xloadflags & XLoadFlags.XLF_CAN_BE_LOADED_ABOVE_4G) !== 0;
  }

  /**
   * Write one setup-header field. Refused when the kernel's protocol predates
   * the field (boot.rst: "make sure only to set fields supported by the
   * protocol version in use") or the value does not fit its width.
   */
  setHeaderField(name: SetupHeaderFieldName, value: number | bigint): this {
    const f = setupHeaderField(name);
    if (this.kernelHeader.version < f.since) {
      throw new ValidationError(`boot_params.hdr.${name}`, `needs protocol ${formatProtocolVersion(f.since)}, kernel has ${this.protocol}`);
    }
    if (f.offset + f.size > this.kernelHeader.headerEnd) {
      throw new ValidationError(`boot_params.hdr.${name}`, `lies past the kernel's header end 0x${this.kernelHeader.headerEnd.toString(16)}`);
    }
    this.putUnsigned(`boot_params.hdr.${name}`, f.offset, f.size, BigInt(value));
    return this;
  }

  /** Read back one setup-header field from this page. */
  headerField(name: SetupHeaderFieldName): bigint {
    const f = setupHeaderField(name);
    return this.getUnsigned(f.offset, f.size);
  }

  /**
   * type_of_loader = 0xTV (boot.rst "type_of_loader"); ids above 0xd use
   * T = 0xE with ext_loader_type = id - 0x10, and versions above 0xf put
   * their high bits in ext_loader_ver. id 0xf means "undefined" (0xFF).
   */
  setLoader(id: number, version = 0): this {
    if (!Number.isInteger(id) || id < 0 || id > 0x10f || id === 0xe) {
      throw new ValidationError("type_of_loader", `loader id 0x${id.toString(16)} is not 0x0..0xd, 0xf or an extended id 0x10..0x10f`);
    }
    if (!Number.isInteger(version) || version < 0 || version > 0xfff) {
      throw new ValidationError("ext_loader_ver", `loader version 0x${version.toString(16)} does not fit 12 bits`);
    }
    if (id < 0x10) {
      if (version > 0xf && this.kernelHeader.version >= 0x0202) {
        this.setHeaderField("ext_loader_ver", version >> 4);
      }
      return this.setHeaderField("type_of_loader", id === 0xf ? 0xff : (id << 4) | (version & 0xf));
    }
    this.setHeaderField("type_of_loader", 0xe0 | (version & 0xf));
    this.setHeaderField("ext_loader_type", id - 0x10);
    return this.setHeaderField("ext_loader_ver", version >> 4);
  }

  /**
   * Command line at `address`, `length` bytes without the NUL. Checks length
   * against cmdline_size and the address against 4 GiB unless the kernel has
   * XLF_CAN_BE_LOADED_ABOVE_4G (then the high half goes to ext_cmd_line_ptr).
   */
  setCommandLine(address: bigint, length: number): this {
    if (this.kernelHeader.version < 0x0202) {
      throw new ValidationError("cmd_line_ptr", `protocol ${this.protocol} predates cmd_line_ptr (2.02)`);
    }
    if (length > this.kernelHeader.cmdlineSize) {
      throw new ValidationError("command line", `${length} bytes exceed the kernel's cmdline_size ${this.kernelHeader.cmdlineSize}`);
    }
    const end = address + BigInt(length) + 1n;
    this.check64(address, end, "cmd_line_ptr");
    this.setHeaderField("cmd_line_ptr", address & U32);
    this.putUnsigned("ext_cmd_line_ptr", OFF.ext_cmd_line_ptr, 4, address >> 32n);
    return this;
  }

  /**
   * Initrd at `address`, `size` bytes. Below 4 GiB it must also end at or
   * below initrd_addr_max; above 4 GiB needs XLF_CAN_BE_LOADED_ABOVE_4G.
   */
  setRamdisk(address: bigint, size: bigint): this {
    const end = address + size;
    this.check64(address, end, "ramdisk_image");
    if (size > 0n && !this.above4g && end - 1n > BigInt(this.kernelHeader.initrdAddrMax)) {
      throw new ValidationError("ramdisk_image", `initrd ${hex(address)}..${hex(end)} ends above initrd_addr_max ${hex(this.kernelHeader.initrdAddrMax)}`);
    }
    this.setHeaderField("ramdisk_image", address & U32);
    this.setHeaderField("ramdisk_size", size & U32);
    this.putUnsigned("ext_ramdisk_image", OFF.ext_ramdisk_image, 4, address >> 32n);
    this.putUnsigned("ext_ramdisk_size", OFF.ext_ramdisk_size, 4, size >> 32n);
    return this;
  }

  /** heap_end_ptr (2.01+) and the CAN_USE_HEAP loadflag that says it is valid. */
  setHeapEnd(heapEndPtr: number): this {
    this.setHeaderField("heap_end_ptr", heapEndPtr);
    return this.setHeaderField("loadflags", Number(this.headerField("loadflags")) | LoadFlags.CAN_USE_HEAP);
  }

  /** e820 table (at most 128 entries in the zero page) and e820_entries. */
  setE820(entries: readonly (E820Entry | MemoryRange)[]): this {
    if (entries.length > E820_MAX_ENTRIES_ZEROPAGE) {
      throw new ValidationError("e820_table", `${entries.length} entries, the zero page holds ${E820_MAX_ENTRIES_ZEROPAGE} (use SETUP_E820_EXT for more)`);
    }
    this.page.fill(0, OFF.e820_table, OFF.e820_table + E820_MAX_ENTRIES_ZEROPAGE * E820_ENTRY_SIZE);
    entries.forEach((e, i) => {
      const entry = "addr" in e ? e : e820FromRange(e);
      const at = OFF.e820_table + i * E820_ENTRY_SIZE;
      this.putUnsigned(`e820_table[${i}].addr`, at, 8, entry.addr);
      this.putUnsigned(`e820_table[${i}].size`, at + 8, 8, entry.size);
      this.putUnsigned(`e820_table[${i}].type`, at + 16, 4, BigInt(entry.type));
    });
    this.page[OFF.e820_entries] = entries.length;
    return this;
  }

  /** acpi_rsdp_addr (boot_params 0x070). */
  setAcpiRsdp(address: bigint): this {
    this.putUnsigned("acpi_rsdp_addr", OFF.acpi_rsdp_addr, 8, address);
    return this;
  }

  /**
   * Pass on what the running kernel was told about its firmware, from its own
   * boot_params (`/sys/kernel/boot_params/data`), as kexec-tools does for
   * kexec_load (x86-linux-setup.c, setup_linux_system_parameters):
   * - screen_info (0x000, 0x40 bytes): the console the firmware left (VGA
   *   text mode, or a framebuffer's address and geometry); its cl_magic and
   *   cl_offset (0x20, 0x22: the pre-2.02 command-line protocol) are cleared,
   *   the command line is cmd_line_ptr's;
   * - acpi_rsdp_addr (0x070): where the firmware's RSDP is, which the new
   *   kernel could otherwise find only by scanning the BIOS area (not there on
   *   EFI machines);
   * - hdr.hardware_subarch (0x23c, 2.07+): the platform (PC, Xen, ...).
   * efi_info (0x1c0) is not copied: its memory map pointer is the old
   * kernel's. A kexec plan rebuilds it with the runtime map and SETUP_EFI
   * ({@link setEfiInfo}, efi-kexec.ts) or leaves it zero, as kexec-tools'
   * `--noefi` would (e820 and acpi_rsdp_addr only).
   */
  carryFirmwareInfo(running: Uint8Array, file = "<running boot_params>"): this {
    const r = new ByteReader(running, file, "boot_params");
    if (running.length !== BOOT_PARAMS_SIZE) r.fail("boot_params", 0, `is ${running.length} bytes, not ${BOOT_PARAMS_SIZE}`);
    const screen = LAYOUT_BY_NAME.get("screen_info")!;
    this.page.set(r.slice("screen_info", screen.offset, screen.size), screen.offset);
    this.page.fill(0, SCREEN_INFO_CL_MAGIC, SCREEN_INFO_CL_OFFSET + 2);
    this.setAcpiRsdp(r.u64le("acpi_rsdp_addr", OFF.acpi_rsdp_addr));
    const subarch = setupHeaderField("hardware_subarch");
    if (this.kernelHeader.version >= subarch.since) this.setHeaderField("hardware_subarch", r.u32le("hdr.hardware_subarch", subarch.offset));
    return this;
  }

  /** efi_info (0x1c0, bootparam.h struct efi_info, 32 bytes): see efi-kexec.ts's encodeEfiInfo. */
  setEfiInfo(info: Uint8Array): this {
    if (info.length !== 32) throw new ValidationError("efi_info", `${info.length} bytes, not 32`);
    this.page.set(info, bootParamsOffset("efi_info"));
    return this;
  }

  /** setup_data list head (2.09+). */
  setSetupData(address: bigint): this {
    return this.setHeaderField("setup_data", address);
  }

  /** The finished page (a copy). */
  toBytes(): Uint8Array {
    return this.page.slice();
  }

  private check64(address: bigint, end: bigint, field: string): void {
    if (address < 0n || !fitsUnsigned(end, 64)) throw new ValidationError(field, `${hex(address)} wraps past 2^64`);
    if (end > 1n << 32n && !this.above4g) {
      throw new ValidationError(field, `${hex(address)}..${hex(end)} reaches above 4 GiB but the kernel lacks XLF_CAN_BE_LOADED_ABOVE_4G`);
    }
  }

  private putUnsigned(field: string, offset: number, size: number, value: bigint): void {
    if (!fitsUnsigned(value, size * 8)) throw new ValidationError(field, `${hex(value)} does not fit ${size * 8} bits`);
    if (size === 1) this.view.setUint8(offset, Number(value));
    else if (size === 2) this.view.setUint16(offset, Number(value), true);
    else if (size === 4) this.view.setUint32(offset, Number(value), true);
    else this.view.setBigUint64(offset, value, true);
  }

  private getUnsigned(offset: number, size: number): bigint {
    if (size === 1) return BigInt(this.view.getUint8(offset));
    if (size === 2) return BigInt(this.view.getUint16(offset, true));
    if (size === 4) return BigInt(this.view.getUint32(offset, true));
    return this.view.getBigUint64(offset, true);
  }
}
