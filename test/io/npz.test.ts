import { describe, expect, it } from "vitest";
import { readNpz, writeNpz } from "../../src/io/npz.ts";
import { crc32 } from "../../src/io/crc32.ts";
import { listZip, readZipDirectory, unzipEntries, zipEntries } from "../../src/io/zip.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { expectError, expectValues, expected, fixture } from "./support.ts";

const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/** Byte offsets of every record with this signature (central-directory or local headers). */
function records(bytes: Uint8Array, signature: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++)
    if (view.getUint32(i, true) === signature) found.push(i);
  return found;
}

function patch(bytes: Uint8Array, edit: (view: DataView, copy: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

const arrays = {
  a: { shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) },
  b: { shape: [4], data: new Int32Array([1, -2, 3, 4]) },
};

describe("readNpz on NumPy's archives", () => {
  it.each(["stored", "compressed"])("readNpz(%s.npz) gives every array in order", (kind) => {
    const npz = readNpz(fixture(`npz/${kind}.npz`), `${kind}.npz`);
    expect([...npz.keys()]).toEqual(["a", "b", "c"]);
    for (const key of ["a", "b", "c"]) {
      expect(npz.get(key)!.shape).toEqual(expected.npz[key].shape);
      expectValues(npz.get(key)!.data, expected.npz[key].values);
    }
    expect(npz.get("b")!.dtype).toBe("<i8");
    expect(npz.get("c")!.dtype).toBe("|b1");
  });

  it("listZip reports np.savez entries as stored and np.savez_compressed ones as deflated", () => {
    expect(listZip(fixture("npz/stored.npz"), "s").map((e) => e.compression)).toEqual([0, 0, 0]);
    expect(listZip(fixture("npz/compressed.npz"), "c").map((e) => e.compression)).toEqual([
      8, 8, 8,
    ]);
  });
});

describe("writeNpz", () => {
  it.each([false, true])("writeNpz (compress %s) round-trips through readNpz", (compress) => {
    const back = readNpz(writeNpz(arrays, { compress }));
    expect([...back.keys()]).toEqual(["a", "b"]);
    expect(back.get("a")).toEqual({ ...arrays.a, dtype: "<f4" });
    expect(back.get("b")).toEqual({ ...arrays.b, dtype: "<i4" });
    expect(listZip(writeNpz(arrays, { compress }), "x").map((e) => e.compression)).toEqual(
      compress ? [8, 8] : [0, 0],
    );
  });

  it("writeNpz writes the same bytes every time, dated 1980-01-01 00:00", () => {
    const first = writeNpz(new Map(Object.entries(arrays)), { compress: true });
    expect(writeNpz(arrays, { compress: true })).toEqual(first);
    const view = new DataView(first.buffer);
    for (const at of records(first, LOCAL_SIGNATURE)) {
      expect(view.getUint16(at + 10, true)).toBe(0); // DOS time
      expect(view.getUint16(at + 12, true)).toBe((0 << 9) | (1 << 5) | 1); // DOS date 1980-01-01
    }
  });

  it("unzipEntries inflates only the entries asked for", () => {
    const zip = writeNpz(arrays, { compress: true });
    const files = unzipEntries(zip, "x.npz", listZip(zip, "x.npz"), new Set(["b.npy"]));
    expect([...files.keys()]).toEqual(["b.npy"]);
    expect(files.get("b.npy")).toEqual(writeNpy(arrays.b));
  });

  it("writeNpz keeps insertion order", () => {
    const back = readNpz(writeNpz({ zeta: arrays.b, alpha: arrays.a }));
    expect([...back.keys()]).toEqual(["zeta", "alpha"]);
  });
});

describe("zip errors", () => {
  const stored = writeNpz(arrays);

  it("readNpz refuses bytes that are not a zip with E_ZIP naming the archive", () => {
    expectError(
      () => readNpz(new Uint8Array(100), "junk.npz"),
      "E_ZIP",
      /junk\.npz: malformed zip archive: invalid zip data/,
    );
    expectError(() => readNpz(new Uint8Array(3), "tiny.npz"), "E_ZIP", /tiny\.npz/);
  });

  it("readNpz refuses an entry that is not an .npy file", () => {
    const zip = zipEntries([
      ["a.npy", writeNpy(arrays.a)],
      ["notes.txt", new Uint8Array([65])],
    ]);
    expectError(
      () => readNpz(zip, "x.npz"),
      "E_ZIP",
      /x\.npz: entry 'notes\.txt' is not an \.npy file/,
    );
  });

  it("readNpz names the archive and the entry when an .npy inside is bad", () => {
    const zip = zipEntries([["a.npy", writeNpy(arrays.a).subarray(0, 130)]]);
    expectError(
      () => readNpz(zip, "x.npz"),
      "E_TRUNCATED",
      /^x\.npz\/a\.npy: the header announces 24 data bytes/,
    );
  });

  it("listZip refuses declared sizes beyond 2 GiB before inflating anything (zip bomb)", () => {
    const bomb = patch(stored, (view) => {
      for (const at of records(stored, CENTRAL_SIGNATURE)) {
        view.setUint32(at + 20, 0x7fffffff, true);
        view.setUint32(at + 24, 0x7fffffff, true);
      }
    });
    const error = expectError(
      () => readNpz(bomb, "bomb.npz"),
      "E_TOO_LARGE",
      /bomb\.npz: the entries declare 4\.0 GiB/,
    );
    expect(error.details.bytesNeeded).toBe(2 * 0x7fffffff);
  });

  it("listZip refuses an entry whose declared size is impossible for its method", () => {
    const lying = patch(stored, (view) =>
      view.setUint32(records(stored, CENTRAL_SIGNATURE)[0] + 24, 1000, true),
    );
    expectError(
      () => readNpz(lying, "x.npz"),
      "E_ZIP",
      /entry 'a\.npy' declares 1000 bytes from 152 stored bytes, which is impossible/,
    );
    const deflated = writeNpz(arrays, { compress: true });
    const bomb = patch(deflated, (view) =>
      view.setUint32(records(deflated, CENTRAL_SIGNATURE)[0] + 24, 10_000_000, true),
    );
    expectError(
      () => readNpz(bomb, "x.npz"),
      "E_ZIP",
      /declares 10000000 bytes from \d+ deflated bytes/,
    );
  });

  it("listZip refuses entries that declare more compressed bytes than the archive holds", () => {
    const zip = patch(stored, (view) => {
      const at = records(stored, CENTRAL_SIGNATURE)[0];
      view.setUint32(at + 20, 100_000, true);
      view.setUint32(at + 24, 100_000, true);
    });
    expectError(
      () => readNpz(zip, "x.npz"),
      "E_ZIP",
      /the entries declare 100\d{3} compressed bytes but the archive has \d+/,
    );
  });

  it("listZip refuses compression methods other than stored and deflate", () => {
    const zip = patch(stored, (view) =>
      view.setUint16(records(stored, CENTRAL_SIGNATURE)[1] + 10, 12, true),
    );
    expectError(() => readNpz(zip, "x.npz"), "E_ZIP", /entry 'b\.npy' uses compression method 12/);
  });

  it("listZip refuses duplicate entry names", () => {
    const zip = patch(stored, (view, copy) => {
      // Rename the central-directory entry "b.npy" to "a.npy".
      for (const at of records(stored, CENTRAL_SIGNATURE)) {
        if (copy[at + 46] === 0x62) copy[at + 46] = 0x61;
      }
    });
    expectError(() => readNpz(zip, "x.npz"), "E_ZIP", /duplicate entry 'a\.npy'/);
  });

  it("refuses an entry whose local header names it differently from the directory (as zipfile does)", () => {
    for (const compress of [false, true]) {
      const zip = writeNpz(arrays, { compress });
      const at = records(zip, LOCAL_SIGNATURE)[1]; // b.npy's local header
      const renamed = patch(zip, (_, copy) => (copy[at + 30 + 1] ^= 0x02)); // "b.npy" -> "b,npy"
      expectError(
        () => readNpz(renamed, "x.npz"),
        "E_ZIP",
        /x\.npz: malformed zip archive: entry 'b\.npy': its local header names it 'b,npy'; the archive is corrupt/,
      );
    }
  });

  it("refuses an end record that counts fewer or more entries than the central directory holds", () => {
    const three = writeNpz({ ...arrays, c: { shape: [1], data: new Float32Array([7]) } });
    const end = records(three, 0x06054b50)[0];
    for (const count of [0, 1, 2]) {
      const fewer = patch(three, (view) => {
        view.setUint16(end + 8, count, true); // entries on this disk
        view.setUint16(end + 10, count, true); // entries in all
      });
      // Python's zipfile would list all three, a reader trusting the count fewer: neither is taken.
      expectError(
        () => readNpz(fewer, "x.npz"),
        "E_ZIP",
        new RegExp(
          `x\\.npz: malformed zip archive: the end record counts ${count} entries but the central directory holds more records`,
        ),
      );
    }
    const more = patch(three, (view) => view.setUint16(end + 10, 4, true));
    expectError(() => readNpz(more, "x.npz"), "E_ZIP", /x\.npz/);
    expect(readNpz(three, "x.npz").get("c")!.data).toEqual(new Float32Array([7]));
  });

  it("unzipEntries turns corrupt deflate data into E_ZIP naming the entry", () => {
    const deflated = writeNpz(arrays, { compress: true });
    const at = records(deflated, LOCAL_SIGNATURE)[1];
    const corrupt = patch(deflated, (_, copy) => copy.fill(0xff, at + 30 + 5, at + 30 + 25));
    expectError(
      () => readNpz(corrupt, "x.npz"),
      "E_ZIP",
      /x\.npz: malformed zip archive: entry 'b\.npy': invalid/,
    );
  });

  it("unzipEntries refuses an entry that holds fewer bytes than declared", () => {
    const truncated = patch(stored, (v) => {
      const central = records(stored, CENTRAL_SIGNATURE)[1];
      // Point entry b's local header beyond the archive: fflate then finds no data for it.
      v.setUint32(central + 42, stored.length - 10, true);
    });
    expectError(
      () => readNpz(truncated, "x.npz"),
      "E_ZIP",
      /entry 'b\.npy' holds \d+ bytes but the directory declares 144/,
    );
  });
});

describe("CRC-32 of zip entries", () => {
  /** Offset of the first data byte of the entry whose local header is at `at`. */
  const dataStart = (bytes: Uint8Array, at: number) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    return at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  };
  /** Random float32 values: incompressible, so deflate keeps them in stored blocks. */
  const noise = (n: number) => {
    const bytes = new Uint8Array(n * 4);
    for (let i = 0, x = 12345; i < bytes.length; i++)
      bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    return new Float32Array(bytes.buffer).map((v) => (Number.isFinite(v) ? v : 0));
  };

  it("crc32 gives the check value of the CRC-32/ISO-HDLC catalogue and continues across chunks", () => {
    const text = new TextEncoder().encode("123456789");
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(text.subarray(4), crc32(text.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("a flipped data byte in a stored entry is E_ZIP, not a changed value", () => {
    const zip = writeNpz(arrays);
    const at = dataStart(zip, records(zip, LOCAL_SIGNATURE)[0]) + 128 + 5; // inside a's values
    const flipped = patch(zip, (_, copy) => (copy[at] ^= 0x10));
    expectError(
      () => readNpz(flipped, "x.npz"),
      "E_ZIP",
      /x\.npz: malformed zip archive: entry 'a\.npy': its CRC-32 is 0x[0-9a-f]{8} but the directory declares 0x[0-9a-f]{8}; the entry is corrupt/,
    );
  });

  it("a flipped byte in a deflated entry that still inflates is E_ZIP", () => {
    const zip = writeNpz({ r: { shape: [64, 16], data: noise(1024) } }, { compress: true });
    expect(listZip(zip, "r.npz")[0].compression).toBe(8);
    const at = dataStart(zip, records(zip, LOCAL_SIGNATURE)[0]) + 2000; // inside a stored block
    const flipped = patch(zip, (_, copy) => (copy[at] ^= 0x01));
    expectError(() => readNpz(flipped, "r.npz"), "E_ZIP", /entry 'r\.npy': its CRC-32 is/);
    expect(readNpz(zip, "r.npz").get("r")!.data).toEqual(noise(1024));
  });
});

describe("zip64 archives (APPNOTE 4.3.14–4.3.15, 4.5.3)", () => {
  /** One stored entry whose central record keeps its sizes and offset in a zip64 extra field. */
  function zip64Archive(name: string, data: Uint8Array): Uint8Array {
    const nameBytes = new TextEncoder().encode(name);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, LOCAL_SIGNATURE, true);
    lv.setUint16(4, 45, true);
    lv.setUint32(14, crc32(data), true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.length + 28);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, CENTRAL_SIGNATURE, true);
    cv.setUint16(4, 45, true);
    cv.setUint16(6, 45, true);
    cv.setUint32(16, crc32(data), true);
    cv.setUint32(20, 0xffffffff, true);
    cv.setUint32(24, 0xffffffff, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint16(30, 28, true);
    cv.setUint32(42, 0xffffffff, true);
    central.set(nameBytes, 46);
    const extra = 46 + nameBytes.length;
    cv.setUint16(extra, 0x0001, true);
    cv.setUint16(extra + 2, 24, true);
    cv.setBigUint64(extra + 4, BigInt(data.length), true); // uncompressed
    cv.setBigUint64(extra + 12, BigInt(data.length), true); // compressed
    cv.setBigUint64(extra + 20, 0n, true); // local header offset
    const directoryOffset = local.length + data.length;
    const end64 = new Uint8Array(56 + 20 + 22);
    const ev = new DataView(end64.buffer);
    ev.setUint32(0, 0x06064b50, true);
    ev.setBigUint64(4, 44n, true);
    ev.setBigUint64(24, 1n, true);
    ev.setBigUint64(32, 1n, true);
    ev.setBigUint64(40, BigInt(central.length), true);
    ev.setBigUint64(48, BigInt(directoryOffset), true);
    ev.setUint32(56, 0x07064b50, true);
    ev.setBigUint64(56 + 8, BigInt(directoryOffset + central.length), true);
    ev.setUint32(56 + 16, 1, true);
    ev.setUint32(76, 0x06054b50, true);
    ev.setUint16(76 + 8, 0xffff, true);
    ev.setUint16(76 + 10, 0xffff, true);
    ev.setUint32(76 + 12, 0xffffffff, true);
    ev.setUint32(76 + 16, 0xffffffff, true);
    const out = new Uint8Array(directoryOffset + central.length + end64.length);
    out.set(local);
    out.set(data, local.length);
    out.set(central, directoryOffset);
    out.set(end64, directoryOffset + central.length);
    return out;
  }
  it("reads sizes and offsets from the zip64 end record and extra field, in memory and from a Blob", async () => {
    const zip = zip64Archive("a.npy", writeNpy(arrays.a));
    expect(listZip(zip, "z.npz")).toEqual([
      {
        name: "a.npy",
        compressedSize: 152,
        size: 152,
        compression: 0,
        crc32: crc32(writeNpy(arrays.a)),
        localHeaderOffset: 0,
      },
    ]);
    expect(readNpz(zip, "z.npz").get("a")).toEqual({ ...arrays.a, dtype: "<f4" });
    expect((await readZipDirectory(new Blob([zip]), "z.npz"))[0].size).toBe(152);
    const missing = patch(zip, (view) => view.setUint32(zip.length - 22 - 20, 0, true)); // no locator
    expectError(
      () => readNpz(missing, "z.npz"),
      "E_ZIP",
      /the end record points to a zip64 record that is not there/,
    );
  });
});
