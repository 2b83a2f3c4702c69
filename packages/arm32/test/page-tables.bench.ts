import { ARM32_SHORT } from "@handoff/arm32";
import { benchTableBuild } from "@handoff/test-support/page-table-bench";

const GIB = 1n << 30n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;
// 1 GiB of 4 KiB small pages: 4-byte descriptors, 1024 second-level tables.
benchTableBuild(ARM32_SHORT, "1 GiB of 4 KiB pages", [{ va: GIB, pa: GIB + 0x1000n, size: GIB, attributes: RWX }], 0x8000_0000n);
