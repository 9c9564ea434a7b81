/**
 * A uniform grid over the drawn points of a scatter, for the questions an interactive figure
 * asks on every pointer move and key press without scanning all points: which point is under
 * the cursor (`nearest`), which point lies next in an arrow key's direction (`nearestInDirection`),
 * and which points a lasso encloses (`insidePolygon`).
 *
 * The grid lives in data coordinates; distances are measured on screen, where the two axes may
 * have different scales (`pixelsPerUnitX`, `pixelsPerUnitY`), so a zoom never rebuilds it. Points
 * are bucketed by a counting sort (cell order, then draw order within a cell), so building is
 * O(n + cells) and deterministic. The nearest-point search visits rings of cells around the
 * query's cell and stops as soon as no unvisited ring can hold a closer point; its cost depends
 * on the points near the cursor, not on n.
 *
 * Tie-break rule (`closerOrEarlier`): of two points at the same screen distance the one drawn
 * earlier wins, so a pick is a pure function of the positions and the draw order.
 *
 * Lasso rule: a point is inside the polygon when a ray from it towards +x crosses the polygon's
 * edges an odd number of times, an edge counting when one end lies strictly above the point and
 * the other at or below it (the even–odd rule with half-open edges; W. R. Franklin's PNPOLY test).
 * Points exactly on an edge may fall either side; every point inside is found once.
 */
import { HiddenAtlasError } from "../core/errors.ts";

/** Mean number of points per grid cell the grid aims at (a few per cell keeps rings short). */
const TARGET_POINTS_PER_CELL = 4;
/** Cells per axis at most: 1,024² cells index 4 M points at the target density in 4 MB. */
const MAX_CELLS_PER_AXIS = 1024;

export interface ScreenScale {
  /** Screen pixels per data unit along x and along y (both > 0; y is flipped by the caller). */
  pixelsPerUnitX: number;
  pixelsPerUnitY: number;
}

export class PointGrid {
  /** Drawn points' data coordinates, in draw order. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly x0: number;
  readonly y0: number;
  readonly cellWidth: number;
  readonly cellHeight: number;
  readonly cols: number;
  readonly rows: number;
  /** Points of cell c are order[cellStart[c] .. cellStart[c + 1]), ascending draw order. */
  readonly cellStart: Int32Array;
  readonly order: Int32Array;

  private constructor(x: Float64Array, y: Float64Array) {
    this.x = x;
    this.y = y;
    const n = x.length;
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (let i = 0; i < n; i++) {
      if (x[i] < xmin) xmin = x[i];
      if (x[i] > xmax) xmax = x[i];
      if (y[i] < ymin) ymin = y[i];
      if (y[i] > ymax) ymax = y[i];
    }
    if (n === 0) xmin = xmax = ymin = ymax = 0;
    const side = Math.max(
      1,
      Math.min(MAX_CELLS_PER_AXIS, Math.ceil(Math.sqrt(n / TARGET_POINTS_PER_CELL))),
    );
    this.cols = side;
    this.rows = side;
    this.x0 = xmin;
    this.y0 = ymin;
    // A degenerate extent (all points on a line or one spot) still gets cells of positive size.
    this.cellWidth = (xmax - xmin || 1) / side;
    this.cellHeight = (ymax - ymin || 1) / side;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(side * side + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(this.column(x[i]), this.row(y[i]));
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < side * side; c++) counts[c + 1] += counts[c];
    this.cellStart = counts.slice();
    const fill = counts;
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[fill[cellOf[i]]++] = i;
  }

  /**
   * Index the points (x[i], y[i]) for i in draw order. Every coordinate must be finite.
   * `names` says which sample each point is, for error messages (defaults to its position).
   */
  static build(x: ArrayLike<number>, y: ArrayLike<number>, names?: ArrayLike<number>): PointGrid {
    if (x.length !== y.length) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `scatter: x has ${x.length} values but y has ${y.length} (expected one pair per point)`,
      );
    }
    // Plain loops: typed-array .from() takes V8's slow generic path (seconds at 1 M points).
    const xs = new Float64Array(x.length);
    const ys = new Float64Array(y.length);
    for (let i = 0; i < xs.length; i++) {
      xs[i] = x[i];
      ys[i] = y[i];
    }
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) {
        const name = names ? names[i] : i;
        throw new HiddenAtlasError(
          "E_NON_FINITE",
          `scatter: sample ${name} has coordinates (${xs[i]}, ${ys[i]}) (expected finite x and y for every drawn point)`,
          {
            sample: name,
          },
        );
      }
    }
    return new PointGrid(xs, ys);
  }

  get size(): number {
    return this.x.length;
  }

  private column(v: number): number {
    const c = Math.floor((v - this.x0) / this.cellWidth);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private row(v: number): number {
    const r = Math.floor((v - this.y0) / this.cellHeight);
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }

  private cellIndex(col: number, row: number): number {
    return row * this.cols + col;
  }

  /**
   * The drawn point nearest to (qx, qy) on screen within `radiusPx` pixels, as its position in
   * draw order, or -1. Ties go to the point drawn earlier.
   */
  nearest(qx: number, qy: number, scale: ScreenScale, radiusPx: number): number {
    return this.search(qx, qy, scale, radiusPx, -1, 0, 0);
  }

  /**
   * From drawn point `from`, the nearest other point on screen whose offset lies within 45° of
   * the screen direction (dx, dy) (dy > 0 is down, as on screen), or -1 when there is none.
   * Arrow-key navigation: ArrowRight is (1, 0), ArrowUp is (0, -1).
   */
  nearestInDirection(from: number, dx: number, dy: number, scale: ScreenScale): number {
    return this.search(this.x[from], this.y[from], scale, Infinity, from, dx, dy);
  }

  private search(
    qx: number,
    qy: number,
    scale: ScreenScale,
    radiusPx: number,
    exclude: number,
    dx: number,
    dy: number,
  ): number {
    if (this.size === 0) return -1;
    const { pixelsPerUnitX: kx, pixelsPerUnitY: ky } = scale;
    const directional = dx !== 0 || dy !== 0;
    // Cells a ring further out are at least this many pixels away along one axis.
    const ringStepPx = Math.min(this.cellWidth * kx, this.cellHeight * ky);
    // The query's cell, unclamped (the query may lie outside the points' extent).
    const qc = Math.floor((qx - this.x0) / this.cellWidth);
    const qr = Math.floor((qy - this.y0) / this.cellHeight);
    // Distance (in rings) from the query cell to the grid, so rings that miss the grid are skipped.
    const outside = Math.max(0, -qc, qc - (this.cols - 1), -qr, qr - (this.rows - 1));
    const maxRing = Math.max(this.cols, this.rows) + outside;
    let best = -1;
    let bestD2 = radiusPx === Infinity ? Infinity : radiusPx * radiusPx;
    for (let ring = outside; ring <= maxRing; ring++) {
      const boundPx = (ring - 1) * ringStepPx;
      if (ring > 0 && boundPx > 0 && boundPx * boundPx > bestD2) break;
      const r0 = Math.max(0, qr - ring);
      const r1 = Math.min(this.rows - 1, qr + ring);
      for (let row = r0; row <= r1; row++) {
        const onEdgeRow = row === qr - ring || row === qr + ring;
        // On the ring's top and bottom rows every column; on the others only the two ends.
        const step = onEdgeRow ? 1 : 2 * ring;
        for (let col = qc - ring; col <= qc + ring; col += step) {
          if (col < 0 || col >= this.cols) continue;
          const c = row * this.cols + col;
          for (let k = this.cellStart[c]; k < this.cellStart[c + 1]; k++) {
            const i = this.order[k];
            if (i === exclude) continue;
            const ox = (this.x[i] - qx) * kx;
            const oy = -(this.y[i] - qy) * ky; // screen y grows downwards
            if (directional) {
              const along = ox * dx + oy * dy;
              const across = Math.abs(ox * dy - oy * dx);
              if (along <= 0 || across > along) continue;
            }
            const d2 = ox * ox + oy * oy;
            if (closerOrEarlier(d2, i, bestD2, best)) {
              bestD2 = d2;
              best = i;
            }
          }
        }
      }
    }
    return best;
  }

  /**
   * Positions (in draw order, ascending) of the drawn points inside the polygon whose vertices
   * are (polygon[2k], polygon[2k + 1]) in data coordinates, by the even–odd rule. The polygon
   * closes itself (last vertex to first). Fewer than 3 vertices enclose nothing.
   */
  insidePolygon(polygon: ArrayLike<number>): Int32Array {
    const m = Math.floor(polygon.length / 2);
    if (m < 3 || this.size === 0) return new Int32Array(0);
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (let k = 0; k < m; k++) {
      xmin = Math.min(xmin, polygon[2 * k]);
      xmax = Math.max(xmax, polygon[2 * k]);
      ymin = Math.min(ymin, polygon[2 * k + 1]);
      ymax = Math.max(ymax, polygon[2 * k + 1]);
    }
    // Edges bucketed by the grid rows they span, so each point tests only the edges at its height.
    const r0 = this.row(ymin);
    const r1 = this.row(ymax);
    const bands: number[][] = Array.from({ length: r1 - r0 + 1 }, () => []);
    for (let k = 0; k < m; k++) {
      const j = (k + 1) % m;
      const a = this.row(Math.min(polygon[2 * k + 1], polygon[2 * j + 1]));
      const b = this.row(Math.max(polygon[2 * k + 1], polygon[2 * j + 1]));
      for (let r = Math.max(a, r0); r <= Math.min(b, r1); r++) bands[r - r0].push(k);
    }
    const c0 = this.column(xmin);
    const c1 = this.column(xmax);
    const inside = new Uint8Array(this.size);
    let count = 0;
    for (let row = r0; row <= r1; row++) {
      const edges = bands[row - r0];
      if (edges.length === 0) continue;
      for (let col = c0; col <= c1; col++) {
        const c = row * this.cols + col;
        for (let q = this.cellStart[c]; q < this.cellStart[c + 1]; q++) {
          const i = this.order[q];
          const px = this.x[i];
          const py = this.y[i];
          if (px < xmin || px > xmax || py < ymin || py > ymax) continue;
          let odd = false;
          for (const k of edges) {
            const j = (k + 1) % m;
            const xi = polygon[2 * k];
            const yi = polygon[2 * k + 1];
            const xj = polygon[2 * j];
            const yj = polygon[2 * j + 1];
            if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
          }
          if (odd) {
            inside[i] = 1;
            count++;
          }
        }
      }
    }
    const out = new Int32Array(count);
    for (let i = 0, k = 0; i < this.size; i++) if (inside[i]) out[k++] = i;
    return out;
  }
}

/** The picking tie-break: a smaller screen distance wins, then the earlier-drawn point. */
function closerOrEarlier(d2: number, i: number, bestD2: number, best: number): boolean {
  return d2 < bestD2 || (d2 === bestD2 && (best < 0 || i < best));
}

/**
 * Is (px, py) inside the polygon (flat x, y pairs) by the even–odd rule with half-open edges?
 * The plain O(vertices) test that `PointGrid.insidePolygon` accelerates.
 */
export function pointInPolygon(px: number, py: number, polygon: ArrayLike<number>): boolean {
  const m = Math.floor(polygon.length / 2);
  let odd = false;
  for (let k = 0; k < m; k++) {
    const j = (k + 1) % m;
    const xi = polygon[2 * k];
    const yi = polygon[2 * k + 1];
    const xj = polygon[2 * j];
    const yj = polygon[2 * j + 1];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}
