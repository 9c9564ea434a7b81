/** `hidden-atlas serve`: serve the built notebook site on this machine (no dependencies). */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".npy": "application/octet-stream",
  ".npz": "application/octet-stream",
  ".zip": "application/zip",
  ".md": "text/markdown; charset=utf-8",
};

/** The built site, relative to this module (dist/cli/commands → dist/site). */
export const DEFAULT_SITE = fileURLToPath(new URL("../../site", import.meta.url));

export const serveCommand: Command = {
  spec: {
    name: "serve",
    summary: "Serve the built notebook site (run `npm run build` first) on 127.0.0.1.",
    positionals: [],
    options: {
      port: { type: "integer", default: 4173, description: "TCP port (0 picks a free one)" },
      host: { type: "string", default: "127.0.0.1", description: "interface to listen on" },
      dir: { type: "string", placeholder: "DIR", description: "site folder (default: the package's dist/site)" },
    },
  },
  async run({ options }, { stdout }) {
    const root = resolve((options.dir as string | undefined) ?? DEFAULT_SITE);
    try {
      await stat(join(root, "index.html"));
    } catch {
      throw new HiddenAtlasError("E_IO", `no built site at ${root}: run \`npm run build\` first`, { file: root });
    }
    const server = createServer(async (request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        response.writeHead(403).end();
        return;
      }
      try {
        if ((await stat(file)).isDirectory()) file = join(file, "index.html");
        await stat(file);
      } catch {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      response.writeHead(200, { "content-type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream" });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((done, fail) => {
      server.once("error", (error) => fail(new HiddenAtlasError("E_IO", `cannot listen on ${options.host}:${options.port}: ${error.message}`)));
      server.listen(options.port as number, options.host as string, () => done());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : options.port;
    stdout.write(`Hidden Atlas notebooks at http://${options.host}:${port}/ (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => server.close(() => done());
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  },
};
