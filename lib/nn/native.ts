/**
 * The native kernels of `native.c` (WebAssembly SIMD) on the tfjs `wasm` backend: a network's whole
 * forward pass, its whole backward pass, Adam and soft updates, each as one tfjs kernel call.
 *
 * The module imports the wasm backend's own memory, so tensors are read and written where tfjs keeps
 * them; outputs are ordinary tfjs tensors (tracked by `tidy`, freed by `dispose`). This replaces the
 * hundreds of small tfjs kernels a training step used to run (and XNNPACK's repacking of every fresh
 * right-hand operand) with a few calls doing the same arithmetic.
 *
 * {@link nativeKernels} says whether they are in use: only on the `wasm` backend, and they can be turned
 * off with {@link setNativeKernels} (or `OMAR_NATIVE=0` in the environment), which brings back the tfjs
 * implementations in mlp.ts, twin_critic.ts and optim.ts (as on the `cpu` backend). The fused
 * multiply-add build is used where the engine has relaxed SIMD, unless `OMAR_NATIVE_FMA=0`. With
 * `--allow-ffi` and OpenBLAS installed, the passes' large matrix products go to OpenBLAS (blas.ts);
 * {@link gemmBackend} says which path is in use.
 *
 * @module
 */
import { grantedEnv } from "../util/permissions.ts";
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor1D, Tensor2D, Variable } from "./types.ts";
import type { Activation, Linear } from "./dense.ts";
import type { BatchNorm } from "./batch_norm.ts";
import { NATIVE_WASM_FMA, NATIVE_WASM_PLAIN } from "./native_wasm.ts";
import { blasActive, sgemmImport } from "./blas.ts";

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WasmBackendLike {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): TensorInfoLike;
}

interface NativeExports {
  __stack_pointer: WebAssembly.Global;
  net_forward(desc: number): void;
  net_backward(desc: number): void;
  adam_step(desc: number): void;
  soft_update(desc: number): void;
  net_size(): number;
  adam_entries_offset(): number;
  soft_entries_offset(): number;
}

/** Field indices (int32 words) of the C `Net` descriptor. */
const F = {
  nHeads: 0,
  nLayers: 1,
  widths: 2,
  outAct: 11,
  B: 12,
  db: 13,
  K: 14,
  dc: 15,
  base: 16,
  cand: 17,
  hasNorm: 18,
  train: 19,
  eps: 20,
  momentum: 21,
  gamma: 22,
  beta: 23,
  runMean: 24,
  runVar: 25,
  mean: 26,
  invStd: 27,
  newRm: 28,
  newRv: 29,
  W: 30,
  bias: 46,
  acts: 62,
  dout: 78,
  gradOut: 80,
  gradIn: 81,
  dCand: 82,
  dBase: 83,
  scratch: 84,
  scratchFloats: 85,
  paramHeads: 86,
  extGemm: 87,
  size: 88,
} as const;
const MAX_LAYERS = 8;
/** Rows per chunk of a forward pass without trace (native.c's CHUNK). */
const CHUNK = 64;
const STACK_BYTES = 1 << 16;
const DESC_BYTES = 1 << 14;

const FORWARD = "OmarKitNetForward";
const BACKWARD = "OmarKitNetBackward";
const ADAM = "OmarKitAdam";
const SOFT = "OmarKitSoftUpdate";

class NativeModule {
  readonly backend: WasmBackendLike;
  readonly memory: WebAssembly.Memory;
  readonly ex: NativeExports;
  readonly desc: number;
  #scratch = 0;
  #scratchFloats = 0;

  constructor(backend: WasmBackendLike, memory: WebAssembly.Memory, module: WebAssembly.Module) {
    this.backend = backend;
    this.memory = memory;
    const inst = new WebAssembly.Instance(module, {
      env: { memory, tanh: Math.tanh, sgemm: sgemmImport(memory) },
    });
    this.ex = inst.exports as unknown as NativeExports;
    if (
      this.ex.net_size() !== F.size * 4 || this.ex.adam_entries_offset() !== 60 ||
      this.ex.soft_entries_offset() !== 12
    ) {
      throw new Error("native kernels: descriptor layout mismatch");
    }
    const stack = backend.wasm._malloc(STACK_BYTES + 16);
    this.ex.__stack_pointer.value = (stack + STACK_BYTES) & ~15;
    this.desc = backend.wasm._malloc(DESC_BYTES);
  }

  /** A scratch block of at least `floats` floats (16-byte aligned). Call before taking heap views. */
  scratch(floats: number): { ptr: number; floats: number } {
    if (floats > this.#scratchFloats) {
      if (this.#scratch !== 0) this.backend.wasm._free(this.#scratch);
      const n = Math.ceil(floats * 1.25) + 64;
      this.#scratch = this.backend.wasm._malloc(n * 4 + 16);
      this.#scratchFloats = n;
    }
    return { ptr: (this.#scratch + 15) & ~15, floats: this.#scratchFloats - 4 };
  }

  ptr(t: TensorInfoLike | undefined): number {
    if (t === undefined) return 0;
    const d = this.backend.dataIdMap.get(t.dataId);
    if (d === undefined) throw new Error("native kernels: a tensor is not on the wasm backend");
    return d.memoryOffset;
  }

  out(shape: number[]): TensorInfoLike {
    return this.backend.makeOutput(shape, "float32");
  }

  /** Int32 and float32 views of the descriptor block (take them after every allocation). */
  views(): { i32: Int32Array; f32: Float32Array } {
    return {
      i32: new Int32Array(this.memory.buffer, this.desc, DESC_BYTES / 4),
      f32: new Float32Array(this.memory.buffer, this.desc, DESC_BYTES / 4),
    };
  }
}

let compiled: { plain: WebAssembly.Module | null; fma: WebAssembly.Module | null } | null = null;
let instance: NativeModule | null = null;
let instanceBackend: unknown = null;
let enabled: boolean | null = null;
let failed = false;

function decode(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function compileModules(): void {
  if (compiled !== null) return;
  const fmaBytes = NATIVE_WASM_FMA === null ? null : decode(NATIVE_WASM_FMA);
  const fma = fmaBytes !== null && grantedEnv("OMAR_NATIVE_FMA") !== "0" &&
      WebAssembly.validate(fmaBytes as BufferSource)
    ? new WebAssembly.Module(fmaBytes as BufferSource)
    : null;
  compiled = {
    plain: fma === null ? new WebAssembly.Module(decode(NATIVE_WASM_PLAIN) as BufferSource) : null,
    fma,
  };
}

/**
 * Turns the native kernels on or off (on by default on the `wasm` backend). Off, every network pass
 * runs as tfjs ops.
 */
export function setNativeKernels(on: boolean): void {
  enabled = on;
}

/** The native kernels, or null when they are off or the backend is not `wasm`. */
export function nativeModule(): NativeModule | null {
  if (enabled === null) enabled = grantedEnv("OMAR_NATIVE") !== "0";
  if (!enabled || failed || tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  if (instance !== null && instanceBackend === backend) return instance;
  try {
    compileModules();
    const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error("no wasm memory");
    instance = new NativeModule(backend, memory, (compiled!.fma ?? compiled!.plain)!);
    instanceBackend = backend;
    registerKernels();
    return instance;
  } catch (e) {
    failed = true;
    console.warn(`omar-kit: native kernels unavailable (${(e as Error).message}); using tfjs ops`);
    return null;
  }
}

/** Whether the native kernels run the network passes now. */
export function nativeKernels(): boolean {
  return nativeModule() !== null;
}

/**
 * What does the network passes' matrix products now: `openblas` (the native kernels with OpenBLAS
 * through FFI for the large products, see blas.ts), `wasm` (the native kernels' own WebAssembly SIMD
 * products) or `tfjs` (no native kernels: tfjs ops on the active backend).
 */
export function gemmBackend(): "openblas" | "wasm" | "tfjs" {
  if (nativeModule() === null) return "tfjs";
  return blasActive() ? "openblas" : "wasm";
}

/** Whether the fused multiply-add build is loaded (null when no native kernels). */
export function nativeFma(): boolean | null {
  return nativeModule() === null ? null : compiled!.fma !== null;
}

// ---------------------------------------------------------------------------------------------------
// Kernels.
// ---------------------------------------------------------------------------------------------------

interface NetPlan {
  heads: number;
  paramHeads: number;
  widths: number[];
  outAct: number;
  B: number;
  db: number;
  K: number;
  dc: number;
  hasNorm: boolean;
  train: boolean;
  eps: number;
  momentum: number;
}

interface ForwardPlan extends NetPlan {
  update: boolean;
  /** Keep every layer's output and the statistics (a trace for the backward pass). */
  keep: boolean;
}

interface BackwardPlan extends NetPlan {
  douts: boolean[];
  paramGrads: boolean;
  candGrad: boolean;
  baseGrad: boolean;
  gradIn: boolean;
}

type Inputs = Record<string, TensorInfoLike>;

function rowsOf(p: NetPlan): number {
  return p.K > 0 ? p.K * p.B : p.B;
}

function inOf(p: NetPlan): number {
  return p.db + (p.K > 0 ? p.dc : 0);
}

function headParams(p: NetPlan): number {
  let s = 0;
  for (let l = 0; l + 1 < p.widths.length; l++) s += p.widths[l] * p.widths[l + 1] + p.widths[l + 1];
  return s;
}

function writeCommon(m: NativeModule, i32: Int32Array, f32: Float32Array, p: NetPlan, ins: Inputs): void {
  i32.fill(0, 0, F.size);
  i32[F.nHeads] = p.heads;
  i32[F.paramHeads] = p.paramHeads;
  i32[F.extGemm] = blasActive() ? 1 : 0;
  i32[F.nLayers] = p.widths.length - 1;
  p.widths.forEach((w, i) => (i32[F.widths + i] = w));
  i32[F.outAct] = p.outAct;
  i32[F.B] = p.B;
  i32[F.db] = p.db;
  i32[F.K] = p.K;
  i32[F.dc] = p.dc;
  i32[F.base] = m.ptr(ins.base);
  i32[F.cand] = m.ptr(ins.cand);
  i32[F.hasNorm] = p.hasNorm ? 1 : 0;
  i32[F.train] = p.train ? 1 : 0;
  f32[F.eps] = p.eps;
  f32[F.momentum] = p.momentum;
  i32[F.gamma] = m.ptr(ins.gamma);
  i32[F.beta] = m.ptr(ins.beta);
  for (let h = 0; h < p.heads; h++) {
    for (let l = 0; l + 1 < p.widths.length; l++) {
      i32[F.W + h * MAX_LAYERS + l] = m.ptr(ins[`w${h}_${l}`]);
      i32[F.bias + h * MAX_LAYERS + l] = m.ptr(ins[`b${h}_${l}`]);
    }
  }
}

function forwardKernel(m: NativeModule, ins: Inputs, p: ForwardPlan): TensorInfoLike[] {
  const d = inOf(p), rows = rowsOf(p), L = p.widths.length - 1, h1 = p.widths[1];
  const maxw = Math.max(...p.widths);
  const outs: TensorInfoLike[] = [];
  const mean = p.hasNorm && p.keep ? m.out([d]) : undefined;
  const invStd = p.hasNorm && p.keep ? m.out([d]) : undefined;
  if (mean && invStd) outs.push(mean, invStd);
  const rm = p.update ? m.out([d]) : undefined;
  const rv = p.update ? m.out([d]) : undefined;
  if (rm && rv) outs.push(rm, rv);
  const acts: (TensorInfoLike | undefined)[][] = [];
  for (let h = 0; h < p.heads; h++) {
    acts.push([]);
    for (let l = 0; l < L; l++) {
      const t = p.keep || l === L - 1 ? m.out([rows, p.widths[l + 1]]) : undefined;
      acts[h].push(t);
      if (t) outs.push(t);
    }
  }
  const need = 8 * d + d * h1 + h1 + (p.K > 0 ? (L > 1 ? p.B * h1 : rows * d) : 0) + maxw * maxw +
    2 * CHUNK * maxw + 256;
  const s = m.scratch(need);
  const { i32, f32 } = m.views();
  writeCommon(m, i32, f32, p, ins);
  i32[F.runMean] = m.ptr(ins.rm);
  i32[F.runVar] = m.ptr(ins.rv);
  i32[F.mean] = m.ptr(mean);
  i32[F.invStd] = m.ptr(invStd);
  i32[F.newRm] = m.ptr(rm);
  i32[F.newRv] = m.ptr(rv);
  for (let h = 0; h < p.heads; h++) {
    for (let l = 0; l < L; l++) i32[F.acts + h * MAX_LAYERS + l] = m.ptr(acts[h][l]);
  }
  i32[F.scratch] = s.ptr;
  i32[F.scratchFloats] = s.floats;
  m.ex.net_forward(m.desc);
  return outs;
}

function backwardKernel(m: NativeModule, ins: Inputs, p: BackwardPlan): TensorInfoLike[] {
  const d = inOf(p), rows = rowsOf(p), L = p.widths.length - 1, h1 = p.widths[1];
  const maxw = Math.max(...p.widths);
  const outs: TensorInfoLike[] = [];
  const total = (p.hasNorm ? 2 * d : 0) + p.paramHeads * headParams(p);
  const flat = p.paramGrads ? m.out([total]) : undefined;
  if (flat) outs.push(flat);
  const dCand = p.candGrad ? m.out([rows, p.dc]) : undefined;
  if (dCand) outs.push(dCand);
  const dBase = p.baseGrad ? m.out([p.B, p.db]) : undefined;
  if (dBase) outs.push(dBase);
  const need = 4 * d + rows * p.dc + p.B * p.db + 2 * CHUNK * maxw + (L + 1) * maxw * maxw +
    2 * (L + 1) * maxw + d * h1 + p.B * h1 + maxw + 64 * (L + 10);
  const s = m.scratch(need);
  const { i32, f32 } = m.views();
  writeCommon(m, i32, f32, p, ins);
  i32[F.mean] = m.ptr(ins.mean);
  i32[F.invStd] = m.ptr(ins.invStd);
  for (let h = 0; h < p.heads; h++) {
    for (let l = 0; l < L; l++) i32[F.acts + h * MAX_LAYERS + l] = m.ptr(ins[`a${h}_${l}`]);
    i32[F.dout + h] = p.douts[h] ? m.ptr(ins[`dout${h}`]) : 0;
  }
  i32[F.gradOut] = m.ptr(flat);
  i32[F.gradIn] = m.ptr(ins.gradIn);
  i32[F.dCand] = m.ptr(dCand);
  i32[F.dBase] = m.ptr(dBase);
  i32[F.scratch] = s.ptr;
  i32[F.scratchFloats] = s.floats;
  m.ex.net_backward(m.desc);
  return outs;
}

interface AdamPlan {
  count: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
  maxNorm: number;
}

function adamKernel(m: NativeModule, ins: Inputs, p: AdamPlan): TensorInfoLike[] {
  const outs: TensorInfoLike[] = [];
  for (let i = 0; i < p.count; i++) outs.push(m.out(ins[`p${i}`].shape));
  const mOut = m.out(ins.m.shape), vOut = m.out(ins.v.shape);
  outs.push(mOut, vOut);
  const { i32, f32 } = m.views();
  i32[0] = p.count;
  i32[1] = m.ptr(ins.grad);
  i32[2] = m.ptr(ins.m);
  i32[3] = m.ptr(ins.v);
  i32[4] = m.ptr(mOut);
  i32[5] = m.ptr(vOut);
  f32[6] = p.beta1;
  f32[7] = p.beta2;
  f32[8] = 1 - p.beta1;
  f32[9] = 1 - p.beta2;
  f32[10] = p.stepSize;
  f32[11] = p.bc2Sqrt;
  f32[12] = p.eps;
  f32[13] = p.maxNorm;
  i32[14] = 0;
  for (let i = 0; i < p.count; i++) {
    const t = ins[`p${i}`];
    i32[15 + 3 * i] = m.ptr(t);
    i32[16 + 3 * i] = m.ptr(outs[i]);
    i32[17 + 3 * i] = t.shape.reduce((a, b) => a * b, 1);
  }
  m.ex.adam_step(m.desc);
  return outs;
}

function softKernel(m: NativeModule, ins: Inputs, p: { count: number; rate: number }): TensorInfoLike[] {
  const outs: TensorInfoLike[] = [];
  for (let i = 0; i < p.count; i++) outs.push(m.out(ins[`t${i}`].shape));
  const { i32, f32 } = m.views();
  i32[0] = p.count;
  f32[1] = 1 - p.rate;
  f32[2] = p.rate;
  for (let i = 0; i < p.count; i++) {
    const t = ins[`t${i}`];
    i32[3 + 4 * i] = m.ptr(t);
    i32[4 + 4 * i] = m.ptr(ins[`s${i}`]);
    i32[5 + 4 * i] = m.ptr(outs[i]);
    i32[6 + 4 * i] = t.shape.reduce((a, b) => a * b, 1);
  }
  m.ex.soft_update(m.desc);
  return outs;
}

let registered = false;

function registerKernels(): void {
  if (registered) return;
  registered = true;
  const reg = (name: string, f: (m: NativeModule, ins: Inputs, attrs: never) => TensorInfoLike[]) => {
    if (tf.getKernel(name, "wasm") !== undefined) return;
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs }) =>
        f(
          instance!,
          inputs as unknown as Inputs,
          (attrs as { plan: never }).plan,
        ) as unknown as tf.TensorInfo[],
    });
  };
  reg(FORWARD, forwardKernel);
  reg(BACKWARD, backwardKernel);
  reg(ADAM, adamKernel);
  reg(SOFT, softKernel);
}

function run(name: string, inputs: Record<string, Tensor>, plan: object): Tensor[] {
  return tf.engine().runKernel(name, inputs, { plan } as unknown as tf.NamedAttrMap) as unknown as Tensor[];
}

// ---------------------------------------------------------------------------------------------------
// Network passes.
// ---------------------------------------------------------------------------------------------------

/** A network as the native passes see it: heads of dense layers sharing one optional input BatchNorm. */
export interface NativeNet {
  /** Every head's layers (all heads have the same widths). */
  heads: readonly (readonly Linear[])[];
  /** The shared input BatchNorm, or null. */
  norm: BatchNorm | null;
  /** Output activation. */
  outAct: Activation;
}

/** What the native forward pass leaves for the backward pass. */
export interface NativeTrace {
  /** Shared rows `[B, db]`. */
  base: Tensor2D;
  /** Per-candidate columns `[K·B, dc]` (k-major), or null. */
  cand: Tensor2D | null;
  /** K (0 without candidate columns). */
  k: number;
  /** Heads evaluated. */
  heads: number;
  /** BatchNorm in train mode (batch statistics)? */
  training: boolean;
  /** Statistics used by the BatchNorm, `[d]` (null without one). */
  mean: Tensor1D | null;
  /** `1/sqrt(var + eps)` of those statistics. */
  invStd: Tensor1D | null;
  /** Per evaluated head, every layer's output (the last is the head's output). */
  acts: Tensor2D[][];
}

function widthsOf(net: NativeNet): number[] {
  const layers = net.heads[0];
  return [layers[0].inDim, ...layers.map((l) => l.outDim)];
}

function netInputs(net: NativeNet, heads: number, base: Tensor2D, cand: Tensor2D | null) {
  const ins: Record<string, Tensor> = { base };
  if (cand !== null) ins.cand = cand;
  if (net.norm !== null) {
    ins.gamma = net.norm.weight;
    ins.beta = net.norm.bias;
  }
  for (let h = 0; h < heads; h++) {
    net.heads[h].forEach((l, i) => {
      ins[`w${h}_${i}`] = l.weight;
      ins[`b${h}_${i}`] = l.bias;
    });
  }
  return ins;
}

function planOf(
  net: NativeNet,
  heads: number,
  base: Tensor2D,
  cand: Tensor2D | null,
  k: number,
  training: boolean,
) {
  const widths = widthsOf(net);
  if (widths.length - 1 > MAX_LAYERS) throw new RangeError(`native kernels: at most ${MAX_LAYERS} layers`);
  return {
    heads,
    paramHeads: net.heads.length,
    widths,
    outAct: net.outAct === "tanh" ? 1 : 0,
    B: base.shape[0],
    db: base.shape[1],
    K: cand === null ? 0 : k,
    dc: cand === null ? 0 : cand.shape[1],
    hasNorm: net.norm !== null,
    train: training,
    eps: net.norm?.eps ?? 0,
    momentum: net.norm?.momentum ?? 0,
  };
}

/**
 * Forward pass of the first `heads` heads over `base` rows and optional k-major candidate columns
 * (`[K·B, dc]`); in train mode with `updateStats`, the BatchNorm's running statistics are updated as for
 * K·B rows.
 */
export function nativeForward(
  net: NativeNet,
  heads: number,
  base: Tensor2D,
  cand: Tensor2D | null,
  training: boolean,
  updateStats: boolean,
): NativeTrace {
  const k = cand === null ? 0 : cand.shape[0] / base.shape[0];
  if (!Number.isInteger(k)) {
    throw new RangeError(
      `candidate rows (${cand?.shape[0]}) must be a multiple of the ${base.shape[0]} base rows`,
    );
  }
  return forward(net, heads, base, cand, k, training, updateStats, true);
}

/**
 * {@link nativeForward} without a trace: each head's output only, the rows running in chunks through
 * every layer with the activations kept in cache.
 */
export function nativePredict(
  net: NativeNet,
  heads: number,
  base: Tensor2D,
  cand: Tensor2D | null,
  training: boolean,
  updateStats: boolean,
): Tensor2D[] {
  const k = cand === null ? 0 : cand.shape[0] / base.shape[0];
  if (!Number.isInteger(k)) {
    throw new RangeError(
      `candidate rows (${cand?.shape[0]}) must be a multiple of the ${base.shape[0]} base rows`,
    );
  }
  return forward(net, heads, base, cand, k, training, updateStats, false).acts.map((a) => a[0]);
}

function forward(
  net: NativeNet,
  heads: number,
  base: Tensor2D,
  cand: Tensor2D | null,
  k: number,
  training: boolean,
  updateStats: boolean,
  keep: boolean,
): NativeTrace {
  const update = updateStats && training && net.norm !== null;
  const ins = netInputs(net, heads, base, cand);
  if (net.norm !== null) {
    ins.rm = net.norm.runningMean;
    ins.rv = net.norm.runningVar;
  }
  const plan: ForwardPlan = { ...planOf(net, heads, base, cand, k, training), update, keep };
  const outs = run(FORWARD, ins, plan);
  let i = 0;
  const mean = net.norm !== null && keep ? outs[i++] as Tensor1D : null;
  const invStd = net.norm !== null && keep ? outs[i++] as Tensor1D : null;
  if (update) {
    net.norm!.assignRunning(outs[i] as Tensor1D, outs[i + 1] as Tensor1D);
    outs[i].dispose();
    outs[i + 1].dispose();
    i += 2;
  }
  const per = keep ? plan.widths.length - 1 : 1;
  const acts: Tensor2D[][] = [];
  for (let h = 0; h < heads; h++) acts.push(outs.slice(i + h * per, i + (h + 1) * per) as Tensor2D[]);
  return { base, cand, k, heads, training, mean, invStd, acts };
}

/** Options of {@link nativeBackward}. */
export interface NativeBackwardOptions {
  /** Flat parameter gradients (in `parameters()` order; heads without an upstream gradient get zeros). */
  paramGrads: boolean;
  /** Added to the flat gradients (gradients of several passes summed). */
  gradIn?: Tensor1D | null;
  /** Gradient with respect to the candidate columns `[K·B, dc]`. */
  candGrad?: boolean;
  /** Gradient with respect to the base columns `[B, db]` (no candidate columns only). */
  baseGrad?: boolean;
}

/** Backward pass for upstream gradients `dOut[h]` (`[N, out]`, or null for a head not differentiated). */
export function nativeBackward(
  net: NativeNet,
  trace: NativeTrace,
  dOut: readonly (Tensor | null)[],
  options: NativeBackwardOptions,
): { flat: Tensor1D | null; dCand: Tensor2D | null; dBase: Tensor2D | null } {
  const ins = netInputs(net, trace.heads, trace.base, trace.cand);
  if (trace.mean !== null && trace.invStd !== null) {
    ins.mean = trace.mean;
    ins.invStd = trace.invStd;
  }
  const douts: boolean[] = [];
  for (let h = 0; h < trace.heads; h++) {
    trace.acts[h].forEach((a, l) => (ins[`a${h}_${l}`] = a));
    const d = dOut[h] ?? null;
    douts.push(d !== null);
    if (d !== null) ins[`dout${h}`] = d.dtype === "float32" ? d : tf.cast(d, "float32");
  }
  if (options.gradIn) ins.gradIn = options.gradIn;
  const candGrad = (options.candGrad ?? false) && trace.cand !== null;
  const baseGrad = (options.baseGrad ?? false) && trace.cand === null;
  const plan: BackwardPlan = {
    ...planOf(net, trace.heads, trace.base, trace.cand, trace.k, trace.training),
    douts,
    paramGrads: options.paramGrads,
    candGrad,
    baseGrad,
    gradIn: !!options.gradIn,
  };
  const outs = run(BACKWARD, ins, plan);
  let i = 0;
  const flat = options.paramGrads ? outs[i++] as Tensor1D : null;
  const dCand = candGrad ? outs[i++] as Tensor2D : null;
  const dBase = baseGrad ? outs[i++] as Tensor2D : null;
  return { flat, dCand, dBase };
}

/** Splits a flat gradient into tensors shaped like `params`. */
export function splitFlat(flat: Tensor1D, params: readonly Variable[]): Tensor[] {
  const parts = tf.split(flat, params.map((p) => p.size));
  return parts.map((t, i) => t.reshape(params[i].shape));
}

/**
 * One Adam step over `params` from the flat gradient (clipped to `maxNorm` first when given); returns
 * the new parameters and moments (the caller assigns them).
 */
export function nativeAdam(
  params: readonly Variable[],
  grad: Tensor1D,
  m: Tensor1D,
  v: Tensor1D,
  h: { beta1: number; beta2: number; stepSize: number; bc2Sqrt: number; eps: number; maxNorm?: number },
): { params: Tensor[]; m: Tensor1D; v: Tensor1D } {
  const ins: Record<string, Tensor> = { grad, m, v };
  params.forEach((p, i) => (ins[`p${i}`] = p));
  const plan: AdamPlan = {
    count: params.length,
    beta1: h.beta1,
    beta2: h.beta2,
    stepSize: h.stepSize,
    bc2Sqrt: h.bc2Sqrt,
    eps: h.eps,
    maxNorm: h.maxNorm ?? -1,
  };
  const outs = run(ADAM, ins, plan);
  return {
    params: outs.slice(0, params.length),
    m: outs[params.length] as Tensor1D,
    v: outs[params.length + 1] as Tensor1D,
  };
}

/** `target ← target·(1 − rate) + source·rate` for aligned variable lists; returns the new values. */
export function nativeSoftUpdate(
  targets: readonly Variable[],
  sources: readonly Variable[],
  rate: number,
): Tensor[] {
  const ins: Record<string, Tensor> = {};
  targets.forEach((t, i) => {
    ins[`t${i}`] = t;
    ins[`s${i}`] = sources[i];
  });
  return run(SOFT, ins, { count: targets.length, rate });
}
