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
