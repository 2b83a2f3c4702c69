import { ValidationError } from "@handoff/core";
import { X86_PTE } from "@handoff/x86";

const { P, RW, PS } = X86_PTE;

/**
 * A minimal identity map of the first 1 GiB with 2 MiB pages: three 4 KiB
 * tables (PML4, PDPT, PD) laid out from `base`; CR3 = `base`. This is the
 * stub's stand-in table source; any planner-built tables can replace it, since
 * the stub only takes a CR3 value. Write-back memory type everywhere (PAT
 * index 0): fine for RAM probes, not a policy for device memory.
 */
export function identityMap1GiB(base: bigint): { readonly cr3: bigint; readonly bytes: Uint8Array } {
  if (base & 0xfffn || base + 0x3000n > 0x1_0000_0000n) throw new ValidationError("identity tables", "base must be 4 KiB aligned and the tables below 4 GiB");
  const bytes = new Uint8Array(3 * 4096);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, (base + 0x1000n) | P | RW, true); // PML4[0] -> PDPT
  v.setBigUint64(0x1000, (base + 0x2000n) | P | RW, true); // PDPT[0] -> PD
  for (let i = 0; i < 512; i++) v.setBigUint64(0x2000 + i * 8, (BigInt(i) << 21n) | P | RW | PS, true);
  return { cr3: base, bytes };
}
