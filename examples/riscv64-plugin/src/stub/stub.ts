import { StubImage } from "@handoff/core/link";
import { ValidationError, type HandoffState } from "@handoff/core";
import { RISCV64_HANDOFF_STUB_CODE } from "./handoff-stub.bytes.js";

/** Where the stub finds its indirection list, and how many entries it may walk. */
export interface IndirectionListRef {
  /** The list's first entry (normally the first list page | INDIRECTION 0x2). */
  readonly head: bigint;
  /** Bound on entries walked; the stub spins at `hd_fail` when it is exceeded. */
  readonly maxSteps: bigint;
}

/** The RV64 stub's code (bytes and data-block offsets), as assembled from handoff-stub.S. */
export const RISCV64_HANDOFF_STUB = RISCV64_HANDOFF_STUB_CODE;

/** Supervisor CSRs the stub writes from its data block (symbol hd_<name>). */
const CSRS = ["satp", "stvec", "sscratch", "sepc", "scause", "stval", "sie", "sip", "sstatus"] as const;

/**
 * The RV64 hand-off stub with its data block filled from `state`: entered in
 * M-mode, it runs `list`, writes the supervisor CSRs and x1..x31 from the
 * state and MRETs to `state.pc` in S-mode (the only mode it enters).
 */
export function buildRiscv64Stub(state: HandoffState, list: IndirectionListRef): StubImage {
  if (state.arch !== "riscv64") throw new ValidationError("riscv64 hand-off stub", `state is for ${state.arch}`);
  const r = state.registers;
  if (r.get("priv") !== 1n) throw new ValidationError("riscv64 hand-off stub", `priv ${r.get("priv")} is not S-mode (1); the stub enters S-mode only`);
  const stub = new StubImage("riscv64 hand-off stub", RISCV64_HANDOFF_STUB_CODE);
  stub.write("hd_list_head", list.head, 8).write("hd_max_steps", list.maxSteps, 8).write("hd_entry", r.get("pc"), 8);
  for (const csr of CSRS) stub.write(`hd_${csr}`, r.get(csr), 8);
  for (let i = 0; i <= 31; i++) stub.write("hd_regs", r.get(`x${i}`), 8, i);
  return stub;
}
