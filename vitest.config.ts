import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Vitest gets its own config: vite.config.ts roots Vite at notebooks/, where no tests live.
//
// Two groups, one after the other. The unit and reference files (Node only, each on one core)
// run in parallel on every core: Vitest's default of one worker fewer than the cores leaves one
// of two cores idle. The end-to-end files then run one at a time: each drives Chromium, whose
// pages compute in several workers of their own, and two at once would only share the cores and
// stretch every wait.
export default defineConfig({
  test: {
    environment: "node",
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          maxWorkers: availableParallelism(),
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
