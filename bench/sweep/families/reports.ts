/**
 * `report` and `run` for every notebook on tiny, degenerate and hostile bundles. A report must
 * be one HTML file that shows every data string as text (no markup from a bundle survives),
 * loads nothing from off the machine, and prints no NaN, undefined or [object …]; `run` must
 * print well-formed tables. A bundle a notebook cannot use must be refused with a coded error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { zipBundle } from "../../../src/io/bundle-write.ts";
import { writeNpz } from "../../../src/io/npz.ts";
import { ANALYSIS_NAMES } from "../../../src/analyses/registry.ts";
import { gaussian, write } from "../data.ts";
import type { Case, Check } from "../types.ts";
import { tinyBundle, tinyInput, type TinyOptions } from "./bundles.ts";
import { runTablesCheck } from "./parameters.ts";

/** Markup a bundle may carry; none of it may reach a report as markup. */
const PAYLOADS = [
  "<img src=x onerror=alert(1)>",
  "</script><script>alert(2)</script>",
  "<svg onload=alert(3)>",
];
const HOSTILE: TinyOptions = {
  name: `hostile ${PAYLOADS[0]} \u001b]0;owned\u0007`,
  layerNames: [`fc ${PAYLOADS[1]}`, `\u001b[2J${PAYLOADS[2]} \u202eevil`],
  classNames: [PAYLOADS[0], `"quoted" & 'apos'`, `\u009b31m ${PAYLOADS[2]}`],
};

type BundleMaker = (dir: string) => Promise<string>;

const folder =
  (options: TinyOptions): BundleMaker =>
  async (dir) => {
    await tinyBundle(join(dir, "b"), options);
    return "b";
  };

const BUNDLES: Record<string, [BundleMaker, boolean?]> = {
  classifier: [folder({})],
  regression: [folder({ task: "regression" })],
  checkpoints: [folder({ checkpoints: true })],
  "regression-checkpoints": [folder({ task: "regression", checkpoints: true })],
  "checkpoints-of-one-layer": [folder({ partialCheckpoints: true })],
  "conv-layer": [folder({ conv: true })],
  "hostile-names": [folder({ ...HOSTILE, checkpoints: true }), true],
  "hostile-names-zip": [
    async (dir) => write(dir, "b.zip", zipBundle(tinyInput({ ...HOSTILE, checkpoints: true }))),
    true,
  ],
  "npz-without-manifest": [
    async (dir) =>
      write(
        dir,
        "b.npz",
        writeNpz({
          fc1: { shape: [24, 4], data: gaussian(24, 4, 1).data },
          fc2: { shape: [24, 3], data: gaussian(24, 3, 2).data },
          labels: { shape: [24], data: Int32Array.from({ length: 24 }, (_, i) => i % 3) },
        }),
      ),
  ],
  "three-samples": [folder({ n: 3, checkpoints: true })],
  "one-class": [folder({ classes: 1, checkpoints: true })],
  "constant-layers": [folder({ values: (_l, data) => data.fill(0.5), checkpoints: true })],
  "duplicate-rows": [
    folder({
      values: (_l, data, cols) =>
        data.map((_, j) => data[(Math.floor(j / cols) % 3) * cols + (j % cols)]),
      checkpoints: true,
    }),
  ],
  "extreme-values": [
    folder({
      values: (l, data) => data.map((v) => v * (l === 0 ? 1e30 : 1e-30)),
      checkpoints: true,
    }),
  ],
  "sparse-classes": [
    folder({
      labels: (i) => (i % 2) * 299,
      classNames: Array.from({ length: 300 }, (_, c) => `c${c}`),
    }),
  ],
  "no-extras": [folder({ predictions: false, split: false, inputs: false })],
  "nan-layer": [
    folder({ values: (l, data) => data.map((v, j) => (l === 1 && j === 5 ? NaN : v)) }),
  ],
};

/**
 * The first tag with an event-handler attribute (on…) in `html`, read attribute by attribute:
 * "onload=alert" inside a quoted attribute value (a layer name in an aria-label) is text.
 */
function handlerAttribute(html: string): RegExpExecArray | null {
  const tag =
    /<[a-zA-Z][^\s>/]*((?:\s+[^\s=>"'/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*\/?>/g;
  const attribute = /\s+([^\s=>"'/]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?/g;
  for (let t = tag.exec(html); t; t = tag.exec(html)) {
    for (const a of t[1].matchAll(attribute)) if (/^on/i.test(a[1])) return t;
  }
  return null;
}

/** The HTML a report wrote: data strings as text, nothing fetched from elsewhere, no NaN. */
function reportCheck(hostile: boolean): Check {
  return ({ dir }) => {
    let html: string;
    try {
      html = readFileSync(join(dir, "r.html"), "utf8");
    } catch {
      return "exit 0 but no report written";
    }
    if (!/^<!doctype html>/i.test(html.trimStart())) return "the report is not an HTML document";
    for (const payload of PAYLOADS)
      if (html.includes(payload))
        return `markup from the bundle reached the report raw: ${payload}`;
    if (/<script>alert\(|onerror=alert|onload=alert/i.test(html.replace(/&[a-z]+;|&#\d+;/g, ""))) {
      const raw = /<script>alert\(/i.exec(html) ?? handlerAttribute(html);
      if (raw) return `script from the bundle in the report: ${raw[0]}`;
    }
    const remote = /(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:)?\/\/(?!www\.w3\.org)[^"'\s>]+/i.exec(
      html.replace(/<a\b[^>]*>/gi, ""),
    );
    if (remote) return `the report loads from elsewhere: ${remote[0]}`;
    const text = html
      .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, "")
      .replace(/<[^>]+>/g, " ");
    const bad = /\bNaN\b|\bundefined\b|\[object \w+\]/.exec(text);
    if (bad)
      return `the report shows ${JSON.stringify(bad[0])}: ${JSON.stringify(text.slice(Math.max(0, bad.index - 60), bad.index + 40))}`;
    if (hostile && !html.includes("&lt;img src=x onerror=alert(1)&gt;"))
      return "the bundle's name is not shown (escaped) in the report";
    return null;
  };
}

export function reportCases(): Case[] {
  const cases: Case[] = [];
  for (const [bundle, [make, hostile]] of Object.entries(BUNDLES)) {
    for (const notebook of ANALYSIS_NAMES) {
      for (const command of ["run", "report"] as const) {
        cases.push({
          id: `reports/${bundle}/${command}-${notebook}`,
          family: "reports",
          prepare: async (dir) => {
            const path = await make(dir);
            const argv =
              command === "run"
                ? ["run", notebook, "--bundle", path]
                : ["report", notebook, "--bundle", path, "--out", "r.html", "--date", "2024-01-01"];
            return {
              argv,
              expect: "either",
              // The NaN is in a final layer; mphate reads checkpoints, which this bundle lacks,
              // so its first error is the missing checkpoints (on any thread count).
              codes:
                bundle !== "nan-layer"
                  ? undefined
                  : notebook === "mphate"
                    ? ["E_PARAM"]
                    : ["E_NON_FINITE"],
              check: command === "run" ? runTablesCheck : reportCheck(hostile ?? false),
              timeoutMs: 300_000,
            };
          },
        });
      }
    }
  }
  return cases;
}
