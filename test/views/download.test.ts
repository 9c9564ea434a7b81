// downloadButton: a button whose click writes the file at that moment and downloads it.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { downloadButton } from "../../src/views/download.ts";

describe("downloadButton", () => {
  it("writes the file at each click, clicks a hidden link in the container and takes it out", async () => {
    const { document } = new JSDOM("").window;
    const container = document.createElement("div");
    let state = "a,b\n1,2\n";
    const links: HTMLAnchorElement[] = [];
    const clicked: string[] = [];
    const b = downloadButton("Export CSV", "rows.csv", "text/csv", () => state, {
      container,
      document,
      onLink: (a) => {
        links.push(a);
        a.addEventListener("click", (e) => {
          e.preventDefault();
          clicked.push(a.download);
        });
      },
    });
    container.append(b);
    expect(b.type).toBe("button");
    expect(b.textContent).toBe("Export CSV");
    b.click();
    state = "a,b\n3,4\n";
    b.click();
    expect(clicked).toEqual(["rows.csv", "rows.csv"]);
    expect(container.querySelectorAll("a")).toHaveLength(0);
    expect(links.map((a) => [a.textContent, a.style.display])).toEqual([
      ["Export CSV", "none"],
      ["Export CSV", "none"],
    ]);
    // Each link holds the file as it was at its click.
    const texts = await Promise.all(links.map((a) => fetch(a.href).then((r) => r.text())));
    expect(texts).toEqual(["a,b\n1,2\n", "a,b\n3,4\n"]);
  });
});
