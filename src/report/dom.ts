/**
 * A DOM for building figures in Node (reports from the command line): jsdom, plus the little
 * of <canvas> that Observable Plot's colour-ramp legends use (fillStyle, fillRect, toDataURL),
 * drawn into a pixel buffer and encoded with our PNG encoder — jsdom has no canvas.
 */
import { color } from "d3";
import { JSDOM } from "jsdom";
import { pngDataUrl } from "../views/png.ts";

class RampCanvasContext {
  fillStyle = "#000";
  constructor(private readonly canvas: { width: number; height: number; pixels: Uint8Array }) {}
  fillRect(x: number, y: number, w: number, h: number): void {
    const rgb = color(String(this.fillStyle))?.rgb();
    if (!rgb) return;
    const { width, height, pixels } = this.canvas;
    for (let j = Math.max(0, y); j < Math.min(height, y + h); j++) {
      for (let i = Math.max(0, x); i < Math.min(width, x + w); i++) {
        pixels.set([rgb.r, rgb.g, rgb.b], (j * width + i) * 3);
      }
    }
  }
}

/** A fresh jsdom document whose canvases support solid fills and toDataURL. */
export function reportDocument(): Document {
  const { window } = new JSDOM("<!doctype html><html><body></body></html>");
  const proto = window.HTMLCanvasElement.prototype as unknown as {
    getContext(this: HTMLCanvasElement & { pixels?: Uint8Array }, kind: string): unknown;
    toDataURL(this: HTMLCanvasElement & { pixels?: Uint8Array }): string;
  };
  proto.getContext = function (kind: string) {
    if (kind !== "2d") return null;
    if (!this.pixels || this.pixels.length !== this.width * this.height * 3)
      this.pixels = new Uint8Array(this.width * this.height * 3);
    return new RampCanvasContext(
      this as unknown as { width: number; height: number; pixels: Uint8Array },
    );
  };
  proto.toDataURL = function () {
    return pngDataUrl(
      this.pixels ?? new Uint8Array(this.width * this.height * 3),
      this.width,
      this.height,
      3,
    );
  };
  return window.document;
}
