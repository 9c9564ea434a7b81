/**
 * What the generated benchmark bundles share: the .npy v1 header numpy.save writes for a C-order
 * array (so a layer can be streamed to disk after it, chunk by chunk), and a small seeded
 * generator for their values.
 */
import { formatShape } from "../src/io/ndarray.ts";

/** The .npy v1 header numpy.save writes for a C-order array of this dtype and shape. */
export function npyHeader(descr: string, shape: number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  const unpadded = 10 + dict.length + 1;
  const text = dict + " ".repeat(64 - (unpadded % 64)) + "\n";
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

/** xorshift32 (Marsaglia 2003) from `seed`: fast and deterministic, for generated data only. */
export function xorshift32(seed = 1): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}
