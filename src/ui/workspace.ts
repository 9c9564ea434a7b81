/**
 * The notebooks' workspace layout. On a wide screen the page becomes two columns: a side panel
 * (sticky, scrolls on its own) with the data picker, the settings, the progress bars and the
 * export button, and the notebook itself beside it — its lead (title and first lines), then its
 * main figure and the views linked to it side by side (`figure` | `linked`), then the rest.
 * Under 960 px it is one column: the lead, the panel, the notebook.
 *
 * Cells are Notebook Kit's `div#cell-N` elements; a cell is moved, never re-created, so the kit
 * keeps drawing into it. A cell goes to the panel when all it shows is controls (a dataset
 * picker, an analysis' controls, Inputs, a progress bar, the export button, the bundle summary),
 * so a notebook gets the layout by using the controls of src/ui alone: the picker sets it up.
 * `workspace({figure, linked})` adds the main-figure row at the top of the notebook column;
 * `lead` names the cells above it when the notebook's opening is longer than its first lines.
 *
 * @example
 *   atlas.workspace({figure: [11, 13], linked: [19, 18]});
 */

export interface WorkspaceSpec {
  /** Cells (by number) of the main figure, in order: the top of the notebook column. */
  figure?: number[];
  /** Cells of the views linked to the figure, beside it on wide screens. */
  linked?: number[];
  /** Cells that go to the side panel even if they show more than controls. */
  panel?: number[];
  /**
   * The notebook's lead, above the figure (default: every cell before the dataset picker). A
   * notebook whose opening is long names its first lines here; the rest follows the figure.
   */
  lead?: number[];
  document?: Document;
}

export interface Workspace {
  /** The side panel. */
  panel: HTMLElement;
  /** The figure column and the linked column (null without a `figure` row). */
  figure: HTMLElement | null;
  linked: HTMLElement | null;
}

/** What a cell may show and still count as "only controls". */
const CONTROL = [
  "form",
  ".atlas-picker",
  ".atlas-progress",
  ".atlas-export",
  ".atlas-auto-number",
  "[data-param]",
  "p.atlas-summary",
  "button",
].join(", ");

interface State {
  document: Document;
  panel: HTMLElement;
  /** The cells before the first control: the title and lead, above the panel on narrow screens. */
  lead: HTMLElement;
  main: HTMLElement;
  /** Original position of every cell, so the panel keeps the notebook's order. */
  order: Map<Element, number>;
  explicitPanel: Set<string>;
  /** The lead's cells when the notebook names them. */
  explicitLead: Set<string> | null;
  figure: HTMLElement | null;
  linked: HTMLElement | null;
}

const states = new WeakMap<Document, State>();

const cellId = (n: number) => `cell-${n}`;

function cellsOf(main: HTMLElement): HTMLElement[] {
  return Array.from(
    main.querySelectorAll<HTMLElement>(
      ":scope > .observablehq--cell, :scope > .atlas-focus .observablehq--cell",
    ),
  );
}

/** A cell whose every shown element is a control (and that shows something). */
function onlyControls(cell: Element): boolean {
  const children = Array.from(cell.children);
  return (
    children.length > 0 &&
    children.every(
      (child) => child.matches(CONTROL) || child.classList.contains("atlas-workspace-marker"),
    )
  );
}

function setUp(document: Document): State | null {
  const existing = states.get(document);
  if (existing) return existing;
  const main = document.querySelector("main");
  if (!main) return null;
  const lead = document.createElement("header");
  lead.className = "atlas-lead-area";
  const panel = document.createElement("aside");
  panel.className = "atlas-panel";
  panel.setAttribute("aria-label", "data and settings");
  main.parentNode!.insertBefore(lead, main);
  main.parentNode!.insertBefore(panel, main);
  document.body.classList.add("atlas-workspace");
  const order = new Map<Element, number>();
  cellsOf(main).forEach((cell, i) => order.set(cell, i));
  const state: State = {
    document,
    panel,
    lead,
    main,
    order,
    explicitPanel: new Set(),
    explicitLead: null,
    figure: null,
    linked: null,
  };
  states.set(document, state);
  // Cells fill in as the notebook runs: look again whenever one changes.
  new MutationObserver(() => arrange(state)).observe(main, { childList: true, subtree: true });
  arrange(state);
  return state;
}

/** Move every cell that belongs in the panel there, in the notebook's order; the lead above it. */
function arrange(state: State): void {
  const { panel, main, lead, order, explicitPanel } = state;
  for (const cell of [...cellsOf(main), ...Array.from(lead.children)]) {
    if (!(explicitPanel.has(cell.id) || onlyControls(cell))) continue;
    const position = order.get(cell) ?? Number.MAX_SAFE_INTEGER;
    const after =
      Array.from(panel.children).find(
        (c) => (order.get(c) ?? Number.MAX_SAFE_INTEGER) > position,
      ) ?? null;
    panel.insertBefore(cell, after);
  }
  if (state.explicitLead) {
    for (const id of state.explicitLead) {
      const cell = state.document.getElementById(id);
      if (cell && cell.parentElement !== lead) lead.appendChild(cell);
    }
    return;
  }
  // The cells before the dataset picker are the notebook's lead: its title and first lines.
  const picker = Array.from(panel.children).find((c) => c.querySelector(".atlas-picker"));
  if (!picker) return;
  const first = order.get(picker) ?? Number.MAX_SAFE_INTEGER;
  for (const cell of Array.from(main.querySelectorAll(":scope > .observablehq--cell")))
    if ((order.get(cell) ?? Number.MAX_SAFE_INTEGER) < first) lead.appendChild(cell);
}

/**
 * Set up the workspace now (idempotent). Called by the dataset picker once it is on the page,
 * so every notebook with a picker gets the layout; call `workspace` for the figure row.
 */
export function ensureWorkspace(document: Document = globalThis.document): void {
  if (document) setUp(document);
}

/** Lay the notebook out as a workspace, with `figure` and `linked` cells side by side at the top. */
export function workspace(spec: WorkspaceSpec = {}): Workspace {
  const document = spec.document ?? globalThis.document;
  const state = setUp(document);
  if (!state) throw new Error("workspace: the page has no <main>");
  for (const n of spec.panel ?? []) state.explicitPanel.add(cellId(n));
  if (spec.lead) {
    state.explicitLead = new Set(spec.lead.map(cellId));
    // Cells that were the lead by position go back to the notebook, in their order.
    for (const cell of Array.from(state.lead.children)) {
      if (state.explicitLead.has(cell.id)) continue;
      const after =
        Array.from(state.main.querySelectorAll(":scope > .observablehq--cell")).find(
          (c) => (state.order.get(c) ?? 0) > (state.order.get(cell) ?? 0),
        ) ?? null;
      state.main.insertBefore(cell, after);
    }
  }
  if ((spec.figure?.length || spec.linked?.length) && !state.figure) {
    const focus = document.createElement("div");
    focus.className = "atlas-focus";
    const figure = document.createElement("div");
    figure.className = "atlas-figure";
    const linked = document.createElement("div");
    linked.className = "atlas-linked";
    focus.append(figure, linked);
    // The figure row opens the notebook column: the cells before it in the notebook are its lead
    // (above), its controls (in the panel), or show nothing.
    state.main.insertBefore(focus, state.main.firstChild);
    for (const [column, numbers] of [
      [figure, spec.figure ?? []],
      [linked, spec.linked ?? []],
    ] as const) {
      for (const n of numbers) {
        const cell = document.getElementById(cellId(n));
        if (cell) column.appendChild(cell);
      }
    }
    if (!spec.linked?.length) focus.classList.add("atlas-focus-single");
    state.figure = figure;
    state.linked = linked;
  }
  arrange(state);
  return { panel: state.panel, figure: state.figure, linked: state.linked };
}
