/**
 * The "Export report" button of every notebook: renders the notebook's ReportSpec to one
 * self-contained HTML file and downloads it.
 */
import { renderReport, type ReportSpec } from "../report/report.ts";

export function exportButton(
  makeReport: () => ReportSpec | Promise<ReportSpec>,
  { label = "Export report", filename = "hidden-atlas-report.html", document = globalThis.document } = {},
): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "atlas-export";
  button.textContent = label;
  const exportReport = async () => {
    button.disabled = true;
    try {
      const html = renderReport(await makeReport());
      const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = filename.replace(/[^\w.-]+/g, "_");
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", () => void exportReport());
  return button;
}
