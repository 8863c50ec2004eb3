/**
 * Save and restore networks and optimizers bit for bit. A network's state is a plain record of float32
 * arrays keyed by parameter name (weights `[in, out]`, PyTorch's transpose), plus the BatchNorm running
 * statistics; {@link encodeState} turns any such record into JSON-able data (float32 arrays as base64 of
 * their little-endian bytes, so NaN payloads and signed zeros survive) and {@link decodeState} reverses it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Variable } from "./types.ts";
import type { BatchNorm } from "./batch_norm.ts";
import type { Adam, AdamState } from "./optim.ts";

/** One tensor's values and shape. */
export interface TensorRecord {
  /** Shape. */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** A network's saved state. */
export interface NetworkState {
  /** Trainable tensors by name. */
  params: Record<string, TensorRecord>;
  /** Non-trainable tensors (BatchNorm running statistics) by name. */
  buffers: Record<string, TensorRecord>;
  /** The BatchNorm's `num_batches_tracked`, or null without one. */
  numBatchesTracked: number | null;
}

/** What {@link saveNetwork} needs: an {@link Mlp} or a {@link TwinCritic}. */
export interface StatefulNetwork {
  /** Trainable variables with names. */
  namedParameters(): [string, Variable][];
  /** Running statistics with names. */
  namedBuffers(): [string, Variable][];
  /** The input BatchNorm, if any. */
  readonly norm: BatchNorm | null;
}

function record(v: Variable): TensorRecord {
  return { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
}

/** A copy of every parameter and running statistic of `net` (reads tensors back; not for inner loops). */
export function saveNetwork(net: StatefulNetwork): NetworkState {
  const params: Record<string, TensorRecord> = {};
  const buffers: Record<string, TensorRecord> = {};
  for (const [name, v] of net.namedParameters()) params[name] = record(v);
  for (const [name, v] of net.namedBuffers()) buffers[name] = record(v);
  return { params, buffers, numBatchesTracked: net.norm?.numBatchesTracked ?? null };
}

/** Restores a state saved by {@link saveNetwork} into a network of the same architecture. */
export function loadNetwork(net: StatefulNetwork, state: NetworkState): void {
  const assign = (name: string, v: Variable, rec: TensorRecord | undefined) => {
    if (rec === undefined) throw new RangeError(`loadNetwork: the state has no tensor "${name}"`);
    if (rec.shape.length !== v.shape.length || rec.shape.some((d, i) => d !== v.shape[i])) {
      throw new RangeError(
        `loadNetwork: "${name}" has shape [${rec.shape}], the network expects [${v.shape}]`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(rec.data, v.shape, "float32")));
  };
  for (const [name, v] of net.namedParameters()) assign(name, v, state.params[name]);
  for (const [name, v] of net.namedBuffers()) assign(name, v, state.buffers[name]);
  if (net.norm !== null && state.numBatchesTracked !== null) {
    net.norm.numBatchesTracked = state.numBatchesTracked;
  }
}

/** The optimizer's state (step count and moments); same as {@link Adam.state}. */
export function saveOptimizer(opt: Adam): AdamState {
  return opt.state();
}

/** Restores an optimizer state; same as {@link Adam.loadState}. */
export function loadOptimizer(opt: Adam, state: AdamState): void {
  opt.loadState(state);
}

/** JSON-able form of a state: every `Float32Array` becomes `{ f32: base64 }`. */
export type EncodedState = null | boolean | number | string | EncodedState[] | {
  [key: string]: EncodedState;
};

function toBase64(bytes: Uint8Array): string {
  let s = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Turns a state record (any nesting of objects, arrays, numbers, strings and `Float32Array`s) into JSON-able data. */
export function encodeState(value: unknown): EncodedState {
  if (value instanceof Float32Array) {
    return { f32: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  if (Array.isArray(value)) return value.map(encodeState);
  if (value !== null && typeof value === "object") {
    const out: Record<string, EncodedState> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeState(v);
    return out;
  }
  if (value === undefined) return null;
  return value as EncodedState;
}

/** Reverses {@link encodeState}. */
export function decodeState<T = unknown>(value: EncodedState): T {
  return decode(value) as T;
}

function decode(value: EncodedState): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "f32" && typeof value.f32 === "string") {
      const bytes = fromBase64(value.f32);
      return new Float32Array(bytes.buffer, 0, bytes.length / 4);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}
