import { FileAccessError } from "@handoff/node";
import { rejectedWith, thrownBy } from "@handoff/test-support";

/** The FileAccessError a promise rejects with (fails the test on anything else, or on success). */
export const rejection = (p: Promise<unknown>): Promise<FileAccessError> => rejectedWith(FileAccessError, p);

/** The FileAccessError `f` throws (fails the test on anything else, or if it returns). */
export const refusal = (f: () => unknown): FileAccessError => thrownBy(FileAccessError, f);
