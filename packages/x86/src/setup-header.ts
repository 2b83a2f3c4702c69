/**
 * The Linux/x86 real-mode kernel header ("setup header") of a bzImage.
 *
 * Source: Linux Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"
 * and "Details of Header Fields"; field layout cross-checked against the
 * packed `struct setup_header` in arch/x86/include/uapi/asm/bootparam.h.
 * All fields are little-endian.
 */
import { ByteReader } from "@handoff/core";

/** boot.rst: the header starts at file offset 0x1f1 (and at 0x1f1 in boot_params). */
export const SETUP_HEADER_OFFSET = 0x1f1;
/** boot.rst "jump": 0xEB followed by a signed offset relative to 0x202; the byte at 0x201 gives the header end. */
export const SETUP_HEADER_JUMP_OFFSET = 0x200;
/** boot.rst: "header" field, magic "HdrS". */
export const SETUP_HEADER_MAGIC_OFFSET = 0x202;
/** "HdrS" read as a little-endian u32 (boot.rst: 0x53726448). */
export const SETUP_HEADER_MAGIC = 0x53726448;
/** boot.rst "boot_flag": 0xAA55 at 0x1fe. */
export const BOOT_FLAG_OFFSET = 0x1fe;
/** boot.rst "boot_flag" value 0xAA55 at 0x1fe. */
export const BOOT_FLAG_MAGIC = 0xaa55;
/** boot.rst: a sector is 512 bytes regardless of the medium. */
export const SECTOR_SIZE = 512;
/** boot.rst note (1): setup_sects 0 means 4. */
export const SETUP_SECTS_DEFAULT = 4;
/** boot.rst "Loading The Rest of The Kernel": bzImage protected-mode load address. */
export const BZIMAGE_LOAD_ADDRESS = 0x100000n;
/** boot.rst "64-bit Boot Protocol": 64-bit entry is the load address + 0x200. */
export const ENTRY64_OFFSET = 0x200n;
/** boot.rst: cmdline_size before protocol 2.06 was 255. */
export const LEGACY_CMDLINE_SIZE = 255;
/** boot.rst "initrd_addr_max": 0x37FFFFFF for protocol 2.02 and earlier. */
export const LEGACY_INITRD_ADDR_MAX = 0x37ffffff;
/** boot.rst kernel_info "header" magic "LToP" (0x506f544c). */
export const KERNEL_INFO_MAGIC = 0x506f544c;

/** loadflags bits (boot.rst "loadflags"; bootparam.h). */
export const LoadFlags = {
  LOADED_HIGH: 1 << 0,
  KASLR_FLAG: 1 << 1,
  QUIET_FLAG: 1 << 5,
  KEEP_SEGMENTS: 1 << 6,
  CAN_USE_HEAP: 1 << 7,
} as const;

/** xloadflags bits (boot.rst "xloadflags"; bootparam.h XLF_*). */
export const XLoadFlags = {
  XLF_KERNEL_64: 1 << 0,
  XLF_CAN_BE_LOADED_ABOVE_4G: 1 << 1,
  XLF_EFI_HANDOVER_32: 1 << 2,
  XLF_EFI_HANDOVER_64: 1 << 3,
  XLF_EFI_KEXEC: 1 << 4,
  XLF_5LEVEL: 1 << 5,
  XLF_5LEVEL_ENABLED: 1 << 6,
} as const;

/** Protocol version as (major << 8) | minor, e.g. 0x020f for 2.15. */
export type ProtocolVersion = number;

/** Names of the setup header fields (boot.rst "The Real-Mode Kernel Header"). */
export type SetupHeaderFieldName =
  | "setup_sects"
  | "root_flags"
  | "syssize"
  | "ram_size"
  | "vid_mode"
  | "root_dev"
  | "boot_flag"
  | "jump"
  | "header"
  | "version"
  | "realmode_swtch"
  | "start_sys_seg"
  | "kernel_version"
  | "type_of_loader"
  | "loadflags"
  | "setup_move_size"
  | "code32_start"
  | "ramdisk_image"
  | "ramdisk_size"
  | "bootsect_kludge"
  | "heap_end_ptr"
  | "ext_loader_ver"
  | "ext_loader_type"
  | "cmd_line_ptr"
  | "initrd_addr_max"
  | "kernel_alignment"
  | "relocatable_kernel"
  | "min_alignment"
  | "xloadflags"
  | "cmdline_size"
  | "hardware_subarch"
  | "hardware_subarch_data"
  | "payload_offset"
  | "payload_length"
  | "setup_data"
  | "pref_address"
  | "init_size"
  | "handover_offset"
  | "kernel_info_offset";

/** Where one setup header field lives: name, offset and size. */
export interface SetupHeaderField {
  readonly name: SetupHeaderFieldName;
  /** Offset in the file and in boot_params (they coincide). */
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  /** Protocol version that introduced it (boot.rst "Proto" column; ALL = 0). */
  readonly since: ProtocolVersion;
}

/**
 * boot.rst header table, in order. `since` 0 stands for "ALL". init_size and
 * handover_offset carry no Proto column entry in the details section; the
 * protocol history dates them 2.10 and 2.11.
 */
export const SETUP_HEADER_FIELDS: readonly SetupHeaderField[] = [
  { name: "setup_sects", offset: 0x1f1, size: 1, since: 0 },
  { name: "root_flags", offset: 0x1f2, size: 2, since: 0 },
  { name: "syssize", offset: 0x1f4, size: 4, since: 0x0204 },
  { name: "ram_size", offset: 0x1f8, size: 2, since: 0 },
  { name: "vid_mode", offset: 0x1fa, size: 2, since: 0 },
  { name: "root_dev", offset: 0x1fc, size: 2, since: 0 },
  { name: "boot_flag", offset: 0x1fe, size: 2, since: 0 },
  { name: "jump", offset: 0x200, size: 2, since: 0x0200 },
  { name: "header", offset: 0x202, size: 4, since: 0x0200 },
  { name: "version", offset: 0x206, size: 2, since: 0x0200 },
  { name: "realmode_swtch", offset: 0x208, size: 4, since: 0x0200 },
  { name: "start_sys_seg", offset: 0x20c, size: 2, since: 0x0200 },
  { name: "kernel_version", offset: 0x20e, size: 2, since: 0x0200 },
  { name: "type_of_loader", offset: 0x210, size: 1, since: 0x0200 },
  { name: "loadflags", offset: 0x211, size: 1, since: 0x0200 },
  { name: "setup_move_size", offset: 0x212, size: 2, since: 0x0200 },
  { name: "code32_start", offset: 0x214, size: 4, since: 0x0200 },
  { name: "ramdisk_image", offset: 0x218, size: 4, since: 0x0200 },
  { name: "ramdisk_size", offset: 0x21c, size: 4, since: 0x0200 },
  { name: "bootsect_kludge", offset: 0x220, size: 4, since: 0x0200 },
  { name: "heap_end_ptr", offset: 0x224, size: 2, since: 0x0201 },
  { name: "ext_loader_ver", offset: 0x226, size: 1, since: 0x0202 },
  { name: "ext_loader_type", offset: 0x227, size: 1, since: 0x0202 },
  { name: "cmd_line_ptr", offset: 0x228, size: 4, since: 0x0202 },
  { name: "initrd_addr_max", offset: 0x22c, size: 4, since: 0x0203 },
  { name: "kernel_alignment", offset: 0x230, size: 4, since: 0x0205 },
  { name: "relocatable_kernel", offset: 0x234, size: 1, since: 0x0205 },
  { name: "min_alignment", offset: 0x235, size: 1, since: 0x020a },
  { name: "xloadflags", offset: 0x236, size: 2, since: 0x020c },
  { name: "cmdline_size", offset: 0x238, size: 4, since: 0x0206 },
  { name: "hardware_subarch", offset: 0x23c, size: 4, since: 0x0207 },
  { name: "hardware_subarch_data", offset: 0x240, size: 8, since: 0x0207 },
  { name: "payload_offset", offset: 0x248, size: 4, since: 0x0208 },
  { name: "payload_length", offset: 0x24c, size: 4, since: 0x0208 },
  { name: "setup_data", offset: 0x250, size: 8, since: 0x0209 },
  { name: "pref_address", offset: 0x258, size: 8, since: 0x020a },
  { name: "init_size", offset: 0x260, size: 4, since: 0x020a },
  { name: "handover_offset", offset: 0x264, size: 4, since: 0x020b },
  { name: "kernel_info_offset", offset: 0x268, size: 4, since: 0x020f },
];

/** End (exclusive) of the setup header as of protocol 2.15: 0x26c. */
export const SETUP_HEADER_END = 0x26c;
/** sizeof(struct setup_header) in bootparam.h (packed): 123 bytes. */
export const SETUP_HEADER_SIZE = SETUP_HEADER_END - SETUP_HEADER_OFFSET;

// Struct-table assertions: the fields tile 0x1f1..0x26c with no gap or overlap.
{
  let cursor = SETUP_HEADER_OFFSET;
  for (const f of SETUP_HEADER_FIELDS) {
    if (f.offset !== cursor) throw new Error(`setup header table: ${f.name} at 0x${f.offset.toString(16)}, expected 0x${cursor.toString(16)}`);
    cursor += f.size;
  }
  if (cursor !== SETUP_HEADER_END || SETUP_HEADER_SIZE !== 123) throw new Error("setup header table does not end at 0x26c");
}

const FIELD_BY_NAME = new Map(SETUP_HEADER_FIELDS.map((f) => [f.name, f]));

/** Look up a field's layout by name. */
export function setupHeaderField(name: SetupHeaderFieldName): SetupHeaderField {
  return FIELD_BY_NAME.get(name)!;
}

/** Raw field values, numbers for fields up to 32 bits, bigints for 64-bit ones; `undefined` when the protocol predates the field. */
export type SetupHeaderValues = {
  readonly [K in SetupHeaderFieldName]: number | bigint | undefined;
};

/** "2.15" from 0x020f. */
export function formatProtocolVersion(version: ProtocolVersion): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, "0")}`;
}

/** Names of the set bits of `value` according to `table`, plus `0x..` for unknown bits. */
export function flagNames(value: number, table: Readonly<Record<string, number>>): string[] {
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of Object.entries(table)) {
    if (value & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

/**
 * A decoded setup header. Numeric fields are those of `struct setup_header`;
 * fields the kernel's protocol version does not have are `undefined`.
 */
export class SetupHeader {
  private constructor(
    /** Every field by name (undefined where the protocol predates it). */
    readonly fields: SetupHeaderValues,
    /** Protocol version, (major << 8) | minor. */
    readonly version: ProtocolVersion,
    /** End of the header in the file: 0x202 + the byte at 0x201 (boot.rst "32-bit Boot Protocol"). */
    readonly headerEnd: number,
  ) {}

  /** Effective setup_sects (0 means 4). */
  get setupSects(): number {
    const s = this.fields.setup_sects as number;
    return s === 0 ? SETUP_SECTS_DEFAULT : s;
  }

  /** Bytes of real-mode code (boot sector + setup): (setup_sects + 1) * 512. */
  get setupSize(): number {
    return (this.setupSects + 1) * SECTOR_SIZE;
  }

  get protocol(): string {
    return formatProtocolVersion(this.version);
  }

  get loadflags(): number {
    return this.fields.loadflags as number;
  }

  /** 0 when the protocol predates xloadflags (2.12). */
  get xloadflags(): number {
    return (this.fields.xloadflags as number | undefined) ?? 0;
  }

  /** boot.rst: "is_bzImage = (protocol >= 0x0200) && (loadflags & 0x01)". */
  get isBzImage(): boolean {
    return this.version >= 0x0200 && (this.loadflags & LoadFlags.LOADED_HIGH) !== 0;
  }

  get hasKernel64Entry(): boolean {
    return (this.xloadflags & XLoadFlags.XLF_KERNEL_64) !== 0;
  }

  get relocatable(): boolean {
    return ((this.fields.relocatable_kernel as number | undefined) ?? 0) !== 0;
  }

  /** cmdline_size, or 255 before protocol 2.06. */
  get cmdlineSize(): number {
    return (this.fields.cmdline_size as number | undefined) ?? LEGACY_CMDLINE_SIZE;
  }

  /** initrd_addr_max, or 0x37FFFFFF before protocol 2.03. */
  get initrdAddrMax(): number {
    return (this.fields.initrd_addr_max as number | undefined) ?? LEGACY_INITRD_ADDR_MAX;
  }

  get prefAddress(): bigint {
    return (this.fields.pref_address as bigint | undefined) ?? 0n;
  }

  get initSize(): number {
    return (this.fields.init_size as number | undefined) ?? 0;
  }

  /** Whether the header (per its own version and length) contains `name`. */
  has(name: SetupHeaderFieldName): boolean {
    return this.fields[name] !== undefined;
  }

  /**
   * Read the header from the start of a kernel file (or a boot_params page,
   * whose header sits at the same offsets). Checks boot_flag, "HdrS", the
   * version, and that the header's own length covers every field its version
   * claims; fields past either are left undefined.
   */
  static read(reader: ByteReader): SetupHeader {
    const bootFlag = reader.u16le("boot_flag", BOOT_FLAG_OFFSET);
    if (bootFlag !== BOOT_FLAG_MAGIC) {
      reader.fail("boot_flag", BOOT_FLAG_OFFSET, `0x${bootFlag.toString(16)} is not 0xaa55`);
    }
    const magic = reader.u32le("header", SETUP_HEADER_MAGIC_OFFSET);
    if (magic !== SETUP_HEADER_MAGIC) {
      reader.fail("header", SETUP_HEADER_MAGIC_OFFSET, `0x${magic.toString(16)} is not "HdrS": pre-2.00 (zImage) kernels are not supported`);
    }
    const version = reader.u16le("version", 0x206);
    if (version < 0x0200) reader.fail("version", 0x206, `protocol 0x${version.toString(16)} predates 2.00`);
    const jumpOpcode = reader.u8("jump", SETUP_HEADER_JUMP_OFFSET);
    if (jumpOpcode !== 0xeb) {
      reader.fail("jump", SETUP_HEADER_JUMP_OFFSET, `0x${jumpOpcode.toString(16)} is not a short jump (0xeb): the header length is unknown`);
    }
    const jumpDisplacement = reader.u8("jump", 0x201);
    // A signed 8-bit displacement: the header cannot end before "version" nor jump backwards.
    if (jumpDisplacement > 0x7f || jumpDisplacement < 6) {
      reader.fail("jump", 0x201, `displacement 0x${jumpDisplacement.toString(16)} does not give a header end between 0x208 and 0x281`);
    }
    const headerEnd = 0x202 + jumpDisplacement;
    const values: Record<string, number | bigint | undefined> = {};
    for (const f of SETUP_HEADER_FIELDS) {
      if (version < f.since) {
        values[f.name] = undefined;
        continue;
      }
      if (f.offset + f.size > headerEnd) {
        reader.fail(f.name, f.offset, `protocol ${formatProtocolVersion(version)} has this field but the header ends at 0x${headerEnd.toString(16)} (jump byte at 0x201)`);
      }
      values[f.name] =
        f.size === 1 ? reader.u8(f.name, f.offset)
        : f.size === 2 ? reader.u16le(f.name, f.offset)
        : f.size === 4 ? reader.u32le(f.name, f.offset)
        : reader.u64le(f.name, f.offset);
    }
    return new SetupHeader(values as SetupHeaderValues, version, headerEnd);
  }
}
