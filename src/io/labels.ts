/**
 * Labels are class indices: figures, legends and per-class tables allocate one entry per class
 * index, so a label's value must be an index into a class list of sensible length.
 *
 * The rule, checked when a bundle is opened (and by `classCount` for bundles built in code):
 * - with `classNames`, every label is an integer in [0, classNames.length);
 * - without, every label is a non-negative integer and the implied class count C = max + 1 is
 *   at most MAX_CLASSES (65,536) and at most max(256, 2 × the number of distinct labels
 *   present): the labels must be dense enough to be indices, not identifiers such as 10^7 or
 *   a WordNet id. Small counts (up to 256 classes) are always accepted, so a subset that lacks
 *   a few classes still loads; sparser labels need classNames, or remapping to 0…C−1.
 */
import { HiddenAtlasError } from "../core/errors.ts";

/** The most classes labels may imply without classNames. */
export const MAX_CLASSES = 65_536;
/** Up to this many classes, labels need not be dense. */
export const ALWAYS_DENSE_CLASSES = 256;
/** Without classNames, max label + 1 may be at most this many times the distinct labels present. */
export const DENSITY_FACTOR = 2;

/**
 * Check `values` as class labels and return them as an Int32Array with the class count.
 * `what` names the labels in messages (e.g. "bundle/labels.npy (labels)"); `classCount` is
 * classNames.length when the bundle names its classes. Throws E_MANIFEST naming the value,
 * its row and the remedy.
 */
export function checkClassLabels(
  values: ArrayLike<number>,
  what: string,
  classCount?: number,
  details: Record<string, unknown> = {},
): { labels: Int32Array; classes: number } {
  const classes = impliedClasses(values, what, classCount, "E_MANIFEST", details);
  return { labels: Int32Array.from(values), classes };
}

/**
 * The number of classes labels imply (max + 1), refusing labels too sparse to be class indices
 * (the rule above) with E_PARAM; for bundles assembled in code rather than opened.
 */
export function classCount(labels: ArrayLike<number>, what = "labels"): number {
  return impliedClasses(labels, what, undefined, "E_PARAM", {});
}

function impliedClasses(
  values: ArrayLike<number>,
  what: string,
  classCount: number | undefined,
  code: "E_MANIFEST" | "E_PARAM",
  details: Record<string, unknown>,
): number {
  let maxRow = -1;
  let max = -1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (
      !Number.isInteger(value) ||
      value < 0 ||
      (classCount !== undefined && value >= classCount)
    ) {
      const expected =
        classCount === undefined
          ? "a non-negative integer (a class index)"
          : `an integer in [0, ${classCount}) (classNames has ${classCount} names)`;
      throw new HiddenAtlasError(
        code,
        `${what}: sample ${i} has label ${value}, expected ${expected}`,
        {
          ...details,
          row: i,
          value,
        },
      );
    }
    if (value > max) {
      max = value;
      maxRow = i;
    }
  }
  if (classCount !== undefined) return classCount;
  const classes = max + 1;
  if (classes > MAX_CLASSES) throw denseError(code, what, maxRow, max, undefined, details);
  if (classes > ALWAYS_DENSE_CLASSES) {
    const seen = new Set<number>();
    for (let i = 0; i < values.length; i++) seen.add(values[i]);
    const distinct = seen.size;
    if (classes > DENSITY_FACTOR * distinct)
      throw denseError(code, what, maxRow, max, distinct, details);
  }
  return classes;
}

function denseError(
  code: "E_MANIFEST" | "E_PARAM",
  what: string,
  row: number,
  value: number,
  distinct: number | undefined,
  details: Record<string, unknown>,
): HiddenAtlasError {
  const present = distinct === undefined ? "" : ` (${distinct} distinct labels are present)`;
  return new HiddenAtlasError(
    code,
    `${what}: sample ${row} has label ${value}, but without classNames labels are class indices ` +
      `0…C−1 with C ≤ ${MAX_CLASSES} and C ≤ max(${ALWAYS_DENSE_CLASSES}, ${DENSITY_FACTOR} × ` +
      `distinct labels)${present}; give classNames in the manifest or remap the labels to ` +
      `0…${distinct === undefined ? "C−1" : distinct - 1}`,
    { ...details, row, value },
  );
}
