import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireTool, tempDir } from "@handoff/test-support";
import { itAssemblesCommittedStub } from "@handoff/test-support/stubs";
import { HypercallArgumentError, ValidationError } from "@handoff/core";
import { abiOf } from "./arches.js";
import {
  CALL_ENTRY,
  FRAME_TABLE_SLOTS,
  PAYLOAD_DATA_OFFSET,
  PAYLOAD_HEADER,
  XenRunScriptError,
  blockFrames,
  checkPageHashes,
  decodePvhBoot,
  decodeXenRun,
  pageHash,
  readHashedBlock,
  findPayloadBlock,
  parseXenRunScript,
  planXenPayload,
  readArgoRing,
  xenKexecCalls,
  xenRunFlavour,
} from "@handoff/xen";
import { SegmentSetError } from "@handoff/core/kexec";

const abi = abiOf("arm64");
const nonce = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

/** What the payload code does before its calls: write its address, apply the relocations (a model of the .S loop). */
function relocate(block: Uint8Array, base: bigint, bits: 32 | 64): Uint8Array {
  const out = block.slice();
  const v = new DataView(out.buffer);
  v.setBigUint64(PAYLOAD_HEADER.base, base, true);
  const count = Number(v.getBigUint64(PAYLOAD_HEADER.relocCount, true));
  const table = Number(v.getBigUint64(PAYLOAD_HEADER.relocTable, true));
  for (let i = 0; i < count; i++) {
    const e = v.getBigUint64(table + i * 8, true);
    const at = Number(e & ((1n << 62n) - 1n));
    const add = e >> 62n ? base >> 12n : base;
    if (bits === 64) v.setBigUint64(at, v.getBigUint64(at, true) + add, true);
    else v.setUint32(at, v.getUint32(at, true) + Number(add), true);
  }
  return out;
}

describe("xen run scripts", () => {
  it("rejects what is not a list of calls, naming the element", () => {
    expect(() => parseXenRunScript({ call: "x" }, "s.json")).toThrow(XenRunScriptError);
    expect(() => parseXenRunScript([{ call: "xen_version", bogus: 1 }], "s.json")).toThrow(/\[0\]: unknown key 'bogus'/);
    expect(() => parseXenRunScript([{ call: "multicall", calls: [{ call: "multicall", calls: [{ call: "xen_version" }] }] }], "s.json")).toThrow(/cannot nest/);
    expect(() => parseXenRunScript([], "s.json")).toThrow(/1\.\.256 calls/);
  });

  it("unknown calls, commands and struct members are typed errors", () => {
    expect(() => planXenPayload(abi, [{ call: "nope" }], { nonce })).toThrow(ValidationError);
    expect(() => planXenPayload(abi, [{ call: "xen_version", command: "nope" }], { nonce })).toThrow(/unknown 'nope'/);
    expect(() => planXenPayload(abi, [{ call: "event_channel_op", command: "send", struct: { prt: 1 } }], { nonce })).toThrow(/no member 'prt'/);
    expect(() => planXenPayload(abi, [{ call: "event_channel_op", command: "send", structAt: "0.port" }], { nonce })).toThrow(/earlier call/);
  });
});

const specs = parseXenRunScript([
  { call: "event_channel_op", command: "alloc_unbound", struct: { dom: 0x7ff0, remote_dom: 0 } },
  { call: "event_channel_op", command: "send", structAt: "0.port" },
  { call: "console_io", command: "write", args: [3, { text: "hi\n" }] },
  { call: "multicall", calls: [{ call: "xen_version", command: "version" }, { call: "xen_version", command: "extraversion" }] },
]);

describe("the payload's data block", () => {
  it("puts each handle where the relocated block has the struct, and the call table where the header says", () => {
    const plan = planXenPayload(abi, specs, { nonce });
    const base = 0x5000_1000n;
    const running = relocate(plan.block, base, 64);
    const v = new DataView(running.buffer);
    const table = Number(v.getBigUint64(PAYLOAD_HEADER.callTable, true));
    expect(Number(v.getBigUint64(PAYLOAD_HEADER.callCount, true))).toBe(4);
    // evtchn_send's handle is evtchn_alloc_unbound's port member (offset 4 of the struct).
    const allocHandle = v.getBigUint64(table + CALL_ENTRY.args + 8, true);
    const sendHandle = v.getBigUint64(table + CALL_ENTRY.size + CALL_ENTRY.args + 8, true);
    expect(sendHandle - allocHandle).toBe(4n);
    expect(allocHandle - base).toBe(BigInt(plan.calls[0]!.struct!.offset));
    // console_io's buffer holds the text.
    const text = Number(v.getBigUint64(table + 2 * CALL_ENTRY.size + CALL_ENTRY.args + 16, true) - base);
    expect(new TextDecoder().decode(running.subarray(text, text + 3))).toBe("hi\n");
    // The multicall's list argument points at two multicall_entry_t with op 17.
    const list = Number(v.getBigUint64(table + 3 * CALL_ENTRY.size + CALL_ENTRY.args, true) - base);
    expect([v.getBigUint64(list, true), v.getBigUint64(list + 64, true)]).toEqual([17n, 17n]);
  });

  it("is found in a memory dump by its nonce only where the payload ran, and decodes results written there", () => {
    const plan = planXenPayload(abi, specs, { nonce });
    const dump = new Uint8Array(64 * 4096);
    dump.set(plan.block, 4 * 4096); // the loader's untouched copy: base still 0
    const running = relocate(plan.block, 0x4002_0000n, 64);
    const v = new DataView(running.buffer);
    v.setBigUint64(plan.calls[0]!.entry + CALL_ENTRY.result, BigInt.asUintN(64, -22n), true);
    v.setBigUint64(plan.calls[0]!.entry + CALL_ENTRY.done, 1n, true);
    dump.set(running, 32 * 4096);
    expect(findPayloadBlock(dump, nonce)).toBe(32 * 4096);
    const results = decodeXenRun(abi, plan, running);
    expect(results[0]).toMatchObject({ call: "event_channel_op", command: "alloc_unbound", returned: true, result: -22n });
    expect(results[1]!.returned).toBe(false);
    expect(results[3]!.calls!.map((c) => c.command)).toEqual(["version", "extraversion"]);
    expect(findPayloadBlock(dump.subarray(0, 30 * 4096), nonce)).toBeUndefined();
  });

  it("an output array ({ type: 'T[]', count }) is zeroed room the call fills, decoded element by element (e820entry_t is 20 bytes)", () => {
    const mm = [{ call: "memory_op", command: "machine_memory_map", struct: { nr_entries: 3, buffer: { type: "e820entry_t[]", count: 3 } } }];
    const plan = planXenPayload(abi, parseXenRunScript(mm), { nonce });
    const buffer = plan.calls[0]!.buffers[0]!;
    expect(buffer).toMatchObject({ size: 60, element: "e820entry_t" });
    const running = relocate(plan.block, 0x4000_0000n, 64);
    const v = new DataView(running.buffer);
    // As Xen writes it: two packed entries, the second straddling an 8-byte boundary.
    v.setBigUint64(buffer.offset, 0x100000n, true);
    v.setBigUint64(buffer.offset + 8, 0x1fee0000n, true);
    v.setUint32(buffer.offset + 16, 1, true);
    v.setBigUint64(buffer.offset + 20, 0xfec00000n, true);
    v.setBigUint64(buffer.offset + 28, 0x1000n, true);
    v.setUint32(buffer.offset + 36, 2, true);
    const values = decodeXenRun(abi, plan, running)[0]!.buffers[0]!.values;
    expect(values).toEqual([
      { addr: 0x100000n, size: 0x1fee0000n, type: 1n },
      { addr: 0xfec00000n, size: 0x1000n, type: 2n },
      { addr: 0n, size: 0n, type: 0n },
    ]);
    expect(() => planXenPayload(abi, parseXenRunScript([{ ...mm[0]!, struct: { buffer: { type: "e820entry_t", count: 3 } } }]), { nonce })).toThrow(/array type/);
    expect(() => planXenPayload(abi, parseXenRunScript([{ ...mm[0]!, struct: { buffer: { type: "e820entry_t[]", count: 0 } } }]), { nonce })).toThrow(/outside/);
  });

  it("refuses a 32-bit guest's argument that is not 32-bit clean, naming Xen's rule, unless told to send it", () => {
    const unclean = [{ call: "multicall", calls: [{ call: "xen_version", command: "version", args: ["0x100000000"] }] }];
    expect(() => planXenPayload(abi, parseXenRunScript(unclean), { nonce, guestBits: 32 })).toThrow(HypercallArgumentError);
    expect(() => planXenPayload(abi, parseXenRunScript(unclean), { nonce, guestBits: 32 })).toThrow(/32-bit clean/);
    // A 64-bit guest may pass it.
    expect(() => planXenPayload(abi, parseXenRunScript(unclean), { nonce, guestBits: 64 })).not.toThrow();
    const sent = planXenPayload(abi, parseXenRunScript([{ ...unclean[0]!, allowUnclean: true }]), { nonce, guestBits: 32 });
    const entry = sent.calls[0]!.inner![0]!.entry;
    // multicall_entry_t.args[1] on AArch32 is a 64-bit xen_ulong_t: the high bit reaches memory as given.
    expect(new DataView(sent.block.buffer).getBigUint64(entry + 16 + 8, true)).toBe(0x1_0000_0000n);
  });

  it("the AArch64 image is an arm64 Linux Image with the block at its fixed offset", () => {
    const f = xenRunFlavour("arm64", 64);
    const plan = planXenPayload(abi, specs, { nonce });
    const image = f.image(plan.block);
    expect(new DataView(image.buffer).getUint32(0x38, true)).toBe(0x644d5241);
    expect(image.subarray(PAYLOAD_DATA_OFFSET, PAYLOAD_DATA_OFFSET + 16)).toEqual(nonce);
    expect(() => xenRunFlavour("riscv64")).toThrow(/no payload/);
  });
});

describe("the x86 PV payloads", () => {
  const dir = tempDir("handoff-xen-pv-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const x64 = abiOf("x86_64");

  // The 32-bit PV payload is read by the same readelf (it reads ELF32 of any machine).
  it.each([
    { bits: 64 as const, machine: /Machine:\s+Advanced Micro Devices X86-64/, word: 8 },
    { bits: 32 as const, machine: /Machine:\s+Intel 80386/, word: 4 },
  ])("the $bits-bit PV payload is an ELF$bits executable binutils reads: one PT_LOAD covering the block, Xen's notes for a generic xen-3.0 loader", ({ bits, machine, word }) => {
    if (!requireTool("x86_64-linux-gnu-readelf")) return;
    const plan = planXenPayload(x64, specs, { nonce, frameTable: true, guestBits: bits });
    const image = xenRunFlavour("x86_64", bits, "pv").image(plan.block);
    const file = join(dir, `dom0-${bits}.elf`);
    writeFileSync(file, image);
    const r = spawnSync("x86_64-linux-gnu-readelf", ["-hlnW", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(machine);
    const load = r.stdout.split("\n").find((l) => /^\s+LOAD\s/.test(l))!.trim().split(/\s+/);
    // offset 0, vaddr = paddr, filesz = memsz = the whole file (code page + block)
    expect(load.slice(1, 6).map((x) => BigInt(x))).toEqual([0n, 0x400000n, 0x400000n, BigInt(image.length), BigInt(image.length)]);
    expect(image.length).toBe(PAYLOAD_DATA_OFFSET + plan.block.length);
    const entry = BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(r.stdout)![1]!);
    expect(entry > 0x400000n && entry < 0x400000n + BigInt(PAYLOAD_DATA_OFFSET)).toBe(true);
    // readelf does not name Xen's note types; owner and description bytes are its own reading.
    const notes = [...r.stdout.matchAll(/^\s+Xen\s+0x0*[48]\s.*description data: ([0-9a-f ]+?)\s*$/gm)].map((m) => Buffer.from(m[1]!.replace(/ /g, ""), "hex"));
    const text = notes.map((b) => b.toString("latin1").replace(/\0+$/, ""));
    expect(text).toEqual(expect.arrayContaining(["handoff", "xen-3.0", "generic"]));
    // A 32-bit guest must say PAE ("yes"): Xen runs 32-bit PV guests with PAE paging only.
    expect(text.includes("yes")).toBe(bits === 32);
    expect(notes).toHaveLength(bits === 32 ? 7 : 6);
    expect(notes.some((b) => b.length === word && (word === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0))) === entry)).toBe(true);
  });

  it("reserves a frame table in the block's first page and reads the frames the payload writes there", () => {
    const plan = planXenPayload(x64, specs, { nonce, frameTable: true });
    const pages = plan.block.length / 4096;
    const v = new DataView(plan.block.buffer);
    expect(Number(v.getBigUint64(PAYLOAD_HEADER.frameTable, true))).toBe(PAYLOAD_HEADER.size);
    expect(Number(v.getBigUint64(PAYLOAD_HEADER.frameCount, true))).toBe(pages);
    const ran = plan.block.slice();
    const rv = new DataView(ran.buffer);
    for (let i = 0; i < pages; i++) rv.setBigUint64(PAYLOAD_HEADER.size + i * 8, 0x1234n - BigInt(i) * 7n, true);
    expect(blockFrames(ran.subarray(0, 4096), pages)).toEqual(Array.from({ length: pages }, (_, i) => 0x1234n - BigInt(i) * 7n));
    expect(() => blockFrames(ran.subarray(0, 4096), pages + 1)).toThrow(/frames for a block of/);
    // The Arm flavours have none: their block is read in one piece.
    expect(blockFrames(planXenPayload(abi, specs, { nonce }).block.subarray(0, 4096), pages)).toBeUndefined();
    // A block past the table's reach is refused before a boot.
    const big = [{ call: "console_io", command: "write", args: [1, { zeros: FRAME_TABLE_SLOTS * 4096 }] }];
    expect(() => planXenPayload(x64, parseXenRunScript(big), { nonce, frameTable: true })).toThrow(/the frame table holds/);
  });
});

describe("the x86 PVH payload", () => {
  const dir = tempDir("handoff-xen-pvh-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const x64 = abiOf("x86_64");

  it.each([32, 64] as const)("the %i-bit flavour is an i386 ELF32 binutils reads: one PT_LOAD at 4 MiB whose p_memsz adds the payload's five pages, and a PHYS32_ENTRY note naming the entry", (bits) => {
    if (!requireTool("x86_64-linux-gnu-readelf")) return;
    const plan = planXenPayload(x64, specs, { nonce, frameTable: true, guestBits: bits, startInfo: "hvm_start_info" });
    const image = xenRunFlavour("x86_64", bits, "pvh").image(plan.block);
    const file = join(dir, `dom0-pvh${bits}.elf`);
    writeFileSync(file, image);
    const r = spawnSync("x86_64-linux-gnu-readelf", ["-hlnW", file], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Class:\s+ELF32/);
    expect(r.stdout).toMatch(/Machine:\s+Intel 80386/);
    const load = r.stdout.split("\n").find((l) => /^\s+LOAD\s/.test(l))!.trim().split(/\s+/);
    expect(load.slice(1, 6).map((x) => BigInt(x))).toEqual([0n, 0x400000n, 0x400000n, BigInt(image.length), BigInt(image.length + 5 * 4096)]);
    const entry = BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(r.stdout)![1]!);
    // XEN_ELFNOTE_PHYS32_ENTRY is type 0x12 (public/elfnote.h): its 4-byte description is the entry point.
    const phys32 = /^\s+Xen\s+0x00000004\s+Unknown note type: \(0x00000012\)\s+description data: ([0-9a-f ]+?)\s*$/m.exec(r.stdout);
    expect(phys32).not.toBeNull();
    expect(BigInt(Buffer.from(phys32![1]!.replace(/ /g, ""), "hex").readUInt32LE(0))).toBe(entry);
    // The stage the calls run in is the block header's flag.
    expect(new DataView(image.buffer).getBigUint64(PAYLOAD_DATA_OFFSET + PAYLOAD_HEADER.longMode, true)).toBe(bits === 64 ? 1n : 0n);
  });

  it("hashes a page as the payload does (FNV-1a over dwords) and refuses a block page whose hash differs, naming it", () => {
    // A zero page: basis * prime^1024 mod 2^32, worked out with BigInt arithmetic.
    let zero = 0x811c9dc5n;
    for (let i = 0; i < 1024; i++) zero = (zero * 0x01000193n) % (1n << 32n);
    expect(pageHash(new Uint8Array(4096))).toBe(zero);
    // Constant pages differ (the rotate-xor hash this replaced gave them all 0).
    expect(pageHash(new Uint8Array(4096).fill(0x11))).not.toBe(pageHash(new Uint8Array(4096).fill(0x5a)));
    const plan = planXenPayload(x64, specs, { nonce, frameTable: true, startInfo: "hvm_start_info" });
    const pages = plan.block.length / 4096;
    expect(pages).toBeGreaterThan(1);
    const ran = plan.block.slice();
    const v = new DataView(ran.buffer);
    const table = Number(v.getBigUint64(PAYLOAD_HEADER.frameTable, true));
    for (let i = 1; i < pages; i++) v.setBigUint64(table + i * 8, pageHash(ran.subarray(i * 4096, (i + 1) * 4096)), true);
    expect(() => checkPageHashes(ran, pages)).not.toThrow();
    ran[(pages - 1) * 4096 + 100]! ^= 0x40;
    expect(() => checkPageHashes(ran, pages)).toThrow(new RegExp(`page ${pages - 1}.*not machine-contiguous`));
  });

  it("reads a block on from its first page and finds a page that is not where contiguity puts it by its hash, anywhere in RAM", async () => {
    const plan = planXenPayload(x64, [...specs, { call: "console_io", command: "write", args: [1, { zeros: 3 * 4096 }] }], { nonce, frameTable: true });
    const pages = plan.block.length / 4096;
    const ran = plan.block.slice();
    const v = new DataView(ran.buffer);
    ran.fill(0x5a, 2 * 4096, 3 * 4096); // page 2: distinct bytes
    const table = Number(v.getBigUint64(PAYLOAD_HEADER.frameTable, true));
    for (let i = 1; i < pages; i++) v.setBigUint64(table + i * 8, pageHash(ran.subarray(i * 4096, (i + 1) * 4096)), true);
    // 64 pages of "RAM" at 1 GiB: the block at page 8, and page 2 of it moved to page 50 with junk in its place.
    const base = 0x4000_0000n;
    const ram = new Uint8Array(64 * 4096).map((_, i) => (i * 13) & 0xff);
    ram.set(ran, 8 * 4096);
    const read = async (a: bigint, n: number) => ram.slice(Number(a - base), Number(a - base) + n);
    expect(await readHashedBlock(read, { base, size: ram.length }, base + 8n * 4096n, ran.length)).toEqual({ bytes: ran, moved: [] });
    ram.set(ran.subarray(2 * 4096, 3 * 4096), 50 * 4096);
    ram.fill(0x11, 10 * 4096, 11 * 4096);
    expect(await readHashedBlock(read, { base, size: ram.length }, base + 8n * 4096n, ran.length)).toEqual({ bytes: ran, moved: [2] });
    ram.fill(0x11, 50 * 4096, 51 * 4096);
    await expect(readHashedBlock(read, { base, size: ram.length }, base + 8n * 4096n, ran.length)).rejects.toThrow(/page 2.*no page of guest RAM has the hash/);
  });

  it("decodes the boot facts and the start info copy the planner made room for", () => {
    const plan = planXenPayload(x64, specs, { nonce, frameTable: true, guestBits: 32, startInfo: "hvm_start_info" });
    const ran = plan.block.slice();
    const v = new DataView(ran.buffer);
    const copy = Number(v.getBigUint64(PAYLOAD_HEADER.startInfoCopy, true));
    expect(copy).toBeGreaterThanOrEqual(PAYLOAD_HEADER.size);
    v.setUint32(copy, 0x336ec578, true);
    v.setUint32(copy + 8, 3, true);
    v.setBigUint64(copy + 32, 0x8060f2en, true);
    v.setBigUint64(PAYLOAD_HEADER.cpuidBase, 0x40000000n, true);
    const facts = decodePvhBoot(x64, plan, ran);
    expect(facts.cpuidBase).toBe(0x40000000n);
    expect(facts.startInfo).toMatchObject({ magic: 0x336ec578n, flags: 3n, rsdp_paddr: 0x8060f2en });
  });
});

describe("Argo rings read back", () => {
  it("reads messages between rx_ptr and tx_ptr and refuses lengths past the ring", () => {
    const ring = new Uint8Array(64 + 256);
    const v = new DataView(ring.buffer);
    v.setUint32(4, 32, true); // tx_ptr after one 16-byte header + 5 bytes, rounded to 16
    v.setUint32(64, 21, true);
    v.setUint32(68, 7, true);
    v.setUint16(72, 0, true);
    v.setUint32(76, 9, true);
    ring.set(new TextEncoder().encode("hello"), 80);
    const [m] = readArgoRing(ring, 256);
    expect(new TextDecoder().decode(m!.data)).toBe("hello");
    expect(m!.source.aport).toBe(7n);
    expect(m!.messageType).toBe(9n);
    v.setUint32(64, 4096, true);
    expect(() => readArgoRing(ring, 256)).toThrow(/does not fit/);
    expect(() => readArgoRing(ring, 4096)).toThrow(/ring of 4096/);
  });
});

// The committed bytes of every payload are what its .S assembles to (scripts/assemble-stubs.mjs --check).
describe("committed xen run payloads", () => {
  itAssemblesCommittedStub("xen-aarch64", "aarch64-linux-gnu-as");
  itAssemblesCommittedStub("xen-aarch32", "arm-linux-gnueabihf-as");
  itAssemblesCommittedStub("xen-x86_64-pv", "x86_64-linux-gnu-as");
  itAssemblesCommittedStub("xen-x86_32-pv", "i686-linux-gnu-as");
  itAssemblesCommittedStub("xen-x86-pvh", "i686-linux-gnu-as");
});

describe("kexec through xen run: handoff's segments as KEXEC_CMD_kexec_load", () => {
  const x64 = abiOf("x86_64");
  const kernel = Uint8Array.from({ length: 3 * 4096 + 100 }, (_, i) => (i * 7) & 0xff);
  const plan = { entry: 0x100_04c1n, segments: [{ bytes: Uint8Array.of(0xeb, 0xfe), mem: 0x10_0000n, memsz: 0x1000n, name: "stub" }, { bytes: kernel, mem: 0x100_0000n, memsz: 0x80_0000n, name: "kernel" }, { bytes: new Uint8Array(0), mem: 0x200_0000n, memsz: 0x1800n, name: "bss" }] };

  it("loads a default image (EM_X86_64) whose segment buffers sit in the bulk area past the block, then execs it", () => {
    const calls = xenKexecCalls(plan, 62);
    expect(calls.map((c) => `${c.call} ${c.command}`)).toEqual(["kexec_op load", "kexec_op exec"]);
    const planned = planXenPayload(x64, calls, { nonce, frameTable: true });
    const image = xenRunFlavour("x86_64", 64, "pv").image(planned.block, planned.bulk);
    // The relocated block as the payload would leave it at 0x401000, read with the catalogue's layouts.
    const base = 0x401000n;
    const ran = relocate(planned.block, base, 64);
    const load = planned.calls[0]!.struct!;
    const v = new DataView(ran.buffer);
    const at = (o: number) => v.getBigUint64(load.offset + o, true);
    // xen_kexec_load_t: type 0 (KEXEC_TYPE_DEFAULT), arch 62, 3 segments, the array's handle, entry_maddr.
    expect([ran[load.offset], v.getUint16(load.offset + 2, true), v.getUint32(load.offset + 4, true), at(16)]).toEqual([0, 62, 3, plan.entry]);
    const array = Number(at(8) - base);
    const seg = (i: number, f: number) => v.getBigUint64(array + i * 32 + f, true);
    // Each buffer is its segment's bytes in the image the loader maps (image offset = 0x1000 + block offset); a segment without bytes has a null handle.
    for (const i of [0, 1]) {
      const off = Number(seg(i, 0) - base);
      expect(off).toBeGreaterThanOrEqual(planned.block.length);
      expect(image.subarray(PAYLOAD_DATA_OFFSET + off, PAYLOAD_DATA_OFFSET + off + plan.segments[i]!.bytes.length)).toEqual(plan.segments[i]!.bytes);
      expect([seg(i, 8), seg(i, 16)]).toEqual([BigInt(plan.segments[i]!.bytes.length), plan.segments[i]!.mem]);
    }
    expect([seg(2, 0), seg(2, 8), seg(2, 24)]).toEqual([0n, 0n, 0x2000n]); // dest_size rounded up to a page
    // The block itself stays small: the bulk area is not part of what is read back.
    expect(planned.block.length).toBeLessThan(64 * 1024);
    expect(planned.calls[1]!.struct!.type).toBe("xen_kexec_exec_t");
  });

  it("refuses segments Xen's kimage would refuse, before any boot", () => {
    const overlapping = { ...plan, segments: [plan.segments[1]!, { ...plan.segments[0]!, mem: 0x100_1000n }] };
    expect(() => xenKexecCalls(overlapping, 62)).toThrow(SegmentSetError);
    const unaligned = { ...plan, segments: [{ ...plan.segments[0]!, mem: 0x10_0800n }] };
    expect(() => xenKexecCalls(unaligned, 62)).toThrow(SegmentSetError);
  });
});
