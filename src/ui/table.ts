/**
 * A table of numbers for a notebook: the same {columns, rows} a report prints, as an HTML table
 * that fits its column (headers wrap, numbers right-aligned in tabular figures), with a glossary
 * tooltip on every column header that names a term of art (hover, or keyboard focus), and
 * optional units after the headers. Every cell is text: nothing from the data becomes markup.
 *
 * @example
 *   display(atlas.dataTable(atlas.layerMetricsTable(result), {caption: "Metrics per layer (test split)"}));
 */
import type { ReportTable } from "../report/report.ts";
import { glossaryEntry } from "./glossary.ts";

export interface DataTableOptions {
  /** A caption above the table (also its accessible name). */
  caption?: string;
  /** Units appended to headers, by column: {"size": "MB"} → "size (MB)". */
  units?: Record<string, string>;
  /** Headers rewritten for people, by column (e.g. camelCase keys). */
  headers?: Record<string, string>;
  /** An extra class on the table (e.g. "atlas-doc-table" for prose columns). */
  className?: string;
  document?: Document;
}

let tipCount = 0;

/** A term with its definition: a tooltip on hover and on focus, and the description screen readers read. */
export function termWithTip(document: Document, text: string, definition: string): HTMLElement {
  const term = document.createElement("span");
  term.className = "atlas-term";
  term.textContent = text;
  term.tabIndex = 0;
  term.dataset.tip = definition;
  const tip = document.createElement("span");
  tip.className = "atlas-tip";
  tip.id = `atlas-tip-${++tipCount}`;
  tip.setAttribute("role", "tooltip");
  tip.textContent = definition;
  term.setAttribute("aria-describedby", tip.id);
  term.appendChild(tip);
  return term;
}

/** `text` with its glossary tooltip when it names a term of art, else plain text. */
export function glossaryTerm(text: string, document: Document = globalThis.document): Node {
  const entry = glossaryEntry(text);
  return entry ? termWithTip(document, text, entry.definition) : document.createTextNode(text);
}

export function dataTable(table: ReportTable, options: DataTableOptions = {}): HTMLElement {
  const document = options.document ?? globalThis.document;
  const wrap = document.createElement("div");
  wrap.className = "atlas-table-wrap";
  // On a narrow screen the table may scroll sideways: its box is then reachable by keyboard.
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", options.caption ? `table: ${options.caption}` : "table");
  const el = document.createElement("table");
  el.className = `atlas-table atlas-data-table${options.className ? ` ${options.className}` : ""}`;
  if (options.caption) {
    const caption = document.createElement("caption");
    caption.textContent = options.caption;
    el.appendChild(caption);
  }
  const numeric = table.columns.map(
    (_, c) =>
      table.rows.length > 0 &&
      table.rows.every(
        (r) =>
          r[c] === null ||
          typeof r[c] === "number" ||
          (typeof r[c] === "string" && /^[−-]?[\d.,]+(e[−+-]?\d+)?\s*%?$/i.test(r[c] as string)),
      ),
  );
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  table.columns.forEach((column, c) => {
    const th = document.createElement("th");
    th.scope = "col";
    if (numeric[c]) th.className = "atlas-num";
    const text =
      (options.headers?.[column] ?? column) +
      (options.units?.[column] ? ` (${options.units[column]})` : "");
    const entry = glossaryEntry(text);
    th.appendChild(
      entry ? termWithTip(document, text, entry.definition) : document.createTextNode(text),
    );
    headRow.appendChild(th);
  });
  head.appendChild(headRow);
  const body = document.createElement("tbody");
  for (const row of table.rows) {
    const tr = document.createElement("tr");
    row.forEach((value, c) => {
      const td = document.createElement(c === 0 ? "th" : "td");
      if (c === 0) (td as HTMLTableCellElement).scope = "row";
      if (numeric[c]) td.className = "atlas-num";
      if (value === null || value === undefined) td.textContent = "—";
      else if (typeof value === "object") {
        const img = document.createElement("img");
        img.src = value.image;
        img.alt = value.alt;
        img.className = "atlas-thumb";
        td.appendChild(img);
      } else td.textContent = typeof value === "number" ? formatCell(value) : value;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  el.append(head, body);
  wrap.appendChild(el);
  return wrap;
}

/** Numbers as the reports print them: integers whole, others to 4 significant digits. */
function formatCell(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return String(Number(value.toPrecision(4)));
}
