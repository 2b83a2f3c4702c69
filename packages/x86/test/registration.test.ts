import { describe, expect, it } from "vitest";
import { bzImageFormat } from "@handoff/x86";
import { x86_32Architecture, X86_32_REGISTERS } from "@handoff/x86_32";
import { x86_64Architecture, X86_64_REGISTERS } from "@handoff/x86_64";

describe("bzImage registration", () => {
  it("x86_64 and x86_32 register the one shared bzImage implementation", () => {
    const a64 = x86_64Architecture;
    const a32 = x86_32Architecture;
    expect(a64.imageFormats).toContain(bzImageFormat);
    expect(a32.imageFormats).toContain(bzImageFormat);
    expect(a64.imageFormats.find((f) => f.id === "bzImage")).toBe(a32.imageFormats.find((f) => f.id === "bzImage"));
  });
});
