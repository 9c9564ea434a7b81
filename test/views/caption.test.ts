// subsampleText / subsampleNote: the words beside a figure computed on part of the data.
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { subsampleNote, subsampleText } from "../../src/views/caption.ts";

describe("subsampleText", () => {
  it("says how many of how many were drawn and the seed, with thousands grouped", () => {
    expect(subsampleText(1000, 100000, { seed: 42 })).toBe("1,000 of 100,000 drawn (seed 42)");
    expect(subsampleText(600, 1797, { seed: 0, noun: "samples" })).toBe(
      "600 of 1,797 samples drawn (seed 0)",
    );
    expect(
      subsampleText(300, 449, {
        noun: "test images",
        verb: "in each point cloud",
        method: "farthest points",
      }),
    ).toBe("300 of 449 test images in each point cloud (farthest points)");
    expect(subsampleText(5, 9)).toBe("5 of 9 drawn");
  });

  it("says nothing when every row is used", () => {
    expect(subsampleText(1797, 1797, { seed: 42 })).toBe("");
    expect(subsampleText(0, 0)).toBe("");
  });
});

describe("subsampleNote", () => {
  it("is a paragraph of text (a hostile noun stays text), or null when every row is drawn", () => {
    const { document } = new JSDOM("").window;
    const note = subsampleNote(2, 3, { seed: 7, noun: "<b>rows</b>", document })!;
    expect(note.tagName).toBe("P");
    expect(note.className).toBe("atlas-subsample");
    expect(note.textContent).toBe("2 of 3 <b>rows</b> drawn (seed 7).");
    expect(note.querySelector("b")).toBeNull();
    expect(subsampleNote(3, 3, { document })).toBeNull();
  });
});
