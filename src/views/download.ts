/** A link that downloads bytes made in the page (a trained bundle, an exported array). */
export function downloadLink(bytes: Uint8Array, filename: string, { label = `Download ${filename}`, type = "application/octet-stream", document = globalThis.document } = {}): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  a.download = filename;
  a.textContent = label;
  return a;
}
