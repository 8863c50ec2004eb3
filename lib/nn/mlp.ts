/**
 * Multi-layer perceptrons with a hand-derived backward pass over the whole network.
 *
 * The networks of the OMAR code are `[BatchNorm1d] → Linear → ReLU → Linear → ReLU → Linear [→ tanh]`.
 * Here the input BatchNorm is folded into the first layer (`x·scale + shift` then `@ W + b` is
 * `x @ (scale ⊙ W) + (b + shift @ W)`), so the normalised input is never built, and the backward pass
 * (`backward`, or `apply` for tfjs autograd through one `tf.customGrad`) avoids what is slow on the
 * wasm backend: no `transposeA/B` matmuls and no transposes of `[N, 64]` activations (the transposed
 * activation the second layer's weight gradient needs is recomputed from the narrow input,
 * `[h1ᵀ; 1] = relu(V @ [xᵀ; 1])`), bias gradients come out of the weight-gradient matmuls through a ones
 * row, and reductions over rows run as JS kernels over the wasm heap (`kernels.ts`). Nothing is read back
 * to JS.
 *
 * A stack's input may be *factored* into rows shared by K candidates (`base`, `[B, db]`) and per-candidate
 * columns (`cand`, `[K·B, dc]`, row `k·B + b`): the first layer's shared half is computed once per state and
 * broadcast over the K candidates. Batch statistics of a shared column over the K·B rows equal those over
 * its B distinct rows, so the result is the same as feeding the K·B concatenated rows.
 *
 * On the `wasm` backend the same passes (same folding and factoring) run as native kernels, one call for
 * a whole forward or backward pass (native.ts, native.c); the tfjs implementation below serves the `cpu`
 * backend, `setNativeKernels(false)`, and the tests that hold the two against each other.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RandomFill, Tensor, Tensor1D, Tensor2D, Variable } from "./types.ts";
import { BatchNorm, batchNormInputGrad, columnStats } from "./batch_norm.ts";
import { blockRowSum, factoredCross } from "./kernels.ts";
import {
  nativeBackward,
  nativeForward,
  nativeModule,
  type NativeNet,
  nativePredict,
  type NativeTrace,
  splitFlat,
} from "./native.ts";
import {
  type Activation,
  activationBackward,
  columnSums,
  createLinear,
  crossProduct,
  type Linear,
  onesRow,
} from "./dense.ts";

// ---------------------------------------------------------------------------------------------------
// Internals shared with the twin critic (exported for it, not re-exported by mod.ts).
// ---------------------------------------------------------------------------------------------------

/** Rows fed to a stack: `base` `[B, db]`, optional `cand` `[K·B, dc]` (k-major), `k` = K. */
export interface StackInput {
  /** Shared rows `[B, db]`. */
  base: Tensor2D;
  /** Per-candidate columns `[K·B, dc]`, row `k·B + b`, or null. */
  cand: Tensor2D | null;
  /** Number of candidates K (1 without `cand`). */
  k: number;
  /** Lazily built `[xᵀ; 1]`, `[db + dc + 1, K·B]` (K = 1 only). */
  xTAug: Tensor2D | null;
  /** Lazily built `[baseᵀ; 1]`, `[db + 1, B]`. */
  baseTAug: Tensor2D | null;
  /** Lazily built `candᵀ`, `[dc, K·B]`. */
  candT: Tensor2D | null;
}

/** A {@link StackInput} over `base` and optional `cand` (`[K·B, dc]`). */
export function stackInput(base: Tensor2D, cand: Tensor2D | null = null): StackInput {
  const k = cand === null ? 1 : cand.shape[0] / base.shape[0];
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(
      `candidate rows (${cand?.shape[0]}) must be a multiple of the ${base.shape[0]} base rows`,
    );
  }
  return { base, cand, k, xTAug: null, baseTAug: null, candT: null };
}

/** `[xᵀ; 1]` of an unfactored (K = 1) input, built once and shared by every head that reads it. */
function xTAug(inp: StackInput): Tensor2D {
  if (inp.k !== 1) throw new Error("xTAug: only for K = 1");
  if (inp.xTAug === null) {
    const b = inp.base.shape[0];
    const parts = inp.cand === null
      ? [tf.transpose(inp.base)]
      : [tf.transpose(inp.base), tf.transpose(inp.cand)];
    inp.xTAug = tf.concat([...parts, onesRow(b)], 0) as Tensor2D;
  }
  return inp.xTAug;
}

function baseTAug(inp: StackInput): Tensor2D {
  if (inp.baseTAug === null) {
    inp.baseTAug = tf.concat([tf.transpose(inp.base), onesRow(inp.base.shape[0])], 0) as Tensor2D;
  }
  return inp.baseTAug;
}

function candT(inp: StackInput): Tensor2D {
  if (inp.candT === null) inp.candT = tf.transpose(inp.cand as Tensor2D) as Tensor2D;
  return inp.candT;
}

/** Per-column affine map of a folded BatchNorm plus what its backward needs. */
export interface NormTrace {
  /** `weight · invStd`, `[d]`. */
  scale: Tensor1D;
  /** `bias - mean · scale`, `[d]`. */
  shift: Tensor1D;
  /** Statistics used (batch in train mode, running in eval mode), `[d]`. */
  mean: Tensor1D;
  /** `1/sqrt(var + eps)`, `[d]`. */
  invStd: Tensor1D;
  /** `base - mean` (train mode only). */
  baseCentered: Tensor2D | null;
  /** `cand - mean` (train mode only). */
  candCentered: Tensor2D | null;
  /** Train mode (batch statistics)? */
  training: boolean;
}

/**
 * Statistics and folded affine map of `norm` for a stack input; in train mode with `updateStats`, updates
 * the running statistics as PyTorch does for a batch of K·B rows.
 */
export function normForward(
  norm: BatchNorm,
  inp: StackInput,
  training: boolean,
  updateStats: boolean,
): NormTrace {
  if (!training) {
    const { scale, shift, invStd } = norm.affine();
    return {
      scale,
      shift,
      invStd,
      mean: norm.runningMean as Tensor1D,
      baseCentered: null,
      candCentered: null,
      training,
    };
  }
  const bs = columnStats(inp.base);
  let mean = bs.mean;
  let variance = bs.variance;
  let candCentered: Tensor2D | null = null;
  if (inp.cand !== null) {
    const cs = columnStats(inp.cand);
    mean = tf.concat([bs.mean, cs.mean]);
    variance = tf.concat([bs.variance, cs.variance]);
    candCentered = cs.centered;
  }
  if (updateStats) norm.updateRunning(mean, variance, inp.base.shape[0] * inp.k);
  const { scale, shift, invStd } = norm.affine(mean, variance);
  return { scale, shift, invStd, mean, baseCentered: bs.centered, candCentered, training };
}

/** Gradients of BatchNorm weight and bias from those of the folded `scale` and `shift`. */
export function normParamGrads(
  nt: NormTrace,
  dScale: Tensor1D,
  dShift: Tensor1D,
): [Tensor, Tensor] {
  const dWeight = tf.mul(tf.sub(dScale, tf.mul(dShift, nt.mean)), nt.invStd);
  return [dWeight, dShift];
}

/**
 * Input gradient through the BatchNorm for the columns `[from, from + width)`, given `gu`, the gradient
 * with respect to the normalised output of those columns, and the centred input.
 */
export function normInputGrad(
  norm: BatchNorm,
  nt: NormTrace,
  gu: Tensor2D,
  cols: { from: number; width: number; centered: Tensor2D | null },
): Tensor2D {
  const part = (v: Tensor1D) => tf.slice(v, [cols.from], [cols.width]) as Tensor1D;
  if (!nt.training) return tf.mul(gu, part(nt.scale)) as Tensor2D;
  const gHat = tf.mul(gu, part(norm.weight as Tensor1D)) as Tensor2D;
  return batchNormInputGrad(gHat, cols.centered as Tensor2D, part(nt.invStd));
}

/** What one stack's forward pass leaves for its backward pass. */
export interface StackTrace {
  /** First-layer weight after folding the BatchNorm, `[d, H1]`. */
  wf: Tensor2D;
  /** First-layer bias after folding, `[H1]`. */
  bf: Tensor1D;
  /** Output of every layer (post-activation); the last one is the stack's output. */
  acts: Tensor2D[];
}

/** Recompute the first hidden layer transposed when the input is at most this wide (else transpose). */
const RECOMPUTE_MAX_IN = 32;

function layerActivation(i: number, n: number, outAct: Activation): Activation {
  return i === n - 1 ? outAct : "relu";
}

function applyActivation(x: Tensor2D, act: Activation): Tensor2D {
  if (act === "relu") return tf.relu(x);
  if (act === "tanh") return tf.tanh(x);
  return x;
}

/** Forward pass of a dense stack over a (possibly factored) input with an optional folded BatchNorm. */
export function stackForward(
  layers: readonly Linear[],
  outAct: Activation,
  inp: StackInput,
  nt: NormTrace | null,
): StackTrace {
  const first = layers[0];
  const d = first.inDim;
  const h = first.outDim;
  const w = first.weight as Tensor2D;
  let wf = w;
  let bf = first.bias as Tensor1D;
  if (nt !== null) {
    wf = tf.mul(w, nt.scale.reshape([d, 1]));
    bf = tf.add(bf, tf.matMul(nt.shift.reshape([1, d]), w).reshape([h]));
  }
  const act0 = layerActivation(0, layers.length, outAct);
  let x: Tensor2D;
  if (inp.cand === null) {
    const fusedAct = act0 === "relu" ? "relu" : "linear";
    x = tf.fused.matMul({ a: inp.base, b: wf, bias: bf, activation: fusedAct }) as Tensor2D;
    if (act0 === "tanh") x = tf.tanh(x);
  } else {
    const db = inp.base.shape[1];
    const dc = inp.cand.shape[1];
    const b = inp.base.shape[0];
    const p = tf.fused.matMul({ a: inp.base, b: tf.slice(wf, [0, 0], [db, h]), bias: bf });
    const a = tf.matMul(inp.cand, tf.slice(wf, [db, 0], [dc, h]));
    const pre = inp.k === 1 ? tf.add(a, p) : tf.add(a.reshape([inp.k, b, h]), p).reshape([inp.k * b, h]);
    x = applyActivation(pre as Tensor2D, act0);
  }
  const acts = [x];
  for (let i = 1; i < layers.length; i++) {
    const act = layerActivation(i, layers.length, outAct);
    x = tf.fused.matMul({
      a: x,
      b: layers[i].weight as Tensor2D,
      bias: layers[i].bias,
      activation: act === "relu" ? "relu" : "linear",
    }) as Tensor2D;
    if (act === "tanh") x = tf.tanh(x);
    acts.push(x);
  }
  return { wf, bf, acts };
}

/**
 * `[h1ᵀ; 1]`, `[H1 + 1, N]`, recomputed from the narrow input (`relu(V @ [xᵀ; 1])` with
 * `V = [[Wᵀ, b], [0, 1]]`) instead of transposing `h1`; for K > 1 candidates the shared half is computed
 * on the B distinct rows and broadcast.
 */
function hiddenTAug(inp: StackInput, st: StackTrace): Tensor2D {
  const [d, h] = st.wf.shape;
  const lastRow = (width: number, one: boolean) => {
    const v = new Float32Array(width);
    if (one) v[width - 1] = 1;
    return tf.tensor2d(v, [1, width]);
  };
  if (inp.cand === null || inp.k === 1) {
    const v = tf.concat(
      [tf.concat([tf.transpose(st.wf), st.bf.reshape([h, 1])], 1), lastRow(d + 1, true)],
      0,
    );
    return tf.relu(tf.matMul(v, xTAug(inp))) as Tensor2D;
  }
  const [b, db] = inp.base.shape;
  const dc = d - db;
  const wfb = tf.slice(st.wf, [0, 0], [db, h]);
  const vb = tf.concat([tf.concat([tf.transpose(wfb), st.bf.reshape([h, 1])], 1), lastRow(db + 1, true)], 0);
  const vc = tf.concat([tf.transpose(tf.slice(st.wf, [db, 0], [dc, h])), lastRow(dc, false)], 0);
  const pT = tf.matMul(vb, baseTAug(inp)).reshape([h + 1, 1, b]);
  const aT = tf.matMul(vc, candT(inp)).reshape([h + 1, inp.k, b]);
  return tf.relu(tf.add(aT, pT).reshape([h + 1, inp.k * b])) as Tensor2D;
}

/** Options of {@link stackBackward}. */
export interface StackBackwardOptions {
  /** Compute parameter gradients (default true). */
  paramGrads?: boolean;
  /** Return the gradient with respect to the (normalised) base columns, summed over candidates. */
  baseGrad?: boolean;
  /** Return the gradient with respect to the (normalised) candidate columns. */
  candGrad?: boolean;
}

/** Gradients out of {@link stackBackward}. */
export interface StackGrads {
  /** `[dW0, db0, dW1, db1, …]` (empty when `paramGrads` is false). */
  params: Tensor[];
  /** Gradient of the folded BatchNorm scale (null without a norm or parameter gradients). */
  dScale: Tensor1D | null;
  /** Gradient of the folded BatchNorm shift. */
  dShift: Tensor1D | null;
  /** Gradient with respect to the normalised base columns `[B, db]`. */
  guBase: Tensor2D | null;
  /** Gradient with respect to the normalised candidate columns `[K·B, dc]`. */
  guCand: Tensor2D | null;
}

/** Backward pass of {@link stackForward} given the gradient `dOut` of the stack's output. */
export function stackBackward(
  layers: readonly Linear[],
  outAct: Activation,
  inp: StackInput,
  nt: NormTrace | null,
  st: StackTrace,
  dOut: Tensor2D,
  options: StackBackwardOptions = {},
): StackGrads {
  const wantParams = options.paramGrads ?? true;
  const nl = layers.length;
  const grads: Tensor[] = new Array(2 * nl);
  let g = activationBackward(dOut, st.acts[nl - 1], outAct) as Tensor2D;
  const d = layers[0].inDim;
  const h = layers[0].outDim;
  for (let i = nl - 1; i >= 1; i--) {
    const a = st.acts[i - 1];
    if (wantParams) {
      if (i === 1 && d <= RECOMPUTE_MAX_IN) {
        const m = tf.matMul(hiddenTAug(inp, st), g);
        grads[2] = tf.slice(m, [0, 0], [h, layers[1].outDim]);
        grads[3] = tf.slice(m, [h, 0], [1, layers[1].outDim]).reshape([layers[1].outDim]);
      } else {
        grads[2 * i] = crossProduct(a, g);
        grads[2 * i + 1] = columnSums(g);
      }
    }
    const w = layers[i].weight as Tensor2D;
    const wT = tf.transpose(w); // never a reshape of w: see dense.ts on the XNNPACK operator cache
    g = tf.mul(tf.matMul(g, wT), tf.step(a, 0)) as Tensor2D;
  }
  // g is now the gradient of the first layer's pre-activation, [N, H1].
  let dScale: Tensor1D | null = null;
  let dShift: Tensor1D | null = null;
  if (wantParams) {
    let dwf: Tensor2D;
    let dbf: Tensor2D; // [1, H]
    if (inp.cand !== null && inp.k > 1) {
      // Shared rows: Σ_k g first (one JS pass that also gives candᵀ g), then a B-row matmul.
      const { sum, cross } = factoredCross(g, inp.cand, inp.k);
      const db = inp.base.shape[1];
      const mb = tf.matMul(baseTAug(inp), sum); // [db + 1, H]
      dwf = tf.concat([tf.slice(mb, [0, 0], [db, h]), cross], 0) as Tensor2D;
      dbf = tf.slice(mb, [db, 0], [1, h]) as Tensor2D;
    } else {
      const m = tf.matMul(xTAug(inp), g); // [d + 1, H] = [dW'; db']
      dwf = tf.slice(m, [0, 0], [d, h]) as Tensor2D;
      dbf = tf.slice(m, [d, 0], [1, h]) as Tensor2D;
    }
    const w = layers[0].weight as Tensor2D;
    if (nt !== null) {
      dScale = tf.sum(tf.mul(w, dwf), 1) as Tensor1D;
      dShift = tf.matMul(w, dbf.reshape([h, 1])).reshape([d]) as Tensor1D;
      dwf = tf.add(tf.mul(dwf, nt.scale.reshape([d, 1])), tf.mul(nt.shift.reshape([d, 1]), dbf));
    }
    grads[0] = dwf;
    grads[1] = dbf.reshape([h]);
  }
  const db = inp.base.shape[1];
  let guBase: Tensor2D | null = null;
  let guCand: Tensor2D | null = null;
  const w0 = layers[0].weight as Tensor2D;
  if (options.baseGrad) {
    const wb = inp.cand === null ? w0 : tf.slice(w0, [0, 0], [db, h]);
    const s = inp.k === 1 ? g : blockRowSum(g, inp.k);
    guBase = tf.matMul(s, tf.transpose(wb));
  }
  if (options.candGrad && inp.cand !== null) {
    const dc = d - db;
    const wc = tf.slice(w0, [db, 0], [dc, h]);
    guCand = tf.matMul(g, dc === 1 ? wc.reshape([h, 1]) : tf.transpose(wc));
  }
  return { params: wantParams ? grads : [], dScale, dShift, guBase, guCand };
}

/** Replaces every tensor leaf of a trace (plain objects and arrays) by `fn(tensor)`; variables stay as they are. */
export function mapTensors<T>(value: T, fn: (t: Tensor) => Tensor): T {
  if (value instanceof tf.Variable) return value;
  if (value instanceof tf.Tensor) return fn(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, fn)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapTensors(v, fn);
    return out as T;
  }
  return value;
}

/** Trace tensors kept alive between a custom op's forward pass and its gradient. */
interface PendingTrace {
  tensors: Tensor[];
  tape: unknown;
}

const pendingTraces: PendingTrace[] = [];

/** Frees kept traces of gradient computations that have finished (their gradient was never asked for). */
function flushPendingTraces(currentTape: unknown): void {
  for (let i = pendingTraces.length - 1; i >= 0; i--) {
    if (pendingTraces[i].tape === currentTape) continue;
    for (const t of pendingTraces[i].tensors) t.dispose();
    pendingTraces.splice(i, 1);
  }
}

/**
 * Runs `forward` inside a `tf.customGrad` whose inputs are `inputs`; `forward` returns the output and a
 * trace, `backward(trace, dy)` returns one gradient per input.
 *
 * The trace is handed to the gradient without `save` (which would copy every activation): while a tape
 * records, its tensors are kept and freed right after the gradient runs, or, if the tape never asks for
 * this gradient, at the first custom op after that gradient computation has finished. `external` lists
 * the caller's tensors in the trace (never kept or freed).
 */
export function withCustomGrad<Tr>(
  inputs: Tensor[],
  external: Tensor[],
  forward: () => { value: Tensor; trace: Tr },
  backward: (trace: Tr, dy: Tensor) => Tensor[],
): Tensor {
  const state = tf.engine().state;
  flushPendingTraces(state.gradientDepth > 0 ? state.activeTape : null);
  const f = tf.customGrad((..._args: (Tensor | tf.GradSaveFunc)[]) => {
    const { value, trace } = forward();
    let entry: PendingTrace | null = null;
    let kept = trace;
    if (state.gradientDepth > 0) {
      const outside = new Set<Tensor>(external);
      const owned: Tensor[] = [];
      kept = mapTensors(trace, (t) => {
        if (outside.has(t)) return t;
        // The output is returned to the caller, who disposes it: the trace holds its own copy.
        const mine = t === value ? t.clone() : t;
        owned.push(tf.keep(mine));
        return mine;
      });
      entry = { tensors: owned, tape: state.activeTape };
      pendingTraces.push(entry);
    }
    return {
      value,
      gradFunc: (dy: Tensor) => {
        const grads = backward(kept, dy);
        if (entry !== null) {
          for (const t of entry.tensors) t.dispose();
          const i = pendingTraces.indexOf(entry);
          if (i >= 0) pendingTraces.splice(i, 1);
        }
        return grads;
      },
    };
  });
  return (f as (...t: Tensor[]) => Tensor)(...inputs);
}

/** Gradients as one flat vector. */
export function flatGrads(grads: readonly Tensor[]): Tensor1D {
  return tf.concat(grads.map((g) => g.reshape([g.size]))) as Tensor1D;
}

// ---------------------------------------------------------------------------------------------------
// Public MLP.
// ---------------------------------------------------------------------------------------------------

/** Options of {@link Mlp}. */
export interface MlpOptions {
  /** Source of the initial weights (PyTorch-default init, layer by layer, weight then bias). */
  rng: RandomFill;
  /** Hidden widths, default `[64, 64]`. */
  hidden?: readonly number[];
  /** Activation of the output layer: `none` (default) or `tanh`. */
  outputActivation?: "none" | "tanh";
  /** Put a `BatchNorm1d(inDim)` in front (weight 1, bias 0), as the OMAR networks do. Default false. */
  inputNorm?: boolean;
  /** Draw the output layer's weights from U(±bound) instead (the actor's 3e-3); its bias keeps the default. */
  finalWeightBound?: number;
}

/** Per-call options of the MLP passes. */
export interface MlpCallOptions {
  /** BatchNorm mode for this call; default the network's {@link Mlp.training} flag. */
  training?: boolean;
  /** In train mode, update the BatchNorm running statistics (default true, as every PyTorch train call does). */
  updateStats?: boolean;
}

/** What {@link Mlp.forwardTrace} leaves for {@link Mlp.backward}: the tfjs pass's or the native one's. */
export interface MlpTrace {
  /** Input rows (tfjs pass). */
  input: StackInput | null;
  /** Folded BatchNorm (tfjs pass; null without one). */
  norm: NormTrace | null;
  /** Layer outputs (tfjs pass). */
  stack: StackTrace | null;
  /** The native pass's trace (null for the tfjs pass). */
  native: NativeTrace | null;
}

/** Options of {@link Mlp.backward}. */
export interface MlpBackwardOptions {
  /** Compute the parameter gradients (default true). */
  paramGrads?: boolean;
  /** Also return the gradient with respect to the input (default false). */
  inputGrad?: boolean;
}

/** Options of {@link Mlp.apply}. */
export interface MlpApplyOptions extends MlpCallOptions {
  /** Differentiate with respect to the input too (default false: the input is data). */
  inputGrad?: boolean;
}

/**
 * `[BatchNorm1d →] Linear → ReLU → … → Linear [→ tanh]` with PyTorch's default initialisation and a fast
 * hand-derived backward. Three ways to run it:
 * - {@link Mlp.predict}: forward only, records nothing (targets, samplers, evaluation);
 * - {@link Mlp.forwardTrace} + {@link Mlp.backward}: explicit gradients, no autograd tape (fastest);
 * - {@link Mlp.apply}: differentiable by `tf.grads`/`tf.variableGrads` through one `tf.customGrad`.
 */
export class Mlp {
  /** Input width. */
  readonly inDim: number;
  /** Output width. */
  readonly outDim: number;
  /** Hidden widths. */
  readonly hidden: readonly number[];
  /** Output activation. */
  readonly outputActivation: Activation;
  /** The input BatchNorm, or null. */
  readonly norm: BatchNorm | null;
  /** The dense layers, input to output. */
  readonly layers: readonly Linear[];
  /** BatchNorm mode (PyTorch's `.train()` / `.eval()`); true at construction. */
  training = true;

  /** A freshly initialised network (draws come from `options.rng`). */
  constructor(inDim: number, outDim: number, options: MlpOptions) {
    this.inDim = inDim;
    this.outDim = outDim;
    this.hidden = [...(options.hidden ?? [64, 64])];
    this.outputActivation = options.outputActivation ?? "none";
    this.norm = options.inputNorm ? new BatchNorm(inDim) : null;
    const widths = [inDim, ...this.hidden, outDim];
    const layers: Linear[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const last = i + 2 === widths.length;
      layers.push(createLinear(widths[i], widths[i + 1], {
        rng: options.rng,
        weightBound: last ? options.finalWeightBound : undefined,
      }));
    }
    this.layers = layers;
  }

  /** Sets train mode (batch statistics in the BatchNorm). */
  train(): this {
    this.training = true;
    return this;
  }

  /** Sets eval mode (running statistics in the BatchNorm). */
  eval(): this {
    this.training = false;
    return this;
  }

  /** The trainable variables, PyTorch order: norm weight, norm bias, then each layer's weight and bias. */
  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** The trainable variables with PyTorch-like names (`norm.weight`, `layers.0.weight`, …). */
  namedParameters(): [string, Variable][] {
    const out: [string, Variable][] = [];
    if (this.norm !== null) out.push(["norm.weight", this.norm.weight], ["norm.bias", this.norm.bias]);
    this.layers.forEach((l, i) => out.push([`layers.${i}.weight`, l.weight], [`layers.${i}.bias`, l.bias]));
    return out;
  }

  /** The non-trainable state (BatchNorm running statistics). */
  namedBuffers(): [string, Variable][] {
    if (this.norm === null) return [];
    return [["norm.running_mean", this.norm.runningMean], ["norm.running_var", this.norm.runningVar]];
  }

  /** Forward pass `[N, inDim] → [N, outDim]`; records no trace. */
  predict(x: Tensor2D, options: MlpCallOptions = {}): Tensor2D {
    if (nativeModule() !== null) {
      const training = options.training ?? this.training;
      return nativePredict(this.#nativeNet(), 1, x, null, training, options.updateStats ?? true)[0];
    }
    return this.forwardTrace(x, options).out;
  }

  /** This network as the native kernels see it. */
  #nativeNet(): NativeNet {
    return { heads: [this.layers], norm: this.norm, outAct: this.outputActivation };
  }

  /** Forward pass that also returns the trace {@link Mlp.backward} needs. */
  forwardTrace(x: Tensor2D, options: MlpCallOptions = {}): { out: Tensor2D; trace: MlpTrace } {
    const training = options.training ?? this.training;
    if (nativeModule() !== null) {
      const nt = nativeForward(this.#nativeNet(), 1, x, null, training, options.updateStats ?? true);
      const acts = nt.acts[0];
      return { out: acts[acts.length - 1], trace: { input: null, norm: null, stack: null, native: nt } };
    }
    const input = stackInput(x);
    const norm = this.norm === null
      ? null
      : normForward(this.norm, input, training, options.updateStats ?? true);
    const stack = stackForward(this.layers, this.outputActivation, input, norm);
    return { out: stack.acts[stack.acts.length - 1], trace: { input, norm, stack, native: null } };
  }

  /**
   * Gradients for an upstream gradient `dOut` (`[N, outDim]`): `grads` aligned with
   * {@link Mlp.parameters} (empty when `paramGrads` is false) and, with `inputGrad`, `dx` `[N, inDim]`.
   */
  backward(
    trace: MlpTrace,
    dOut: Tensor2D,
    options: MlpBackwardOptions = {},
  ): { grads: Tensor[]; dx: Tensor2D | null } {
    const paramGrads = options.paramGrads ?? true;
    if (trace.native !== null) {
      const r = nativeBackward(this.#nativeNet(), trace.native, [dOut], {
        paramGrads,
        baseGrad: options.inputGrad ?? false,
      });
      return { grads: r.flat === null ? [] : splitFlat(r.flat, this.parameters()), dx: r.dBase };
    }
    const sg = stackBackward(
      this.layers,
      this.outputActivation,
      trace.input!,
      trace.norm,
      trace.stack!,
      dOut,
      {
        paramGrads,
        baseGrad: options.inputGrad ?? false,
      },
    );
    let grads = sg.params;
    if (paramGrads && this.norm !== null && trace.norm !== null) {
      grads = [...normParamGrads(trace.norm, sg.dScale as Tensor1D, sg.dShift as Tensor1D), ...grads];
    }
    let dx: Tensor2D | null = sg.guBase;
    if (dx !== null && this.norm !== null && trace.norm !== null) {
      dx = normInputGrad(this.norm, trace.norm, dx, {
        from: 0,
        width: this.inDim,
        centered: trace.norm.baseCentered,
      });
    }
    return { grads, dx };
  }

  /**
   * The parameter gradients for `dOut` as one flat vector in {@link Mlp.parameters} order (plus `gradIn`
   * when given), the form `Adam.stepFlat` takes.
   */
  backwardFlat(trace: MlpTrace, dOut: Tensor2D, gradIn: Tensor1D | null = null): Tensor1D {
    if (trace.native !== null) {
      return nativeBackward(this.#nativeNet(), trace.native, [dOut], { paramGrads: true, gradIn }).flat!;
    }
    const flat = flatGrads(this.backward(trace, dOut).grads);
    return gradIn === null ? flat : tf.add(gradIn, flat) as Tensor1D;
  }

  /**
   * Differentiable forward pass (one `tf.customGrad` over the whole network): gradients reach every
   * parameter and, with `inputGrad`, `x`. Use inside `tf.variableGrads` / `tf.grads`.
   */
  apply(x: Tensor2D, options: MlpApplyOptions = {}): Tensor2D {
    const inputGrad = options.inputGrad ?? false;
    const params = this.parameters();
    const inputs = inputGrad ? [x, ...params] : params;
    return withCustomGrad(inputs, [x], () => {
      const { out, trace } = this.forwardTrace(x, options);
      return { value: out, trace };
    }, (trace, dy) => {
      const { grads, dx } = this.backward(trace, dy as Tensor2D, { inputGrad });
      return inputGrad ? [dx as Tensor, ...grads] : grads;
    }) as Tensor2D;
  }

  /** Frees all variables. */
  dispose(): void {
    this.norm?.dispose();
    for (const l of this.layers) {
      l.weight.dispose();
      l.bias.dispose();
    }
  }
}
