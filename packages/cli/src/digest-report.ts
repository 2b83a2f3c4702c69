import { digestSegments, type DigestOptions, type SegmentDigests } from "@handoff/node";
import { type Segment } from "@handoff/core";
import { table, toJson } from "./output.js";

/**
 * The `--digest ALG` part of `handoff plan`: stream every segment through the
 * hash (see `digestSegments` in core for exactly which bytes: each segment's
 * memsz bytes as they will sit in memory) and, like kexec-tools' purgatory
 * setup, the one digest over all non-purgatory segments.
 */
export async function digestReport(
  segments: readonly Segment[],
  algorithm = "sha256",
  options: Pick<DigestOptions, "purgatory" | "inMemory" | "worker"> = {},
): Promise<SegmentDigests> {
  return digestSegments(segments, algorithm, { purgatory: false, ...options });
}

/** Render a digest report as text (one row per segment) or JSON (bigints as hex strings). */
export function renderDigestReport(report: SegmentDigests, json: boolean): string {
  if (json) return toJson(report);
  const rows = report.segments.map((s) => [
    String(s.index),
    s.name ?? s.role,
    `0x${s.mem.toString(16)}`,
    `0x${s.bufsz.toString(16)}`,
    `0x${s.memsz.toString(16)}`,
    s.digest,
  ]);
  const lines = [table(["#", "segment", "mem", "bufsz", "memsz", report.algorithm], rows)];
  if (report.purgatory) lines.push(`purgatory ${report.algorithm}: ${report.purgatory.digest} over ${report.purgatory.regions.length} regions`);
  return lines.join("\n");
}
