import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/hidden-atlas.js", import.meta.url));
const built = existsSync(new URL("../../dist/site/index.html", import.meta.url)) && existsSync(new URL("../../dist/cli/main.js", import.meta.url));

it.runIf(built)("serve (from the built package) serves the site, wasm with its MIME type, and 404s", async () => {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(chunk.toString());
        if (match) resolve(match[0]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const index = await fetch(url);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain("Hidden Atlas");
    const manifest = await fetch(`${url}digits/manifest.json`);
    expect((await manifest.json()).name).toBe("digits");
    const wasm = readdirSync(new URL("../../dist/site/assets", import.meta.url)).find((f) => f.endsWith(".wasm"));
    const core = await fetch(`${url}assets/${wasm}`);
    expect(core.headers.get("content-type")).toBe("application/wasm");
    expect(WebAssembly.validate(new Uint8Array(await core.arrayBuffer()))).toBe(true);
    expect((await fetch(`${url}nope.html`)).status).toBe(404);
    expect((await fetch(`${url}..%2F..%2Fpackage.json`)).status).not.toBe(200);
  } finally {
    child.kill("SIGTERM");
  }
});
