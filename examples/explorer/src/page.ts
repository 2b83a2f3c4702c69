/**
 * The explorer page: file inputs and a drop zone, arch and protocol pickers,
 * and the results of {@link explore} written into the document. Everything is
 * computed here, in the browser; there is no server.
 */
import "reflect-metadata";
import { plugin as arm32 } from "@handoff/arm32";
import { plugin as arm64 } from "@handoff/arm64";
import { plugin as x86_32 } from "@handoff/x86_32";
import { plugin as x86_64 } from "@handoff/x86_64";
import { container } from "tsyringe";
import { checkFileSize, errorLine, explore, makeExplorer, type DroppedFile, type Exploration } from "./explore.js";

const explorer = makeExplorer(container, [x86_64, x86_32, arm64, arm32]);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const files: { kernel?: DroppedFile; initrd?: DroppedFile; dtb?: DroppedFile } = {};
/** When the newest kernel bytes arrived (performance.now), for the drop-to-picture time. */
let droppedAt = 0;

function fillArchs(): void {
  const select = $<HTMLSelectElement>("arch");
  for (const arch of explorer.registry.all()) select.add(new Option(`${arch.id} (${arch.displayName})`, arch.id));
  select.addEventListener("change", () => (fillProtocols(), run()));
}

function fillProtocols(): void {
  const select = $<HTMLSelectElement>("protocol");
  const archId = $<HTMLSelectElement>("arch").value;
  select.replaceChildren(new Option("default", ""));
  for (const b of explorer.linuxBuilders.filter((x) => x.arch === archId)) for (const p of b.protocols) select.add(new Option(p, p));
}

async function read(file: File): Promise<DroppedFile> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function cell(tag: "td" | "th", text: string, cls?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function table(id: string, head: readonly string[], rows: readonly (readonly string[])[]): HTMLTableElement {
  const t = document.createElement("table");
  t.id = id;
  const tr = document.createElement("tr");
  head.forEach((h) => tr.append(cell("th", h)));
  t.createTHead().append(tr);
  const body = t.createTBody();
  for (const row of rows) {
    const r = document.createElement("tr");
    row.forEach((v, i) => r.append(cell("td", v, i === 0 ? "key" : undefined)));
    body.append(r);
  }
  return t;
}

/** A long table in a scrolling box, so the picture stays in view. */
function scroll(el: HTMLElement): HTMLElement {
  const div = document.createElement("div");
  div.className = "scroll";
  div.append(el);
  return div;
}

function errorBox(id: string, line: string): HTMLElement {
  const p = document.createElement("p");
  p.id = id;
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = line;
  return p;
}

function note(text: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "note";
  p.textContent = text;
  return p;
}

/** Put an SVG string from core's renderer into `host` (parsed as XML: it is ours, but never trusted as HTML). */
function placeSvg(host: HTMLElement, svg: string): void {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  host.replaceChildren(document.importNode(doc.documentElement, true));
}

function render(result: Exploration): void {
  const inspectOut = $("inspect-out");
  const planOut = $("plan-out");
  const stateOut = $("state-out");
  inspectOut.replaceChildren();
  planOut.replaceChildren();
  stateOut.replaceChildren();
  if ("error" in result.inspect) {
    inspectOut.append(errorBox("inspect-error", result.inspect.error));
  } else {
    const v = result.inspect.view;
    inspectOut.append(
      table("summary", ["field", "value"], [
        ["format", `${v.format} (${v.formatDescription})`],
        ["arch", v.arch ?? "unknown"],
        ["entry", v.entry],
      ]),
      table("segments", ["name", "role", "mem", "memsz", "bufsz"], v.segments.map((s) => [s.name, s.role, s.mem, s.memsz, s.bufsz])),
      scroll(table("header-fields", ["header field", "value"], v.fields)),
    );
  }
  if (result.arch !== undefined && $<HTMLSelectElement>("arch").value !== result.arch) {
    $<HTMLSelectElement>("arch").value = result.arch;
    fillProtocols();
  }
  if (result.plan && "error" in result.plan) planOut.append(errorBox("plan-error", result.plan.error));
  else if (result.plan) {
    const s = document.createElement("p");
    s.id = "plan-summary";
    s.textContent = result.plan.summary;
    const map = document.createElement("div");
    map.id = "plan-map";
    map.className = "map";
    planOut.append(s, map, table("plan-segments", ["#", "mem", "memsz", "bufsz", "role", "source"], result.plan.plan.segments.map((seg, i) => [String(i), `0x${seg.mem.toString(16)}`, `0x${seg.memsz.toString(16)}`, `0x${seg.bufsz.toString(16)}`, seg.role, seg.source])));
    placeSvg(map, result.plan.svg);
  }
  if (result.handoff && "error" in result.handoff) stateOut.append(errorBox("state-error", result.handoff.error));
  else if (result.handoff && "note" in result.handoff) stateOut.append(note(result.handoff.note));
  else if (result.handoff) {
    const a = result.handoff.artefact;
    stateOut.append(
      note(`${a.arch} ${a.protocol}: handoff's stub at 0x${a.stubEntry.toString(16)} runs the indirection list, sets every register below and enters 0x${a.entry.toString(16)}.`),
      scroll(table("registers", ["register", "width", "value", "provenance"], result.handoff.registers.map((r) => [r.name, String(r.width), r.value, r.provenance]))),
    );
    const map = document.createElement("div");
    map.id = "build-map";
    map.className = "map";
    stateOut.append(map);
    placeSvg(map, result.handoff.svg);
  }
}

function run(): void {
  const kernel = files.kernel;
  if (!kernel) {
    document.body.dataset.state = "ready"; // an initrd or DTB alone waits for its kernel
    return;
  }
  const archChoice = $<HTMLSelectElement>("arch").value;
  const protocol = $<HTMLSelectElement>("protocol").value;
  const started = droppedAt || performance.now();
  const result = explore(explorer, {
    kernel,
    ...(files.initrd ? { initrd: files.initrd } : {}),
    ...(files.dtb ? { dtb: files.dtb } : {}),
    ...(archChoice ? { arch: archChoice } : {}),
    ...(protocol ? { protocol } : {}),
    cmdline: $<HTMLInputElement>("cmdline").value,
    memory: $<HTMLInputElement>("memory").value,
  });
  render(result);
  const ms = performance.now() - started;
  droppedAt = 0;
  const timing = $("timing");
  timing.dataset.ms = ms.toFixed(1);
  timing.textContent = `${kernel.name} (${kernel.bytes.length} bytes): computed and drawn in ${ms.toFixed(1)} ms, in this browser`;
  document.body.dataset.state = "done";
}

async function take(kind: "kernel" | "initrd" | "dtb", file: File | undefined): Promise<void> {
  if (!file) return;
  document.body.dataset.state = "working";
  try {
    checkFileSize(file.name, kind, file.size);
  } catch (e) {
    $("inspect-out").replaceChildren(errorBox("inspect-error", errorLine(e)));
    document.body.dataset.state = "done";
    return;
  }
  if (kind === "kernel") {
    droppedAt = performance.now();
    // A new kernel picks its own arch unless the user chose one after dropping it.
    $<HTMLSelectElement>("arch").value = "";
    fillProtocols();
  }
  files[kind] = await read(file);
  $(`${kind}-name`).textContent = `${file.name} (${file.size} bytes)`;
  run();
}

function wire(): void {
  fillArchs();
  fillProtocols();
  for (const kind of ["kernel", "initrd", "dtb"] as const) {
    const input = $<HTMLInputElement>(`${kind}-file`);
    input.addEventListener("change", () => void take(kind, input.files?.[0]));
  }
  $("protocol").addEventListener("change", run);
  $("cmdline").addEventListener("change", run);
  $("memory").addEventListener("change", run);
  const zone = $("drop");
  zone.addEventListener("dragover", (e) => (e.preventDefault(), zone.classList.add("over")));
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    // First file dropped is the kernel; a second is the initrd; a file ending .dtb is the devicetree.
    const dropped = [...(e.dataTransfer?.files ?? [])];
    const dtb = dropped.find((f) => f.name.endsWith(".dtb"));
    const rest = dropped.filter((f) => f !== dtb);
    void (async () => {
      if (dtb) await take("dtb", dtb);
      if (rest[1]) await take("initrd", rest[1]);
      if (rest[0]) await take("kernel", rest[0]);
    })();
  });
  document.body.dataset.state = "ready";
}

wire();
