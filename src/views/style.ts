/**
 * The house style every Plot figure shares: chart text at 12 px on the chart and on its legends
 * (Plot draws 10 px unless told), and an aria-label saying what the figure shows.
 */
import * as Plot from "@observablehq/plot";

/** Chart text size, the house minimum (Plot's own default is 10 px). */
export const FONT_SIZE = "12px";

/** Bottom margin, px, that fits 12 px x tick labels and the x axis label under them (Plot: 30). */
const X_AXIS_MARGIN = 40;

const SVG_NS = "http://www.w3.org/2000/svg";

/** Scales whose `legend: true` makes Plot draw a legend, which takes its style from the scale. */
const LEGEND_SCALES = ["color", "symbol", "opacity"] as const;

/** Plot.plot options plus the figure's description, which every figure must have. */
export type HousePlotOptions = Plot.PlotOptions & { ariaLabel: string };

/**
 * `Plot.plot(options)` in the house style: text at {@link FONT_SIZE} on the chart and its
 * legends, and `ariaLabel` on the chart's <svg> and, when Plot wraps it with legends or a title,
 * on the wrapping <figure> too.
 *
 * @example
 *   housePlot({ariaLabel: "Variance explained by 4 principal components", marks: [Plot.barY(rows, {x: "pc", y: "share"})]});
 */
export function housePlot(options: HousePlotOptions): HTMLElement {
  const styled: Record<string, unknown> = {
    ...options,
    style: { fontSize: FONT_SIZE, ...(typeof options.style === "object" ? options.style : {}) },
  };
  // Plot's default bottom margin fits 10 px tick labels and the axis label below them; 12 px
  // ones need more room, or the two collide.
  if (options.marginBottom === undefined && options.margin === undefined)
    styled.marginBottom = X_AXIS_MARGIN;
  for (const key of LEGEND_SCALES) {
    const scale = options[key];
    // Plot hands a scale's options (style included) to the legend it draws for that scale.
    if (scale && typeof scale === "object" && "legend" in scale && scale.legend)
      styled[key] = { ...scale, style: { fontSize: FONT_SIZE } };
  }
  const element = ariaMarkGroups(Plot.plot(styled as Plot.PlotOptions) as unknown as HTMLElement);
  if (element.tagName.toLowerCase() !== "svg")
    element.setAttribute("aria-label", options.ariaLabel);
  return element;
}

/**
 * Plot names the <g> of every mark by its kind ("dot", "x-axis tick label") with an
 * `aria-label` (a mark of one shape, like a frame, names that shape), which ARIA does not allow
 * on an element without a role (axe-core: aria-prohibited-attr). A group that holds text (an
 * axis' labels, a legend, a tip, titled marks) becomes a named `role="group"`; bare shapes are
 * hidden from assistive technology, as Plot hides its ticks: they have nothing to read, and the
 * figure's own label says what they show. A shape with a label or title of its own (Plot's
 * `ariaLabel` or `title` channel) becomes `role="img"`. The names stay, as the hooks that tests
 * and styles select marks by. Returns `root`.
 */
export function ariaMarkGroups<E extends Element>(root: E): E {
  for (const el of Array.from(
    root.querySelectorAll("[aria-label]:not([role]):not([aria-hidden])"),
  )) {
    if (el.namespaceURI !== SVG_NS || el.localName === "svg" || el.closest("[aria-hidden=true]"))
      continue;
    if (el.localName === "g") {
      if (el.querySelector("text, title, [aria-label]")) el.setAttribute("role", "group");
      else el.setAttribute("aria-hidden", "true");
    } else if (el.querySelector("title") || el.parentElement?.localName !== "svg")
      el.setAttribute("role", "img");
    else el.setAttribute("aria-hidden", "true");
  }
  return root;
}

/** `Plot.legend` in the house style (text at {@link FONT_SIZE}), built in `document`. */
export function houseLegend(options: { color: Plot.ScaleOptions }, document: Document): Element {
  // Plot builds in `document` (jsdom in Node) though its legend types do not list it.
  return ariaMarkGroups(
    Plot.legend({
      ...options,
      style: { fontSize: FONT_SIZE },
      document,
    } as unknown as Plot.LegendOptions) as unknown as Element,
  );
}
