/**
 * Every case of the sweep, by family. Ids are stable (they name what is done, and every random
 * choice is drawn from a generator seeded by the id's group), so a case reruns by its id.
 */
import { degenerateCases } from "./families/degenerate.ts";
import { determinismCases } from "./families/determinism.ts";
import { memoryCases } from "./families/memory.ts";
import { parameterCases } from "./families/parameters.ts";
import { csvCases } from "./families/readers-csv.ts";
import { manifestCases } from "./families/readers-manifest.ts";
import { npyCases } from "./families/readers-npy.ts";
import { safetensorsCases } from "./families/readers-safetensors.ts";
import { zipCases } from "./families/readers-zip.ts";
import { reportCases } from "./families/reports.ts";
import { serveCases } from "./families/serve.ts";
import type { Case } from "./types.ts";

export function allCases(): Case[] {
  const cases = [
    ...npyCases(),
    ...csvCases(),
    ...zipCases(),
    ...manifestCases(),
    ...safetensorsCases(),
    ...parameterCases(),
    ...degenerateCases(),
    ...memoryCases(),
    ...reportCases(),
    ...determinismCases(),
    ...serveCases(),
  ];
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`sweep: two cases named ${c.id}`);
    ids.add(c.id);
  }
  return cases;
}
