/// <reference lib="dom" />
/**
 * The explorer page in a real headless browser: Debian's chromium driven by
 * puppeteer-core (no browser download). The page is the built bundle
 * (`npm run build`), opened from file://; kernels go in through the page's own
 * file input, exactly as a user's pick does. Screenshots are saved under
 * .cache/artifacts/ (ignored) for a human to look at.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import puppeteer, { type Browser, type ElementHandle, type Page } from "puppeteer-core";
import { LINUX_BOOT_BUILDER, type LinuxBootBuilder } from "@handoff/core";
import { container } from "tsyringe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plugin as arm64 } from "@handoff/arm64";
import { dumpMachineDtb } from "@handoff/qemu";
import { runCli } from "@handoff/test-support/cli";
import { kernelFixturesDir, requireTool, tempDir } from "@handoff/test-support";

const ROOT = join(import.meta.dirname, "../../..");
const PAGE = join(ROOT, "examples/explorer/dist/index.html");
const ARTIFACTS = join(ROOT, ".cache/artifacts");
const CHROMIUM = process.env.HANDOFF_CHROMIUM ?? "/usr/bin/chromium";

/** Chromium present, or a loud skip locally / a failure under CI=true. */
function haveChromium(): boolean {
  if (existsSync(CHROMIUM) && spawnSync(CHROMIUM, ["--version"], { stdio: "ignore" }).status === 0) return true;
  if (process.env.CI === "true") throw new Error(`${CHROMIUM} is required under CI=true but is not installed (see .ci/debian-packages: chromium)`);
  console.warn(`\n*** SKIPPING the explorer browser test: ${CHROMIUM} not installed (apt-get install chromium) ***\n`);
  return false;
}

const enabled = haveChromium();
if (enabled && !existsSync(PAGE)) throw new Error(`${PAGE} is missing: run npm run build first`);

let browser: Browser | undefined;
let page: Page;
const scratch = tempDir("handoff-explorer-");

beforeAll(async () => {
  if (!enabled) return;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for chromium's sandbox; the page is our own file.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--allow-file-access-from-files"],
    userDataDir: join(scratch, "profile"),
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  await page.goto(pathToFileURL(PAGE).href);
  await page.waitForSelector("body[data-state=ready]", { timeout: 20_000 });
}, 60_000);

afterAll(async () => {
  // The browser never outlives the test: close politely, then kill what is left.
  const pid = browser?.process()?.pid;
  await browser?.close().catch(() => undefined);
  if (pid !== undefined) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone: the normal case
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Give the page a kernel through its file input; resolves when it has drawn. Returns wall milliseconds. */
async function loadKernel(path: string): Promise<number> {
  await page.evaluate(() => (document.body.dataset.state = "waiting"));
  const input = (await page.$("#kernel-file")) as ElementHandle<HTMLInputElement> | null;
  const t0 = performance.now();
  await input!.uploadFile(path);
  await page.waitForSelector("body[data-state=done]", { timeout: 60_000 });
  return performance.now() - t0;
}

const text = (selector: string) => page.$eval(selector, (e) => (e as HTMLElement).innerText);
const cells = (selector: string) => page.$$eval(selector, (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((c) => c.textContent ?? "")));

/** The arm64 package's Linux boot builder (for the machine its DTB must come from). */
function arm64Builder(): LinuxBootBuilder {
  const child = container.createChildContainer();
  arm64.register(child);
  return child.resolveAll<LinuxBootBuilder>(LINUX_BOOT_BUILDER).find((b) => b.arch === "arm64")!;
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) as `${string}.png`, fullPage: true });
}

describe.skipIf(!enabled)("explorer page in headless chromium", () => {
  it("the tiny example kernel: header fields, the plan picture, the register state with provenance", async () => {
    await loadKernel(join(ROOT, "examples/tiny-kernel/tiny-bzImage"));
    const summary = new Map(await cells("#summary tbody tr").then((rows) => rows.map((r) => [r[0]!, r[1]!] as const)));
    expect(summary.get("format")).toMatch(/^bzImage/);
    expect(summary.get("arch")).toBe("x86_64");
    const fields = new Map((await cells("#header-fields tbody tr")).map((r) => [r[0]!, r[1]!] as const));
    expect(fields.get("protocol")).toBe("2.15");
    expect(fields.get("header.pref_address")).toBe("0x1000000");
    // The picture: one region per plan segment plus list and staging pages, as the plan table says.
    const segments = await cells("#plan-segments tbody tr");
    const regions = await page.$$eval("#plan-map svg rect.region", (rs) => rs.map((r) => `${r.getAttribute("data-role")}@${r.getAttribute("data-start")}`));
    for (const s of segments) expect(regions).toContain(`${s[4]}@${s[1]}`);
    expect(regions.filter((r) => r.startsWith("indirection-list@"))).toHaveLength(1);
    expect(await page.$$eval("#plan-map svg .gap", (g) => g.length)).toBeGreaterThan(0);
    // Registers: rsi from the protocol, the rest forced to zero.
    const regs = new Map((await cells("#registers tbody tr")).map((r) => [r[0]!, r] as const));
    expect(regs.get("rsi")![3]).toMatch(/linux64: .*boot_params|zero page/i);
    expect(regs.get("rbx")!.slice(2)).toEqual(["0x0", "forced zero (undefined by the protocol)"]);
    expect(regs.size).toBeGreaterThan(16);
    await screenshot("explorer-tiny");
  });

  it("the real x86_64 kernel: recognised, planned and drawn; the time from drop to picture is reported", async () => {
    const dir = kernelFixturesDir();
    if (!dir) {
      if (process.env.CI === "true") throw new Error("missing fixtures: ../shared/fixtures/kernels");
      console.warn("SKIPPING: ../shared/fixtures/kernels is missing");
      return;
    }
    const kernel = join(dir, "x86_64-bzImage-6.1.0-56-cloud-amd64");
    const wall = await loadKernel(kernel);
    const summary = await text("#summary");
    expect(summary).toContain("bzImage");
    expect(summary).toContain("x86_64");
    const fields = new Map((await cells("#header-fields tbody tr")).map((r) => [r[0]!, r[1]!] as const));
    // The same facts the CLI reads from this file.
    const cli = JSON.parse(runCli(["inspect", kernel, "--json"]).stdout) as { metadata: { protocol: string; kernelVersion: string } };
    expect(fields.get("protocol")).toBe(cli.metadata.protocol);
    expect(fields.get("kernelVersion")).toBe(cli.metadata.kernelVersion);
    const regionCount = await page.$$eval("#plan-map svg rect.region", (r) => r.length);
    const segmentCount = (await cells("#plan-segments tbody tr")).length;
    expect(regionCount).toBeGreaterThanOrEqual(segmentCount);
    expect(await page.$$eval("#plan-map svg rect.coverage", (r) => r.length)).toBeGreaterThan(0);
    const inPage = Number(await page.$eval("#timing", (e) => (e as HTMLElement).dataset.ms));
    expect(inPage).toBeGreaterThan(0);
    console.log(`explorer: x86_64 fixture (${segmentCount} segments, ${regionCount} regions): ${inPage.toFixed(0)} ms in the page from file to picture, ${wall.toFixed(0)} ms wall from upload to drawn`);
    await screenshot("explorer-x86_64");
  });

  it("a kernel dropped on the drop zone is read like a picked one", async () => {
    const bytes = [...readFileSync(join(ROOT, "examples/tiny-kernel/tiny-bzImage"))];
    await page.evaluate(() => (document.body.dataset.state = "waiting"));
    await page.evaluate((data: number[]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], "dropped-bzImage"));
      document.getElementById("drop")!.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForSelector("body[data-state=done]", { timeout: 30_000 });
    expect(await text("#kernel-name")).toBe(`dropped-bzImage (${bytes.length} bytes)`);
    expect(await text("#summary")).toMatch(/bzImage[\s\S]*x86_64/);
    expect(await page.$$eval("#plan-map svg rect.region", (r) => r.length)).toBeGreaterThan(3);
  });

  it("the real arm64 kernel with QEMU virt's DTB: x0 = the DTB's address, by arm64 booting.rst", async () => {
    const dir = kernelFixturesDir();
    if (!dir || !requireTool("qemu-system-aarch64")) {
      if (process.env.CI === "true") throw new Error("missing fixtures or qemu-system-aarch64");
      return;
    }
    const builder = arm64Builder();
    const m = builder.machine("linux");
    const dtb = join(scratch, "virt.dtb");
    writeFileSync(dtb, dumpMachineDtb({ arch: "arm64", machine: m.machine, memory: m.memory }));
    await ((await page.$("#dtb-file")) as ElementHandle<HTMLInputElement>).uploadFile(dtb);
    await page.waitForFunction(() => document.getElementById("dtb-name")?.textContent?.startsWith("virt.dtb"), { timeout: 30_000 });
    await loadKernel(join(dir, "arm64-Image-6.1.0-50-cloud-arm64"));
    expect(await text("#summary")).toMatch(/arm64/);
    const regs = new Map((await cells("#registers tbody tr")).map((r) => [r[0]!, r] as const));
    const dtbRegion = await page.$$eval("#build-map svg rect.region[data-role=dtb]", (r) => r.map((e) => e.getAttribute("data-start")));
    expect(dtbRegion).toHaveLength(1);
    expect(regs.get("x0")![2]).toBe(dtbRegion[0]);
    expect(regs.get("x0")![3]).toMatch(/booting/i);
    expect(regs.get("x4")!.slice(2)).toEqual(["0x0", "forced zero (undefined by the protocol)"]);
    await screenshot("explorer-arm64");
  });

  it("a file larger than the CLI reads is refused by its size, before reading", async () => {
    const huge = join(scratch, "huge.img");
    const fd = openSync(huge, "w");
    ftruncateSync(fd, 512 * 1024 * 1024 + 1); // sparse: costs no disk
    closeSync(fd);
    await loadKernel(huge);
    expect(await text("#inspect-error")).toBe(`handoff: huge.img: kernel of ${512 * 1024 * 1024 + 1} bytes exceeds ${512 * 1024 * 1024}`);
  });

  it("a bad file gets the CLI's one line", async () => {
    const junk = join(scratch, "junk.bin");
    writeFileSync(junk, Buffer.alloc(4096, 0x5a));
    await loadKernel(junk);
    const line = await text("#inspect-error");
    const cli = runCli(["inspect", "junk.bin"], { cwd: scratch });
    expect(cli.code).toBe(1);
    // The CLI names the file by its resolved path; the page knows only the dropped file's name.
    expect(line).toBe(cli.stderr.trim().replace(`${scratch}/`, ""));
    expect(await page.$("#plan-map")).toBeNull();
    await screenshot("explorer-error");
  });
});
