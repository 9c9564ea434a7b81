import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hostAllowed,
  requestPath,
  startSiteServer,
  type SiteServer,
} from "../../src/cli/commands/serve.ts";
import {
  inlineScriptHashes,
  scriptHashSource,
  siteContentSecurityPolicy,
  withContentSecurityPolicyMeta,
} from "../../src/cli/site-policy.ts";
import { runCli } from "../support/cli.ts";

const bin = fileURLToPath(new URL("../../bin/hidden-atlas.js", import.meta.url));
const built =
  existsSync(new URL("../../dist/site/index.html", import.meta.url)) &&
  existsSync(new URL("../../dist/cli/main.js", import.meta.url));

it.runIf(built)(
  "serve (from the built package) serves the site, wasm with its MIME type, and 404s",
  async () => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
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
      const wasm = readdirSync(new URL("../../dist/site/assets", import.meta.url)).find((f) =>
        f.endsWith(".wasm"),
      );
      const core = await fetch(`${url}assets/${wasm}`);
      expect(core.headers.get("content-type")).toBe("application/wasm");
      expect(WebAssembly.validate(new Uint8Array(await core.arrayBuffer()))).toBe(true);
      expect((await fetch(`${url}nope.html`)).status).toBe(404);
      expect((await fetch(`${url}..%2F..%2Fpackage.json`)).status).not.toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  },
);

describe("the site's Content-Security-Policy", () => {
  it("hashes inline scripts as CSP does (the CSP spec's example: alert('Hello, world.');)", () => {
    expect(scriptHashSource("alert('Hello, world.');")).toBe(
      "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='",
    );
    const page = `<html><head><script src="/a.js"></script><script type="module">alert('Hello, world.');</script><script>alert('Hello, world.');</script></head></html>`;
    expect(inlineScriptHashes(page)).toEqual([
      "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='",
    ]);
  });

  it("puts the policy right after <meta charset>, allowing exactly the page's inline scripts", () => {
    const page = `<!doctype html><html><head>\n<meta charset="utf-8"><title>t</title><script>alert('Hello, world.');</script></head><body></body></html>`;
    const out = withContentSecurityPolicyMeta(page);
    const at = out.indexOf('<meta http-equiv="Content-Security-Policy"');
    expect(at).toBeGreaterThan(out.indexOf("<meta charset"));
    expect(at).toBeLessThan(out.indexOf("<title>"));
    const policy = /content="([^"]*)"/.exec(out.slice(at))![1];
    expect(policy).toContain(
      "script-src 'self' 'wasm-unsafe-eval' 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=';",
    );
    expect(policy).not.toContain("frame-ancestors");
    expect(withContentSecurityPolicyMeta("<html><head></head></html>")).toMatch(
      /^<html><head>\n\s*<meta http-equiv="Content-Security-Policy"/,
    );
  });

  it("allows no off-machine source, no plugin, no base or form target; the header adds frame-ancestors", () => {
    const policy = siteContentSecurityPolicy({ header: true });
    const directives = new Map(
      policy.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)]),
    );
    for (const [name, sources] of directives) {
      for (const source of sources)
        expect(
          [
            "'self'",
            "'none'",
            "data:",
            "blob:",
            "'wasm-unsafe-eval'",
            "'unsafe-inline'",
            "'unsafe-hashes'",
          ].includes(source) || /^'sha256-[A-Za-z0-9+/]{43}='$/.test(source),
          `${name} ${source}`,
        ).toBe(true);
    }
    expect(directives.get("script-src")).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("object-src")).toEqual(["'none'"]);
    expect(directives.get("base-uri")).toEqual(["'none'"]);
    expect(directives.get("form-action")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    // 'unsafe-inline' only for styles; handler attributes only htl's placeholders "::0".."::31".
    expect(policy.match(/'unsafe-inline'/g)).toHaveLength(1);
    expect(directives.get("style-src")).toContain("'unsafe-inline'");
    expect(directives.get("script-src-attr")).toEqual([
      "'unsafe-hashes'",
      ...Array.from({ length: 32 }, (_, j) => scriptHashSource(`::${j}`)),
    ]);
  });

  it.runIf(built)(
    "every built page carries the policy, and every inline script in it is hashed in it",
    () => {
      const pages = readdirSync(new URL("../../dist/site", import.meta.url)).filter((f) =>
        f.endsWith(".html"),
      );
      expect(pages.length).toBeGreaterThanOrEqual(8);
      for (const name of pages) {
        const html = readFileSync(new URL(`../../dist/site/${name}`, import.meta.url), "utf8");
        const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(
          html,
        )?.[1];
        expect(policy, name).toBeDefined();
        const scriptSrc = policy!.split("; ").find((d) => d.startsWith("script-src "))!;
        for (const hash of inlineScriptHashes(html)) expect(scriptSrc, name).toContain(hash);
        expect(html.indexOf("Content-Security-Policy"), name).toBeLessThan(
          html.search(/<script|<link/),
        );
      }
    },
  );
});

describe("serve --port", () => {
  for (const port of ["70000", "65536", "-1", "1.5", "http", ""]) {
    it(`refuses --port ${JSON.stringify(port)} as a usage error (exit 2) without listening`, async () => {
      const { code, stderr } = await runCli(
        "serve",
        `--port=${port}`,
        "--dir",
        mkdtempSync(join(tmpdir(), "atlas-serve-")),
      );
      expect(code).toBe(2);
      expect(stderr).toMatch(/E_USAGE: .*--port/);
    });
  }
});

describe("serve --host", () => {
  // Checked before the site folder (here an empty one) and without a DNS query.
  const cases: [string, RegExp][] = [
    [
      "256.1.1.1",
      /E_USAGE: --host "256\.1\.1\.1" is not an IP address: give one of this machine's/,
    ],
    ["my-laptop.example", /E_USAGE: --host "my-laptop\.example" is not an IP address/],
    [
      "192.0.2.1",
      /E_USAGE: --host "192\.0\.2\.1" is not an address of this machine \(its addresses: .*127\.0\.0\.1/,
    ],
    ["\u001b[2J", /E_USAGE: --host "\\x1b\[2J" is not an IP address/],
  ];
  for (const [host, pattern] of cases) {
    it(`refuses --host ${JSON.stringify(host)} as a usage error naming it`, async () => {
      const { code, stderr } = await runCli(
        "serve",
        "--port",
        "0",
        "--host",
        host,
        "--dir",
        mkdtempSync(join(tmpdir(), "atlas-serve-")),
      );
      expect(code).toBe(2);
      expect(stderr).toMatch(pattern);
    });
  }
  it("takes loopback and localhost, then looks for the site", async () => {
    for (const host of ["127.0.0.1", "localhost", "::1"]) {
      const { code, stderr } = await runCli(
        "serve",
        "--port",
        "0",
        "--host",
        host,
        "--dir",
        mkdtempSync(join(tmpdir(), "atlas-serve-")),
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(/E_IO: no built site at /);
    }
  });
});

describe("requestPath and hostAllowed", () => {
  it("requestPath decodes each segment and refuses dot segments, encoded separators, NUL and bad escapes", () => {
    expect(requestPath("/a/b%20c/?x=1#y")).toEqual({ segments: ["a", "b c"], directory: true });
    expect(requestPath("//assets//x.js")).toEqual({
      segments: ["assets", "x.js"],
      directory: false,
    });
    expect(requestPath("/")).toEqual({ segments: [], directory: true });
    for (const bad of [
      "/%",
      "/%zz",
      "/%E0%A4%A",
      "/..",
      "/a/../b",
      "/%2e%2e/x",
      "/.",
      "/a%2Fb",
      "/a%5Cb",
      "/a\\b",
      "/a%00b",
      "*",
      "http://127.0.0.1/",
      "",
    ]) {
      expect(requestPath(bad), bad).toBeNull();
    }
  });

  it("hostAllowed accepts this server's own authority and loopback names, nothing a rebinding page could send", () => {
    const loopback = { host: "127.0.0.1", port: 4173 };
    for (const ok of ["127.0.0.1:4173", "localhost:4173", "LOCALHOST:4173", "[::1]:4173"])
      expect(hostAllowed(ok, loopback), ok).toBe(true);
    for (const bad of [
      undefined,
      "",
      "127.0.0.1",
      "127.0.0.1:80",
      "127.0.0.1:41730",
      "evil.example:4173",
      "127.0.0.1.evil.example:4173",
      "localhost.:4173",
      "evil@127.0.0.1:4173",
      "127.0.0.1:4173@evil",
      "192.168.1.2:4173",
      "[::1]",
      "127.0.0.1:4173:4173",
    ]) {
      expect(hostAllowed(bad, loopback), String(bad)).toBe(false);
    }
    const wildcard = { host: "0.0.0.0", port: 80 };
    for (const ok of ["192.168.1.2", "10.0.0.7:80", "[fe80::1]", "localhost"])
      expect(hostAllowed(ok, wildcard), ok).toBe(true);
    for (const bad of ["evil.example", "my-laptop.local:80", "10.0.0.7:8080"])
      expect(hostAllowed(bad, wildcard), bad).toBe(false);
    const lan = { host: "192.168.1.2", port: 8000 };
    expect(hostAllowed("192.168.1.2:8000", lan)).toBe(true);
    expect(hostAllowed("localhost:8000", lan)).toBe(false);
    expect(hostAllowed("[::1]:9", { host: "::1", port: 9 })).toBe(true);
  });
});

/**
 * The status code, head and body of the answer to raw request bytes (status null: the server
 * closed without answering). Reads until the server closes, or until `readBytes` have come, or
 * — for a kept-alive connection — until the first response is complete when `whole` is false.
 */
function raw(
  port: number,
  request: string | Buffer,
  { readBytes = Infinity, whole = false, halfClose = false } = {},
): Promise<{ status: number | null; head: string; body: Buffer }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let size = 0;
    const parse = () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      const head = (split < 0 ? all : all.subarray(0, split)).toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const length = /\r\ncontent-length: (\d+)\r?$/im.exec(head);
      const body = split < 0 ? Buffer.alloc(0) : all.subarray(split + 4);
      return {
        status: status ? Number(status[1]) : null,
        head,
        body,
        complete: split >= 0 && !!length && body.length >= Number(length[1]),
      };
    };
    const finish = () => {
      const { status, head, body } = parse();
      resolve({ status, head, body });
    };
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= readBytes || (!whole && parse().complete)) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", finish);
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

describe("serve under malformed and hostile requests", () => {
  let site: SiteServer;
  let dir: string;
  const logged: string[] = [];
  const get = (path: string, host = `127.0.0.1:${site.port}`) =>
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "atlas-serve-"));
    const root = join(dir, "site");
    mkdirSync(join(root, "assets"), { recursive: true });
    mkdirSync(join(root, "sub"));
    mkdirSync(join(dir, "site-evil"));
    mkdirSync(join(dir, "outside"));
    writeFileSync(join(root, "index.html"), "<!doctype html><title>Hidden Atlas</title>");
    writeFileSync(join(root, "sub", "index.html"), "sub index");
    writeFileSync(
      join(root, "assets", "core.wasm"),
      Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0),
    );
    writeFileSync(join(root, "assets", "big.npy"), Buffer.alloc(8 << 20, 7));
    writeFileSync(join(root, ".secret"), "dotfile");
    writeFileSync(join(dir, "secret.txt"), "outside the site");
    writeFileSync(join(dir, "outside", "secret.txt"), "outside the site");
    writeFileSync(
      join(dir, "site-evil", "secret.txt"),
      "a sibling folder that shares the site's prefix",
    );
    symlinkSync(join(dir, "outside"), join(root, "escape"));
    symlinkSync(join(dir, "secret.txt"), join(root, "escape.txt"));
    symlinkSync(join(dir, "site-evil"), join(root, "evil"));
    symlinkSync(join(root, "sub", "index.html"), join(root, "inside.html"));
    spawnSync("mkfifo", [join(root, "assets", "pipe.npy")]);
    site = await startSiteServer({ root, port: 0, log: (m) => logged.push(m) });
  });
  afterAll(async () => {
    await site?.close();
  });

  it("answers a client that half-closes after its request (sweep: GET / then shutdown got no answer)", async () => {
    const index = await raw(site.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${site.port}\r\n\r\n`, {
      halfClose: true,
      whole: true,
    });
    expect(index.status).toBe(200);
    expect(index.body.toString()).toContain("Hidden Atlas");
    const big = await raw(
      site.port,
      `GET /assets/big.npy HTTP/1.1\r\nHost: 127.0.0.1:${site.port}\r\n\r\n`,
      { halfClose: true, whole: true },
    );
    expect([big.status, big.body.length]).toEqual([200, 8 << 20]);
  });

  it("serves files with their type, length and every security header; HEAD has no body", async () => {
    const index = await raw(site.port, get("/"));
    expect(index.status).toBe(200);
    expect(index.body.toString()).toContain("Hidden Atlas");
    expect(index.head).toMatch(/\r\nContent-Type: text\/html; charset=utf-8\r\n/i);
    expect(index.head).toMatch(
      /\r\nContent-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval';[^\r]*connect-src 'self'[^\r]*frame-ancestors 'none'\r\n/i,
    );
    expect(index.head).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
    expect(index.head).toMatch(/\r\nCross-Origin-Opener-Policy: same-origin\r\n/i);
    expect(index.head).toMatch(/\r\nCross-Origin-Embedder-Policy: require-corp\r\n/i);
    expect(index.head).toMatch(/\r\nCross-Origin-Resource-Policy: same-origin\r\n/i);
    expect(index.head).toMatch(/\r\nReferrer-Policy: no-referrer\r\n/i);
    const wasm = await raw(site.port, get("/assets/core.wasm"));
    expect(wasm.head).toMatch(/\r\nContent-Type: application\/wasm\r\n/i);
    expect(wasm.head).toMatch(/\r\nContent-Length: 8\r\n/i);
    const head = await raw(
      site.port,
      `HEAD /assets/core.wasm HTTP/1.1\r\nHost: localhost:${site.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(head.status).toBe(200);
    expect(head.head).toMatch(/\r\nContent-Length: 8\r\n/i);
    expect(head.body.length).toBe(0);
    const notFound = await raw(site.port, get("/nope.html"));
    expect(notFound.status).toBe(404);
    expect(notFound.head).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
    expect((await raw(site.port, get("/inside.html"))).body.toString()).toBe("sub index");
  });

  const cases: [string, string | Buffer, number | null][] = [
    ["an incomplete %-escape (GET /%)", "GET /% HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["a bad %-escape", "GET /%zz HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["truncated UTF-8", "GET /%E0%A4%A HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["overlong UTF-8 dots", "GET /%c0%ae%c0%ae/secret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["a raw ..", "GET /../secret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["an encoded ..", "GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["encoded slashes", "GET /..%2F..%2Fsecret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    [
      "an encoded slash inside the site",
      "GET /assets%2Fcore.wasm HTTP/1.1\r\nHost: HOST\r\n\r\n",
      400,
    ],
    ["an encoded backslash", "GET /..%5Csecret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["an encoded NUL", "GET /index.html%00.png HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    [
      "a raw NUL in the request line",
      Buffer.from("GET /index.html\0 HTTP/1.1\r\nHost: HOST\r\n\r\n", "latin1"),
      400,
    ],
    ["an absolute-form target", "GET http://127.0.0.1/ HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["an asterisk target", "OPTIONS * HTTP/1.1\r\nHost: HOST\r\n\r\n", 405],
    ["POST with a body", "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\n\r\nhello", 405],
    ["PUT", "PUT /index.html HTTP/1.1\r\nHost: HOST\r\nContent-Length: 0\r\n\r\n", 405],
    ["DELETE", "DELETE /index.html HTTP/1.1\r\nHost: HOST\r\n\r\n", 405],
    ["TRACE", "TRACE / HTTP/1.1\r\nHost: HOST\r\n\r\n", 405],
    ["a made-up method", "BREW / HTTP/1.1\r\nHost: HOST\r\n\r\n", 400],
    ["CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: HOST\r\n\r\n", null],
    ["a foreign Host (DNS rebinding)", "GET / HTTP/1.1\r\nHost: rebind.example:PORT\r\n\r\n", 421],
    ["the right name with another port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", 421],
    ["HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 421],
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 400],
    ["two Host headers", "GET / HTTP/1.1\r\nHost: HOST\r\nHost: rebind.example\r\n\r\n", 400],
    [
      "Content-Length with Transfer-Encoding",
      "GET / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    ],
    ["a 100 kB path", `GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: HOST\r\n\r\n`, 431],
    ["an 8 kB path", `GET /${"a/".repeat(4000)} HTTP/1.1\r\nHost: HOST\r\n\r\n`, 404],
    ["a 300-byte file name", `GET /${"%41".repeat(300)} HTTP/1.1\r\nHost: HOST\r\n\r\n`, 404],
    ["a TLS ClientHello", Buffer.from("16030100a5010000a10303", "hex"), 400],
    ["garbage", "\r\n\r\nNOT HTTP AT ALL\r\n\r\n", 400],
    [
      "a symlinked folder leading outside",
      "GET /escape/secret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n",
      404,
    ],
    ["a symlinked file leading outside", "GET /escape.txt HTTP/1.1\r\nHost: HOST\r\n\r\n", 404],
    [
      "a symlink into a sibling sharing the site's prefix",
      "GET /evil/secret.txt HTTP/1.1\r\nHost: HOST\r\n\r\n",
      404,
    ],
    ["a dotfile", "GET /.secret HTTP/1.1\r\nHost: HOST\r\n\r\n", 404],
    ["a FIFO", "GET /assets/pipe.npy HTTP/1.1\r\nHost: HOST\r\n\r\n", 404],
    ["a folder without its index", "GET /assets/ HTTP/1.1\r\nHost: HOST\r\n\r\n", 404],
  ];
  for (const [what, request, status] of cases) {
    it(`answers ${what} with ${status ?? "a closed connection"} and keeps serving`, async () => {
      const bytes =
        typeof request === "string"
          ? request
              .replaceAll("HOST", `127.0.0.1:${site.port}`)
              .replaceAll("PORT", String(site.port))
          : request;
      const answer = await raw(site.port, bytes);
      expect(answer.status).toBe(status);
      if (status === 405) expect(answer.head).toMatch(/\r\nAllow: GET, HEAD\r\n/i);
      if (status !== null && status !== 404)
        expect(answer.body.toString()).not.toContain("outside the site");
      expect((await raw(site.port, get("/"))).status).toBe(200);
    });
  }

  it("redirects a folder to its trailing slash, never to another host", async () => {
    const folder = await raw(site.port, get("/sub"));
    expect(folder.status).toBe(301);
    expect(folder.head).toMatch(/\r\nLocation: \/sub\/\r\n/i);
    const doubled = await raw(site.port, get("//sub"));
    expect(doubled.head).toMatch(/\r\nLocation: \/sub\/\r\n/i);
    expect((await raw(site.port, get("/sub/"))).body.toString()).toBe("sub index");
  });

  it("answers pipelined requests in order on one connection", async () => {
    const host = `127.0.0.1:${site.port}`;
    const answer = await raw(
      site.port,
      `GET /sub/ HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /nope HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      { whole: true },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toMatch(/^sub indexHTTP\/1\.1 404 /);
  });

  it("survives clients that abort mid-download, stop reading, or never finish their headers", async () => {
    // Aborts: read 64 kB of an 8 MB file and hang up, 20 times.
    for (let i = 0; i < 20; i++)
      expect((await raw(site.port, get("/assets/big.npy"), { readBytes: 65_536 })).status).toBe(
        200,
      );
    // A reader that stops reading, and a client that sends half its headers, stay open meanwhile.
    const stalled = connect(site.port, "127.0.0.1", () => stalled.write(get("/assets/big.npy")));
    stalled.pause();
    stalled.on("error", () => {});
    const slow = connect(site.port, "127.0.0.1", () =>
      slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1"),
    );
    slow.on("error", () => {});
    await new Promise((r) => setTimeout(r, 200));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => raw(site.port, get("/assets/core.wasm"))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    stalled.destroy();
    slow.destroy();
    const whole = await raw(site.port, get("/assets/big.npy"));
    expect(whole.body.length).toBe(8 << 20);
    expect(logged).toEqual([]);
  });
});
