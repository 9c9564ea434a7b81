import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as run } from "../support/cli.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { mulberry32 } from "../helpers.ts";

/** Two blobs in 3-D (rows 0–99 and 100–199) and a far outlier (row 200). */
function blobsWithOutlier(dir: string) {
  const random = mulberry32(5);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const data = new Float32Array(201 * 3);
  for (let i = 0; i < 200; i++)
    for (let j = 0; j < 3; j++)
      data[i * 3 + j] = (j === 0 ? (i < 100 ? -4 : 4) : 0) + 0.3 * normal();
  data.set([0, 40, 0], 600);
  writeFileSync(join(dir, "x.npy"), writeNpy({ shape: [201, 3], data }));
  writeFileSync(
    join(dir, "l.npy"),
    writeNpy({ shape: [201], data: Int32Array.from({ length: 201 }, (_, i) => (i < 100 ? 0 : 1)) }),
  );
  const lens = Float32Array.from({ length: 201 }, (_, i) => data[i * 3]);
  writeFileSync(join(dir, "lens.npy"), writeNpy({ shape: [201, 1], data: lens }));
}

describe("hidden-atlas mapper", () => {
  it("prints nodes with members, [a, b, jaccard] links, the lost rows and purity, in the documented format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-mapper-"));
    blobsWithOutlier(dir);
    const { code, stdout } = await run(
      "mapper",
      join(dir, "x.npy"),
      "--labels",
      join(dir, "l.npy"),
      "--intervals",
      "6",
      "--overlap",
      "0.3",
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.components).toBe(2);
    expect(out.lost).toBe(out.lostMembers.length);
    expect(out.lostMembers).toContain(200);
    for (const node of out.nodes) {
      expect(node).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(/^e\d+c\d+$/),
          size: node.members.length,
        }),
      );
      expect(new Set(node.members.map((r: number) => (r < 100 ? 0 : 1))).size).toBe(1);
      expect(node.labelCounts).toHaveLength(2);
    }
    for (const link of out.links) {
      expect(link).toHaveLength(3);
      const [a, b, w] = link;
      const A = new Set(out.nodes[a].members);
      const shared = out.nodes[b].members.filter((r: number) => A.has(r)).length;
      expect(w).toBeCloseTo(shared / (A.size + out.nodes[b].members.length - shared), 12);
    }
    expect(out.purity.meanInverseClasses).toBe(1);
    const covered = new Set(out.nodes.flatMap((n: { members: number[] }) => n.members));
    expect(covered.size + out.lost).toBe(201);
  });

  it("takes a lens from a file, a fixed eps and CSV output; rejects bad options", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-mapper-"));
    blobsWithOutlier(dir);
    const csv = await run(
      "mapper",
      join(dir, "x.npy"),
      "--lens",
      `column:${join(dir, "lens.npy")}`,
      "--eps",
      "1.5",
      "--format",
      "csv",
    );
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("node,row");
    expect(lines.length).toBeGreaterThan(200);
    expect((await run("mapper", join(dir, "x.npy"), "--eps", "-2")).code).toBe(2);
    expect((await run("mapper", join(dir, "x.npy"), "--lens", "bogus")).code).toBe(2);
    writeFileSync(join(dir, "short.npy"), writeNpy({ shape: [3], data: Float32Array.of(1, 2, 3) }));
    const bad = await run(
      "mapper",
      join(dir, "x.npy"),
      "--lens",
      `column:${join(dir, "short.npy")}`,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/201 rows/);
  });

  it("--neighbors approximate finds the lists by seeded NN-descent and says so, with the same graph", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-mapper-"));
    blobsWithOutlier(dir);
    const exact = JSON.parse(
      (await run("mapper", join(dir, "x.npy"), "--intervals", "6", "--overlap", "0.3")).stdout,
    );
    expect(exact.neighbors).toEqual({
      method: "exact",
      k: 32,
      recall: 1,
      recallRows: 0,
      rounds: 0,
      capped: false,
      beyondCap: expect.any(Number),
    });
    const approx = await run(
      "mapper",
      join(dir, "x.npy"),
      "--intervals",
      "6",
      "--overlap",
      "0.3",
      "--neighbors",
      "approximate",
      "--seed",
      "3",
    );
    expect(approx.code).toBe(0);
    const out = JSON.parse(approx.stdout);
    expect(out.neighbors).toMatchObject({
      method: "nn-descent",
      k: 32,
      recall: 1,
      recallRows: 201,
    });
    expect(out.neighbors.rounds).toBeGreaterThan(0);
    // 201 rows: every ε-ball that matters holds fewer than 32 others, so the graph is the exact one.
    expect(out.nodes.map((n: { members: number[] }) => n.members)).toEqual(
      exact.nodes.map((n: { members: number[] }) => n.members),
    );
    expect(out.lostMembers).toEqual(exact.lostMembers);
    const again = JSON.parse(
      (
        await run(
          "mapper",
          join(dir, "x.npy"),
          "--intervals",
          "6",
          "--overlap",
          "0.3",
          "--neighbors",
          "approximate",
          "--seed",
          "3",
        )
      ).stdout,
    );
    expect(again).toEqual(out);
    expect((await run("mapper", join(dir, "x.npy"), "--neighbors", "fast")).code).toBe(2);
  });

  it("report mapper writes the purity-by-layer chart and the chosen layer's graph", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "atlas-mapper-")), "m.html");
    const bundle = new URL("../../data/examples/digits-cnn.zip", import.meta.url).pathname;
    const { code } = await run(
      "report",
      "mapper",
      "--bundle",
      bundle,
      "--set",
      "layer=gap",
      "--set",
      "overlap=0.4",
      "--out",
      out,
    );
    expect(code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("Purity across layers");
    expect(html).toContain("Mapper graph of gap");
    expect(html).toMatch(/aria-label="Mapper graph: \d+ nodes, \d+ edges"/);
    expect(html).toContain("<th>overlap</th><td>0.4</td>");
    expect(html).toContain("<th>neighbours</th>");
    expect(html).toMatch(/<td>exact<\/td>/);
  });

  it("report mapper with neighbors=approximate names NN-descent and its recall in the layer table", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "atlas-mapper-")), "m.html");
    const bundle = new URL("../../data/examples/fashion-cnn.zip", import.meta.url).pathname;
    const { code } = await run(
      "report",
      "mapper",
      "--bundle",
      bundle,
      "--set",
      "neighbors=approximate",
      "--set",
      "layers=gap,logits",
      "--out",
      out,
    );
    expect(code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("<th>neighbors</th><td>approximate</td>");
    expect(html.match(/NN-descent \(recall (0\.\d+|1) on 256 rows\)/g)?.length).toBe(2);
    for (const [, recall] of html.matchAll(/NN-descent \(recall (0\.\d+|1) on 256 rows\)/g))
      expect(Number(recall)).toBeGreaterThanOrEqual(0.99);
  });
});
