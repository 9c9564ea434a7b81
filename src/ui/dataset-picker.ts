/**
 * The dataset picker every notebook opens with: the bundled examples, the bundles retrained in
 * this browser (the examples notebook keeps them), plus "open your own bundle" by file input (a
 * .zip, an .npz, or a folder) or by drag-and-drop. Its value is a DatasetChoice; `loadDataset`
 * opens and checks it and, when the bundle is bad, says so once, in the picker, with what the
 * page can do about it.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { openBundle, type HashedBundle } from "../io/digest.ts";
import { MANIFEST_FILE, parseManifest } from "../io/manifest.ts";
import {
  sourceFromFiles,
  urlSource,
  zipSource,
  type BundleSource,
  type FileLike,
} from "../io/sources.ts";
import { EXAMPLES, EXAMPLE_BUNDLES, exampleUrl, type ExampleBundle } from "./examples.ts";
import { failureMessage, superseded, until } from "./run.ts";
import { listStoredBundles, readStoredBundle } from "./stored-bundles.ts";
import { ensureWorkspace } from "./workspace.ts";

export type DatasetChoice = (
  | { kind: "example"; name: string }
  | { kind: "stored"; name: string; key: string }
  | { kind: "files"; name: string; files: FileLike[] }
) & {
  /** Layers left out when opening (the remedy for a layer the page cannot use). */
  skipLayers?: string[];
};

/** Prefix of a stored bundle's key in the URL's `data` parameter. */
const STORED_PREFIX = "stored:";

/** The pickers that made each choice, so `loadDataset` can report in the right one. */
const pickers = new WeakMap<object, DatasetPickerElement>();

export type DatasetPickerElement = HTMLElement & {
  value: DatasetChoice;
  /** Make `choice` the picker's value and tell the notebook (an "input" event). */
  choose(choice: DatasetChoice): void;
  /** The line under the picker: what is being opened, or why it could not be. */
  readonly status: HTMLElement;
};

export interface DatasetPickerOptions {
  /** Examples offered (default: every bundled example). */
  examples?: ExampleBundle[];
  /** Initially selected example name, or "stored:KEY" for a bundle retrained in this browser. */
  value?: string;
  document?: Document;
}

export function datasetPicker(options: DatasetPickerOptions = {}): DatasetPickerElement {
  const document = options.document ?? globalThis.document;
  const examples = options.examples ?? EXAMPLES;
  const storedKey = options.value?.startsWith(STORED_PREFIX)
    ? options.value.slice(STORED_PREFIX.length)
    : null;
  const initial = examples.find((e) => e.name === options.value) ?? examples[0];
  const root = document.createElement("form") as unknown as DatasetPickerElement;
  root.className = "atlas-picker";
  root.setAttribute("aria-label", "data set");
  root.addEventListener("submit", (event) => event.preventDefault());

  const label = document.createElement("label");
  label.textContent = "Data ";
  const select = document.createElement("select");
  // Not "dataset": a form's named controls shadow its built-in properties (form.dataset would
  // be this select, and the picker's data-state would never be set).
  select.name = "data";
  for (const example of examples) {
    const option = document.createElement("option");
    option.value = example.name;
    option.textContent = example.title;
    option.title = example.description;
    select.appendChild(option);
  }
  const own = document.createElement("option");
  own.value = "";
  own.textContent = "your own bundle…";
  own.disabled = true;
  select.appendChild(own);
  select.value = initial.name;
  label.appendChild(select);

  const fileInput = document.createElement("input");
  fileInput.type = "file";
  fileInput.accept = ".zip,.npz";
  fileInput.setAttribute("aria-label", "open a bundle (.zip or .npz)");
  const folderInput = document.createElement("input");
  folderInput.type = "file";
  folderInput.setAttribute("webkitdirectory", "");
  folderInput.setAttribute("aria-label", "open a bundle folder");
  const openFile = button(document, "Open .zip / .npz…", () => fileInput.click());
  const openFolder = button(document, "Open folder…", () => folderInput.click());
  fileInput.hidden = true;
  folderInput.hidden = true;
  const hint = document.createElement("span");
  hint.className = "atlas-picker-hint";
  hint.textContent = "or drop a bundle here";
  const status = document.createElement("div");
  status.className = "atlas-picker-status";
  root.append(label, " ", openFile, " ", openFolder, " ", hint, fileInput, folderInput, status);
  Object.defineProperty(root, "status", { value: status });

  // Bundles retrained in this browser, listed once the store answers (none when it cannot).
  const trained = document.createElement("optgroup");
  trained.label = "retrained in this browser";
  const storedOption = (key: string, title: string) => {
    const option = document.createElement("option");
    option.value = STORED_PREFIX + key;
    option.textContent = title;
    return option;
  };
  const setValue = (choice: DatasetChoice) => {
    pickers.set(choice, root);
    root.value = choice;
  };
  setValue(
    storedKey
      ? { kind: "stored", name: storedKey, key: storedKey }
      : { kind: "example", name: initial.name },
  );
  if (storedKey) {
    // Shown at once (the URL asked for it); its title comes when the store answers.
    const option = storedOption(storedKey, `retrained: ${storedKey}`);
    trained.appendChild(option);
    select.insertBefore(trained, own);
    select.value = option.value;
  }
  void listStoredBundles()
    .then((stored) => {
      for (const b of stored) {
        const existing = Array.from(trained.children).find(
          (o) => (o as HTMLOptionElement).value === STORED_PREFIX + b.key,
        );
        if (existing) existing.textContent = b.title;
        else trained.appendChild(storedOption(b.key, b.title));
      }
      if (trained.children.length > 0 && !trained.parentNode) select.insertBefore(trained, own);
    })
    .catch(() => {});

  const choose = (choice: DatasetChoice) => {
    setValue(choice);
    if (choice.kind === "files") {
      own.textContent = `your bundle: ${choice.name}`;
      own.disabled = false;
      select.value = "";
    }
    root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  root.choose = choose;
  // The page becomes a workspace (side panel of controls) once the picker is on it.
  const whenShown = (tries: number) => {
    if (root.isConnected) ensureWorkspace(document);
    else if (tries > 0 && typeof requestAnimationFrame === "function")
      requestAnimationFrame(() => whenShown(tries - 1));
  };
  whenShown(600);
  select.addEventListener("change", () => {
    if (select.value.startsWith(STORED_PREFIX)) {
      const key = select.value.slice(STORED_PREFIX.length);
      choose({ kind: "stored", name: key, key });
    } else if (select.value) choose({ kind: "example", name: select.value });
  });
  // Keep the select's own input event from reaching the notebook before `value` is set.
  select.addEventListener("input", (event) => event.stopPropagation());
  const fromInput = (input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []);
    if (files.length > 0) choose({ kind: "files", name: nameOf(files), files });
    input.value = "";
  };
  fileInput.addEventListener("change", () => fromInput(fileInput));
  folderInput.addEventListener("change", () => fromInput(folderInput));
  fileInput.addEventListener("input", (event) => event.stopPropagation());
  folderInput.addEventListener("input", (event) => event.stopPropagation());

  root.addEventListener("dragover", (event) => {
    event.preventDefault();
    root.classList.add("atlas-drop");
  });
  root.addEventListener("dragleave", () => root.classList.remove("atlas-drop"));
  const drop = async (event: DragEvent) => {
    event.preventDefault();
    root.classList.remove("atlas-drop");
    if (!event.dataTransfer) return;
    const files = await droppedFiles(event.dataTransfer);
    if (files.length > 0) choose({ kind: "files", name: nameOf(files), files });
  };
  root.addEventListener("drop", (event) => void drop(event));
  return root;
}

function button(document: Document, text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function nameOf(files: FileLike[]): string {
  const first = files[0];
  const path = first.webkitRelativePath || first.name;
  return files.length === 1 ? first.name : path.split("/")[0] || first.name;
}

/** Files dropped on the page, walking into dropped folders (FileSystemEntry API). */
async function droppedFiles(transfer: DataTransfer): Promise<FileLike[]> {
  const entries = Array.from(transfer.items ?? [])
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(transfer.files);
  const out: FileLike[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) =>
        (entry as FileSystemFileEntry).file(resolve, reject),
      );
      const path = prefix + file.name;
      // The File keeps its bytes where they lie (read in slices); the path travels beside it.
      out.push({
        name: file.name,
        webkitRelativePath: path,
        arrayBuffer: () => file.arrayBuffer(),
        blob: file,
      });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
          reader.readEntries(resolve, reject),
        );
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  // A single dropped archive keeps its plain name so sourceFromFiles opens it as an archive.
  if (out.length === 1 && !out[0].webkitRelativePath?.includes("/"))
    return [{ ...out[0], webkitRelativePath: "" }];
  return out;
}

/** The chosen bundle's source (where its files are read from). */
async function datasetSource(choice: DatasetChoice): Promise<BundleSource> {
  if (choice.kind === "example") {
    const example = EXAMPLE_BUNDLES.find((e) => e.name === choice.name);
    if (!example)
      throw new HiddenAtlasError(
        "E_PARAM",
        `no bundled example named ${JSON.stringify(choice.name)}`,
      );
    const url = exampleUrl(example);
    if (!example.path.endsWith(".zip")) return urlSource(url, example.name);
    const response = await fetch(url);
    if (!response.ok)
      throw new HiddenAtlasError(
        "E_IO",
        `GET ${url}: HTTP ${response.status} (run \`npm run examples\` to make the example bundles)`,
        { url },
      );
    return zipSource(new Uint8Array(await response.arrayBuffer()), example.path);
  }
  if (choice.kind === "stored") {
    const stored = await readStoredBundle(choice.key).catch(() => undefined);
    if (!stored) {
      throw new HiddenAtlasError(
        "E_MISSING_FILE",
        `this browser holds no retrained bundle ${JSON.stringify(choice.key)} (bundles retrained in the examples notebook are kept in the browser that trained them, the newest few only)`,
        { parameter: "data" },
      );
    }
    return zipSource(stored.zip, `${stored.name}.zip`);
  }
  if (choice.files.length === 0) throw new HiddenAtlasError("E_PARAM", "no files were given");
  return sourceFromFiles(choice.files, choice.name);
}

/**
 * Load and check the chosen bundle (without the layers in `skipLayers`) and hash it. A bundle
 * larger than DEFER_DIGEST_ABOVE_BYTES opens once its headers are read, and is hashed in the
 * background (`bundle.digest`; `bundle.sha256` is its provisional "quick:" name until then).
 */
export async function openDataset(choice: DatasetChoice): Promise<HashedBundle> {
  const source = await datasetSource(choice);
  const layers = choice.skipLayers?.length
    ? { layers: await keptLayers(source, choice.skipLayers) }
    : {};
  return openBundle(source, { digest: "auto", ...layers });
}

/** The manifest's layer names less `skip`. */
async function keptLayers(source: BundleSource, skip: readonly string[]): Promise<string[]> {
  const manifest = parseManifest(
    new TextDecoder().decode(await source.read(MANIFEST_FILE)),
    `${source.name}/${MANIFEST_FILE}`,
  );
  const names = new Set([
    ...manifest.layers.map((l) => l.name),
    ...(manifest.checkpoints ?? []).flatMap((c) => c.layers.map((l) => l.name)),
  ]);
  return [...names].filter((n) => !skip.includes(n));
}

/** The URL's `data` value for a choice: an example's name, "stored:KEY", or null (files cannot be named in a URL). */
export function datasetParam(choice: DatasetChoice): string | null {
  if (choice.kind === "example") return choice.name;
  if (choice.kind === "stored") return STORED_PREFIX + choice.key;
  return null;
}

/** What the page can do about a bundle that failed to open. */
interface Remedy {
  text: string;
  /** A button that applies it: the label and the choice to open instead. */
  action?: { label: string; choice: DatasetChoice };
}

async function remedyFor(error: unknown, choice: DatasetChoice): Promise<Remedy> {
  const general =
    "Choose another data set above, or mend the bundle: “npx hidden-atlas info BUNDLE” checks it and names the file and field that are wrong.";
  if (!(error instanceof HiddenAtlasError)) return { text: general };
  if (error.code === "E_NON_FINITE" && typeof error.details.file === "string") {
    // A layer with NaN or ±Infinity cannot be analysed; the rest of the bundle can.
    const file = error.details.file;
    try {
      const source = await datasetSource(choice);
      const manifest = parseManifest(
        new TextDecoder().decode(await source.read(MANIFEST_FILE)),
        MANIFEST_FILE,
      );
      const layers = [...manifest.layers, ...(manifest.checkpoints ?? []).flatMap((c) => c.layers)];
      const layer = layers.find((l) => file === l.file || file.endsWith(`/${l.file}`));
      if (layer) {
        const skip = [...(choice.skipLayers ?? []), layer.name];
        return {
          text: `No analysis here can use a layer with NaN or infinite values. Open the bundle without layer “${layer.name}”, or export it again (tools/export_bundle.py stops at the first non-finite value and names it).`,
          action: {
            label: `Open without layer “${layer.name}”`,
            choice: { ...choice, skipLayers: skip },
          },
        };
      }
    } catch {
      // Fall through to the general advice.
    }
    return { text: `No analysis here can use NaN or infinite values in ${file}. ${general}` };
  }
  if (error.code === "E_TOO_LARGE")
    return {
      text: "The message says what would fit. Choose another data set above, or export fewer samples or smaller layers.",
    };
  return { text: general };
}

/**
 * Open the picker's choice for the notebook. While it opens, the picker says so; when the
 * bundle cannot be opened, the picker shows why, once, with the remedy the page can apply
 * (e.g. "Open without layer …" for a layer with NaN), and the returned promise stays pending
 * until another bundle is chosen, so the cells that needed the bundle show nothing instead of the
 * same error each. It then rejects with `superseded()`: Observable runs the cell again only once
 * its previous value has settled, and ignores what an outdated value settles with. Pass the
 * cell's `invalidation`: the promise then rejects when the runtime re-runs the cell, never before
 * (without it, on the picker's next choice, which the runtime may not have seen yet).
 */
export async function loadDataset(
  choice: DatasetChoice,
  options: { invalidation?: Promise<unknown> } = {},
): Promise<HashedBundle> {
  const picker = pickers.get(choice);
  if (!picker) return openDataset(choice);
  const status = picker.status;
  const document = picker.ownerDocument;
  setState(picker, "opening");
  status.removeAttribute("role");
  status.textContent = `opening ${choice.name}…`;
  try {
    const bundle = await openDataset(choice);
    if (picker.value !== choice) throw superseded();
    setState(picker, "open");
    const opened = choice.skipLayers?.length
      ? `opened without ${choice.skipLayers.map((l) => `“${l}”`).join(", ")}`
      : "";
    status.textContent = opened;
    if (bundle.digest !== undefined) {
      // A large bundle: say that its hash (and the CRC and finiteness pass) is still running.
      status.textContent = [opened, "checking and hashing every byte in the background…"]
        .filter(Boolean)
        .join("; ");
      bundle.digest.then(
        () => {
          if (picker.value === choice) status.textContent = opened;
        },
        (error) => {
          if (picker.value !== choice) return;
          status.setAttribute("role", "alert");
          status.textContent = `${choice.name}: the background check failed: ${failureMessage(error)}`;
        },
      );
    }
    return bundle;
  } catch (error) {
    if (picker.value !== choice) throw superseded();
    const remedy = await remedyFor(error, choice);
    setState(picker, "failed");
    status.replaceChildren();
    status.setAttribute("role", "alert");
    const title = document.createElement("strong");
    title.textContent = `${choice.name} could not be opened`;
    const message = document.createElement("p");
    message.className = "atlas-error-message";
    message.textContent = failureMessage(error);
    const advice = document.createElement("p");
    advice.textContent = remedy.text;
    const format = document.createElement("a");
    format.href = "./bundle-format.html";
    format.textContent = "What a bundle holds";
    advice.append(" ", format, ".");
    status.append(title, message, advice);
    if (remedy.action) {
      const { label, choice: instead } = remedy.action;
      status.appendChild(button(document, label, () => picker.choose(instead)));
    }
    // Settled once the cell re-runs (its `invalidation`): a promise that rejects before the
    // runtime has moved the cell on counts as the cell's error, for it and every cell after it.
    return options.invalidation
      ? until<HashedBundle>(options.invalidation)
      : untilChoiceChanges(picker, choice);
  }
}

/**
 * The picker's `data-state` (opening, open, failed), set as an attribute: the picker is a form,
 * whose named controls would shadow `dataset` if one were ever named so.
 */
function setState(picker: DatasetPickerElement, state: "opening" | "open" | "failed"): void {
  picker.setAttribute("data-state", state);
}

/** Pending while `choice` is the picker's value; rejected with `superseded()` once it is not. */
function untilChoiceChanges<T>(picker: DatasetPickerElement, choice: DatasetChoice): Promise<T> {
  return new Promise<T>((_, reject) => {
    const changed = () => {
      if (picker.value === choice) return;
      picker.removeEventListener("input", changed);
      reject(superseded());
    };
    picker.addEventListener("input", changed);
  });
}
