// Core keeps no table of machines: a header's raw machine value is resolved by
// asking the architectures at hand, each of which declares its own. These
// tests use made-up architectures, so nothing here depends on a real plugin.
import fc from "fast-check";
import { container as rootContainer } from "tsyringe";
import { describe, expect, it } from "vitest";
import {
  architectureOfMachine,
  describeMachineTag,
  elfMachineName,
  imageArchitectureMismatch,
  openImage,
  resolveImageArchitecture,
  type Image,
  type MachineIdentity,
  type MachineTag,
} from "@handoff/core";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { ArchitectureRegistry, ImageLoader, defineArchitecture } from "@handoff/core/compose";
import { writeElf } from "@handoff/test-support/elf-writer";

const TOY: MachineIdentity = { id: "toy64", elfMachine: 0x1234, machineNames: { elf: "EM_TOY", uImage: 77, fit: ["toy", "toy64"], pe: 0x7777, node: "toyarch" } };
/** Declares only its ELF machine: every other header's value for it is unknown. */
const BARE: MachineIdentity = { id: "bare32", elfMachine: 9 };
const ARCHES = [TOY, BARE];

const TOY_TAGS: MachineTag[] = [
  { scheme: "elf", value: 0x1234 },
  { scheme: "uImage", value: 77 },
  { scheme: "fit", value: "toy" },
  { scheme: "fit", value: "toy64" },
  { scheme: "pe", value: 0x7777 },
  { scheme: "node", value: "toyarch" },
];

/** Any tag (small numbers and short names, so declared ones come up too). */
const anyTag: fc.Arbitrary<MachineTag> = fc.oneof(
  fc.record({ scheme: fc.constantFrom("elf" as const, "uImage" as const, "pe" as const), value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(9, 77, 0x1234, 0x7777)) }),
  fc.record({ scheme: fc.constantFrom("fit" as const, "node" as const), value: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("toy", "toy64", "toyarch")) }),
);

/** What each scheme of a tag is declared as, the slow way: the expected answer for the property below. */
function declares(arch: MachineIdentity, tag: MachineTag): boolean {
  const n = arch.machineNames ?? {};
  const declared: readonly (string | number | undefined)[] =
    tag.scheme === "elf" ? [arch.elfMachine] : tag.scheme === "fit" ? (n.fit ?? []) : [tag.scheme === "uImage" ? n.uImage : tag.scheme === "pe" ? n.pe : n.node];
  return declared.includes(tag.value);
}

const image = (over: Partial<Image>): Image => ({ format: "toy", arch: undefined, entry: { phys: 0n }, segments: [], metadata: {}, source: { path: "k", size: 0 }, ...over });

describe("machine tags resolved through the declared architectures", () => {
  it("finds the architecture that declares a tag, and none for a value nobody declares", () => {
    for (const tag of TOY_TAGS) expect(architectureOfMachine(ARCHES, tag)?.id, describeMachineTag(tag)).toBe("toy64");
    expect(architectureOfMachine(ARCHES, { scheme: "elf", value: 9 })?.id).toBe("bare32");
    expect(architectureOfMachine(ARCHES, { scheme: "uImage", value: 9 })).toBeUndefined(); // bare32 declares only e_machine
    expect(architectureOfMachine([], { scheme: "elf", value: 0x1234 })).toBeUndefined();
    fc.assert(
      fc.property(anyTag, (tag) => {
        const expected = ARCHES.find((a) => declares(a, tag))?.id;
        expect(architectureOfMachine(ARCHES, tag)?.id).toBe(expected);
      }),
    );
  });

  it("says a raw value as the header has it, and an e_machine by the declared name only when one is at hand", () => {
    expect(TOY_TAGS.map(describeMachineTag)).toEqual(["e_machine 4660", "ih_arch 77", "FIT arch 'toy'", "FIT arch 'toy64'", "PE machine 0x7777", "process.arch 'toyarch'"]);
    expect(elfMachineName(0x1234)).toBe("e_machine 4660");
    expect(elfMachineName(0x1234, ARCHES)).toBe("EM_TOY (e_machine 4660)");
    expect(elfMachineName(9, ARCHES)).toBe("e_machine 9"); // bare32 gives no name
  });

  it("gives an image the arch its format named, else its own machine's, else its innermost container's", () => {
    expect(resolveImageArchitecture(image({ arch: "named", machine: { scheme: "elf", value: 0x1234 } }), ARCHES).arch).toBe("named");
    expect(resolveImageArchitecture(image({ machine: { scheme: "elf", value: 9 } }), ARCHES, [{ scheme: "uImage", value: 77 }]).arch).toBe("bare32");
    expect(resolveImageArchitecture(image({ machine: { scheme: "elf", value: 3 } }), ARCHES, [{ scheme: "uImage", value: 77 }]).arch).toBe("toy64");
    // Outermost first: the FIT inside the uImage is nearer the kernel, so it decides.
    const nested = [{ scheme: "uImage", value: 77 }, undefined, { scheme: "fit", value: "nobody" }, { scheme: "pe", value: 0x7777 }] as const;
    expect(resolveImageArchitecture(image({}), [BARE, { ...TOY, machineNames: { uImage: 77 } }, { id: "pe-only", elfMachine: 1, machineNames: { pe: 0x7777 } }], nested).arch).toBe("pe-only");
    const unknown = image({ machine: { scheme: "elf", value: 3 } });
    expect(resolveImageArchitecture(unknown, ARCHES, [{ scheme: "fit", value: "nobody" }])).toBe(unknown);
  });

  it("refuses an image for another architecture by its format's arch or its machine, and accepts one that says nothing", () => {
    expect(imageArchitectureMismatch(image({ arch: "bare32" }), TOY)).toBe("is a bare32 image, not toy64");
    expect(imageArchitectureMismatch(image({ machine: { scheme: "elf", value: 9 } }), TOY)).toBe("is an image for e_machine 9, not toy64 (e_machine 4660)");
    expect(imageArchitectureMismatch(image({ machine: { scheme: "elf", value: 0x1234 } }), TOY)).toBeUndefined();
    expect(imageArchitectureMismatch(image({ arch: "toy64" }), TOY)).toBeUndefined();
    expect(imageArchitectureMismatch(image({}), TOY)).toBeUndefined();
  });
});

describe("core's readers report the machine raw; the installed architectures name it", () => {
  const elf = writeElf({ elfClass: 64, endian: "little", machine: 0x1234, entry: 0x1000n, segments: [{ type: 1, vaddr: 0x1000n, data: new Uint8Array(16) }] }).bytes;
  const input = { path: "toy.elf", bytes: elf };

  it("openImage names an ELF's arch only through the architectures it is given", () => {
    expect(openImage(input, [ELF_IMAGE_FORMAT]).image).toMatchObject({ arch: undefined, machine: { scheme: "elf", value: 0x1234 } });
    expect(openImage(input, [ELF_IMAGE_FORMAT], { architectures: ARCHES }).image.arch).toBe("toy64");
    expect(openImage(input, [ELF_IMAGE_FORMAT], { architectures: [BARE] }).image.arch).toBeUndefined();
  });

  it("the container's ImageLoader and ArchitectureRegistry.byMachine ask the registered architectures", () => {
    const toy = defineArchitecture({ ...TOY, packageName: "toy-arch", displayName: "Toy", elfClass: 64, wordBits: 64, endianness: ["little"], registers: [{ name: "pc", width: 64, kind: "pc" }] });
    const without = rootContainer.createChildContainer();
    expect(without.resolve(ImageLoader).load(input).image.arch).toBeUndefined();
    const c = rootContainer.createChildContainer();
    toy.plugin.register(c);
    expect(c.resolve(ImageLoader).load(input).image.arch).toBe("toy64");
    const registry = ArchitectureRegistry.fromContainer(c);
    expect(TOY_TAGS.map((t) => registry.byMachine(t)?.id)).toEqual(TOY_TAGS.map(() => "toy64"));
    expect(registry.byElfMachine(9)).toBeUndefined();
  });
});
