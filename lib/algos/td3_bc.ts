/**
 * MA-TD3+BC (Fujimoto & Gu 2021, per agent): the ITD3 critic, and the actor loss
 * `−λ · mean Q_1(o, π(o)) + mean (π(o) − a)²` with `λ = α / mean |Q_1(o, π(o))|` (λ is not
 * differentiated) and α = 2.5, plus the base's 10⁻³ action penalty. Not in the authors' code; the paper
 * points to sfujim/TD3_BC, whose defaults these are.
 *
 * @module
 */
import { ActorCritic, type ActorCriticOptions, actorLoss, type AgentSpec, values } from "./actor_critic.ts";
import { tdCriticStep } from "./itd3.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of MA-TD3+BC. */
export interface Td3BcOptions {
  /** α of `λ = α / mean|Q|`. Default 2.5. */
  bcAlpha?: number;
}

/** Builds MA-TD3+BC. */
export function td3bc(spec: AgentSpec, options: ActorCriticOptions & Td3BcOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const alpha = options.bcAlpha ?? 2.5;
  return ac.algorithm("td3bc", (k, ts) => {
    const critic = tdCriticStep(ac, k, ts);
    let lambda = 0;
    const act = values(ts[k].act);
    const loss = ac.actorPhase(() =>
      ac.actorStep(k, ts, (pi, q1) => {
        let s = 0;
        for (let i = 0; i < q1.length; i++) s += Math.abs(q1[i]);
        lambda = alpha / (s / q1.length); // a number: not differentiated
        return actorLoss(pi, q1, { qWeight: lambda, target: act, penalty: ac.options.actionPenalty });
      })
    );
    return loss === null ? critic : { ...critic, actorLoss: loss, lambda };
  });
}
