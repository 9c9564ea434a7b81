/** Small bundles made on the fly for tests (written with the project's own writer). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBundle } from "../../src/io/node.ts";
import { zipBundle } from "../../src/io/bundle-write.ts";
import { mulberry32 } from "../helpers.ts";

/** The class name every escaping test uses. */
export const HOSTILE_NAME = "<img src=x onerror=alert(1)>";

/** A 3-class classification bundle with 60 samples, 8×8 "images" and a hostile class name. */
export function hostileBundleInput() {
  const random = mulberry32(11);
  const n = 60;
  const labels = new Int32Array(n).map((_, i) => i % 3);
  const layer = new Float32Array(n * 5).map((_, j) => labels[Math.floor(j / 5)] * 2 + random());
  const images = new Uint8Array(n * 64).map(() => Math.floor(random() * 17));
  return {
    name: "hostile <b>bundle</b>",
    task: "classification" as const,
    classNames: ["cat", HOSTILE_NAME, "dog"],
    layers: [{ name: "fc <i>1</i>", data: layer, shape: [n, 5] }],
    inputs: { data: images, shape: [n, 8, 8] },
    labels,
  };
}

export async function writeHostileBundle(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "atlas-")), "hostile");
  await writeBundle(hostileBundleInput(), dir);
  return dir;
}

export function hostileBundleZip(): Uint8Array {
  return zipBundle(hostileBundleInput());
}
