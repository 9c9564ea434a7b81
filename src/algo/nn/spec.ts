/**
 * Network descriptions: a list of layers after an input shape, with shapes inferred and every
 * parameter checked before anything touches wasm memory.
 *
 * @example
 *   const spec = {inputShape: [64], layers: [
 *     {type: "dense", units: 32}, {type: "leakyRelu", alpha: 0.1},
 *     {type: "dense", units: 10}]};
 */
import { HiddenAtlasError } from "../../core/errors.ts";
import { checkInteger, checkNumber } from "../../core/params.ts";

export type LayerSpec =
  /** Fully connected: y = x·W + b (W is in × out). */
  | { type: "dense"; units: number; name?: string }
  /** 3×3 convolution, stride 1, zero padding 1 ("same"), `filters` output channels. */
  | { type: "conv"; filters: number; name?: string }
  | { type: "relu"; name?: string }
  /** max(x, alpha·x). alpha defaults to 0.01 (PyTorch `LeakyReLU`). */
  | { type: "leakyRelu"; alpha?: number; name?: string }
  /** 2×2 max pooling, stride 2 (odd sizes are floored, as PyTorch does). */
  | { type: "maxPool"; name?: string }
  /** Mean over each channel's spatial map: C × H × W → C. */
  | { type: "globalAvgPool"; name?: string }
  /** C × H × W → C·H·W (no data movement in NCHW). */
  | { type: "flatten"; name?: string }
  /** Inverted dropout during training; identity in evaluation. */
  | { type: "dropout"; rate: number; name?: string };

export type LayerType = LayerSpec["type"];

export interface NetworkSpec {
  /** Shape of one sample: [features] for dense networks, [channels, height, width] for conv. */
  inputShape: number[];
  layers: LayerSpec[];
}

export interface ResolvedLayer {
  spec: LayerSpec;
  type: LayerType;
  /** Unique name: the spec's, or type + position ("dense1", "leakyRelu2", …). */
  name: string;
  index: number;
  inShape: number[];
  outShape: number[];
  inSize: number;
  outSize: number;
  /** Offsets (in floats) of this layer's weights and biases in the parameter vector. */
  weightOffset: number;
  weightCount: number;
  biasOffset: number;
  biasCount: number;
  /** Inputs and outputs feeding one weight, for initialisation. */
  fanIn: number;
  fanOut: number;
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function invalidLayer(index: number, message: string): HiddenAtlasError {
  return new HiddenAtlasError("E_PARAM", `invalid layer ${index}: ${message}`, { layer: index });
}

/** Infer every layer's shapes and parameter slots; throws E_PARAM naming the layer. */
export function resolveNetwork(spec: NetworkSpec): {
  layers: ResolvedLayer[];
  parameterCount: number;
} {
  if (
    !Array.isArray(spec.inputShape) ||
    spec.inputShape.length === 0 ||
    !spec.inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid inputShape: ${JSON.stringify(spec.inputShape)} (expected [features] or [channels, height, width] of positive integers)`,
    );
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new HiddenAtlasError("E_PARAM", "a network needs at least one layer");
  }
  const layers: ResolvedLayer[] = [];
  const counts = new Map<string, number>();
  const names = new Set<string>();
  let shape = [...spec.inputShape];
  let offset = 0;
  spec.layers.forEach((layer, index) => {
    const counter = (counts.get(layer.type) ?? 0) + 1;
    counts.set(layer.type, counter);
    const name = layer.name ?? `${layer.type}${counter}`;
    if (names.has(name)) throw invalidLayer(index, `duplicate name ${JSON.stringify(name)}`);
    names.add(name);
    const inShape = shape;
    let outShape: number[];
    let weightCount = 0;
    let biasCount = 0;
    let fanIn = 0;
    let fanOut = 0;
    switch (layer.type) {
      case "dense": {
        const units = checkInteger(`layers[${index}].units`, layer.units, 1);
        const inputs = product(inShape);
        outShape = [units];
        weightCount = inputs * units;
        biasCount = units;
        fanIn = inputs;
        fanOut = units;
        break;
      }
      case "conv": {
        if (inShape.length !== 3)
          throw invalidLayer(
            index,
            `conv needs a [channels, height, width] input, got [${inShape.join(", ")}]`,
          );
        const filters = checkInteger(`layers[${index}].filters`, layer.filters, 1);
        outShape = [filters, inShape[1], inShape[2]];
        weightCount = filters * inShape[0] * 9;
        biasCount = filters;
        fanIn = inShape[0] * 9;
        fanOut = filters * 9;
        break;
      }
      case "relu":
      case "dropout":
        if (layer.type === "dropout")
          checkNumber(`layers[${index}].rate`, layer.rate, 0, 1, { exclusiveMax: true });
        outShape = inShape;
        break;
      case "leakyRelu":
        checkNumber(`layers[${index}].alpha`, layer.alpha ?? 0.01, 0, 1);
        outShape = inShape;
        break;
      case "maxPool":
        if (inShape.length !== 3 || inShape[1] < 2 || inShape[2] < 2)
          throw invalidLayer(
            index,
            `maxPool needs a [channels, height ≥ 2, width ≥ 2] input, got [${inShape.join(", ")}]`,
          );
        outShape = [inShape[0], inShape[1] >> 1, inShape[2] >> 1];
        break;
      case "globalAvgPool":
        if (inShape.length !== 3)
          throw invalidLayer(
            index,
            `globalAvgPool needs a [channels, height, width] input, got [${inShape.join(", ")}]`,
          );
        outShape = [inShape[0]];
        break;
      case "flatten":
        outShape = [product(inShape)];
        break;
      default:
        throw invalidLayer(
          index,
          `unknown type ${JSON.stringify((layer as { type: unknown }).type)}`,
        );
    }
    layers.push({
      spec: layer,
      type: layer.type,
      name,
      index,
      inShape,
      outShape,
      inSize: product(inShape),
      outSize: product(outShape),
      weightOffset: offset,
      weightCount,
      biasOffset: offset + weightCount,
      biasCount,
      fanIn,
      fanOut,
    });
    offset += weightCount + biasCount;
    shape = outShape;
  });
  return { layers, parameterCount: offset };
}
