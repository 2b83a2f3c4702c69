import { requireTool, run } from "../../../../test/support/tools.js";
export { requireTool, run };
import { spawnSync } from "node:child_process";



/** readelf reads every ELF machine; the cross package's copy is what CI installs (.ci/debian-packages). */
export const READELF = "x86_64-linux-gnu-readelf";
