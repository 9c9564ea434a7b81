import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { readIdx } from "../../src/io/idx.ts";

function idx(shape: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out.set([0, 0, 8, shape.length]);
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

const FASHION = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

describe("readIdx", () => {
  it("reads plain and gzipped unsigned-byte IDX files", () => {
    const bytes = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    for (const input of [bytes, gzipSync(bytes)]) {
      const arr = readIdx(input, "t.idx");
      expect(arr.shape).toEqual([2, 3]);
      expect(Array.from(arr.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("refuses other element types, short files and non-IDX data with clear errors", () => {
    const bytes = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => readIdx(bytes.slice(0, 14), "t.idx")).toThrow(
      /expected 6 bytes of data after the header, found 2/,
    );
    const floats = bytes.slice();
    floats[2] = 0x0d;
    expect(() => readIdx(floats, "t.idx")).toThrow(/element type 0xd is not read/);
    expect(() => readIdx(new Uint8Array([1, 2, 3, 4]), "t.idx")).toThrow(/not an IDX file/);
    const huge = idx([70000, 70000, 70000], []);
    expect(() => readIdx(huge, "t.idx")).toThrow(expect.objectContaining({ code: "E_TOO_LARGE" }));
  });

  it.runIf(existsSync(FASHION))(
    "reads Debian's Fashion-MNIST test labels: 10,000 labels, 1,000 per class",
    () => {
      const arr = readIdx(readFileSync(FASHION), FASHION);
      expect(arr.shape).toEqual([10000]);
      const counts = new Array(10).fill(0);
      for (const v of arr.data) counts[v]++;
      expect(counts).toEqual(new Array(10).fill(1000));
    },
  );
});
