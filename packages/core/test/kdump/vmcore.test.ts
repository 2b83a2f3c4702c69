import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError } from "@handoff/core";
import { ET_CORE, ET_EXEC, PT_LOAD, PT_NOTE } from "@handoff/core/elf";

/** gABI e_machine of x86-64, as data (core names no architecture). */
const EM_X86_64 = 62;
import { NT_PRSTATUS, readVmcore, vmcoreSourceOf } from "@handoff/core/kexec";
import { tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";
import { concat, note, put, writeElf } from "@handoff/test-support/elf-writer";

const enc = (s: string) => new TextEncoder().encode(s);
const INFO = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a13a40\nOFFSET(list_head.next)=0\nCRASHTIME=1796225032\n";

/** A small dump: two CPUs' NT_PRSTATUS, a vmcoreinfo note, and two RAM segments of 4 KiB. */
function dump(info = INFO, type = ET_CORE) {
  const notes = concat(note("CORE", NT_PRSTATUS, new Uint8Array(336), "little"), note("CORE", NT_PRSTATUS, new Uint8Array(336), "little"), note("VMCOREINFO", 0, enc(info), "little"));
  return writeElf({
    elfClass: 64,
    endian: "little",
    type,
    machine: EM_X86_64,
    entry: 0n,
    segments: [
      { type: PT_NOTE, vaddr: 0n, paddr: 0n, data: notes, memsz: BigInt(notes.length), align: 0n },
      { type: PT_LOAD, vaddr: 0xffff888000100000n, paddr: 0x100000n, data: new Uint8Array(4096).fill(0xaa) },
      { type: PT_LOAD, vaddr: 0xffff888100000000n, paddr: 0x100000000n, data: new Uint8Array(4096).fill(0x55) },
    ],
  });
}

const source = (bytes: Uint8Array) => vmcoreSourceOf({ path: "vmcore", bytes });

describe("crash dump reader", () => {
  it("reads loads, notes, CPUs and vmcoreinfo", () => {
    const d = readVmcore(source(dump().bytes));
    expect(d.cpus).toBe(2);
    expect(d.loads.map((l) => [l.paddr, l.size])).toEqual([[0x100000n, 4096n], [0x100000000n, 4096n]]);
    expect(d.ramBytes).toBe(8192n);
    expect(d.vmcoreinfo?.osRelease).toBe("6.1.0-test");
    expect(d.vmcoreinfo?.pageSize).toBe(4096);
    expect(d.vmcoreinfo?.symbols.get("init_uts_ns")).toBe(0xffffffff82a13a40n);
    expect(d.vmcoreinfo?.fields.get("CRASHTIME")).toBe("1796225032");
  });

  it("names the field and offset of what is wrong in a hostile dump", () => {
    expect(() => readVmcore(source(dump(INFO, ET_EXEC).bytes))).toThrow(/e_type @0x10: ET_EXEC is not a crash dump/);
    const w = dump();
    // A copy cut short: the last RAM segment runs past the end.
    expect(() => readVmcore(source(w.bytes.subarray(0, w.bytes.length - 100)))).toThrow(/phdr\[2\]\.p_filesz .*truncated copy/);
    const noPh = w.bytes.slice();
    put(noPh, 56, 2, 0, "little");
    expect(() => readVmcore(source(noPh))).toThrow(/e_phnum @0x38: is 0/);
    const overrun = w.bytes.slice();
    put(overrun, w.segmentOffsets[0]! + 4, 4, 0x7fffffff, "little"); // first note's descsz
    try {
      readVmcore(source(overrun));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      // The offset is the file's, not the note area's.
      expect((e as FormatError).offset).toBe(w.segmentOffsets[0]! + 4);
    }
    expect(() => readVmcore(source(dump(INFO.replace("PAGESIZE=4096", "PAGESIZE=3000")).bytes))).toThrow(/PAGESIZE.*power-of-two/);
    expect(() => readVmcore(source(dump(INFO.replace("ffffffff82a13a40", "zz")).bytes))).toThrow(/SYMBOL\(init_uts_ns\).*not a hex address/);
    const wide = w.bytes.slice();
    put(wide, 54, 2, 8, "little"); // e_phentsize
    expect(() => readVmcore(source(wide))).toThrow(/e_phentsize/);
  });

  it("`handoff inspect` shows a dump, and a truncated one fails with one line and exit 1", () => {
    const dir = tempDir("vmcore-cli-");
    const w = dump();
    writeFileSync(join(dir, "vmcore"), w.bytes);
    writeFileSync(join(dir, "cut"), w.bytes.subarray(0, w.bytes.length - 100));
    const ok = runCli(["inspect", join(dir, "vmcore")]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/cpus\s+2 \(NT_PRSTATUS notes\)/);
    expect(ok.stdout).toMatch(/release\s+6\.1\.0-test/);
    expect(ok.stdout).toContain("init_uts_ns");
    const bad = runCli(["inspect", join(dir, "cut")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/cut: ELF64 phdr\[2\]\.p_filesz/);
  });
});
