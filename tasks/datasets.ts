/**
 * `deno task datasets generate|validate|stats`: make datasets in OMAR's layout, check them, describe them.
 *
 *   generate --task T --quality Q --seed S [--samples N] [--fraction P] [--prey original|kit]
 *            [--prey-weights PATH] [--out datasets] [--force]      (qualities other than random need the
 *            task's behaviour ladder: `deno task behaviour train TASK`)
 *   validate DIR      checks every file (shapes, dtypes, NaN/Inf, checksums) against the dataset's task
 *                     (from manifest.json, else the <env_id> folder): agent count, observation, action
 *                     and state sizes; warns about actions outside [−1, 1]; prints a summary
 *   stats DIR         transitions, episodes, mean ± std return, normalised score
 *
 * @module
 */
import { dirname } from "node:path";
import { intFlag, numberFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { checkName, KitInputError } from "../lib/util/errors.ts";
import { ensureWritableDir } from "../lib/util/fs.ts";
import { Progress } from "../lib/util/progress.ts";
import { generateDataset } from "../lib/behaviour/generate.ts";
import { DATASET_VARIANTS } from "../lib/behaviour/authors_data.ts";
import { agentReward, episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import { datasetTaskName, readOmarDataset } from "../lib/data/omar_layout.ts";
import type { MultiAgentDataset, RewardAggregate } from "../lib/data/dataset.ts";
import { asEnvTask } from "../lib/envs/env_task.ts";
import type { ParticleTask } from "../lib/envs/task.ts";
import { loadTask, type MujocoTask } from "../lib/mujoco/tasks.ts";
import { checkReferences, normalizedScore } from "../lib/eval/references.ts";
import { summarize } from "../lib/eval/rollout.ts";
import { PREY_SOURCES, type PreySource } from "../lib/envs/prey.ts";
import { datasetCard } from "../lib/behaviour/card.ts";
import { histogram } from "../lib/plots/specs.ts";
import { writeFigure } from "../lib/plots/render.ts";

const USAGE = `usage:
  deno task datasets generate --task T --quality random|medium-replay|medium|expert|full-replay|waypoint --seed S
                              [--samples 1000000] [--fraction 100] [--prey original|kit] [--prey-weights PATH]
                              [--out datasets] [--force] [--variant kit|authors]
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
    variant: { type: "string" },
    out: { type: "string", default: "datasets" },
    force: { type: "boolean" },
    figure: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help || positionals.length === 0) return console.log(USAGE);
  const command = checkName("datasets command", positionals[0], ["generate", "validate", "stats", "card"]);
  if (command === "card") {
    if (!flags.task) throw new KitInputError(`card needs --task\n${USAGE}`);
    const seed = intFlag(flags, "seed", 0, 0), samples = intFlag(flags, "samples", 100_000);
    const rows = await datasetCard(flags.task as string, {
      seed,
      samples,
      out: await ensureWritableDir(flags.out as string, "--out"),
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
    const samples = intFlag(flags, "samples", 1_000_000);
    const seed = intFlag(flags, "seed", 0, 0);
    const fraction = numberFlag(flags, "fraction", 100, { above: 0, max: 100 });
    const out = await ensureWritableDir(flags.out as string, "--out");
    const progress: { bar: Progress | null } = { bar: null };
    let last = 0;
    const { dir, dataset } = await generateDataset({
      task: flags.task as string,
      quality: flags.quality as string,
      seed,
      samples,
      fraction,
      prey: flags.prey
        ? checkName("prey source", flags.prey as string, PREY_SOURCES) as PreySource
        : undefined,
      preyWeights: flags["prey-weights"] as string | undefined,
      variant: flags.variant === undefined
        ? undefined
        : checkName("dataset variant (--variant)", flags.variant as string, DATASET_VARIANTS),
      out,
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
  const figure = command === "stats" ? flags.figure as string | undefined : undefined;
  if (figure !== undefined) await ensureWritableDir(dirname(figure), "--figure");
  const { ds, aggregate, note } = await readForTask(dir);
  if (command === "validate") {
    console.log(
      `${dir}: ok — ${ds.size} transitions, ${ds.agents.length} agents, obs dims ` +
        `[${ds.agents.map((a) => a.obsDim).join(", ")}], act dim ${
          ds.agents[0].actDim
        }, quality ${ds.meta.quality}; ${note}`,
    );
    return;
  }
  const returns = episodeReturns(ds, aggregate);
  if (returns.length === 0) {
    throw new KitInputError(
      `${dir}: no complete episode in ${ds.size} transitions (episode length ${ds.meta.episodeLength}); no return to report`,
    );
  }
  const s = summarize(returns);
  if (!Number.isFinite(s.mean)) {
    throw new KitInputError(`${dir}: the mean episode return is ${s.mean}; expected a finite number`);
  }
  if (figure !== undefined) {
    await writeFigure(
      figure,
      histogram(Array.from(returns), {
        title: `${ds.meta.task} / ${ds.meta.quality}: episode returns`,
        xTitle: "return",
      }),
    );
  }
  const ref = ds.meta.referenceScores;
  try {
    if (ref) checkReferences(ref);
  } catch (err) {
    throw new KitInputError(`${dir}: the dataset's ${(err as Error).message}`);
  }
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

/**
 * Reads dataset `dir` checked against its task (named by its manifest, else by its env-id folder):
 * agent count, observation, action and state sizes; warnings (actions outside [−1, 1]) go to stderr.
 * Also returns how the task scores an episode (the mean over every agent for a task the kit does not
 * know) and a note saying which task was checked, or why none was.
 */
async function readForTask(
  dir: string,
): Promise<{ ds: MultiAgentDataset; aggregate: RewardAggregate; note: string }> {
  const { task: name, source } = await datasetTaskName(dir);
  let task: ParticleTask | MujocoTask | null = null;
  if (name !== "unknown") {
    try {
      task = await loadTask(name);
    } catch (err) {
      if (!(err instanceof KitInputError)) throw err;
    }
  }
  if (task === null) {
    const ds = await readOmarDataset(dir);
    const note = name === "unknown"
      ? `task unknown (${source}): agent count and dims not checked`
      : `task "${name}" (from ${source}) is not one the kit knows: agent count and dims not checked`;
    return { ds, aggregate: meanOverAgents(), note };
  }
  const env = asEnvTask(task);
  const ds = await readOmarDataset(dir, {
    expect: {
      name: env.name,
      numAgents: env.numAgents,
      obsDims: env.obsDims,
      actDim: env.actDim,
      stateDim: env.stateDim,
      source,
    },
  });
  const aggregate = !("world" in task) || task.scoreAggregation === "sum_agent0"
    ? agentReward(0) // predator 0's team reward; MuJoCo tasks score agent 0's (team) reward
    : meanOverAgents(task.learners);
  return { ds, aggregate, note: `task ${env.name} (from ${source}): agent count and dims match` };
}
