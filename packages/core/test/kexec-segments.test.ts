import { describe, expect, it } from "vitest";
import { decodeLinuxKexecSegments, encodeLinuxKexecSegments, linuxKexecFlags, linuxKexecSegmentSize } from "@handoff/core/kexec";
import { ValidationError } from "@handoff/core";

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");
const seg = { buf: 0x4000116300n, bufsz: 0x30n, mem: 0x100000n, memsz: 0x1000n };

describe("Linux kexec_load segment array", () => {
  it("16 bytes per entry on 32-bit, 32 on 64-bit, fields buf,bufsz,mem,memsz in order", () => {
    expect(linuxKexecSegmentSize(4)).toBe(16);
    expect(linuxKexecSegmentSize(8)).toBe(32);
    const le64 = encodeLinuxKexecSegments([seg, seg], { wordBytes: 8, endianness: "little" });
    expect(le64.length).toBe(64);
    expect(hexOf(le64.subarray(0, 32))).toBe(
      "0063110040000000" + "3000000000000000" + "0000100000000000" + "0010000000000000",
    );
    const s32 = { buf: 0x8049000n, bufsz: 0x30n, mem: 0x100000n, memsz: 0x1000n };
    const le32 = encodeLinuxKexecSegments([s32], { wordBytes: 4, endianness: "little" });
    expect(hexOf(le32)).toBe("00900408" + "30000000" + "00001000" + "00100000");
    const be32 = encodeLinuxKexecSegments([s32], { wordBytes: 4, endianness: "big" });
    expect(hexOf(be32)).toBe("08049000" + "00000030" + "00100000" + "00001000");
    expect(decodeLinuxKexecSegments(le64, { wordBytes: 8, endianness: "little" })).toEqual([seg, seg]);
  });
  it("refuses values wider than the word", () => {
    expect(() => encodeLinuxKexecSegments([seg], { wordBytes: 4, endianness: "little" })).toThrow(ValidationError);
    expect(() => encodeLinuxKexecSegments([{ ...seg, mem: -1n }], { wordBytes: 8, endianness: "little" })).toThrow(/kexec_segment\[0\]\.mem/);
  });
  it("flags: ELF machine in bits 16..31, ON_CRASH 0x1, PRESERVE_CONTEXT 0x2", () => {
    // kexec.h's KEXEC_ARCH_386, _ARM, _X86_64 and _AARCH64, from the ELF machines 3, 40, 62, 183.
    expect([3, 40, 62, 183].map((elfMachine) => linuxKexecFlags({ elfMachine }))).toEqual([0x30000n, 0x280000n, 0x3e0000n, 0xb70000n]);
    // kexec-tools -d prints "flags = 0x3e0000" for an x86_64 load.
    expect(linuxKexecFlags({ elfMachine: 62 })).toBe(0x3e0000n);
    expect(linuxKexecFlags({ elfMachine: 183, onCrash: true, preserveContext: true })).toBe(0xb70003n);
    expect(() => linuxKexecFlags({ elfMachine: 0x10000 })).toThrow(/16-bit/);
  });
});
