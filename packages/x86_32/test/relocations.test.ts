import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { I386_RELOCATOR } from "@handoff/x86_32";
import { expectLinksLikeGnuLd } from "../../core/test/helpers/ld-compare.js";

const source = fileURLToPath(new URL("./fixtures/relocs.S", import.meta.url));

describe("x86_32 relocations", () => {
  it("link every type to the same bytes as GNU ld", () => {
    const r = expectLinksLikeGnuLd({
      triple: "i686-linux-gnu",
      source,
      base: 0x100000n,
      relocator: I386_RELOCATOR,
      defsyms: new Map([["ext_fn", 0x100000n + 0x10_0000n], ["ext_abs", 0x1234_5678n]]),
    });
    if (!r) return;
    expect(r.linked.relocationsApplied).toBeGreaterThan(7);
  });
});
