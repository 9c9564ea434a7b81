/**
 * Writing activation bundles: the manifest and .npy files a bundle consists of, as a path ->
 * bytes map (for `writeBundle` in node.ts, a worker, or a download) or as one .zip.
 *
 * File layout: manifest.json; layers/<layer>.npy; checkpoints/epoch-<epoch>/<layer>.npy;
 * inputs.npy, labels.npy (int32), targets.npy, predictions.npy, split.npy (uint8). A layer that
 * already carries a `file` (one read by `loadBundle`) keeps it, so a bundle round-trips.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import {
  BUNDLE_FORMAT,
  MANIFEST_FILE,
  isBundlePath,
  validateManifest,
  type LayerEntry,
  type LayerKind,
  type Manifest,
  type Task,
} from "./manifest.ts";
import { formatShape, type NdArrayLike } from "./ndarray.ts";
import { writeNpy } from "./npy.ts";
import { zipEntries } from "./zip.ts";

export interface LayerInput {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  kind?: LayerKind;
  /** Where to write it; generated from the name when absent. */
  file?: string;
  /** Stored dtype, e.g. "<f2" to halve the size (default "<f4"). */
  dtype?: string;
}

/** What a bundle is written from; a loaded `Bundle` is one. */
export interface BundleInput {
  name: string;
  task: Task;
  classNames?: readonly string[];
  layers: readonly LayerInput[];
  inputs?: NdArrayLike;
  labels?: Int32Array;
  targets?: Matrix;
  predictions?: Matrix;
  split?: Uint8Array;
  checkpoints?: readonly { epoch: number; layers: readonly LayerInput[] }[];
  /** Sample indices the checkpoint layers' rows correspond to (manifest `trace`). */
  trace?: Int32Array;
  /** The trained network (manifest `model`). */
  model?: {
    spec: object;
    parameters: Float32Array;
    inputScale?: number;
    layers?: Record<string, string>;
  };
  meta?: Record<string, unknown>;
}

/** Characters kept when a layer name becomes a file name. */
const UNSAFE_FILE_CHARACTERS = /[^A-Za-z0-9._-]+/g;

/**
 * The files of a bundle, manifest.json first. The manifest is validated and every per-sample
 * array must have `samples` rows (the first layer's first dimension), so what is written loads.
 */
export function encodeBundle(bundle: BundleInput): {
  manifest: Manifest;
  files: Map<string, Uint8Array>;
} {
  const samples = bundle.layers[0]?.shape[0] ?? 0;
  const files = new Map<string, Uint8Array>();
  const claim = (preferred: string | undefined, generated: string, field: string): string => {
    if (preferred !== undefined) {
      if (!isBundlePath(preferred) || files.has(preferred) || preferred === MANIFEST_FILE) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `invalid ${field}: ${JSON.stringify(preferred)} (expected a unique relative path)`,
          { parameter: field },
        );
      }
      return preferred;
    }
    let path = `${generated}.npy`;
    for (let n = 2; files.has(path); n++) path = `${generated}-${n}.npy`;
    return path;
  };
  const put = (path: string, arr: NdArrayLike, field: string) => {
    files.set(path, writeNpy(arr, field));
    return path;
  };
  const layerEntries = (
    layers: readonly LayerInput[],
    folder: string,
    field: string,
  ): LayerEntry[] =>
    layers.map((layer, i) => {
      const at = `${field}[${i}]`;
      const file = claim(layer.file, `${folder}/${fileStem(layer.name)}`, `${at}.file`);
      put(file, layer, at);
      const entry: LayerEntry = { name: layer.name, file, shape: [...layer.shape] };
      if (layer.kind !== undefined) entry.kind = layer.kind;
      return entry;
    });

  const json: Record<string, unknown> = {
    format: BUNDLE_FORMAT,
    name: bundle.name,
    task: bundle.task,
    samples,
  };
  if (bundle.classNames !== undefined) json.classNames = [...bundle.classNames];
  json.layers = layerEntries(bundle.layers, "layers", "layers");
  const perSample: [string, NdArrayLike | undefined][] = [
    ["inputs", bundle.inputs],
    ["labels", bundle.labels && { shape: [bundle.labels.length], data: bundle.labels }],
    ["targets", bundle.targets && matrixArray(bundle.targets)],
    ["predictions", bundle.predictions && matrixArray(bundle.predictions)],
    ["split", bundle.split && { shape: [bundle.split.length], data: bundle.split }],
  ];
  for (const [field, arr] of perSample) {
    if (arr === undefined) continue;
    if (arr.shape[0] !== samples) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${field} has shape ${formatShape(arr.shape)}, expected ${samples} rows like the ` +
          `first layer`,
        { field, found: arr.shape[0] ?? null, expected: samples },
      );
    }
    json[field] = put(claim(undefined, field, field), arr, field);
  }
  if (bundle.model !== undefined) {
    const parameters = { shape: [bundle.model.parameters.length], data: bundle.model.parameters };
    json.model = {
      spec: bundle.model.spec,
      parameters: put(
        claim(undefined, "model", "model.parameters"),
        parameters,
        "model.parameters",
      ),
    };
    if (bundle.model.inputScale !== undefined)
      (json.model as Record<string, unknown>).inputScale = bundle.model.inputScale;
    if (bundle.model.layers !== undefined)
      (json.model as Record<string, unknown>).layers = bundle.model.layers;
  }
  if (bundle.trace !== undefined)
    json.trace = put(
      claim(undefined, "trace", "trace"),
      { shape: [bundle.trace.length], data: bundle.trace },
      "trace",
    );
  if (bundle.checkpoints !== undefined) {
    json.checkpoints = bundle.checkpoints.map(({ epoch, layers }, c) => ({
      epoch,
      layers: layerEntries(layers, `checkpoints/epoch-${epoch}`, `checkpoints[${c}].layers`),
    }));
  }
  if (bundle.meta !== undefined) json.meta = bundle.meta;

  const manifest = validateManifest(json, `bundle ${bundle.name}`);
  const text = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, files: new Map([[MANIFEST_FILE, text], ...files]) };
}

/** A bundle as one .zip (files at the root), deflated unless `compress` is false. */
export function zipBundle(
  bundle: BundleInput,
  { compress = true }: { compress?: boolean } = {},
): Uint8Array {
  return zipEntries(encodeBundle(bundle).files, { compress });
}

function matrixArray(m: Matrix): NdArrayLike {
  return { shape: [m.rows, m.cols], data: m.data };
}

/** A layer name as a file name: unsafe runs become "_". */
function fileStem(name: string): string {
  const stem = name.replace(UNSAFE_FILE_CHARACTERS, "_");
  return stem === "" || stem === "." || stem === ".." ? "layer" : stem;
}
