/**
 * `deno task reproduce TARGET [--profile smoke|quick|paper] [--jobs N] [--shard i/n] [knob overrides]`,
 * `deno task reproduce list`, `deno task reproduce plan TARGET --shards N`,
 * `deno task reproduce merge TARGET DIR...`: runs one of the paper's tables
 * or figures and prints it with the paper's numbers beside. Runs are content-addressed under `--out`
 * (default `results/`): finished runs are skipped, interrupted ones resume.
 *
 * @module
 */
import { join } from "node:path";
import { intFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { ensureWritableDir } from "../lib/util/fs.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { parseProfile, PROFILES } from "../lib/experiments/profiles.ts";
import { applyGridOverrides, findTarget, KNOBS, TARGETS } from "../lib/experiments/targets.ts";
import { parseShard, shardPlan } from "../lib/experiments/scheduler.ts";
import { currentKernels, datasetSeconds, formatDuration } from "../lib/experiments/costs.ts";
import { GRID_EXPERIMENTS } from "../lib/experiments/catalog.ts";
import { gridRuns } from "../lib/experiments/grid.ts";
import type { Profile } from "../lib/experiments/profiles.ts";
import { initBackend } from "../lib/nn/backend.ts";

/** The knobs' part of the usage text, from the one list of knobs (flags packed; a note on its own line). */
const knobUsage = (() => {
  const lines: string[] = [];
  let line = "";
  for (const k of KNOBS) {
    const flag = `[--${k.flag} ${k.takes}]`;
    if (k.note) {
      if (line) lines.push(line);
      lines.push(`${flag}  (${k.note})`);
      line = "";
    } else if (line.length + flag.length + 1 > 80) {
      lines.push(line);
      line = flag;
    } else line = line ? `${line} ${flag}` : flag;
  }
  if (line) lines.push(line);
  return lines.join(`\n${"".padEnd(29)}`);
})();

/** The knob flags given (flag → value; every `--set` one line of `set`). */
function knobOverrides(flags: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    KNOBS.filter((k) => flags[k.flag] !== undefined).map((k) => {
      const v = flags[k.flag];
      return [k.flag, Array.isArray(v) ? v.join("\n") : String(v)];
    }),
  );
}

const USAGE = `usage:
  deno task reproduce TARGET [--profile smoke|quick|paper] [--jobs N] [--shard i/n | --shards n] [--out results]
                             ${knobUsage}
  deno task reproduce list
  deno task reproduce plan TARGET --shards N [--profile P] [knob overrides]   (runs and time of each shard)
  deno task reproduce merge TARGET DIR... [--profile P] [--out results]   (assemble the table from shard folders)
  deno task reproduce report TARGET [--profile P] [--out results] [knobs]   (the table of the runs finished so far,
                                                                   e.g. while a long run goes on; trains nothing)`;

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    profile: { type: "string", default: "quick" },
    out: { type: "string", default: "results" },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency || 1) },
    shard: { type: "string" },
    shards: { type: "string" },
    ...Object.fromEntries(
      KNOBS.map((
        k,
      ) => [k.flag, { type: "string" as const, ...(k.flag === "set" ? { multiple: true } : {}) }]),
    ),
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return console.log(USAGE);
  if (positionals.length === 0) throw new KitInputError(`expected a target; ${USAGE}`);
  const profile = parseProfile(flags.profile as string);
  if (positionals[0] === "list") {
    const jobs = intFlag(flags, "jobs", 1);
    await initBackend(); // the estimates follow the kernels this machine uses (OpenBLAS or wasm alone)
    console.log(
      `target       estimated wall time on ${jobs} core(s), ${currentKernels()} kernels (${
        PROFILES.join(" / ")
      })`,
    );
    for (const t of TARGETS) {
      const cost = t.run
        ? (await Promise.all(PROFILES.map((p) => t.cost(p, jobs)))).join(" / ")
        : "not available yet";
      console.log(`${t.name.padEnd(12)} ${cost.padEnd(30)} ${t.description}`);
      const cuts = t.quickCuts?.();
      if (cuts) console.log(`${"".padEnd(12)} quick: ${cuts}`);
    }
    return;
  }
  if (positionals[0] === "plan") {
    if (positionals.length !== 2) throw new KitInputError(`plan needs one target; ${USAGE}`);
    return console.log(await plan(positionals[1], profile, flags));
  }
  const merge = positionals[0] === "merge";
  const report = positionals[0] === "report";
  const target = findTarget(merge || report ? positionals[1] ?? "" : positionals[0]);
  if (!target.run) throw new KitInputError(`target "${target.name}" is not available yet: ${target.pending}`);
  if (!merge && positionals.length !== (report ? 2 : 1)) {
    throw new KitInputError(`expected one target; ${USAGE}`);
  }
  if (merge && positionals.length < 3) {
    throw new KitInputError(`merge needs a target and at least one results folder; ${USAGE}`);
  }
  const jobs = intFlag(flags, "jobs", 1);
  const shardCount = flags.shards === undefined ? undefined : intFlag(flags, "shards", 1);
  const shard = merge || report ? undefined : parseShard(flags.shard as string | undefined, shardCount);
  const root = flags.out as string;
  // the authors' minibatch repetition and their datasets' sizes get report folders of their own (runs and
  // datasets are shared by id)
  const outDir = join(
    root,
    target.name,
    `${profile}${flags.minibatches === "reseed" ? "-reseed" : ""}${
      flags.datasets === "authors" ? "-authors-data" : ""
    }`,
  );
  const overrides = knobOverrides(flags);
  await ensureWritableDir(outDir, "--out", { create: false });
  await initBackend();
  console.log(`reproduce ${target.name} (profile ${profile}) → ${outDir}`);
  console.log(
    await target.run({
      profile,
      outDir,
      root,
      jobs,
      shard,
      overrides,
      reportOnly: merge || report,
      partial: report,
      mergeRoots: merge ? positionals.slice(2) : undefined,
    }),
  );
});

/**
 * `plan TARGET --shards N`: the balanced shards of a target's runs, each shard's run count and estimated
 * time on one core (OpenBLAS kernels, the costs the assignment uses; its datasets included), and the
 * slowest shard over the mean, the figure that says how much of N machines a sharded job wastes.
 */
async function plan(name: string, profile: Profile, flags: Record<string, unknown>): Promise<string> {
  const target = findTarget(name);
  const grid = GRID_EXPERIMENTS.find((x) => x.name === target.name);
  if (!grid) throw new KitInputError(`target "${target.name}" has no runs to shard (it runs in seconds)`);
  if (flags.shards === undefined) throw new KitInputError(`plan needs --shards N; ${USAGE}`);
  const count = intFlag(flags as Parameters<typeof intFlag>[0], "shards", 1);
  const overrides = knobOverrides(flags);
  const { runs } = await gridRuns(applyGridOverrides(grid.config(profile), overrides));
  const shards = await shardPlan(runs, count);
  const total = shards.map((s) => s.runSeconds + s.datasetSeconds);
  const mean = total.reduce((a, b) => a + b, 0) / count;
  const slowest = Math.max(...total);
  const single = shards.reduce((a, s) => a + s.runSeconds, 0) + datasetSeconds(runs);
  const lines = [
    `plan ${target.name} (profile ${profile}): ${
      shards.reduce((a, s) => a + s.runs.length, 0)
    } runs on ${count} shard(s), balanced by estimated cost`,
    "(one core per shard, OpenBLAS kernels; the wasm kernels alone take about 1.6x; each shard makes the datasets its runs need)",
    "shard  runs  estimated  (training + datasets)",
    ...shards.map((s, i) =>
      `${String(s.index).padEnd(6)} ${String(s.runs.length).padEnd(5)} ${
        formatDuration(total[i]).padEnd(10)
      } (${formatDuration(s.runSeconds)} + ${formatDuration(s.datasetSeconds)})`
    ),
    `slowest / mean: ${(mean > 0 ? slowest / mean : 1).toFixed(3)} (slowest ${
      formatDuration(slowest)
    }, mean ${formatDuration(mean)}); wall time ≈ the slowest shard; all runs on one core: ${
      formatDuration(single)
    }`,
  ];
  return lines.join("\n");
}
