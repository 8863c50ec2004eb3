/**
 * The checkpoint ladder: actor snapshots taken along an online training run, each with its measured
 * deterministic score and the env steps the run had taken. Datasets of every quality are generated from
 * it (random aside). Stored as JSON beside a float32 file of the weights (`fixtures/behaviour/`, `store.ts`).
 *
 * @module
 */
import { FrozenMlpPolicy, type FrozenMlpWeights } from "../envs/frozen_policy.ts";
import type { JointPolicy } from "../envs/policy.ts";
import { KitInputError } from "../util/errors.ts";

/** One learner's actor: `[in → h1 → h2 → out]`, ReLU, tanh; weights `[out][in]` row-major. */
export interface SnapshotPolicy {
  /** Input size. */
  numIn: number;
  /** Output size. */
  numOut: number;
  /** Hidden sizes. */
  hidden: [number, number];
  /** Layer weights, `[out][in]` each. */
  w: [Float32Array, Float32Array, Float32Array];
  /** Layer biases. */
  b: [Float32Array, Float32Array, Float32Array];
}

/** One rung of the ladder. */
export interface Snapshot {
  /** Update rounds done when it was taken. */
  updates: number;
  /** Env steps (transitions) the run had collected by then. */
  envSteps: number;
  /** Mean deterministic score. */
  score: number;
  /** Standard deviation of the score over episodes. */
  scoreStd: number;
  /** Episodes the score was measured on. */
  episodes: number;
  /** One actor per learner (env order). */
  policies: SnapshotPolicy[];
}

/** A ladder: the run that made it and its snapshots in order. */
export interface Ladder {
  /** `omar-kit-ladder-v1`. */
  format: "omar-kit-ladder-v1";
  /** Task id. */
  task: string;
  /** Prey source of the run (tasks with a prey). */
  preySource: "original" | "kit" | null;
  /** The trainer's resolved options, for the record. */
  config: Record<string, unknown>;
  /** Kit version that trained it. */
  kitVersion: string;
  /** Snapshots, earliest first. */
  snapshots: Snapshot[];
}

/** Builds a {@link SnapshotPolicy} from an actor's saved parameters (`layers.i.weight` `[in, out]`). */
export function snapshotPolicy(
  params: Record<string, { shape: number[]; data: Float32Array }>,
): SnapshotPolicy {
  if (params["norm.weight"]) throw new KitInputError("ladder actors are trained without an input BatchNorm");
  const layer = (i: number) => {
    const w = params[`layers.${i}.weight`], b = params[`layers.${i}.bias`];
    if (!w || !b) throw new KitInputError(`actor state has no layers.${i}`);
    const [nIn, nOut] = w.shape;
    const t = new Float32Array(nIn * nOut);
    for (let o = 0; o < nOut; o++) for (let j = 0; j < nIn; j++) t[o * nIn + j] = w.data[j * nOut + o];
    return { w: t, b: b.data.slice(), nIn, nOut };
  };
  const [l0, l1, l2] = [layer(0), layer(1), layer(2)];
  return {
    numIn: l0.nIn,
    numOut: l2.nOut,
    hidden: [l0.nOut, l1.nOut],
    w: [l0.w, l1.w, l2.w],
    b: [l0.b, l1.b, l2.b],
  };
}

/** The float64 forward pass of a snapshot actor. */
export function frozenActor(p: SnapshotPolicy): FrozenMlpPolicy {
  const f64 = (a: Float32Array) => Float64Array.from(a);
  const weights: FrozenMlpWeights = {
    numIn: p.numIn,
    numOut: p.numOut,
    hidden: p.hidden,
    inputNorm: false,
    bnWeight: new Float64Array(p.numIn),
    bnBias: new Float64Array(p.numIn),
    bnMean: new Float64Array(p.numIn),
    bnVar: new Float64Array(p.numIn),
    w: [f64(p.w[0]), f64(p.w[1]), f64(p.w[2])],
    b: [f64(p.b[0]), f64(p.b[1]), f64(p.b[2])],
  };
  return new FrozenMlpPolicy(weights);
}

/** A snapshot's actors as a deterministic joint policy (float64 forward, float32 in and out). */
export function snapshotJointPolicy(snapshot: Snapshot): JointPolicy {
  const actors = snapshot.policies.map(frozenActor);
  let in64: Float64Array[] = [], out64: Float64Array[] = [];
  return {
    act(obs, out): void {
      if (in64.length === 0 || in64[0].length !== obs[0].length) {
        in64 = obs.map((o) => new Float64Array(o.length));
        out64 = out.map((a) => new Float64Array(a.length));
      }
      actors.forEach((actor, k) => {
        in64[k].set(obs[k]);
        actor.act(in64[k], out64[k], obs[k].length / actor.obsDim);
        out[k].set(out64[k]);
      });
    },
  };
}

/** The snapshot whose score is nearest `target`. */
export function nearestSnapshot(ladder: Ladder, target: number): { index: number; snapshot: Snapshot } {
  if (ladder.snapshots.length === 0) throw new KitInputError(`ladder of ${ladder.task} has no snapshots`);
  let index = 0;
  ladder.snapshots.forEach((s, i) => {
    if (Math.abs(s.score - target) < Math.abs(ladder.snapshots[index].score - target)) index = i;
  });
  return { index, snapshot: ladder.snapshots[index] };
}

/**
 * A lighter ladder for the repository: every snapshot up to `denseUntil` updates (where the learner
 * changes fastest and the medium rung usually lies), then one every `every` updates, and always the last.
 * The kept snapshots are unchanged; medium-replay then rolls each kept snapshot for the env steps until
 * the next kept one. The thinning is recorded in the ladder's config.
 */
export function thinLadder(ladder: Ladder, options: { denseUntil: number; every: number }): Ladder {
  const { denseUntil, every } = options;
  if (!(denseUntil >= 0) || !Number.isInteger(every) || every < 1) {
    throw new KitInputError(
      `thinLadder: denseUntil ≥ 0 and an integer every ≥ 1 expected, got ${denseUntil}, ${every}`,
    );
  }
  const last = ladder.snapshots.length - 1;
  return {
    ...ladder,
    config: { ...ladder.config, thinned: { denseUntil, every } },
    snapshots: ladder.snapshots.filter((s, i) =>
      i === last || s.updates <= denseUntil || s.updates % every === 0
    ),
  };
}
