/**
 * The bundles the notebook site ships (served from the project's data/ folder, which Vite
 * publishes at the site root).
 */
export interface ExampleBundle {
  /** Folder name under data/ and the value stored in the URL. */
  name: string;
  /** What a person sees in the picker. */
  title: string;
  /** One line: what the network and data are. */
  description: string;
}

export const EXAMPLES: ExampleBundle[] = [
  { name: "digits", title: "8×8 digits (pixels)", description: "1,797 handwritten digits, the raw 64 pixels (UCI / scikit-learn, CC BY 4.0)" },
];

/** The folder URL of an example, relative to the notebook page. */
export function exampleUrl(name: string): string {
  return `./${encodeURIComponent(name)}/`;
}
