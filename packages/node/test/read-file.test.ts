import { execFileSync } from "node:child_process";
import { rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBootFiles, readFileBounded, regularFileSize, loadImageFile, type FileProblem } from "@handoff/node";
import { FormatError } from "@handoff/core";
import { ELF_IMAGE_FORMAT } from "@handoff/core/elf";
import { requireTool, tempDirPerTest } from "@handoff/test-support";
import { refusal } from "./support.js";

const dir = tempDirPerTest("read-");

const problem = (f: () => unknown): FileProblem => refusal(f).problem;

describe("readFileBounded", () => {
  it("reads a regular file within the limit, byte-exactly", () => {
    const path = join(dir(), "k");
    const bytes = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    writeFileSync(path, bytes);
    const input = readFileBounded(path, { maxBytes: 5000, role: "kernel" });
    expect(input.path).toBe(path);
    expect(Buffer.from(input.bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it("refuses a file over the limit before reading it, naming size and limit", () => {
    const path = join(dir(), "big");
    writeFileSync(path, new Uint8Array(4097));
    const e = refusal(() => readFileBounded(path, { maxBytes: 4096, role: "DTB" }));
    expect(e.problem).toBe("too-large");
    expect(e.message).toBe(`${path}: DTB: is 4097 bytes, more than the 4096 accepted`);
  });

  it("says a directory is a directory and an empty file is empty", () => {
    const sub = join(dir(), "d");
    mkdirSync(sub);
    expect(refusal(() => readFileBounded(sub, { maxBytes: 1 << 20, role: "kernel" })).message).toBe(`${sub}: kernel: is a directory, not a regular file`);
    const empty = join(dir(), "empty");
    writeFileSync(empty, "");
    expect(refusal(() => readFileBounded(empty, { maxBytes: 1 << 20, role: "initrd" })).message).toBe(`${empty}: initrd: is an empty file (0 bytes)`);
    expect(readFileBounded(empty, { maxBytes: 1, allowEmpty: true }).bytes.length).toBe(0);
    expect(problem(() => readFileBounded(join(dir(), "nope"), { maxBytes: 1 }))).toBe("missing");
  });

  it("refuses endless and non-regular inputs at once: /dev/zero, /dev/urandom, a symlink to /dev/zero, a FIFO with no writer, a socket", async () => {
    expect(refusal(() => readFileBounded("/dev/zero", { maxBytes: 1 << 30 })).message).toBe("/dev/zero: input: is a character device, not a regular file");
    expect(problem(() => readFileBounded("/dev/urandom", { maxBytes: 1 << 30 }))).toBe("not-regular");
    const link = join(dir(), "zero-link");
    symlinkSync("/dev/zero", link);
    expect(problem(() => readFileBounded(link, { maxBytes: 1 << 30 }))).toBe("not-regular");
    // A FIFO nobody writes to: a blocking open would hang here forever (the test timeout is the assertion).
    if (requireTool("mkfifo")) {
      const fifo = join(dir(), "fifo");
      execFileSync("mkfifo", [fifo]);
      expect(refusal(() => readFileBounded(fifo, { maxBytes: 1 << 30 })).message).toMatch(/is a FIFO, not a regular file$/);
    }
    const sock = join(dir(), "sock");
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(refusal(() => readFileBounded(sock, { maxBytes: 1 << 30 })).problem).toMatch(/not-regular|io/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("regularFileSize", () => {
  it("gives the size of a regular file without reading it, with readFileBounded's refusals", () => {
    const path = join(dir(), "initrd");
    writeFileSync(path, new Uint8Array(3000));
    expect(regularFileSize(path, { maxBytes: 3000, role: "initrd" })).toBe(3000);
    expect(refusal(() => regularFileSize(path, { maxBytes: 2999, role: "initrd" })).message).toBe(`${path}: initrd: is 3000 bytes, more than the 2999 accepted`);
    const empty = join(dir(), "empty");
    writeFileSync(empty, "");
    expect(refusal(() => regularFileSize(empty, { maxBytes: 1, role: "initrd" })).message).toBe(`${empty}: initrd: is an empty file (0 bytes)`);
    expect(refusal(() => regularFileSize(dir(), { maxBytes: 1, role: "initrd" })).message).toBe(`${dir()}: initrd: is a directory, not a regular file`);
    expect(problem(() => regularFileSize("/dev/zero", { maxBytes: 1 }))).toBe("not-regular");
    expect(problem(() => regularFileSize(join(dir(), "nope"), { maxBytes: 1 }))).toBe("missing");
  });
});

describe("readBootFiles / loadImageFile", () => {
  it("reads kernel, initrd and DTB with per-role limits (a DTB over 2 MiB is refused)", () => {
    const kernel = join(dir(), "Image");
    const initrd = join(dir(), "initrd");
    const dtb = join(dir(), "virt.dtb");
    writeFileSync(kernel, new Uint8Array(100).fill(1));
    writeFileSync(initrd, new Uint8Array(200).fill(2));
    writeFileSync(dtb, new Uint8Array(2 * 1024 * 1024 + 1));
    const e = refusal(() => readBootFiles({ kernel, initrd, dtb }));
    expect(e.role).toBe("DTB");
    expect(e.problem).toBe("too-large");
    writeFileSync(dtb, new Uint8Array(64).fill(3));
    const files = readBootFiles({ kernel, initrd, dtb });
    expect([files.kernel.bytes.length, files.initrd?.bytes.length, files.dtb?.bytes[0]]).toEqual([100, 200, 3]);
    expect(readBootFiles({ kernel }).initrd).toBeUndefined();
    expect(refusal(() => readBootFiles({ kernel: "/dev/zero" })).role).toBe("kernel");
  });

  it("loadImageFile names the formats it tried when none recognises the file", () => {
    const junk = join(dir(), "junk");
    writeFileSync(junk, "not a kernel");
    const err = (() => {
      try {
        loadImageFile(junk, [ELF_IMAGE_FORMAT]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toContain("no image format recognises it (tried: elf)");
  });
});
