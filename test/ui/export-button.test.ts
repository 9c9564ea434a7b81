// The export button names a report by the bundle's final content hash: a large bundle still
// hashing in the background makes the export wait (the button says so), never use `quick:`.
import { describe, expect, it } from "vitest";
import type { HashedBundle } from "../../src/io/digest.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { exportButton, finalSha256 } from "../../src/ui/export-button.ts";

function deferredBundle() {
  let resolve!: (hex: string) => void;
  let sha256 = "quick:0123";
  const digest = new Promise<string>((r) => (resolve = r)).then((hex) => (sha256 = hex));
  const bundle = { digest } as unknown as HashedBundle;
  Object.defineProperty(bundle, "sha256", { get: () => sha256 });
  return { bundle, finish: (hex: string) => resolve(hex) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("finalSha256", () => {
  it("returns a known hash at once, without a status", async () => {
    const said: string[] = [];
    expect(
      await finalSha256({ sha256: "ab".repeat(32) } as HashedBundle, (t) => said.push(t)),
    ).toBe("ab".repeat(32));
    const { bundle, finish } = deferredBundle();
    finish("cd".repeat(32));
    await bundle.digest;
    expect(await finalSha256(bundle, (t) => said.push(t))).toBe("cd".repeat(32));
    expect(said).toEqual([]);
  });

  it("waits for a hash still being computed and says so; the export button shows it, then its label again", async () => {
    const document = reportDocument();
    const { bundle, finish } = deferredBundle();
    let named: string | undefined;
    const button = exportButton(
      async (status) => {
        named = await finalSha256(bundle, status);
        throw new Error("stop before rendering"); // the name is what this test is about
      },
      { label: "Export report", document },
    );
    button.click();
    await tick();
    expect(button.textContent).toMatch(/^hashing the bundle…/);
    expect(button.disabled).toBe(true);
    expect(named).toBeUndefined();
    finish("ef".repeat(32));
    await tick();
    expect(named).toBe("ef".repeat(32));
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe("Export report: failed (stop before rendering)");
  });
});
