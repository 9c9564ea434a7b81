// Module-loader hook for tests: appends the URL of every module the process loads to the file
// named in the registration data (one per line). Registered with `module.register`.
import { appendFileSync } from "node:fs";

let log;

export function initialize(data) {
  log = data.log;
}

export async function load(url, context, nextLoad) {
  appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
