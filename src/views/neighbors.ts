/**
 * Table of a sample's nearest neighbours in the original space: rank, sample, what it is,
 * distance, and the input's thumbnail when the bundle has images.
 */
import type { ExploreNeighbors } from "../analyses/explore.ts";
import { formatNumber } from "../analyses/columns.ts";
import { withDefaults } from "./options.ts";
import { count } from "./text.ts";

export interface NeighborTableOptions {
  /** Text describing sample i (e.g. "#12 · label 3"). Required. */
  describe: (i: number) => string;
  /** Thumbnail URL of sample i, or null for none. Defaults to null (no thumbnail column). */
  thumbnail?: ((i: number) => string) | null;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

/** Every optional option's default. */
export const defaults = {
  /** No thumbnail column. */
  thumbnail: null as ((i: number) => string) | null,
};

/**
 * The query sample and its k nearest neighbours, one row each; the caption (also the table's
 * aria-label) says whose neighbours and by which distance.
 *
 * @example
 *   neighborTable(result.neighbors, {describe: (i) => describeSample(bundle, i), thumbnail: thumbs?.url});
 */
export function neighborTable(
  neighbors: ExploreNeighbors,
  options: NeighborTableOptions,
): HTMLTableElement {
  const o = withDefaults(defaults, options);
  const document = options.document ?? globalThis.document;
  const table = document.createElement("table");
  table.className = "atlas-table atlas-neighbors";
  const caption = document.createElement("caption");
  caption.textContent = `${count(neighbors.k, "nearest neighbour")} of ${o.describe(neighbors.point)} (${neighbors.metric} distance in the layer's space)`;
  table.setAttribute("aria-label", caption.textContent);
  table.appendChild(caption);
  const head = table
    .appendChild(document.createElement("thead"))
    .appendChild(document.createElement("tr"));
  const columns = ["rank", "sample", `${neighbors.metric} distance`];
  if (o.thumbnail) columns.push("input");
  for (const name of columns) head.appendChild(document.createElement("th")).textContent = name;
  const body = table.appendChild(document.createElement("tbody"));
  const addRow = (rank: string, i: number, distance: string) => {
    const tr = body.appendChild(document.createElement("tr"));
    tr.dataset.sample = String(i);
    tr.appendChild(document.createElement("td")).textContent = rank;
    tr.appendChild(document.createElement("td")).textContent = o.describe(i);
    const d = tr.appendChild(document.createElement("td"));
    d.textContent = distance;
    d.style.textAlign = "right";
    if (o.thumbnail) {
      const img = document.createElement("img");
      img.src = o.thumbnail(i);
      img.width = 32;
      img.height = 32;
      img.alt = `input ${i}`;
      img.style.imageRendering = "pixelated";
      tr.appendChild(document.createElement("td")).appendChild(img);
    }
  };
  addRow("query", neighbors.point, "0");
  for (let j = 0; j < neighbors.k; j++) {
    addRow(String(j + 1), neighbors.indices[j], formatNumber(neighbors.distances[j]));
  }
  return table;
}
