import { XMLParser, XMLValidator } from "fast-xml-parser";

/** One element of a parsed SVG: its tag, attributes, and the text of all its descendants. */
export interface SvgElement {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly SvgElement[];
}

type Node = Record<string, unknown>;

function toElement(node: Node): SvgElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ":@");
  if (tag === undefined || tag === "#text") return undefined;
  const attrs = (node[":@"] ?? {}) as Record<string, string>;
  const raw = node[tag] as Node[];
  const children = raw.map(toElement).filter((e): e is SvgElement => e !== undefined);
  const ownText = raw.filter((n) => "#text" in n).map((n) => String(n["#text"])).join("");
  return { tag, attrs, text: ownText + children.map((c) => c.text).join(""), children };
}

/**
 * Parse an SVG document (failing on anything not well-formed XML) into its
 * root element, so tests read the picture as data: classes, data-* attributes, text.
 */
export function readSvg(svg: string): SvgElement {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true, processEntities: true, htmlEntities: false }).parse(svg) as Node[];
  const root = doc.map(toElement).find((e) => e?.tag === "svg");
  if (!root) throw new Error("no <svg> root element");
  return root;
}

/** Every descendant (depth-first) whose class list contains `cls`. */
export function byClass(root: SvgElement, cls: string): SvgElement[] {
  const out: SvgElement[] = [];
  const walk = (e: SvgElement) => {
    if ((e.attrs.class ?? "").split(/\s+/).includes(cls)) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** Every descendant with tag `tag`. */
export function byTag(root: SvgElement, tag: string): SvgElement[] {
  const out: SvgElement[] = [];
  const walk = (e: SvgElement) => {
    if (e.tag === tag) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
