import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeviceTree, FdtValue, encodeFdt, fdtMemoryRanges, fdtMemoryMap, machineDeviceTree, parseFdt, setChosen, setFdtMemory } from "@handoff/core/fdt";
import { FormatError, MemoryMap, ValidationError } from "@handoff/core";
import { requireTool } from "@handoff/test-support/assemble";
import { tempDir, thrownBy } from "@handoff/test-support";

const tmp = tempDir("handoff-fdt-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dtc(args: string[], input?: Uint8Array | string): Buffer {
  const r = spawnSync("dtc", args, { input, maxBuffer: 1 << 24, timeout: 20_000 });
  if (r.status !== 0) throw new Error(`dtc ${args.join(" ")} failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

const HAVE_DTC = requireTool("dtc");

const machine = () =>
  machineDeviceTree({
    model: "handoff test",
    compatible: ["handoff,test", "linux,dummy-virt"],
    memory: MemoryMap.of([{ start: 0x40000000n, size: 0x20000000n, type: "ram" }]).ranges,
    cpus: { count: 2, compatible: "arm,cortex-a57", enableMethod: "psci" },
    chosen: { bootargs: "console=ttyAMA0 root=/dev/vda", initrd: { start: 0x48000000n, end: 0x48100000n } },
    reservations: [{ address: 0x40000000n, size: 0x1000n }],
  });

/** One cpu node of the machine above, as dtc prints it. */
function cpuDts(n: number): string {
  return `\t\tcpu@${n} {\n\t\t\tdevice_type = "cpu";\n\t\t\tcompatible = "arm,cortex-a57";\n\t\t\treg = <0x0${n}>;\n\t\t\tenable-method = "psci";\n\t\t};\n`;
}

/** What the machine above must decompile to, written from the description (dtc 1.6 formatting). */
const MACHINE_DTS = `/dts-v1/;

/memreserve/\t0x0000000040000000 0x0000000000001000;
/ {
\t#address-cells = <0x02>;
\t#size-cells = <0x02>;
\tmodel = "handoff test";
\tcompatible = "handoff,test\\0linux,dummy-virt";

\tcpus {
\t\t#address-cells = <0x01>;
\t\t#size-cells = <0x00>;

${[0, 1].map(cpuDts).join("\n")}\t};

\tmemory@40000000 {
\t\tdevice_type = "memory";
\t\treg = <0x00 0x40000000 0x00 0x20000000>;
\t};

\tchosen {
\t\tbootargs = "console=ttyAMA0 root=/dev/vda";
\t\tlinux,initrd-start = <0x00 0x48000000>;
\t\tlinux,initrd-end = <0x00 0x48100000>;
\t};
};
`;

/** Hand-written source for dtc to compile; our reader must see exactly this. */
const SOURCE_DTS = `/dts-v1/;
/memreserve/ 0x80000000 0x10000;
/ {
	#address-cells = <2>;
	#size-cells = <1>;
	model = "dtc input";
	compatible = "vendor,board", "vendor,soc";
	empty-prop;
	bytes = [de ad be ef 01];
	big = /bits/ 64 <0x123456789abcdef0>;
	cells = <1 2 0xffffffff>;
	intc: interrupt-controller@8000000 {
		compatible = "arm,gic-v3";
		reg = <0x0 0x8000000 0x10000>;
		#interrupt-cells = <3>;
	};
	uart@9000000 {
		interrupt-parent = <&intc>;
		reg = <0x0 0x9000000 0x1000>;
		status = "okay";
	};
	memory@40000000 {
		device_type = "memory";
		reg = <0x0 0x40000000 0x20000000 0x1 0x0 0x40000000>;
	};
	a { b { c { d { leaf; }; }; }; };
};
`;

describe.skipIf(!HAVE_DTC)("FDT writer and reader cross-checked with dtc", () => {
  it("what we write, dtc decompiles to the expected source", () => {
    const dtb = encodeFdt(machine());
    expect(dtc(["-I", "dtb", "-O", "dts", "-q"], dtb).toString()).toBe(MACHINE_DTS);
  });

  it("what we write is byte-identical to dtc's own re-encoding of it", () => {
    const dtb = encodeFdt(machine());
    expect(Buffer.compare(dtc(["-I", "dtb", "-O", "dtb", "-q"], dtb), Buffer.from(dtb))).toBe(0);
  });

  it("what dtc compiles, we read identically", () => {
    const blob = new Uint8Array(dtc(["-I", "dts", "-O", "dtb", "-q"], SOURCE_DTS));
    const { tree, header } = parseFdt(blob, "dtc.dtb");
    expect(header.version).toBe(17);
    expect(tree.reservations).toEqual([{ address: 0x80000000n, size: 0x10000n }]);
    const root = tree.root;
    expect(root.property("model")!.string()).toBe("dtc input");
    expect(root.property("compatible")!.strings()).toEqual(["vendor,board", "vendor,soc"]);
    expect(root.property("empty-prop")!.length).toBe(0);
    expect([...root.property("bytes")!.value]).toEqual([0xde, 0xad, 0xbe, 0xef, 0x01]);
    expect(root.property("big")!.u64()).toBe(0x123456789abcdef0n);
    expect(root.property("cells")!.cells()).toEqual([1, 2, 0xffffffff]);
    const intc = tree.find("/interrupt-controller@8000000")!;
    const uart = tree.find("/uart@9000000")!;
    expect(uart.property("interrupt-parent")!.u32()).toBe(intc.property("phandle")!.u32());
    expect(uart.property("reg")!.addressSizePairs(2, 1)).toEqual([{ address: 0x9000000n, size: 0x1000n }]);
    expect(tree.find("/a/b/c/d")!.property("leaf")).toBeDefined();
    expect(fdtMemoryRanges(tree)).toEqual([
      { start: 0x40000000n, size: 0x20000000n, type: "ram" },
      { start: 0x1_0000_0000n, size: 0x40000000n, type: "ram" },
    ]);
    // Re-encoding what we read gives dtc's bytes back.
    expect(Buffer.compare(Buffer.from(encodeFdt(tree)), Buffer.from(blob))).toBe(0);
  });

  it("setChosen on a dtc-compiled tree decompiles as expected (u32 initrd for #address-cells = 1)", () => {
    const blob = new Uint8Array(dtc(["-I", "dts", "-O", "dtb", "-q"], "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>; chosen { bootargs = \"old\"; }; };\n"));
    const { tree } = parseFdt(blob);
    setChosen(tree, { bootargs: "console=ttyS0", initrd: { start: 0x8000000n, end: 0x8100000n } });
    const text = dtc(["-I", "dtb", "-O", "dts", "-q"], encodeFdt(tree)).toString();
    expect(text).toContain('bootargs = "console=ttyS0";');
    expect(text).toContain("linux,initrd-start = <0x8000000>;");
    expect(text).toContain("linux,initrd-end = <0x8100000>;");
    expect(() => setChosen(tree, { initrd: { start: 0x1_0000_0000n, end: 0x1_0010_0000n } })).toThrow(ValidationError);
  });
});

const HAVE_QEMU = requireTool("qemu-system-aarch64");

describe.skipIf(!HAVE_QEMU)("FDT reader on QEMU's own virt machine DTB", () => {
  it("reads /memory = 0x40000000, 512 MiB and the rest of the tree", () => {
    const out = join(tmp, "virt.dtb");
    const r = spawnSync("qemu-system-aarch64", ["-M", `virt,dumpdtb=${out}`, "-m", "512M", "-cpu", "cortex-a57", "-nographic"], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const { tree } = parseFdt(new Uint8Array(readFileSync(out)), out);
    expect(fdtMemoryRanges(tree)).toEqual([{ start: 0x40000000n, size: 512n << 20n, type: "ram" }]);
    expect(fdtMemoryMap(tree).totalRam()).toBe(512n << 20n);
    expect(tree.root.property("compatible")!.strings()).toContain("linux,dummy-virt");
    expect(tree.find("/chosen")).toBeDefined();
    expect(tree.find("/cpus")!.children.some((c) => c.name.startsWith("cpu@"))).toBe(true);
    // And what we read, we write back to something dtc accepts and that reads back the same.
    const again = parseFdt(encodeFdt(tree)).tree;
    expect(fdtMemoryRanges(again)).toEqual(fdtMemoryRanges(tree));
  });
});

describe("FDT tree helpers", () => {
  it("reg decoding honours #address-cells/#size-cells and refuses a ragged reg", () => {
    const t = new DeviceTree();
    t.root.set("#address-cells", FdtValue.u32(1)).set("#size-cells", FdtValue.u32(1));
    t.ensure("/memory@0").set("device_type", FdtValue.string("memory")).set("reg", FdtValue.cells([0, 0x1000_0000, 0x2000_0000, 0x1000]));
    expect(fdtMemoryRanges(parseFdt(encodeFdt(t)).tree)).toEqual([
      { start: 0n, size: 0x1000_0000n, type: "ram" },
      { start: 0x2000_0000n, size: 0x1000n, type: "ram" },
    ]);
    t.ensure("/memory@0").set("reg", FdtValue.cells([0, 1, 2]));
    expect(() => fdtMemoryRanges(parseFdt(encodeFdt(t)).tree)).toThrow(FormatError);
  });

  it("defaults to #address-cells 2 / #size-cells 1 when absent (§2.3.5)", () => {
    const t = new DeviceTree();
    t.ensure("/memory@80000000").set("device_type", FdtValue.string("memory")).set("reg", FdtValue.cells([0, 0x8000_0000, 0x100_0000]));
    expect(fdtMemoryRanges(t)).toEqual([{ start: 0x8000_0000n, size: 0x100_0000n, type: "ram" }]);
  });

  it("setChosen writes u64 initrd properties under #address-cells = 2", () => {
    const t = machine();
    setChosen(t, { initrd: { start: 0x1_4000_0000n, end: 0x1_4100_0000n } });
    const chosen = parseFdt(encodeFdt(t)).tree.find("/chosen")!;
    expect(chosen.property("linux,initrd-start")!.length).toBe(8);
    expect(chosen.property("linux,initrd-start")!.uint()).toBe(0x1_4000_0000n);
    expect(chosen.property("linux,initrd-end")!.uint()).toBe(0x1_4100_0000n);
    expect(chosen.property("bootargs")!.string()).toBe("console=ttyAMA0 root=/dev/vda");
  });

  it("writer is deterministic and shares property-name suffixes", () => {
    const a = encodeFdt(machine());
    const b = encodeFdt(machine());
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const t = new DeviceTree();
    t.root.set("#size-cells", FdtValue.u32(0)).set("size-cells", FdtValue.u32(0)).set("cells", FdtValue.u32(0));
    const { header } = parseFdt(encodeFdt(t));
    expect(header.sizeDtStrings).toBe("#size-cells\0".length);
  });

  it("writer refuses invalid trees", () => {
    const t = new DeviceTree();
    t.root.children.push(new (t.root.constructor as typeof import("@handoff/core/fdt").FdtNode)("x"), new (t.root.constructor as typeof import("@handoff/core/fdt").FdtNode)("x"));
    expect(() => encodeFdt(t)).toThrow(/duplicate/);
    expect(() => new DeviceTree().root.set("bad/name", FdtValue.empty())).toThrow(ValidationError);
    expect(() => machineDeviceTree({ model: "m", compatible: ["c"], memory: [{ start: 0n, size: 1n, type: "reserved" }] })).toThrow(/not RAM/);
  });
});

// ---- hostile blobs ----

type Piece = number | { name: string; pad?: boolean };

/** Assemble a DTB from raw structure-block words/names and a strings block, with header overrides. */
function rawFdt(struct: Piece[], strings: string, over: Partial<Record<string, number>> = {}, rsv: bigint[] = [0n, 0n]): Uint8Array {
  const s: number[] = [];
  for (const p of struct) {
    if (typeof p === "number") s.push((p >>> 24) & 0xff, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff);
    else {
      const bytes = [...Buffer.from(p.name, "latin1"), ...(p.pad === false ? [] : [0])];
      while (p.pad !== false && bytes.length % 4) bytes.push(0);
      s.push(...bytes);
    }
  }
  const str = Buffer.from(strings, "latin1");
  const offRsv = 40;
  const offStruct = offRsv + rsv.length * 8;
  const offStrings = offStruct + s.length;
  const total = offStrings + str.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  const h: Record<string, number> = {
    magic: 0xd00dfeed, totalsize: total, off_dt_struct: offStruct, off_dt_strings: offStrings, off_mem_rsvmap: offRsv,
    version: 17, last_comp_version: 16, boot_cpuid_phys: 0, size_dt_strings: str.length, size_dt_struct: s.length, ...over,
  };
  ["magic", "totalsize", "off_dt_struct", "off_dt_strings", "off_mem_rsvmap", "version", "last_comp_version", "boot_cpuid_phys", "size_dt_strings", "size_dt_struct"].forEach((k, i) => v.setUint32(i * 4, h[k]! >>> 0, false));
  rsv.forEach((x, i) => v.setBigUint64(offRsv + i * 8, x, false));
  b.set(s, offStruct);
  b.set(str, offStrings);
  return b;
}

const B = 1, E = 2, P = 3, NOP = 4, END = 9;
const OK_STRUCT: Piece[] = [B, { name: "" }, P, 4, 0, 0x11223344, B, { name: "n" }, E, E, END];
const OK_STRINGS = "prop\0";

const fdtError = (bytes: Uint8Array, limits = {}): FormatError => thrownBy(FormatError, () => parseFdt(bytes, "hostile.dtb", limits));

describe("FDT reader: hostile input", () => {
  it("the raw baseline parses (so each variant fails for its one defect)", () => {
    const { tree } = parseFdt(rawFdt(OK_STRUCT, OK_STRINGS));
    expect(tree.root.property("prop")!.u32()).toBe(0x11223344);
    expect(tree.find("/n")).toBeDefined();
  });

  const deep: Piece[] = [B, { name: "" }];
  for (let i = 0; i < 100; i++) deep.push(B, { name: "a" });
  for (let i = 0; i < 101; i++) deep.push(E);
  deep.push(END);
  const nops: Piece[] = [B, { name: "" }, ...Array<Piece>(100).fill(NOP), E, END];

  it.each<[string, () => Uint8Array, string, number, object?]>([
    ["truncated header", () => rawFdt(OK_STRUCT, OK_STRINGS).slice(0, 39), "header", 0],
    ["bad magic", () => rawFdt(OK_STRUCT, OK_STRINGS, { magic: 0xd00dfeee }), "magic", 0],
    ["version 16", () => rawFdt(OK_STRUCT, OK_STRINGS, { version: 16 }), "version", 20],
    ["last_comp_version 18", () => rawFdt(OK_STRUCT, OK_STRINGS, { last_comp_version: 18 }), "last_comp_version", 24],
    ["totalsize past the buffer", () => rawFdt(OK_STRUCT, OK_STRINGS, { totalsize: 0x10000 }), "totalsize", 4],
    ["off_dt_struct past totalsize", () => rawFdt(OK_STRUCT, OK_STRINGS, { off_dt_struct: 0x7ffffff0 }), "off_dt_struct", 8],
    ["off_dt_struct inside the header", () => rawFdt(OK_STRUCT, OK_STRINGS, { off_dt_struct: 8 }), "off_dt_struct", 8],
    ["off_dt_struct unaligned", () => rawFdt(OK_STRUCT, OK_STRINGS, { off_dt_struct: 58 }), "off_dt_struct", 8],
    ["size_dt_struct past totalsize", () => rawFdt(OK_STRUCT, OK_STRINGS, { size_dt_struct: 0xfffffff0 }), "size_dt_struct", 36],
    ["size_dt_strings past totalsize", () => rawFdt(OK_STRUCT, OK_STRINGS, { size_dt_strings: 0x1000 }), "size_dt_strings", 32],
    ["off_mem_rsvmap unaligned", () => rawFdt(OK_STRUCT, OK_STRINGS, { off_mem_rsvmap: 44 }), "off_mem_rsvmap", 16],
    ["strings block overlapping the structure block", () => rawFdt(OK_STRUCT, OK_STRINGS, { off_dt_strings: 56 + 8 }), "off_dt_strings", 12],
    ["reservation map not terminated before the structure block", () => rawFdt(OK_STRUCT, OK_STRINGS, {}, [0x1000n, 0x1000n]), "mem_rsvmap[1]", 56],
    ["reservation wrapping 2^64", () => rawFdt(OK_STRUCT, OK_STRINGS, {}, [0xffff_ffff_ffff_f000n, 0x2000n, 0n, 0n]), "mem_rsvmap[0].size", 48],
    ["node name not terminated within the structure block", () => rawFdt([B, { name: "" }, B, { name: "abcdefgh", pad: false }], OK_STRINGS), "node name", 68],
    ["property name not terminated within the strings block", () => rawFdt(OK_STRUCT, "prop"), "property name", 100],
    ["property nameoff outside the strings block", () => rawFdt([B, { name: "" }, P, 0, 0x100, E, END], OK_STRINGS), "FDT_PROP.nameoff", 72],
    ["property value past the structure block", () => rawFdt([B, { name: "" }, P, 0x1000, 0, E, END], OK_STRINGS), "FDT_PROP.len", 68],
    ["excessive depth", () => rawFdt(deep, OK_STRINGS), "FDT_BEGIN_NODE", 64 + 63 * 8],
    ["token count above the limit", () => rawFdt(nops, OK_STRINGS), "structure block", 64 + 50 * 4, { maxTokens: 51 }],
    ["END_NODE without BEGIN_NODE", () => rawFdt([E, END], OK_STRINGS), "FDT_END_NODE", 56],
    ["no FDT_END", () => rawFdt([B, { name: "" }, E], OK_STRINGS), "structure block", 68],
    ["FDT_END with nodes open", () => rawFdt([B, { name: "" }, END], OK_STRINGS), "FDT_END", 64],
    ["unknown token", () => rawFdt([B, { name: "" }, 7, E, END], OK_STRINGS), "token", 64],
    ["property outside any node", () => rawFdt([P, 0, 0, B, { name: "" }, E, END], OK_STRINGS), "FDT_PROP", 56],
    ["second root node", () => rawFdt([B, { name: "" }, E, B, { name: "" }, E, END], OK_STRINGS), "FDT_BEGIN_NODE", 68],
    ["root with a name", () => rawFdt([B, { name: "root" }, E, END], OK_STRINGS), "node name", 60],
    ["duplicate sibling names", () => rawFdt([B, { name: "" }, B, { name: "x" }, E, B, { name: "x" }, E, E, END], OK_STRINGS), "node name", 80],
    ["property after a subnode", () => rawFdt([B, { name: "" }, B, { name: "x" }, E, P, 0, 0, E, END], OK_STRINGS), "FDT_PROP", 76],
    ["duplicate property", () => rawFdt([B, { name: "" }, P, 0, 0, P, 0, 0, E, END], OK_STRINGS), "property name", 76],
  ])("%s -> FormatError on its field", (_l, make, field, offset, limits) => {
    const e = fdtError(make(), limits);
    expect(e.field).toBe(field);
    expect(Number(e.offset)).toBe(offset);
    expect(e.format).toBe("FDT");
    expect(e.file).toBe("hostile.dtb");
  });

  it("never throws anything but FormatError on mutated blobs", () => {
    const base = encodeFdt(machine());
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (let i = 0; i < 2000; i++) {
      const b = base.slice(0, rand(base.length + 1));
      for (let k = rand(8); k >= 0; k--) if (b.length) b[rand(b.length)] = rand(256);
      try {
        parseFdt(b);
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`iteration ${i}: ${String(e)}`);
      }
    }
  });
});

describe("setFdtMemory: the RAM a handed-over devicetree describes", () => {
  const GIB = 1n << 30n;
  const tree = (memory: { start: bigint; size: bigint }[], addressCells = 2) => {
    const t = machineDeviceTree({ model: "m", compatible: ["c"], addressCells, sizeCells: addressCells, memory: memory.map((m) => ({ ...m, type: "ram" as const })) });
    t.root.addChild("pl011@9000000").set("reg", FdtValue.reg([{ address: 0x900_0000n, size: 0x1000n }], addressCells, addressCells));
    return t;
  };

  it("leaves a tree that already says so byte for byte alone", () => {
    const t = tree([{ start: GIB, size: GIB }]);
    const before = encodeFdt(t);
    setFdtMemory(t, [{ start: GIB, size: GIB, type: "ram" }]);
    expect(Buffer.from(encodeFdt(t)).equals(Buffer.from(before))).toBe(true);
  });

  it("replaces every memory node by the machine's ranges, in the first one's place, keeping every other node", () => {
    const t = tree([{ start: GIB, size: GIB / 4n }, { start: 3n * GIB, size: GIB / 4n }]);
    setFdtMemory(t, [{ start: 2n * GIB, size: 4n * GIB, type: "ram" }, { start: GIB, size: 512n << 20n, type: "ram" }]);
    const back = parseFdt(encodeFdt(t)).tree;
    expect(back.root.children.map((c) => c.name)).toEqual(["memory@40000000", "memory@80000000", "chosen", "pl011@9000000"]);
    expect(fdtMemoryRanges(back)).toEqual([{ start: GIB, size: 512n << 20n, type: "ram" }, { start: 2n * GIB, size: 4n * GIB, type: "ram" }]);
    expect(back.root.child("pl011@9000000")?.property("reg")).toBeDefined();
  });

  it("refuses what a /memory node cannot say: RAM past a 1-cell root, a non-RAM or empty range, a name a non-memory sibling has", () => {
    expect(() => setFdtMemory(tree([{ start: GIB, size: GIB }], 1), [{ start: GIB, size: 4n * GIB, type: "ram" }])).toThrow(/does not fit 1 cell/);
    expect(() => setFdtMemory(tree([{ start: GIB, size: GIB }]), [{ start: GIB, size: GIB, type: "reserved" }])).toThrow(/RAM of a positive size/);
    expect(() => setFdtMemory(tree([{ start: GIB, size: GIB }]), [{ start: GIB, size: 0n, type: "ram" }])).toThrow(/RAM of a positive size/);
    const clash = tree([{ start: GIB, size: GIB }]);
    clash.root.addChild("memory@80000000");
    expect(() => setFdtMemory(clash, [{ start: 2n * GIB, size: GIB, type: "ram" }])).toThrow(/not a memory node already has this name/);
  });
});
