/**
 * Algorithms by name, with the presets applied: `makeAlgorithm("omar", spec, {task, quality})` gives
 * OMAR with the code's τ and α for that task and dataset (preset `official`) or the paper's (`paper`).
 *
 * @module
 */
import { checkName, KitInputError } from "../util/errors.ts";
import type { ActorCriticOptions, AgentSpec } from "./actor_critic.ts";
import { cql, type CqlOptions } from "./cql.ts";
import { icq, type IcqOptions } from "./icq.ts";
import { itd3 } from "./itd3.ts";
import { omar, type OmarOptions } from "./omar.ts";
import { omarQnorm } from "./omar_qnorm.ts";
import { coefficients, discount, type Preset, taskSettings } from "./presets.ts";
import { td3bc, type Td3BcOptions } from "./td3_bc.ts";
import type { OfflineAlgorithm } from "./types.ts";

/**
 * Algorithm names: the paper's five, then variants (`omar-qnorm`: OMAR with a Q-normalised policy term,
 * written only as a loss expression).
 */
export const ALGORITHMS = ["itd3", "cql", "td3bc", "icq", "omar", "omar-qnorm"] as const;

/** An algorithm name. */
export type AlgorithmName = typeof ALGORITHMS[number];

/** Every option of every algorithm (each reads its own). */
export type AlgorithmOptions = ActorCriticOptions & CqlOptions & Td3BcOptions & IcqOptions & OmarOptions;

/** The option names the algorithms read: a key missing here or not an option is a compile error. */
const OPTION_KEYS = {
  critic: 1,
  hidden: 1,
  criticLr: 1,
  actorLr: 1,
  actorUpdates: 1,
  gamma: 1,
  softUpdateRate: 1,
  maxGradNorm: 1,
  inputBatchNorm: 1,
  actionPenalty: 1,
  seed: 1,
  targetNoise: 1,
  targetNoiseClip: 1,
  policyDelay: 1,
  lossGradients: 1,
  cqlAlpha: 1,
  cqlSamples: 1,
  cqlTemperature: 1,
  cqlActions: 1,
  cqlPolicyNoise: 1,
  cqlPolicyDensity: 1,
  bcAlpha: 1,
  icqBeta: 1,
  icqAlpha: 1,
  tau: 1,
  sampler: 1,
} satisfies Record<keyof AlgorithmOptions, 1>;

/** Every option an algorithm takes (for generic overrides such as `reproduce --set omar.tau=0.3`). */
export const OPTION_NAMES: readonly string[] = Object.keys(OPTION_KEYS);

/** Where the preset's coefficients come from. */
export interface PresetContext {
  /** Task id (selects the row of the code's coefficient table). */
  task: string;
  /** Dataset quality (selects the column). */
  quality: string;
  /** `official` (default) or `paper`. */
  preset?: Preset;
}

/**
 * Checks learner shapes before any network is built: at least one learner, every observation size,
 * the action size and the state size (when given) positive integers. Anything else is a
 * {@link KitInputError} naming the field and its value.
 */
export function checkAgentSpec(spec: AgentSpec): void {
  const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));
  const positiveInt = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
  if (spec === null || typeof spec !== "object") {
    throw new KitInputError(`agent spec is ${show(spec)}; expected {obsDims, actDim[, stateDim]}`);
  }
  if (!Array.isArray(spec.obsDims) || spec.obsDims.length === 0) {
    throw new KitInputError(
      `agent spec obsDims is ${
        Array.isArray(spec.obsDims) ? "[]" : show(spec.obsDims)
      }; expected one observation size per learner (at least one)`,
    );
  }
  spec.obsDims.forEach((d, k) => {
    if (!positiveInt(d)) {
      throw new KitInputError(`agent spec obsDims[${k}] is ${show(d)}; expected a positive integer`);
    }
  });
  if (!positiveInt(spec.actDim)) {
    throw new KitInputError(`agent spec actDim is ${show(spec.actDim)}; expected a positive integer`);
  }
  if (spec.stateDim !== undefined && !positiveInt(spec.stateDim)) {
    throw new KitInputError(
      `agent spec stateDim is ${show(spec.stateDim)}; expected a positive integer (or no stateDim)`,
    );
  }
}

/**
 * The options an algorithm is built with: the preset's γ, τ and α and the task's settings for `context`,
 * overridden by anything else in `options` (what {@link makeAlgorithm} uses; runs record it).
 */
export function resolveOptions(
  options: AlgorithmOptions & { context?: PresetContext } = {},
): AlgorithmOptions {
  const { context, ...rest } = options;
  const preset = context?.preset ?? "official";
  const coef = context ? coefficients(context.task, context.quality, preset) : null;
  return {
    gamma: discount(preset),
    ...(coef ? { tau: coef.tau, cqlAlpha: coef.cqlAlpha } : {}),
    ...(context ? taskSettings(context.task, preset) : {}),
    ...rest,
  };
}

/**
 * Builds algorithm `name`: the preset's γ, τ and α and the task's settings ({@link taskSettings}) for
 * `context`, overridden by anything in `options`. The learner shapes are checked first
 * ({@link checkAgentSpec}).
 */
export function makeAlgorithm(
  name: string,
  spec: AgentSpec,
  options: AlgorithmOptions & { context?: PresetContext } = {},
): OfflineAlgorithm {
  const algo = checkName("algorithm", name, ALGORITHMS);
  checkAgentSpec(spec);
  const o = resolveOptions(options);
  switch (algo) {
    case "itd3":
      return itd3(spec, o);
    case "cql":
      return cql(spec, o);
    case "td3bc":
      return td3bc(spec, o);
    case "icq":
      return icq(spec, o);
    case "omar":
      return omar(spec, o);
    case "omar-qnorm":
      return omarQnorm(spec, o);
  }
}
