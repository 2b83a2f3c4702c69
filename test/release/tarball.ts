import { posix } from "node:path";
import { gunzipSync } from "node:zlib";

/** ustar header fields (POSIX.1-1988 / pax `ustar` format), offsets within the 512-byte header. */
const TAR_BLOCK = 512;
const TAR_NAME = { offset: 0, length: 100 } as const;
const TAR_SIZE = { offset: 124, length: 12 } as const;
const TAR_TYPEFLAG = 156;
const TAR_PREFIX = { offset: 345, length: 155 } as const;

const field = (block: Buffer, f: { offset: number; length: number }) => {
  const raw = block.subarray(f.offset, f.offset + f.length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
};

/**
 * The regular files of an npm tarball (`package/` prefix removed). npm writes plain
 * ustar; anything else (links, pax headers, a file running past the end) is an error
 * here, since a registry tarball we published must not contain it.
 */
export function readTarball(tgz: Uint8Array): Map<string, Buffer> {
  const tar = gunzipSync(tgz);
  const files = new Map<string, Buffer>();
  for (let at = 0; at + TAR_BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + TAR_BLOCK);
    if (header.every((b) => b === 0)) break;
    const name = [field(header, TAR_PREFIX), field(header, TAR_NAME)].filter(Boolean).join("/");
    const size = Number.parseInt(field(header, TAR_SIZE).trim() || "0", 8);
    const type = String.fromCharCode(header[TAR_TYPEFLAG]!);
    const start = at + TAR_BLOCK;
    if (!Number.isSafeInteger(size) || start + size > tar.length) throw new Error(`tarball entry '${name}' at ${at}: size ${size} runs past the archive`);
    if (type !== "0" && type !== "\0") throw new Error(`tarball entry '${name}' at ${at}: type '${type}' is not a regular file`);
    files.set(name.replace(/^package\//, ""), Buffer.from(tar.subarray(start, start + size)));
    at = start + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return files;
}

/**
 * What a published handoff package may contain: its manifest, README, LICENSE,
 * launcher scripts, compiled JS with declarations and their source maps, the
 * CLI's V8 code cache (dist/handoff.cjs.cache, see bin/handoff.cjs), and the
 * sources those maps point at (TypeScript, and the GNU as stubs whose bytes are
 * embedded). Nothing else: no tests, fixtures, build info or editor litter.
 */
const ALLOWED = /^(package\.json|README\.md|LICENSE|bin\/[^/]+\.(c|m)?js|dist\/.+\.((c|m)?js|d\.(c|m)?ts|(c|m)?js\.map|d\.(c|m)?ts\.map)|dist\/handoff\.cjs\.cache|src\/.+\.(ts|S|inc))$/;

/** Problems with a package's published file list; empty when it ships exactly what it should. */
export function tarballProblems(files: ReadonlyMap<string, Buffer>): string[] {
  const problems: string[] = [];
  const names = [...files.keys()];
  for (const n of names) if (!ALLOWED.test(n) || /(^|\/)(test|tests|__tests__|fixtures)\//.test(n)) problems.push(`unexpected file ${n}`);
  for (const required of ["package.json", "README.md", "LICENSE"]) if (!files.has(required)) problems.push(`missing ${required}`);
  if (files.has("LICENSE") && !/^MIT License/.test(files.get("LICENSE")!.toString("utf8"))) problems.push("LICENSE is not the MIT licence");

  const manifest = JSON.parse(files.get("package.json")?.toString("utf8") ?? "{}") as { main?: string; types?: string; exports?: unknown; bin?: Record<string, string> | string };
  const targets = new Set<string>();
  const walk = (node: unknown) => {
    if (typeof node === "string") targets.add(node);
    else if (node && typeof node === "object") for (const v of Object.values(node)) walk(v);
  };
  walk([manifest.main, manifest.types, manifest.exports, manifest.bin]);
  for (const t of targets) {
    if (t.includes("*")) continue;
    if (!files.has(posix.normalize(t))) problems.push(`package.json points at ${t}, which is not in the tarball`);
  }
  if (!names.some((n) => /\.d\.(c|m)?ts$/.test(n))) problems.push("no type declarations");

  // Every emitted file names its map, and every map's sources are shipped or inlined.
  for (const n of names.filter((n) => /\.(c|m)?(js|ts)$/.test(n) && n.startsWith("dist/"))) {
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(files.get(n)!.toString("utf8"))?.[1];
    if (!url) {
      problems.push(`${n} has no source map`);
      continue;
    }
    const mapName = posix.join(posix.dirname(n), url);
    const map = files.get(mapName);
    if (!map) {
      problems.push(`${n} names ${url}, which is not in the tarball`);
      continue;
    }
    const { sources, sourcesContent, sourceRoot } = JSON.parse(map.toString("utf8")) as { sources: string[]; sourcesContent?: (string | null)[]; sourceRoot?: string };
    sources.forEach((s, i) => {
      const shipped = files.has(posix.normalize(posix.join(posix.dirname(mapName), sourceRoot ?? "", s)));
      if (!shipped && typeof sourcesContent?.[i] !== "string") problems.push(`${mapName}: source ${s} is neither shipped nor inlined`);
    });
  }
  return problems;
}
