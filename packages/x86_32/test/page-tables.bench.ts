import { X86_32_PAE } from "@handoff/x86_32";
import { benchTableBuild } from "@handoff/test-support/page-table-bench";

const GIB = 1n << 30n;
const RWX = { writable: true, executable: true, memoryType: "normal" } as const;
benchTableBuild(X86_32_PAE, "2 GiB of 4 KiB pages", [{ va: GIB, pa: GIB + 0x1000n, size: 2n * GIB, attributes: RWX }], 0x10_0000n);
