/**
 * Our plan for the x86_64 fixture kernel + a 64 MiB initrd in 512 MiB of RAM,
 * side by side with kexec-tools' own (its `-d` dump, obtained under qemu-user
 * where kexec_load never reaches the host kernel). Every segment on either side
 * must be matched or explained below; anything unexplained fails the test.
 */
import { closeSync, existsSync, openSync, ftruncateSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryMap, type Segment } from "@handoff/core";
import { PC_MEMORY_LAYOUT } from "@handoff/x86";
import { SegmentSet, buildIndirectionList, linuxKexecRules } from "@handoff/core/kexec";
import { runCli } from "@handoff/test-support/cli";
import { REPO_ROOT, tempDir } from "@handoff/test-support";
import { kexecToolsUnavailable, prepareKexecTools, runKexecTools, type KexecToolsRun } from "./kexec-tools.js";

const KERNEL_NAME = "x86_64-bzImage-6.1.0-56-cloud-amd64";
/** `../shared/fixtures/kernels/` beside the repo root (a worktree sits one or two levels deeper). */
const KERNEL =
  [0, 1, 2].map((up) => join(REPO_ROOT, "../".repeat(up), "../shared/fixtures/kernels", KERNEL_NAME)).find((p) => existsSync(p)) ??
  join(REPO_ROOT, "../shared/fixtures/kernels", KERNEL_NAME);
const CMDLINE = "console=ttyS0";
const MiB = 1n << 20n;
const INITRD_SIZE = 64n * MiB;
const RAM = 512n * MiB;
/** kexec-tools include/x86/x86-linux.h / purgatory: room reserved after the command line for purgatory's own. */
const PURGATORY_CMDLINE_SIZE = 64n;
/** boot.rst: kernel_alignment of this kernel (CONFIG_PHYSICAL_ALIGN 2 MiB). */
const KERNEL_ALIGNMENT = 0x200000n;

interface PlanJson {
  imageFormat: string;
  entry: string;
  kexecFlags: string;
  segments: { mem: string; memsz: string; bufsz: string; role: string; source: string }[];
}

function unavailable(reason: string): boolean {
  if (process.env.CI === "true") throw new Error(`kexec-tools comparison cannot run under CI: ${reason}`);
  console.warn(`SKIPPING kexec-tools comparison: ${reason}`);
  return true;
}

describe("plan vs kexec-tools (x86_64 bzImage, 64 MiB initrd, 512 MiB RAM)", () => {
  let skip = false;
  let kexec: KexecToolsRun;
  let ours: PlanJson;
  const map = MemoryMap.fromMachine(RAM, PC_MEMORY_LAYOUT);

  beforeAll(() => {
    const missing = kexecToolsUnavailable() ?? (existsSync(KERNEL) ? undefined : `fixture ${KERNEL} missing`);
    if (missing !== undefined) {
      skip = unavailable(missing);
      return;
    }
    const work = tempDir("handoff-kexec-cmp-");
    const initrd = join(work, "initrd-64M");
    const fd = openSync(initrd, "w");
    ftruncateSync(fd, Number(INITRD_SIZE)); // sparse: the content does not matter to either planner
    closeSync(fd);
    const plan = runCli(["plan", "--arch", "x86_64", "--kernel", KERNEL, "--initrd", initrd, "--cmdline", CMDLINE, "--memory", "512M", "--json"]);
    if (plan.code !== 0 && /no x86_64 image format recognises it/.test(plan.stderr)) {
      skip = unavailable("no bzImage ImageFormat is registered for x86_64 (it comes from branch formats-boot)");
      return;
    }
    expect(plan.stderr).toBe("");
    ours = JSON.parse(plan.stdout) as PlanJson;
    const root = prepareKexecTools();
    kexec = runKexecTools(root, {
      kernel: KERNEL,
      initrd,
      append: CMDLINE,
      workDir: work,
      memoryMap: map.ranges.map((r) => ({ start: r.start, end: r.start + r.size, type: r.type === "ram" ? "System RAM" : "Reserved" })),
    });
  }, 300_000);

  it("kexec_load was answered ENOSYS by qemu-user, never by the host kernel", ({ skip: skipTest }) => {
    if (skip) return skipTest();
    expect(kexec.syscall).toMatch(/kexec_load\(.*\) = -1 errno=38 \(Function not implemented\)/);
    expect(kexec.debug).toMatch(/kexec_load failed: Function not implemented/);
  });

  it("kexec-tools' segments pass our SegmentSet validation in the same memory map, and relocate", ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const segments: Segment[] = kexec.dump.segments.map((s) => ({ data: { kind: "zero" }, bufsz: s.bufsz, mem: s.mem, memsz: s.memsz, role: "other" }));
    expect(SegmentSet.validate(segments, linuxKexecRules(4096n, { memoryMap: map })).segments).toHaveLength(kexec.dump.segments.length);
    const used = segments.map((s) => ({ start: s.mem, end: s.mem + s.memsz }));
    const list = buildIndirectionList(segments, { pageSize: 4096n, wordBytes: 8, endianness: "little", free: map.freeRam(used) });
    expect(list.swaps).toEqual([]);
  });

  it("same kexec_load flags (KEXEC_ARCH_X86_64 = 62 << 16)", ({ skip: skipTest }) => {
    if (skip) return skipTest();
    expect(kexec.dump.flags).toBe(0x3e0000n);
    expect(BigInt(ours.kexecFlags)).toBe(kexec.dump.flags);
  });

  it("every segment on both sides is matched or explained", ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const theirs = kexec.dump.segments.map((s) => ({ ...s, explained: "" }));
    const mine = ours.segments.map((s) => ({ mem: BigInt(s.mem), memsz: BigInt(s.memsz), bufsz: BigInt(s.bufsz), role: s.role, explained: "" }));
    const one = <T,>(list: T[], what: string, pred: (x: T) => boolean): T => {
      const found = list.filter(pred);
      expect(found, what).toHaveLength(1);
      return found[0]!;
    };

    // 1. Kernel: the same bytes (file minus the (setup_sects+1)*512 real-mode part) and the same memsz (init_size).
    const myKernel = one(mine, "our kernel", (s) => s.role === "kernel");
    const theirKernel = one(theirs, "their kernel", (s) => s.bufsz === myKernel.bufsz);
    expect(theirKernel.memsz).toBe(myKernel.memsz);
    // Difference: where. kexec-tools treats the relocatable kernel as movable and puts it as high as it
    // fits (top-down, >= pref_address, kernel_alignment-aligned); we load it at pref_address itself.
    expect(myKernel.mem).toBe(0x1000000n);
    expect(theirKernel.mem).toBeGreaterThanOrEqual(myKernel.mem);
    expect(theirKernel.mem % KERNEL_ALIGNMENT).toBe(0n);
    expect(theirKernel.mem + theirKernel.memsz + KERNEL_ALIGNMENT).toBeGreaterThan(RAM - 0x20000n); // as high as it goes
    myKernel.explained = theirKernel.explained = "kernel: same bufsz/memsz; kexec-tools relocates it top-down, we keep pref_address";

    // 2. Initrd: same size; both top-down below initrd_addr_max. Ours gets the top of RAM; theirs sits
    // right below their kernel, which took the top first.
    const myInitrd = one(mine, "our initrd", (s) => s.role === "initrd");
    const theirInitrd = one(theirs, "their initrd", (s) => s.bufsz === INITRD_SIZE);
    expect([myInitrd.bufsz, myInitrd.memsz, theirInitrd.memsz]).toEqual([INITRD_SIZE, INITRD_SIZE, INITRD_SIZE]);
    expect(myInitrd.mem + myInitrd.memsz).toBe(RAM);
    expect(theirInitrd.mem + theirInitrd.memsz).toBe(theirKernel.mem);
    myInitrd.explained = theirInitrd.explained = "initrd: same size, both top-down; positions differ because of the kernel";

    // 3. kexec-tools only: boot_params ("real_mode_data") + command line in one segment:
    // max(kern16_size, 4096) + strlen(cmdline) + 1 + PURGATORY_CMDLINE_SIZE bytes. We give the command line
    // its own page; boot_params is built by the boot-protocol code, not by this plan.
    const kern16 = 0xd87200n - myKernel.bufsz; // (setup_sects + 1) * 512 of this fixture
    const theirSetup = one(theirs, "their real_mode_data+cmdline", (s) => s.bufsz === kern16 + BigInt(CMDLINE.length + 1) + PURGATORY_CMDLINE_SIZE);
    const myCmdline = one(mine, "our cmdline", (s) => s.role === "cmdline");
    expect(myCmdline.bufsz).toBe(BigInt(CMDLINE.length + 1));
    theirSetup.explained = myCmdline.explained = "cmdline: kexec-tools packs it after boot_params; ours is a separate page";

    // 4. kexec-tools only: its purgatory (sha256 check + 64-bit entry trampoline), which holds the kexec entry.
    const purgatory = one(theirs, "their purgatory", (s) => kexec.dump.entry >= s.mem && kexec.dump.entry < s.mem + s.memsz);
    purgatory.explained = "purgatory: kexec-tools' own entry code; handoff's entry stub is planned elsewhere";

    // 5. kexec-tools only: SETUP_RNG_SEED setup_data (16-byte setup_data header + 32-byte seed) placed
    // bottom-up from 1 MiB.
    const rng = one(theirs, "their RNG seed setup_data", (s) => s.bufsz === 0x30n);
    expect(rng.mem).toBe(0x100000n);
    rng.explained = "setup_data RNG seed: kexec-tools adds one, we do not";

    // 6. Ours only: the real-mode setup code the bzImage format returns (for the 16-bit boot path).
    // kexec-tools' 64-bit loader never runs it and copies only the setup header into boot_params.
    for (const s of mine.filter((x) => x.role === "setup")) {
      expect(s.bufsz).toBe(kern16);
      s.explained = "real-mode setup: ours loads it, kexec-tools' 64-bit path does not";
    }

    const unexplained = [...theirs, ...mine].filter((s) => s.explained === "");
    expect(unexplained).toEqual([]);
    // The entry differs by design: kexec-tools enters its purgatory, we enter the kernel's 64-bit entry (load address + 0x200).
    expect(BigInt(ours.entry)).toBe(myKernel.mem + 0x200n);
  });
});
