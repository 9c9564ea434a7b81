/**
 * CSV/TSV files read by `hidden-atlas knn FILE --k 1`: the README's rules (a header when no
 * cell of the first row is a number, a row mixing numbers and text refused naming the cell,
 * RFC 4180 quotes, CRLF or LF, blank lines skipped, "nan"/"inf" read and then refused as
 * non-finite) against layout variants, hostile text, truncation and bit flips. The
 * expectation is the matrix a plain reference reading of the same text gives.
 */
import type { Matrix } from "../../../src/core/matrix.ts";
import { csvOf, gaussian, randomInt, rng, seedOf, write } from "../data.ts";
import type { Case, Check, Prepared } from "../types.ts";
import { knnAgainst } from "./common.ts";

/** Text the reference does not read (quotes): any answer is taken. */
const NOT_JUDGED = "not judged";
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The reference reading of simple CSV text (no quotes): the matrix, or why it must be refused.
 * Cells are trimmed of spaces; a first row without numbers is a header.
 */
export function referenceCsv(text: string, delimiter = ","): Matrix | string {
  const lines = text
    .replace(/^\ufeff/, "")
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== "");
  if (lines.some((l) => l.includes('"'))) return NOT_JUDGED;
  const rows = lines.map((l) => l.split(delimiter).map((c) => c.trim()));
  if (rows.length && rows[0].every((c) => !NUMBER.test(c) && !/^[+-]?(nan|inf(inity)?)$/i.test(c)))
    rows.shift();
  if (rows.length < 2) return `${rows.length} data row(s)`;
  const cols = rows[0].length;
  const data: number[] = [];
  for (const row of rows) {
    if (row.length !== cols) return "ragged rows";
    for (const c of row) {
      if (!NUMBER.test(c)) return `cell ${JSON.stringify(c)} is not a finite number`;
      const v = Math.fround(Number(c));
      if (!Number.isFinite(v)) return `cell ${c} overflows float32`;
      data.push(v);
    }
  }
  return { rows: rows.length, cols, data: Float32Array.from(data) };
}

/** Exit 0 must mean the reference reads the text and knn matches it. */
function csvCheck(text: string, delimiter = ","): Check {
  return (context) => {
    const expected = referenceCsv(text, delimiter);
    if (expected === NOT_JUDGED) return null;
    if (typeof expected === "string")
      return `the reference refuses the text (${expected}) but knn answered`;
    return knnAgainst(expected)(context);
  };
}

function csvCase(
  id: string,
  text: string,
  expect: Prepared["expect"],
  opts: {
    file?: string;
    codes?: string[];
    names?: string[];
    delimiter?: string;
    check?: Check;
  } = {},
): Case {
  const file = opts.file ?? "x.csv";
  return {
    id: `readers/csv/${id}`,
    family: "readers",
    prepare: (dir) => {
      write(dir, file, text);
      return {
        argv: ["knn", file, "--k", "1"],
        expect,
        codes: opts.codes,
        names: opts.names ?? [file, "k:", "--k", "rows"],
        check: opts.check ?? csvCheck(text, opts.delimiter),
      };
    },
  };
}

export function csvCases(): Case[] {
  const m = gaussian(10, 3, 11);
  const plain = csvOf(m);
  const header = csvOf(m, { header: ["a", "b", "c"] });
  const hostileNames = ["<img src=x onerror=alert(1)>", "\u001b[31mred\u001b[0m", "__proto__"];
  const rowsOf = (text: string) => text.trimEnd().split("\n");
  const editRow = (text: string, row: number, edit: (cells: string[]) => string[]) => {
    const rows = rowsOf(text);
    rows[row] = edit(rows[row].split(",")).join(",");
    return rows.join("\n") + "\n";
  };
  const ok = (id: string, text: string, extra: Parameters<typeof csvCase>[3] = {}) =>
    csvCase(id, text, "ok", { check: knnAgainst(m), ...extra });
  const cases: Case[] = [
    ok("plain", plain),
    ok("header", header),
    ok("numpy-savetxt-header", csvOf(m, { header: ["# a", "b", "c"] })),
    ok("hostile-header-names", csvOf(m, { header: hostileNames })),
    ok("byte-order-mark", "\ufeff" + header),
    ok("crlf", plain.replace(/\n/g, "\r\n")),
    ok("cr-only", plain.replace(/\n/g, "\r")),
    ok("no-final-newline", plain.trimEnd()),
    ok("blank-lines", plain.replace(/\n/g, "\n\n") + "\n\n   \n"),
    ok("spaces-around-cells", plain.replace(/,/g, " ,  ")),
    ok(
      "quoted-numbers",
      rowsOf(plain)
        .map((r) =>
          r
            .split(",")
            .map((c) => `"${c}"`)
            .join(","),
        )
        .join("\n") + "\n",
    ),
    ok("quoted-header-with-comma", `"a,1","b ""q""",c\n` + plain),
    ok("tab-separated", csvOf(m, { delimiter: "\t" }), { file: "x.tsv" }),
    ok("tab-separated-csv-name", csvOf(m, { delimiter: "\t" })),
    ok("txt-extension", plain, { file: "x.txt" }),
    ok(
      "exponents-and-signs",
      rowsOf(plain)
        .map((r) =>
          r
            .split(",")
            .map((c) => `${Number(c) >= 0 ? "+" : ""}${Number(c).toExponential(9)}`)
            .join(","),
        )
        .join("\n") + "\n",
    ),
    csvCase("header-only", "a,b,c\n", "error", { codes: ["E_CSV", "E_PARAM", "E_SHAPE_MISMATCH"] }),
    csvCase("empty-file", "", "error"),
    csvCase("only-blank-lines", "\n\n  \n", "error"),
    csvCase("one-row", "1,2,3\n", "error"),
    csvCase("one-column", "1\n2\n4\n8\n", "either"),
    csvCase(
      "ragged-row",
      editRow(plain, 4, (c) => c.slice(0, 2)),
      "error",
      { codes: ["E_CSV"], names: ["line 5"] },
    ),
    csvCase(
      "extra-cell",
      editRow(plain, 6, (c) => [...c, "1"]),
      "error",
      { codes: ["E_CSV"], names: ["line 7"] },
    ),
    csvCase(
      "text-cell",
      editRow(plain, 3, (c) => [c[0], "oops", c[2]]),
      "error",
      { codes: ["E_CSV"], names: ["oops"] },
    ),
    csvCase(
      "text-cell-first-row",
      editRow(plain, 0, (c) => [c[0], c[1], "oops"]),
      "error",
      { codes: ["E_CSV"], names: ["oops"] },
    ),
    csvCase(
      "empty-cell",
      editRow(plain, 2, (c) => [c[0], "", c[2]]),
      "error",
      { codes: ["E_CSV"], names: ["line 3"] },
    ),
    csvCase(
      "nan-cell",
      editRow(plain, 5, (c) => [c[0], "nan", c[2]]),
      "error",
      { codes: ["E_NON_FINITE", "E_CSV"] },
    ),
    csvCase(
      "inf-cell",
      editRow(plain, 5, (c) => [c[0], "-Infinity", c[2]]),
      "error",
      { codes: ["E_NON_FINITE", "E_CSV"] },
    ),
    csvCase(
      "overflow-cell",
      editRow(plain, 5, (c) => [c[0], "1e400", c[2]]),
      "error",
      { codes: ["E_NON_FINITE", "E_CSV", "E_RANGE"] },
    ),
    csvCase(
      "beyond-float32-cell",
      editRow(plain, 5, (c) => [c[0], "1e39", c[2]]),
      "error",
      { codes: ["E_NON_FINITE", "E_CSV", "E_RANGE"] },
    ),
    csvCase(
      "hex-cell",
      editRow(plain, 5, (c) => [c[0], "0x10", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "underscore-cell",
      editRow(plain, 5, (c) => [c[0], "1_000", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "comma-decimal",
      editRow(plain, 5, (c) => [c[0], "1", "5", c[2]]),
      "error",
      { codes: ["E_CSV"], names: ["line 6"] },
    ),
    csvCase("semicolons", plain.replace(/,/g, ";"), "error"),
    csvCase("unterminated-quote", `1,"2,3\n4,5,6\n7,8,9\n`, "error", { codes: ["E_CSV"] }),
    csvCase("text-after-quote", `1,"2"x,3\n4,5,6\n7,8,9\n`, "error", { codes: ["E_CSV"] }),
    csvCase(
      "nul-byte",
      editRow(plain, 1, (c) => [c[0], "1\u00002", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "escape-in-cell",
      editRow(plain, 1, (c) => [c[0], "\u001b[2J", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "c1-in-cell",
      editRow(plain, 1, (c) => [c[0], "\u009b31m", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "html-in-cell",
      editRow(plain, 1, (c) => [c[0], "<script>alert(1)</script>", c[2]]),
      "error",
      { codes: ["E_CSV"] },
    ),
    csvCase(
      "long-cell",
      editRow(plain, 1, (c) => [c[0], "9".repeat(100_000), c[2]]),
      "error",
      { codes: ["E_CSV", "E_NON_FINITE", "E_RANGE"] },
    ),
    csvCase(
      "long-digits",
      editRow(plain, 1, (c) => [c[0], "0." + "3".repeat(5000), c[2]]),
      "either",
    ),
    csvCase("quoted-newline-in-header", `"a\nb",c,d\n` + plain, "ok", { check: knnAgainst(m) }),
    csvCase(
      "10000-columns",
      Array.from({ length: 4 }, (_, i) =>
        Array.from({ length: 10_000 }, (_, j) => ((i * 7 + j) % 13) / 10).join(","),
      ).join("\n") + "\n",
      "either",
      {
        check: knnAgainst({
          rows: 4,
          cols: 10_000,
          data: Float32Array.from({ length: 40_000 }, (_, t) =>
            Math.fround(((Math.floor(t / 10_000) * 7 + (t % 10_000)) % 13) / 10),
          ),
        }),
      },
    ),
  ];
  // A million rows, streamed: CKA of a column with itself is 1.
  cases.push({
    id: "readers/csv/1000000-rows",
    family: "readers",
    prepare: (dir) => {
      write(
        dir,
        "x.csv",
        "x\n" +
          Array.from({ length: 1_000_000 }, (_, i) => String((i * 7919) % 1000)).join("\n") +
          "\n",
      );
      return {
        argv: ["cka", "x.csv", "x.csv"],
        expect: "ok",
        check: ({ result }) =>
          Math.abs(JSON.parse(result.stdout).cka - 1) < 1e-9
            ? null
            : `CKA of a column with itself is ${result.stdout.trim()}`,
      };
    },
  });
  // Truncation and bit flips of the headed file: the reference reading of what is left.
  const random = rng(seedOf("readers/csv"));
  for (let t = 0; t < 12; t++) {
    const cut = randomInt(random, header.length);
    cases.push(csvCase(`truncated-at-${cut}`, header.slice(0, cut), "either"));
  }
  const flipped = new Set<string>();
  for (let f = 0; f < 16; f++) {
    let at: number;
    let bit: number;
    do {
      at = randomInt(random, header.length);
      bit = randomInt(random, 7);
    } while (flipped.has(`${at}.${bit}`));
    flipped.add(`${at}.${bit}`);
    const text =
      header.slice(0, at) +
      String.fromCharCode(header.charCodeAt(at) ^ (1 << bit)) +
      header.slice(at + 1);
    cases.push(csvCase(`bit-${at}.${bit}`, text, "either"));
  }
  return cases;
}
