/**
 * The actor-critic machinery every algorithm shares, for N learners: deterministic tanh actors
 * `π_i(o_i)`, twin critics with target networks, Adam, gradient-norm clipping and soft target updates,
 * on decentralized critics `Q_i(o_i, a_i)` (ITD3) or centralized ones `Q_i(o_1..o_N, a_1..a_N)` (MATD3,
 * App. C.4: for agent i's actor gradient, `a_i = π_i(o_i)` and `a_{−i}` come from the dataset).
 *
 * Networks run forward with a trace and backward by hand (lib/nn); each algorithm writes its loss as a
 * tf expression of the network outputs (Q values, π(o)) and {@link lossGrads} differentiates just that
 * expression, so losses read like the paper's equations without an autograd tape over the networks.
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
import type { AlgorithmState, RoundBatches } from "./types.ts";

/** Observation sizes of the learners (env order) and the action size. */
export interface AgentSpec {
  /** Observation size of each learner. */
  obsDims: readonly number[];
  /** Action size (the same for every learner). */
  actDim: number;
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
}

/**
 * Gradients of `loss(...inputs)` with respect to each input (network outputs), and the loss value:
 * the loss is a small tf expression, the networks' backward passes take the gradients from here.
 */
export function lossGrads(
  inputs: tf.Tensor[],
  loss: (...xs: tf.Tensor[]) => tf.Scalar,
): { value: number; grads: tf.Tensor[] } {
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => loss(...xs))(inputs);
  const v = value.dataSync()[0];
  value.dispose();
  return { value: v, grads };
}

/** `mean((x − y)²)` over every element, as `F.mse_loss`. */
export function mse(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(x, y));
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
      const [cObs, cAct] = o.critic === "centralized" ? [jointObs, jointAct] : [od, spec.actDim];
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
    const d = this.spec.actDim;
    return round.batches.map((b: Batch, k) => ({
      obs: tf.tensor2d(b.obs, [b.size, b.obsDim]),
      act: tf.tensor2d(b.actions, [b.size, d]),
      rew: tf.tensor2d(b.rewards, [b.size, 1]),
      nextObs: tf.tensor2d(b.nextObs, [b.size, b.obsDim]),
      done: tf.tensor2d(b.terminals, [b.size, 1]),
      nextAct: round.nextActions ? tf.tensor2d(round.nextActions[k], [b.size, d]) : null,
    }));
  }

  /** Frees a round's tensors. */
  disposeTensors(ts: AgentTensors[]): void {
    for (const t of ts) {
      tf.dispose([t.obs, t.act, t.rew, t.nextObs, t.done, ...(t.nextAct ? [t.nextAct] : [])]);
    }
  }

  /** The critic's observation input for learner k: o_k, or every learner's o side by side. */
  criticObs(k: number, ts: AgentTensors[], next = false): tf.Tensor2D {
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
    const nextAct = this.centralized
      ? tf.concat(
        ts.map((t, j) =>
          this.agents[j].actorTarget.predict(t.nextObs, { training: true, updateStats: false })
        ),
        1,
      )
      : ag.actorTarget.predict(ts[k].nextObs, { training: true, updateStats: false });
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
    let grads: tf.Tensor[] | null = null;
    for (const [trace, d1, d2] of parts) {
      const g = critic.backward(trace, d1, d2).grads;
      grads = grads === null ? g : grads.map((x, i) => tf.add(x, g[i]));
    }
    this.agents[k].criticOpt.step(grads!, { maxGradNorm: this.options.maxGradNorm });
  }

  /**
   * One actor step for learner k: `π = π_k(o)` (train mode, updating its running statistics), `Q1(o, π)`,
   * the algorithm's `loss(π, Q1)` differentiated with respect to both, then through the critic into π
   * and through the actor into its weights. Returns the loss, π and Q1(o, π) (tensors owned by the caller's tidy).
   */
  actorStep(
    k: number,
    ts: AgentTensors[],
    loss: (pi: tf.Tensor, q1: tf.Tensor) => tf.Scalar,
  ): { value: number; pi: tf.Tensor2D; q1: tf.Tensor2D } {
    const ag = this.agents[k];
    const { out: pi, trace } = ag.actor.forwardTrace(ts[k].obs, { training: true, updateStats: true });
    const { q1, trace: ct } = this.criticForward(k, ts, pi, 1);
    const { value, grads: [dPi, dQ1] } = lossGrads([pi, q1], loss);
    const { dAct } = ag.critic.backward(ct, dQ1, null, { paramGrads: false, actionGrad: true });
    const dPiTotal = tf.add(dPi, this.ownActionGrad(k, dAct!)) as tf.Tensor2D;
    const { grads } = ag.actor.backward(trace, dPiTotal);
    ag.actorOpt.step(grads, { maxGradNorm: this.options.maxGradNorm });
    return { value, pi, q1: q1 as tf.Tensor2D };
  }

  /** An actor step whose loss does not involve the critic (`loss(π)`, e.g. MA-ICQ's weighted regression). */
  actorStepWithoutCritic(k: number, ts: AgentTensors[], loss: (pi: tf.Tensor) => tf.Scalar): number {
    const ag = this.agents[k];
    const { out: pi, trace } = ag.actor.forwardTrace(ts[k].obs, { training: true, updateStats: true });
    const { value, grads: [dPi] } = lossGrads([pi], loss);
    ag.actorOpt.step(ag.actor.backward(trace, dPi as tf.Tensor2D).grads, {
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

  /** The code's actor penalty `c · mean(π(o)²)`. */
  actionPenalty(pi: tf.Tensor): tf.Scalar {
    return tf.mul(this.options.actionPenalty, tf.mean(tf.square(pi)));
  }

  /** Soft-updates every learner's target networks. */
  softUpdateTargets(): void {
    const rate = this.options.softUpdateRate;
    for (const ag of this.agents) {
      softUpdate(ag.actorTarget, ag.actor, rate);
      softUpdate(ag.criticTarget, ag.critic, rate);
    }
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
