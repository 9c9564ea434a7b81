/** Colours shared by figures that show classes, so a class has one colour across a notebook. */

/** Observable Plot's default categorical scheme ("observable10"), repeated beyond ten classes. */
const OBSERVABLE10 = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
];

export function classColors(k: number): string[] {
  return Array.from({ length: k }, (_, i) => OBSERVABLE10[i % OBSERVABLE10.length]);
}
