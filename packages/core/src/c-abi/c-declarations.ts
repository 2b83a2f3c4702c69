import { CTypeError, INT_NAMES, type CType, type Layout } from "./c-types.js";
import type { CTypeEnvironment } from "./c-environment.js";

/**
 * C source declaring `names` (typedefs of the environment) for a freestanding
 * compiler: the integer typedefs come from the data model, never from system
 * headers, so the compiler checks our understanding of the ABI, not a copy of it.
 */
export function emitCDeclarations(env: CTypeEnvironment, names: readonly string[]): string {
  const out: string[] = [];
  const done = new Set<string>();
  const dm = env.dataModel;
  const basicOfSize = (size: number): string => {
    for (const b of ["char", "short", "int", "long", "long long"] as const) if (dm.types[b].size === size) return b;
    throw new CTypeError(`int${size * 8}_t`, `data model ${dm.id} has no ${size}-byte integer`);
  };
  for (const bits of [8, 16, 32, 64]) {
    const base = basicOfSize(bits / 8);
    out.push(`typedef signed ${base} int${bits}_t;`, `typedef unsigned ${base} uint${bits}_t;`);
  }
  let anon = 0;
  const handles = new Map<string, string>();
  const spell = (t: CType, declarator: string): string => {
    switch (t.kind) {
      case "int":
        return `${t.name} ${declarator}`;
      case "pointer":
        // Every object pointer has one size and alignment on the supported
        // ABIs; `void *` spares declaring the target before the handle.
        return `void *${declarator}`;
      case "ref":
        define(t.name);
        return `${t.name} ${declarator}`;
      case "array":
        return spell(t.element, `${declarator}[${t.length === "flexible" ? "" : t.length}]`);
      case "aligned": {
        const name = `handoff_aligned_${anon++}`;
        out.push(`typedef ${spell(t.type, name)} __attribute__((__aligned__(${t.align})));`);
        return `${name} ${declarator}`;
      }
      case "handle": {
        let name = handles.get(t.target);
        if (!name) {
          name = `handoff_handle_${t.target.replace(/\W/g, "_")}`;
          handles.set(t.target, name);
          out.push(`typedef ${spell(env.handleRepresentation(t.target), name)};`);
        }
        return `${name} ${declarator}`;
      }
      case "struct":
      case "union": {
        const members = t.fields.map((f) => `  ${spell(f.type, f.name)};`).join("\n");
        return `${t.kind} {\n${members}\n} ${declarator}`;
      }
    }
  };
  const define = (name: string): void => {
    if (done.has(name) || INT_NAMES.has(name)) return;
    done.add(name);
    const def = env.definition(name);
    if (def.kind === "aligned") {
      out.push(`typedef ${spell(def.type, name)} __attribute__((__aligned__(${def.align})));`);
    } else {
      out.push(`typedef ${spell(def, name)};`);
    }
  };
  for (const n of names) define(n);
  return out.join("\n") + "\n";
}

/**
 * Every (path, offset, size) a C compiler can be asked about for `name`:
 * the type itself (path "") and each member, recursively through nested
 * aggregates and the first element of fixed arrays.
 */
export function layoutProbes(env: CTypeEnvironment, name: string): { path: string; offset: number; size: number; align: number }[] {
  const out: { path: string; offset: number; size: number; align: number }[] = [];
  const root = env.layout(name);
  out.push({ path: "", offset: 0, size: root.size, align: root.align });
  const walk = (l: Layout, base: number, prefix: string) => {
    if (l.kind === "struct" || l.kind === "union") {
      for (const f of l.fields) {
        const path = prefix ? `${prefix}.${f.name}` : f.name;
        out.push({ path, offset: base + f.offset, size: f.layout.size, align: f.layout.align });
        walk(f.layout, base + f.offset, path);
      }
    } else if (l.kind === "array" && !l.flexible && l.length > 1) {
      const path = `${prefix}[1]`;
      out.push({ path, offset: base + l.element.size, size: l.element.size, align: l.element.align });
      walk(l.element, base + l.element.size, path);
    }
  };
  walk(root, 0, "");
  return out;
}
