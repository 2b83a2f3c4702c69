/**
 * The guest console survives a reader that stalls. QEMU used to write the
 * console to a pipe: when the reader lagged (a loaded host, or `handoff boot`
 * blocked writing its own stdout), the pipe filled, QEMU's 16550 held THRE
 * clear, and a guest that gives up waiting for THRE after a bounded spin, as
 * Linux's 8250 console does after 10 ms, overwrote bytes: kernel lines came out
 * with characters missing under load. This guest does the same: it waits a
 * bounded time for THRE, then writes anyway.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { withQemu } from "@handoff/qemu";
import { describe, expect, it } from "vitest";
import { requireTool, tempDir } from "@handoff/test-support";
import { assemble } from "@handoff/test-support/assemble";
import { note, writeElf } from "@handoff/test-support/elf-writer";
import { ARCHS } from "@handoff/test-support/archs";

const haveQemu = requireTool("qemu-system-x86_64");
const haveAs = requireTool("as");
const CHARS = 200_000;
const LOAD = 0x100000n;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const EM_386 = 3;

/**
 * 32-bit code entered by QEMU's PVH path: CHARS x's, each after a bounded wait
 * for THRE, then "END\n", then it halts as the code's last three bytes
 * (`hlt; jmp .-1`), so a halted CPU's EIP is two bytes before the end.
 */
const GUEST = `
  .code32
  jmp main
putc:
  mov $20000, %ecx
3:mov $0x3fd, %dx
  in %dx, %al
  test $0x20, %al
  jnz 4f
  dec %ecx
  jnz 3b
4:mov $0x3f8, %dx
  mov %bl, %al
  out %al, %dx
  ret
main:
  mov $${CHARS}, %esi
  mov $'x', %bl
1:call putc
  dec %esi
  jnz 1b
  mov $'E', %bl; call putc
  mov $'N', %bl; call putc
  mov $'D', %bl; call putc
  mov $'\\n', %bl; call putc
  cli
2:hlt
  jmp 2b
`;

describe.skipIf(!haveQemu || !haveAs)("QemuMachine serial console under a stalled reader", () => {
  it("keeps every byte the guest wrote while this process could not read", async () => {
    const dir = tempDir("handoff-serial-stall-");
    const code = assemble("", ["--32"], GUEST);
    const entry = new Uint8Array(4);
    new DataView(entry.buffer).setUint32(0, Number(LOAD), true);
    const elf = writeElf({
      elfClass: 32,
      endian: "little",
      machine: EM_386,
      entry: LOAD,
      segments: [
        { type: 1, flags: 5, vaddr: LOAD, data: code },
        { type: 4, vaddr: 0n, data: note("Xen", XEN_ELFNOTE_PHYS32_ENTRY, entry, "little") },
      ],
    });
    const kernel = join(dir, "serial-stall.elf");
    writeFileSync(kernel, elf.bytes);
    await withQemu({ arch: "x86_64", kernel, memory: "64M", paused: true, lifetimeMs: 120_000 }, async (m) => {
      await m.qmp.cont();
      // Block this thread: nothing here reads the console while the guest writes it.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4000);
      // Stopped in its halt loop, the guest has written everything: `serial` holds it at once, no waiting.
      await m.waitForPc(LOAD + BigInt(code.length - 2), ARCHS.x86_64, 90_000);
      const serial = m.serial;
      expect(serial.length).toBe(CHARS + 4);
      expect(serial).toBe(`${"x".repeat(CHARS)}END\n`);
    });
  }, 150_000);
});
