import { C, type CType, type CTypeEnvironment } from "@handoff/core/c-abi";
import { type HypercallAbi } from "@handoff/core";

/**
 * Xen's public structs as data, in definition order. Each is our own
 * declaration of what xen/include/public/{xen,kexec,argo,memory}.h define
 * (checked field by field against a C compiler on all four arches in the
 * tests). The arch-dependent pieces — `xen_ulong_t`, `xen_pfn_t`, and how a
 * `XEN_GUEST_HANDLE` sits in memory — come from the arch's hypercall ABI.
 */
export const XEN_TYPES: Readonly<Record<string, CType>> = {
  // public/xen.h
  domid_t: C.int("uint16_t"),
  /** public/xen.h `struct multicall_entry`: op, result, args[6], all xen_ulong_t. */
  multicall_entry_t: C.struct({ op: "xen_ulong_t", result: "xen_ulong_t", args: C.array("xen_ulong_t", 6) }, "multicall_entry"),
  /** `ptr` is a machine address whose low 2 bits select the MMU_* command. */
  mmu_update_t: C.struct({ ptr: "uint64_t", val: "uint64_t" }, "mmu_update"),
  mmuext_op_t: C.struct(
    {
      cmd: "unsigned int",
      arg1: C.union({ mfn: "xen_pfn_t", linear_addr: "unsigned long" }),
      arg2: C.union({ nr_ents: "unsigned int", vcpumask: C.handle("const_void"), src_mfn: "xen_pfn_t" }),
    },
    "mmuext_op",
  ),
  /** Fixed-width: 32 bytes for every guest (interface version > 0x040600: flags + pad1[2]). */
  vcpu_time_info_t: C.struct(
    { version: "uint32_t", pad0: "uint32_t", tsc_timestamp: "uint64_t", system_time: "uint64_t", tsc_to_system_mul: "uint32_t", tsc_shift: "int8_t", flags: "uint8_t", pad1: C.array("uint8_t", 2) },
    "vcpu_time_info",
  ),
  /** `arch_vcpu_info` is per family (see xenArchTypes). */
  vcpu_info_t: C.struct(
    { evtchn_upcall_pending: "uint8_t", evtchn_upcall_mask: "uint8_t", evtchn_pending_sel: "xen_ulong_t", arch: "arch_vcpu_info_t", time: "vcpu_time_info_t" },
    "vcpu_info",
  ),
  /** `unsigned long` fields are guest-width: the compat (32-bit) start_info differs from the native one. */
  start_info_t: C.struct(
    {
      magic: C.array("char", 32),
      nr_pages: "unsigned long",
      shared_info: "unsigned long",
      flags: "uint32_t",
      store_mfn: "xen_pfn_t",
      store_evtchn: "uint32_t",
      console: C.union({ domU: C.struct({ mfn: "xen_pfn_t", evtchn: "uint32_t" }), dom0: C.struct({ info_off: "uint32_t", info_size: "uint32_t" }) }),
      pt_base: "unsigned long",
      nr_pt_frames: "unsigned long",
      mfn_list: "unsigned long",
      mod_start: "unsigned long",
      mod_len: "unsigned long",
      cmd_line: C.array("int8_t", 1024),
      first_p2m_pfn: "unsigned long",
      nr_p2m_frames: "unsigned long",
    },
    "start_info",
  ),

  // public/version.h (XENVER_*: each command's output struct)
  xen_extraversion_t: C.array("char", 16),
  xen_compile_info_t: C.struct({ compiler: C.array("char", 64), compile_by: C.array("char", 16), compile_domain: C.array("char", 32), compile_date: C.array("char", 32) }, "xen_compile_info"),
  xen_capabilities_info_t: C.array("char", 1024),
  xen_changeset_info_t: C.array("char", 64),
  xen_platform_parameters_t: C.struct({ virt_start: "xen_ulong_t" }, "xen_platform_parameters"),
  xen_feature_info_t: C.struct({ submap_idx: "unsigned int", submap: "uint32_t" }, "xen_feature_info"),
  xen_commandline_t: C.array("char", 1024),

  // public/sched.h
  sched_shutdown_t: C.struct({ reason: "unsigned int" }, "sched_shutdown"),
  sched_remote_shutdown_t: C.struct({ domain_id: "domid_t", reason: "unsigned int" }, "sched_remote_shutdown"),

  // public/event_channel.h
  evtchn_port_t: C.int("uint32_t"),
  evtchn_alloc_unbound_t: C.struct({ dom: "domid_t", remote_dom: "domid_t", port: "evtchn_port_t" }, "evtchn_alloc_unbound"),
  evtchn_bind_interdomain_t: C.struct({ remote_dom: "domid_t", remote_port: "evtchn_port_t", local_port: "evtchn_port_t" }, "evtchn_bind_interdomain"),
  evtchn_bind_virq_t: C.struct({ virq: "uint32_t", vcpu: "uint32_t", port: "evtchn_port_t" }, "evtchn_bind_virq"),
  evtchn_close_t: C.struct({ port: "evtchn_port_t" }, "evtchn_close"),
  evtchn_send_t: C.struct({ port: "evtchn_port_t" }, "evtchn_send"),
  /** `u` is a union of the per-state details; its largest member is interdomain {domid_t dom; evtchn_port_t port}. */
  evtchn_status_t: C.struct(
    {
      dom: "domid_t",
      port: "evtchn_port_t",
      status: "uint32_t",
      vcpu: "uint32_t",
      u: C.union({ unbound: C.struct({ dom: "domid_t" }), interdomain: C.struct({ dom: "domid_t", port: "evtchn_port_t" }), pirq: "uint32_t", virq: "uint32_t" }),
    },
    "evtchn_status",
  ),
  evtchn_unmask_t: C.struct({ port: "evtchn_port_t" }, "evtchn_unmask"),

  // public/kexec.h
  xen_kexec_exec_t: C.struct({ type: "int" }, "xen_kexec_exec"),
  /** `unsigned long` size/start: 4 bytes on 32-bit guests, 8 on 64-bit. */
  xen_kexec_range_t: C.struct({ range: "int", nr: "int", size: "unsigned long", start: "unsigned long" }, "xen_kexec_range"),
  /** The buffer handle is in a union with a uint64_t so the struct is the same size for every guest. */
  xen_kexec_segment_t: C.struct(
    {
      buf: C.union({ h: C.handle("const_void"), _pad: "uint64_t" }),
      buf_size: "uint64_t",
      dest_maddr: "uint64_t",
      dest_size: "uint64_t",
    },
    "xen_kexec_segment",
  ),
  xen_kexec_load_t: C.struct(
    {
      type: "uint8_t",
      _pad: "uint8_t",
      arch: "uint16_t",
      nr_segments: "uint32_t",
      segments: C.union({ h: C.handle("xen_kexec_segment_t"), _pad: "uint64_t" }),
      entry_maddr: "uint64_t",
    },
    "xen_kexec_load",
  ),
  xen_kexec_unload_t: C.struct({ type: "uint8_t" }, "xen_kexec_unload"),
  xen_kexec_status_t: C.struct({ type: "uint8_t" }, "xen_kexec_status"),

  // public/argo.h
  xen_argo_port_t: C.int("uint32_t"),
  xen_argo_gfn_t: C.int("uint64_t"),
  xen_argo_iov_t: C.struct({ iov_hnd: C.handle("uint8"), iov_len: "uint32_t", pad: "uint32_t" }, "xen_argo_iov"),
  xen_argo_addr_t: C.struct({ aport: "xen_argo_port_t", domain_id: "domid_t", pad: "uint16_t" }, "xen_argo_addr"),
  xen_argo_send_addr_t: C.struct({ src: "xen_argo_addr_t", dst: "xen_argo_addr_t" }, "xen_argo_send_addr"),
  xen_argo_ring_t: C.struct({ rx_ptr: "uint32_t", tx_ptr: "uint32_t", reserved: C.array("uint8_t", 56), ring: C.array("uint8_t", "flexible") }, "xen_argo_ring"),
  xen_argo_register_ring_t: C.struct({ aport: "xen_argo_port_t", partner_id: "domid_t", pad: "uint16_t", len: "uint32_t" }, "xen_argo_register_ring"),
  xen_argo_unregister_ring_t: C.struct({ aport: "xen_argo_port_t", partner_id: "domid_t", pad: "uint16_t" }, "xen_argo_unregister_ring"),
  xen_argo_ring_data_ent_t: C.struct(
    { ring: "xen_argo_addr_t", flags: "uint16_t", pad: "uint16_t", space_required: "uint32_t", max_message_size: "uint32_t" },
    "xen_argo_ring_data_ent",
  ),
  xen_argo_ring_data_t: C.struct({ nent: "uint32_t", pad: "uint32_t", data: C.array("xen_argo_ring_data_ent_t", "flexible") }, "xen_argo_ring_data"),
  xen_argo_ring_message_header: C.struct(
    { len: "uint32_t", source: "xen_argo_addr_t", message_type: "uint32_t", data: C.array("uint8_t", "flexible") },
    "xen_argo_ring_message_header",
  ),

  // public/memory.h
  xen_memory_reservation_t: C.struct(
    { extent_start: C.handle("xen_pfn_t"), nr_extents: "xen_ulong_t", extent_order: "unsigned int", mem_flags: "unsigned int", domid: "domid_t" },
    "xen_memory_reservation",
  ),
  xen_memory_exchange_t: C.struct({ in: "xen_memory_reservation_t", out: "xen_memory_reservation_t", nr_exchanged: "xen_ulong_t" }, "xen_memory_exchange"),
  xen_memory_domain_t: C.struct({ domid: "domid_t" }, "xen_memory_domain"),
  xen_machphys_mapping_t: C.struct({ v_start: "xen_ulong_t", v_end: "xen_ulong_t", max_mfn: "xen_ulong_t" }, "xen_machphys_mapping"),
  xen_add_to_physmap_t: C.struct({ domid: "domid_t", size: "uint16_t", space: "unsigned int", idx: "xen_ulong_t", gpfn: "xen_pfn_t" }, "xen_add_to_physmap"),
  xen_add_to_physmap_batch_t: C.struct(
    {
      domid: "domid_t",
      space: "uint16_t",
      size: "uint16_t",
      u: C.union({ foreign_domid: "domid_t", res0: "uint16_t" }),
      idxs: C.handle("xen_ulong_t"),
      gpfns: C.handle("xen_pfn_t"),
      errs: C.handle("int"),
    },
    "xen_add_to_physmap_batch",
  ),
  xen_remove_from_physmap_t: C.struct({ domid: "domid_t", gpfn: "xen_pfn_t" }, "xen_remove_from_physmap"),
  xen_memory_map_t: C.struct({ nr_entries: "unsigned int", buffer: C.handle("void") }, "xen_memory_map"),
  /**
   * What XENMEM_memory_map / machine_memory_map fill the buffer with: the
   * BIOS e820 entry (ACPI "Address Range Descriptor"), 20 bytes, declared
   * packed by Xen and Linux. A 4-aligned uint64_t gives the same 20-byte size
   * and offsets on every arch without a packed attribute.
   */
  e820_uint64_t: C.aligned("uint64_t", 4),
  e820entry_t: C.struct({ addr: "e820_uint64_t", size: "e820_uint64_t", type: "uint32_t" }, "e820entry"),

  // public/hvm/start_info.h (fixed-width: one layout for every guest)
  hvm_start_info: C.struct(
    {
      magic: "uint32_t",
      version: "uint32_t",
      flags: "uint32_t",
      nr_modules: "uint32_t",
      modlist_paddr: "uint64_t",
      cmdline_paddr: "uint64_t",
      rsdp_paddr: "uint64_t",
      memmap_paddr: "uint64_t",
      memmap_entries: "uint32_t",
      reserved: "uint32_t",
    },
    "hvm_start_info",
  ),
  hvm_modlist_entry: C.struct({ paddr: "uint64_t", size: "uint64_t", cmdline_paddr: "uint64_t", reserved: "uint64_t" }, "hvm_modlist_entry"),
  hvm_memmap_table_entry: C.struct({ addr: "uint64_t", size: "uint64_t", type: "uint32_t", reserved: "uint32_t" }, "hvm_memmap_table_entry"),
};

/** Struct names of xenArchTypes (the same on every arch). */
const ARCH_STRUCT_NAMES = ["arch_vcpu_info_t", "arch_shared_info_t", "shared_info_t"];

/** Names of the structs (not scalar typedefs) in the catalogue. */
export const XEN_STRUCT_NAMES: readonly string[] = [
  ...ARCH_STRUCT_NAMES,
  ...Object.entries(XEN_TYPES)
    .filter(([, t]) => t.kind === "struct" || t.kind === "union")
    .map(([n]) => n),
];

/** public/arch-x86/xen.h: the x86 halves of vcpu_info and shared_info (32 legacy vCPUs). */
const X86_ARCH_TYPES = (bits: 32 | 64): Record<string, CType> => ({
  /** cr2 and a pad that makes vcpu_info 64 bytes. */
  arch_vcpu_info_t: C.struct({ cr2: "unsigned long", pad: "unsigned long" }, "arch_vcpu_info"),
  arch_shared_info_t: C.struct(
    {
      max_pfn: "unsigned long",
      pfn_to_mfn_frame_list_list: "xen_pfn_t",
      nmi_reason: "unsigned long",
      p2m_cr3: "unsigned long",
      p2m_vaddr: "unsigned long",
      p2m_generation: "unsigned long",
      // An i386 guest keeps the wall clock's high word here, not in shared_info.
      ...(bits === 32 ? { wc_sec_hi: "uint32_t" } : {}),
    },
    "arch_shared_info",
  ),
});

/** public/arch-arm.h: both arch parts are empty structs (GNU C, size 0); one legacy vCPU. */
const ARM_ARCH_TYPES: Record<string, CType> = {
  arch_vcpu_info_t: C.struct({}, "arch_vcpu_info"),
  arch_shared_info_t: C.struct({}, "arch_shared_info"),
};

/**
 * What public/xen.h sizes by the arch: `arch_vcpu_info`, `arch_shared_info`
 * and `shared_info`, whose vCPU array is XEN_LEGACY_MAX_VCPUS long and whose
 * event bitmaps are `sizeof(xen_ulong_t) * 8` words; `wc_sec_hi` is a
 * shared_info member except on i386.
 */
function xenArchTypes(family: "x86" | "arm", bits: 32 | 64, ulongBytes: number): Record<string, CType> {
  const x86 = family === "x86";
  return {
    ...(x86 ? X86_ARCH_TYPES(bits) : ARM_ARCH_TYPES),
    shared_info_t: C.struct(
      {
        vcpu_info: C.array("vcpu_info_t", x86 ? 32 : 1),
        evtchn_pending: C.array("xen_ulong_t", ulongBytes * 8),
        evtchn_mask: C.array("xen_ulong_t", ulongBytes * 8),
        wc_version: "uint32_t",
        wc_sec: "uint32_t",
        wc_nsec: "uint32_t",
        ...(x86 && bits === 32 ? {} : { wc_sec_hi: "uint32_t" }),
        arch: "arch_shared_info_t",
      },
      "shared_info",
    ),
  };
}

const envs = new WeakMap<HypercallAbi, Map<number, CTypeEnvironment>>();

/** The C types of Xen's public interface for a guest of `guestBits` on `abi`'s arch. */
export function xenTypes(abi: HypercallAbi, guestBits?: 32 | 64): CTypeEnvironment {
  const bits = abi.convention(guestBits).guestBits;
  let byBits = envs.get(abi);
  if (!byBits) envs.set(abi, (byBits = new Map()));
  let env = byBits.get(bits);
  if (!env) {
    const base = abi.types(bits);
    const family = abi.arch.startsWith("arm") ? "arm" : "x86";
    byBits.set(bits, (env = base.extend({ ...xenArchTypes(family, bits, base.layout("xen_ulong_t").size), ...XEN_TYPES })));
  }
  return env;
}
