/**
 * Accessibility the notebooks add around the views: a text alternative for a figure, keyboard
 * selection of a Mapper graph's nodes, and hover linked across several scatters.
 */

/**
 * Give a figure its text alternative: `aria-label` saying what it shows (an SVG becomes
 * role "img"; a figure element keeps its role). Returns the element.
 *
 * @example
 *   display(atlas.described(atlas.varianceChart(ratios), "Bar chart: share of variance per principal component"));
 */
export function described<E extends Element>(element: E, label: string): E {
  const isSvg = element.namespaceURI === "http://www.w3.org/2000/svg";
  if (isSvg) element.setAttribute("role", "img");
  else if (element.localName !== "figure") element.setAttribute("role", "figure");
  element.setAttribute("aria-label", label);
  // Plot's inner SVG of a figure with a legend repeats what the figure says.
  if (!isSvg)
    for (const svg of Array.from(element.querySelectorAll(":scope > svg")))
      if (!svg.getAttribute("aria-label")) svg.setAttribute("aria-hidden", "true");
  return element;
}

type NodeGraph = HTMLElement & { value: number | null };

/**
 * Make a Mapper graph's nodes reachable by keyboard: each node is a button in the tab order
 * (named by `describe(i)`, pressed when selected); Enter or Space selects it as a click does,
 * and arrow keys move to the nearest node in that direction.
 */
export function keyboardNodes(graph: NodeGraph, describe: (node: number) => string): NodeGraph {
  const nodes = Array.from(graph.querySelectorAll<SVGGElement>("g[data-node]"));
  const centre = (g: SVGGElement) => {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(g.getAttribute("transform") ?? "");
    return m ? { x: Number(m[1]), y: Number(m[2]) } : { x: 0, y: 0 };
  };
  const sync = () => {
    for (const g of nodes)
      g.setAttribute("aria-pressed", String(graph.value === Number(g.dataset.node)));
  };
  for (const g of nodes) {
    const i = Number(g.dataset.node);
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", `node ${describe(i)}`);
    g.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        g.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      } else if (event.key.startsWith("Arrow")) {
        event.preventDefault();
        const from = centre(g);
        const [dx, dy] = {
          ArrowRight: [1, 0],
          ArrowLeft: [-1, 0],
          ArrowUp: [0, -1],
          ArrowDown: [0, 1],
        }[event.key] ?? [0, 0];
        let best: SVGGElement | null = null;
        let bestDistance = Infinity;
        for (const other of nodes) {
          if (other === g) continue;
          const to = centre(other);
          const along = (to.x - from.x) * dx + (to.y - from.y) * dy;
          const across = Math.abs((to.x - from.x) * dy - (to.y - from.y) * dx);
          // Within 45° of the direction, nearest first.
          if (along <= 0 || across > along) continue;
          const distance = Math.hypot(to.x - from.x, to.y - from.y);
          if (distance < bestDistance) [best, bestDistance] = [other, distance];
        }
        (best as SVGGElement | null)?.focus();
      }
    });
  }
  graph.addEventListener("input", sync);
  sync();
  // The drawing that holds the nodes (a legend's <svg> may come before it).
  const svg = nodes[0]?.ownerSVGElement ?? graph.querySelector("svg:has(g[data-node])");
  if (svg) {
    // An image's parts are not for interaction; a group's buttons are.
    svg.setAttribute("role", "group");
    svg.setAttribute(
      "aria-label",
      `${svg.getAttribute("aria-label") ?? "Mapper graph"}. Tab to a node, arrow keys move between nodes, Enter selects.`,
    );
  }
  return graph;
}

type Highlightable = Element & { highlight(indices: ArrayLike<number>): void };

/**
 * Link hover across scatters of the same points (e.g. MDA's layouts): the point under the
 * pointer in one is ringed in all the others. `sampleAt(scatter, event)` is the sample under
 * the pointer (the scatter's `pick`), or null.
 */
export function linkHover<
  S extends Highlightable & { pick(px: number, py: number): number | null },
>(scatters: S[]): S[] {
  for (const scatter of scatters) {
    const area = scatter.querySelector<HTMLElement>(".atlas-plot-area");
    if (!area) continue;
    area.addEventListener("pointermove", (event) => {
      const rect = area.getBoundingClientRect();
      const scale = area.offsetWidth > 0 ? area.offsetWidth / rect.width : 1;
      const i = scatter.pick(
        (event.clientX - rect.left) * scale,
        (event.clientY - rect.top) * scale,
      );
      for (const other of scatters) if (other !== scatter) other.highlight(i === null ? [] : [i]);
    });
    area.addEventListener("pointerleave", () => {
      for (const other of scatters) if (other !== scatter) other.highlight([]);
    });
  }
  return scatters;
}
