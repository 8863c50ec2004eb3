/**
 * Shortest paths on a map's walkable cells, so that units walk around walls as StarCraft II's
 * path-finding makes them (without it, 2c_vs_64zg's zerglings would stand behind the ravine's wall).
 * A unit that sees its goal in a straight line walks straight; otherwise it steers to the farthest cell
 * it can see among the next 8 of a shortest 4-connected grid path to the goal's cell.
 *
 * @module
 */
import { FIELD_SIZE } from "./maps.ts";

const N = FIELD_SIZE;
/** How many cells ahead along the grid path a unit looks for the farthest one in sight. */
const LOOKAHEAD = 8;

/** Grid path-finding on one terrain (distance fields cached per goal cell). */
export class NavGrid {
  readonly #grid: Uint8Array;
  readonly #fields = new Map<number, Int16Array>();
  readonly #queue = new Int32Array(N * N);

  readonly #rectangle: boolean;

  /** Path-finding on `grid` (`[y · 32 + x]`, 1 = walkable). */
  constructor(grid: Uint8Array) {
    this.#grid = grid;
    // walkable ground that is one axis-aligned rectangle is convex: every walkable point sees every other
    let x0 = N, x1 = -1, y0 = N, y1 = -1, count = 0;
    for (let c = 0; c < N * N; c++) {
      if (grid[c] !== 1) continue;
      const x = c % N, y = (c - x) / N;
      x0 = Math.min(x0, x), x1 = Math.max(x1, x), y0 = Math.min(y0, y), y1 = Math.max(y1, y), count++;
    }
    this.#rectangle = count > 0 && count === (x1 - x0 + 1) * (y1 - y0 + 1);
  }

  /** Whether `(x, y)` lies on a walkable cell of the field. */
  walkable(x: number, y: number): boolean {
    return x >= 0 && y >= 0 && x < N && y < N && this.#grid[Math.floor(y) * N + Math.floor(x)] === 1;
  }

  /** Whether the segment from `(x0, y0)` to `(x1, y1)` crosses only walkable cells (grid traversal). */
  lineOfSight(x0: number, y0: number, x1: number, y1: number): boolean {
    let cx = Math.floor(x0), cy = Math.floor(y0);
    const ex = Math.floor(x1), ey = Math.floor(y1);
    const dx = x1 - x0, dy = y1 - y0;
    const sx = dx > 0 ? 1 : -1, sy = dy > 0 ? 1 : -1;
    const tdx = dx !== 0 ? Math.abs(1 / dx) : Infinity, tdy = dy !== 0 ? Math.abs(1 / dy) : Infinity;
    let tx = dx !== 0 ? (dx > 0 ? cx + 1 - x0 : x0 - cx) * tdx : Infinity;
    let ty = dy !== 0 ? (dy > 0 ? cy + 1 - y0 : y0 - cy) * tdy : Infinity;
    for (let guard = 0; guard < 4 * N; guard++) {
      if (cx < 0 || cy < 0 || cx >= N || cy >= N || this.#grid[cy * N + cx] !== 1) return false;
      if (cx === ex && cy === ey) return true;
      if (tx < ty) tx += tdx, cx += sx;
      else ty += tdy, cy += sy;
    }
    return true;
  }

  /**
   * Where a unit at `(x, y)` should head for to reach `(gx, gy)`: the goal itself when it is in sight
   * (or unreachable, or its cell is not walkable), else the centre of the farthest cell in sight among the
   * next 8 of a shortest grid path. Writes `[x, y]` into `out`.
   */
  waypoint(x: number, y: number, gx: number, gy: number, out: Float64Array): void {
    out[0] = gx, out[1] = gy;
    if (this.#rectangle || this.lineOfSight(x, y, gx, gy)) return;
    if (!this.walkable(gx, gy) || !this.walkable(x, y)) return;
    const field = this.#field(Math.floor(gy) * N + Math.floor(gx));
    let cell = Math.floor(y) * N + Math.floor(x);
    if (field[cell] < 0) return;
    let bestX = -1, bestY = -1;
    for (let steps = 0; steps < LOOKAHEAD && field[cell] > 0; steps++) {
      const cx = cell % N, cy = (cell - cx) / N;
      let next = -1;
      if (cx + 1 < N && field[cell + 1] === field[cell] - 1) next = cell + 1;
      else if (cx > 0 && field[cell - 1] === field[cell] - 1) next = cell - 1;
      else if (cy + 1 < N && field[cell + N] === field[cell] - 1) next = cell + N;
      else if (cy > 0 && field[cell - N] === field[cell] - 1) next = cell - N;
      if (next < 0) break;
      const nx = (next % N) + 0.5, ny = Math.floor(next / N) + 0.5;
      if (bestX >= 0 && !this.lineOfSight(x, y, nx, ny)) break;
      bestX = nx, bestY = ny, cell = next;
    }
    if (bestX >= 0) out[0] = bestX, out[1] = bestY;
  }

  /** 4-connected step distances to `goal` (−1: unreachable), computed once per goal cell. */
  #field(goal: number): Int16Array {
    let f = this.#fields.get(goal);
    if (f) return f;
    f = new Int16Array(N * N).fill(-1);
    const q = this.#queue;
    let head = 0, tail = 0;
    f[goal] = 0, q[tail++] = goal;
    while (head < tail) {
      const c = q[head++], cx = c % N, d = f[c] + 1;
      const visit = (n: number) => {
        if (this.#grid[n] === 1 && f![n] < 0) f![n] = d, q[tail++] = n;
      };
      if (cx + 1 < N) visit(c + 1);
      if (cx > 0) visit(c - 1);
      if (c + N < N * N) visit(c + N);
      if (c - N >= 0) visit(c - N);
    }
    this.#fields.set(goal, f);
    return f;
  }
}

const CACHE = new Map<Uint8Array, NavGrid>();

/** The shared path-finder of a terrain grid (one per grid object). */
export function navGridFor(grid: Uint8Array): NavGrid {
  let nav = CACHE.get(grid);
  if (!nav) CACHE.set(grid, nav = new NavGrid(grid));
  return nav;
}
