import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ARM_RELOCATOR } from "@handoff/arm32";
import { expectLinksLikeGnuLd } from "../../core/test/helpers/ld-compare.js";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));

describe("arm32 relocations", () => {
  it("link every type to the same bytes as GNU ld", () => {
    const r = expectLinksLikeGnuLd({
      triple: "arm-linux-gnueabihf",
      source,
      base: 0x80008000n,
      relocator: ARM_RELOCATOR,
      defsyms: new Map([["ext_fn", 0x80008000n + 0x10_0000n], ["ext_abs", 0x1234_5678n]]),
    });
    if (!r) return;
    expect(r.linked.relocationsApplied).toBeGreaterThan(10);
  });
});
