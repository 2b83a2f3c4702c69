import { describe, expect, it } from "vitest";
import { container as rootContainer } from "tsyringe";
import { ARCHITECTURE, HANDOFF_ARTEFACT_BUILDER, HandoffState, checkArtefactRequest, type ArchitecturePlugin, type HandoffArtefact, type HandoffArtefactBuilder, type ImageFormat, type RegisterSpec } from "@handoff/core";
import { ArchitectureCatalog, ArchitectureRegistry, ArtefactService, BOOT_PROTOCOL, BootService, BuilderLookup, IMAGE_FORMAT, ImageLoader, NoBuilderError, QEMU_RUNNER, defineArchitecture, type QemuProbeRequest, type QemuRunner } from "@handoff/core/compose";

const REGISTERS: readonly RegisterSpec[] = [
  { name: "a0", width: 64, kind: "gpr" },
  { name: "pc", width: 64, kind: "pc" },
];

/** A builder whose artefact records which builder made it (its protocol) and the payload it was given. */
function toyBuilder(arch: string, protocols: readonly string[]): HandoffArtefactBuilder {
  return {
    arch,
    protocols,
    entryModes: [],
    probePayload: () => Uint8Array.of(0xde, 0xad),
    build(request): HandoffArtefact {
      if (!protocols.includes(request.protocol)) throw new Error(`toy builder for ${protocols.join("/")} got ${request.protocol}`);
      const state = HandoffState.fromProtocol(request.protocol, toy.architecture.createRegisterFile(), { pc: { value: 0x1000n, clause: "toy" } });
      return {
        arch,
        protocol: request.protocol,
        files: [{ name: "payload.bin", bytes: request.payload, role: "payload" }],
        launch: { kind: "loader", blobs: [], entry: 0x1000n },
        stubEntry: 0x2000n,
        stubFail: 0x2004n,
        entry: 0x1000n,
        segments: [],
        list: { head: 0n, maxSteps: 0n, entries: [] },
        state,
        qemu: { memory: "16M" },
      };
    },
    nativeProbe: () => ({ kernel: new Uint8Array(4), entry: 0x1000n, state: HandoffState.fromProtocol("native", toy.architecture.createRegisterFile(), {}) }),
  };
}

const toy = defineArchitecture({
  packageName: "toy-arch",
  id: "toy64",
  displayName: "Toy 64",
  elfMachine: 0x7777,
  elfClass: 64,
  wordBits: 64,
  endianness: ["little"],
  registers: REGISTERS,
  artefactBuilder: toyBuilder("toy64", ["boot"]),
  protocols: { boot: "the toy's own entry", unbuilt: "described but built by nobody" },
});

/** "TOY!" at offset 0. */
const toyFormat: ImageFormat = {
  id: "toy-image",
  description: "toy image",
  probe: (input) => input.bytes.length >= 4 && new TextDecoder().decode(input.bytes.subarray(0, 4)) === "TOY!",
  parse: (input) => ({ format: "toy-image", arch: "toy64", entry: { phys: 0x1000n }, segments: [], placement: { kind: "fixed" }, path: input.path }) as never,
};

/** A second, independent plugin: it adds a protocol and an image format to toy64 through core tokens only. */
const extension: ArchitecturePlugin = {
  name: "toy-extension",
  provides: [],
  register(c) {
    c.register(HANDOFF_ARTEFACT_BUILDER, { useValue: toyBuilder("toy64", ["fastboot"]) });
    c.register(BOOT_PROTOCOL, { useValue: { arch: "toy64", id: "fastboot", description: "added by a plugin" } });
    c.register(IMAGE_FORMAT, { useValue: { arch: "toy64", format: toyFormat } });
  },
};

function compose(...plugins: ArchitecturePlugin[]) {
  const c = rootContainer.createChildContainer();
  for (const p of plugins) p.register(c);
  return c;
}

describe("defineArchitecture", () => {
  it("derives the register file, the protocols its builders build (not the merely described) and a plugin", () => {
    expect(toy.architecture.protocols).toEqual([{ id: "boot", description: "the toy's own entry" }]);
    expect(toy.architecture.createRegisterFile().get("a0")).toBe(0n);
    expect(toy.architecture.hypercallAbi).toBeUndefined();
    expect(toy.plugin).toMatchObject({ name: "toy-arch", provides: ["toy64"] });
  });

  it("registers into the child container only", () => {
    const c = compose(toy.plugin);
    expect(c.resolveAll(ARCHITECTURE)).toEqual([toy.architecture]);
    expect(rootContainer.isRegistered(ARCHITECTURE, true)).toBe(false);
  });
});

describe("services composed from plugins", () => {
  it("a plugin that adds a protocol and a format is seen by the catalog, the loader and the builder lookup", () => {
    const without = compose(toy.plugin);
    expect(without.resolve(ArchitectureCatalog).get("toy64").protocols.map((p) => p.id)).toEqual(["boot"]);
    expect(() => without.resolve(ArtefactService).build("toy64", { protocol: "fastboot", payload: new Uint8Array(1) })).toThrow(NoBuilderError);

    const c = compose(toy.plugin, extension);
    const arch = c.resolve(ArchitectureCatalog).get("toy64");
    expect(arch.protocols).toEqual([
      { id: "boot", description: "the toy's own entry" },
      { id: "fastboot", description: "added by a plugin" },
    ]);
    expect(arch.imageFormats).toContain(toyFormat);
    // The registry the CLI builds from a container tells the same truth.
    expect(ArchitectureRegistry.fromContainer(c).get("toy64").protocols.map((p) => p.id)).toEqual(["boot", "fastboot"]);

    const loaded = c.resolve(ImageLoader).load({ path: "k.toy", bytes: new TextEncoder().encode("TOY!rest") });
    expect(loaded.format).toBe(toyFormat);
    expect(() => c.resolve(ImageLoader).load({ path: "k.bin", bytes: new Uint8Array(16) })).toThrow(/tried: elf, toy-image/);

    const artefacts = c.resolve(ArtefactService);
    expect(artefacts.build("toy64", { protocol: "fastboot", payload: Uint8Array.of(1) }).protocol).toBe("fastboot");
    expect(artefacts.build("toy64", { protocol: "boot", payload: Uint8Array.of(1) }).protocol).toBe("boot");
    const refused = (() => {
      try {
        c.resolve(BuilderLookup).artefactBuilder("toy64", "pvh");
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(NoBuilderError);
    expect(refused).toMatchObject({ arch: "toy64", protocol: "pvh", available: ["boot", "fastboot"] });
  });

  it("a test swaps the QEMU runner: BootService hands the real artefact to whatever runner is registered", async () => {
    const seen: QemuProbeRequest[] = [];
    const fake: QemuRunner = {
      async probe(request) {
        seen.push(request);
        return { arch: request.artefact.arch, protocol: request.artefact.protocol, entry: request.artefact.entry, ok: false };
      },
      async stream() {
        return { serial: "", ending: "timeout" };
      },
    };
    const c = compose(toy.plugin, extension);
    c.register(QEMU_RUNNER, { useValue: fake });
    const outcome = await c.resolve(BootService).probe("toy64", { protocol: "fastboot", timeoutMs: 1000, native: true });
    expect(outcome).toEqual({ arch: "toy64", protocol: "fastboot", entry: 0x1000n, ok: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.artefact.files[0]!.bytes).toEqual(Uint8Array.of(0xde, 0xad));
    expect(seen[0]!.arch.id).toBe("toy64");
    expect(seen[0]!.native?.entry).toBe(0x1000n);
    // No runner registered: the service cannot be made, rather than silently running nothing.
    expect(() => compose(toy.plugin).resolve(BootService)).toThrow();
  });
});

describe("checkArtefactRequest", () => {
  it("refuses a switch the builder does not declare; core itself knows none", () => {
    const builder = toyBuilder("toy64", ["boot"]);
    const request = { protocol: "boot", payload: new Uint8Array(4) };
    expect(() => checkArtefactRequest(builder, "toy64 build", request)).not.toThrow();
    expect(() => checkArtefactRequest(builder, "toy64 build", { ...request, switches: ["vmm-selectors"] })).toThrow(/toy64 build.*--vmm-selectors is not a switch of this architecture's builder \(it takes none\)/);
    expect(() => checkArtefactRequest({ ...builder, switches: { fast: "go faster" } }, "toy64 build", { ...request, switches: ["fast"] })).not.toThrow();
  });
});
