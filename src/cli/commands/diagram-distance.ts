/** `hidden-atlas diagram-distance A.json B.json`: bottleneck, Wasserstein or sliced Wasserstein distance. */
import {
  bottleneck,
  slicedWasserstein,
  wasserstein,
  type InfinitePolicy,
} from "../../algo/diagrams.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { readFileBytes } from "../../io/node.ts";
import type { Command } from "../command.ts";
import { terminalProgress, toJson } from "../output.ts";

/** Degree `dim` of a diagram file in the `ph` output format; null deaths become Infinity. */
async function readDiagram(path: string, dim: number): Promise<[number, number][]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(await readFileBytes(path)));
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    throw new HiddenAtlasError("E_PARAM", `${path}: not JSON (${(error as Error).message})`, {
      file: path,
    });
  }
  const diagrams = (parsed as { diagrams?: Record<string, unknown> })?.diagrams;
  if (!diagrams || typeof diagrams !== "object") {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${path}: expected {"diagrams": {"0": [[birth, death], ...], ...}} (the output of hidden-atlas ph)`,
      { file: path },
    );
  }
  const pairs = diagrams[String(dim)];
  if (!Array.isArray(pairs)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${path} has no diagram of degree ${dim} (it has ${Object.keys(diagrams).join(", ") || "none"})`,
      { file: path },
    );
  }
  return pairs.map((p, i) => {
    if (
      !Array.isArray(p) ||
      p.length !== 2 ||
      typeof p[0] !== "number" ||
      (p[1] !== null && typeof p[1] !== "number")
    ) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `${path}: diagrams["${dim}"][${i}] is not [birth, death] (numbers; death may be null)`,
        { file: path },
      );
    }
    return [p[0], p[1] === null ? Infinity : p[1]];
  });
}

export const diagramDistanceCommand: Command = {
  spec: {
    name: "diagram-distance",
    summary:
      "Distance between two persistence diagrams (files in the `ph` output format): bottleneck, Wasserstein W_q, or sliced Wasserstein.",
    positionals: [
      { name: "A", description: "diagram file (JSON from hidden-atlas ph)" },
      { name: "B", description: "diagram file (JSON from hidden-atlas ph)" },
    ],
    options: {
      metric: {
        type: "string",
        choices: ["bottleneck", "wasserstein", "sliced"],
        default: "bottleneck",
        description: "which distance",
      },
      dim: { type: "integer", default: 1, description: "homology degree compared" },
      q: { type: "number", default: 1, description: "order of the Wasserstein distance (≥ 1)" },
      ground: {
        type: "string",
        default: "inf",
        description:
          "ground metric of the Wasserstein distance: inf (L∞, Hera/gudhi) or p ≥ 1, e.g. 2 (persim)",
      },
      directions: {
        type: "integer",
        default: 50,
        description: "directions of the sliced Wasserstein distance (persim M)",
      },
      infinite: {
        type: "string",
        choices: ["drop", "cap", "match"],
        description:
          "infinite points: drop them (the default), cap deaths at --cap (the default when --cap is given), or match them separately (bottleneck, wasserstein)",
      },
      cap: { type: "number", description: "death value replacing ∞ (implies --infinite cap)" },
      format: {
        type: "string",
        choices: ["json"],
        default: "json",
        description: "how the result is printed (JSON only)",
      },
    },
    details: `Output: {"distance": d, "metric": ..., "infinite": policy, "droppedInfinite": [a, b], ...}
with the metric's parameters (q, ground, directions). Distance Infinity prints as null.

Example: hidden-atlas ph a.npy > a.json; hidden-atlas ph b.npy > b.json
         hidden-atlas diagram-distance a.json b.json --metric wasserstein --q 2 --ground 2`,
  },
  async run({ positionals: [pathA, pathB], options }, { stdout, stderr }) {
    const dim = options.dim as number;
    if (dim < 0) throw new HiddenAtlasError("E_USAGE", `--dim must be ≥ 0; got ${dim}`);
    const a = await readDiagram(pathA, dim);
    const b = await readDiagram(pathB, dim);
    const cap = options.cap as number | undefined;
    const policy =
      (options.infinite as InfinitePolicy | undefined) ?? (cap !== undefined ? "cap" : "drop");
    if (policy === "cap" && cap === undefined)
      throw new HiddenAtlasError(
        "E_USAGE",
        "--infinite cap needs --cap VALUE, the death that replaces ∞",
      );
    if (policy !== "cap" && cap !== undefined)
      throw new HiddenAtlasError(
        "E_USAGE",
        `--cap is used with --infinite cap only; got --infinite ${policy}`,
      );
    // Checked whatever the metric, so that a mistyped value is never silently ignored.
    const q = options.q as number;
    if (!(q >= 1)) throw new HiddenAtlasError("E_USAGE", `--q must be a number ≥ 1; got ${q}`);
    const directions = options.directions as number;
    if (directions < 1)
      throw new HiddenAtlasError(
        "E_USAGE",
        `--directions must be an integer ≥ 1; got ${directions}`,
      );
    const infinite = { infinite: policy, ...(cap !== undefined && { cap }) };
    const groundText = options.ground as string;
    const ground = groundText === "inf" ? "inf" : Number(groundText);
    if (ground !== "inf" && !(Number.isFinite(ground) && ground >= 1))
      throw new HiddenAtlasError(
        "E_USAGE",
        `--ground must be inf or a number ≥ 1; got ${JSON.stringify(groundText)}`,
      );
    let result: object;
    if (options.metric === "bottleneck") result = await bottleneck(a, b, infinite);
    else if (options.metric === "sliced")
      result = await slicedWasserstein(a, b, { directions, ...infinite });
    else
      result = await wasserstein(a, b, {
        q,
        ground,
        onProgress: terminalProgress(stderr),
        ...infinite,
      });
    stdout.write(toJson({ ...result, dim }) + "\n");
  },
};
