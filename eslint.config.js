// ESLint flat config: typescript-eslint's recommended rules, plus type-aware rules that catch real
// bugs in src/ (a promise nobody awaits, a promise passed where a plain value is expected).
// Formatting is Prettier's job (.prettierrc): no stylistic rule is enabled here.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Node's globals, for the plain JavaScript scripts (TypeScript checks the .ts files itself). */
const NODE_GLOBALS = Object.fromEntries(
  ["process", "console", "URL", "Buffer", "setTimeout", "clearTimeout"].map((name) => [
    name,
    "readonly",
  ]),
);

export default tseslint.config(
  {
    ignores: [
      "build/",
      "dist/",
      "data/",
      "node_modules/",
      "notebooks/.observable/",
      "test/output/",
      "test/.tmp/",
      // AssemblyScript: decorators on functions and constants and its own value types are not
      // TypeScript syntax; the asc compiler checks these files (npm run build:core).
      "assembly/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript reports undefined names in .ts files, with the DOM and Node types it is given.
      "no-undef": "off",
      // Escaping control characters (names from a bundle printed to a terminal) needs them in
      // character classes; a control character matched by mistake would fail those tests.
      "no-control-regex": "off",
      // A leading underscore marks a value taken apart on purpose (`const { knn: _knn, ...rest }`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // Tests and the hostile-input harness build malformed objects on purpose.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["src/**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
);
