import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HandoffError, type RegisterFile } from "@handoff/core";
import { readCValue, writeCValue, type CValue } from "@handoff/core/c-abi";
import { XEN_STRUCT_NAMES, decodeMulticall, findXenHypercall, xenTypes } from "@handoff/xen";
import { ARCHES, abiOf } from "./arches.js";

// Hostile input is normal input: random registers and random bytes must give
// a value or a typed HandoffError, never anything else. Budgets are bounded.
const RUNS = 300;
let checked = 0;
let known = 0;
const ARCH_IDS = ["x86_32", "x86_64", "arm32", "arm64"] as const;

function typedOrValue(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof HandoffError)) throw e;
  }
}

describe("fuzz: hypercall decoder", () => {
  it("random register files decode to values or typed errors on every arch and guest mode", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARCH_IDS),
        fc.constantFrom(32 as const, 64 as const),
        fc.array(fc.tuple(fc.nat(40), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean()), { maxLength: 12 }),
        fc.boolean(),
        (archId, bits, writes, narrowRan) => {
          const arch = ARCHES[archId];
          const abi = arch.hypercallAbi!;
          const regs: RegisterFile = arch.createRegisterFile();
          const names = regs.names();
          const conv = abi.conventions;
          // bias towards the number register: pick real hypercall numbers often
          for (const [i, v, nr] of writes) {
            const c = conv.find((x) => x.guestBits === bits) ?? conv[0]!;
            const name = nr ? c.numberRegister : names[i % names.length]!;
            typedOrValue(() => regs.set(name, nr ? [12n, 13n, 37n, 39n, v % 48n][Number(v % 5n)]! : v));
          }
          if (narrowRan && arch.narrowMode) regs.afterNarrowExecution(arch.narrowMode);
          typedOrValue(() => {
            const d = abi.decode(regs, bits, findXenHypercall);
            if (d.call) known++;
            // whatever decodes respects the guest's width
            for (const a of d.args) {
              if (a.kind !== "scalar") expect(a.value < 1n << BigInt(d.convention.guestBits)).toBe(true);
            }
          });
        },
      ),
      { numRuns: RUNS },
    );
    expect(known).toBeGreaterThan(RUNS / 20); // some inputs reach the per-argument width checks
  });
});

describe("fuzz: struct readers", () => {
  it("random buffers and offsets read every catalogue struct as values or FormatErrors; reads re-encode to the same bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARCH_IDS),
        fc.constantFrom(...XEN_STRUCT_NAMES),
        fc.uint8Array({ minLength: 0, maxLength: 256, size: "max" }),
        fc.integer({ min: -4, max: 128 }),
        fc.nat(20),
        (archId, name, bytes, offset, flexible) => {
          const layout = xenTypes(abiOf(archId)).layout(name);
          let value: CValue | undefined;
          typedOrValue(() => {
            value = readCValue(layout, bytes, offset, { flexibleCount: flexible });
          });
          // Reads check each member; a struct whose trailing padding runs past the buffer reads but cannot be written back whole.
          if (value !== undefined && layout.kind === "struct" && offset + layout.size <= bytes.length) {
            // a read value written back reproduces the bytes it came from (unions: first member wins, so only for plain structs)
            checked++;
            if (!JSON.stringify(layout, (_k, v) => v).includes('"kind":"union"') && !JSON.stringify(layout).includes('"flexible":true')) {
              const copy = new Uint8Array(bytes); // padding bytes are left as they were
              writeCValue(layout, value, copy, offset);
              expect(copy.subarray(offset, offset + layout.size)).toEqual(bytes.subarray(offset, offset + layout.size));
            }
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(checked).toBeGreaterThan(RUNS / 3); // the round trip really ran
  });

  it("random multicall lists decode or fail with typed errors for 32- and 64-bit guests", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ARCH_IDS), fc.uint8Array({ maxLength: 512 }), fc.integer({ min: -1, max: 2000 }), (archId, bytes, count) => {
        const abi = abiOf(archId);
        for (const c of abi.conventions) typedOrValue(() => decodeMulticall(abi, bytes, count, { guestBits: c.guestBits }));
      }),
      { numRuns: RUNS },
    );
  });
});
