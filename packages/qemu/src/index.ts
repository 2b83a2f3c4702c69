export { QemuError, QmpError, RegisterDumpError } from "./errors.js";
export { QmpClient, type QmpStatus } from "./qmp.js";
export { parseInfoRegisters, type ObservedRegisters, type RegisterFileSource, type InfoRegistersDialect } from "./info-registers.js";
export { QemuMachine, withQemu, qemuArgs, qemuBinary, type QemuArch, type QemuOptions, type LoaderBlob, type WaitForPcOptions } from "./machine.js";
export { compareRegisters, describeMismatches, QEMU_TCG_DEVIATIONS, type EmulatorDeviation, type RegisterComparison } from "./compare.js";
export { dumpMachineDtb } from "./dumpdtb.js";
export { bootAndProbe, bootAndStream, verifyFailure, withBootedArtefact, type BootRequest, type ProbeRequest, type ProbeReport, type MemoryComparison } from "./boot-artefact.js";
export { scratchDir, type ScratchDir } from "./scratch.js";
export { dieWithParent } from "./parent-death.js";
