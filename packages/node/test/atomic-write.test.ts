import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FormatError, ValidationError, type Segment } from "@handoff/core";
import { FileAccessError, segmentPieces, writeFileAtomic, type WritePiece } from "@handoff/node";
import { tempDirPerTest } from "@handoff/test-support";

const MiB = 1024 * 1024;
const dir = tempDirPerTest("atomic-");

describe("writeFileAtomic", () => {
  it("writes strings, bytes and streamed pieces (file ranges, zero runs) byte-exactly", async () => {
    const src = join(dir(), "src");
    const srcBytes = randomBytes(3 * MiB + 17);
    writeFileSync(src, srcBytes);
    const target = join(dir(), "out.bin");
    const head = new TextEncoder().encode("HEAD");
    const result = await writeFileAtomic(
      target,
      [head, { kind: "file", path: src, offset: 5, length: 2 * MiB + 3 }, { kind: "zero", length: 70_000 }, { kind: "bytes", bytes: new Uint8Array([9]) }],
      { chunkSize: 64 * 1024 + 1 },
    );
    const expected = Buffer.concat([head, srcBytes.subarray(5, 5 + 2 * MiB + 3), Buffer.alloc(70_000), Buffer.from([9])]);
    expect(result.bytes).toBe(expected.length);
    expect(readFileSync(target).equals(expected)).toBe(true);
    await writeFileAtomic(join(dir(), "t.txt"), "plan\n");
    expect(readFileSync(join(dir(), "t.txt"), "utf8")).toBe("plan\n");
    expect(readdirSync(dir()).sort()).toEqual(["out.bin", "src", "t.txt"]);
  });

  it("segmentPieces reproduces a segment's memory image (buffer, then memsz - bufsz zeros)", async () => {
    const src = join(dir(), "kernel");
    writeFileSync(src, randomBytes(10_000));
    const segment: Segment = { data: { kind: "file", path: src, offset: 1000, length: 5000 }, bufsz: 5000n, mem: 0x100000n, memsz: 8192n, role: "kernel" };
    await writeFileAtomic(join(dir(), "seg"), segmentPieces(segment, { zeroTail: true }));
    const got = readFileSync(join(dir(), "seg"));
    expect(got.length).toBe(8192);
    expect(got.subarray(0, 5000).equals(readFileSync(src).subarray(1000, 6000))).toBe(true);
    expect(got.subarray(5000).every((b) => b === 0)).toBe(true);
    await writeFileAtomic(join(dir(), "seg2"), segmentPieces(segment));
    expect(statSync(join(dir(), "seg2")).size).toBe(5000);
  });

  it("a failure mid-stream leaves an existing target untouched and no temporary file behind", async () => {
    const target = join(dir(), "artefact");
    writeFileSync(target, "previous good artefact");
    async function* failing(): AsyncIterable<WritePiece> {
      yield randomBytes(MiB);
      yield { kind: "zero", length: 2 * MiB };
      // By now 3 MiB sit in the temporary file: prove they never reach the target.
      expect(readdirSync(dir()).filter((f) => f.endsWith(".tmp"))).toHaveLength(1);
      throw new Error("disk on fire");
    }
    await expect(writeFileAtomic(target, failing())).rejects.toThrow("disk on fire");
    expect(readFileSync(target, "utf8")).toBe("previous good artefact");
    expect(readdirSync(dir())).toEqual(["artefact"]);
  });

  it("a failure mid-stream for a new target leaves no file at all", async () => {
    const target = join(dir(), "new");
    async function* failing(): AsyncIterable<WritePiece> {
      yield new Uint8Array(100);
      throw new Error("stop");
    }
    await expect(writeFileAtomic(target, failing())).rejects.toThrow("stop");
    expect(readdirSync(dir())).toEqual([]);
  });

  it("a file range past the end of its file fails typed, after earlier pieces were streamed, with the target untouched", async () => {
    const src = join(dir(), "short");
    writeFileSync(src, randomBytes(4096));
    const target = join(dir(), "artefact");
    writeFileSync(target, "old");
    const err = await writeFileAtomic(target, [randomBytes(MiB), { kind: "file", path: src, offset: 4000, length: 97 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(src);
    expect((err as FormatError).offset).toBe(4000);
    expect(readFileSync(target, "utf8")).toBe("old");
    expect(readdirSync(dir()).sort()).toEqual(["artefact", "short"]);
  });

  it("a process killed mid-write never leaves a half-written target (SIGKILL while streaming)", async () => {
    // The real crash: no catch block runs. Only a stray temp file may remain, never a partial target.
    const target = join(dir(), "artefact");
    writeFileSync(target, "previous good artefact");
    const nodeDist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    if (!existsSync(nodeDist)) throw new Error(`${nodeDist} is missing: build first (npx tsc -b)`);
    const child = `
      await import("reflect-metadata"); // @handoff/core composes services with tsyringe at import
      const { writeFileAtomic } = await import(${JSON.stringify(nodeDist)});
      async function* slow() {
        for (let i = 0; i < 256; i++) {
          yield new Uint8Array(1024 * 1024).fill(1);
          if (i === 8) console.log("streaming");
          if (i >= 8) await new Promise((r) => setTimeout(r, 50));
        }
      }
      await writeFileAtomic(${JSON.stringify(target)}, slow());
    `;
    const proc = spawn(process.execPath, ["--input-type=module", "-e", child], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("streaming")) resolve();
      });
      proc.on("exit", (code) => reject(new Error(`child exited (${code}) before it was mid-stream`)));
    });
    const tempDuring = readdirSync(dir()).filter((f) => f.endsWith(".tmp"));
    expect(tempDuring).toHaveLength(1);
    expect(statSync(join(dir(), tempDuring[0]!)).size).toBeGreaterThanOrEqual(8 * MiB);
    const exited = new Promise((r) => proc.on("exit", (_code, signal) => r(signal)));
    proc.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(readFileSync(target, "utf8")).toBe("previous good artefact");
    const leftovers = readdirSync(dir()).filter((f) => f !== "artefact");
    expect(leftovers.every((f) => f.startsWith(".artefact.") && f.endsWith(".tmp"))).toBe(true);
  });

  it("an output directory that does not exist is a FileAccessError naming the target", async () => {
    const target = join(dir(), "missing", "artefact");
    const err = await writeFileAtomic(target, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileAccessError);
    expect((err as FileAccessError).path).toBe(target);
    expect((err as FileAccessError).problem).toBe("missing");
    expect((err as FileAccessError).message).toBe(`${target}: output: the directory ${join(dir(), "missing")} does not exist`);
  });
});
