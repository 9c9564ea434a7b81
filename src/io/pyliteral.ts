/**
 * A strict parser for the Python literals an .npy header is made of: a dict of str keys whose
 * values are strs, ints, bools, None, tuples and lists (NumPy's `descr` of a structured dtype
 * is a list of tuples). Floats, expressions and anything else are refused, so nothing in a
 * header is ever evaluated. Errors are E_NPY_HEADER naming the file and the character offset.
 */
import { HiddenAtlasError } from "../core/errors.ts";

/** A Python tuple, kept apart from a list because NumPy requires `shape` to be a tuple. */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export type PyValue = null | boolean | number | string | PyValue[] | PyTuple | Map<string, PyValue>;

/** Deeper nesting than this is no header NumPy writes; the cap also bounds our recursion. */
const MAX_DEPTH = 32;

/** Sticky, so matching at an offset does not copy the rest of the header. */
const INTEGER = /[-+]?[0-9]+[lL]?/y;

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

const KEYWORDS: Record<string, PyValue> = { True: true, False: false, None: null };

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
};

/** Parse `text` as one Python literal followed only by whitespace. */
export function parsePythonLiteral(text: string, file: string): PyValue {
  const parser = new LiteralParser(text, file);
  const value = parser.value(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail("unexpected text after the header dict");
  return value;
}

class LiteralParser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(problem: string): never {
    throw new HiddenAtlasError(
      "E_NPY_HEADER",
      `${this.file}: malformed .npy header: ${problem} at character ${this.at}`,
      { file: this.file, offset: this.at },
    );
  }

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (this.at < this.text.length && " \t\r\n".includes(this.text[this.at])) this.at++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "{") return this.dict(depth);
    if (c === "(") return this.tuple(depth);
    if (c === "[") return this.sequence("]", depth).items;
    if (c === "'" || c === '"') return this.string();
    if (c === "u" && (this.text[this.at + 1] === "'" || this.text[this.at + 1] === '"')) {
      this.at++; // Python 2 unicode literal, found in headers NumPy wrote under Python 2
      return this.string();
    }
    if (c !== undefined && /[-+0-9]/.test(c)) return this.integer();
    const word = /^[A-Za-z]+/.exec(this.text.slice(this.at, this.at + 8))?.[0] ?? "";
    if (Object.hasOwn(KEYWORDS, word)) {
      this.at += word.length;
      return KEYWORDS[word];
    }
    return this.fail(c === undefined ? "unexpected end" : `unexpected '${c}'`);
  }

  private dict(depth: number): Map<string, PyValue> {
    this.at++; // "{"
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === "}") break;
      const key = this.value(depth + 1);
      if (typeof key !== "string") this.fail("dict keys must be strings");
      if (entries.has(key)) this.fail(`duplicate key '${key}'`);
      this.skipSpace();
      if (this.text[this.at] !== ":") this.fail("expected ':'");
      this.at++;
      entries.set(key, this.value(depth + 1));
      this.skipSpace();
      if (this.text[this.at] === ",") this.at++;
      else if (this.text[this.at] !== "}") this.fail("expected ',' or '}'");
    }
    this.at++; // "}"
    return entries;
  }

  /** "(x)" is x in parentheses, "(x,)" a 1-tuple, as in Python. */
  private tuple(depth: number): PyValue {
    const { items, trailingComma } = this.sequence(")", depth);
    return items.length === 1 && !trailingComma ? items[0] : new PyTuple(items);
  }

  private sequence(close: string, depth: number): { items: PyValue[]; trailingComma: boolean } {
    this.at++; // "(" or "["
    const items: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === close) break;
      items.push(this.value(depth + 1));
      this.skipSpace();
      trailingComma = this.text[this.at] === ",";
      if (trailingComma) this.at++;
      else if (this.text[this.at] !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.at++;
    return { items, trailingComma };
  }

  private string(): string {
    const quote = this.text[this.at++];
    let out = "";
    for (;;) {
      const c = this.text[this.at++];
      if (c === undefined || c === "\n") this.fail("unterminated string");
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const escaped = this.text[this.at++];
      if (escaped !== undefined && Object.hasOwn(SIMPLE_ESCAPES, escaped)) {
        out += SIMPLE_ESCAPES[escaped];
      } else if (escaped === "x" && HEX_PAIR.test(this.text.slice(this.at, this.at + 2))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.at, this.at + 2), 16));
        this.at += 2;
      } else {
        this.fail(`unsupported escape '\\${escaped ?? ""}'`);
      }
    }
  }

  /** A decimal int (Python 2's long suffix "L" accepted); large values become inexact Numbers. */
  private integer(): number {
    INTEGER.lastIndex = this.at;
    const match = INTEGER.exec(this.text);
    if (match === null) return this.fail("expected an integer");
    const next = this.text[this.at + match[0].length];
    if (next === "." || next === "e" || next === "E") {
      this.fail("floats are not allowed in a header");
    }
    this.at += match[0].length;
    return Number(match[0].replace(/[lL]$/, ""));
  }
}
