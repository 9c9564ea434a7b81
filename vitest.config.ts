import { defineConfig } from "vitest/config";

// Vitest gets its own config: vite.config.ts roots Vite at notebooks/, where no tests live.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
