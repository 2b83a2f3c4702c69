import "reflect-metadata";
import { describe, expect, it } from "vitest";
import { HypercallArgumentError, ValidationError } from "@handoff/core";
import { abiOf } from "./arches.js";
import {
  CALL_ENTRY,
  PAYLOAD_DATA_OFFSET,
  PAYLOAD_HEADER,
  XenRunScriptError,
  decodeXenRun,
  findPayloadBlock,
  parseXenRunScript,
  planXenPayload,
  readArgoRing,
  xenRunFlavour,
} from "@handoff/xen";

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

describe("the payload's data block", () => {
  const specs = parseXenRunScript([
    { call: "event_channel_op", command: "alloc_unbound", struct: { dom: 0x7ff0, remote_dom: 0 } },
    { call: "event_channel_op", command: "send", structAt: "0.port" },
    { call: "console_io", command: "write", args: [3, { text: "hi\n" }] },
    { call: "multicall", calls: [{ call: "xen_version", command: "version" }, { call: "xen_version", command: "extraversion" }] },
  ]);

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
