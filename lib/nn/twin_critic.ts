/**
 * The twin critic of the OMAR code (`DoubleMLPNetwork`): one input `BatchNorm1d` over `[obs, act]` shared
 * by two heads `Q1`, `Q2` (each `Linear → ReLU → Linear → ReLU → Linear(1)`, PyTorch default init).
 *
 * Observations and actions are never concatenated: the first layer's observation half is computed once
 * per state and broadcast over the K candidate actions of a state (the CQL term's K uniform actions, the
 * OMAR sampler's Gaussian samples). In train mode the authors' code normalises every call with the
 * statistics of its own batch (B·K rows); an observation column repeated K times has the same mean and
 * biased variance as its B distinct rows, so the numbers match that batch; the running statistics are
 * updated as for B·K rows (unbiased variance with B·K − 1).
 *
 * Candidate actions are laid out k-major: `[K, B, act]`, candidate k of state b at `[k, b]`; Q values of
 * candidates come back as `[K, B]`.
 *
 * On the `wasm` backend every pass (both heads) is one native kernel call (native.ts); `q`/`q1` then run
 * the rows in cache-sized chunks without keeping activations. `backwardFlat` gives the gradients as the
 * one flat vector `Adam.stepFlat` takes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RandomFill, Tensor, Tensor1D, Tensor2D, Variable } from "./types.ts";
import { BatchNorm } from "./batch_norm.ts";
import { createLinear, type Linear } from "./dense.ts";
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
  flatGrads,
  normForward,
  normInputGrad,
  normParamGrads,
  type NormTrace,
  stackBackward,
  stackForward,
  type StackInput,
  stackInput,
  type StackTrace,
  withCustomGrad,
} from "./mlp.ts";

/** Options of {@link TwinCritic}. */
export interface TwinCriticOptions {
  /** Source of the initial weights (head 1's layers, then head 2's, PyTorch default init). */
  rng: RandomFill;
  /** Hidden widths of each head, default `[64, 64]`. */
  hidden?: readonly number[];
  /** Shared input `BatchNorm1d(obs + act)` (default true, as in the OMAR code). */
  inputNorm?: boolean;
}

/** Per-call options of the critic passes. */
export interface CriticCallOptions {
  /** Evaluate both heads (2, default) or only Q1 (1). */
  heads?: 1 | 2;
  /** BatchNorm mode; default the critic's {@link TwinCritic.training} flag. */
  training?: boolean;
  /** In train mode, update the running statistics (default true, as every PyTorch train call does). */
  updateStats?: boolean;
}

/** What {@link TwinCritic.forwardTrace} leaves for {@link TwinCritic.backward}. */
export interface CriticTrace {
  /** Observation rows and candidate actions. */
  input: StackInput;
  /** Folded shared BatchNorm (tfjs pass; null without one). */
  norm: NormTrace | null;
  /** Head traces (tfjs pass): `[Q1]` or `[Q1, Q2]`; empty for the native pass. */
  heads: StackTrace[];
  /** Shape of the actions passed in (`[B, act]` or `[K, B, act]`). */
  actShape: number[];
  /** The native pass's trace (null for the tfjs pass). */
  native: NativeTrace | null;
}

/** Options of {@link TwinCritic.backward}. */
export interface CriticBackwardOptions {
  /** Compute parameter gradients (default true). */
  paramGrads?: boolean;
  /** Return the gradient with respect to the actions (default false). */
  actionGrad?: boolean;
}

/** Options of {@link TwinCritic.apply}. */
export interface CriticApplyOptions extends CriticCallOptions {
  /** Differentiate with respect to the actions too (default false). */
  actionGrad?: boolean;
}

/** Q values of one call: `[B, 1]` for `[B, act]` actions, `[K, B]` for `[K, B, act]` candidates. */
export interface QValues {
  /** Head 1. */
  q1: Tensor;
  /** Head 2 (null when only Q1 was asked for). */
  q2: Tensor | null;
}

/** Twin Q network over `(obs, act)` with a shared input BatchNorm and a fast hand-derived backward. */
export class TwinCritic {
  /** Observation width. */
  readonly obsDim: number;
  /** Action width. */
  readonly actDim: number;
  /** Hidden widths of each head. */
  readonly hidden: readonly number[];
  /** The shared input BatchNorm over `obsDim + actDim` columns, or null. */
  readonly norm: BatchNorm | null;
  /** Layers of head 1 (`Q1`) and head 2. */
  readonly heads: readonly [readonly Linear[], readonly Linear[]];
  /** BatchNorm mode (PyTorch's `.train()` / `.eval()`); true at construction. */
  training = true;

  /** A freshly initialised critic. */
  constructor(obsDim: number, actDim: number, options: TwinCriticOptions) {
    this.obsDim = obsDim;
    this.actDim = actDim;
    this.hidden = [...(options.hidden ?? [64, 64])];
    this.norm = (options.inputNorm ?? true) ? new BatchNorm(obsDim + actDim) : null;
    const widths = [obsDim + actDim, ...this.hidden, 1];
    const head = () => {
      const layers: Linear[] = [];
      for (let i = 0; i + 1 < widths.length; i++) {
        layers.push(createLinear(widths[i], widths[i + 1], { rng: options.rng }));
      }
      return layers;
    };
    const h1 = head();
    this.heads = [h1, head()];
  }

  /** Sets train mode. */
  train(): this {
    this.training = true;
    return this;
  }

  /** Sets eval mode. */
  eval(): this {
    this.training = false;
    return this;
  }

  /** Trainable variables, PyTorch order: norm weight, norm bias, head 1 (weight, bias per layer), head 2. */
  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Trainable variables with names (`norm.weight`, `q1.0.weight`, …, `q2.2.bias`). */
  namedParameters(): [string, Variable][] {
    const out: [string, Variable][] = [];
    if (this.norm !== null) out.push(["norm.weight", this.norm.weight], ["norm.bias", this.norm.bias]);
    this.heads.forEach((layers, h) =>
      layers.forEach((l, i) => out.push([`q${h + 1}.${i}.weight`, l.weight], [`q${h + 1}.${i}.bias`, l.bias]))
    );
    return out;
  }

  /** Non-trainable state (BatchNorm running statistics). */
  namedBuffers(): [string, Variable][] {
    if (this.norm === null) return [];
    return [["norm.running_mean", this.norm.runningMean], ["norm.running_var", this.norm.runningVar]];
  }

  #params(heads: 1 | 2): Variable[] {
    const out: Variable[] = this.norm === null ? [] : [this.norm.weight, this.norm.bias];
    for (let h = 0; h < heads; h++) for (const l of this.heads[h]) out.push(l.weight, l.bias);
    return out;
  }

  /**
   * Forward pass with a trace. `act` is `[B, act]` (Q values `[B, 1]`) or k-major candidates `[K, B, act]`
   * or `[K·B, act]` (Q values `[K, B]`).
   */
  forwardTrace(
    obs: Tensor2D,
    act: Tensor,
    options: CriticCallOptions = {},
  ): QValues & { trace: CriticTrace } {
    const heads = options.heads ?? 2;
    const training = options.training ?? this.training;
    const cand = (act.rank === 2 ? act : act.reshape([-1, this.actDim])) as Tensor2D;
    const input = stackInput(obs, cand);
    if (nativeModule() !== null) {
      const nt = nativeForward(this.#nativeNet(), heads, obs, cand, training, options.updateStats ?? true);
      const qShape = act.rank === 2 && input.k === 1 ? [obs.shape[0], 1] : [input.k, obs.shape[0]];
      const q = nt.acts.map((a) => a[a.length - 1].reshape(qShape));
      return {
        q1: q[0],
        q2: heads === 2 ? q[1] : null,
        trace: { input, norm: null, heads: [], actShape: act.shape, native: nt },
      };
    }
    const norm = this.norm === null
      ? null
      : normForward(this.norm, input, training, options.updateStats ?? true);
    const traces: StackTrace[] = [];
    for (let h = 0; h < heads; h++) traces.push(stackForward(this.heads[h], "none", input, norm));
    const qShape = act.rank === 2 && input.k === 1 ? [obs.shape[0], 1] : [input.k, obs.shape[0]];
    const q = traces.map((t) => t.acts[t.acts.length - 1].reshape(qShape));
    return {
      q1: q[0],
      q2: heads === 2 ? q[1] : null,
      trace: { input, norm, heads: traces, actShape: act.shape, native: null },
    };
  }

  /** This critic as the native kernels see it. */
  #nativeNet(): NativeNet {
    return { heads: this.heads, norm: this.norm, outAct: "none" };
  }

  /** Q1 and Q2 (or only Q1 with `heads: 1`) for `[B, act]` actions or `[K, B, act]` candidates; no trace. */
  q(obs: Tensor2D, act: Tensor, options: CriticCallOptions = {}): QValues {
    if (nativeModule() !== null) {
      const heads = options.heads ?? 2;
      const cand = (act.rank === 2 ? act : act.reshape([-1, this.actDim])) as Tensor2D;
      const k = cand.shape[0] / obs.shape[0];
      const training = options.training ?? this.training;
      const out = nativePredict(this.#nativeNet(), heads, obs, cand, training, options.updateStats ?? true);
      const qShape = act.rank === 2 && k === 1 ? [obs.shape[0], 1] : [k, obs.shape[0]];
      const q = out.map((o) => o.reshape(qShape));
      return { q1: q[0], q2: heads === 2 ? q[1] : null };
    }
    const { q1, q2 } = this.forwardTrace(obs, act, options);
    return { q1, q2 };
  }

  /** Q1 only (the authors' `critic.Q1`): `[B, 1]` for `[B, act]`, `[K, B]` for `[K, B, act]`. */
  q1(obs: Tensor2D, act: Tensor, options: Omit<CriticCallOptions, "heads"> = {}): Tensor {
    return this.q(obs, act, { ...options, heads: 1 }).q1;
  }

  /**
   * Gradients for upstream gradients `dq1` (and `dq2` when the trace has both heads) shaped like the Q
   * values: `grads` aligned with {@link TwinCritic.parameters} (zeros for a head that was not evaluated;
   * empty when `paramGrads` is false) and, with `actionGrad`, `dAct` shaped like the actions.
   */
  backward(
    trace: CriticTrace,
    dq1: Tensor,
    dq2: Tensor | null,
    options: CriticBackwardOptions = {},
  ): { grads: Tensor[]; dAct: Tensor | null } {
    if (trace.native !== null) {
      const paramGrads = options.paramGrads ?? true;
      const r = this.#nativeBackward(trace, dq1, dq2, paramGrads, options.actionGrad ?? false, null);
      return { grads: r.flat === null ? [] : splitFlat(r.flat, this.parameters()), dAct: r.dAct };
    }
    const { grads, dAct } = this.#backward(trace, [dq1, dq2], options);
    if (grads.length > 0 && trace.heads.length === 1) {
      for (const l of this.heads[1]) grads.push(tf.zerosLike(l.weight), tf.zerosLike(l.bias));
    }
    return { grads, dAct };
  }

  /**
   * The parameter gradients for `dq1` (and `dq2`) as one flat vector in {@link TwinCritic.parameters}
   * order (plus `gradIn` when given), the form `Adam.stepFlat` takes.
   */
  backwardFlat(
    trace: CriticTrace,
    dq1: Tensor,
    dq2: Tensor | null,
    gradIn: Tensor1D | null = null,
  ): Tensor1D {
    if (trace.native !== null) return this.#nativeBackward(trace, dq1, dq2, true, false, gradIn).flat!;
    const flat = flatGrads(this.backward(trace, dq1, dq2).grads);
    return gradIn === null ? flat : tf.add(gradIn, flat) as Tensor1D;
  }

  #nativeBackward(
    trace: CriticTrace,
    dq1: Tensor,
    dq2: Tensor | null,
    paramGrads: boolean,
    actionGrad: boolean,
    gradIn: Tensor1D | null,
  ): { flat: Tensor1D | null; dAct: Tensor | null } {
    const nt = trace.native as NativeTrace;
    const n = nt.acts[0][0].shape[0];
    const d = [dq1.reshape([n, 1]), nt.heads === 2 && dq2 !== null ? dq2.reshape([n, 1]) : null];
    const r = nativeBackward(this.#nativeNet(), nt, d, { paramGrads, candGrad: actionGrad, gradIn });
    return { flat: r.flat, dAct: r.dCand === null ? null : r.dCand.reshape(trace.actShape) };
  }

  #backward(
    trace: CriticTrace,
    dq: (Tensor | null)[],
    options: CriticBackwardOptions,
  ): { grads: Tensor[]; dAct: Tensor | null } {
    const paramGrads = options.paramGrads ?? true;
    const actionGrad = options.actionGrad ?? false;
    const n = trace.input.cand?.shape[0] ?? trace.input.base.shape[0];
    let dScale: Tensor | null = null;
    let dShift: Tensor | null = null;
    let gu: Tensor | null = null;
    const headGrads: Tensor[] = [];
    const add = (
      a: Tensor | null,
      b: Tensor | null,
    ) => (a === null ? b : b === null ? a : tf.add(a, b));
    for (let h = 0; h < trace.heads.length; h++) {
      const d = dq[h];
      if (d === null || d === undefined) {
        if (paramGrads) {
          for (const l of this.heads[h]) headGrads.push(tf.zerosLike(l.weight), tf.zerosLike(l.bias));
        }
        continue;
      }
      const sg = stackBackward(
        this.heads[h],
        "none",
        trace.input,
        trace.norm,
        trace.heads[h],
        d.reshape([n, 1]),
        {
          paramGrads,
          candGrad: actionGrad,
        },
      );
      headGrads.push(...sg.params);
      dScale = add(dScale, sg.dScale);
      dShift = add(dShift, sg.dShift);
      gu = add(gu, sg.guCand);
    }
    const grads: Tensor[] = [];
    if (paramGrads && this.norm !== null && trace.norm !== null) {
      grads.push(...normParamGrads(trace.norm, dScale as Tensor1D, dShift as Tensor1D));
    }
    grads.push(...headGrads);
    let dAct: Tensor | null = null;
    if (actionGrad && gu !== null) {
      dAct = this.norm === null || trace.norm === null
        ? gu
        : normInputGrad(this.norm, trace.norm, gu as Tensor2D, {
          from: this.obsDim,
          width: this.actDim,
          centered: trace.norm.candCentered,
        });
      dAct = dAct.reshape(trace.actShape);
    }
    return { grads: paramGrads ? grads : [], dAct };
  }

  /**
   * Differentiable Q values (one `tf.customGrad` over the shared norm and the heads asked for): gradients
   * reach the critic's variables and, with `actionGrad`, `act`. `act` is `[B, act]` or `[K, B, act]`.
   */
  apply(obs: Tensor2D, act: Tensor, options: CriticApplyOptions = {}): QValues {
    const heads = options.heads ?? 2;
    const actionGrad = options.actionGrad ?? false;
    const params = this.#params(heads);
    const inputs = actionGrad ? [act, ...params] : params;
    const packed = withCustomGrad(inputs, [obs, act], () => {
      const { q1, q2, trace } = this.forwardTrace(obs, act, options);
      const value = q2 === null ? q1 : tf.stack([q1, q2]);
      return { value, trace };
    }, (trace, dy) => {
      const dq = heads === 1 ? [dy, null] : tf.unstack(dy);
      if (trace.native !== null) {
        const r = this.#nativeBackward(trace, dq[0] as Tensor, dq[1], true, actionGrad, null);
        const grads = splitFlat(r.flat!, this.parameters()).slice(0, params.length);
        return actionGrad ? [r.dAct as Tensor, ...grads] : grads;
      }
      const { grads, dAct } = this.#backward(trace, dq, { actionGrad });
      return actionGrad ? [dAct as Tensor, ...grads] : grads;
    });
    if (heads === 1) return { q1: packed, q2: null };
    const [q1, q2] = tf.unstack(packed);
    return { q1, q2 };
  }

  /** Frees all variables. */
  dispose(): void {
    this.norm?.dispose();
    for (const layers of this.heads) {
      for (const l of layers) {
        l.weight.dispose();
        l.bias.dispose();
      }
    }
  }
}
