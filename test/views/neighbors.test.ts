// neighborTable: snapshot of the table of a sample's nearest neighbours, its defaults, its
// description, and names from the data kept as text.
import { describe, expect, it } from "vitest";
import { reportDocument } from "../../src/report/dom.ts";
import { defaults, neighborTable } from "../../src/views/neighbors.ts";
import { expectSnapshot } from "../support/snapshot.ts";

const neighbors = {
  point: 7,
  k: 3,
  metric: "euclidean" as const,
  indices: Int32Array.from([2, 9, 4]),
  distances: Float32Array.from([0.5, 1.25, 2.123456]),
};
const describe_ = (i: number) => `#${i} · label ${i % 2 ? "<b>odd</b>" : "even"}`;

describe("neighborTable", () => {
  it("lists the query and its neighbours, nearest first, with thumbnails (snapshot)", () => {
    const table = neighborTable(neighbors, {
      describe: describe_,
      thumbnail: (i) => `data:image/png;base64,AAAA${i}`,
      document: reportDocument(),
    });
    expectSnapshot("neighbor-table", table);
    expect(table.getAttribute("aria-label")).toBe(
      "3 nearest neighbours of #7 · label <b>odd</b> (euclidean distance in the layer's space)",
    );
    expect(table.querySelector("caption")!.textContent).toBe(table.getAttribute("aria-label"));
    expect(
      Array.from(table.querySelectorAll("tbody tr"), (tr) => tr.getAttribute("data-sample")),
    ).toEqual(["7", "2", "9", "4"]);
    expect(
      Array.from(table.querySelectorAll("tbody td:nth-child(3)"), (td) => td.textContent),
    ).toEqual(["0", "0.5", "1.25", "2.123"]);
    expect(table.querySelector("b")).toBeNull();
  });

  it("has no thumbnail column by default, and says 1 nearest neighbour", () => {
    expect(defaults).toEqual({ thumbnail: null });
    const table = neighborTable(
      { ...neighbors, k: 1 },
      { describe: describe_, document: reportDocument() },
    );
    expect(Array.from(table.querySelectorAll("th"), (th) => th.textContent)).toEqual([
      "rank",
      "sample",
      "euclidean distance",
    ]);
    expect(table.querySelector("img")).toBeNull();
    expect(table.getAttribute("aria-label")).toMatch(/^1 nearest neighbour of #7/);
  });
});
