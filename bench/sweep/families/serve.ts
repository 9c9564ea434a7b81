/**
 * `hidden-atlas serve` facing malformed and hostile requests. One server serves a small site
 * next to a secret file; each case sends raw bytes on its own connection and reads what comes
 * back, then asks for / on a fresh connection: the server must answer that with 200 — it keeps
 * answering — and must never hand out the secret or anything outside the site.
 *
 * Outcomes: coded = a 4xx (or a closed connection for bytes that are not HTTP); correct = a
 * 2xx/3xx where one is right; wrong = the secret served, a 2xx where a refusal is due, a 5xx,
 * a control character in the server's log; hang = no answer to / afterwards; crash = the
 * server process died.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RAW_CONTROL } from "../classify.ts";
import type { Case, Verdict } from "../types.ts";
import { mkfifoSync } from "./fifo.ts";

const SECRET = "SWEEP-SECRET-7d1f";
const CHILD = fileURLToPath(new URL("../child.mjs", import.meta.url));

export interface SiteServerHandle {
  port: number;
  alive(): boolean;
  log(): string;
  stop(): Promise<void>;
}

export type ServerFactory = (site: string) => Promise<SiteServerHandle>;

/** The built CLI's `serve --port 0 --dir SITE` in a child process. */
const childServer: ServerFactory = (site) =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CHILD, "cli", "serve", "--port", "0", "--dir", site],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    let exited = false;
    child.on("exit", () => (exited = true));
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const match = /http:\/\/[^:]+:(\d+)\//.exec(out);
      if (match) {
        resolve({
          port: Number(match[1]),
          alive: () => !exited,
          log: () => err,
          stop: async () => {
            if (!exited) child.kill("SIGTERM");
          },
        });
      }
    });
    setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000).unref();
  });

let factory: ServerFactory = childServer;
let current: { handle: SiteServerHandle; site: string } | null = null;

/** Serve the sweep's site with another server (the test's in-process one). */
export function setServerFactory(f: ServerFactory): void {
  factory = f;
}

function makeSite(): string {
  const root = mkdtempSync(join(tmpdir(), "atlas-serve-"));
  const site = join(root, "site");
  mkdirSync(join(site, "sub"), { recursive: true });
  writeFileSync(join(root, "secret.txt"), SECRET);
  writeFileSync(join(site, "index.html"), "<!doctype html><title>sweep</title>home\n");
  writeFileSync(join(site, "app.js"), "console.log('sweep')\n");
  writeFileSync(join(site, "sub", "index.html"), "<!doctype html>sub\n");
  writeFileSync(join(site, "a b%.html"), "spaced\n");
  writeFileSync(join(site, ".hidden"), SECRET);
  writeFileSync(join(site, "big.bin"), new Uint8Array(8 << 20));
  symlinkSync(join(root, "secret.txt"), join(site, "link-out.txt"));
  symlinkSync(root, join(site, "link-dir"));
  mkfifoSync(join(site, "fifo.html"));
  return site;
}

async function server(): Promise<SiteServerHandle> {
  if (current && current.handle.alive()) return current.handle;
  const site = current?.site ?? makeSite();
  current = { handle: await factory(site), site };
  return current.handle;
}

export async function stopServers(): Promise<void> {
  await current?.handle.stop();
  current = null;
}

/** Send `bytes` (then half-close unless `keepOpen`), collect the answer until close or `waitMs`. */
function exchange(
  port: number,
  bytes: Buffer,
  { waitMs = 10_000, keepOpen = false, pauseMs = 0 } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed });
    };
    socket.on("data", (b) => chunks.push(b));
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      if (pauseMs) {
        const half = Math.floor(bytes.length / 2);
        socket.write(bytes.subarray(0, half));
        await new Promise((r) => setTimeout(r, pauseMs));
        if (!done) socket.write(bytes.subarray(half));
      } else socket.write(bytes);
      if (!keepOpen) socket.end();
    });
    setTimeout(() => finish(false), waitMs);
  });
}

const statusOf = (text: string): number | null => {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
};

/** Every status in a (possibly pipelined) answer. */
const statusesOf = (text: string): number[] =>
  [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));

type Expect = "ok" | "refuse" | "any";

function serveCase(
  id: string,
  request: (port: number) => Buffer,
  expect: Expect,
  options: {
    waitMs?: number;
    keepOpen?: boolean;
    pauseMs?: number;
    connections?: number;
    allow?: number[];
  } = {},
): Case {
  return {
    id: `serve/${id}`,
    family: "serve",
    prepare: () => ({
      argv: [
        "serve",
        "--port",
        "0",
        "--dir",
        "SITE",
        `# then: ${JSON.stringify(request(4173).toString("latin1").slice(0, 120))}`,
      ],
      expect: "either",
      custom: async (): Promise<Verdict> => {
        const started = performance.now();
        const ms = () => performance.now() - started;
        const handle = await server();
        const logBefore = handle.log().length;
        const held: Promise<unknown>[] = [];
        for (let c = 1; c < (options.connections ?? 1); c++)
          held.push(
            exchange(handle.port, request(handle.port), {
              waitMs: options.waitMs ?? 10_000,
              keepOpen: true,
            }),
          );
        const answer = await exchange(handle.port, request(handle.port), options);
        await Promise.all(held);
        if (!handle.alive())
          return {
            outcome: "crash",
            detail: `the server exited: ${handle.log().slice(logBefore).trim().slice(-300)}`,
            ms: ms(),
          };
        const follow = await exchange(
          handle.port,
          Buffer.from(
            `GET / HTTP/1.1\r\nHost: 127.0.0.1:${handle.port}\r\nConnection: close\r\n\r\n`,
          ),
          { waitMs: 20_000, keepOpen: true },
        );
        if (!handle.alive())
          return { outcome: "crash", detail: "the server exited after the request", ms: ms() };
        if (statusOf(follow.text) !== 200)
          return {
            outcome: "hang",
            detail: `GET / afterwards: ${follow.text ? JSON.stringify(follow.text.slice(0, 80)) : "no answer"}`,
            ms: ms(),
          };
        const log = handle.log().slice(logBefore);
        if (RAW_CONTROL.test(log))
          return {
            outcome: "wrong",
            detail: `control character in the server's log: ${JSON.stringify(log.slice(0, 120))}`,
            ms: ms(),
          };
        if (answer.text.includes(SECRET))
          return { outcome: "wrong", detail: "the secret outside the site was served", ms: ms() };
        const statuses = statusesOf(answer.text);
        const first = statusOf(answer.text);
        if (first === null) {
          if (expect === "ok")
            return {
              outcome: "wrong",
              detail: `no HTTP answer: ${JSON.stringify(answer.text.slice(0, 80))}${answer.closed ? " (closed)" : ""}`,
              ms: ms(),
            };
          return {
            outcome: "coded",
            detail: answer.closed
              ? "connection closed without an answer"
              : "no answer; the server still serves",
            ms: ms(),
          };
        }
        if (statuses.some((s) => s >= 500))
          return { outcome: "wrong", detail: `answered ${statuses.join(", ")}`, ms: ms() };
        if (
          expect === "refuse" &&
          statuses.some((s) => s < 400 && !(options.allow ?? []).includes(s))
        )
          return {
            outcome: "wrong",
            detail: `answered ${statuses.join(", ")} where a refusal is due`,
            ms: ms(),
          };
        if (expect === "ok" && first >= 400)
          return { outcome: "wrong", detail: `refused a valid request: ${first}`, ms: ms() };
        return {
          outcome: first >= 400 ? "coded" : "correct",
          detail: `${statuses.join(", ")}`,
          ms: ms(),
        };
      },
    }),
  };
}

const get =
  (path: string, headers = "") =>
  (port: number) =>
    Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}Connection: close\r\n\r\n`,
      "latin1",
    );
const raw = (text: string | ((port: number) => string)) => (port: number) =>
  Buffer.from(typeof text === "string" ? text : text(port), "latin1");

export function serveCases(): Case[] {
  const host = (port: number) => `Host: 127.0.0.1:${port}\r\n`;
  const cases: Case[] = [
    serveCase("get-index", get("/"), "ok", { keepOpen: true }),
    serveCase("get-index-then-half-close", get("/"), "ok"),
    serveCase("get-script", get("/app.js"), "ok", { keepOpen: true }),
    serveCase("get-folder-with-slash", get("/sub/"), "ok", { keepOpen: true }),
    serveCase("get-folder-without-slash", get("/sub"), "ok", { keepOpen: true }),
    serveCase("get-encoded-name", get("/a%20b%25.html"), "ok", { keepOpen: true }),
    serveCase(
      "head-index",
      (p) => Buffer.from(`HEAD / HTTP/1.1\r\n${host(p)}Connection: close\r\n\r\n`),
      "ok",
      { keepOpen: true },
    ),
    serveCase("http-1.0-no-host", raw("GET / HTTP/1.0\r\n\r\n"), "any"),
    serveCase("range-past-end", get("/index.html", "Range: bytes=999999999-\r\n"), "any"),
    serveCase("big-file", get("/big.bin"), "ok", { keepOpen: true }),
  ];
  const traversal = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "//secret.txt",
    "/link-out.txt",
    "/link-dir/secret.txt",
    "/.hidden",
    "/%2ehidden",
    "/index.html%00.js",
    "/%00",
    "/%zz",
    "/\\..\\secret.txt",
    "/..;/secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/fifo.html",
    "/nonexistent",
    `/${"a/".repeat(2000)}`,
    "/%E2%80%AE.html",
  ];
  traversal.forEach((path, i) =>
    cases.push(
      serveCase(
        `path/${String(i).padStart(2, "0")}-${path.replace(/[^\w.-]+/g, "_").slice(0, 40)}`,
        get(path),
        "refuse",
        { keepOpen: true },
      ),
    ),
  );
  const methods = [
    "POST",
    "PUT",
    "DELETE",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "CONNECT",
    "PROPFIND",
    "get",
    "GETX",
  ];
  for (const method of methods)
    cases.push(
      serveCase(
        `method/${method}`,
        (p) =>
          Buffer.from(
            `${method} / HTTP/1.1\r\n${host(p)}Content-Length: 0\r\nConnection: close\r\n\r\n`,
          ),
        "refuse",
        { keepOpen: true },
      ),
    );
  const hosts: [string, string][] = [
    ["missing", ""],
    ["evil-domain", "Host: evil.example\r\n"],
    ["other-port", "Host: 127.0.0.1:1\r\n"],
    ["two-host-lines", "Host: 127.0.0.1:PORT\r\nHost: evil.example\r\n"],
    ["long", `Host: ${"a".repeat(20_000)}\r\n`],
    ["escape", "Host: \u001b[2J\r\n"],
    ["empty", "Host: \r\n"],
    ["rebinding-subdomain", "Host: 127.0.0.1.evil.example:PORT\r\n"],
  ];
  for (const [name, header] of hosts)
    cases.push(
      serveCase(
        `host/${name}`,
        (p) =>
          Buffer.from(
            `GET / HTTP/1.1\r\n${header.replace("PORT", String(p))}Connection: close\r\n\r\n`,
            "latin1",
          ),
        "refuse",
        { keepOpen: true },
      ),
    );
  const malformed: [
    string,
    (port: number) => Buffer,
    Expect,
    { waitMs?: number; keepOpen?: boolean; pauseMs?: number; connections?: number }?,
  ][] = [
    ["garbage", raw("\u0000\u0001\u0002 hello \u00ff\u00fe\r\n\r\n"), "refuse"],
    ["empty-lines", raw("\r\n\r\n\r\n"), "refuse"],
    ["nothing-then-close", raw(""), "refuse"],
    ["http-0.9", raw("GET /\r\n"), "refuse"],
    ["http-2-preface", raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "refuse"],
    [
      "absolute-form",
      (p) => Buffer.from(`GET http://evil.example/ HTTP/1.1\r\n${host(p)}\r\n`),
      "refuse",
    ],
    ["asterisk-form", (p) => Buffer.from(`GET * HTTP/1.1\r\n${host(p)}\r\n`), "refuse"],
    [
      "header-without-colon",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}NoColonHere\r\n\r\n`),
      "refuse",
    ],
    [
      "header-100KB",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}X-Big: ${"a".repeat(100_000)}\r\n\r\n`),
      "refuse",
    ],
    [
      "headers-10000",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}${"X-A: b\r\n".repeat(10_000)}\r\n`),
      "refuse",
    ],
    [
      "header-nul",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}X-A: a\u0000b\r\n\r\n`, "latin1"),
      "refuse",
    ],
    ["request-line-1MB", raw(`GET /${"a".repeat(1 << 20)} HTTP/1.1\r\n\r\n`), "refuse"],
    ["escape-in-path", get("/\u001b[2J\u001b]0;owned\u0007"), "refuse"],
    ["c1-in-path", get("/\u009b31m"), "refuse"],
    [
      "unicode-path",
      (p) => Buffer.from(`GET /ä.html HTTP/1.1\r\n${host(p)}Connection: close\r\n\r\n`, "utf8"),
      "refuse",
    ],
    [
      "content-length-negative",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}Content-Length: -1\r\n\r\n`),
      "refuse",
    ],
    [
      "content-length-huge-no-body",
      (p) => Buffer.from(`GET / HTTP/1.1\r\n${host(p)}Content-Length: 99999999999\r\n\r\n`),
      "any",
      { keepOpen: true, waitMs: 5_000 },
    ],
    [
      "content-length-twice",
      (p) =>
        Buffer.from(`GET / HTTP/1.1\r\n${host(p)}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`),
      "refuse",
    ],
    [
      "chunked-bad",
      (p) =>
        Buffer.from(
          `POST / HTTP/1.1\r\n${host(p)}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
        ),
      "refuse",
    ],
    [
      "chunked-and-length",
      (p) =>
        Buffer.from(
          `GET / HTTP/1.1\r\n${host(p)}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
        ),
      "refuse",
    ],
    [
      "pipelined-100",
      (p) =>
        Buffer.from(
          `GET / HTTP/1.1\r\n${host(p)}\r\n`.repeat(99) +
            `GET / HTTP/1.1\r\n${host(p)}Connection: close\r\n\r\n`,
        ),
      "any",
      { waitMs: 20_000 },
    ],
    [
      "pipelined-with-traversal",
      (p) =>
        Buffer.from(
          `GET / HTTP/1.1\r\n${host(p)}\r\nGET /../secret.txt HTTP/1.1\r\n${host(p)}Connection: close\r\n\r\n`,
        ),
      "any",
    ],
    ["slow-headers", get("/"), "any", { pauseMs: 5_000, waitMs: 15_000 }],
    ["idle-then-close", raw("GET / HT"), "refuse", { keepOpen: true, waitMs: 3_000 }],
    [
      "300-idle-connections",
      raw("GET / HTTP/1.1\r\n"),
      "any",
      { keepOpen: true, connections: 300, waitMs: 5_000 },
    ],
    [
      "upgrade-websocket",
      (p) =>
        Buffer.from(
          `GET / HTTP/1.1\r\n${host(p)}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      "any",
      { waitMs: 5_000 },
    ],
    [
      "expect-100-continue",
      (p) =>
        Buffer.from(
          `GET / HTTP/1.1\r\n${host(p)}Expect: 100-continue\r\nConnection: close\r\n\r\n`,
        ),
      "any",
    ],
    ["query-and-fragment", get("/index.html?x=<script>#frag"), "ok", { keepOpen: true }],
    [
      "tls-hello",
      raw("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003"),
      "refuse",
    ],
  ];
  for (const [name, request, expect, options] of malformed)
    cases.push(serveCase(`malformed/${name}`, request, expect, options));
  return cases;
}
