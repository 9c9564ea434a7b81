export { Network, type Loss, type ActivityPenalty } from "./network.ts";
export { Trainer, TrainingData, type TrainerOptions, type EpochResult } from "./trainer.ts";
export { resolveNetwork, type LayerSpec, type NetworkSpec, type ResolvedLayer } from "./spec.ts";
export { fgsm, signNoise, type PerturbOptions } from "./adversarial.ts";
export {
  featureVisualization,
  featureVisualizationDefaults,
  type FeatureVisualization,
  type FeatureVisualizationOptions,
} from "./feature-visualization.ts";
