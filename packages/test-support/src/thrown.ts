import { FormatError, type ImageFormat } from "@handoff/core";

/** A class of error a test expects (its constructor, for `instanceof`). */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * The `type` error `run` throws, so a test can check its fields (file, field,
 * offset). Fails the test when `run` returns, or throws anything else: a hostile
 * input must be refused with the typed error, not accepted or crashed on.
 */
export function thrownBy<E extends Error>(type: ErrorClass<E>, run: () => unknown): E {
  try {
    run();
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`expected a ${type.name}, got ${String(e)}`, { cause: e });
  }
  throw new Error(`expected a ${type.name}, but the call returned`);
}

/** The `type` error `pending` rejects with (fails the test when it resolves, or rejects with anything else). */
export async function rejectedWith<E extends Error>(type: ErrorClass<E>, pending: Promise<unknown>): Promise<E> {
  const outcome = await pending.then(
    () => ({ settled: "resolved" as const }),
    (e: unknown) => ({ settled: "rejected" as const, e }),
  );
  if (outcome.settled === "resolved") throw new Error(`expected a ${type.name}, but the promise resolved`);
  if (outcome.e instanceof type) return outcome.e;
  throw new Error(`expected a ${type.name}, got ${String(outcome.e)}`, { cause: outcome.e });
}

/**
 * Mutates `header()` 3000 times (truncated to under 0x500 bytes, up to six of
 * its first 0x80 bytes replaced, from a fixed LCG seed) and parses each one
 * `format` probes: every outcome must be an image or a `FormatError`, never
 * another exception (a header parser's contract on hostile input).
 */
export function expectOnlyFormatErrorsOnMutation(format: ImageFormat, header: () => Uint8Array): void {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  for (let i = 0; i < 3000; i++) {
    const b = header().slice(0, rand(0x500));
    for (let k = rand(6); k >= 0; k--) if (b.length) b[rand(Math.min(b.length, 0x80))] = rand(256);
    const input = { path: "m", bytes: b };
    if (!format.probe(input)) continue;
    try {
      format.parse(input);
    } catch (e) {
      if (!(e instanceof FormatError)) throw new Error(`iteration ${i}: ${String(e)}`, { cause: e });
    }
  }
}
