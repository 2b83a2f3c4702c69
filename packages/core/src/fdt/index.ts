export {
  DeviceTree,
  FdtNode,
  FdtProperty,
  FdtValue,
  DEFAULT_ADDRESS_CELLS,
  DEFAULT_SIZE_CELLS,
  type FdtOrigin,
  type FdtReservation,
} from "./tree.js";
export {
  parseFdt,
  FDT_HEADER,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_VERSION,
  FDT_LAST_COMP_VERSION,
  FdtToken,
  DEFAULT_FDT_LIMITS,
  type FdtHeader,
  type FdtLimits,
} from "./reader.js";
export { encodeFdt } from "./writer.js";
export {
  fdtMemoryRanges,
  fdtMemoryMap,
  setFdtMemory,
  setChosen,
  machineDeviceTree,
  type ChosenSettings,
  type MachineDescription,
} from "./machine.js";
