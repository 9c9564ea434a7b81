/**
 * A small feed-forward network whose parameters, activations and gradients live in wasm
 * memory: forward and backward passes over a mini-batch, activations of any layer, and the
 * gradient of the loss with respect to the input (for FGSM).
 *
 * Initialisation (seeded, PCG32): weights of a layer followed by ReLU/LeakyReLU(α) are drawn
 * from N(0, 2/((1+α²)·fan_in)) (He et al. 2015); other weights from U(±√(6/(fan_in+fan_out)))
 * (Glorot & Bengio 2010); biases start at 0. (PyTorch's default is a scaled uniform; the
 * recipes do not depend on the difference.)
 *
 * @example
 *   const net = await Network.create({inputShape: [64], layers: [{type: "dense", units: 10}]}, {seed: 1});
 *   const logits = net.predict(X, n);
 *   net.dispose();
 */
import "./kernels.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { DEFAULT_SEED, Rng, STREAMS } from "../../core/random.ts";
import { getCore, type Core } from "../../core/wasm.ts";
import { resolveNetwork, type NetworkSpec, type ResolvedLayer } from "./spec.ts";

export type Loss = "crossEntropy" | "mse";

/** Per-layer penalty on activations: l1·Σ|a| + l2·Σa², averaged over the batch. */
export interface ActivityPenalty {
  layers: string[];
  l1?: number;
  l2?: number;
}

/** Buffers sized for a batch capacity; re-allocated when a larger batch arrives. */
interface BatchBuffers {
  capacity: number;
  input: number;
  outputs: number[];
  argmax: number[];
  masks: number[];
  gradA: number;
  gradB: number;
  /** Per conv layer: its batch im2col matrix (taps × batch·plane), kept for the backward pass. */
  cols: number[];
  /** A conv layer's output or gradient packed channel-major (filters × batch·plane). */
  packed: number;
  dcol: number;
  dwScratch: number;
  labels: number;
  targets: number;
  /** Every block above, for freeing. */
  blocks: number[];
}

export class Network {
  readonly layers: ResolvedLayer[];
  readonly parameterCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  /** wasm address of the parameters (float32, parameterCount). */
  readonly params: number;
  /** wasm address of the parameter gradients. */
  readonly grads: number;
  private buffers: BatchBuffers | null = null;
  private readonly dropoutRng: Rng;
  /** Where each layer's output of the last forward pass lives (flatten/eval dropout alias). */
  private outPtr: number[] = [];
  private released = false;

  private constructor(
    readonly core: Core,
    readonly spec: NetworkSpec,
    resolved: { layers: ResolvedLayer[]; parameterCount: number },
    seed: number,
  ) {
    this.layers = resolved.layers;
    this.parameterCount = resolved.parameterCount;
    this.inputSize = spec.inputShape.reduce((a, b) => a * b, 1);
    this.outputSize = this.layers[this.layers.length - 1].outSize;
    const bytes = Math.max(4, this.parameterCount * 4);
    this.params = core.malloc(bytes, "network parameters");
    this.grads = core.malloc(bytes, "parameter gradients");
    core.kernels.zero(this.params, bytes);
    core.kernels.zero(this.grads, bytes);
    // Stream 1: dropout masks never share draws with initialisation (stream 0).
    this.dropoutRng = new Rng(core, seed, STREAMS.dropout);
    this.initialize(seed);
  }

  static async create(
    spec: NetworkSpec,
    { seed = DEFAULT_SEED }: { seed?: number } = {},
  ): Promise<Network> {
    const resolved = resolveNetwork(spec);
    return new Network(await getCore(), spec, resolved, seed);
  }

  /** The layer called `name`; E_PARAM listing the names otherwise. */
  layer(name: string): ResolvedLayer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `no layer named ${JSON.stringify(name)} (layers: ${this.layers.map((l) => l.name).join(", ")})`,
      );
    }
    return layer;
  }

  private initialize(seed: number): void {
    const rng = new Rng(this.core, seed, STREAMS.networkInit);
    try {
      for (const layer of this.layers) {
        if (layer.weightCount === 0) continue;
        const next = this.layers[layer.index + 1];
        const p = this.params + layer.weightOffset * 4;
        if (next && (next.type === "relu" || next.type === "leakyRelu")) {
          const alpha = next.spec.type === "leakyRelu" ? (next.spec.alpha ?? 0.01) : 0;
          this.core.kernels.fillNormal(
            rng.state,
            p,
            layer.weightCount,
            Math.sqrt(2 / ((1 + alpha * alpha) * layer.fanIn)),
          );
        } else {
          this.core.kernels.fillUniform(
            rng.state,
            p,
            layer.weightCount,
            Math.sqrt(6 / (layer.fanIn + layer.fanOut)),
          );
        }
      }
    } finally {
      rng.dispose();
    }
  }

  /** A copy of all parameters (weights then bias of each layer, in layer order). */
  getParameters(): Float32Array {
    return new Float32Array(this.core.memory.buffer, this.params, this.parameterCount).slice();
  }

  setParameters(values: Float32Array): void {
    if (values.length !== this.parameterCount) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `expected ${this.parameterCount} parameters, got ${values.length}`,
      );
    }
    new Float32Array(this.core.memory.buffer, this.params, this.parameterCount).set(values);
  }

  /** A copy of the parameter gradients of the last backward pass. */
  getGradients(): Float32Array {
    return new Float32Array(this.core.memory.buffer, this.grads, this.parameterCount).slice();
  }

  /** Make sure batch buffers hold `batch` samples. */
  ensureCapacity(batch: number): BatchBuffers {
    if (this.buffers && this.buffers.capacity >= batch) return this.buffers;
    this.freeBuffers();
    const { core } = this;
    const blocks: number[] = [];
    const alloc = (floats: number, what: string) => {
      const p = core.malloc(Math.max(4, floats * 4), what);
      blocks.push(p);
      return p;
    };
    let maxSize = this.inputSize;
    let maxCol = 0;
    let maxPacked = 0;
    let maxDw = 0;
    for (const l of this.layers) {
      maxSize = Math.max(maxSize, l.outSize);
      if (l.type === "conv") {
        const plane = l.inShape[1] * l.inShape[2];
        maxCol = Math.max(maxCol, l.inShape[0] * 9 * plane);
        maxPacked = Math.max(maxPacked, l.outSize);
        maxDw = Math.max(maxDw, l.weightCount);
      }
    }
    const buffers: BatchBuffers = {
      capacity: batch,
      input: alloc(batch * this.inputSize, "batch inputs"),
      outputs: this.layers.map((l) =>
        l.type === "flatten" ? 0 : alloc(batch * l.outSize, `${l.name} activations`),
      ),
      argmax: this.layers.map((l) =>
        l.type === "maxPool" ? alloc(batch * l.outSize, `${l.name} argmax`) : 0,
      ),
      masks: this.layers.map((l) =>
        l.type === "dropout" ? alloc(batch * l.outSize, `${l.name} mask`) : 0,
      ),
      gradA: alloc(batch * maxSize, "gradients"),
      gradB: alloc(batch * maxSize, "gradients"),
      cols: this.layers.map((l) =>
        l.type === "conv"
          ? alloc(batch * l.inShape[0] * 9 * l.inShape[1] * l.inShape[2], `${l.name} im2col`)
          : 0,
      ),
      packed: maxPacked ? alloc(batch * maxPacked, "packed conv maps") : 0,
      dcol: maxCol ? alloc(batch * maxCol, "im2col gradient") : 0,
      dwScratch: maxDw ? alloc(maxDw, "conv weight-gradient scratch") : 0,
      labels: alloc(batch, "batch labels"),
      targets: alloc(batch * this.outputSize, "batch targets"),
      blocks,
    };
    this.buffers = buffers;
    return buffers;
  }

  private freeBuffers(): void {
    if (!this.buffers) return;
    for (const p of this.buffers.blocks) this.core.free(p);
    this.buffers = null;
  }

  /**
   * Forward pass over the `batch` samples at buffers.input. `training` turns dropout on.
   * Returns the address of the last layer's output (batch × outputSize).
   */
  forward(batch: number, training: boolean): number {
    const k = this.core.kernels;
    const b = this.ensureCapacity(batch);
    let x = b.input;
    this.outPtr = new Array(this.layers.length);
    for (const l of this.layers) {
      let out = b.outputs[l.index];
      const W = this.params + l.weightOffset * 4;
      const bias = this.params + l.biasOffset * 4;
      switch (l.spec.type) {
        case "dense":
          k.gemm(x, l.inSize, 1, W, out, batch, l.inSize, l.outSize, 0);
          k.addRowBias(out, batch, l.outSize, bias);
          break;
        case "conv": {
          // The whole batch in one product: W (filters × taps) · col (taps × batch·plane).
          const [channels, h, w] = l.inShape;
          const filters = l.outShape[0];
          const plane = h * w;
          const ld = batch * plane;
          const col = b.cols[l.index];
          for (let s = 0; s < batch; s++)
            k.im2col3x3(x + s * l.inSize * 4, channels, h, w, col + s * plane * 4, ld);
          k.gemm(W, channels * 9, 1, col, b.packed, filters, channels * 9, ld, 0);
          k.addChannelBias(b.packed, filters, ld, bias);
          k.unpackChannels(b.packed, batch, filters, plane, out);
          break;
        }
        case "relu":
          k.leakyReluForward(x, out, batch * l.outSize, 0);
          break;
        case "leakyRelu":
          k.leakyReluForward(x, out, batch * l.outSize, l.spec.alpha ?? 0.01);
          break;
        case "maxPool":
          // NCHW: a batch of C-channel maps is batch·C consecutive channels.
          k.maxPoolForward(
            x,
            batch * l.inShape[0],
            l.inShape[1],
            l.inShape[2],
            out,
            b.argmax[l.index],
          );
          break;
        case "globalAvgPool":
          k.globalAvgPoolForward(x, batch * l.inShape[0], l.inShape[1] * l.inShape[2], out);
          break;
        case "flatten":
          out = x;
          break;
        case "dropout":
          if (training && l.spec.rate > 0)
            k.dropoutForward(
              this.dropoutRng.state,
              x,
              out,
              b.masks[l.index],
              batch * l.outSize,
              l.spec.rate,
            );
          else out = x;
          break;
      }
      this.outPtr[l.index] = out;
      x = out;
    }
    return x;
  }

  /** Address of layer i's output from the last forward pass. */
  outputOf(index: number): number {
    return this.outPtr[index];
  }

  /**
   * Backward pass from ∂loss/∂output at `gradOut` (batch × outputSize, in gradA or gradB).
   * Parameter gradients are added into `grads` (zero them first). With `inputGradient`, returns
   * the address of ∂loss/∂input (batch × inputSize); otherwise 0. `from` starts the pass at an
   * inner layer, `gradOut` then being ∂loss/∂(that layer's output).
   */
  backward(
    batch: number,
    gradOut: number,
    training: boolean,
    inputGradient: boolean,
    activity?: ActivityPenalty,
    from = this.layers.length - 1,
  ): number {
    const k = this.core.kernels;
    const b = this.ensureCapacity(batch);
    const penalised = new Set(activity?.layers ?? []);
    let g = gradOut;
    for (let i = from; i >= 0; i--) {
      const l = this.layers[i];
      const xIn = i === 0 ? b.input : this.outPtr[i - 1];
      const n = batch * l.outSize;
      if (activity && penalised.has(l.name)) {
        k.addPenaltyGradient(
          this.outPtr[i],
          g,
          n,
          (activity.l1 ?? 0) / batch,
          (activity.l2 ?? 0) / batch,
        );
      }
      const needInput = i > 0 || inputGradient;
      const dx = g === b.gradA ? b.gradB : b.gradA;
      const W = this.params + l.weightOffset * 4;
      const dW = this.grads + l.weightOffset * 4;
      const db = this.grads + l.biasOffset * 4;
      switch (l.spec.type) {
        case "dense":
          k.gemm(xIn, 1, l.inSize, g, dW, l.inSize, batch, l.outSize, 1);
          k.sumRowsInto(g, batch, l.outSize, db);
          if (needInput) k.gemmNT(g, W, dx, batch, l.outSize, l.inSize, 0, 0);
          g = needInput ? dx : 0;
          break;
        case "conv": {
          // Batched like the forward pass, reusing its im2col matrix.
          const [channels, h, w] = l.inShape;
          const filters = l.outShape[0];
          const plane = h * w;
          const taps = channels * 9;
          const ld = batch * plane;
          const col = b.cols[i];
          k.packChannels(g, batch, filters, plane, b.packed);
          k.gemmNT(b.packed, col, dW, filters, ld, taps, 1, b.dwScratch);
          k.sumChannelsInto(b.packed, filters, ld, db);
          if (needInput) {
            k.gemm(W, 1, taps, b.packed, b.dcol, taps, filters, ld, 0);
            k.zero(dx, batch * l.inSize * 4);
            for (let s = 0; s < batch; s++)
              k.col2im3x3(b.dcol + s * plane * 4, channels, h, w, dx + s * l.inSize * 4, ld);
          }
          g = needInput ? dx : 0;
          break;
        }
        case "relu":
          k.leakyReluBackward(xIn, g, dx, n, 0);
          g = dx;
          break;
        case "leakyRelu":
          k.leakyReluBackward(xIn, g, dx, n, l.spec.alpha ?? 0.01);
          g = dx;
          break;
        case "maxPool":
          k.maxPoolBackward(g, b.argmax[i], batch * l.inShape[0], l.inShape[1], l.inShape[2], dx);
          g = dx;
          break;
        case "globalAvgPool":
          k.globalAvgPoolBackward(g, batch * l.inShape[0], l.inShape[1] * l.inShape[2], dx);
          g = dx;
          break;
        case "flatten":
          break;
        case "dropout":
          if (training && l.spec.rate > 0) {
            k.multiplyInto(g, b.masks[i], dx, n);
            g = dx;
          }
          break;
      }
      if (!needInput) return 0;
    }
    return g;
  }

  /** Copy `count` samples (rows of inputSize floats) into the batch input buffer. */
  loadBatch(values: Float32Array, offset: number, count: number): void {
    const b = this.ensureCapacity(count);
    new Float32Array(this.core.memory.buffer, b.input, count * this.inputSize).set(
      values.subarray(offset * this.inputSize, (offset + count) * this.inputSize),
    );
  }

  /**
   * Evaluate-mode outputs of the named layers (or the last layer) for n samples, in batches.
   * Returns one Float32Array (n × layer size) per name.
   */
  activations(
    X: Float32Array,
    n: number,
    names: string[] = [this.layers[this.layers.length - 1].name],
    batchSize = 256,
  ): Record<string, Float32Array> {
    this.checkInputs(X, n);
    const chosen = names.map((name) => this.layer(name));
    const out: Record<string, Float32Array> = {};
    for (const l of chosen) out[l.name] = new Float32Array(n * l.outSize);
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      this.loadBatch(X, start, count);
      this.forward(count, false);
      for (const l of chosen) {
        out[l.name].set(
          new Float32Array(this.core.memory.buffer, this.outPtr[l.index], count * l.outSize),
          start * l.outSize,
        );
      }
    }
    return out;
  }

  /** Softmax of the last layer's outputs (class probabilities), computed in the core. */
  probabilities(X: Float32Array, n: number): Float32Array {
    const logits = this.predict(X, n);
    return this.core.scope((s) => {
      const x = s.upload(logits, "logits");
      const out = s.f32(logits.length, "probabilities");
      this.core.kernels.softmaxRows(x.ptr, n, this.outputSize, out.ptr);
      return out.copy();
    });
  }

  /** Evaluate-mode outputs of the last layer (logits or regression values). */
  predict(X: Float32Array, n: number, batchSize = 256): Float32Array {
    return this.activations(X, n, undefined, batchSize)[this.layers[this.layers.length - 1].name];
  }

  /**
   * Mean loss and (with labels) accuracy in evaluate mode, the loss computed in the core like
   * training's; also returns the outputs (n × outputSize). Ties in argmax go to the lower class.
   */
  evaluate(
    X: Float32Array,
    n: number,
    { labels, targets }: { labels?: Int32Array; targets?: Float32Array },
    batchSize = 256,
  ): { loss: number; accuracy?: number; outputs: Float32Array } {
    this.checkInputs(X, n);
    const loss: Loss = labels ? "crossEntropy" : "mse";
    const classes = this.outputSize;
    const outputs = new Float32Array(n * classes);
    let total = 0;
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      this.loadBatch(X, start, count);
      const out = this.forward(count, false);
      outputs.set(new Float32Array(this.core.memory.buffer, out, count * classes), start * classes);
      total += this.lossGradient(loss, out, count, 0, start, labels, targets);
    }
    if (!labels) return { loss: total / (n * classes), outputs };
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let arg = 0;
      for (let c = 1; c < classes; c++)
        if (outputs[i * classes + c] > outputs[i * classes + arg]) arg = c;
      if (arg === labels[i]) correct++;
    }
    return { loss: total / n, accuracy: correct / n, outputs };
  }

  /**
   * ∂(mean loss)/∂input for n samples (evaluate mode): what FGSM takes the sign of.
   * `labels` for cross-entropy, `targets` (n × outputSize) for MSE.
   */
  inputGradient(
    X: Float32Array,
    n: number,
    loss: Loss,
    labels?: Int32Array,
    targets?: Float32Array,
    batchSize = 256,
  ): Float32Array {
    this.checkInputs(X, n);
    const k = this.core.kernels;
    const out = new Float32Array(n * this.inputSize);
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      this.loadBatch(X, start, count);
      const b = this.ensureCapacity(count);
      const logits = this.forward(count, false);
      this.lossGradient(loss, logits, count, b.gradA, start, labels, targets);
      k.zero(this.grads, this.parameterCount * 4);
      const dx = this.backward(count, b.gradA, false, true);
      // The loss gradient is of the batch mean; scale to the mean over all n samples.
      const scale = count / n;
      const view = new Float32Array(this.core.memory.buffer, dx, count * this.inputSize);
      for (let i = 0; i < view.length; i++) out[start * this.inputSize + i] = view[i] * scale;
    }
    return out;
  }

  /**
   * For one input x (inputSize values, evaluate mode): the projection v = w · a(x) of layer
   * `name`'s output a(x) on `w` (one weight per output value), and ∂v/∂x — the input gradient
   * of an inner layer's activation, what feature visualisation ascends.
   */
  layerProjectionGradient(
    x: Float32Array,
    name: string,
    w: Float32Array,
  ): { value: number; gradient: Float32Array } {
    this.checkInputs(x, 1);
    const layer = this.layer(name);
    if (w.length !== layer.outSize) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `layer ${JSON.stringify(name)} has ${layer.outSize} outputs; got ${w.length} weights`,
      );
    }
    this.loadBatch(x, 0, 1);
    const b = this.ensureCapacity(1);
    this.forward(1, false);
    const memory = this.core.memory.buffer;
    const a = new Float32Array(memory, this.outPtr[layer.index], layer.outSize);
    let value = 0;
    for (let i = 0; i < w.length; i++) value += w[i] * a[i];
    new Float32Array(memory, b.gradA, layer.outSize).set(w);
    this.core.kernels.zero(this.grads, this.parameterCount * 4);
    const dx = this.backward(1, b.gradA, false, true, undefined, layer.index);
    return {
      value,
      gradient: new Float32Array(this.core.memory.buffer, dx, this.inputSize).slice(),
    };
  }

  /**
   * Write ∂(batch-mean loss)/∂output into `grad` (0: skip) and return the summed loss, for samples
   * [start, start+count) of labels/targets (which are copied into the batch buffers).
   */
  lossGradient(
    loss: Loss,
    output: number,
    count: number,
    grad: number,
    start: number,
    labels?: Int32Array,
    targets?: Float32Array,
  ): number {
    const k = this.core.kernels;
    const b = this.ensureCapacity(count);
    const memory = this.core.memory.buffer;
    if (loss === "crossEntropy") {
      if (!labels) throw new HiddenAtlasError("E_PARAM", "cross-entropy needs labels");
      new Int32Array(memory, b.labels, count).set(labels.subarray(start, start + count));
      return k.softmaxCrossEntropy(output, b.labels, count, this.outputSize, 0, grad);
    }
    if (!targets) throw new HiddenAtlasError("E_PARAM", "mean squared error needs targets");
    new Float32Array(memory, b.targets, count * this.outputSize).set(
      targets.subarray(start * this.outputSize, (start + count) * this.outputSize),
    );
    // squaredError scales by 2/(count·outputs): the gradient of the mean over all elements.
    return k.squaredError(output, b.targets, count * this.outputSize, grad);
  }

  private checkInputs(X: Float32Array, n: number): void {
    if (X.length !== n * this.inputSize) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `inputs have ${X.length} values; expected ${n} samples × ${this.inputSize}`,
      );
    }
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.freeBuffers();
    this.core.free(this.params);
    this.core.free(this.grads);
    this.dropoutRng.dispose();
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
