export { main, UsageError, USAGE, type Io } from "./main.js";
export { loadArchitectures, type LoadedArchitectures } from "./container.js";
export { findInstalledArchPackages, resolvePluginDir, loadPlugin, ARCH_KEYWORD } from "./discovery.js";
export { toJson } from "./output.js";
export { digestReport, renderDigestReport } from "./digest-report.js";
