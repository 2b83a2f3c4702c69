import { UsageError } from "./cli/usage-error.js";

/**
 * The one grammar for numbers on handoff's command line, used by every option
 * and positional that takes an address, a size or a value:
 *   - decimal (`4096`) or hex with `0x` (`0x1000`), `_` allowed between digits
 *     (`0x1_000`, `1_048_576`) everywhere;
 *   - sizes may end in a binary unit K, M, G, T or P (`512M`, `6G`; decimal only);
 *   - every value is below 2^64 (addresses and register values are bigints).
 * A malformed value is a usage error (exit 2), never a bad-input error.
 */
const NUMBER = /^(?:0[xX]([0-9a-fA-F](?:_?[0-9a-fA-F])*)|([0-9](?:_?[0-9])*)([KMGTP])?)$/;
const UNIT: Readonly<Record<string, bigint>> = { K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n, P: 1n << 50n };
const U64_LIMIT = 1n << 64n;

interface NumberRules {
  /** Accept a K/M/G/T/P suffix (sizes). */
  readonly units: boolean;
  /** Accept a leading `-` on decimals (hypercall argument values). */
  readonly signed?: boolean;
  /** Refuse zero (sizes). */
  readonly positive?: boolean;
}

function parseNumber(text: string, option: string, rules: NumberRules): bigint {
  const negative = rules.signed === true && text.startsWith("-") && !text.startsWith("-0x");
  const body = negative ? text.slice(1) : text;
  const m = NUMBER.exec(body);
  if (!m || (m[3] !== undefined && !rules.units)) {
    const grammar = rules.units ? "decimal or 0x-hex, optional K/M/G/T/P suffix, e.g. 512M" : "decimal or 0x-hex, e.g. 0x1000";
    throw new UsageError(`${option}: '${text}' is not a ${rules.units ? "size" : "number"} (${grammar})`);
  }
  const digits = (m[1] !== undefined ? `0x${m[1]}` : m[2]!).replaceAll("_", "");
  const value = BigInt(digits) * (m[3] !== undefined ? UNIT[m[3]]! : 1n);
  if (value >= U64_LIMIT) throw new UsageError(`${option}: '${text}' does not fit in 64 bits`);
  if (rules.positive === true && value === 0n) throw new UsageError(`${option}: size must be positive`);
  return negative ? -value : value;
}

/** An address or value: decimal or 0x-hex, `_` separators, 0 <= value < 2^64. */
export function parseAddress(text: string, option: string): bigint {
  return parseNumber(text, option, { units: false });
}

/** A size: like an address, plus a binary unit suffix (`512M`, `6G`); zero is refused. */
export function parseSize(text: string, option: string): bigint {
  return parseNumber(text, option, { units: true, positive: true });
}

/** A size that may be zero or use units (page-table VA/PA/SIZE fields, `--gib`). */
export function parseQuantity(text: string, option: string): bigint {
  return parseNumber(text, option, { units: true });
}

/** A register or argument value: an address, or a negative decimal (two's complement is the ABI's business). */
export function parseValue(text: string, option: string): bigint {
  return parseNumber(text, option, { units: false, signed: true });
}

/** A whole number of seconds in (0, max]. */
export function parseSeconds(text: string, option: string, max: number): number {
  const value = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value > 0 && value <= max)) throw new UsageError(`${option}: '${text}' must be a number of seconds in (0, ${max}]`);
  return value;
}
