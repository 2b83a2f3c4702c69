// `vmm-selectors` is a switch the x86 builders declare (core's request carries
// switches by name and knows none of them): on, the stub's GDT and the entry
// state use the 0x08/0x10 selectors; an undeclared switch is refused by name.
import { describe, expect, it } from "vitest";
import { x86_64ArtefactBuilder } from "@handoff/x86_64";

const build = (protocol: string, switches?: readonly string[]) =>
  x86_64ArtefactBuilder.build({ protocol, payload: x86_64ArtefactBuilder.probePayload(), ...(switches ? { switches } : {}) });

describe("x86_64 artefact builder switches", () => {
  it("declares vmm-selectors, and with it enters with cs 0x08 / ds 0x10 instead of boot.rst's 0x10 / 0x18", () => {
    expect(Object.keys(x86_64ArtefactBuilder.switches ?? {})).toEqual(["vmm-selectors"]);
    for (const protocol of ["linux64", "pvh"]) {
      const plain = build(protocol).state.registers;
      const vmm = build(protocol, ["vmm-selectors"]).state.registers;
      expect([plain.get("cs"), plain.get("ds")], protocol).toEqual([0x10n, 0x18n]);
      expect([vmm.get("cs"), vmm.get("ds")], protocol).toEqual([0x08n, 0x10n]);
    }
  });

  it("refuses a switch it does not declare, naming the ones it does", () => {
    expect(() => build("kexec", ["no-such-switch"])).toThrow(/--no-such-switch is not a switch of this architecture's builder \(it takes --vmm-selectors\)/);
  });
});
