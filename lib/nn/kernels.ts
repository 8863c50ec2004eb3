/**
 * Row reductions as small JavaScript kernels for the `wasm` and `cpu` backends.
 *
 * On tfjs-backend-wasm a sum over the rows of a fresh `[N, C]` tensor is expensive whichever way it is
 * asked for: `sum(x, 0)` transposes first, and `ones[1, N] @ x` makes XNNPACK pack `x` as a weight matrix
 * (~4 ns per element, scalar). A plain sequential JS loop over the wasm heap is ~3x faster, so the
 * reductions the backward passes need (column sums for bias gradients, a weighted column sum for a
 * one-output layer's weight gradient, sums of stacked blocks over K candidates) run here. They read and
 * write float32 and accumulate in float64. They have no gradients of their own (backward passes only).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor1D, Tensor2D } from "./types.ts";

/** Kernel names registered by this module. */
const COL_SUM = "OmarKitColumnSum";
const WEIGHTED_COL_SUM = "OmarKitWeightedColumnSum";
const BLOCK_SUM = "OmarKitBlockSum";
const FACTORED_CROSS = "OmarKitFactoredCross";

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface BackendLike {
  typedArrayFromHeap?(t: TensorInfoLike): Float32Array;
  makeOutput?(shape: number[], dtype: string): TensorInfoLike;
  data?: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array): TensorInfoLike;
}

/**
 * Runs `compute(inputs, out)` with float32 views of the inputs and a fresh output of `shape`, on the wasm
 * heap (wasm) or in JS memory (cpu).
 */
function runJs(
  backend: BackendLike,
  inputs: TensorInfoLike[],
  shape: number[],
  compute: (ins: Float32Array[], out: Float32Array) => void,
): TensorInfoLike {
  if (backend.makeOutput !== undefined && backend.typedArrayFromHeap !== undefined) {
    // Allocate first: growing the wasm memory would detach views taken earlier.
    const out = backend.makeOutput(shape, "float32");
    const ins = inputs.map((t) => backend.typedArrayFromHeap!(t));
    compute(ins, backend.typedArrayFromHeap(out));
    return out;
  }
  const ins = inputs.map((t) => backend.data!.get(t.dataId).values as Float32Array);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  compute(ins, out);
  return backend.makeTensorInfo!(shape, "float32", out);
}

function colSum(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const acc = new Float64Array(cols);
  let k = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) acc[j] += x[k++];
  for (let j = 0; j < cols; j++) out[j] = acc[j];
}

function weightedColSum(
  x: Float32Array,
  w: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(cols);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const wi = w[i];
    for (let j = 0; j < cols; j++) acc[j] += x[k++] * wi;
  }
  for (let j = 0; j < cols; j++) out[j] = acc[j];
}

function blockSumJs(x: Float32Array, blocks: number, size: number, out: Float32Array): void {
  const acc = new Float64Array(size);
  let k = 0;
  for (let b = 0; b < blocks; b++) for (let i = 0; i < size; i++) acc[i] += x[k++];
  for (let i = 0; i < size; i++) out[i] = acc[i];
}

/**
 * For `g` `[K·B, H]` and `c` `[K·B, dc]` (k-major rows): `out[0:B] = Σ_k g[k·B + b]` and
 * `out[B + i] = Σ_n c[n, i] · g[n]`, in one pass over `g`.
 */
function factoredCrossJs(
  g: Float32Array,
  c: Float32Array,
  k: number,
  b: number,
  h: number,
  dc: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(dc * h);
  out.fill(0, 0, b * h);
  let gi = 0;
  let ci = 0;
  for (let kk = 0; kk < k; kk++) {
    let si = 0;
    for (let r = 0; r < b; r++) {
      if (dc === 2) {
        const c0 = c[ci];
        const c1 = c[ci + 1];
        for (let j = 0; j < h; j++) {
          const v = g[gi + j];
          out[si + j] += v;
          acc[j] += c0 * v;
          acc[h + j] += c1 * v;
        }
      } else {
        for (let j = 0; j < h; j++) out[si + j] += g[gi + j];
        for (let q = 0; q < dc; q++) {
          const cq = c[ci + q];
          const off = q * h;
          for (let j = 0; j < h; j++) acc[off + j] += cq * g[gi + j];
        }
      }
      gi += h;
      si += h;
      ci += dc;
    }
  }
  for (let i = 0; i < dc * h; i++) out[b * h + i] = acc[i];
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ["wasm", "cpu"]) {
    if (tf.getKernel(COL_SUM, backendName) !== undefined) continue;
    tf.registerKernel({
      kernelName: COL_SUM,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const x = inputs.x as unknown as TensorInfoLike;
        const [rows, cols] = x.shape;
        return runJs(
          backend as BackendLike,
          [x],
          [cols],
          ([xv], out) => colSum(xv, rows, cols, out),
        ) as tf.TensorInfo;
      },
    });
    tf.registerKernel({
      kernelName: WEIGHTED_COL_SUM,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const x = inputs.x as unknown as TensorInfoLike;
        const w = inputs.w as unknown as TensorInfoLike;
        const [rows, cols] = x.shape;
        return runJs(
          backend as BackendLike,
          [x, w],
          [cols],
          ([xv, wv], out) => weightedColSum(xv, wv, rows, cols, out),
        ) as tf.TensorInfo;
      },
    });
    tf.registerKernel({
      kernelName: BLOCK_SUM,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const x = inputs.x as unknown as TensorInfoLike;
        const k = (attrs as { k: number }).k;
        const [rows, cols] = x.shape;
        const r = rows / k;
        return runJs(
          backend as BackendLike,
          [x],
          [r, cols],
          ([xv], out) => blockSumJs(xv, k, r * cols, out),
        ) as tf.TensorInfo;
      },
    });
    tf.registerKernel({
      kernelName: FACTORED_CROSS,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const g = inputs.g as unknown as TensorInfoLike;
        const c = inputs.c as unknown as TensorInfoLike;
        const k = (attrs as { k: number }).k;
        const [n, h] = g.shape;
        const dc = c.shape[1];
        const b = n / k;
        return runJs(
          backend as BackendLike,
          [g, c],
          [b + dc, h],
          ([gv, cv], out) => factoredCrossJs(gv, cv, k, b, h, dc, out),
        ) as tf.TensorInfo;
      },
    });
  }
}

function jsBackend(): boolean {
  const b = tf.getBackend();
  return b === "wasm" || b === "cpu";
}

function asFloat(x: Tensor): Tensor {
  return x.dtype === "float32" ? x : tf.cast(x, "float32");
}

/** Column sums of `x` `[N, C]` → `[C]`. */
export function columnSum(x: Tensor2D): Tensor1D {
  if (!jsBackend()) return tf.sum(x, 0);
  ensureRegistered();
  return tf.engine().runKernel(COL_SUM, { x: asFloat(x) }) as Tensor1D;
}

/** `Σ_n w[n] · x[n, :]` for `x` `[N, C]`, `w` `[N]` or `[N, 1]` → `[C]`. */
export function weightedColumnSum(x: Tensor2D, w: Tensor): Tensor1D {
  if (!jsBackend()) return tf.sum(tf.mul(x, w.reshape([-1, 1])), 0);
  ensureRegistered();
  return tf.engine().runKernel(WEIGHTED_COL_SUM, { x: asFloat(x), w: asFloat(w) }) as Tensor1D;
}

/** Sum of `k` stacked blocks: `x` `[k·R, C]` → `[R, C]` (block j is rows `j·R … j·R + R − 1`). */
export function blockRowSum(x: Tensor2D, k: number): Tensor2D {
  const [n, c] = x.shape;
  if (!Number.isInteger(n / k)) throw new RangeError(`blockRowSum: ${n} rows are not ${k} equal blocks`);
  if (!jsBackend()) return tf.sum(x.reshape([k, n / k, c]), 0);
  ensureRegistered();
  return tf.engine().runKernel(
    BLOCK_SUM,
    { x: asFloat(x) },
    { k } as unknown as tf.NamedAttrMap,
  ) as Tensor2D;
}

/**
 * For `g` `[K·B, H]` and per-candidate columns `c` `[K·B, dc]` (k-major): `sum` = `Σ_k g[k·B + b]` `[B, H]`
 * and `cross` = `cᵀ g` `[dc, H]`, in one pass over `g` (the first-layer weight gradient of a factored input).
 */
export function factoredCross(
  g: Tensor2D,
  c: Tensor2D,
  k: number,
): { sum: Tensor2D; cross: Tensor2D } {
  const [n, h] = g.shape;
  const b = n / k;
  const dc = c.shape[1];
  if (!jsBackend()) {
    return { sum: tf.sum(g.reshape([k, b, h]), 0), cross: tf.matMul(tf.transpose(c), g) };
  }
  ensureRegistered();
  const out = tf.engine().runKernel(
    FACTORED_CROSS,
    { g: asFloat(g), c: asFloat(c) },
    { k } as unknown as tf.NamedAttrMap,
  ) as Tensor2D;
  return { sum: tf.slice(out, [0, 0], [b, h]), cross: tf.slice(out, [b, 0], [dc, h]) };
}
