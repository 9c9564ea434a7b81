/**
 * Loading an activation bundle (DESIGN.md, "Data in: the activation bundle") from any
 * BundleSource, with every check the manifest alone cannot make: each file exists, each array
 * has `samples` rows and the declared shape, labels and split hold the values they must, and
 * layer data are finite. Nothing is padded, dropped or reordered; a bundle that breaks the
 * contract is refused with a message naming the file, the manifest field and what was expected.
 *
 * With `lazy: true` (what `openBundle` does) the layers are not read: their .npy headers are,
 * and checked against the manifest, and each layer becomes a `LazyLayer` whose data are
 * streamed in row chunks when an analysis reduces it (`layerMatrix` in src/algo/vectorize.ts),
 * so a layer larger than memory works when its reduced vectors fit. Everything else is read
 * at once: per-sample arrays (small, and checked now), inputs (read directly for thumbnails)
 * and checkpoint layers (M-PHATE reads them whole and unreduced; a trace keeps them small).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import {
  MANIFEST_FILE,
  bundleFiles,
  layerKind,
  parseManifest,
  type LayerEntry,
  type LayerKind,
  type Manifest,
  type Task,
} from "./manifest.ts";
import { checkClassLabels } from "./labels.ts";
import { formatShape, toFloat32, toMatrix, type NdArray } from "./ndarray.ts";
import { readNpy } from "./npy.ts";
import { locateFile, type BundleSource } from "./sources.ts";
import { openStoredArray, type StoredArray } from "./stored.ts";

export interface Layer {
  name: string;
  kind: LayerKind;
  /** The file's shape, [samples, ...]. */
  shape: number[];
  /**
   * Activations, row-major, one sample per row (shape[1..] flattened in C order). A layer
   * opened lazily (`stored` set) has no data in memory: reading this throws E_PARAM, and
   * `layerMatrix` streams the layer instead.
   */
  data: Float32Array;
  /** The file it was read from, relative to the bundle root. */
  file: string;
  /** Where the data lie, for a layer opened lazily. */
  stored?: StoredArray;
}

/**
 * A layer opened lazily: its header was read and checked, its data will be streamed by
 * `layerMatrix`. Structured clone copies its fields (not the `data` getter), so a worker
 * receives `{name, kind, shape, file, stored}` and reads the bytes itself.
 */
export class LazyLayer implements Layer {
  readonly name: string;
  readonly kind: LayerKind;
  readonly shape: number[];
  readonly file: string;
  readonly stored: StoredArray;

  constructor(name: string, kind: LayerKind, shape: number[], file: string, stored: StoredArray) {
    this.name = name;
    this.kind = kind;
    this.shape = shape;
    this.file = file;
    this.stored = stored;
  }

  get data(): Float32Array {
    throw new HiddenAtlasError(
      "E_PARAM",
      `layer '${this.name}' (${this.stored.location.label}) was opened lazily and is not in ` +
        `memory: reduce it with layerMatrix(layer, {method}), or load the bundle with ` +
        `loadBundle(source) to read every layer whole`,
      { layer: this.name },
    );
  }
}

export interface Checkpoint {
  epoch: number;
  layers: Layer[];
}

export interface Bundle {
  /** The validated manifest, with every layer (also those not loaded). */
  manifest: Manifest;
  name: string;
  task: Task;
  samples: number;
  classNames?: string[];
  layers: Layer[];
  inputs?: NdArray;
  /** Class index per sample. */
  labels?: Int32Array;
  targets?: Matrix;
  predictions?: Matrix;
  /** 0 train, 1 test, per sample. */
  split?: Uint8Array;
  checkpoints?: Checkpoint[];
  /** Samples whose activations the checkpoints hold (manifest `trace`), ascending or not. */
  trace?: Int32Array;
  /** The trained network: its description and parameters (manifest `model`). */
  model?: {
    spec: Record<string, unknown>;
    parameters: Float32Array;
    inputScale?: number;
    layers?: Record<string, string>;
  };
  meta?: Record<string, unknown>;
}

export interface LoadBundleOptions {
  /** Accept NaN/±Infinity in layers, targets and predictions. Defaults to false. */
  allowNonFinite?: boolean;
  /** Load only the layers (and checkpoint layers) with these names. Defaults to all. */
  layers?: readonly string[];
  /**
   * Read only the layers' headers now and their data when `layerMatrix` needs them (see the
   * module comment). Defaults to false: every layer is read whole. `openBundle` defaults to true.
   */
  lazy?: boolean;
  /**
   * Read the checkpoints' layers (default true). "lazy" reads only their headers (checked as
   * layers are; their `data` is not in memory, as with `lazy`), false leaves them unread and
   * `bundle.checkpoints` unset: for a reader that needs only the trained layers, e.g. a report
   * that does not look at training dynamics (decoding them is a second of float16 widening on
   * a ResNet-18 export's nine checkpoints).
   */
  checkpoints?: boolean | "lazy";
  /**
   * Read the inputs (default true; they are read whole, for thumbnails). False leaves
   * `bundle.inputs` unset: a reader that only computes on layers (a pool worker) spares their
   * memory (31 MB on a 10,000-image Fashion-MNIST export). "later" reads them when the caller
   * asks (`bundle.readInputs()`, once its own work is under way: the read and the decoding take
   * this thread a quarter of a second on such an export); reading `bundle.inputs` before that
   * read has ended is an E_PARAM error, never an absent value. A function chooses from the
   * validated manifest.
   */
  inputs?: boolean | "later" | ((manifest: Manifest) => boolean | "later");
}

/** A bundle whose inputs are read later (`LoadBundleOptions.inputs`). */
export interface InputsLater {
  /**
   * Read the inputs now (once: later calls give the same promise); settles once `bundle.inputs`
   * can be read, or rejects as reading them at opening would have thrown.
   */
  readInputs?: () => Promise<void>;
}

const defaults = { allowNonFinite: false, lazy: false, checkpoints: true, inputs: true };

/**
 * Read and check a bundle. Throws E_MANIFEST, E_MISSING_FILE, E_SHAPE_MISMATCH, E_NON_FINITE,
 * or whatever the .npy reader throws for a bad file.
 *
 * @example
 * const bundle = await loadBundle(zipSource(bytes, "mnist-mlp.zip"), { layers: ["fc2"] });
 */
export async function loadBundle(
  source: BundleSource,
  options: LoadBundleOptions = {},
): Promise<Bundle> {
  const { allowNonFinite, layers: only, lazy, checkpoints, inputs } = { ...defaults, ...options };
  const manifest = await readManifest(source);
  const wanted = layerFilter(manifest, only);

  for (const { field, file } of bundleFiles(manifest)) {
    if (!(await source.exists(file))) {
      throw new HiddenAtlasError(
        "E_MISSING_FILE",
        `${source.name}: ${field} names ${file}, which is not in the bundle`,
        { file, field },
      );
    }
  }

  const reader = new ArrayReader(source, manifest.samples, allowNonFinite);
  const bundle: Bundle = {
    manifest,
    name: manifest.name,
    task: manifest.task,
    samples: manifest.samples,
    layers: await reader.layers(manifest.layers, "layers", wanted, lazy),
  };
  if (manifest.classNames !== undefined) bundle.classNames = manifest.classNames;
  const readInputs = typeof inputs === "function" ? inputs(manifest) : inputs;
  if (manifest.inputs !== undefined && readInputs === true)
    bundle.inputs = await reader.array(manifest.inputs, "inputs");
  if (manifest.labels !== undefined) {
    bundle.labels = await reader.labels(manifest.labels, manifest.classNames?.length);
  }
  if (manifest.targets !== undefined) {
    bundle.targets = await reader.matrix(manifest.targets, "targets");
  }
  if (manifest.predictions !== undefined) {
    bundle.predictions = await reader.matrix(manifest.predictions, "predictions");
  }
  if (manifest.split !== undefined) bundle.split = await reader.split(manifest.split);
  if (manifest.trace !== undefined)
    bundle.trace = await readTrace(source, manifest.trace, manifest.samples);
  if (manifest.checkpoints !== undefined && checkpoints !== false) {
    const rows = bundle.trace?.length ?? manifest.samples;
    const checkpointReader = new ArrayReader(
      source,
      rows,
      allowNonFinite,
      bundle.trace ? "trace entries" : "manifest samples",
    );
    bundle.checkpoints = [];
    for (const [c, { epoch, layers }] of manifest.checkpoints.entries()) {
      const field = `checkpoints[${c}].layers`;
      bundle.checkpoints.push({
        epoch,
        layers: await checkpointReader.layers(layers, field, wanted, checkpoints === "lazy"),
      });
    }
  }
  if (manifest.model !== undefined) {
    const { spec, parameters, inputScale, layers } = manifest.model;
    bundle.model = {
      ...(await readModel(source, spec, parameters)),
      ...(inputScale !== undefined && { inputScale }),
      ...(layers && { layers }),
    };
  }
  if (manifest.meta !== undefined) bundle.meta = manifest.meta;
  if (manifest.inputs !== undefined && readInputs === "later") {
    const file = manifest.inputs;
    let value: NdArray | undefined;
    let read = false;
    let reading: Promise<void> | undefined;
    Object.defineProperty(bundle, "inputs", {
      get() {
        if (!read)
          throw new HiddenAtlasError(
            "E_PARAM",
            `${manifest.name}: the inputs (${file}) are not read yet; await the bundle's readInputs() first`,
            { field: "inputs", file },
          );
        return value;
      },
      enumerable: true,
      configurable: true,
    });
    (bundle as Bundle & InputsLater).readInputs = () =>
      (reading ??= reader.array(file, "inputs").then((array) => {
        value = array;
        read = true;
      }));
  }
  return bundle;
}

/** The model's parameters: a 1-d array of finite values. */
async function readModel(
  source: BundleSource,
  spec: Record<string, unknown>,
  file: string,
): Promise<{ spec: Record<string, unknown>; parameters: Float32Array }> {
  const label = `${source.name}/${file}`;
  const arr = readNpy(await source.read(file), label);
  if (arr.shape.length !== 1) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${label} (model.parameters) has shape ${formatShape(arr.shape)}, expected a 1-d array`,
      { file, field: "model.parameters" },
    );
  }
  const parameters = toFloat32(arr);
  const bad = parameters.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new HiddenAtlasError(
      "E_NON_FINITE",
      `${label} (model.parameters) has a non-finite value at index ${bad}`,
      { file, row: bad },
    );
  return { spec, parameters };
}

/** The trace: distinct integer sample indices in [0, samples). */
async function readTrace(source: BundleSource, file: string, samples: number): Promise<Int32Array> {
  const label = `${source.name}/${file}`;
  const arr = readNpy(await source.read(file), label);
  if (arr.shape.length !== 1) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${label} (trace) has shape ${formatShape(arr.shape)}, expected a 1-d array of sample indices`,
      { file, field: "trace" },
    );
  }
  const trace = new Int32Array(arr.data.length);
  const seen = new Set<number>();
  for (let i = 0; i < trace.length; i++) {
    const value = arr.data[i];
    if (!Number.isInteger(value) || value < 0 || value >= samples || seen.has(value)) {
      throw new HiddenAtlasError(
        "E_MANIFEST",
        `${label} (trace): entry ${i} is ${value}, expected a distinct integer sample index in [0, ${samples})`,
        { file, field: "trace", row: i, value },
      );
    }
    seen.add(value);
    trace[i] = value;
  }
  return trace;
}

async function readManifest(source: BundleSource): Promise<Manifest> {
  const label = `${source.name}/${MANIFEST_FILE}`;
  if (!(await source.exists(MANIFEST_FILE))) {
    throw new HiddenAtlasError(
      "E_MANIFEST",
      `${source.name}: no ${MANIFEST_FILE} (expected at the root or inside one top-level folder)`,
      { file: label },
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await source.read(MANIFEST_FILE));
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    throw new HiddenAtlasError("E_MANIFEST", `${label} is not valid UTF-8 text`, { file: label });
  }
  return parseManifest(text, label);
}

/** Which layer names to load; E_PARAM for a requested name that no layer has. */
function layerFilter(
  manifest: Manifest,
  only: readonly string[] | undefined,
): (name: string) => boolean {
  if (only === undefined) return () => true;
  const names = new Set(manifest.layers.map((layer) => layer.name));
  for (const checkpoint of manifest.checkpoints ?? []) {
    for (const layer of checkpoint.layers) names.add(layer.name);
  }
  const unknown = only.find((name) => !names.has(name));
  if (unknown !== undefined) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid layers: ${JSON.stringify(unknown)} is not a layer of ${manifest.name} ` +
        `(expected some of ${[...names].join(", ")})`,
      { parameter: "layers" },
    );
  }
  const chosen = new Set(only);
  return (name) => chosen.has(name);
}

/** Reads the arrays of one bundle, checking each against the contract. */
class ArrayReader {
  constructor(
    private readonly source: BundleSource,
    private readonly samples: number,
    private readonly allowNonFinite: boolean,
    /** What `samples` counts, for messages. */
    private readonly rowsAre = "manifest samples",
  ) {}

  /** Read `file` (named by manifest `field`) and check that it has `samples` rows. */
  async array(file: string, field: string): Promise<NdArray> {
    const arr = readNpy(await this.source.read(file), this.label(file));
    this.checkRows(file, field, arr.shape);
    return arr;
  }

  private checkRows(file: string, field: string, shape: readonly number[]): void {
    if (shape.length === 0 || shape[0] !== this.samples) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${this.label(file)} (${field}) has shape ${formatShape(shape)}, expected ${this.samples} rows ` +
          `(${this.rowsAre})`,
        { file, field, found: shape[0] ?? null, expected: this.samples },
      );
    }
  }

  async layers(
    entries: readonly LayerEntry[],
    field: string,
    wanted: (name: string) => boolean,
    lazy = false,
  ): Promise<Layer[]> {
    const layers: Layer[] = [];
    for (const [i, entry] of entries.entries()) {
      if (!wanted(entry.name)) continue;
      layers.push(
        await (lazy
          ? this.lazyLayer(entry, `${field}[${i}]`)
          : this.layer(entry, `${field}[${i}]`)),
      );
    }
    return layers;
  }

  private async layer(entry: LayerEntry, field: string): Promise<Layer> {
    const arr = await this.array(entry.file, `${field}.file`);
    this.checkLayerShape(entry, field, arr.shape);
    const data = toFloat32(arr);
    this.assertFinite(data, arr.shape, `layer '${entry.name}'`, entry.file);
    return { name: entry.name, kind: layerKind(entry), shape: arr.shape, data, file: entry.file };
  }

  /** A layer whose header is read and checked now, and whose data stream when used. */
  private async lazyLayer(entry: LayerEntry, field: string): Promise<LazyLayer> {
    const location = await locateFile(this.source, entry.file);
    const label = this.label(entry.file);
    const stored = await openStoredArray(
      { ...location, label },
      `layer '${entry.name}' (${label})`,
      { finite: !this.allowNonFinite },
    );
    this.checkRows(entry.file, `${field}.file`, stored.shape);
    this.checkLayerShape(entry, field, stored.shape);
    return new LazyLayer(entry.name, layerKind(entry), stored.shape, entry.file, stored);
  }

  private checkLayerShape(entry: LayerEntry, field: string, shape: number[]): void {
    if (formatShape(shape) !== formatShape(entry.shape)) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${this.label(entry.file)} has shape ${formatShape(shape)}, but ${field}.shape in ` +
          `${MANIFEST_FILE} declares ${formatShape(entry.shape)}`,
        { file: entry.file, field: `${field}.shape`, found: shape, expected: entry.shape },
      );
    }
  }

  async matrix(file: string, field: "targets" | "predictions"): Promise<Matrix> {
    const arr = await this.array(file, field);
    const matrix = toMatrix(arr, this.label(file));
    this.assertFinite(matrix.data, arr.shape, field, file);
    return matrix;
  }

  /** Class indices: in [0, classCount), or dense enough to be indices (labels.ts). */
  async labels(file: string, classCount: number | undefined): Promise<Int32Array> {
    const { data } = await this.perSample(file, "labels");
    const what = `${this.label(file)} (labels)`;
    return checkClassLabels(data, what, classCount, { file, field: "labels" }).labels;
  }

  /** 0 (train) or 1 (test) per sample. */
  async split(file: string): Promise<Uint8Array> {
    const { data } = await this.perSample(file, "split");
    const split = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0 && data[i] !== 1) {
        throw new HiddenAtlasError(
          "E_MANIFEST",
          `${this.label(file)} (split): sample ${i} has ${data[i]}, expected 0 (train) or 1 (test)`,
          { file, field: "split", row: i, value: data[i] },
        );
      }
      split[i] = data[i];
    }
    return split;
  }

  /** An array of one value per sample: shape (N,) or (N, 1). */
  private async perSample(file: string, field: string): Promise<NdArray> {
    const arr = await this.array(file, field);
    if (arr.shape.length > 2 || (arr.shape.length === 2 && arr.shape[1] !== 1)) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${this.label(file)} (${field}) has shape ${formatShape(arr.shape)}, expected ` +
          `(${this.samples},): one value per sample`,
        { file, field, found: arr.shape, expected: [this.samples] },
      );
    }
    return arr;
  }

  private assertFinite(
    data: Float32Array,
    shape: readonly number[],
    what: string,
    file: string,
  ): void {
    if (this.allowNonFinite) return;
    const rowLength = data.length / Math.max(shape[0], 1);
    for (let i = 0; i < data.length; i++) {
      const value = data[i];
      if (value - value !== 0) {
        const row = Math.floor(i / rowLength);
        const column = i - row * rowLength;
        throw new HiddenAtlasError(
          "E_NON_FINITE",
          `${what} (${this.label(file)}) has a non-finite value (${value}) at sample ${row}, ` +
            `column ${column}; pass allowNonFinite: true to load it anyway`,
          { file, row, column },
        );
      }
    }
  }

  private label(file: string): string {
    return `${this.source.name}/${file}`;
  }
}
