/**
 * The bundles the notebook site ships (the project's data/ folder, which Vite publishes at the
 * site root): the raw digits, and the example networks of `npm run examples` as .zip bundles.
 */
export interface ExampleBundle {
  /** The value stored in the URL. */
  name: string;
  /** What a person sees in the picker. */
  title: string;
  /** One line: what the network and data are. */
  description: string;
  /** Path relative to the site root: a folder ending in "/" or a .zip file. */
  path: string;
}

const zip = (name: string, title: string, description: string): ExampleBundle => ({
  name,
  title,
  description,
  path: `examples/${name}.zip`,
});

export const EXAMPLES: ExampleBundle[] = [
  {
    name: "digits",
    title: "8×8 digits (pixels)",
    description: "1,797 handwritten digits, the raw 64 pixels (UCI / scikit-learn, CC BY 4.0)",
    path: "digits/",
  },
  zip(
    "digits-mlp",
    "digits MLP (64-32-32-32-10)",
    "LeakyReLU MLP on the 8×8 digits, with per-epoch traces of its hidden units",
  ),
  zip(
    "digits-cnn",
    "digits CNN (conv 8-16-32)",
    "small CNN on the 8×8 digits; conv maps as N×C×H×W",
  ),
  zip(
    "digits-rotation",
    "rotated digits CNN (regression)",
    "CNN predicting the rotation angle (±60°) of digits on a 16×16 canvas",
  ),
  zip(
    "fashion-cnn",
    "Fashion-MNIST CNN (4 blocks)",
    "four-block CNN on Fashion-MNIST; 2,000 test images",
  ),
  // The seed study of the layer-topology notebook: the same CNNs trained from other seeds, raw conv outputs of the same test images only.
  ...[1, 2, 3, 4, 5].map((s) =>
    zip(
      `digits-cnn-seed${s}`,
      `digits CNN, seed ${s} (seed study)`,
      "digits CNN trained from another seed; raw conv outputs of its 449 test images",
    ),
  ),
  ...[1, 2, 3, 4, 5].map((s) =>
    zip(
      `fashion-cnn-seed${s}`,
      `Fashion-MNIST CNN, seed ${s} (seed study)`,
      "Fashion-MNIST CNN trained from another seed; raw conv outputs of its 2,000 test images",
    ),
  ),
  zip(
    "split-digits-naive",
    "split digits, no rehearsal",
    "class-incremental continual learning on digit pairs, catastrophic forgetting",
  ),
  zip(
    "split-digits-rehearsal",
    "split digits, rehearsal",
    "class-incremental continual learning with a 300-sample replay buffer",
  ),
  ...[
    "vanilla",
    "dropout",
    "l1-weights",
    "l2-weights",
    "l1-activations",
    "l2-activations",
    "random-labels",
    "random-pixels",
  ].map((v) =>
    zip(
      `digits-generalization-${v}`,
      `generalization: ${v}`,
      `the digits MLP trained ${v === "vanilla" ? "plainly" : `with ${v.replace("-", " ")}`}, traced every 3 epochs`,
    ),
  ),
];

/** The eight generalisation variants, and the seeds they were trained with (42 keeps the plain name). */
export const GENERALIZATION_VARIANTS = [
  "vanilla",
  "dropout",
  "l1-weights",
  "l2-weights",
  "l1-activations",
  "l2-activations",
  "random-labels",
  "random-pixels",
] as const;
export const GENERALIZATION_SEEDS = [42, 1, 2] as const;

/** The bundle name of a generalisation variant trained with a seed (as the recipe names it). */
export const generalizationExampleName = (variant: string, seed: number) =>
  `digits-generalization-${variant}${seed === 42 ? "" : `-seed${seed}`}`;

/**
 * Every bundle the site ships: the listed EXAMPLES and the generalisation runs of the other
 * seeds (opened by the mphate notebook's study, not offered in the pickers).
 */
export const EXAMPLE_BUNDLES: ExampleBundle[] = [
  ...EXAMPLES,
  ...GENERALIZATION_SEEDS.filter((s) => s !== 42).flatMap((seed) =>
    GENERALIZATION_VARIANTS.map((v) =>
      zip(
        generalizationExampleName(v, seed),
        `generalization: ${v} (seed ${seed})`,
        `the digits MLP trained ${v === "vanilla" ? "plainly" : `with ${v.replace("-", " ")}`} from seed ${seed}, traced every 3 epochs`,
      ),
    ),
  ),
];

/** The examples with these names, in this order. */
export function examplesNamed(names: string[]): ExampleBundle[] {
  return names
    .map((n) => EXAMPLE_BUNDLES.find((e) => e.name === n))
    .filter((e): e is ExampleBundle => !!e);
}

/** The URL of an example, relative to the notebook page. */
export function exampleUrl(example: ExampleBundle): string {
  return `./${example.path}`;
}
