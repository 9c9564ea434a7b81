/** Hidden Atlas version, shown in reports and `--version` (test/version.test.ts keeps it equal to package.json). */
export const VERSION = "0.1.0";
