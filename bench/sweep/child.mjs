// The sweep's child process: `node child.mjs cli ARGV...` runs the built `hidden-atlas` command
// (dist/), `node child.mjs api KIND FILE` a library reader. ATLAS_SWEEP_BUDGET lowers the io
// memory budget (bytes), as a test would, so that small files stand in for huge ones.
const [mode, ...argv] = process.argv.slice(2);
const budget = process.env.ATLAS_SWEEP_BUDGET;
if (budget) {
  const { setMemoryBudget } = await import("../../dist/io/limits.js");
  setMemoryBudget(Number(budget));
}
if (mode === "cli") {
  const { main } = await import("../../dist/cli/main.js");
  process.exitCode = await main(argv);
} else if (mode === "api") {
  const io = {
    ...(await import("../../dist/io/index.js")),
    ...(await import("../../dist/core/errors.js")),
  };
  const { readFileBytes } = await import("../../dist/io/node.js");
  const { runApi } = await import("./api.mjs");
  process.exitCode = await runApi(io, readFileBytes, argv, {
    stdout: process.stdout,
    stderr: process.stderr,
  });
} else {
  process.stderr.write(`child.mjs: unknown mode ${mode}\n`);
  process.exitCode = 3;
}
