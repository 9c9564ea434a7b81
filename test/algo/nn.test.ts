import { describe, expect, it } from "vitest";
import {
  Network,
  Trainer,
  TrainingData,
  type LayerSpec,
  type NetworkSpec,
} from "../../src/algo/nn/index.ts";
import { mulberry32 } from "../helpers.ts";

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

interface Problem {
  X: Float32Array;
  n: number;
  labels?: Int32Array;
  targets?: Float32Array;
}

/** Mean loss (plus optional penalties) at the network's current parameters, evaluate mode. */
function lossAt(net: Network, p: Problem, penalty?: (net: Network) => number): number {
  const r = net.evaluate(p.X, p.n, { labels: p.labels, targets: p.targets });
  return r.loss + (penalty ? penalty(net) : 0);
}

/** Analytic gradient of the mean loss (one batch holding all samples). */
function analyticGradient(net: Network, p: Problem): Float32Array {
  const loss = p.labels ? "crossEntropy" : "mse";
  net.loadBatch(p.X, 0, p.n);
  const b = net.ensureCapacity(p.n);
  const out = net.forward(p.n, false);
  net.lossGradient(loss, out, p.n, b.gradA, 0, p.labels, p.targets);
  net.core.kernels.zero(net.grads, net.parameterCount * 4);
  net.backward(p.n, b.gradA, false, false);
  return net.getGradients();
}

/**
 * Where the network is not differentiable: the sign of every ReLU/LeakyReLU input and the
 * winner of every max-pool window. A central difference whose two ends differ here straddles
 * a kink and says nothing about the gradient, so it is skipped.
 */
function kinkPattern(net: Network, p: Problem): string {
  const feeding = net.layers
    .filter((l) => l.index > 0 && ["relu", "leakyRelu", "maxPool"].includes(l.type))
    .map((l) => net.layers[l.index - 1]);
  if (feeding.length === 0) return "";
  const acts = net.activations(
    p.X,
    p.n,
    feeding.map((l) => l.name),
  );
  let pattern = "";
  for (const l of feeding) {
    const a = acts[l.name];
    const next = net.layers[l.index + 1];
    if (next.type === "maxPool") {
      const [c, h, w] = l.outShape;
      for (let m = 0; m < p.n * c; m++) {
        for (let i = 0; i + 1 < h; i += 2) {
          for (let j = 0; j + 1 < w; j += 2) {
            const o = m * h * w;
            const cells = [
              o + i * w + j,
              o + i * w + j + 1,
              o + (i + 1) * w + j,
              o + (i + 1) * w + j + 1,
            ];
            pattern +=
              cells.reduce((best, cell) => (a[cell] > a[best] ? cell : best), cells[0]) - cells[0];
          }
        }
      }
    } else {
      for (const v of a) pattern += v > 0 ? "+" : "-";
    }
  }
  return pattern;
}

/**
 * Norm-wise relative error between the analytic gradient and central differences, per layer
 * (differences straddling a kink skipped; at most a tenth of them may be).
 */
function gradientErrors(net: Network, p: Problem, h = 1e-2): Record<string, number> {
  const analytic = analyticGradient(net, p);
  const params = net.getParameters();
  const errors: Record<string, number> = {};
  let skipped = 0;
  let total = 0;
  for (const layer of net.layers) {
    const count = layer.weightCount + layer.biasCount;
    if (count === 0) continue;
    let num = 0;
    let den = 0;
    for (let j = layer.weightOffset; j < layer.weightOffset + count; j++) {
      const saved = params[j];
      params[j] = saved + h;
      net.setParameters(params);
      const plus = lossAt(net, p);
      const plusPattern = kinkPattern(net, p);
      params[j] = saved - h;
      net.setParameters(params);
      const minus = lossAt(net, p);
      const minusPattern = kinkPattern(net, p);
      params[j] = saved;
      total++;
      if (plusPattern !== minusPattern) {
        skipped++;
        continue;
      }
      const fd = (plus - minus) / (2 * h);
      num += (fd - analytic[j]) ** 2;
      den += fd ** 2;
    }
    net.setParameters(params);
    errors[layer.name] = Math.sqrt(num / den);
  }
  expect(skipped / total).toBeLessThan(0.1);
  return errors;
}

const classes = (n: number, k: number, seed: number) => {
  const r = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * k));
};

describe("Network gradients match central finite differences (relative error < 1e-3)", () => {
  // [title, network, loss, finite-difference step]: the conv case has many more kinks within
  // reach, so it takes a smaller step.
  const cases: [string, NetworkSpec, "ce" | "mse", number][] = [
    [
      "dense + LeakyReLU, cross-entropy",
      {
        inputShape: [7],
        layers: [
          { type: "dense", units: 9 },
          { type: "leakyRelu", alpha: 0.1 },
          { type: "dense", units: 4 },
        ],
      },
      "ce",
      1e-2,
    ],
    [
      "dense + ReLU, MSE",
      {
        inputShape: [5],
        layers: [{ type: "dense", units: 8 }, { type: "relu" }, { type: "dense", units: 3 }],
      },
      "mse",
      1e-2,
    ],
    [
      "conv + ReLU + max-pool + conv + global average pool + dense",
      {
        inputShape: [2, 6, 6],
        layers: [
          { type: "conv", filters: 3 },
          { type: "relu" },
          { type: "maxPool" },
          { type: "conv", filters: 4 },
          { type: "leakyRelu", alpha: 0.2 },
          { type: "globalAvgPool" },
          { type: "dense", units: 3 },
        ],
      },
      "ce",
      2e-3,
    ],
    [
      "conv (odd sizes) + flatten + dense, MSE",
      {
        inputShape: [1, 5, 7],
        layers: [{ type: "conv", filters: 2 }, { type: "flatten" }, { type: "dense", units: 2 }],
      },
      "mse",
      1e-2,
    ],
  ];
  for (const [title, spec, loss, h] of cases) {
    it(title, async () => {
      const net = await Network.create(spec, { seed: 3 });
      const n = 6;
      const X = randomArray(n * net.inputSize, 7);
      const p: Problem =
        loss === "ce"
          ? { X, n, labels: classes(n, net.outputSize, 9) }
          : { X, n, targets: randomArray(n * net.outputSize, 11) };
      const errors = gradientErrors(net, p, h);
      for (const [name, error] of Object.entries(errors)) expect(error, name).toBeLessThan(1e-3);
      expect(Object.keys(errors).length).toBeGreaterThan(1);
      net.dispose();
    });
  }

  it("input gradient (for FGSM) matches finite differences", async () => {
    const net = await Network.create(
      {
        inputShape: [1, 4, 4],
        layers: [
          { type: "conv", filters: 3 },
          { type: "leakyRelu", alpha: 0.1 },
          { type: "flatten" },
          { type: "dense", units: 3 },
        ],
      },
      { seed: 5 },
    );
    const n = 3;
    const X = randomArray(n * 16, 13);
    const labels = classes(n, 3, 2);
    const grad = net.inputGradient(X, n, "crossEntropy", labels);
    const h = 1e-2;
    let num = 0;
    let den = 0;
    for (let j = 0; j < X.length; j++) {
      const saved = X[j];
      X[j] = saved + h;
      const plus = net.evaluate(X, n, { labels }).loss;
      const plusPattern = kinkPattern(net, { X, n, labels });
      X[j] = saved - h;
      const minus = net.evaluate(X, n, { labels }).loss;
      const minusPattern = kinkPattern(net, { X, n, labels });
      X[j] = saved;
      if (plusPattern !== minusPattern) continue;
      const fd = (plus - minus) / (2 * h);
      num += (fd - grad[j]) ** 2;
      den += fd ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
    net.dispose();
  });
});

describe("penalties", () => {
  it("weight and activity penalties enter the gradient exactly as their loss terms say", async () => {
    const spec: NetworkSpec = {
      inputShape: [5],
      layers: [
        { type: "dense", units: 6, name: "h" },
        { type: "leakyRelu", alpha: 0.1, name: "a" },
        { type: "dense", units: 3 },
      ],
    };
    const net = await Network.create(spec, { seed: 8 });
    const n = 5;
    const X = randomArray(n * 5, 21);
    const labels = classes(n, 3, 4);
    const weight = { l1: 0.01, l2: 0.02 };
    const activity = { layers: ["a"], l1: 0.03, l2: 0.05 };
    const penalty = (m: Network) => {
      const p = m.getParameters();
      let s = 0;
      for (const l of m.layers) {
        for (let j = l.weightOffset; j < l.weightOffset + l.weightCount; j++)
          s += weight.l1 * Math.abs(p[j]) + weight.l2 * p[j] ** 2;
      }
      const a = m.activations(X, n, ["a"]).a;
      for (const v of a) s += (activity.l1 * Math.abs(v) + activity.l2 * v * v) / n;
      return s;
    };
    const p0 = net.getParameters();
    // One plain SGD step with learning rate 1 on the whole batch: p1 = p0 − gradient.
    const trainer = new Trainer(net, {
      optimizer: "sgd",
      momentum: 0,
      learningRate: 1,
      batchSize: n,
      weightPenalty: weight,
      activityPenalty: activity,
      seed: 1,
    });
    const data = TrainingData.classification(net, X, labels);
    await trainer.epoch(data);
    const p1 = net.getParameters();
    net.setParameters(p0);
    const h = 1e-3;
    let num = 0;
    let den = 0;
    const params = p0.slice();
    for (let j = 0; j < params.length; j++) {
      params[j] = p0[j] + h;
      net.setParameters(params);
      const plus = lossAt(net, { X, n, labels }, penalty);
      params[j] = p0[j] - h;
      net.setParameters(params);
      const minus = lossAt(net, { X, n, labels }, penalty);
      params[j] = p0[j];
      const fd = (plus - minus) / (2 * h);
      num += (fd - (p0[j] - p1[j])) ** 2;
      den += fd ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-3);
    data.dispose();
    trainer.dispose();
    net.dispose();
  });
});

describe("dropout", () => {
  it("keeps each unit with probability 1 − rate, scales by 1/(1 − rate), and routes gradients through the same mask", async () => {
    const net = await Network.create(
      { inputShape: [1000], layers: [{ type: "dropout", rate: 0.3 }] },
      { seed: 2 },
    );
    const X = Float32Array.from({ length: 2000 }, () => 1);
    net.loadBatch(X, 0, 2);
    const out = new Float32Array(net.core.memory.buffer, net.forward(2, true), 2000).slice();
    const kept = out.filter((v) => v !== 0);
    expect(Math.abs(kept.length / 2000 - 0.7)).toBeLessThan(0.03);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.7, 6);
    const b = net.ensureCapacity(2);
    new Float32Array(net.core.memory.buffer, b.gradA, 2000).fill(1);
    const dx = net.backward(2, b.gradA, true, true);
    expect(Array.from(new Float32Array(net.core.memory.buffer, dx, 2000))).toEqual(Array.from(out));
    // Evaluate mode is the identity.
    expect(Array.from(net.predict(X, 2))).toEqual(Array.from(X));
    net.dispose();
  });
});

describe("Trainer", () => {
  /** Three Gaussian blobs in 4-D. */
  function blobs(n: number, seed: number) {
    const r = mulberry32(seed);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const X = Float32Array.from(
      { length: n * 4 },
      (_, j) => (labels[Math.floor(j / 4)] === j % 4 ? 2 : 0) + (r() - 0.5),
    );
    return { X, labels };
  }
  const spec: NetworkSpec = {
    inputShape: [4],
    layers: [{ type: "dense", units: 16 }, { type: "relu" }, { type: "dense", units: 3 }],
  };

  it("learns separable blobs: loss falls every few epochs and accuracy reaches 1", async () => {
    const net = await Network.create(spec, { seed: 4 });
    const { X, labels } = blobs(300, 3);
    const data = TrainingData.classification(net, X, labels);
    const trainer = new Trainer(net, { learningRate: 1e-2, batchSize: 16, seed: 5 });
    const losses = [];
    for (let e = 0; e < 12; e++) losses.push((await trainer.epoch(data)).loss);
    expect(losses[11]).toBeLessThan(losses[0] / 5);
    expect(losses[5]).toBeLessThan(losses[0]);
    expect(net.evaluate(X, 300, { labels }).accuracy).toBe(1);
    expect(trainer.steps).toBe(12 * Math.ceil(300 / 16));
    data.dispose();
    trainer.dispose();
    net.dispose();
  });

  it("is bit-identical for the same seeds and differs for another", async () => {
    const run = async (seed: number) => {
      const net = await Network.create(
        {
          inputShape: [4],
          layers: [
            { type: "dense", units: 8 },
            { type: "dropout", rate: 0.5 },
            { type: "leakyRelu", alpha: 0.1 },
            { type: "dense", units: 3 },
          ],
        },
        { seed },
      );
      const { X, labels } = blobs(100, 1);
      const data = TrainingData.classification(net, X, labels);
      const trainer = new Trainer(net, { batchSize: 10, seed });
      for (let e = 0; e < 3; e++) await trainer.epoch(data);
      const p = net.getParameters();
      data.dispose();
      trainer.dispose();
      net.dispose();
      return Buffer.from(p.buffer);
    };
    const a = await run(11);
    expect((await run(11)).equals(a)).toBe(true);
    expect((await run(12)).equals(a)).toBe(false);
  });

  it("takes Adam steps as PyTorch defines them", async () => {
    const net = await Network.create(
      { inputShape: [2], layers: [{ type: "dense", units: 1 }] },
      { seed: 1 },
    );
    const X = new Float32Array([1, 2, -1, 0.5]);
    const targets = new Float32Array([0.5, -1]);
    const p0 = Array.from(net.getParameters());
    const trainer = new Trainer(net, { loss: "mse", learningRate: 0.1, batchSize: 2, seed: 1 });
    const data = TrainingData.regression(net, X, targets);
    // Reference: PyTorch's Adam (torch/optim/adam.py, single tensor) in float64.
    const p = p0.slice();
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    for (let t = 1; t <= 3; t++) {
      await trainer.epoch(data);
      const pred = [p[0] * 1 + p[1] * 2 + p[2], p[0] * -1 + p[1] * 0.5 + p[2]];
      const d = [pred[0] - 0.5, pred[1] + 1];
      const g = [d[0] * 1 + d[1] * -1, d[0] * 2 + d[1] * 0.5, d[0] + d[1]].map((x) => x); // ∂ mean(d²)/∂p = Σ d·x (2/2)
      for (let j = 0; j < 3; j++) {
        m[j] = 0.9 * m[j] + 0.1 * g[j];
        v[j] = 0.999 * v[j] + 0.001 * g[j] ** 2;
        const bc1 = 1 - 0.9 ** t;
        const bc2 = 1 - 0.999 ** t;
        p[j] -= (0.1 / bc1) * (m[j] / (Math.sqrt(v[j]) / Math.sqrt(bc2) + 1e-8));
      }
    }
    const got = net.getParameters();
    for (let j = 0; j < 3; j++) expect(got[j]).toBeCloseTo(p[j], 5);
    data.dispose();
    trainer.dispose();
    net.dispose();
  });

  it("rejects bad specs, options and labels with messages naming them", async () => {
    await expect(
      Network.create({ inputShape: [4], layers: [{ type: "conv", filters: 2 }] }),
    ).rejects.toThrow(/invalid layer 0: conv needs a \[channels, height, width\] input, got \[4\]/);
    await expect(
      Network.create({
        inputShape: [4],
        layers: [
          { type: "dense", units: 2, name: "x" },
          { type: "relu", name: "x" },
        ],
      }),
    ).rejects.toThrow(/duplicate name "x"/);
    await expect(
      Network.create({ inputShape: [4], layers: [{ type: "dropout", rate: 1 }] }),
    ).rejects.toThrow(/invalid layers\[0\]\.rate: 1/);
    await expect(
      Network.create({ inputShape: [4], layers: [{ type: "pool" } as unknown as LayerSpec] }),
    ).rejects.toThrow(/unknown type "pool"/);
    const net = await Network.create(spec);
    expect(() => new Trainer(net, { learningRate: 0 })).toThrow(/invalid learningRate: 0/);
    expect(() => new Trainer(net, { batchsize: 3 } as never)).toThrow(
      /unknown option for Trainer: "batchsize"/,
    );
    expect(() =>
      TrainingData.classification(net, new Float32Array(8), new Int32Array([0, 3])),
    ).toThrow(/label 3 of sample 1 is outside 0 … 2/);
    expect(() =>
      TrainingData.classification(net, new Float32Array(7), new Int32Array([0, 1])),
    ).toThrow(/expected 2 samples × 4/);
    net.dispose();
  });
});

describe("FGSM", () => {
  it("increases the loss of every input, stays within ε and [0, 1]; sign noise of the same size hurts less", async () => {
    const { fgsm, signNoise } = await import("../../src/algo/nn/index.ts");
    const net = await Network.create(
      {
        inputShape: [1, 4, 4],
        layers: [
          { type: "conv", filters: 4 },
          { type: "relu" },
          { type: "flatten" },
          { type: "dense", units: 3 },
        ],
      },
      { seed: 2 },
    );
    const n = 40;
    const X = randomArray(n * 16, 17).map((v) => (v + 1) / 2);
    const labels = classes(n, 3, 6);
    const adversarial = fgsm(net, X, n, labels, 0.05);
    const noisy = signNoise(net, X, 0.05, 1);
    let fgsmTotal = 0;
    let noiseTotal = 0;
    for (let i = 0; i < n; i++) {
      const one = (values: Float32Array) =>
        net.evaluate(values.subarray(i * 16, (i + 1) * 16), 1, {
          labels: labels.subarray(i, i + 1),
        }).loss;
      const clean = one(X);
      expect(one(adversarial), `sample ${i}`).toBeGreaterThan(clean);
      fgsmTotal += one(adversarial) - clean;
      noiseTotal += one(noisy) - clean;
    }
    expect(fgsmTotal).toBeGreaterThan(3 * Math.abs(noiseTotal));
    for (let j = 0; j < X.length; j++) {
      expect(Math.abs(adversarial[j] - X[j])).toBeLessThanOrEqual(0.05 + 1e-7);
      expect(adversarial[j]).toBeGreaterThanOrEqual(0);
      expect(adversarial[j]).toBeLessThanOrEqual(1);
    }
    net.dispose();
  });

  it("sign noise from one stream gives independent signs per call; from a seed, the stream's first draw", async () => {
    const { signNoise } = await import("../../src/algo/nn/index.ts");
    const { Rng, STREAMS } = await import("../../src/core/random.ts");
    const net = await Network.create(
      { inputShape: [4], layers: [{ type: "dense", units: 2 }] },
      { seed: 2 },
    );
    const X = new Float32Array(4000).fill(0.5);
    const signs = (v: Float32Array) => Array.from(v, (x) => (x > 0.5 ? 1 : -1));
    const rng = new Rng(net.core, 7, STREAMS.signNoise);
    const first = signs(signNoise(net, X, 0.1, rng));
    const second = signs(signNoise(net, X, 0.2, rng));
    rng.dispose();
    expect(signs(signNoise(net, X, 0.1, 7))).toEqual(first);
    // Independent fair signs agree on about half the values (4000 draws: 0.5 ± 0.025 at 3 sd).
    const agree = first.filter((s, i) => s === second[i]).length / X.length;
    expect(agree).toBeGreaterThan(0.45);
    expect(agree).toBeLessThan(0.55);
    net.dispose();
  });
});
