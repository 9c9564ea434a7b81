// Write the API reference (TypeDoc, from the doc comments of the package's entry points: see
// typedoc.json) into the built site, dist/site/api/ — or into the folder given as the first
// argument. Runs after `vite build`, which empties dist/site.
//
// Many modules document their main function in the module's header comment (the algorithm,
// its defaults, an example, references) rather than above the function itself. A function or
// class that has no comment of its own is therefore shown with the header of the module that
// defines it; its own comment, once written, takes precedence.
//
// Every page gets a Content-Security-Policy like the rest of the site: nothing is loaded from
// off the machine, and the inline script TypeDoc writes (its theme switch) becomes a file of
// assets/, found in the pages themselves so that a TypeDoc upgrade cannot silently break it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Application, Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** All .html files under `dir`. */
async function htmlFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".html"))
    .map((e) => join(e.parentPath, e.name));
}

/** The comment a source file opens with (`/** … *\/` before any code), as plain lines. */
function headerLines(file) {
  const match = /^\s*\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, "utf8"));
  return match ? match[1].split("\n").map((line) => line.replace(/^\s*\* ?/, "")) : null;
}

/** A TypeDoc comment from a header: the text as markdown, each `@example` as a code block. */
function headerComment(lines) {
  const summary = [];
  const examples = [];
  let example = null;
  for (const line of lines) {
    if (/^@example\b/.test(line)) {
      example = [];
      examples.push(example);
    } else if (example && line.trim() === "" && example.length > 0) {
      example = null;
      summary.push("");
    } else if (example) {
      if (line.trim() !== "") example.push(line);
    } else {
      summary.push(line);
    }
  }
  const text = summary.join("\n").trim();
  const tags = examples.map((code) => {
    const indent = Math.min(...code.map((l) => l.match(/^ */)[0].length));
    const body = code.map((l) => l.slice(indent)).join("\n");
    return new CommentTag("@example", [{ kind: "code", text: `\`\`\`ts\n${body}\n\`\`\`` }]);
  });
  return new Comment(text ? [{ kind: "text", text }] : [], tags);
}

/** Give every undocumented function and class the header comment of its module. */
function documentFromModuleHeaders(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const reflection of project.getReflectionsByKind(
      ReflectionKind.Function | ReflectionKind.Class,
    )) {
      const own = reflection.comment ?? reflection.signatures?.find((s) => s.comment)?.comment;
      const file = reflection.sources?.[0]?.fullFileName;
      if (own || !file) continue;
      const lines = headerLines(file);
      if (!lines) continue;
      const comment = headerComment(lines);
      if (reflection.signatures?.length) reflection.signatures[0].comment = comment;
      else reflection.comment = comment;
    }
  });
}

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * Add the policy (and an empty icon) to every page, after `<head>`, and move each inline
 * script into a file of assets/ named by its hash: `hidden-atlas serve` sends the site's own
 * header policy, which allows no inline script, and a browser enforces both policies.
 */
async function addContentSecurityPolicy(out) {
  const files = await htmlFiles(out);
  const pages = await Promise.all(files.map((f) => readFile(f, "utf8")));
  const scripts = new Map();
  // The empty icon keeps browsers from asking the server for a /favicon.ico it does not have.
  const meta = `<meta http-equiv="Content-Security-Policy" content="${POLICY}"/><link rel="icon" href="data:,"/>`;
  await Promise.all(
    files.map((file, i) => {
      if (!pages[i].includes("<head>")) throw new Error(`${file}: no <head> to put the CSP in`);
      const page = pages[i].replace(INLINE_SCRIPT, (_, body) => {
        const name = `inline-${createHash("sha256").update(body, "utf8").digest("hex").slice(0, 16)}.js`;
        scripts.set(name, body);
        const src = relative(dirname(file), join(out, "assets", name))
          .split(sep)
          .join("/");
        return `<script src="${src}"></script>`;
      });
      return writeFile(file, page.replace("<head>", `<head>${meta}`));
    }),
  );
  await Promise.all([...scripts].map(([name, body]) => writeFile(join(out, "assets", name), body)));
  return files.length;
}

export async function buildApi(out = join(root, "dist", "site", "api")) {
  const app = await Application.bootstrapWithPlugins({ options: join(root, "typedoc.json"), out });
  documentFromModuleHeaders(app);
  const project = await app.convert();
  if (!project)
    throw new Error("TypeDoc could not convert the entry points (see the messages above)");
  app.validate(project);
  if (app.logger.hasErrors()) throw new Error("TypeDoc reported errors (see the messages above)");
  await app.generateOutputs(project);
  return addContentSecurityPolicy(out);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const pages = await buildApi(out);
  console.error(`wrote ${pages} API reference pages to ${out ?? "dist/site/api"}`);
}
