import { describe, expect, it } from "vitest";
import { CsvReader, MAX_FIELD_CHARS, readCsv, readCsvChunks, writeCsv } from "../../src/io/csv.ts";
import { setMemoryBudget } from "../../src/io/limits.ts";
import { randomMatrix } from "../helpers.ts";
import { expectError, expectValues, expected, fixture } from "./support.ts";

const text = (path: string) => new TextDecoder().decode(fixture(path));

describe("readCsv", () => {
  it("reads numpy.savetxt output, taking its '# ' header as column names", () => {
    const { columns, matrix } = readCsv(text("csv/savetxt.csv"), { name: "savetxt.csv" });
    expect(columns).toEqual(expected.csv.columns);
    expect([matrix.rows, matrix.cols]).toEqual([3, 3]);
    expectValues(
      matrix.data,
      expected.csv.table.map((v: number | string) => (typeof v === "number" ? Math.fround(v) : v)),
    );
  });

  it("detects tab delimiters and the absence of a header", () => {
    const { columns, matrix } = readCsv(text("csv/plain.tsv"));
    expect(columns).toBeNull();
    expect([matrix.rows, matrix.cols]).toEqual([3, 3]);
    expect(matrix.data[5]).toBe(1e10);
  });

  it("reads quoted fields, doubled quotes, CRLF line ends and blank lines", () => {
    const { columns, matrix } = readCsv(text("csv/quoted-crlf.csv"));
    expect(columns).toEqual(expected.csv.quoted.columns);
    expectValues(matrix.data, expected.csv.quoted.values);
  });

  it("reads nan, inf and their spellings, and ignores a byte-order mark", () => {
    const { matrix } = readCsv("\ufeffNaN,nan,inf,-Infinity,+INF,1e-3,.5,-7.");
    expect(Array.from(matrix.data)).toEqual([
      NaN,
      NaN,
      Infinity,
      -Infinity,
      Infinity,
      Math.fround(1e-3),
      0.5,
      -7,
    ]);
  });

  it("refuses a decimal beyond float32's range with E_RANGE naming line and column, not Infinity", () => {
    // float32's largest is 3.4028235e38; 3.4e38 fits, 1e39, -4e38, 1e400 and 100,000 nines do not.
    expect(readCsv("3.4e38,-3.4e38\n1,2\n").matrix.data[1]).toBe(Math.fround(-3.4e38));
    const cases: [string, RegExp][] = [
      ["1,2\n3,1e39\n", /^t\.csv line 2, column 2: 1e39 is beyond float32's range/],
      ["1,2\n-4e38,0\n", /^t\.csv line 2, column 1: -4e38 is beyond float32's range/],
      ["1,2\n3, 1e400 \n", /^t\.csv line 2, column 2: 1e400 is beyond/],
      [`1,"${"9".repeat(100_000)}"\n3,4\n`, /^t\.csv line 1, column 2: 9{10,}\.\.\. is beyond/],
    ];
    for (const [input, pattern] of cases)
      expectError(() => readCsv(input, { name: "t.csv" }), "E_RANGE", pattern);
  });

  it("honours explicit header and delimiter options", () => {
    expect(readCsv("1,2\n3,4", { header: true }).columns).toEqual(["1", "2"]);
    expect(readCsv("1\t2\n3\t4", { delimiter: "\t", header: false }).matrix.data).toEqual(
      new Float32Array([1, 2, 3, 4]),
    );
  });

  it("reads quoted fields spanning lines and counts their lines", () => {
    expect(readCsv('"a\nb",c\n1,2\n').columns).toEqual(["a\nb", "c"]);
    expectError(
      () => readCsv('"a\nb",c\n1,2\n3,x', { name: "m.csv" }),
      "E_CSV",
      /m\.csv line 4, column 2: 'x' is not a number/,
    );
  });

  it("finds the delimiter on the first non-blank line", () => {
    expect(readCsv("\n   \n1\t2\n3\t4\n").matrix).toMatchObject({ rows: 2, cols: 2 });
    expect(readCsv("  \r\n1,2\r\n3,4\r\n").matrix).toMatchObject({ rows: 2, cols: 2 });
  });

  it("stays linear on long blank lines and long malformed numbers", () => {
    const started = performance.now();
    expect(readCsv(" ".repeat(200_000)).matrix.rows).toBe(0);
    expectError(
      () => readCsv("9".repeat(200_000) + "x", { header: false }),
      "E_CSV",
      /line 1, column 1/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("returns an empty matrix for empty input and for a header alone", () => {
    expect(readCsv("")).toEqual({
      columns: null,
      matrix: { rows: 0, cols: 0, data: new Float32Array(0) },
    });
    expect(readCsv("a,b,c\n")).toEqual({
      columns: ["a", "b", "c"],
      matrix: { rows: 0, cols: 3, data: new Float32Array(0) },
    });
  });
});

describe("readCsv errors", () => {
  it.each([
    ["a non-numeric cell", "a,b\n1,2\n3,x\n", {}, /t\.csv line 3, column 2: 'x' is not a number/],
    ["an empty cell", "1,2\n3,\n", {}, /t\.csv line 2, column 2: '' is not a number/],
    [
      "a header where none is expected",
      "a,b\n1,2\n",
      { header: false },
      /t\.csv line 1, column 1: 'a' is not a number/,
    ],
    [
      "a ragged row",
      "a,b,c\n1,2,3\n\n4,5\n",
      {},
      /t\.csv line 4: 2 fields, expected 3 as on line 1/,
    ],
    ["an unterminated quote", 'a,b\n1,"2\n', {}, /t\.csv line 2: unterminated quoted field/],
    [
      "text after a closing quote",
      'a,b\n1,"2"x\n',
      {},
      /t\.csv line 2: unexpected 'x' after a closing quote/,
    ],
  ] as const)("refuses %s with E_CSV naming the line", (_, input, options, pattern) => {
    expectError(() => readCsv(input, { name: "t.csv", ...options }), "E_CSV", pattern);
  });
});

describe("writeCsv", () => {
  it("writes the shortest decimals that read back as the same float32", () => {
    const data = new Float32Array([0.1, -2.5, 1 / 3, NaN, Infinity, -Infinity]);
    const m = { rows: 2, cols: 3, data };
    expect(writeCsv(m, ["a", "b, c", 'say "hi"'])).toBe(
      'a,"b, c","say ""hi"""\n0.1,-2.5,0.33333334\nnan,inf,-inf\n',
    );
  });

  it("round-trips random matrices exactly through readCsv", () => {
    const m = randomMatrix(50, 7, 3);
    const scaled = { ...m, data: m.data.map((v, i) => v * 10 ** ((i % 13) - 6)) };
    const back = readCsv(writeCsv(scaled, ["a", "b", "c", "d", "e", "f", "g"]));
    expect(back.columns).toEqual(["a", "b", "c", "d", "e", "f", "g"]);
    expect(back.matrix).toEqual(scaled);
  });

  it("refuses column names that do not match the matrix", () => {
    expectError(
      () => writeCsv({ rows: 0, cols: 2, data: new Float32Array(0) }, ["a"]),
      "E_SHAPE_MISMATCH",
      /1 column names for a matrix of 2 columns/,
    );
  });
});

describe("readCsv: header or data, never both", () => {
  it.each([
    [
      "a data row with one bad cell",
      "1,2,x\n3,4,5\n",
      /t\.csv line 1, column 3: 'x' is not a number but column 1 \('1'\) is: a header row must have no numeric cells and a data row only numbers/,
      3,
      "x",
    ],
    [
      "a header with a numeric name",
      "a,b,3\n1,2,3\n",
      /t\.csv line 1, column 3: '3' is a number but column 1 \('a'\) is not: a header row/,
      3,
      "3",
    ],
    [
      "an empty first cell before numbers",
      ",0,1\n5,6,7\n",
      /t\.csv line 1, column 2: '0' is a number but column 1 \(''\) is not/,
      2,
      "0",
    ],
  ])(
    "refuses a first row mixing numbers and text (%s), naming the row, column and cell",
    (_, input, pattern, column, value) => {
      const error = expectError(() => readCsv(input, { name: "t.csv" }), "E_CSV", pattern);
      expect(error.details).toMatchObject({ line: 1, column, value });
    },
  );

  it("takes an all-text first row as the header and an all-numeric one as data; header: true overrides", () => {
    expect(readCsv("x,y\n1,2\n").columns).toEqual(["x", "y"]);
    expect(readCsv("1,2\n3,4\n").matrix.rows).toBe(2);
    expect(readCsv(",0,1\n5,6,7\n", { header: true })).toMatchObject({
      columns: ["", "0", "1"],
      matrix: { rows: 1 },
    });
  });
});

describe("CsvReader and readCsvChunks: text arriving in pieces", () => {
  const tricky = '\ufeff"a,1","b ""q""\nc"\r\n1,2\r\n\r\n 3 , "4" \r\n5,6';

  it.each([
    ["savetxt.csv", text("csv/savetxt.csv")],
    ["quoted-crlf.csv", text("csv/quoted-crlf.csv")],
    ["plain.tsv", text("csv/plain.tsv")],
    ["quotes, CRLF, a BOM and no final newline", tricky],
  ])("gives what readCsv gives for %s, wherever the text is cut", (_, input) => {
    const whole = readCsv(input);
    for (let cut = 0; cut <= input.length; cut++) {
      const reader = new CsvReader();
      reader.push(input.slice(0, cut));
      reader.push(input.slice(cut));
      expect(reader.end(), `cut at ${cut}`).toEqual(whole);
    }
    const reader = new CsvReader();
    for (const c of input) reader.push(c);
    expect(reader.end()).toEqual(whole);
  });

  it("reads one very long line arriving in small pieces (each piece does not rescan the line)", () => {
    // 200,000 values on one line, then a second row, in 1 KiB pieces.
    const n = 200_000;
    const input =
      Array.from({ length: n }, (_, i) => String(i % 97)).join(",") +
      "\n" +
      Array.from({ length: n }, () => "1").join(",") +
      "\n";
    const reader = new CsvReader({ name: "wide.csv", header: false });
    for (let at = 0; at < input.length; at += 1024) reader.push(input.slice(at, at + 1024));
    const { matrix } = reader.end();
    expect([matrix.rows, matrix.cols]).toEqual([2, n]);
    expect(matrix.data[n - 1]).toBe((n - 1) % 97);
    expect(matrix.data[2 * n - 1]).toBe(1);
  });

  it("reports errors with the same lines whatever the chunking", () => {
    const input = 'a,"b\nc"\n1,2\n"3",4\n6,x\n';
    expectError(
      () => readCsv(input, { name: "c.csv" }),
      "E_CSV",
      /c\.csv line 5, column 2: 'x' is not a number/,
    );
    const reader = new CsvReader({ name: "c.csv" });
    expectError(
      () => {
        for (const c of input) reader.push(c);
        reader.end();
      },
      "E_CSV",
      /c\.csv line 5, column 2: 'x' is not a number/,
    );
  });

  it("decodes UTF-8 split inside a character across chunks", async () => {
    const bytes = new TextEncoder().encode("größe,ß\n1,2\n");
    const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
    const table = await readCsvChunks(chunks, { name: "u.csv" });
    expect(table.columns).toEqual(["größe", "ß"]);
    expect(Array.from(table.matrix.data)).toEqual([1, 2]);
  });

  it("streams more rows than the memory budget allows into E_TOO_LARGE, naming the line", async () => {
    const previous = setMemoryBudget(4096);
    try {
      const rows = function* () {
        for (let i = 0; i < 1000; i++) yield new TextEncoder().encode(`${i},${i + 1}\n`);
      };
      await expect(readCsvChunks(rows(), { name: "big.csv" })).rejects.toMatchObject({
        code: "E_TOO_LARGE",
        message: expect.stringMatching(
          /^big\.csv: the values up to line 513 needs 4\.0 KiB \(4104 bytes\) as float32, more than the 4\.0 KiB memory budget/,
        ),
      });
      expect((await readCsvChunks(rows.call(null), { name: "big.csv" }).catch((e) => e)).code).toBe(
        "E_TOO_LARGE",
      );
    } finally {
      setMemoryBudget(previous);
    }
  });
});

describe("a field longer than MAX_FIELD_CHARS (sweep: a 64 MB quoted field took 40 s and 1.2 GB to refuse)", () => {
  const long = "9".repeat(MAX_FIELD_CHARS + 1);

  it.each([
    ["quoted", `1,2\n3,"${long}"\n`],
    ["unquoted", `1,2\n${long},3\n`],
  ])(
    "an over-long %s field is E_CSV naming line and column, in one piece or in 64 KiB chunks",
    (kind, input) => {
      const column = kind === "quoted" ? 2 : 1;
      const pattern = new RegExp(
        `t\\.csv line 2, column ${column}: a field longer than ${MAX_FIELD_CHARS} characters`,
      );
      expectError(() => readCsv(input, { name: "t.csv" }), "E_CSV", pattern);
      const reader = new CsvReader({ name: "t.csv" });
      expectError(
        () => {
          for (let at = 0; at < input.length; at += 1 << 16)
            reader.push(input.slice(at, at + (1 << 16)));
          reader.end();
        },
        "E_CSV",
        pattern,
      );
    },
  );

  it("a long field within the limit is still read (1,000 digits of a small decimal)", () => {
    const small = `0.${"0".repeat(997)}1`;
    expect(small).toHaveLength(1000);
    const table = readCsv(`${small},2\n`, { header: false });
    expect(Array.from(table.matrix.data)).toEqual([0, 2]);
  });
});

describe("a first line with no end in sight (sweep: the delimiter guess waited for it, scanning the text again with every chunk)", () => {
  it("refuses a 64 MiB quoted first field after reading a few MiB, not the whole text", () => {
    const reader = new CsvReader({ name: "t.csv" });
    const chunk = "9".repeat(1 << 20);
    let pushed = 0;
    expectError(
      () => {
        reader.push('"');
        for (; pushed < 64; pushed++) reader.push(chunk);
        reader.end();
      },
      "E_CSV",
      /t\.csv line 1, column 1: a field longer than 1048576 characters/,
    );
    expect(pushed).toBeLessThanOrEqual(2);
  });

  it("guesses the delimiter from the first MiB of a long first line", () => {
    const reader = new CsvReader({ name: "t.csv" });
    const line = Array.from({ length: 300_000 }, (_, i) => String(i % 10)).join("\t");
    for (let at = 0; at < line.length; at += 1 << 16) reader.push(line.slice(at, at + (1 << 16)));
    reader.push("\n");
    const { matrix } = reader.end();
    expect([matrix.rows, matrix.cols, matrix.data[299_999]]).toEqual([1, 300_000, 9]);
  });
});
