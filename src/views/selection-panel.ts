/**
 * The panel under a scatter that lists a lasso's selection: the count, the first rows, and
 * buttons that export every selected row as CSV or JSON (written when pressed, so a selection of
 * a million rows costs nothing until it is exported) and clear it. Cell text comes from data
 * (class names) and is set as text, never as markup.
 */
import { downloadButton } from "./download.ts";
import { formatCoordinate } from "./point-colors.ts";

/** Rows of the selection shown in the panel (all are exported). */
const PANEL_ROWS = 10;
const FONT = "12px var(--sans-serif, system-ui)";

export type ExportColumns = Record<string, (i: number) => string | number>;

export interface SelectionPanelOptions {
  document: Document;
  /** Exported columns by name, for sample i (the panel shows them too). */
  columns: ExportColumns;
  /** File name of the exports, without extension. */
  exportName: string;
  /** Called when "Clear selection" is pressed. */
  onClear: () => void;
}

export function selectionPanel(options: SelectionPanelOptions): {
  element: HTMLElement;
  show(samples: Int32Array): void;
} {
  const { document, columns, exportName } = options;
  const panel = document.createElement("div");
  panel.className = "atlas-selection";
  panel.dataset.testid = "selection";
  Object.assign(panel.style, { display: "none", font: FONT, margin: "4px 0" });
  // Object URLs of past exports, revoked when the selection changes.
  let links: HTMLAnchorElement[] = [];
  const text = (tag: string, value: string) => {
    const el = document.createElement(tag);
    el.textContent = value;
    return el;
  };
  const show = (chosen: Int32Array) => {
    for (const a of links) URL.revokeObjectURL(a.href);
    links = [];
    panel.replaceChildren();
    if (chosen.length === 0) {
      panel.style.display = "none";
      return;
    }
    panel.style.display = "block";
    const head = text(
      "p",
      `${chosen.length.toLocaleString("en-US")} point${chosen.length === 1 ? "" : "s"} selected`,
    );
    head.className = "atlas-selection-count";
    head.style.margin = "2px 0";
    panel.appendChild(head);
    const table = document.createElement("table");
    table.className = "atlas-selection-rows";
    const headRow = document.createElement("tr");
    for (const name of Object.keys(columns)) headRow.appendChild(text("th", name));
    table.createTHead().appendChild(headRow);
    const body = table.createTBody();
    for (const i of chosen.subarray(0, PANEL_ROWS)) {
      const tr = document.createElement("tr");
      for (const get of Object.values(columns)) {
        // The panel rounds coordinates for reading; the exports keep every digit.
        const v = get(i);
        tr.appendChild(
          text(
            "td",
            typeof v === "number" && !Number.isInteger(v) ? formatCoordinate(v) : String(v),
          ),
        );
      }
      body.appendChild(tr);
    }
    panel.appendChild(table);
    if (chosen.length > PANEL_ROWS)
      panel.appendChild(
        text(
          "p",
          `… and ${(chosen.length - PANEL_ROWS).toLocaleString("en-US")} more (all in the export).`,
        ),
      );
    const actions = document.createElement("div");
    Object.assign(actions.style, { display: "flex", gap: "10px", alignItems: "center" });
    const exporter = (label: string, filename: string, type: string, write: () => string) =>
      downloadButton(label, filename, type, write, {
        container: panel,
        document,
        onLink: (a) => links.push(a),
      });
    const clear = document.createElement("button");
    clear.type = "button";
    clear.textContent = "Clear selection";
    clear.addEventListener("click", options.onClear);
    actions.append(
      exporter("Export CSV", `${exportName}.csv`, "text/csv", () => selectionCsv(chosen, columns)),
      exporter("Export JSON", `${exportName}.json`, "application/json", () =>
        selectionJson(chosen, columns),
      ),
      clear,
    );
    panel.appendChild(actions);
  };
  return { element: panel, show };
}

/** RFC 4180 CSV of the selected rows (fields with a comma, quote or line break are quoted). */
export function selectionCsv(
  samples: ArrayLike<number>,
  columns: Record<string, (i: number) => string | number>,
): string {
  const field = (v: string | number) => {
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const getters = Object.values(columns);
  const lines = [Object.keys(columns).map(field).join(",")];
  for (let k = 0; k < samples.length; k++)
    lines.push(getters.map((get) => field(get(samples[k]))).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** JSON array of the selected rows, one object per sample with the export columns as keys. */
export function selectionJson(
  samples: ArrayLike<number>,
  columns: Record<string, (i: number) => string | number>,
): string {
  const entries = Object.entries(columns);
  const rows = Array.from(samples, (i) =>
    Object.fromEntries(entries.map(([name, get]) => [name, get(i)])),
  );
  return JSON.stringify(
    rows,
    (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    0,
  );
}
