/**
 * Inputs for the sweep: seeded matrices, .npy bytes (through the project's writer, or a raw
 * header written by hand to lie), CSV text, and a small independent .npy reader for the
 * outputs the checks read back.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Matrix } from "../../src/core/matrix.ts";
import { writeNpy } from "../../src/io/npy.ts";
import type { TypedArray } from "../../src/io/ndarray.ts";

/** mulberry32: the sweep's own seeded generator (not the library's PRNG). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from a string (FNV-1a), so every case draws from its own stream. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** rows × cols of independent normal values (Box–Muller), the largest magnitude scaled to 1.5. */
export function gaussian(rows: number, cols: number, seed: number): Matrix {
  const random = rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const u = random() || 1e-12;
    data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return normalized({ rows, cols, data });
}

/**
 * The same matrix with its largest magnitude exactly 1.5 (a power-of-two rescaling of it is
 * then handled exactly: see the extreme-value rule in the README).
 */
export function normalized(m: Matrix): Matrix {
  let max = 0;
  for (const v of m.data) max = Math.max(max, Math.abs(v));
  if (max === 0) return m;
  const data = Float32Array.from(m.data, (v) => Math.fround((v / max) * 1.5));
  let top = 0;
  for (let i = 0; i < data.length; i++) if (Math.abs(data[i]) > Math.abs(data[top])) top = i;
  data[top] = Math.sign(data[top]) * 1.5;
  return { rows: m.rows, cols: m.cols, data };
}

/** Points on a circle of radius 1 (n evenly spaced, slightly jittered), in `cols` dimensions. */
export function circle(n: number, cols: number, seed: number): Matrix {
  const random = rng(seed);
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    data[i * cols] = Math.cos(t) + (random() - 0.5) * 0.02;
    data[i * cols + 1] = Math.sin(t) + (random() - 0.5) * 0.02;
    for (let j = 2; j < cols; j++) data[i * cols + j] = (random() - 0.5) * 0.02;
  }
  return { rows: n, cols, data };
}

/** Three separated blobs, with their labels 0, 1, 2. */
export function blobs(n: number, cols: number, seed: number): { X: Matrix; labels: Int32Array } {
  const random = rng(seed);
  const labels = new Int32Array(n).map((_, i) => i % 3);
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < cols; j++)
      data[i * cols + j] = (j === labels[i] % cols ? 1 : 0) + (random() - 0.5) * 0.3;
  return { X: { rows: n, cols, data }, labels };
}

/** `m` times a power of two (exact in float32 while in range). */
export function scaled(m: Matrix, power: number): Matrix {
  const factor = 2 ** power;
  return { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data, (v) => v * factor) };
}

/** Rows of `m` in the order `order`. */
export function permuted(m: Matrix, order: readonly number[]): Matrix {
  const data = new Float32Array(m.data.length);
  order.forEach((from, to) =>
    data.set(m.data.subarray(from * m.cols, (from + 1) * m.cols), to * m.cols),
  );
  return { rows: m.rows, cols: m.cols, data };
}

export function write(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return name;
}

export function npyOf(m: Matrix, dtype?: string): Uint8Array {
  return writeNpy({ shape: [m.rows, m.cols], data: m.data, ...(dtype && { dtype }) });
}

export function npyArray(shape: number[], data: TypedArray, dtype?: string): Uint8Array {
  return writeNpy({ shape, data, ...(dtype && { dtype }) });
}

/**
 * An .npy file with a header written by hand: `dict` is the header text (padded and ended with
 * "\n" unless `exact`), `version` 1–3.
 */
export function rawNpy(
  dict: string,
  payload: Uint8Array,
  {
    version = 1,
    exact = false,
    magic,
  }: { version?: number; exact?: boolean; magic?: Uint8Array } = {},
): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  let header = dict;
  if (!exact) {
    const unpadded = 6 + 2 + lengthBytes + header.length + 1;
    header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  }
  const encoded =
    version === 3
      ? new TextEncoder().encode(header)
      : Uint8Array.from(header, (c) => c.charCodeAt(0) & 0xff);
  const out = new Uint8Array(8 + lengthBytes + encoded.length + payload.length);
  out.set(magic ?? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(8, Math.min(encoded.length, 0xffff), true);
  else view.setUint32(8, encoded.length, true);
  out.set(encoded, 8 + lengthBytes);
  out.set(payload, 8 + lengthBytes + encoded.length);
  return out;
}

/** Little-endian float32 bytes of `values`. */
export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** CSV text of `m` (shortest round-trip decimals), with an optional header row. */
export function csvOf(
  m: Matrix,
  { header, delimiter = "," }: { header?: string[]; delimiter?: string } = {},
): string {
  const lines = header ? [header.join(delimiter)] : [];
  for (let i = 0; i < m.rows; i++)
    lines.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), String).join(delimiter));
  return lines.join("\n") + "\n";
}

/**
 * A little .npy reader for the outputs the checks read back (little-endian f4/f8/i4/i8, C
 * order), written apart from the library's so a bug there cannot hide one here.
 */
export function parseNpy(bytes: Uint8Array): { shape: number[]; data: Float64Array } {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY")
    throw new Error("not an .npy file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v1 = bytes[6] === 1;
  const headerLength = v1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = v1 ? 10 : 12;
  const header = String.fromCharCode(...bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (
    !descr ||
    shapeText === undefined ||
    /True/.test(/'fortran_order':\s*(\w+)/.exec(header)?.[1] ?? "")
  )
    throw new Error(`unexpected .npy header ${header}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const data = new Float64Array(count);
  const size = { "<f4": 4, "<f8": 8, "<i4": 4, "<i8": 8 }[descr];
  if (!size) throw new Error(`unexpected dtype ${descr}`);
  if (bytes.length !== offset + count * size)
    throw new Error(`.npy of ${bytes.length} bytes does not hold ${count} × ${size}`);
  for (let i = 0; i < count; i++) {
    const at = offset + i * size;
    data[i] =
      descr === "<f4"
        ? view.getFloat32(at, true)
        : descr === "<f8"
          ? view.getFloat64(at, true)
          : descr === "<i4"
            ? view.getInt32(at, true)
            : Number(view.getBigInt64(at, true));
  }
  return { shape, data };
}
