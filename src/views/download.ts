/** A link that downloads bytes made in the page (a trained bundle, an exported array). */

/** Every option's default. */
export const defaults = {
  /** Link text. Defaults to "Download FILENAME" (undefined here: derived from the file name). */
  label: undefined as string | undefined,
  /** MIME type of the download. */
  type: "application/octet-stream",
};

/**
 * An <a download> for `bytes` saved as `filename`; `label` is its text, `type` its MIME type,
 * `document` the document to build in (the global one by default).
 *
 * @example
 *   display(downloadLink(zipBundle(bundle), "bundle.zip"));
 */
export function downloadLink(
  bytes: Uint8Array,
  filename: string,
  {
    label = defaults.label,
    type = defaults.type,
    document = globalThis.document,
  }: { label?: string; type?: string; document?: Document } = {},
): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  a.download = filename;
  a.textContent = label ?? `Download ${filename}`;
  return a;
}

/**
 * A button that downloads a text file made when it is clicked (`write()` runs at the click, so
 * the file holds that moment's state). The hidden link it clicks is put in `container` for the
 * click and taken out again; `onLink` gets it, e.g. to revoke its URL later.
 *
 * @example
 *   actions.append(downloadButton("Export CSV", "rows.csv", "text/csv", () => csv, {container: actions}));
 */
export function downloadButton(
  label: string,
  filename: string,
  type: string,
  write: () => string,
  options: {
    container: HTMLElement;
    document?: Document;
    onLink?: (a: HTMLAnchorElement) => void;
  },
): HTMLButtonElement {
  const document = options.document ?? globalThis.document;
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", () => {
    const a = downloadLink(new TextEncoder().encode(write()), filename, { label, type, document });
    a.style.display = "none";
    options.onLink?.(a);
    options.container.appendChild(a);
    a.click();
    a.remove();
  });
  return b;
}
