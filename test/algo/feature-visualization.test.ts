import { describe, expect, it } from "vitest";
import { featureVisualization, Network } from "../../src/algo/nn/index.ts";
import { mulberry32 } from "../helpers.ts";

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** A small conv net with LeakyReLU on 1 × 6 × 6 inputs. */
async function smallConv(seed = 5): Promise<Network> {
  return Network.create(
    {
      inputShape: [1, 6, 6],
      layers: [
        { type: "conv", filters: 3, name: "conv1" },
        { type: "leakyRelu", alpha: 0.2, name: "act1" },
        { type: "conv", filters: 4, name: "conv2" },
        { type: "leakyRelu", alpha: 0.2, name: "act2" },
        { type: "globalAvgPool", name: "gap" },
        { type: "dense", units: 3, name: "logits" },
      ],
    },
    { seed },
  );
}

describe("input gradients of an inner layer", () => {
  it("∂(w · a_layer)/∂x matches central differences (conv and dense layers)", async () => {
    const net = await smallConv();
    try {
      const x = randomArray(36, 11, 0.5);
      for (const layer of ["act1", "act2", "gap"]) {
        const size = net.layer(layer).outSize;
        const w = randomArray(size, 3 + size);
        const { value, gradient } = net.layerProjectionGradient(x, layer, w);
        const a = net.activations(x, 1, [layer])[layer];
        expect(value).toBeCloseTo(
          a.reduce((s, v, i) => s + v * w[i], 0),
          4,
        );
        const h = 2e-3;
        let checked = 0;
        for (const i of [0, 7, 14, 21, 35]) {
          const plus = x.slice();
          const minus = x.slice();
          plus[i] += h;
          minus[i] -= h;
          // A difference whose ends sit on two sides of a LeakyReLU kink says nothing: skip it.
          const signs = (v: Float32Array) =>
            Object.values(net.activations(v, 1, ["conv1", "conv2"]))
              .map((a) => Array.from(a, (t) => t > 0).join())
              .join();
          if (signs(plus) !== signs(minus)) continue;
          checked++;
          const numeric =
            (net.layerProjectionGradient(plus, layer, w).value -
              net.layerProjectionGradient(minus, layer, w).value) /
            (2 * h);
          expect(
            Math.abs(gradient[i] - numeric),
            `${layer}[${i}]: ${gradient[i]} vs ${numeric}`,
          ).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        }
        expect(checked).toBeGreaterThanOrEqual(3);
      }
    } finally {
      net.dispose();
    }
  });

  it("refuses a weight vector of the wrong length", async () => {
    const net = await smallConv();
    try {
      expect(() =>
        net.layerProjectionGradient(new Float32Array(36), "act1", new Float32Array(5)),
      ).toThrow(/layer "act1" has 108 outputs; got 5 weights/);
    } finally {
      net.dispose();
    }
  });
});

describe("featureVisualization", () => {
  it("on a linear unit with ±1 weights, ends at the corner of the input box its weights point to", async () => {
    // One dense unit: v = Σ w_i x_i with w = (1, −1, 1, −1). Every |∂v/∂x_i| = 1 = the RMS, so each
    // step moves every pixel 0.02 toward its bound; decay 0.01 toward 0.5 balances only 1.98 away,
    // beyond the box, so the image is clipped at (1, 0, 1, 0) and v = 2.
    const net = await Network.create(
      { inputShape: [4], layers: [{ type: "dense", units: 1, name: "unit" }] },
      { seed: 1 },
    );
    try {
      net.setParameters(Float32Array.from([1, -1, 1, -1, 0]));
      const fv = await featureVisualization(net, {
        layer: "unit",
        direction: [1],
        range: [0, 1],
        steps: 100,
      });
      expect(Array.from(fv.image)).toEqual([1, 0, 1, 0]);
      expect(fv.objective.end).toBe(2);
      expect(Math.abs(fv.objective.start)).toBeLessThan(0.2);
      // The opposite direction climbs to the opposite corner.
      const opposite = await featureVisualization(net, {
        layer: "unit",
        direction: [-3],
        range: [0, 1],
        steps: 100,
      });
      expect(Array.from(opposite.image)).toEqual([0, 1, 0, 1]);
    } finally {
      net.dispose();
    }
  });

  it("raises a conv layer's channel direction far above its value at the noise, deterministically by seed", async () => {
    const net = await smallConv();
    try {
      const direction = [0.2, 1, 0, 0.5];
      const options = {
        layer: "act2",
        direction,
        range: [0, 1] as [number, number],
        imageShape: [6, 6] as [number, number],
        steps: 64,
      };
      const a = await featureVisualization(net, options);
      const b = await featureVisualization(net, options);
      expect(Array.from(b.image)).toEqual(Array.from(a.image));
      expect(a.objective.end).toBeGreaterThan(a.objective.start + 0.05);
      // The objective is the unit direction averaged over the 6 × 6 positions of act2 (convs keep the size).
      const acts = net.activations(a.image, 1, ["act2"]).act2;
      const norm = Math.hypot(...direction);
      let projected = 0;
      for (let c = 0; c < 4; c++)
        for (let p = 0; p < 36; p++) projected += (direction[c] / norm) * acts[c * 36 + p];
      expect(a.objective.end).toBeCloseTo(projected / 36, 5);
      expect(a.image.every((v) => v >= 0 && v <= 1)).toBe(true);
      const other = await featureVisualization(net, { ...options, seed: 7 });
      expect(Array.from(other.image)).not.toEqual(Array.from(a.image));
    } finally {
      net.dispose();
    }
  });

  it("refuses directions that do not fit the layer, or are zero", async () => {
    const net = await smallConv();
    try {
      await expect(
        featureVisualization(net, { layer: "act2", direction: [1, 2, 3], range: [0, 1] }),
      ).rejects.toThrow(/expected 144 or 4 \(its channels\)/);
      await expect(
        featureVisualization(net, { layer: "act2", direction: [0, 0, 0, 0], range: [0, 1] }),
      ).rejects.toMatchObject({ code: "E_PARAM" });
      await expect(
        featureVisualization(net, { layer: "nope", direction: [1], range: [0, 1] }),
      ).rejects.toThrow(/no layer named "nope"/);
    } finally {
      net.dispose();
    }
  });
});
