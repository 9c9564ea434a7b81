/**
 * IDX files (the MNIST / Fashion-MNIST format, LeCun et al.), optionally gzipped: a 4-byte magic
 * (0, 0, element type, rank), big-endian u32 dimensions, then the elements, big-endian.
 * Only unsigned bytes (type 0x08) are read: every image and label file of those data sets.
 */
import { gunzipSync } from "fflate";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertWithinBudget } from "./limits.ts";
import type { NdArray } from "./ndarray.ts";

const UNSIGNED_BYTE = 0x08;
const GZIP_MAGIC = [0x1f, 0x8b];

export function readIdx(bytes: Uint8Array, name = "data.idx"): NdArray {
  let raw = bytes;
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      raw = gunzipSync(bytes);
    } catch (error) {
      throw new HiddenAtlasError(
        "E_ZIP",
        `${name}: not a valid gzip stream (${(error as Error).message})`,
        { file: name },
      );
    }
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new HiddenAtlasError(
      "E_NPY_HEADER",
      `${name}: not an IDX file (the magic number must start with two zero bytes)`,
      { file: name },
    );
  }
  if (raw[2] !== UNSIGNED_BYTE) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${name}: IDX element type 0x${raw[2].toString(16)} is not read (only unsigned bytes, 0x08)`,
      { file: name },
    );
  }
  const rank = raw[3];
  const start = 4 + 4 * rank;
  if (rank === 0 || raw.length < start) {
    throw new HiddenAtlasError(
      "E_TRUNCATED",
      `${name}: the IDX header announces ${rank} dimensions but the file ends after ${raw.length} bytes`,
      { file: name },
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  assertWithinBudget(count, "IDX data", name);
  if (raw.length - start < count) {
    throw new HiddenAtlasError(
      "E_TRUNCATED",
      `${name}: expected ${count} bytes of data after the header, found ${raw.length - start}`,
      { file: name },
    );
  }
  return { shape, dtype: "|u1", data: raw.slice(start, start + count) };
}
