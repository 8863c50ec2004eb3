/**
 * `deno task datasets generate|validate|stats`: make datasets in OMAR's layout, check them, describe them.
 *
 *   generate --task T --quality Q --seed S [--samples N] [--fraction P] [--prey original|kit]
 *            [--prey-weights PATH] [--out datasets] [--force]      (qualities other than random need the
 *            task's behaviour ladder: `deno task behaviour train TASK`)
 *   validate DIR      checks every file (shapes, dtypes, NaN/Inf, checksums) and prints a summary
 *   stats DIR         transitions, episodes, mean ± std return, normalised score
 *
 * @module
 */
import { numberFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { checkName, KitInputError } from "../lib/util/errors.ts";
import { Progress } from "../lib/util/progress.ts";
import { generateDataset } from "../lib/behaviour/generate.ts";
import { agentReward, episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import { readOmarDataset } from "../lib/data/omar_layout.ts";
import { makeTask } from "../lib/envs/registry.ts";
import { normalizedScore } from "../lib/eval/references.ts";
import { summarize } from "../lib/eval/rollout.ts";
import { PREY_SOURCES, type PreySource } from "../lib/envs/prey.ts";
import { datasetCard } from "../lib/behaviour/card.ts";
import { histogram } from "../lib/plots/specs.ts";
import { writeFigure } from "../lib/plots/render.ts";

const USAGE = `usage:
  deno task datasets generate --task T --quality random|medium-replay|medium|expert|full-replay|waypoint --seed S
                              [--samples 1000000] [--fraction 100] [--prey original|kit] [--prey-weights PATH]
                              [--out datasets] [--force]
  deno task datasets validate DIR
  deno task datasets stats DIR [--figure PATH]          (a return histogram as PATH.{vl.json,svg,png})
  deno task datasets card --task T [--seed 0] [--samples 100000] [--out datasets]
        (the four qualities side by side, with the authors' datasets' returns)`;

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    task: { type: "string" },
    quality: { type: "string" },
    seed: { type: "string" },
    samples: { type: "string" },
    fraction: { type: "string" },
    prey: { type: "string" },
    "prey-weights": { type: "string" },
    out: { type: "string", default: "datasets" },
    force: { type: "boolean" },
    figure: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help || positionals.length === 0) return console.log(USAGE);
  const command = checkName("datasets command", positionals[0], ["generate", "validate", "stats", "card"]);
  if (command === "card") {
    if (!flags.task) throw new KitInputError(`card needs --task\n${USAGE}`);
    const rows = await datasetCard(flags.task as string, {
      seed: numberFlag(flags, "seed", 0),
      samples: numberFlag(flags, "samples", 100_000),
      out: flags.out as string,
      prey: flags.prey
        ? checkName("prey source", flags.prey as string, PREY_SOURCES) as PreySource
        : undefined,
    });
    console.log(
      "quality          transitions   episodes   return mean ± std      normalised   authors' data",
    );
    for (const r of rows) {
      console.log(
        `${r.quality.padEnd(16)} ${String(r.transitions).padStart(11)} ${String(r.episodes).padStart(10)}   ${
          `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`.padEnd(20)
        } ${r.normalized === null ? "–".padStart(10) : r.normalized.toFixed(1).padStart(10)}   ${
          r.authors ?? "–"
        }`,
      );
    }
    return;
  }
  if (command === "generate") {
    if (!flags.task || !flags.quality || flags.seed === undefined) {
      throw new KitInputError(`generate needs --task, --quality and --seed\n${USAGE}`);
    }
    const samples = numberFlag(flags, "samples", 1_000_000);
    const progress: { bar: Progress | null } = { bar: null };
    let last = 0;
    const { dir, dataset } = await generateDataset({
      task: flags.task as string,
      quality: flags.quality as string,
      seed: numberFlag(flags, "seed", 0),
      samples,
      fraction: numberFlag(flags, "fraction", 100),
      prey: flags.prey
        ? checkName("prey source", flags.prey as string, PREY_SOURCES) as PreySource
        : undefined,
      preyWeights: flags["prey-weights"] as string | undefined,
      out: flags.out as string,
      force: flags.force as boolean | undefined,
      onProgress: (done, total) => {
        progress.bar ??= new Progress("generate", total);
        progress.bar.tick(done - last), last = done;
      },
    });
    progress.bar?.finish();
    console.log(`wrote ${dataset.size} transitions × ${dataset.agents.length} agents to ${dir}`);
    return;
  }
  if (positionals.length !== 2) throw new KitInputError(`${command} needs one dataset folder\n${USAGE}`);
  const dir = positionals[1];
  const ds = await readOmarDataset(dir);
  if (command === "validate") {
    console.log(
      `${dir}: ok — ${ds.size} transitions, ${ds.agents.length} agents, obs dims ` +
        `[${ds.agents.map((a) => a.obsDim).join(", ")}], task ${ds.meta.task}, quality ${ds.meta.quality}`,
    );
    return;
  }
  let aggregate = meanOverAgents();
  try {
    const task = makeTask(ds.meta.task);
    aggregate = task.scoreAggregation === "sum_agent0" ? agentReward(0) : meanOverAgents(task.learners);
  } catch {
    // a task the kit does not know: fall back to the mean over all agents
  }
  const returns = episodeReturns(ds, aggregate);
  const s = summarize(returns);
  if (flags.figure) {
    await writeFigure(
      flags.figure as string,
      histogram(Array.from(returns), {
        title: `${ds.meta.task} / ${ds.meta.quality}: episode returns`,
        xTitle: "return",
      }),
    );
  }
  const ref = ds.meta.referenceScores;
  console.log(
    JSON.stringify({
      dir,
      task: ds.meta.task,
      quality: ds.meta.quality,
      transitions: ds.size,
      episodes: returns.length,
      return_mean: s.mean,
      return_std: s.std,
      normalized_score: ref ? normalizedScore(s.mean, ref) : null,
      reference: ref,
    }),
  );
});
