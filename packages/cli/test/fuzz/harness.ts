/**
 * Property-based fuzzing of every parser: random bytes, ELF-looking random bytes
 * and mutations of real inputs (generated ELFs, real kernels). Any exception that
 * is not a HandoffError fails, and so does an input slower than the per-input
 * bound or one that grows buffer memory past a bound; a hang is caught by the Watchdog.
 */
import fc from "fast-check";
import { HandoffError } from "@handoff/core";
import { describe, expect, it } from "vitest";
import { testSeed } from "@handoff/test-support";
import { Watchdog } from "./watchdog.js";

/** One parser under test: must return or throw a HandoffError for any bytes. */
export interface FuzzTarget {
  readonly name: string;
  run(bytes: Uint8Array): void;
}

/** An input to mutate: its bytes are edited in place and restored after each run (big kernels are never copied). */
export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzBudget {
  /** Stop after this many milliseconds per target (long runs only; undefined: no time limit)... */
  readonly timeMs?: number | undefined;
  /** ...or this many inputs, whichever comes first. */
  readonly maxRuns: number;
  /** Slowest acceptable single input (long runs only; undefined: no timing, the watchdog still catches hangs). */
  readonly perInputMs?: number | undefined;
  /** fast-check seed, printed so a failure can be replayed (FUZZ_SEED). */
  readonly seed: number;
  /** Largest growth of ArrayBuffer memory one input may cause (header-sized allocations are bugs). */
  readonly maxAllocationBytes?: number;
}

/** Values that break naive parsers: boundaries, wrap points, sign bits. */
const INTERESTING = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x8000_0000n, 0xffff_fffdn, 0xffff_ffffn, 1n << 32n, 1n << 62n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

interface Mutation {
  readonly kind: "byte" | "word" | "interesting" | "truncate";
  readonly at: number;
  readonly width: 1 | 2 | 4 | 8;
  readonly value: bigint;
  readonly little: boolean;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("byte", "word", "interesting", "interesting", "truncate"),
  // Mostly inside headers (the first few KiB), sometimes anywhere.
  at: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 4095 }) }, { weight: 1, arbitrary: fc.nat({ max: 0x7fff_ffff }) }),
  width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
  value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  little: fc.boolean(),
});

type FuzzInput =
  | { readonly kind: "random"; readonly bytes: Uint8Array }
  | { readonly kind: "elf-like"; readonly bytes: Uint8Array }
  | { readonly kind: "mutated"; readonly seed: number; readonly mutations: readonly Mutation[] };

function inputArb(seeds: readonly Seed[]): fc.Arbitrary<FuzzInput> {
  const random = fc.uint8Array({ maxLength: 2048 }).map((bytes) => ({ kind: "random" as const, bytes }));
  const elfLike = fc
    .tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.uint8Array({ minLength: 0, maxLength: 2048 }))
    .map(([cls, data, rest]) => {
      const bytes = new Uint8Array(16 + rest.length);
      bytes.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1], 0);
      bytes.set(rest, 16);
      return { kind: "elf-like" as const, bytes };
    });
  const arbs: fc.Arbitrary<FuzzInput>[] = [random, elfLike];
  if (seeds.length) {
    arbs.push(
      fc
        .record({ seed: fc.nat({ max: seeds.length - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 6 }) })
        .map((m) => ({ kind: "mutated" as const, ...m })),
    );
  }
  return fc.oneof({ weight: 1, arbitrary: arbs[0]! }, { weight: 2, arbitrary: arbs[1]! }, ...(arbs[2] ? [{ weight: 6, arbitrary: arbs[2] }] : []));
}

/** Apply mutations to `seed` in place; returns the view to parse and an undo function. */
function applyMutations(seed: Uint8Array, mutations: readonly Mutation[]): { bytes: Uint8Array; undo: () => void } {
  const saved: [number, number][] = [];
  let length = seed.length;
  for (const m of mutations) {
    if (m.kind === "truncate") {
      length = Math.min(length, m.at % (seed.length + 1));
      continue;
    }
    const width = m.kind === "byte" ? 1 : m.width;
    if (seed.length < width) continue;
    const at = m.at % (seed.length - width + 1);
    let v = BigInt.asUintN(width * 8, m.value);
    for (let i = 0; i < width; i++) {
      const p = m.little ? at + i : at + width - 1 - i;
      saved.push([p, seed[p]!]);
      seed[p] = Number(v & 0xffn);
      v >>= 8n;
    }
  }
  return {
    bytes: seed.subarray(0, length),
    undo: () => {
      for (let i = saved.length - 1; i >= 0; i--) seed[saved[i]![0]] = saved[i]![1];
    },
  };
}

function describeInput(input: FuzzInput, seeds: readonly Seed[]): string {
  if (input.kind !== "mutated") return `${input.kind} ${input.bytes.length} bytes: ${Buffer.from(input.bytes.subarray(0, 256)).toString("hex")}`;
  return `mutated ${seeds[input.seed]!.name}: ${JSON.stringify(input.mutations, (_k, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v))}`;
}

/** Seconds per target for `npm run fuzz [SECONDS]`; 0 for the bounded `npm test` run. */
export const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);

/**
 * This run's budget. `npm test` tries `fixedRuns` inputs from the run's seed
 * (HANDOFF_SEED), so it replays exactly: no time budget and no per-input
 * timing (a hang is the watchdog's, slowness the bench's). `npm run fuzz` runs
 * FUZZ_SECONDS per target with a per-input bound, from FUZZ_SEED or a fresh seed.
 */
export function fuzzBudget(fixedRuns: number): FuzzBudget {
  const long = FUZZ_SECONDS > 0;
  return {
    timeMs: long ? FUZZ_SECONDS * 1000 : undefined,
    maxRuns: long ? Number.MAX_SAFE_INTEGER : fixedRuns,
    perInputMs: long ? 2000 : undefined,
    seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : long ? Date.now() % 0x7fff_ffff : testSeed(),
  };
}

/** A fuzz file's hang guard: 10 s per input on a long run, 20 s on the bounded one (a loaded CI machine). */
export function fuzzWatchdog(): Watchdog {
  return new Watchdog(FUZZ_SECONDS > 0 ? 10_000 : 20_000);
}

export interface FuzzStats {
  readonly runs: number;
  readonly rejected: number;
  readonly accepted: number;
  readonly slowestMs: number;
}

/** Fuzz one target; throws (with fast-check's counterexample and seed) on the first failure. */
export function fuzzTarget(target: FuzzTarget, seeds: readonly Seed[], budget: FuzzBudget, watchdog: Watchdog): FuzzStats {
  let runs = 0;
  let rejected = 0;
  let slowestMs = 0;
  fc.assert(
    fc.property(inputArb(seeds), (input) => {
      const { bytes, undo } = input.kind === "mutated" ? applyMutations(seeds[input.seed]!.bytes, input.mutations) : { bytes: input.bytes, undo: () => {} };
      try {
        const before = process.memoryUsage().arrayBuffers;
        const t0 = performance.now();
        watchdog.guard(
          () => `${target.name} <- ${describeInput(input, seeds)}`,
          () => {
            try {
              target.run(bytes);
            } catch (error) {
              if (!(error instanceof HandoffError)) throw error;
              rejected++;
            }
          },
        );
        const ms = performance.now() - t0;
        slowestMs = Math.max(slowestMs, ms);
        runs++;
        if (budget.perInputMs !== undefined && ms > budget.perInputMs) throw new Error(`${target.name}: one input took ${ms.toFixed(0)} ms (bound ${budget.perInputMs} ms)`);
        const grown = process.memoryUsage().arrayBuffers - before;
        const maxAlloc = budget.maxAllocationBytes ?? 256 * 1024 * 1024;
        if (grown > maxAlloc) throw new Error(`${target.name}: one input allocated ${(grown / 2 ** 20).toFixed(0)} MiB of buffers (bound ${(maxAlloc / 2 ** 20).toFixed(0)} MiB)`);
      } finally {
        undo();
      }
    }),
    { numRuns: budget.maxRuns, ...(budget.timeMs === undefined ? {} : { interruptAfterTimeLimit: budget.timeMs, markInterruptAsFailure: false }), seed: budget.seed },
  );
  return { runs, rejected, accepted: runs - rejected, slowestMs };
}

/**
 * The bounded run's test timeout, sized by its input count: every input may use
 * the watchdog's whole hang bound before the test as a whole gives up. A fixed
 * wall-clock figure failed CI on a loaded machine (the bzImage-payload target
 * inflates real kernels: 17 s idle, over 60 s at load 15) although no input hung;
 * a real hang is the watchdog's to catch, per input, long before this fires.
 */
export function boundedTimeoutMs(budget: FuzzBudget, watchdog: Watchdog): number {
  return budget.maxRuns * watchdog.hangMs;
}

/**
 * The suite every fuzz file declares: one test per target, each fed this
 * run's `budget` of inputs mutated from `seeds` (built once, inside the
 * describe), passing only when every input gave an image or a HandoffError;
 * the bounded run must try exactly `budget.maxRuns` inputs. `more` declares
 * further tests inside the same describe, with the seeds.
 */
export function describeFuzzTargets(what: string, targets: readonly FuzzTarget[], seeds: () => Seed[], budget: FuzzBudget, watchdog: Watchdog, more?: (seeds: readonly Seed[]) => void): void {
  const long = FUZZ_SECONDS > 0;
  describe(`fuzz ${what} (${long ? `${FUZZ_SECONDS} s per target` : "bounded budget"}, FUZZ_SEED=${budget.seed})`, () => {
    const allSeeds = seeds();
    it.each(targets.map((t) => [t.name, t] as const))("%s: only HandoffErrors, no slow input, no hang", (_name, target) => {
      const stats = fuzzTarget(target, allSeeds, budget, watchdog);
      console.log(`fuzz ${target.name}: ${stats.runs} inputs (${stats.accepted} parsed, ${stats.rejected} rejected), slowest ${stats.slowestMs.toFixed(1)} ms`);
      expect(stats.runs).toBe(long ? stats.runs : budget.maxRuns);
    }, long ? (FUZZ_SECONDS + 120) * 1000 : boundedTimeoutMs(budget, watchdog));
    more?.(allSeeds);
  });
}
