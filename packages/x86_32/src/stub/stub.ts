/**
 * The IA-32 stub lives in @handoff/x86 (the x86_64 PVH entry is 32-bit code
 * too); x86_32 keeps its names for it.
 */
import { ValidationError, type HandoffState } from "@handoff/core";
import { X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, buildIa32Stub, type HandoffGdt, type Ia32StubOptions, type IndirectionListRef } from "@handoff/x86";

export { X86_32_HANDOFF_STUB, X86_32_STUB_GDT_OFFSET, type IndirectionListRef };

/** The IA-32 hand-off stub filled from an x86_32 `state` (see buildIa32Stub). */
export function buildX86_32Stub(state: HandoffState, list: IndirectionListRef, gdt: HandoffGdt, options: Ia32StubOptions = {}) {
  if (state.arch !== "x86_32") throw new ValidationError("x86_32 hand-off stub", `state is for ${state.arch}`);
  return buildIa32Stub(state, list, gdt, options);
}
