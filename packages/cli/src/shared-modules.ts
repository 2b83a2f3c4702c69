import { register } from "node:module";

/** Where the single file publishes its own module instances for plugins loaded from disk. */
const SHARED = Symbol.for("@handoff/cli/shared-modules");

// Module customization hooks (run by Node in its hooks thread): a bare import of a
// shared specifier, from anywhere, becomes a small module that re-exports the
// single file's own instance of it from globalThis.
const HOOKS = `
let shared = {};
export function initialize(data) { shared = data; }
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(shared, specifier)) return { url: "handoff-shared:" + specifier, shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith("handoff-shared:")) return next(url, context);
  const specifier = url.slice("handoff-shared:".length);
  const lines = ["const m = globalThis[Symbol.for('@handoff/cli/shared-modules')][" + JSON.stringify(specifier) + "];"];
  for (const name of shared[specifier]) lines.push(name === "default" ? "export default m.default;" : "export const " + name + " = m[" + JSON.stringify(name) + "];");
  return { format: "module", source: lines.join("\\n"), shortCircuit: true };
}`;

let installed = false;

/**
 * Make plugins imported from node_modules share the single file's instances of
 * `modules` (tsyringe, @handoff/core...): a plugin's `@injectable()` must record
 * its constructor's parameters in the same tsyringe that resolves it, and its
 * errors must be the CLI's `HandoffError` to be reported as bad input, not as an
 * internal fault. Installed once, only when a plugin is loaded from disk (the hooks
 * thread costs start-up time that built-in arches never pay).
 */
export function shareModulesWithPlugins(modules: Readonly<Record<string, Record<string, unknown>>>): void {
  if (installed) return;
  installed = true;
  (globalThis as Record<symbol, unknown>)[SHARED] = modules;
  const names = Object.fromEntries(Object.entries(modules).map(([specifier, m]) => [specifier, Object.keys(m).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k))]));
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: names });
}
