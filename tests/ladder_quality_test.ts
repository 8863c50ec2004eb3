// The committed behaviour ladders (MPE tasks and 1-D Spread) give datasets whose mean returns are ordered
// random < medium-replay ≤ medium < expert, with "medium" about a third of the way from random to expert.
import { assert } from "./assert.ts";
import { skipReference } from "./reference.ts";
import { buildDataset } from "../lib/behaviour/generate.ts";
import { ladderPath, readLadder } from "../lib/behaviour/store.ts";
import { agentReward, episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import { loadPrey, makeTask, uniformRandomPolicy } from "../lib/envs/mod.ts";
import { evaluate } from "../lib/eval/rollout.ts";
import { Rng } from "../lib/util/rng.ts";
import { referenceScores } from "../lib/eval/references.ts";
import { exists } from "../lib/util/fs.ts";

const LADDERS: [string, "original" | "kit" | null][] = [
  ["predator_prey", "original"],
  ["predator_prey", "kit"],
  ["world", "original"],
  ["world", "kit"],
  ["cooperative_navigation", null],
  ...[1, 2, 3, 4, 5].flatMap((
    n,
  ): [string, null][] => [[`spread_1d_n${n}`, null], [`spread_1d_independent_n${n}`, null]]),
];
/** Ladders whose online learner ended barely above uniform random (README, behaviour policies). */
const WEAK_LADDERS = new Set(["spread_1d_n5"]);
const committed: [string, "original" | "kit" | null][] = [];
for (const l of LADDERS) if (await exists(ladderPath(...l))) committed.push(l);
if (committed.length === 0) throw new Error("no behaviour ladder is committed under fixtures/behaviour");

for (const [id, prey] of committed) {
  Deno.test({
    name: `${id}${
      prey ? ` (${prey} prey)` : ""
    } ladder: random < medium-replay ≤ medium < expert (Spread: medium-replay may be below random), medium near one third`,
    ignore: skipReference && prey !== null,
    fn: async () => {
      const task = makeTask(id);
      const ladder = await readLadder(ladderPath(id, prey));
      const p = task.prey === null ? null : await loadPrey(task, { source: prey ?? "original" });
      const random = id.startsWith("spread_1d")
        ? evaluate(task, uniformRandomPolicy(Rng.fromSeed(0, "random-reference")), {
          episodes: 1000,
          seed: 0,
        }).mean
        : referenceScores(id, prey).random;
      const expert = ladder.snapshots[ladder.snapshots.length - 1].score;
      const agg = task.scoreAggregation === "sum_agent0" ? agentReward(0) : meanOverAgents(task.learners);
      const mean = (q: "random" | "medium-replay" | "medium" | "expert") => {
        const ds = buildDataset(task, q, {
          seed: 0,
          samples: 25 * 400,
          ladder,
          prey: p,
          randomReference: random,
          meta: { seed: 0, preySource: prey, referenceScores: null, kitVersion: "test" },
        });
        const r = episodeReturns(ds, agg);
        return r.reduce((a, b) => a + b, 0) / r.length;
      };
      const [r, mr, m, e] = [mean("random"), mean("medium-replay"), mean("medium"), mean("expert")];
      const tol = 0.05 * (expert - random);
      // On 1-D Spread the early online learner scores below uniform actions (its first snapshots collapse
      // towards a poor fixed action before improving), so medium-replay may sit below random there; the rest
      // of the ordering must hold everywhere.
      const spread = id.startsWith("spread_1d");
      if (WEAK_LADDERS.has(id)) {
        // a known gap (README): the expert barely beats uniform actions, so only that is checked
        assert(r < e, `${id}: expert data ${e} does not beat random ${r}`);
        return;
      }
      assert((spread || r < mr) && r < m && mr <= m + tol && m < e, `${id}: ${r} ${mr} ${m} ${e}`);
      const medium = (100 * (m - random)) / (expert - random);
      assert(medium > 15 && medium < 55, `${id}: medium dataset at ${medium.toFixed(1)}% of the way`);
    },
  });
}
