/**
 * Numeric CSV/TSV tables (RFC 4180 quoting, CRLF or LF, empty lines skipped) to and from a
 * Matrix. Every cell must be a number; "nan" and "inf" in any case are read as NumPy's
 * `savetxt` writes them (finiteness is checked by whoever needs it, not here).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";

export interface CsvOptions {
  /** File name for error messages. Defaults to "data.csv". */
  name?: string;
  /**
   * Whether the first row holds column names. Defaults to "auto": it does when any of its cells
   * is not a number. A leading "#" on the first name is dropped (numpy.savetxt's header).
   */
  header?: boolean | "auto";
  /** Field separator. Defaults to "auto": tab when the first line has more tabs than commas. */
  delimiter?: "," | "\t" | "auto";
}

export interface CsvTable {
  /** Column names, or null when the file has no header row. */
  columns: string[] | null;
  matrix: Matrix;
}

const defaults = { name: "data.csv", header: "auto", delimiter: "auto" } as const;

/** Written so that no two parts can match the same digits: backtracking stays linear. */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN = /^nan$/i;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
/** float32 needs at most 9 significant digits to round-trip (IEEE 754-2008, 5.12.2). */
const FLOAT32_ROUND_TRIP_DIGITS = 9;
/** How much of an offending cell a message quotes. */
const QUOTE_LENGTH = 40;
/** Initial capacity of the growing value buffer. */
const INITIAL_CAPACITY = 1024;

/**
 * Parse a numeric CSV/TSV text into a Matrix and optional column names.
 *
 * @example
 * const { columns, matrix } = readCsv(await file.text(), { name: file.name });
 */
export function readCsv(text: string, options: CsvOptions = {}): CsvTable {
  const { name, header, delimiter: wanted } = { ...defaults, ...options };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // byte-order mark
  const delimiter = wanted === "auto" ? guessDelimiter(body) : wanted;

  let columns: string[] | null = null;
  let cols = -1;
  let firstLine = 0;
  let values = new Float32Array(INITIAL_CAPACITY);
  let count = 0;

  forEachRecord(body, delimiter, name, (fields, line) => {
    if (cols === -1) {
      cols = fields.length;
      firstLine = line;
      const isHeader =
        header === "auto" ? fields.some((field) => parseNumber(field) === undefined) : header;
      if (isHeader) {
        columns = fields.map((field) => field.trim());
        columns[0] = columns[0].replace(/^#\s*/, "");
        return;
      }
    }
    if (fields.length !== cols) {
      throw new HiddenAtlasError(
        "E_CSV",
        `${name} line ${line}: ${fields.length} fields, expected ${cols} as on line ${firstLine}`,
        { file: name, line },
      );
    }
    if (count + cols > values.length) {
      const grown = new Float32Array(Math.max(values.length * 2, count + cols));
      grown.set(values);
      values = grown;
    }
    for (let c = 0; c < cols; c++) {
      const value = parseNumber(fields[c]);
      if (value === undefined) {
        throw new HiddenAtlasError(
          "E_CSV",
          `${name} line ${line}, column ${c + 1}: '${excerpt(fields[c])}' is not a number`,
          { file: name, line, column: c + 1, value: fields[c] },
        );
      }
      values[count++] = value;
    }
  });
  const width = Math.max(cols, 0);
  const rows = width === 0 ? 0 : count / width;
  return { columns, matrix: { rows, cols: width, data: values.slice(0, count) } };
}

/**
 * Write a matrix as CSV: an optional header row, then one row per sample, each value the
 * shortest decimal that reads back as the same float32 ("nan", "inf", "-inf" as NumPy writes).
 */
export function writeCsv(matrix: Matrix, columns?: readonly string[]): string {
  if (columns !== undefined && columns.length !== matrix.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `writeCsv: ${columns.length} column names for a matrix of ${matrix.cols} columns`,
    );
  }
  const lines: string[] = [];
  if (columns !== undefined) lines.push(columns.map(quoteField).join(","));
  for (let r = 0; r < matrix.rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < matrix.cols; c++) {
      cells.push(formatFloat32(matrix.data[r * matrix.cols + c]));
    }
    lines.push(cells.join(","));
  }
  return lines.map((line) => line + "\n").join("");
}

/** A cell as a number, or undefined when it is not one. Surrounding blanks are ignored. */
function parseNumber(field: string): number | undefined {
  const cell = field.trim();
  if (NUMBER.test(cell)) return Number(cell);
  if (NAN.test(cell)) return NaN;
  const infinity = INFINITY.exec(cell);
  if (infinity !== null) return infinity[1] === "-" ? -Infinity : Infinity;
  return undefined;
}

/** Tab when the first non-blank line has more tabs than commas (quotes are not looked into). */
function guessDelimiter(text: string): "," | "\t" {
  const first = text.search(/\S/);
  if (first < 0) return ",";
  const start = Math.max(text.lastIndexOf("\n", first), text.lastIndexOf("\r", first)) + 1;
  const ends = [text.indexOf("\n", first), text.indexOf("\r", first)].filter((i) => i >= 0);
  const line = text.slice(start, ends.length > 0 ? Math.min(...ends) : text.length);
  return line.split("\t").length > line.split(",").length ? "\t" : ",";
}

/**
 * Call `onRecord` with the fields of each record and the (1-based) line it starts on. Quoted
 * fields may hold delimiters, doubled quotes and newlines. Blank lines are skipped.
 */
function forEachRecord(
  text: string,
  delimiter: string,
  name: string,
  onRecord: (fields: string[], line: number) => void,
): void {
  const endsField = (c: string) => c === delimiter || c === "\r" || c === "\n";
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const recordLine = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let field = "";
      while (text[at] === " ") at++;
      if (text[at] === '"') {
        quotedAny = true;
        const quoteLine = line;
        at++;
        for (;;) {
          if (at >= text.length) {
            throw new HiddenAtlasError(
              "E_CSV",
              `${name} line ${quoteLine}: unterminated quoted field`,
              { file: name, line: quoteLine },
            );
          }
          const c = text[at++];
          if (c === '"') {
            if (text[at] !== '"') break;
            at++;
          }
          if (c === "\n") line++;
          field += c;
        }
        while (text[at] === " ") at++;
        if (at < text.length && !endsField(text[at])) {
          throw new HiddenAtlasError(
            "E_CSV",
            `${name} line ${line}: unexpected '${text[at]}' after a closing quote`,
            { file: name, line },
          );
        }
      } else {
        const start = at;
        while (at < text.length && !endsField(text[at])) at++;
        field = text.slice(start, at);
      }
      fields.push(field);
      if (text[at] === delimiter) {
        at++;
        continue;
      }
      if (text[at] === "\r") at++;
      if (text[at] === "\n") at++;
      line++;
      break;
    }
    const blank = !quotedAny && fields.length === 1 && fields[0].trim() === "";
    if (!blank) onRecord(fields, recordLine);
  }
}

function excerpt(cell: string): string {
  return cell.length > QUOTE_LENGTH ? `${cell.slice(0, QUOTE_LENGTH)}...` : cell;
}

function quoteField(field: string): string {
  return /[",\r\n\t]|^\s|\s$/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** The shortest decimal that reads back as the same float32 (at most 9 significant digits). */
function formatFloat32(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  for (let digits = 1; digits < FLOAT32_ROUND_TRIP_DIGITS; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(FLOAT32_ROUND_TRIP_DIGITS)));
}
