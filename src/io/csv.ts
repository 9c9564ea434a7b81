/**
 * Numeric CSV/TSV tables (RFC 4180 quoting, CRLF or LF, empty lines skipped) to and from a
 * Matrix. Every cell must be a number; "nan" and "inf" in any case are read as NumPy's
 * `savetxt` writes them (finiteness is checked by whoever needs it, not here); a number written
 * in decimals beyond float32's range (1e39) is E_RANGE naming its line and column, not Infinity.
 *
 * The first row is a header when all its cells are non-numeric; a row mixing numbers and
 * other cells is refused, naming the row, column and cell, so that a data row with one bad
 * cell is never taken for a header (and silently dropped). Text is parsed as it arrives
 * (`CsvReader`): a file is read in chunks of bytes and never held as one string, so its size
 * is bounded by the memory budget for its values, not by the engine's longest string.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { assertWithinBudget, memoryBudget } from "./limits.ts";

export interface CsvOptions {
  /** File name for error messages. Defaults to "data.csv". */
  name?: string;
  /**
   * Whether the first row holds column names. Defaults to "auto": it does when none of its
   * cells is a number (a row mixing both is an error). A leading "#" on the first name is
   * dropped (numpy.savetxt's header).
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
/**
 * Longest field read (characters): a number or a column name is far shorter, and an unfinished
 * record is scanned again with every chunk, so a longer field would cost time quadratic in it.
 */
export const MAX_FIELD_CHARS = 1 << 20;
/** Initial capacity of the growing value buffer. */
const INITIAL_CAPACITY = 1024;
const QUOTE = 0x22;
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Parse a numeric CSV/TSV text into a Matrix and optional column names.
 *
 * @example
 * const { columns, matrix } = readCsv(await file.text(), { name: file.name });
 */
export function readCsv(text: string, options: CsvOptions = {}): CsvTable {
  const reader = new CsvReader(options);
  reader.push(text);
  return reader.end();
}

/**
 * Parse CSV bytes (UTF-8) arriving in chunks, e.g. from a file stream or a Blob's stream.
 *
 * @example
 * const { matrix } = await readCsvChunks(createReadStream("acts.csv"), { name: "acts.csv" });
 */
export async function readCsvChunks(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: CsvOptions = {},
): Promise<CsvTable> {
  const reader = new CsvReader(options);
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of chunks) reader.push(decoder.decode(chunk, { stream: true }));
  reader.push(decoder.decode());
  return reader.end();
}

/**
 * An incremental CSV parser: `push` text as it arrives (records may span pushes), then `end`.
 * Only the unfinished last record of each push is kept between pushes.
 */
export class CsvReader {
  private readonly name: string;
  private readonly header: boolean | "auto";
  private readonly wanted: "," | "\t" | "auto";
  private delimiter = -1;
  private pending = "";
  /** Length `pending` must reach (without a line break) before it is scanned again. */
  private rescanAt = 0;
  /** Line on which `pending` starts (1-based). */
  private line = 1;
  private started = false;
  private columns: string[] | null = null;
  private cols = -1;
  private firstLine = 0;
  private values = new Float32Array(INITIAL_CAPACITY);
  private count = 0;

  constructor(options: CsvOptions = {}) {
    const { name, header, delimiter } = { ...defaults, ...options };
    this.name = name;
    this.header = header;
    this.wanted = delimiter;
  }

  /** Parse the complete records in `text` (after what earlier pushes left unfinished). */
  push(text: string): void {
    // A chunk without a line break cannot finish the record under way, and scanning that
    // unfinished record again with every chunk would cost time quadratic in its length: it is
    // scanned again only once it has doubled (so an overlong field is still caught by twice
    // MAX_FIELD_CHARS).
    if (this.pending.length + text.length < this.rescanAt && !/[\r\n]/.test(text)) {
      this.pending += text;
      return;
    }
    this.parse(this.pending + text, false);
    this.rescanAt = 2 * this.pending.length;
  }

  /** Parse what is left and return the table. */
  end(): CsvTable {
    this.parse(this.pending, true);
    const width = Math.max(this.cols, 0);
    const rows = width === 0 ? 0 : this.count / width;
    return {
      columns: this.columns,
      matrix: { rows, cols: width, data: this.values.slice(0, this.count) },
    };
  }

  private parse(text: string, final: boolean): void {
    this.pending = "";
    if (!this.started) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark
      if (this.wanted !== "auto") this.delimiter = this.wanted.charCodeAt(0);
      else {
        const delimiter = guessDelimiter(text, final);
        if (delimiter === undefined) {
          this.pending = text;
          return;
        }
        this.delimiter = delimiter.charCodeAt(0);
      }
      this.started = true;
    }
    const { name, delimiter } = this;
    const endsField = (c: number) => c === delimiter || c === CR || c === LF;
    let at = 0;
    let line = this.line;
    while (at < text.length) {
      const recordStart = at;
      const recordLine = line;
      const fields: string[] = [];
      let quotedAny = false;
      let complete = true;
      record: for (;;) {
        while (text.charCodeAt(at) === SPACE) at++;
        let field: string;
        if (text.charCodeAt(at) === QUOTE) {
          quotedAny = true;
          const quoteLine = line;
          let piece = "";
          let from = at + 1;
          for (;;) {
            const close = text.indexOf('"', from);
            if ((close < 0 ? text.length : close) - at > MAX_FIELD_CHARS)
              throw fieldTooLong(name, quoteLine, fields.length + 1);
            if (close < 0 || (close === text.length - 1 && !final)) {
              if (!final) {
                complete = false;
                break record;
              }
              throw new HiddenAtlasError(
                "E_CSV",
                `${name} line ${quoteLine}: unterminated quoted field`,
                {
                  file: name,
                  line: quoteLine,
                },
              );
            }
            piece += text.slice(from, close);
            if (text.charCodeAt(close + 1) === QUOTE) {
              piece += '"';
              from = close + 2;
              continue;
            }
            at = close + 1;
            break;
          }
          line += countNewlines(piece);
          field = piece;
          while (text.charCodeAt(at) === SPACE) at++;
          if (at >= text.length && !final) {
            complete = false;
            break;
          }
          if (at < text.length && !endsField(text.charCodeAt(at))) {
            throw new HiddenAtlasError(
              "E_CSV",
              `${name} line ${line}: unexpected '${text[at]}' after a closing quote`,
              {
                file: name,
                line,
              },
            );
          }
        } else {
          const start = at;
          while (at < text.length && !endsField(text.charCodeAt(at))) at++;
          if (at - start > MAX_FIELD_CHARS) throw fieldTooLong(name, line, fields.length + 1);
          if (at >= text.length && !final) {
            complete = false;
            break;
          }
          field = text.slice(start, at);
        }
        fields.push(field);
        const c = text.charCodeAt(at);
        if (c === delimiter) {
          at++;
          continue;
        }
        if (c === CR) {
          if (at + 1 >= text.length && !final) {
            complete = false; // "\r" may be the first half of "\r\n"
            break;
          }
          at++;
        }
        if (text.charCodeAt(at) === LF) at++;
        line++;
        break;
      }
      if (!complete) {
        this.pending = text.slice(recordStart);
        this.line = recordLine;
        return;
      }
      const blank = !quotedAny && fields.length === 1 && fields[0].trim() === "";
      if (!blank) this.record(fields, recordLine);
    }
    this.line = line;
  }

  private record(fields: string[], line: number): void {
    const { name } = this;
    if (this.cols === -1) {
      this.cols = fields.length;
      this.firstLine = line;
      if (this.header === true || (this.header === "auto" && isHeader(fields, line, name))) {
        const columns = fields.map((field) => field.trim());
        columns[0] = columns[0].replace(/^#\s*/, "");
        this.columns = columns;
        return;
      }
    }
    const cols = this.cols;
    if (fields.length !== cols) {
      throw new HiddenAtlasError(
        "E_CSV",
        `${name} line ${line}: ${fields.length} fields, expected ${cols} as on line ${this.firstLine}`,
        { file: name, line },
      );
    }
    if (this.count + cols > this.values.length) {
      assertWithinBudget(this.count + cols, `the values up to line ${line}`, name);
      // Doubling, but never past the budget (the check above guarantees count + cols fits).
      const cap = Math.floor(memoryBudget() / Float32Array.BYTES_PER_ELEMENT);
      const grown = new Float32Array(
        Math.max(Math.min(this.values.length * 2, cap), this.count + cols),
      );
      grown.set(this.values);
      this.values = grown;
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
      // A number written in decimals that float32 cannot hold (1e39, 1e400): not an infinity.
      if (!Number.isFinite(Math.fround(value)) && NUMBER.test(fields[c].trim())) {
        throw new HiddenAtlasError(
          "E_RANGE",
          `${name} line ${line}, column ${c + 1}: ${excerpt(fields[c].trim())} is beyond float32's range (±3.4e38) in which values are kept; rescale the data`,
          { file: name, line, column: c + 1, value: fields[c] },
        );
      }
      this.values[this.count++] = value;
    }
  }
}

/**
 * Whether a first row is a header: all cells non-numeric. A row mixing numbers and other
 * cells is neither a header nor data: E_CSV naming the first cell unlike the row's first.
 */
function isHeader(fields: readonly string[], line: number, name: string): boolean {
  const numeric = fields.map((field) => parseNumber(field) !== undefined);
  const odd = numeric.findIndex((isNumber) => isNumber !== numeric[0]);
  if (odd < 0) return !numeric[0];
  const cell = fields[odd];
  const kind = numeric[odd] ? "is a number but" : "is not a number but";
  throw new HiddenAtlasError(
    "E_CSV",
    `${name} line ${line}, column ${odd + 1}: '${excerpt(cell)}' ${kind} column 1 ('${excerpt(fields[0])}') ` +
      `is${numeric[0] ? "" : " not"}: a header row must have no numeric cells and a data row ` +
      `only numbers (pass header: true to take the first row as column names)`,
    { file: name, line, column: odd + 1, value: cell },
  );
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
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

/**
 * Tab when the first non-blank line has more tabs than commas (quotes are not looked into);
 * undefined while that line is not complete and more text may come.
 */
function guessDelimiter(text: string, final: boolean): "," | "\t" | undefined {
  const first = text.search(/\S/);
  if (first < 0) return final ? "," : undefined;
  const start = Math.max(text.lastIndexOf("\n", first), text.lastIndexOf("\r", first)) + 1;
  const ends = [text.indexOf("\n", first), text.indexOf("\r", first)].filter((i) => i >= 0);
  // The first line's first MAX_FIELD_CHARS decide when it runs on longer (waiting for its end
  // would scan the whole text again with every chunk).
  if (ends.length === 0 && !final && text.length - first <= MAX_FIELD_CHARS) return undefined;
  const line = text.slice(start, ends.length > 0 ? Math.min(...ends) : text.length);
  return line.split("\t").length > line.split(",").length ? "\t" : ",";
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

function fieldTooLong(name: string, line: number, column: number): HiddenAtlasError {
  return new HiddenAtlasError(
    "E_CSV",
    `${name} line ${line}, column ${column}: a field longer than ${MAX_FIELD_CHARS} characters; a number or column name is far shorter`,
    { file: name, line, column },
  );
}
