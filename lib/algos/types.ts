/**
 * What every offline algorithm offers the training loop: one update round over per-agent minibatches,
 * a joint policy for evaluation, and its whole state for checkpoints.
 *
 * @module
 */
import type { Batch } from "../data/sampler.ts";
import type { JointPolicy } from "../envs/policy.ts";
import type { AgentSpec } from "./actor_critic.ts";

/** A state value that survives `JSON.stringify` (float32 arrays are encoded by the caller). */
export type AlgorithmState = Record<string, unknown>;

/** Minibatches for one update round: one per learner (env order), plus next actions when asked for. */
export interface RoundBatches {
  /** One minibatch per learner. */
  batches: readonly Batch[];
  /** Per learner, the dataset action of the next step `[B, actDim]` (only for algorithms that ask). */
  nextActions: readonly Float32Array[] | null;
}

/** An offline multi-agent algorithm. */
export interface OfflineAlgorithm {
  /** Short name (`itd3`, `cql`, `td3bc`, `icq`, `omar`). */
  readonly name: string;
  /** The learners' shapes it was built for (the training loop checks them against the task). */
  readonly spec?: AgentSpec;
  /**
   * Whether the learners' minibatches share row indices: centralized critics need every agent's
   * observation and action of the same transitions; decentralized ones sample each agent apart, as the
   * authors' code does.
   */
  readonly jointSampling: boolean;
  /** Whether {@link RoundBatches.nextActions} is needed (ICQ's targets use the dataset's next action). */
  readonly needsNextActions: boolean;
  /** One update round over every learner and the target networks; returns named metrics (means over agents). */
  update(round: RoundBatches): Record<string, number>;
  /** The current actors as a deterministic joint policy (BatchNorm in eval mode). */
  policy(): JointPolicy;
  /** Everything needed to continue bit for bit: weights, targets, optimizer moments, step, random streams. */
  save(): AlgorithmState;
  /** Restores {@link OfflineAlgorithm.save}'s output. */
  load(state: AlgorithmState): void;
  /** Frees the tensors. */
  dispose(): void;
}
