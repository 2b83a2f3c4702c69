import { hex } from "@handoff/core";

/**
 * XENFEAT_* bit numbers (xen/include/public/features.h), for naming the bits
 * of a SUPPORTED_FEATURES note.
 */
const XENFEAT_NAMES: Readonly<Record<number, string>> = {
  0: "writable_page_tables",
  1: "writable_descriptor_tables",
  2: "auto_translated_physmap",
  3: "supervisor_mode_kernel",
  4: "pae_pgdir_above_4gb",
  5: "mmu_pt_update_preserve_ad",
  7: "gnttab_map_avail_bits",
  8: "hvm_callback_vector",
  9: "hvm_safe_pvclock",
  10: "hvm_pirqs",
  11: "dom0",
  12: "grant_map_identity",
  13: "memory_op_vnode_supported",
  14: "ARM_SMCCC_supported",
  15: "linux_rsdp_unrestricted",
  16: "not_direct_mapped",
  17: "direct_mapped",
};

/** What a PVH loader reads from a kernel's Xen notes (docs/misc/pvh.pandoc, public/elfnote.h). */
export interface PvhNotesSummary {
  /** XEN_ELFNOTE_PHYS32_ENTRY (low 32 bits): where a PVH loader enters, paging off. */
  readonly phys32Entry: bigint;
  /** XEN_ELFNOTE_PHYS32_RELOC: the kernel may be moved (alignment, lowest, highest), or null. */
  readonly phys32Reloc: { readonly align: bigint | null; readonly min: bigint | null; readonly max: bigint | null } | null;
  /** XEN_ELFNOTE_PADDR_OFFSET as written (null: absent) and what a PVH loader applies: libelf forces it to 0 for PVH. */
  readonly paddrOffset: { readonly note: bigint | null; readonly applied: bigint };
  /** XEN_ELFNOTE_HYPERCALL_PAGE (a PV-only virtual address), or null. */
  readonly hypercallPage: bigint | null;
  /** XEN_ELFNOTE_FEATURES split at '|': names with '!' are required of the hypervisor. */
  readonly features: { readonly required: readonly string[]; readonly supported: readonly string[] };
  /** XEN_ELFNOTE_SUPPORTED_FEATURES: the bitmap and its XENFEAT_* names, or null. */
  readonly supportedFeatures: { readonly bitmap: bigint; readonly names: readonly string[] } | null;
}

const asBigint = (v: unknown): bigint | null => (typeof v === "bigint" ? v : null);

/** The PVH view of an image's metadata (`metadata.xen` from core's ELF reader), or undefined when it has no PHYS32_ENTRY. */
export function pvhNotes(metadata: Record<string, unknown>): PvhNotesSummary | undefined {
  const xen = metadata.xen as Record<string, unknown> | undefined;
  const entry = asBigint(xen?.PHYS32_ENTRY);
  if (!xen || entry === null) return undefined;
  const reloc = xen.PHYS32_RELOC as { align?: bigint; min?: bigint; max?: bigint } | undefined;
  const features = typeof xen.FEATURES === "string" ? xen.FEATURES.split("|").filter((f) => f.length > 0) : [];
  const bitmap = asBigint(xen.SUPPORTED_FEATURES);
  const bits = bitmap === null ? [] : [...Array(64).keys()].filter((b) => (bitmap >> BigInt(b)) & 1n);
  return {
    phys32Entry: entry,
    phys32Reloc: reloc ? { align: reloc.align ?? null, min: reloc.min ?? null, max: reloc.max ?? null } : null,
    paddrOffset: { note: asBigint(xen.PADDR_OFFSET), applied: 0n },
    hypercallPage: asBigint(xen.HYPERCALL_PAGE),
    features: { required: features.filter((f) => f.startsWith("!")).map((f) => f.slice(1)), supported: features.filter((f) => !f.startsWith("!")) },
    supportedFeatures: bitmap === null ? null : { bitmap, names: bits.map((b) => XENFEAT_NAMES[b] ?? `bit ${b}`) },
  };
}

const orNone = (v: bigint | null) => (v === null ? "none" : hex(v));

/** The `PVH` section of `handoff inspect`. */
export function renderPvhNotes(p: PvhNotesSummary): string[] {
  const reloc = p.phys32Reloc;
  return [
    "PVH (xen docs/misc/pvh.pandoc)",
    `  entry            ${hex(p.phys32Entry)} (PHYS32_ENTRY: 32-bit protected mode, paging off, ebx = hvm_start_info)`,
    `  relocatable      ${reloc ? `yes: align ${orNone(reloc.align)}, min ${orNone(reloc.min)}, max ${orNone(reloc.max)}` : "no (PT_LOADs go to their p_paddr)"}`,
    `  PADDR offset     note ${orNone(p.paddrOffset.note)}; a PVH loader applies ${hex(p.paddrOffset.applied)} (libelf forces it to 0 for PVH)`,
    `  hypercall page   ${p.hypercallPage === null ? "none" : `${hex(p.hypercallPage)} (used by PV loaders only)`}`,
    `  features         required: ${p.features.required.join(", ") || "none"}; supported: ${p.features.supported.join(", ") || "none"}`,
    `  XENFEAT bitmap   ${p.supportedFeatures ? `${hex(p.supportedFeatures.bitmap)} (${p.supportedFeatures.names.join(", ") || "none"})` : "none"}`,
  ];
}
