/**
 * Table of a sample's nearest neighbours in the original space: rank, sample, what it is,
 * distance, and the input's thumbnail when the bundle has images.
 */
import type { ExploreNeighbors } from "../analyses/explore.ts";
import { formatNumber } from "../analyses/columns.ts";

export interface NeighborTableOptions {
  /** Text describing sample i (e.g. "#12 · label 3"). */
  describe: (i: number) => string;
  /** Thumbnail URL of sample i, or null for none. */
  thumbnail?: ((i: number) => string) | null;
  document?: Document;
}

export function neighborTable(neighbors: ExploreNeighbors, options: NeighborTableOptions): HTMLTableElement {
  const document = options.document ?? globalThis.document;
  const table = document.createElement("table");
  table.className = "atlas-table atlas-neighbors";
  const caption = document.createElement("caption");
  caption.textContent = `${neighbors.k} nearest neighbours of ${options.describe(neighbors.point)} (${neighbors.metric} distance in the layer's space)`;
  table.appendChild(caption);
  const head = table.appendChild(document.createElement("thead")).appendChild(document.createElement("tr"));
  const columns = ["rank", "sample", `${neighbors.metric} distance`];
  if (options.thumbnail) columns.push("input");
  for (const name of columns) head.appendChild(document.createElement("th")).textContent = name;
  const body = table.appendChild(document.createElement("tbody"));
  const addRow = (rank: string, i: number, distance: string) => {
    const tr = body.appendChild(document.createElement("tr"));
    tr.dataset.sample = String(i);
    tr.appendChild(document.createElement("td")).textContent = rank;
    tr.appendChild(document.createElement("td")).textContent = options.describe(i);
    const d = tr.appendChild(document.createElement("td"));
    d.textContent = distance;
    d.style.textAlign = "right";
    if (options.thumbnail) {
      const img = document.createElement("img");
      img.src = options.thumbnail(i);
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
