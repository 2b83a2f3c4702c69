export { AAPCS_DATA_MODEL, AAPCS64_DATA_MODEL } from "./aapcs.js";
export { XEN_HYPERCALL_TAG, ARM_XEN_TYPEDEFS, ARM_XEN_SOURCES, armXenHandle, aarch32XenHvc, aarch32XenConvention } from "./xen.js";
export { ARM_VIRT_RAM_BASE, ARM_VIRT_PL011, ARM_VIRT_LOADER_LAYOUT, ARM_VIRT_LINUX_MACHINE, ARM_VIRT_MEMORY_LAYOUT } from "./virt.js";
export { encodeHvcA64, encodeHvcA32, encodeHvcT32 } from "./hvc.js";
export { armVirtMachine, type ArmWidth, type ArmEntryRequest, type IndirectionListRef } from "./width.js";
export { makeArmArtefactBuilder } from "./artefact.js";
export { makeArmLinuxBootBuilder, placeAfterDtb, ARM_DTB_ROOM, type ArmLinuxWidth, type ArmLinuxKernel, type ArmLinuxPlacement } from "./linux-boot.js";
export { makeArmLinuxKexecBuilder, planArmKexec, planArmKexecProbe, kexecDeviceTree, kexecMachine, firmwareReservations, ARM_KEXEC_RNG_SEED_BYTES, ARM_KEXEC_KASLR_SEED_BYTES } from "./kexec.js";
export { longDescriptorLeaf, type LongDescriptorLimits } from "./long-descriptor.js";
