import { ARM64_4K_48 } from "@handoff/arm64";
import { benchTableBuild } from "@handoff/test-support/page-table-bench";

const GIB = 1n << 30n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;
benchTableBuild(ARM64_4K_48, "4 GiB of 4 KiB pages", [{ va: 4n * GIB, pa: 4n * GIB + 0x1000n, size: 4n * GIB, attributes: RWX }], 0x4000_0000n);
