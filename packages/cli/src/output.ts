/** JSON with bigints rendered as `0x…` strings (addresses and register values exceed 2^53). */
export function toJson(value: unknown): string {
  // A negative value (a hypercall's -errno) keeps its sign in front: `-0x16`, not `0x-16`.
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v < 0n ? "-" : ""}0x${(v < 0n ? -v : v).toString(16)}` : v), 2);
}

/** Fixed-width text table for human output. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Every line of `text` indented by two spaces (sub-tables under a heading). */
export function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
