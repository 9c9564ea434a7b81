/**
 * Types of the embedding kernels (assembly/graph.ts, geodesic.ts, embedlinalg.ts, mds.ts,
 * tsne.ts, umap.ts, bsdr.ts, nndescent.ts), merged into the core's kernel table. Pointers are numbers.
 */
declare module "../core/wasm.ts" {
  interface CoreKernels {
    // graph.ts
    graphSymmetrize(
      indices: number,
      weights: number,
      n: number,
      k: number,
      mode: number,
      dropZeros: number,
      rowPtr: number,
      columns: number,
      values: number,
      scratch: number,
    ): number;
    graphPrune(
      rowPtr: number,
      columns: number,
      values: number,
      n: number,
      threshold: number,
    ): number;
    graphComponents(
      rowPtr: number,
      columns: number,
      n: number,
      labels: number,
      scratch: number,
    ): number;
    graphMatvec(
      rowPtr: number,
      columns: number,
      values: number,
      n: number,
      x: number,
      y: number,
    ): void;
    // geodesic.ts
    geodesicScratchBytes(n: number): number;
    geodesicFromSources(
      rowPtr: number,
      columns: number,
      weights: number,
      n: number,
      sources: number,
      s0: number,
      s1: number,
      out: number,
      scratch: number,
    ): void;
    geodesicFromSourceF64(
      rowPtr: number,
      columns: number,
      weights: number,
      n: number,
      source: number,
      out: number,
      scratch: number,
    ): void;
    // embedlinalg.ts
    embedDot(a: number, b: number, n: number): number;
    embedAxpy(y: number, alpha: number, x: number, n: number): void;
    embedScale(x: number, alpha: number, n: number): void;
    embedOrthogonalize(v: number, count: number, n: number, w: number, coeffs: number): void;
    embedRitzVectors(v: number, m: number, n: number, s: number, k: number, out: number): void;
    // mds.ts
    mdsCenteredSquaredMatvec(d: number, n: number, x: number, y: number, scratch: number): void;
    mdsDoubleCenter(d: number, n: number, b: number, scratch: number): void;
    mdsSmacofStep(
      delta: number,
      n: number,
      p: number,
      x: number,
      xOut: number,
      scratch: number,
    ): number;
    mdsSmacofColumns(x: number, n: number, p: number, cols: number): void;
    mdsSmacofBlock(
      delta: number,
      n: number,
      p: number,
      cols: number,
      bounds: number,
      b: number,
      accs: number,
    ): number;
    mdsSmacofCombine(
      n: number,
      p: number,
      bounds: number,
      blocks: number,
      accs: number,
      xOut: number,
    ): void;
    // tsne.ts
    tsneConditionalP(
      sqdist: number,
      rows: number,
      rowLen: number,
      stride: number,
      skipDiagonal: number,
      perplexity: number,
      out: number,
    ): number;
    tsneConditionalPRows(
      sqdist: number,
      i0: number,
      i1: number,
      rowLen: number,
      stride: number,
      skipDiagonal: number,
      perplexity: number,
      out: number,
    ): number;
    tsneExactGradient(
      p: number,
      y: number,
      n: number,
      exaggeration: number,
      grad: number,
      computeError: number,
      scratch: number,
    ): number;
    tsneExactRows(
      p: number,
      y: number,
      n: number,
      exaggeration: number,
      i0: number,
      i1: number,
      attract: number,
      repel: number,
    ): number;
    tsneExactKlRows(
      p: number,
      y: number,
      n: number,
      exaggeration: number,
      invZ: number,
      i0: number,
      i1: number,
    ): number;
    tsneTreeBytes(capacity: number, n: number): number;
    tsneBuildTree(y: number, n: number, block: number, capacity: number): number;
    tsneForces(
      y: number,
      n: number,
      rowPtr: number,
      columns: number,
      values: number,
      exaggeration: number,
      theta: number,
      block: number,
      capacity: number,
      g0: number,
      g1: number,
      neg: number,
      attract: number,
    ): number;
    tsneCombineForces(neg: number, attract: number, sumQ: number, n: number, grad: number): void;
    tsneKlRows(
      y: number,
      rowPtr: number,
      columns: number,
      values: number,
      exaggeration: number,
      sumQ: number,
      i0: number,
      i1: number,
    ): number;
    tsneUpdate(
      y: number,
      grad: number,
      update: number,
      gains: number,
      count: number,
      momentum: number,
      learningRate: number,
    ): number;
    // umap.ts
    umapSmoothKnn(
      dists: number,
      n: number,
      kk: number,
      nNeighbors: number,
      localConnectivity: number,
      bandwidth: number,
      nIter: number,
      sigma: number,
      rho: number,
    ): void;
    umapMembership(
      dists: number,
      n: number,
      kk: number,
      sigma: number,
      rho: number,
      out: number,
    ): void;
    // bsdr.ts
    bsdrScratchDoubles(n: number, d: number, r: number, k: number, s: number): number;
    bsdrInit(
      table: number,
      n: number,
      d: number,
      r: number,
      k: number,
      s: number,
      betaPhi: number,
      betaLambda: number,
      betaPsi: number,
      rng: number,
    ): void;
    bsdrSweep(
      table: number,
      n: number,
      d: number,
      r: number,
      k: number,
      s: number,
      sigmaZ: number,
      alphaPhi: number,
      betaPhi: number,
      alphaLambda: number,
      betaLambda: number,
      alphaPsi: number,
      betaPsi: number,
      rng: number,
    ): number;
    bsdrProject(table: number, n: number, d: number, r: number, out: number): void;
    // nndescent.ts
    nndReset(indices: number, dists: number, flags: number, n: number, k: number): void;
    nndRpTreeLeaves(
      data: number,
      n: number,
      d: number,
      leafSize: number,
      order: number,
      leafStart: number,
      scratch: number,
      rng: number,
    ): number;
    nndJoinLeaves(
      data: number,
      n: number,
      d: number,
      k: number,
      order: number,
      leafStart: number,
      leaves: number,
      indices: number,
      dists: number,
      flags: number,
    ): number;
    nndRpTree(
      data: number,
      n: number,
      d: number,
      leafSize: number,
      order: number,
      leafStart: number,
      scratch: number,
      seedLow: number,
      seedHigh: number,
      stream: number,
      tree: number,
    ): number;
    nndFillRandomRows(
      data: number,
      n: number,
      d: number,
      k: number,
      indices: number,
      dists: number,
      flags: number,
      rng: number,
      scratch: number,
      i0: number,
      i1: number,
    ): void;
    nndRound(
      data: number,
      n: number,
      d: number,
      k: number,
      indices: number,
      dists: number,
      flags: number,
      maxCandidates: number,
      newIdx: number,
      newPri: number,
      oldIdx: number,
      oldPri: number,
      rng: number,
      scratch: number,
      round: number,
    ): number;
    nndFinish(indices: number, dists: number, n: number, k: number): void;
  }
}

/** Merge rules of assembly/graph.ts `graphSymmetrize`. */
export const MERGE_MIN = 0;
export const MERGE_FUZZY = 1;
export const MERGE_SUM = 2;
