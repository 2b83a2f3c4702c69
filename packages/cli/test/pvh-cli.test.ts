import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureKernel, tempDir } from "@handoff/test-support";
import { runCli } from "@handoff/test-support/cli";

/**
 * The PVH views of the CLI on the real 686-pae kernel: `inspect` names the
 * notes a PVH loader acts on, and `plan --protocol pvh` shows exactly the
 * hvm_start_info that `build` puts in the artefact.
 */
const PAE = fixtureKernel("x86_32-bzImage-6.1.0-57-686-pae");
const work = tempDir("handoff-pvh-cli-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const START_INFO_FIELDS = ["magic", "version", "flags", "nr_modules", "modlist_paddr", "cmdline_paddr", "rsdp_paddr", "memmap_paddr", "memmap_entries", "reserved", "cmdline", "modlist", "memmap"];

describe.skipIf(!PAE)("PVH in inspect and plan", () => {
  it("inspect shows the PVH entry, PADDR offset, hypercall page and features from the notes", () => {
    const text = runCli(["inspect", `${PAE}#payload`]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/PVH \(xen docs\/misc\/pvh.pandoc\)\n {2}entry {12}0x10002e0 \(PHYS32_ENTRY/);
    expect(text.stdout).toMatch(/PADDR offset {5}note 0x0; a PVH loader applies 0x0/);
    expect(text.stdout).toMatch(/hypercall page {3}none/);
    expect(text.stdout).toMatch(/features {9}required: writable_page_tables; supported: pae_pgdir_above_4gb/);
    const json = JSON.parse(runCli(["inspect", `${PAE}#payload`, "--json"]).stdout);
    expect(json.pvh).toMatchObject({ phys32Entry: "0x10002e0", paddrOffset: { note: "0x0", applied: "0x0" }, hypercallPage: null, supportedFeatures: { bitmap: "0x8801", names: ["writable_page_tables", "dom0", "linux_rsdp_unrestricted"] } });
    // A bzImage itself is no PVH ELF.
    expect(JSON.parse(runCli(["inspect", PAE!, "--json"]).stdout).pvh).toBeNull();
  }, 120_000);

  it("plan --protocol pvh --json names every start_info.h field and equals what build puts in the artefact", () => {
    const initrd = join(work, "rd");
    writeFileSync(initrd, new Uint8Array(0x1234).fill(7));
    const args = ["--arch", "x86_32", "--kernel", `${PAE}#payload`, "--initrd", initrd, "--cmdline", "console=ttyS0 x=1", "--memory", "6G"];
    const planned = runCli(["plan", "--protocol", "pvh", ...args, "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout);
    expect(Object.keys(plan.hvm_start_info)).toEqual(START_INFO_FIELDS);
    expect(plan.hvm_start_info).toMatchObject({ magic: 0x336ec578, version: 1, nr_modules: 1, cmdline: "console=ttyS0 x=1", modlist: [{ size: "0x1234", cmdline: null }] });
    expect(plan.hvm_start_info.memmap).toContainEqual({ addr: "0x100000000", size: "0xc0000000", type: 1, reserved: 0 });
    const out = join(work, "built");
    expect(runCli(["build", ...args, "--out", out]).code).toBe(0);
    const built = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(built.bootInfo.hvm_start_info).toEqual(plan.hvm_start_info);
    expect(built.bootInfo.hvm_start_info_paddr).toBe(plan.hvm_start_info_paddr);
    expect(plan.machine).toEqual({ machine: "pc", memory: "6144M" });
    // The IA-32 stub checks every planned segment (kernel PT_LOADs, start info, initrd) as build plans it; --no-verify: none.
    expect(plan.segmentCheck).toEqual({ algorithm: "sha256", segments: plan.segments.length });
    expect(built.verify.regions).toBe(plan.segments.length);
    const unchecked = JSON.parse(runCli(["plan", "--protocol", "pvh", ...args, "--json", "--no-verify"]).stdout);
    expect(unchecked.segmentCheck).toBeNull();
    expect(unchecked.segments).toEqual(plan.segments);
  }, 120_000);

  it("plan --protocol pvh refuses kexec-only options (exit 2) and an arch without PVH (exit 1)", () => {
    const zero = runCli(["plan", "--protocol", "pvh", "--arch", "x86_32", "--kernel", `${PAE}#payload`, "--use-zero"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--use-zero does not apply/);
    const other = runCli(["plan", "--protocol", "xyz", "--arch", "x86_32", "--kernel", `${PAE}#payload`]);
    expect(other.code).toBe(2);
    const wrongWidth = runCli(["plan", "--protocol", "pvh", "--arch", "x86_64", "--kernel", PAE!]);
    expect(wrongWidth.code).toBe(1);
    expect(wrongWidth.stderr.trim().split("\n")).toHaveLength(1);
  }, 120_000);
});
