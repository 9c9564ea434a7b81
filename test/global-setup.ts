// Build the wasm core before any test imports it (a no-op when it is up to date).
import { buildCore } from "../scripts/build-core.mjs";

export default function setup(): void {
  buildCore();
}
