/**
 * The parts of a loaded bundle an analysis reads, as a plain object to send to the worker once
 * (structured clone copies typed arrays; the page keeps its own copy).
 */
import { transferableLayer, type AnalysisBundle } from "../analyses/columns.ts";

export function analysisBundle(bundle: AnalysisBundle): AnalysisBundle {
  const {
    name,
    task,
    samples,
    classNames,
    layers,
    inputs,
    labels,
    targets,
    predictions,
    split,
    model,
    trace,
    checkpoints,
    meta,
  } = bundle;
  return {
    name,
    task,
    samples,
    classNames,
    labels,
    targets,
    predictions,
    split,
    model,
    trace,
    checkpoints,
    meta,
    layers: layers.map(transferableLayer),
    inputs: inputs && { shape: inputs.shape, data: inputs.data },
  };
}
