import { describe, expect, it } from "vitest";
import { KexecDumpError, parseKexecDebug } from "./kexec-tools.js";

// The shape `kexec -d -l` prints (kexec-tools 2.0.25), before and after a failed kexec_load.
const SAMPLE = `Loaded initrd at 0x18c00000 size 0x4000000
kexec_load: entry = 0x1fff7760 flags = 0x3e0000
nr_segments = 2
segment[0].buf   = 0x4000116240
segment[0].bufsz = 0x30
segment[0].mem   = 0x100000
segment[0].memsz = 0x1000
segment[1].buf   = 0x4003900010
segment[1].bufsz = 0x4000000
segment[1].mem   = 0x18c00000
segment[1].memsz = 0x4000000
kexec_load failed: Function not implemented
entry       = 0x1fff7760 flags = 0x3e0000
nr_segments = 2
segment[0].buf   = 0xdead
`;

describe("parseKexecDebug", () => {
  it("reads entry, flags and every segment of the first dump", () => {
    expect(parseKexecDebug(SAMPLE)).toEqual({
      entry: 0x1fff7760n,
      flags: 0x3e0000n,
      segments: [
        { buf: 0x4000116240n, bufsz: 0x30n, mem: 0x100000n, memsz: 0x1000n },
        { buf: 0x4003900010n, bufsz: 0x4000000n, mem: 0x18c00000n, memsz: 0x4000000n },
      ],
    });
  });
  it("refuses truncated, reordered or implausible dumps", () => {
    expect(() => parseKexecDebug("nothing here")).toThrow(KexecDumpError);
    expect(() => parseKexecDebug(SAMPLE.replace("nr_segments = 2", "nr_segments = 3"))).toThrow(/segment\[2\]\.buf/);
    expect(() => parseKexecDebug(SAMPLE.replace("segment[1].mem   =", "segment[1].memsz ="))).toThrow(/expected segment\[1\]\.mem/);
    expect(() => parseKexecDebug(SAMPLE.replace("nr_segments = 2", "nr_segments = 100000"))).toThrow(/implausible/);
    expect(() => parseKexecDebug(SAMPLE.replace("nr_segments = 2\n", ""))).toThrow(/nr_segments/);
  });
});
