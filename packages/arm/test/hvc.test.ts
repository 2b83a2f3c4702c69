import { describe, expect, it } from "vitest";
import { ValidationError } from "@handoff/core";
import { encodeHvcA32, encodeHvcA64, encodeHvcT32 } from "@handoff/arm";

describe("HVC encodings", () => {
  it("encodes HVC for any 16-bit immediate (A64, A32, T32) and refuses wider ones", () => {
    expect([...encodeHvcA64(0)]).toEqual([0x02, 0x00, 0x00, 0xd4]);
    expect([...encodeHvcA64(0xffff)]).toEqual([0xe2, 0xff, 0x1f, 0xd4]);
    expect([...encodeHvcA32(0xffff)]).toEqual([0x7f, 0xff, 0x4f, 0xe1]);
    expect([...encodeHvcT32(0xffff)]).toEqual([0xef, 0xf7, 0xff, 0x8f]);
    expect(() => encodeHvcA64(0x10000)).toThrow(ValidationError);
    expect(() => encodeHvcA32(-1)).toThrow(ValidationError);
    expect(() => encodeHvcT32(1.5)).toThrow(ValidationError);
  });
});
