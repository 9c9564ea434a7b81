/** Types of the trainer's kernels (assembly/nn.ts), merged into the core's kernel table. */
declare module "../../core/wasm.ts" {
  interface CoreKernels {
    gemm(
      a: number,
      rowStrideA: number,
      colStrideA: number,
      b: number,
      c: number,
      m: number,
      k: number,
      n: number,
      beta: number,
    ): void;
    gemmNT(
      a: number,
      b: number,
      c: number,
      m: number,
      k: number,
      n: number,
      beta: number,
      scratch: number,
    ): void;
    addInPlace(y: number, x: number, count: number): void;
    addRowBias(y: number, rows: number, cols: number, bias: number): void;
    sumRowsInto(dy: number, rows: number, cols: number, db: number): void;
    addChannelBias(y: number, channels: number, plane: number, bias: number): void;
    sumChannelsInto(dy: number, channels: number, plane: number, db: number): void;
    im2col3x3(x: number, channels: number, h: number, w: number, col: number, ld: number): void;
    col2im3x3(dcol: number, channels: number, h: number, w: number, dx: number, ld: number): void;
    packChannels(x: number, batch: number, channels: number, plane: number, out: number): void;
    unpackChannels(x: number, batch: number, channels: number, plane: number, out: number): void;
    maxPoolForward(
      x: number,
      channels: number,
      h: number,
      w: number,
      y: number,
      argmax: number,
    ): void;
    maxPoolBackward(
      dy: number,
      argmax: number,
      channels: number,
      h: number,
      w: number,
      dx: number,
    ): void;
    globalAvgPoolForward(x: number, channels: number, plane: number, y: number): void;
    globalAvgPoolBackward(dy: number, channels: number, plane: number, dx: number): void;
    leakyReluForward(x: number, y: number, count: number, alpha: number): void;
    leakyReluBackward(x: number, dy: number, dx: number, count: number, alpha: number): void;
    dropoutForward(
      rng: number,
      x: number,
      y: number,
      mask: number,
      count: number,
      rate: number,
    ): void;
    multiplyInto(x: number, mask: number, y: number, count: number): void;
    softmaxCrossEntropy(
      logits: number,
      labels: number,
      batch: number,
      classes: number,
      probs: number,
      dlogits: number,
    ): number;
    squaredError(pred: number, targets: number, count: number, dpred: number): number;
    sumAbs(x: number, count: number): number;
    sumSquares(x: number, count: number): number;
    addPenaltyGradient(x: number, g: number, count: number, l1: number, l2: number): void;
    adamStep(
      p: number,
      g: number,
      m: number,
      v: number,
      count: number,
      stepSize: number,
      beta1: number,
      beta2: number,
      eps: number,
      sqrtBc2: number,
    ): void;
    sgdStep(p: number, g: number, buf: number, count: number, lr: number, momentum: number): void;
    fillNormal(rng: number, p: number, count: number, std: number): void;
    fillUniform(rng: number, p: number, count: number, limit: number): void;
    gatherRows(src: number, index: number, rows: number, cols: number, out: number): void;
    softmaxRows(x: number, rows: number, cols: number, out: number): void;
    rotateScaleBilinear(
      src: number,
      h: number,
      w: number,
      dst: number,
      outH: number,
      outW: number,
      angle: number,
      scale: number,
    ): void;
  }
}

export {};
