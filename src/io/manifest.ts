/**
 * The activation bundle's manifest.json (DESIGN.md, "Data in: the activation bundle"): strict
 * validation with messages that name the field and what was expected, and the list of files a
 * manifest refers to. Checks that need the files themselves live in `bundle.ts`.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { formatShape } from "./ndarray.ts";

/** The format string of this version of the bundle contract. */
export const BUNDLE_FORMAT = "hidden-atlas/1";
export const MANIFEST_FILE = "manifest.json";

export type Task = "classification" | "regression";
export type LayerKind = "dense" | "conv";

export interface LayerEntry {
  name: string;
  /** Path of the .npy file, relative to the bundle root, "/"-separated. */
  file: string;
  /** The file's shape; shape[0] is the number of samples. */
  shape: number[];
  /** Defaults to "conv" for rank >= 3 (N x C x ...) and "dense" otherwise; see `layerKind`. */
  kind?: LayerKind;
}

export interface ModelEntry {
  spec: Record<string, unknown>;
  parameters: string;
  /** Factor turning the bundle's `inputs` into the network's inputs (e.g. 1/16 for 0–16 pixels). */
  inputScale?: number;
  /** Bundle layer name → the network layer whose output it stores. */
  layers?: Record<string, string>;
}

export interface CheckpointEntry {
  epoch: number;
  layers: LayerEntry[];
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  name: string;
  task: Task;
  samples: number;
  classNames?: string[];
  layers: LayerEntry[];
  /** N x ... inputs (e.g. images, for thumbnails). */
  inputs?: string;
  /** N integer class indices. */
  labels?: string;
  /** N or N x K regression targets. */
  targets?: string;
  /** N or N x K predictions (class scores or regressed values). */
  predictions?: string;
  /** N uint8: 0 train, 1 test. */
  split?: string;
  /** Layer activations at training checkpoints (training dynamics, M-PHATE). */
  checkpoints?: CheckpointEntry[];
  /**
   * Integer indices of the samples whose activations the checkpoints hold (a fixed "trace
   * set", e.g. 10 images per class); checkpoint layers then have one row per trace entry.
   * Without it, checkpoint layers have one row per sample.
   */
  trace?: string;
  /**
   * The trained network itself, so analyses can run it (e.g. FGSM needs input gradients):
   * `spec` is a Hidden Atlas network description (src/algo/nn/spec.ts; checked when the
   * network is built) and `parameters` a 1-d float32 file of its weights and biases.
   */
  model?: ModelEntry;
  /** Free-form facts a recipe records (accuracies, hyperparameters). */
  meta?: Record<string, unknown>;
}

/** A file a manifest refers to, and the field that names it (for messages). */
export interface BundleFileRef {
  field: string;
  file: string;
}

const TASKS: readonly Task[] = ["classification", "regression"];
const KINDS: readonly LayerKind[] = ["dense", "conv"];
const ROLE_FIELDS = ["inputs", "labels", "targets", "predictions", "split"] as const;
const MANIFEST_FIELDS = [
  "format",
  "name",
  "task",
  "samples",
  "classNames",
  "layers",
  ...ROLE_FIELDS,
  "checkpoints",
  "trace",
  "model",
  "meta",
];
const LAYER_FIELDS = ["name", "file", "shape", "kind"];
const CHECKPOINT_FIELDS = ["epoch", "layers"];
/** The smallest rank a conv activation can have: samples x channels x at least one spatial axis. */
const CONV_MIN_RANK = 3;
/** How much of an offending value a message quotes. */
const QUOTE_LENGTH = 60;
/**
 * How deeply the free-form parts (meta, model.spec) may nest. Printing or copying a value
 * recurses (JSON.stringify, structured clone), and a few thousand levels overflow the stack;
 * no honest manifest comes near this.
 */
export const MAX_MANIFEST_DEPTH = 64;

/** Parse manifest text; a JSON syntax error is E_MANIFEST carrying the parser's message. */
export function parseManifest(text: string, source = MANIFEST_FILE): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HiddenAtlasError(
      "E_MANIFEST",
      `${source} is not valid JSON: ${(error as Error).message}`,
      { file: source },
    );
  }
  return validateManifest(json, source);
}

/**
 * Check a parsed manifest against the bundle contract and return a clean copy. Throws
 * E_MANIFEST (or E_SHAPE_MISMATCH when a declared shape disagrees with `samples`) naming the
 * field and what was expected. `source` names the manifest in messages.
 */
export function validateManifest(json: unknown, source = MANIFEST_FILE): Manifest {
  const check = new Checker(source);
  const m = check.object(json, "manifest", MANIFEST_FIELDS);
  if (m.format !== BUNDLE_FORMAT) check.fail("format", `"${BUNDLE_FORMAT}"`, m.format);
  const name = check.nonEmptyString(m.name, "name");
  if (!TASKS.includes(m.task as Task)) {
    check.fail("task", `"classification" or "regression"`, m.task);
  }
  const task = m.task as Task;
  const samples = m.samples;
  if (!Number.isSafeInteger(samples) || (samples as number) < 1) {
    check.fail("samples", "a positive integer", samples);
  }
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    name,
    task,
    samples: samples as number,
    layers: check.layers(m.layers, "layers", samples as number),
  };
  if (m.classNames !== undefined) {
    if (task !== "classification") {
      check.fail("classNames", "no classNames for a regression task", m.classNames);
    }
    manifest.classNames = check.classNames(m.classNames);
  }
  for (const field of ROLE_FIELDS) {
    if (m[field] !== undefined) manifest[field] = check.path(m[field], field);
  }
  if (m.trace !== undefined) {
    if (m.checkpoints === undefined) check.fail("trace", "no trace without checkpoints", m.trace);
    manifest.trace = check.path(m.trace, "trace");
  }
  if (m.checkpoints !== undefined) {
    // With a trace, checkpoint rows are counted against the trace file when it is read.
    manifest.checkpoints = check.checkpoints(
      m.checkpoints,
      m.trace === undefined ? (samples as number) : null,
    );
  }
  if (m.model !== undefined) {
    const model = check.object(m.model, "model", ["spec", "parameters", "inputScale", "layers"]);
    check.depth(model.spec, "model.spec");
    manifest.model = {
      spec: { ...check.object(model.spec, "model.spec", null) },
      parameters: check.path(model.parameters, "model.parameters"),
    };
    if (model.inputScale !== undefined) {
      if (
        typeof model.inputScale !== "number" ||
        !Number.isFinite(model.inputScale) ||
        model.inputScale <= 0
      )
        check.fail("model.inputScale", "a positive number", model.inputScale);
      manifest.model.inputScale = model.inputScale as number;
    }
    if (model.layers !== undefined) {
      const layers = check.object(model.layers, "model.layers", null);
      for (const [name, source] of Object.entries(layers)) {
        if (!manifest.layers.some((l) => l.name === name))
          check.fail(`model.layers.${name}`, "the name of a bundle layer", name);
        if (typeof source !== "string" || source === "")
          check.fail(`model.layers.${name}`, "a network layer name", source);
      }
      manifest.model.layers = { ...(layers as Record<string, string>) };
    }
  }
  if (m.meta !== undefined) {
    check.depth(m.meta, "meta");
    manifest.meta = { ...check.object(m.meta, "meta", null) };
  }
  return manifest;
}

/** Every file the manifest refers to, in manifest order, with the field naming it. */
export function bundleFiles(manifest: Manifest): BundleFileRef[] {
  const refs: BundleFileRef[] = manifest.layers.map((layer, i) => ({
    field: `layers[${i}].file`,
    file: layer.file,
  }));
  for (const field of ROLE_FIELDS) {
    const file = manifest[field];
    if (file !== undefined) refs.push({ field, file });
  }
  if (manifest.trace !== undefined) refs.push({ field: "trace", file: manifest.trace });
  if (manifest.model !== undefined)
    refs.push({ field: "model.parameters", file: manifest.model.parameters });
  manifest.checkpoints?.forEach((checkpoint, c) =>
    checkpoint.layers.forEach((layer, i) =>
      refs.push({ field: `checkpoints[${c}].layers[${i}].file`, file: layer.file }),
    ),
  );
  return refs;
}

/** A layer's kind: the declared one, else "conv" for rank >= 3 and "dense" otherwise. */
export function layerKind(entry: { shape: readonly number[]; kind?: LayerKind }): LayerKind {
  return entry.kind ?? (entry.shape.length >= CONV_MIN_RANK ? "conv" : "dense");
}

/** True for a "/"-separated path inside the bundle: no "..", ".", "\", ":" or leading "/". */
export function isBundlePath(path: unknown): path is string {
  return (
    typeof path === "string" &&
    !/[\\:\0]/.test(path) &&
    path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..")
  );
}

/** Field checks that throw E_MANIFEST naming the manifest, the field and what was expected. */
class Checker {
  constructor(private readonly source: string) {}

  fail(field: string, expected: string, got: unknown): never {
    throw new HiddenAtlasError(
      "E_MANIFEST",
      `${this.source}: ${field}: expected ${expected}, got ${quote(got)}`,
      { file: this.source, field },
    );
  }

  /** A plain object whose keys are all in `allowed` (any keys when `allowed` is null). */
  object(
    value: unknown,
    field: string,
    allowed: readonly string[] | null,
  ): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(field, "an object", value);
    }
    const record = value as Record<string, unknown>;
    const unknown = Object.keys(record).find((key) => allowed !== null && !allowed.includes(key));
    if (unknown !== undefined) {
      throw new HiddenAtlasError(
        "E_MANIFEST",
        `${this.source}: ${field} has an unknown field "${unknown}" (expected only ` +
          `${allowed!.join(", ")}; put free-form facts under "meta")`,
        { file: this.source, field: `${field}.${unknown}` },
      );
    }
    return record;
  }

  nonEmptyString(value: unknown, field: string): string {
    if (typeof value !== "string" || value === "") this.fail(field, "a non-empty string", value);
    return value;
  }

  path(value: unknown, field: string): string {
    if (!isBundlePath(value)) {
      this.fail(field, `a relative path inside the bundle such as "layers/fc1.npy"`, value);
    }
    if (value === MANIFEST_FILE)
      this.fail(field, `a data file such as "layers/fc1.npy", not the manifest itself`, value);
    return value;
  }

  classNames(value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string")) {
      this.fail("classNames", "a non-empty array of strings", value);
    }
    const seen = new Set<string>();
    for (const name of value as string[]) {
      if (seen.has(name)) this.fail("classNames", "distinct names", name);
      seen.add(name);
    }
    return [...value];
  }

  /**
   * E_MANIFEST when `value` nests objects or arrays more than MAX_MANIFEST_DEPTH deep
   * (checked without recursion, so the check itself cannot overflow).
   */
  depth(value: unknown, field: string): void {
    const stack: [unknown, number][] = [[value, 1]];
    while (stack.length > 0) {
      const [item, depth] = stack.pop()!;
      if (typeof item !== "object" || item === null) continue;
      if (depth > MAX_MANIFEST_DEPTH) {
        throw new HiddenAtlasError(
          "E_MANIFEST",
          `${this.source}: ${field} is nested more than ${MAX_MANIFEST_DEPTH} levels deep ` +
            `(flatten it: free-form facts need no deeper structure)`,
          { file: this.source, field },
        );
      }
      for (const child of Object.values(item)) stack.push([child, depth + 1]);
    }
  }

  /** `samples` null: rows are checked later (checkpoints with a trace). */
  layers(value: unknown, field: string, samples: number | null): LayerEntry[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(field, "a non-empty array of layers", value);
    }
    const layers = value.map((layer, i) => this.layer(layer, `${field}[${i}]`, samples));
    const first = new Map<string, number>();
    layers.forEach((layer, i) => {
      const earlier = first.get(layer.name);
      if (earlier !== undefined) {
        const expected = `a name not already used by ${field}[${earlier}]`;
        this.fail(`${field}[${i}].name`, expected, layer.name);
      }
      first.set(layer.name, i);
    });
    return layers;
  }

  private layer(value: unknown, field: string, samples: number | null): LayerEntry {
    const l = this.object(value, field, LAYER_FIELDS);
    const shape = l.shape;
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)
    ) {
      this.fail(`${field}.shape`, "an array of non-negative integers [samples, ...]", shape);
    }
    if (samples !== null && shape[0] !== samples) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${this.source}: ${field}.shape ${formatShape(shape)} starts with ${shape[0]}, ` +
          `expected samples = ${samples}`,
        { file: this.source, field: `${field}.shape`, found: shape[0], expected: samples },
      );
    }
    const entry: LayerEntry = {
      name: this.nonEmptyString(l.name, `${field}.name`),
      file: this.path(l.file, `${field}.file`),
      shape: [...shape],
    };
    if (l.kind !== undefined) {
      if (!KINDS.includes(l.kind as LayerKind)) {
        this.fail(`${field}.kind`, `"dense" or "conv"`, l.kind);
      }
      if (l.kind === "conv" && shape.length < CONV_MIN_RANK) {
        const expected = `"dense" for a layer of rank ${shape.length} (conv needs N x C x ...)`;
        this.fail(`${field}.kind`, expected, l.kind);
      }
      entry.kind = l.kind as LayerKind;
    }
    return entry;
  }

  checkpoints(value: unknown, samples: number | null): CheckpointEntry[] {
    if (!Array.isArray(value)) this.fail("checkpoints", "an array", value);
    const checkpoints = value.map((item, c) => {
      const field = `checkpoints[${c}]`;
      const checkpoint = this.object(item, field, CHECKPOINT_FIELDS);
      const epoch = checkpoint.epoch;
      if (typeof epoch !== "number" || !Number.isFinite(epoch) || epoch < 0) {
        this.fail(`${field}.epoch`, "a non-negative number", epoch);
      }
      return { epoch, layers: this.layers(checkpoint.layers, `${field}.layers`, samples) };
    });
    const first = new Map<number, number>();
    checkpoints.forEach(({ epoch }, c) => {
      const earlier = first.get(epoch);
      if (earlier !== undefined) {
        const expected = `an epoch not already used by checkpoints[${earlier}]`;
        this.fail(`checkpoints[${c}].epoch`, expected, epoch);
      }
      first.set(epoch, c);
    });
    return checkpoints;
  }
}

function quote(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
  } catch {
    text = "a value nested too deeply to print"; // JSON.stringify recurses; JSON.parse does not
  }
  return text.length > QUOTE_LENGTH ? `${text.slice(0, QUOTE_LENGTH)}...` : text;
}
