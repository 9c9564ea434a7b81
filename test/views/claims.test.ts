// claimFindings / claimText / formatSpread: a seed study's headline in the notebook and the report.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { claimText, formatSpread, seedSpread } from "../../src/analyses/seed-study.ts";
import { claimFindings } from "../../src/views/claims.ts";

const findings = {
  claim: "Deep layers are purer.",
  measured: ["Purity <img src=x onerror=alert(1)> 0.500 ± 0.010 at conv1.", "NMI 0.2 at fc."],
  verdict: ["Confirmed.", "Beyond the seeds' spread."],
};

describe("formatSpread", () => {
  it("is mean ± sample sd with the given decimals, and — for an undefined score", () => {
    // values 1, 2, 3: mean 2, sd sqrt(((1)^2 + 0 + 1^2) / 2) = 1.
    expect(formatSpread(seedSpread([1, 2, 3]))).toBe("2.000 ± 1.000");
    // values 4, 6: mean 5, sd sqrt(2) = 1.414…
    expect(formatSpread(seedSpread([4, 6]), 1)).toBe("5.0 ± 1.4");
    expect(formatSpread(seedSpread([0.25, 0.75]), 2)).toBe("0.50 ± 0.35");
    expect(formatSpread(seedSpread([NaN, 1]))).toBe("—");
  });
});

describe("claimText", () => {
  it("is the claim, the measurements and the verdict after its lead, as three paragraphs", () => {
    expect(claimText(findings)).toBe(
      "Deep layers are purer.\n\n" +
        "Purity <img src=x onerror=alert(1)> 0.500 ± 0.010 at conv1. NMI 0.2 at fc.\n\n" +
        "Where we confirm it, where not, and why. Confirmed. Beyond the seeds' spread.",
    );
  });
});

describe("claimFindings", () => {
  it("lays out claim, measurements (one item each) and verdict, every sentence as text", () => {
    const { document } = new JSDOM("").window;
    const el = claimFindings(findings, { document });
    expect(el.className).toBe("atlas-claims");
    expect(el.querySelector("p.atlas-claim")!.textContent).toBe("Claim. Deep layers are purer.");
    expect(el.querySelector("p.atlas-claim b")!.textContent).toBe("Claim.");
    const items = [...el.querySelectorAll("ul.atlas-measured > li")].map((li) => li.textContent);
    expect(items).toEqual(findings.measured);
    expect(el.querySelector("p.atlas-findings")!.textContent).toBe(
      "Where we confirm it, where not, and why. Confirmed. Beyond the seeds' spread.",
    );
    // The hostile string in a measurement stays text: no element was made from it.
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelectorAll("*")).toHaveLength(7); // p, b, ul, li, li, p, b
  });
});
