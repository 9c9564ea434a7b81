/**
 * Static reports: one self-contained HTML file with the figures (inline SVG), the parameter
 * values, the data's name and SHA-256, the version, seed and date, and the numbers in tables.
 * It opens from file:// with no network: no scripts, no external resources, and a
 * Content-Security-Policy that forbids both. Every string from the user or the data is
 * escaped; figures are serialised from DOM nodes, whose text the serialiser escapes.
 */
import { escapeHtml } from "./html.ts";

/** What every report builder is told besides the result. */
export interface ReportContext {
  /** SHA-256 of the bundle (see io/digest.ts). */
  sha256: string;
  /** ISO date-time; defaults to now. */
  date?: string;
  document?: Document;
}

export interface ReportTable {
  columns: string[];
  /** Cells: text/number, null (shown as "—"), or an image (a data: URL). */
  rows: (string | number | null | { image: string; alt: string })[][];
}

export interface ReportSection {
  title: string;
  /** Plain text; blank lines separate paragraphs. */
  text?: string;
  /** A figure built by src/views (serialised with outerHTML). */
  figure?: Element;
  table?: ReportTable;
}

export interface ReportSpec {
  /** Notebook the report comes from, e.g. "explore". */
  notebook: string;
  title: string;
  /** What the analysis asks and how to read the figures (plain text). */
  description?: string;
  dataset: { name: string; sha256: string; samples: number; task?: string };
  parameters: Record<string, string | number | boolean | null>;
  seed: number;
  version: string;
  /** ISO 8601 date-time of creation. */
  date: string;
  sections: ReportSection[];
}

const STYLE = `
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1e23; max-width: 960px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e3e3e3; padding-bottom: .2rem; }
.meta { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: .5rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e8e8e8; padding: 3px 10px 3px 0; text-align: left; vertical-align: middle; }
th { font-weight: 600; }
caption { text-align: left; color: #555; padding-bottom: .3rem; }
code { font-size: 12px; word-break: break-all; }
figure { margin: .5rem 0; }
img.thumb { image-rendering: pixelated; width: 32px; height: 32px; }
footer { margin-top: 3rem; color: #777; font-size: 12px; }
`;

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${escapeHtml(p.trim())}</p>`)
    .join("\n");
}

function cell(value: ReportTable["rows"][number][number]): string {
  if (value === null || value === undefined) return "<td>—</td>";
  if (typeof value === "object") {
    const safeUrl = /^data:image\/(png|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(value.image)
      ? value.image
      : "";
    return `<td><img class="thumb" src="${escapeHtml(safeUrl)}" alt="${escapeHtml(value.alt)}"></td>`;
  }
  return `<td>${escapeHtml(value)}</td>`;
}

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows.map((row) => `<tr>${row.map(cell).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Remove anything executable or remote from serialised figure markup (defence in depth). */
function sanitizeFigure(element: Element): string {
  const clone = element.cloneNode(true) as Element;
  for (const el of Array.from(
    clone.querySelectorAll("script, foreignObject, iframe, object, embed"),
  ))
    el.remove();
  for (const el of [clone, ...Array.from(clone.querySelectorAll("*"))]) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith("on")) el.removeAttribute(attr.name);
      else if (
        (name === "href" || name === "xlink:href" || name === "src") &&
        !value.startsWith("data:image/") &&
        !value.startsWith("#")
      ) {
        el.removeAttribute(attr.name);
      }
    }
  }
  return serialize(clone);
}

/** HTML elements that have no end tag. */
const VOID_ELEMENTS = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
]);
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/**
 * The markup of `node` with every attribute value and text escaped for HTML, `<` and `>`
 * included: outerHTML leaves them raw inside attribute values (inert there, but a data string
 * such as a layer name in an aria-label would then read as markup to anything that scans the
 * file). Style text stays as it is (it is the figure's own CSS); comments are dropped.
 */
function serialize(node: Node): string {
  if (node.nodeType === TEXT_NODE) {
    return node.parentNode?.nodeName.toLowerCase() === "style"
      ? (node.nodeValue ?? "")
      : escapeHtml(node.nodeValue ?? "");
  }
  if (node.nodeType !== ELEMENT_NODE) return "";
  const el = node as Element;
  const name = el.localName;
  const attributes = Array.from(el.attributes, (a) => ` ${a.name}="${escapeHtml(a.value)}"`).join(
    "",
  );
  if (VOID_ELEMENTS.has(name) && el.namespaceURI === "http://www.w3.org/1999/xhtml")
    return `<${name}${attributes}>`;
  return `<${name}${attributes}>${Array.from(el.childNodes, serialize).join("")}</${name}>`;
}

/**
 * Observable Plot numbers the ids of its markers, clip paths and patterns from a counter that
 * lives as long as the process, so a second report in one process would get other ids: number
 * them again from 1 in order of appearance in the document (`ids`, shared by its figures: the
 * id and every reference to it), so the same input gives the same bytes.
 */
function renumberPlotIds(html: string, ids: Map<string, string>): string {
  const renamed = (id: string) => {
    let next = ids.get(id);
    if (next === undefined) ids.set(id, (next = `${id.replace(/\d+$/, "")}${ids.size + 1}`));
    return next;
  };
  return html.replace(
    /(id="|url\(#|href="#)(plot-[a-z]+-\d+)(?=[")])/g,
    (_, lead: string, id: string) => lead + renamed(id),
  );
}

/** The report as one HTML document (a string). */
export function renderReport(spec: ReportSpec): string {
  const parameterRows = Object.entries(spec.parameters)
    .map(
      ([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v === null ? "—" : v)}</td></tr>`,
    )
    .join("\n");
  const plotIds = new Map<string, string>();
  const sections = spec.sections
    .map((s) => {
      const parts = [`<h2>${escapeHtml(s.title)}</h2>`];
      if (s.text) parts.push(paragraphs(s.text));
      if (s.figure)
        parts.push(`<figure>${renumberPlotIds(sanitizeFigure(s.figure), plotIds)}</figure>`);
      if (s.table) parts.push(table(s.table));
      return `<section>\n${parts.join("\n")}\n</section>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Hidden Atlas ${escapeHtml(spec.version)}">
<title>${escapeHtml(spec.title)} — ${escapeHtml(spec.dataset.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(spec.title)}</h1>
<div class="meta">Notebook <b>${escapeHtml(spec.notebook)}</b> · data <b>${escapeHtml(spec.dataset.name)}</b> (${escapeHtml(spec.dataset.samples)} samples${spec.dataset.task ? `, ${escapeHtml(spec.dataset.task)}` : ""}) · Hidden Atlas ${escapeHtml(spec.version)} · seed ${escapeHtml(spec.seed)} · ${escapeHtml(spec.date)}</div>
</header>
${spec.description ? `<section>${paragraphs(spec.description)}</section>` : ""}
<section>
<h2>Data and parameters</h2>
<table class="parameters"><tbody>
<tr><th>dataset</th><td>${escapeHtml(spec.dataset.name)}</td></tr>
<tr><th>sha256</th><td><code>${escapeHtml(spec.dataset.sha256)}</code></td></tr>
<tr><th>samples</th><td>${escapeHtml(spec.dataset.samples)}</td></tr>
${parameterRows}
<tr><th>seed</th><td>${escapeHtml(spec.seed)}</td></tr>
<tr><th>version</th><td>${escapeHtml(spec.version)}</td></tr>
<tr><th>date</th><td>${escapeHtml(spec.date)}</td></tr>
</tbody></table>
</section>
${sections}
<footer>Made with Hidden Atlas ${escapeHtml(spec.version)}. The dataset hash is the SHA-256 of the bundle's file listing (one "sha256  path" line per file, sorted by path), as <code>sha256sum FILES | sort -k2 | sha256sum</code> prints it.</footer>
</body>
</html>
`;
}
