import { X86_64_4LEVEL } from "@handoff/x86_64";
import { benchTableBuild } from "@handoff/test-support/page-table-bench";

const GIB = 1n << 30n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;
// 4 GiB with PA 4 KiB off VA: every page is a 4 KiB PTE (2054 tables, ~8 MiB).
benchTableBuild(X86_64_4LEVEL, "4 GiB of 4 KiB pages", [{ va: 4n * GIB, pa: 4n * GIB + 0x1000n, size: 4n * GIB, attributes: RWX }], 0x10_0000n);
// 64 GiB with PA 2 MiB off: 2 MiB pages only (66 tables).
benchTableBuild(X86_64_4LEVEL, "64 GiB of 2 MiB pages", [{ va: 4n * GIB, pa: 4n * GIB + 0x20_0000n, size: 64n * GIB, attributes: RWX }], 0x10_0000n);
