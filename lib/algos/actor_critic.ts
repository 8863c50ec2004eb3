/**
 * The actor-critic machinery every algorithm shares, for N learners: deterministic tanh actors
 * `π_i(o_i)`, twin critics with target networks, Adam, gradient-norm clipping and soft target updates,
 * on decentralized critics `Q_i(o_i, a_i)` (ITD3) or centralized ones `Q_i(o_1..o_N, a_1..a_N)` (MATD3,
 * App. C.4: for agent i's actor gradient, `a_i = π_i(o_i)` and `a_{−i}` come from the dataset); with a
 * global state (HalfCheetah's 17-D, MaMuJoCo's MATD3) centralized critics see `Q_i(s, a_1..a_N)`.
 *
 * Networks run forward with a trace and backward by hand (lib/nn, native kernels on the wasm backend).
 * The losses are short sums over a minibatch of the network outputs (Q values, π(o)): each algorithm
 * writes its loss and the loss's gradients with respect to those outputs out by hand ({@link tdLoss},
 * {@link actorLoss}, MA-CQL's regulariser), computed in float64 over the values read back, and the
 * networks' backward passes take it from there; tests/algos_test.ts checks every one against tfjs
 * autograd of the same expression.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/sampler.ts";
import type { JointPolicy } from "../envs/policy.ts";
import { Mlp } from "../nn/mlp.ts";
import { Adam, hardUpdate, softUpdate } from "../nn/optim.ts";
import { loadNetwork, loadOptimizer, type NetworkState, saveNetwork, saveOptimizer } from "../nn/state.ts";
import { type CriticTrace, TwinCritic } from "../nn/twin_critic.ts";
import type { AdamState } from "../nn/optim.ts";
import { Rng, type RngState } from "../util/rng.ts";
import { KitInputError } from "../util/errors.ts";
import type { AlgorithmState, OfflineAlgorithm, RoundBatches } from "./types.ts";

/** Observation sizes of the learners (env order) and the action size. */
export interface AgentSpec {
  /** Observation size of each learner. */
  obsDims: readonly number[];
  /** Action size (the same for every learner). */
  actDim: number;
  /**
   * Size of the global state. With it, centralized critics take `[s, a_1..a_N]` instead of every learner's
   * observation (the minibatches must carry the state); decentralized critics ignore it.
   */
  stateDim?: number;
}

/** Options shared by every algorithm; defaults are the authors' code on MPE (preset `official`). */
export interface ActorCriticOptions {
  /** `decentralized` critics `Q_i(o_i, a_i)` (ITD3, the paper's main setting) or `centralized` (MATD3). Default decentralized. */
  critic?: "decentralized" | "centralized";
  /** Hidden widths of actors and critic heads. Default [64, 64]. */
  hidden?: number[];
  /** Critic learning rate (Adam). Default 0.01. */
  criticLr?: number;
  /** Actor learning rate (Adam). Default 0.01 (Table 5 varies it). */
  actorLr?: number;
  /** Actor updates per round (Table 6 varies it). Default 1. */
  actorUpdates?: number;
  /** Discount γ. Default 0.95 (the code; the paper says 0.99, preset `paper`). */
  gamma?: number;
  /** Soft target update rate. Default 0.01. */
  softUpdateRate?: number;
  /** Gradient-norm clip of actors and critics. Default 0.5. */
  maxGradNorm?: number;
  /** Input BatchNorm on actors and critics (train-mode batch statistics in updates, running ones in evaluation). Default true. */
  inputBatchNorm?: boolean;
  /** Weight of the code's `1e-3 · mean(π(o)²)` actor penalty. Default 1e-3. */
  actionPenalty?: number;
  /** Seed of the initial weights and of the algorithm's own random draws. Default 0. */
  seed?: number;
  /** Target-policy smoothing: std of the noise on π̄(o') (TD3). Default 0 (the authors' offline code has none). */
  targetNoise?: number;
  /** Clip of the target-policy noise. Default 0.5. */
  targetNoiseClip?: number;
  /** Critic updates per actor and target update (TD3's policy delay). Default 1 (the authors' code). */
  policyDelay?: number;
}

/** The networks and optimizers of one learner. */
export interface AgentNets {
  /** π_i. */
  actor: Mlp;
  /** π̄_i. */
  actorTarget: Mlp;
  /** Q_i (two heads). */
  critic: TwinCritic;
  /** Q̄_i. */
  criticTarget: TwinCritic;
  /** Adam of the actor. */
  actorOpt: Adam;
  /** Adam of the critic. */
  criticOpt: Adam;
}

/** One learner's minibatch as tensors. */
export interface AgentTensors {
  /** o `[B, obsDim]`. */
  obs: tf.Tensor2D;
  /** a `[B, actDim]`. */
  act: tf.Tensor2D;
  /** r `[B, 1]`. */
  rew: tf.Tensor2D;
  /** o' `[B, obsDim]`. */
  nextObs: tf.Tensor2D;
  /** done `[B, 1]`. */
  done: tf.Tensor2D;
  /** a' from the dataset `[B, actDim]`, when the algorithm asked for it. */
  nextAct: tf.Tensor2D | null;
  /** s `[B, stateDim]`, for critics on the global state. */
  state: tf.Tensor2D | null;
  /** s' `[B, stateDim]`. */
  nextState: tf.Tensor2D | null;
}

/** A tensor's values (a copy read back from the backend). */
export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** The mean of some values (float64). */
export function meanOf(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * The TD critic loss `Σ_j MSE(Q_j, y)` (`F.mse_loss` per head, Q_j and y `[B]`) and its gradients
 * `∂/∂Q_j = 2 (Q_j − y) / B`.
 */
export function tdLoss(
  qs: readonly Float32Array[],
  y: Float32Array,
): { value: number; grads: Float32Array[] } {
  const n = y.length;
  let value = 0;
  const grads = qs.map((q) => {
    const g = new Float32Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = q[i] - y[i];
      s += e * e;
      g[i] = (2 * e) / n;
    }
    value += s / n;
    return g;
  });
  return { value, grads };
}

/** Terms of {@link actorLoss}. */
export interface ActorLossTerms {
  /** κ of `−κ · mean Q1(o, π(o))`. */
  qWeight: number;
  /** Regression target t `[B, act]` of `ρ · MSE(π, t)` (none when absent). */
  target?: Float32Array | null;
  /** ρ. Default 1. */
  targetWeight?: number;
  /** c of the code's `c · mean(π²)` penalty. */
  penalty: number;
}

/** A loss value and its gradients with respect to π(o) `[B, act]` and Q1(o, π(o)) `[B]`. */
export interface ActorLossGrads {
  /** The loss. */
  value: number;
  /** ∂/∂π. */
  dPi: Float32Array;
  /** ∂/∂Q1 (null when the loss has no critic term). */
  dQ1: Float32Array | null;
}

/**
 * The actor loss `−κ · mean Q1(o, π) + ρ · MSE(π, t) + c · mean(π²)` (ITD3 and MA-CQL: κ = 1, ρ = 0;
 * MA-TD3+BC: κ = λ, t = a; OMAR: κ = 1 − τ, ρ = τ, t = â) over π `[B, d]` and Q1 `[B]`, with
 * `∂/∂Q1 = −κ / B` and `∂/∂π = (2ρ (π − t) + 2c π) / (B d)`.
 */
export function actorLoss(pi: Float32Array, q1: Float32Array, terms: ActorLossTerms): ActorLossGrads {
  const b = q1.length, n = pi.length;
  const { qWeight: kappa, penalty: c } = terms;
  const t = terms.target ?? null, rho = terms.targetWeight ?? 1;
  const dQ1 = new Float32Array(b).fill(-kappa / b);
  const dPi = new Float32Array(n);
  let sq = 0, reg = 0, pen = 0;
  for (let i = 0; i < b; i++) sq += q1[i];
  for (let i = 0; i < n; i++) {
    const p = pi[i];
    pen += p * p;
    let g = 2 * c * p;
    if (t !== null) {
      const e = p - t[i];
      reg += e * e;
      g += 2 * rho * e;
    }
    dPi[i] = g / n;
  }
  const value = -kappa * (sq / b) + (t !== null ? (rho * reg) / n : 0) + (c * pen) / n;
  return { value, dPi, dQ1 };
}

/** The shared machinery: networks, optimizers, critic inputs, targets, updates, policy and state. */
export class ActorCritic {
  /** Learner shapes. */
  readonly spec: AgentSpec;
  /** Resolved options. */
  readonly options: Required<ActorCriticOptions>;
  /** Per learner. */
  readonly agents: AgentNets[];
  /** The algorithm's own random stream (CQL's uniform actions, OMAR's Gaussian samples). */
  rng: Rng;
  /** Update rounds done. */
  rounds = 0;

  /** Builds and initialises every learner's networks (targets start as copies). */
  constructor(spec: AgentSpec, options: ActorCriticOptions = {}) {
    this.spec = spec;
    const o: Required<ActorCriticOptions> = {
      critic: options.critic ?? "decentralized",
      hidden: options.hidden ?? [64, 64],
      criticLr: options.criticLr ?? 0.01,
      actorLr: options.actorLr ?? 0.01,
      actorUpdates: options.actorUpdates ?? 1,
      gamma: options.gamma ?? 0.95,
      softUpdateRate: options.softUpdateRate ?? 0.01,
      maxGradNorm: options.maxGradNorm ?? 0.5,
      inputBatchNorm: options.inputBatchNorm ?? true,
      actionPenalty: options.actionPenalty ?? 1e-3,
      seed: options.seed ?? 0,
      targetNoise: options.targetNoise ?? 0,
      targetNoiseClip: options.targetNoiseClip ?? 0.5,
      policyDelay: options.policyDelay ?? 1,
    };
    this.options = o;
    const init = Rng.fromSeed(o.seed, "weights");
    const jointObs = spec.obsDims.reduce((a, b) => a + b, 0);
    const jointAct = spec.actDim * spec.obsDims.length;
    this.agents = spec.obsDims.map((od) => {
      const actorOpts = {
        rng: init,
        hidden: o.hidden,
        outputActivation: "tanh" as const,
        inputNorm: o.inputBatchNorm,
        finalWeightBound: 3e-3,
      };
      const actor = new Mlp(od, spec.actDim, actorOpts);
      const actorTarget = new Mlp(od, spec.actDim, actorOpts);
      hardUpdate(actorTarget, actor);
      const [cObs, cAct] = o.critic === "centralized"
        ? [spec.stateDim ?? jointObs, jointAct]
        : [od, spec.actDim];
      const criticOpts = { rng: init, hidden: o.hidden, inputNorm: o.inputBatchNorm };
      const critic = new TwinCritic(cObs, cAct, criticOpts);
      const criticTarget = new TwinCritic(cObs, cAct, criticOpts);
      hardUpdate(criticTarget, critic);
      return {
        actor,
        actorTarget,
        critic,
        criticTarget,
        actorOpt: new Adam(actor.parameters(), { lr: o.actorLr }),
        criticOpt: new Adam(critic.parameters(), { lr: o.criticLr }),
      };
    });
    this.rng = Rng.fromSeed(o.seed, "algorithm");
  }

  /** Whether critics see every learner (MATD3). */
  get centralized(): boolean {
    return this.options.critic === "centralized";
  }

  /** The round's minibatches as tensors (inside a tidy, or dispose with {@link ActorCritic.disposeTensors}). */
  toTensors(round: RoundBatches): AgentTensors[] {
    const d = this.spec.actDim, sd = this.stateCritic ? this.spec.stateDim! : 0;
    return round.batches.map((b: Batch, k) => {
      if (sd && !(b.state && b.nextState && b.stateDim === sd)) {
        throw new KitInputError(
          `the centralized critics take the ${sd}-D global state; learner ${k}'s minibatch has ${
            b.stateDim ?? "no"
          } state (a dataset without states_i.npy?)`,
        );
      }
      return {
        obs: tf.tensor2d(b.obs, [b.size, b.obsDim]),
        act: tf.tensor2d(b.actions, [b.size, d]),
        rew: tf.tensor2d(b.rewards, [b.size, 1]),
        nextObs: tf.tensor2d(b.nextObs, [b.size, b.obsDim]),
        done: tf.tensor2d(b.terminals, [b.size, 1]),
        nextAct: round.nextActions ? tf.tensor2d(round.nextActions[k], [b.size, d]) : null,
        state: sd ? tf.tensor2d(b.state!, [b.size, sd]) : null,
        nextState: sd ? tf.tensor2d(b.nextState!, [b.size, sd]) : null,
      };
    });
  }

  /** Frees a round's tensors. */
  disposeTensors(ts: AgentTensors[]): void {
    for (const t of ts) {
      tf.dispose(
        [t.obs, t.act, t.rew, t.nextObs, t.done, t.nextAct, t.state, t.nextState].filter((x) => x !== null),
      );
    }
  }

  /** Whether critics take the global state (centralized, with `spec.stateDim`). */
  get stateCritic(): boolean {
    return this.centralized && this.spec.stateDim !== undefined;
  }

  /** The critic's observation input for learner k: o_k, every learner's o side by side, or the state s. */
  criticObs(k: number, ts: AgentTensors[], next = false): tf.Tensor2D {
    if (this.stateCritic) return (next ? ts[k].nextState : ts[k].state)!;
    const pick = (t: AgentTensors) => (next ? t.nextObs : t.obs);
    return this.centralized ? tf.concat(ts.map(pick), 1) : pick(ts[k]);
  }

  /**
   * The critic's action input for learner k given learner k's action `ak` (`[B, act]` or `[K, B, act]`
   * candidates): `ak` itself, or every learner's dataset action with k's replaced (candidates broadcast
   * the others across K).
   */
  criticAct(k: number, ts: AgentTensors[], ak: tf.Tensor): tf.Tensor {
    if (!this.centralized) return ak;
    if (ak.rank === 2) return tf.concat(ts.map((t, j) => (j === k ? ak : t.act)), 1);
    const K = ak.shape[0];
    return tf.concat(
      ts.map((t, j) => (j === k ? ak : tf.broadcastTo(t.act.expandDims(0), [K, ...t.act.shape]))),
      2,
    );
  }

  /** Learner k's columns of a critic action gradient (all of it when decentralized). */
  ownActionGrad(k: number, dAct: tf.Tensor): tf.Tensor2D {
    if (!this.centralized) return dAct as tf.Tensor2D;
    const d = this.spec.actDim;
    return tf.slice(dAct as tf.Tensor2D, [0, k * d], [-1, d]);
  }

  /** TD target `y = r + γ (1 − done) min_j Q̄_j(o', ā')`, ā' = π̄(o') (every learner's under MATD3). No gradient. */
  tdTarget(k: number, ts: AgentTensors[]): tf.Tensor2D {
    const ag = this.agents[k];
    // π̄_j(o'_j), smoothed as TD3 does when targetNoise > 0
    const targetAct = (j: number) => {
      const a = this.agents[j].actorTarget.predict(ts[j].nextObs, { training: true, updateStats: false });
      return this.options.targetNoise > 0 ? this.smooth(a) : a;
    };
    const nextAct = this.centralized ? tf.concat(ts.map((_, j) => targetAct(j)), 1) : targetAct(k);
    const { q1, q2 } = ag.criticTarget.q(this.criticObs(k, ts, true), nextAct, {
      training: true,
      updateStats: false,
    });
    return this.bootstrap(ts[k], tf.minimum(q1, q2 as tf.Tensor));
  }

  /** `clip(a + clip(ε, ±c), −1, 1)` with ε ~ N(0, targetNoise²) from the algorithm's stream. */
  smooth(a: tf.Tensor2D): tf.Tensor2D {
    const { targetNoise: sd, targetNoiseClip: c } = this.options;
    const eps = new Float32Array(a.size);
    for (let i = 0; i < eps.length; i++) eps[i] = Math.min(c, Math.max(-c, sd * this.rng.normal()));
    return tf.clipByValue(tf.add(a, tf.tensor2d(eps, a.shape)), -1, 1) as tf.Tensor2D;
  }

  /** Whether this round updates actors and targets (every `policyDelay`-th round). */
  get actorRound(): boolean {
    return this.rounds % this.options.policyDelay === 0;
  }

  /** `r + γ (1 − done) · v`. */
  bootstrap(t: AgentTensors, v: tf.Tensor): tf.Tensor2D {
    return tf.add(t.rew, tf.mul(tf.mul(tf.sub(1, t.done), this.options.gamma), v)) as tf.Tensor2D;
  }

  /**
   * Critic forward with a trace for learner k on dataset actions (or `[K, B, act]` candidates); both
   * heads unless `heads: 1`. Train-mode BatchNorm, as the code.
   */
  criticForward(k: number, ts: AgentTensors[], ak: tf.Tensor, heads: 1 | 2 = 2) {
    return this.agents[k].critic.forwardTrace(this.criticObs(k, ts), this.criticAct(k, ts, ak), {
      heads,
      training: true,
      updateStats: false,
    });
  }

  /** Applies critic gradients summed over several evaluations `[(trace, dQ1, dQ2)]`: clip, Adam. */
  criticStep(k: number, parts: [CriticTrace, tf.Tensor, tf.Tensor | null][]): void {
    const critic = this.agents[k].critic;
    let flat: tf.Tensor1D | null = null;
    for (const [trace, d1, d2] of parts) flat = critic.backwardFlat(trace, d1, d2, flat);
    this.agents[k].criticOpt.stepFlat(flat!, { maxGradNorm: this.options.maxGradNorm });
  }

  /**
   * One actor step for learner k: `π = π_k(o)` (train mode, updating its running statistics), `Q1(o, π)`,
   * the algorithm's loss of their values with its gradients (`loss(π, Q1)`, see {@link actorLoss}), then
   * through the critic into π and through the actor into its weights. Returns the loss value.
   */
  actorStep(
    k: number,
    ts: AgentTensors[],
    loss: (pi: Float32Array, q1: Float32Array) => ActorLossGrads,
  ): number {
    const ag = this.agents[k];
    const { out: pi, trace } = ag.actor.forwardTrace(ts[k].obs, { training: true, updateStats: true });
    const { q1, trace: ct } = this.criticForward(k, ts, pi, 1);
    const { value, dPi, dQ1 } = loss(values(pi), values(q1));
    const { dAct } = ag.critic.backward(ct, tf.tensor(dQ1!, q1.shape), null, {
      paramGrads: false,
      actionGrad: true,
    });
    const dPiTotal = tf.add(tf.tensor(dPi, pi.shape), this.ownActionGrad(k, dAct!)) as tf.Tensor2D;
    ag.actorOpt.stepFlat(ag.actor.backwardFlat(trace, dPiTotal), { maxGradNorm: this.options.maxGradNorm });
    return value;
  }

  /** An actor step whose loss does not involve the critic (`loss(π)`, e.g. MA-ICQ's weighted regression). */
  actorStepWithoutCritic(k: number, ts: AgentTensors[], loss: (pi: Float32Array) => ActorLossGrads): number {
    const ag = this.agents[k];
    const { out: pi, trace } = ag.actor.forwardTrace(ts[k].obs, { training: true, updateStats: true });
    const { value, dPi } = loss(values(pi));
    ag.actorOpt.stepFlat(ag.actor.backwardFlat(trace, tf.tensor2d(dPi, pi.shape)), {
      maxGradNorm: this.options.maxGradNorm,
    });
    return value;
  }

  /**
   * One update round: the round's tensors, `perAgent(k)` for every learner in order (critic then actor,
   * as the code), the target updates; returns the metrics averaged over learners.
   */
  round(
    batches: RoundBatches,
    perAgent: (k: number, ts: AgentTensors[]) => Record<string, number>,
  ): Record<string, number> {
    const sums: Record<string, number> = {};
    tf.tidy(() => {
      const ts = this.toTensors(batches);
      for (let k = 0; k < this.agents.length; k++) {
        const m = tf.tidy(() => perAgent(k, ts));
        for (const [name, v] of Object.entries(m)) sums[name] = (sums[name] ?? 0) + v / this.agents.length;
      }
      if (this.actorRound) this.softUpdateTargets();
    });
    this.rounds++;
    return sums;
  }

  /** Soft-updates every learner's target networks. */
  softUpdateTargets(): void {
    const rate = this.options.softUpdateRate;
    for (const ag of this.agents) {
      softUpdate(ag.actorTarget, ag.actor, rate);
      softUpdate(ag.criticTarget, ag.critic, rate);
    }
  }

  /**
   * Runs `step` (one actor update, returning its loss) `actorUpdates` times on actor rounds — every
   * `policyDelay`-th round — and returns the last loss, or null on the other rounds.
   */
  actorPhase(step: () => number): number | null {
    if (!this.actorRound) return null;
    let loss = 0;
    for (let u = 0; u < this.options.actorUpdates; u++) loss = step();
    return loss;
  }

  /**
   * The {@link OfflineAlgorithm} these networks make: every round, `perAgent(k, ts)` updates learner k
   * (critic, then actor) and returns its metrics; the rest (targets, policy, state) is shared.
   */
  algorithm(
    name: string,
    perAgent: (k: number, ts: AgentTensors[]) => Record<string, number>,
    options: { needsNextActions?: boolean } = {},
  ): OfflineAlgorithm {
    return {
      name,
      spec: this.spec,
      jointSampling: this.centralized,
      needsNextActions: options.needsNextActions ?? false,
      update: (round) => this.round(round, perAgent),
      policy: () => this.policy(),
      save: () => this.save(),
      load: (s) => this.load(s),
      dispose: () => this.dispose(),
    };
  }

  /** The actors as a deterministic joint policy (BatchNorm running statistics). */
  policy(): JointPolicy {
    return {
      act: (obs, out) => {
        this.agents.forEach((ag, k) => {
          const od = this.spec.obsDims[k];
          const a = tf.tidy(() =>
            ag.actor.predict(tf.tensor2d(obs[k], [obs[k].length / od, od]), { training: false })
          );
          out[k].set(a.dataSync() as Float32Array);
          a.dispose();
        });
      },
    };
  }

  /** Weights, targets, optimizer moments, round counter and random stream. */
  save(): AlgorithmState {
    return {
      rounds: this.rounds,
      rng: this.rng.state(),
      agents: this.agents.map((ag) => ({
        actor: saveNetwork(ag.actor),
        actorTarget: saveNetwork(ag.actorTarget),
        critic: saveNetwork(ag.critic),
        criticTarget: saveNetwork(ag.criticTarget),
        actorOpt: saveOptimizer(ag.actorOpt),
        criticOpt: saveOptimizer(ag.criticOpt),
      })),
    };
  }

  /** Restores {@link ActorCritic.save}'s output. */
  load(state: AlgorithmState): void {
    const s = state as {
      rounds: number;
      rng: RngState;
      agents:
        & Record<"actor" | "actorTarget" | "critic" | "criticTarget", NetworkState>[]
        & Record<"actorOpt" | "criticOpt", AdamState>[];
    };
    this.rounds = s.rounds;
    this.rng = Rng.fromState(s.rng);
    this.agents.forEach((ag, k) => {
      const a = s.agents[k];
      loadNetwork(ag.actor, a.actor);
      loadNetwork(ag.actorTarget, a.actorTarget);
      loadNetwork(ag.critic, a.critic);
      loadNetwork(ag.criticTarget, a.criticTarget);
      loadOptimizer(ag.actorOpt, a.actorOpt);
      loadOptimizer(ag.criticOpt, a.criticOpt);
    });
  }

  /** Frees every network and optimizer. */
  dispose(): void {
    for (const ag of this.agents) {
      for (const n of [ag.actor, ag.actorTarget, ag.critic, ag.criticTarget]) n.dispose?.();
      ag.actorOpt.dispose();
      ag.criticOpt.dispose();
    }
  }
}
