/**
 * Real ELF images from other projects (QEMU's firmware blobs, Debian package
 * qemu-system-data, installed with qemu-system-x86/arm): both classes, both byte
 * orders, machines handoff has no plugin for. Parsed fields must match readelf.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ELF_IMAGE_FORMAT, ElfFile } from "@handoff/core/elf";
import { FormatError } from "@handoff/core";
import { READELF, requireTool, run } from "@handoff/test-support";

const DIR = "/usr/share/qemu";
const IMAGES = ["hppa-firmware.img", "openbios-ppc", "openbios-sparc32", "openbios-sparc64", "opensbi-riscv64-generic-fw_dynamic.elf", "palcode-clipper"];
/** Built as position-independent executables with an interpreter: not kernels. */
const WITH_INTERP = ["s390-ccw.img", "s390-netboot.img"];

function present(name: string): string | undefined {
  const path = `${DIR}/${name}`;
  if (existsSync(path)) return path;
  if (process.env.CI === "true") throw new Error(`missing ${path} (Debian qemu-system-data)`);
  console.warn(`SKIPPING: ${path} is missing (Debian qemu-system-data)`);
  return undefined;
}

const load = (path: string) => ({ path, bytes: new Uint8Array(readFileSync(path)) });

describe.each(IMAGES)("real ELF %s", (name) => {
  it("parses to the LOAD segments, entry, class and byte order readelf shows", () => {
    const path = present(name);
    if (!path || !requireTool(READELF)) return;
    const out = run(READELF, ["-hlW", path]);
    const image = ELF_IMAGE_FORMAT.parse(load(path));
    expect(image.format).toBe(/Class:\s+ELF64/.test(out) ? "ELF64" : "ELF32");
    expect(image.metadata.endianness).toBe(/big endian/.test(out) ? "big" : "little");
    expect(image.entry.virt).toBe(BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(out)![1]!));
    const loads = [...out.matchAll(/^\s+LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/gm)]
      .map((m) => m.slice(1, 6).map((x) => BigInt(x!)))
      .filter(([, , , , memsz]) => memsz! > 0n);
    expect(image.segments.map((s) => [s.data.kind === "file" ? BigInt(s.data.offset) : undefined, s.vaddr ?? s.mem, s.mem, s.bufsz, s.memsz])).toEqual(
      loads.map(([offset, vaddr, paddr, filesz, memsz]) => [filesz! > 0n ? offset : undefined, vaddr, paddr, filesz, memsz]),
    );
    expect(image.arch).toBeUndefined(); // core's reader names no architecture, only the raw e_machine
  });
});

describe.each(WITH_INTERP)("real ELF with PT_INTERP %s", (name) => {
  it("is refused as a kernel, naming the program header readelf lists as INTERP", () => {
    const path = present(name);
    if (!path || !requireTool(READELF)) return;
    const types = [...run(READELF, ["-lW", path]).matchAll(/^\s+([A-Z_]+)\s+0x/gm)].map((m) => m[1]);
    const index = types.indexOf("INTERP");
    expect(index).toBeGreaterThanOrEqual(0);
    const error = (() => {
      try {
        ELF_IMAGE_FORMAT.parse(load(path));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).field).toBe(`phdr[${index}].p_type`);
    // The file itself is a fine ELF: the object readers accept it.
    expect(ElfFile.parse(load(path)).programHeaders[index]!.type).toBe(3);
  });
});
