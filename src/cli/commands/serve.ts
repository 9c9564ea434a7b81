/**
 * `hidden-atlas serve`: serve the built notebook site on this machine (no dependencies).
 *
 * A local server is reachable by every web page the user opens (an <img> pointing at
 * 127.0.0.1 is enough), so it answers any request, however malformed, with a status and stays
 * up: a bad request is a 400, a method other than GET/HEAD a 405, a Host header that does not
 * name this server a 421 (a DNS-rebinding page names its own domain), and nothing outside the
 * site folder is ever read — no "..", no encoded slash, no NUL, no symlink leading out. Every
 * response carries the site's security headers (src/cli/site-policy.ts).
 */
import { constants, createReadStream } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { pipeline } from "node:stream";
import { fileURLToPath } from "node:url";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";
import { terminalSafe } from "../output.ts";
import { siteSecurityHeaders } from "../site-policy.ts";

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

const DEFAULT_PORT = 4173;
const MAX_PORT = 65535;
/** Time a client has to send its request headers, and its whole request (ms). */
const HEADERS_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** A connection idle this long (e.g. a client that stopped reading) is closed (ms). */
const IDLE_TIMEOUT_MS = 120_000;
/** Open connections at once; a local site needs a handful, a flood must not exhaust file descriptors. */
const MAX_CONNECTIONS = 256;

const STATUS_TEXT: Record<number, string> = {
  400: "bad request",
  404: "not found",
  405: "method not allowed (only GET and HEAD)",
  408: "request timeout",
  421: "misdirected request: the Host header does not name this server",
  431: "request header fields too large",
  500: "internal server error",
};

export interface SiteServerOptions {
  /** The site folder (must hold index.html). */
  root: string;
  /** Interface to listen on. Defaults to 127.0.0.1. */
  host?: string;
  /** TCP port, 0 for a free one. Defaults to 4173. */
  port?: number;
  /** Where to report a server-level failure (the server keeps running). Defaults to stderr. */
  log?: (message: string) => void;
}

export interface SiteServer {
  server: Server;
  /** http://HOST:PORT/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listen on `host:port` and serve the site folder `root` until `close()`. */
export async function startSiteServer(options: SiteServerOptions): Promise<SiteServer> {
  const root = resolve(options.root);
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_PORT;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    await stat(join(realRoot, "index.html"));
  } catch {
    throw new HiddenAtlasError("E_IO", `no built site at ${root}: run \`npm run build\` first`, {
      file: root,
    });
  }
  const server = createServer();
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.timeout = IDLE_TIMEOUT_MS;
  server.maxConnections = MAX_CONNECTIONS;
  server.on("clientError", answerClientError);
  // A client may half-close after its request (shutdown of its sending side, as `nc -N` does):
  // Node's default aborts the request on that end of input, so an answer that takes a file read
  // never came. Half-open, the answer is sent and the connection closed after it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  await new Promise<void>((done, fail) => {
    server.once("error", (error) =>
      fail(new HiddenAtlasError("E_IO", `cannot listen on ${host}:${port}: ${error.message}`)),
    );
    server.listen(port, host, () => done());
  });
  // After listening, a failure (e.g. too many open files on accept) is reported, never fatal.
  server.on("error", (error) => log(`hidden-atlas serve: ${error.message}`));
  const bound = (server.address() as { port: number }).port;
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response, realRoot, { host, port: bound }).catch((error: unknown) => {
      log(
        `hidden-atlas serve: ${request.method} ${JSON.stringify(request.url)}: ${(error as Error)?.message ?? String(error)}`,
      );
      if (!response.headersSent) reply(response, 500);
      else response.destroy();
    });
  });
  return {
    server,
    url: `http://${authority(host, bound)}/`,
    port: bound,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** The parser rejected the request (bad syntax, huge headers, timeout): answer and close. */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const status =
    error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : 400;
  const body = `${status} ${STATUS_TEXT[status]}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  root: string,
  bound: { host: string; port: number },
): Promise<void> {
  request.on("error", () => response.destroy());
  response.on("error", () => response.destroy());
  // RFC 9112 §3.2: a request with more than one Host line is a 400 (Node keeps the first).
  const hostLines = request.rawHeaders.filter(
    (name, i) => i % 2 === 0 && name.toLowerCase() === "host",
  ).length;
  if (hostLines > 1) return reply(response, 400, { close: true });
  if (!hostAllowed(request.headers.host, bound)) return reply(response, 421, { close: true });
  if (request.method !== "GET" && request.method !== "HEAD")
    return reply(response, 405, { close: true, headers: { Allow: "GET, HEAD" } });
  const target = requestPath(request.url ?? "");
  if (target === null) return reply(response, 400, { close: true });
  if (target.segments.some((segment) => segment.startsWith("."))) return reply(response, 404);
  let file = await inside(root, join(root, ...target.segments));
  if (file === null) return reply(response, 404);
  if ((await stat(file)).isDirectory()) {
    if (!target.directory) {
      // Relative links in an index page resolve against the folder only with a trailing slash.
      const location = `/${target.segments.map(encodeURIComponent).join("/")}/`;
      return reply(response, 301, { headers: { Location: location } });
    }
    file = await inside(root, join(file, "index.html"));
    if (file === null) return reply(response, 404);
  }
  // Only regular files: opening a FIFO would block a libuv thread until a writer came, so
  // check first, open without blocking and without following a symlink swapped in since,
  // and check the opened file again.
  if (!(await stat(file)).isFile()) return reply(response, 404);
  const descriptor = await open(
    file,
    constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW,
  ).catch(() => null);
  if (descriptor === null) return reply(response, 404);
  let info;
  try {
    info = await descriptor.stat();
  } catch (error) {
    await descriptor.close();
    throw error;
  }
  if (!info.isFile()) {
    await descriptor.close();
    return reply(response, 404);
  }
  response.writeHead(200, {
    ...siteSecurityHeaders(),
    "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Content-Length": info.size,
    "Cache-Control": "no-cache",
  });
  if (request.method === "HEAD") {
    await descriptor.close();
    response.end();
    return;
  }
  // The stream owns the descriptor from here; a client that aborts or stalls destroys both.
  pipeline(createReadStream("", { fd: descriptor, autoClose: true }), response, (error) => {
    if (error) response.destroy();
  });
}

/**
 * The path segments of an origin-form request target ("/a/b%20c?x" → ["a", "b c"]), or null
 * when it is not one: not starting with "/", a malformed %-escape, or a segment that decodes to
 * "." or ".." or contains "/", "\" or NUL (encoded separators never reach the file system).
 */
export function requestPath(url: string): { segments: string[]; directory: boolean } | null {
  if (!url.startsWith("/")) return null;
  const path = url.replace(/[?#].*$/s, "");
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "." || segment === ".." || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return { segments, directory: path.endsWith("/") };
}

/** The real path of `file` when it exists and lies inside `root` (symlinks resolved), else null. */
async function inside(root: string, file: string): Promise<string | null> {
  try {
    const real = await realpath(file);
    return real === root || real.startsWith(root + sep) ? real : null;
  } catch {
    return null;
  }
}

function reply(
  response: ServerResponse,
  status: number,
  { close = false, headers = {} as Record<string, string> } = {},
): void {
  const body = status === 301 ? "" : `${status} ${STATUS_TEXT[status] ?? ""}\n`;
  response.writeHead(status, {
    ...siteSecurityHeaders(),
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...(close ? { Connection: "close" } : {}),
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** The host part of an authority: IPv6 literals in brackets, names lower-cased. */
function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Whether a Host header names this server: the bound host with the bound port, or — when bound
 * to a loopback or wildcard address — localhost, 127.0.0.1 or [::1]; when bound to every
 * interface, also any IP literal (a rebinding page can only send a domain name it controls).
 */
export function hostAllowed(
  header: string | undefined,
  bound: { host: string; port: number },
): boolean {
  if (!header) return false;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!match) return false;
  const name = match[1].toLowerCase();
  const port = match[2] === undefined ? 80 : Number(match[2]);
  if (port !== bound.port) return false;
  const boundName = (isIP(bound.host) === 6 ? `[${bound.host}]` : bound.host).toLowerCase();
  if (name === boundName) return true;
  const wildcard = bound.host === "0.0.0.0" || bound.host === "::";
  const loopback =
    bound.host === "localhost" || bound.host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bound.host);
  if ((wildcard || loopback) && LOOPBACK_NAMES.includes(name)) return true;
  return wildcard && (isIP(name) === 4 || (name.startsWith("[") && isIP(name.slice(1, -1)) === 6));
}

/**
 * `--host` must be an address this machine can listen on: a loopback or wildcard address, one of
 * its interfaces' addresses, or localhost. Checked before anything else (E_USAGE naming it), and
 * without a DNS query: a name is not looked up.
 */
function checkHost(host: string): void {
  const usage = (problem: string) =>
    new HiddenAtlasError(
      "E_USAGE",
      `--host "${terminalSafe(host)}" ${problem}\nRun \`hidden-atlas serve --help\` for usage.`,
    );
  if (isIP(host) === 0) {
    if (host.toLowerCase() === "localhost") return;
    throw usage(
      "is not an IP address: give one of this machine's (127.0.0.1, ::1, 0.0.0.0 for every interface) or localhost",
    );
  }
  if (host === "0.0.0.0" || host === "::" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host))
    return;
  const own = Object.values(networkInterfaces()).flatMap((addresses) =>
    (addresses ?? []).map((a) => a.address),
  );
  if (!own.includes(host))
    throw usage(`is not an address of this machine (its addresses: ${own.join(", ") || "none"})`);
}

export const serveCommand: Command = {
  spec: {
    name: "serve",
    summary: "Serve the built notebook site (run `npm run build` first) on 127.0.0.1.",
    positionals: [],
    options: {
      port: {
        type: "integer",
        default: DEFAULT_PORT,
        description: `TCP port, 0–${MAX_PORT} (0 picks a free one)`,
      },
      host: { type: "string", default: "127.0.0.1", description: "interface to listen on" },
      dir: {
        type: "string",
        placeholder: "DIR",
        description: "site folder (default: the package's dist/site)",
      },
    },
  },
  async run({ options }, { stdout, stderr }) {
    const port = options.port as number;
    if (!Number.isSafeInteger(port) || port < 0 || port > MAX_PORT) {
      throw new HiddenAtlasError(
        "E_USAGE",
        `--port expects an integer from 0 to ${MAX_PORT}, got ${port}\nRun \`hidden-atlas serve --help\` for usage.`,
      );
    }
    const host = options.host as string;
    checkHost(host);
    const site = await startSiteServer({
      root: (options.dir as string | undefined) ?? DEFAULT_SITE,
      host,
      port,
      log: (message) => stderr.write(`${message}\n`),
    });
    stdout.write(`Hidden Atlas notebooks at ${site.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => void site.close().then(done);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  },
};
