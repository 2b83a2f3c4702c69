/**
 * Microbenchmarks (vitest bench) for the streaming pieces, each against a peer
 * in the same run: streaming digest vs read-whole-file-then-hash, atomic
 * streamed write vs a plain (non-atomic) fs.writeFile of the same bytes.
 * The kexec-tools comparison and the scaling tables are in
 * scripts/bench/compare-kexec-tools.mjs (also run by `npm run bench`).
 */
import { createHash, randomBytes } from "node:crypto";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { digestSegments, writeFileAtomic } from "@handoff/node";
import { type Segment } from "@handoff/core";
import { tempDir } from "@handoff/test-support";

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const dir = tempDir("handoff-microbench-");

const input = join(dir, "input");
const fd = openSync(input, "w");
for (let i = 0; i < SIZE / MiB; i++) writeSync(fd, randomBytes(MiB));
closeSync(fd);
const segment: Segment = { data: { kind: "file", path: input, offset: 0, length: SIZE }, bufsz: BigInt(SIZE), mem: 0n, memsz: BigInt(SIZE), role: "initrd" };

describe("SHA-256 of a 32 MiB file", () => {
  bench("digestSegments (streamed, one 256 KiB buffer)", async () => {
    await digestSegments([segment]);
  });
  bench("peer: readFile + createHash (whole file in memory)", async () => {
    createHash("sha256").update(await readFile(input)).digest("hex");
  });
});

describe("write a 32 MiB artefact from a file range", () => {
  bench("writeFileAtomic (streamed, temp + fsync + rename)", async () => {
    await writeFileAtomic(join(dir, "atomic"), [{ kind: "file", path: input, offset: 0, length: SIZE }]);
  });
  bench("peer: readFile + writeFile (not atomic, no fsync)", async () => {
    await writeFile(join(dir, "plain"), await readFile(input));
  });
});

// ~100 MiB of inputs and outputs.
afterAll(() => rmSync(dir, { recursive: true, force: true }));
