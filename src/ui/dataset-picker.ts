/**
 * The dataset picker every notebook opens with: the bundled examples, plus "open your own
 * bundle" by file input (a .zip, an .npz, or a folder) or by drag-and-drop. Its value is a
 * DatasetChoice; `openDataset` loads and checks it.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { openBundle, type HashedBundle } from "../io/digest.ts";
import { sourceFromFiles, urlSource, zipSource, type FileLike } from "../io/sources.ts";
import { EXAMPLES, EXAMPLE_BUNDLES, exampleUrl, type ExampleBundle } from "./examples.ts";

export type DatasetChoice =
  | { kind: "example"; name: string }
  | { kind: "files"; name: string; files: FileLike[] };

export type DatasetPickerElement = HTMLElement & { value: DatasetChoice };

export interface DatasetPickerOptions {
  /** Examples offered (default: every bundled example). */
  examples?: ExampleBundle[];
  /** Initially selected example name. */
  value?: string;
  document?: Document;
}

export function datasetPicker(options: DatasetPickerOptions = {}): DatasetPickerElement {
  const document = options.document ?? globalThis.document;
  const examples = options.examples ?? EXAMPLES;
  const initial = examples.find((e) => e.name === options.value) ?? examples[0];
  const root = document.createElement("form") as unknown as DatasetPickerElement;
  root.className = "atlas-picker";
  root.addEventListener("submit", (event) => event.preventDefault());

  const label = document.createElement("label");
  label.textContent = "Data ";
  const select = document.createElement("select");
  select.name = "dataset";
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
  root.append(label, " ", openFile, " ", openFolder, " ", hint, fileInput, folderInput);

  root.value = { kind: "example", name: initial.name };
  const choose = (choice: DatasetChoice) => {
    root.value = choice;
    if (choice.kind === "files") {
      own.textContent = `your bundle: ${choice.name}`;
      own.disabled = false;
      select.value = "";
    }
    root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  select.addEventListener("change", () => {
    if (select.value) choose({ kind: "example", name: select.value });
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
  root.addEventListener("drop", async (event) => {
    event.preventDefault();
    root.classList.remove("atlas-drop");
    if (!event.dataTransfer) return;
    const files = await droppedFiles(event.dataTransfer);
    if (files.length > 0) choose({ kind: "files", name: nameOf(files), files });
  });
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
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      const path = prefix + file.name;
      out.push({ name: file.name, webkitRelativePath: path, arrayBuffer: () => file.arrayBuffer() });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  // A single dropped archive keeps its plain name so sourceFromFiles opens it as an archive.
  if (out.length === 1 && !out[0].webkitRelativePath?.includes("/")) return [{ ...out[0], webkitRelativePath: "" }];
  return out;
}

/** Load, check and hash the chosen bundle. */
export async function openDataset(choice: DatasetChoice): Promise<HashedBundle> {
  if (choice.kind === "example") {
    const example = EXAMPLE_BUNDLES.find((e) => e.name === choice.name);
    if (!example) throw new HiddenAtlasError("E_PARAM", `no bundled example named ${JSON.stringify(choice.name)}`);
    const url = exampleUrl(example);
    if (!example.path.endsWith(".zip")) return openBundle(urlSource(url, example.name));
    const response = await fetch(url);
    if (!response.ok) throw new HiddenAtlasError("E_IO", `GET ${url}: HTTP ${response.status} (run \`npm run examples\` to make the example bundles)`, { url });
    return openBundle(zipSource(new Uint8Array(await response.arrayBuffer()), example.path));
  }
  if (choice.files.length === 0) throw new HiddenAtlasError("E_PARAM", "no files were given");
  return openBundle(await sourceFromFiles(choice.files, choice.name));
}
