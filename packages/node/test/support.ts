import { FileAccessError } from "@handoff/node";

/** The FileAccessError a promise rejects with (fails the test on anything else, or on success). */
export async function rejection(p: Promise<unknown>): Promise<FileAccessError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof FileAccessError)) throw new Error(`expected a FileAccessError, got ${String(e)}`);
  return e;
}

/** The FileAccessError `f` throws (fails the test on anything else, or if it returns). */
export function refusal(f: () => unknown): FileAccessError {
  try {
    f();
  } catch (e) {
    if (e instanceof FileAccessError) return e;
    throw new Error(`expected a FileAccessError, got ${String(e)}`);
  }
  throw new Error("expected a FileAccessError, but the call returned");
}
