/**
 * The "Export report" button of every notebook: renders the notebook's ReportSpec to one
 * self-contained HTML file and downloads it.
 */
import type { HashedBundle } from "../io/digest.ts";
import { renderReport, type ReportSpec } from "../report/report.ts";

/** Tells the person what an export is waiting for (shown on the button while it waits). */
export type ExportStatus = (text: string) => void;

export function exportButton(
  makeReport: (status: ExportStatus) => ReportSpec | Promise<ReportSpec>,
  {
    label = "Export report",
    filename = "hidden-atlas-report.html",
    document = globalThis.document,
  } = {},
): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "atlas-export";
  button.textContent = label;
  const status: ExportStatus = (text) => {
    button.textContent = text;
  };
  const exportReport = async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    let failed = false;
    try {
      const html = renderReport(await makeReport(status));
      const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = filename.replace(/[^\w.-]+/g, "_");
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      failed = true;
      button.textContent = `${label}: failed (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (!failed) button.textContent = label;
    }
  };
  button.addEventListener("click", () => void exportReport());
  return button;
}

/**
 * The bundle's content hash for a report: at once when it is known; for a large bundle whose
 * hash is still being computed in the background, once it is (saying "hashing the bundle…"
 * meanwhile), so a report is never named by the provisional `quick:` key.
 */
export async function finalSha256(bundle: HashedBundle, status?: ExportStatus): Promise<string> {
  if (bundle.digest === undefined) return bundle.sha256;
  const pending = Symbol("pending");
  const first = await Promise.race([bundle.digest, Promise.resolve(pending)]);
  if (first !== pending) return first;
  status?.("hashing the bundle… (every byte is read once before a report is named)");
  return bundle.digest;
}
