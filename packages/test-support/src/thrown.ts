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
