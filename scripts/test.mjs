// `npm test`: lint and build side by side, then every test. ESLint and Prettier run on one core
// each and the build's steps mostly on one, so on two or more cores running them together
// saves about a minute; each one's output is printed whole when it ends, not interleaved.
// Vitest starts only when both have passed (the tests load the built core, CLI and site);
// arguments after `npm test --` go to it, as before.
import { spawn } from "node:child_process";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Run `npm run SCRIPT`, keeping its output; resolves with its exit code and output. */
function run(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ["run", "--silent", script], { stdio: ["ignore", "pipe", "pipe"] });
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("close", (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`\n> npm run ${script} (${seconds} s)\n`);
      process.stdout.write(Buffer.concat(output));
      resolve(code ?? (signal ? 1 : 0));
    });
    child.on("error", (error) => {
      output.push(Buffer.from(`${error.message}\n`));
    });
  });
}

const codes = await Promise.all([run("lint"), run("build")]);
if (codes.some((code) => code !== 0)) {
  const failed = ["lint", "build"].filter((_, i) => codes[i] !== 0).join(" and ");
  console.error(`\nnpm test: ${failed} failed; tests not run`);
  process.exit(1);
}
const vitest = spawn(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
vitest.on("close", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
