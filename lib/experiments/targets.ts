/**
 * The targets of `deno task reproduce`: what each reproduces, what it costs per profile, how its runs
 * are listed and how their results become a table and a figure.
 *
 * @module
 */
import { join } from "node:path";
import { checkName, KitInputError } from "../util/errors.ts";
import { parseNumber } from "../util/numbers.ts";
import { MINIBATCH_MODES } from "../algos/train.ts";
import { DATASET_VARIANTS } from "../behaviour/authors_data.ts";
import { ALGORITHMS, OPTION_NAMES } from "../algos/registry.ts";
import { PRESETS } from "../algos/presets.ts";
import { QUALITIES } from "../behaviour/generate.ts";
import { makeTask } from "../envs/registry.ts";
import { isMujocoTask } from "../mujoco/tasks.ts";
import { currentKernels, estimateSeconds, formatDuration, runSeconds } from "./costs.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { Progress } from "../util/progress.ts";
import type { Profile } from "./profiles.ts";
import { measureReferences, REFERENCE_EPISODES, type ReferenceRow } from "./references.ts";
import { collectResults, runAll, type Shard, shardRuns } from "./scheduler.ts";
import { GRID_EXPERIMENTS, type GridExperiment, type OnlineGrid, onlineGridRuns } from "./catalog.ts";
import { runReport } from "./reports.ts";
import { gridColumns, type GridConfig, gridRuns, type OptionOverride, reportGrid } from "./grid.ts";
import { gitCommit, type RunResult } from "./runs.ts";

/** What a target run gets from the command line. */
export interface TargetContext {
  /** The profile. */
  profile: Profile;
  /** Where this target's tables and figures go. */
  outDir: string;
  /** Results root shared by all targets (runs and datasets, content-addressed). */
  root: string;
  /** Worker processes. */
  jobs: number;
  /** This process's shard, if any. */
  shard?: Shard;
  /** Flag overrides of the profile's knobs (`seeds`, `rounds`, `batch`, ...). */
  overrides: Record<string, string>;
  /** Only report from existing results (merge, report). */
  reportOnly?: boolean;
  /** Report whatever runs have finished, saying how many are missing (report). */
  partial?: boolean;
  /** Extra results roots to read (merge). */
  mergeRoots?: string[];
}

/** A reproduce target. */
export interface Target {
  /** Name typed on the command line. */
  name: string;
  /** What it reproduces. */
  description: string;
  /** Estimated wall time of a profile on `jobs` cores, from measured per-round costs (`costs.ts`). */
  cost: (profile: Profile, jobs: number) => Promise<string>;
  /** What its quick profile cuts from the paper's protocol besides seeds (undefined when nothing). */
  quickCuts?: () => string | undefined;
  /** Runs it; returns the printed report. Absent while not built yet. */
  run?: (ctx: TargetContext) => Promise<string>;
  /** For targets not built yet: what they wait for. */
  pending?: string;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

function referencesReport(rows: ReferenceRow[], profile: Profile): string {
  const lines = [
    `Reference behaviours on OMAR's MPE tasks (profile ${profile}; original prey; kit mean ± std [s.e.])`,
    "task                     behaviour        kit                          original code     paper",
  ];
  for (const r of rows) {
    const kit = `${fmt(r.mean)} ± ${fmt(r.std)} [${fmt(r.stderr)}]`;
    const orig = r.original ? `${fmt(r.original.mean)} ± ${fmt(r.original.std)}` : "–";
    lines.push(
      `${r.task.padEnd(24)} ${r.behaviour.padEnd(16)} ${kit.padEnd(28)} ${orig.padEnd(17)} ${r.paper ?? "–"}`,
    );
  }
  return lines.join("\n");
}

/**
 * Reads one `--set [ALGO.]OPTION[.SUB]=VALUE` (e.g. `omar.tau=0.3`, `cqlAlpha=1`,
 * `omar.sampler.iterations=2`): the value is JSON where it parses (numbers, booleans, lists), else text.
 */
export function parseSetOverride(text: string): OptionOverride {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new KitInputError(`--set expects ALGO.OPTION=VALUE or OPTION=VALUE, got "${text}"`);
  const path = text.slice(0, eq).trim().split(".");
  const algo = (ALGORITHMS as readonly string[]).includes(path[0]) ? path.shift() : undefined;
  if (path.length === 0) throw new KitInputError(`--set ${text}: no option named after the algorithm`);
  checkName("algorithm option (--set)", path[0], OPTION_NAMES);
  if (path.length > 1 && path[0] !== "sampler") {
    throw new KitInputError(`--set ${text}: only sampler options nest (sampler.iterations=2)`);
  }
  const raw = text.slice(eq + 1).trim();
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text (e.g. critic=centralized)
  }
  const options = path.reduceRight<unknown>((v, key) => ({ [key]: v }), value) as Record<string, unknown>;
  return { ...(algo ? { algo } : {}), options };
}

/** A command-line knob of `reproduce`: the flag, what it takes, and how it changes a grid. */
export interface Knob {
  /** Flag name without dashes. */
  flag: string;
  /** What the flag takes, for the usage text (`N`, `a,b`, `fresh|reseed`). */
  takes: string;
  /** One line on what it does, where the flag alone does not say. */
  note?: string;
  /** The grid with the flag's value applied (validated; a bad value is a {@link KitInputError}). */
  apply: (c: GridConfig, value: string) => GridConfig;
}

const int = (flag: string, v: string) => parseNumber(`--${flag}`, v, { integer: true, min: 1 });
const listOf = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const intKnob = (
  flag: string,
  key: "seeds" | "samples" | "rounds" | "batchSize" | "evalEvery" | "evalEpisodes",
) => ({ flag, takes: "N", apply: (c: GridConfig, v: string) => ({ ...c, [key]: int(flag, v) }) });
const nameKnob = <K extends "preset" | "minibatches" | "datasets" | "evaluation">(
  flag: string,
  key: K,
  what: string,
  names: readonly string[],
  note?: string,
): Knob => ({
  flag,
  takes: names.join("|"),
  note,
  apply: (c, v) => ({ ...c, [key]: checkName(`${what} (--${flag})`, v, names) as GridConfig[K] }),
});

/** Every knob of a grid target, in the order the usage text lists them: the one list the CLI reads. */
export const KNOBS: readonly Knob[] = [
  intKnob("seeds", "seeds"),
  intKnob("rounds", "rounds"),
  intKnob("batch", "batchSize"),
  intKnob("samples", "samples"),
  intKnob("eval-every", "evalEvery"),
  intKnob("eval-episodes", "evalEpisodes"),
  {
    flag: "algos",
    takes: "a,b",
    apply: (c, v) => ({ ...c, algos: listOf(v).map((a) => checkName("algorithm", a, ALGORITHMS)) }),
  },
  {
    flag: "tasks",
    takes: "a,b",
    apply: (c, v) => ({ ...c, tasks: listOf(v).map((t) => (isMujocoTask(t) || makeTask(t), t)) }),
  },
  {
    flag: "qualities",
    takes: "a,b",
    apply: (c, v) => ({ ...c, qualities: listOf(v).map((q) => checkName("quality", q, QUALITIES)) }),
  },
  nameKnob("preset", "preset", "preset", PRESETS),
  nameKnob(
    "minibatches",
    "minibatches",
    "minibatch mode",
    MINIBATCH_MODES,
    "reseed: the authors' loop, minibatches repeat between evaluations; official-code.md §4",
  ),
  nameKnob(
    "datasets",
    "datasets",
    "dataset variant",
    DATASET_VARIANTS,
    "authors: medium and medium-replay matched to the authors' datasets' returns and sizes",
  ),
  nameKnob(
    "evaluation",
    "evaluation",
    "evaluation",
    ["authors", "fixed"],
    "authors, the default: main.py's episodes of each seed; fixed: one set for every seed, as kit 0.1",
  ),
  {
    flag: "set",
    takes: "[ALGO.]OPTION=VALUE ...",
    note: "any algorithm option, e.g. --set omar.tau=0.3 --set omar.sampler.iterations=2; recorded in specs",
    apply: (c, v) => ({ ...c, set: [...(c.set ?? []), ...v.split("\n").map(parseSetOverride)] }),
  },
];

/** Applies flag overrides (flag → value; lists comma-separated, `set` one override per line) to a grid. */
export function applyGridOverrides(c: GridConfig, o: Record<string, string>): GridConfig {
  return KNOBS.reduce((g, k) => (o[k.flag] === undefined ? g : k.apply(g, o[k.flag])), c);
}

/**
 * `provenance.json` beside a report: when and from which runs it was made, the commits that trained them,
 * their summed wall time, and how many of the listed runs it covers.
 */
async function writeProvenance(
  ctx: TargetContext,
  what: { target: string; listed: number; results: RunResult[] },
): Promise<void> {
  const commits = [...new Set(what.results.map((r) => r.commit ?? "unrecorded"))];
  await writeFileAtomic(
    join(ctx.outDir, "provenance.json"),
    JSON.stringify(
      {
        target: what.target,
        profile: ctx.profile,
        reported: new Date().toISOString(),
        reportedAtCommit: await gitCommit(),
        runs: { listed: what.listed, finished: what.results.length },
        trainedAtCommits: commits,
        runSecondsSum: what.results.reduce((a, r) => a + r.seconds, 0),
      },
      null,
      2,
    ) + "\n",
  );
}

/** What a grid's budget cuts from the paper profile's, in one line ("the paper's protocol" when only seeds). */
export function profileCuts(c: GridConfig, paper: GridConfig): string {
  const rounds = (g: GridConfig) => g.rounds === null ? "the authors' rounds" : `${g.rounds} rounds`;
  const seeds = (n: number) => `${n} seed${n === 1 ? "" : "s"}`;
  const cuts = [
    c.samples !== paper.samples ? `${c.samples} samples (paper ${paper.samples})` : "",
    c.rounds !== paper.rounds ? `${rounds(c)} (paper ${rounds(paper)})` : "",
    c.batchSize !== paper.batchSize ? `batch ${c.batchSize} (paper ${paper.batchSize})` : "",
    c.evalEvery !== paper.evalEvery
      ? `evaluation every ${c.evalEvery} rounds (paper ${paper.evalEvery})`
      : "",
    c.evalEpisodes !== paper.evalEpisodes ? `${c.evalEpisodes} episodes (paper ${paper.evalEpisodes})` : "",
  ].filter(Boolean);
  return cuts.length === 0
    ? `the paper's protocol on ${seeds(c.seeds)} (paper ${paper.seeds})`
    : `NOT the paper's protocol: ${cuts.join(", ")}; ${seeds(c.seeds)} (paper ${paper.seeds})`;
}

/** An online grid with the `--seeds` and `--tasks` overrides of the offline one applied. */
function onlineWithOverrides(g: OnlineGrid, o: Record<string, string>): OnlineGrid {
  const tasks = o.tasks
    ? o.tasks.split(",").map((s) => s.trim()).filter((t) => g.tasks.includes(t))
    : g.tasks;
  return {
    ...g,
    tasks,
    ...(o.seeds ? { seeds: parseNumber("--seeds", o.seeds, { integer: true, min: 1 }) } : {}),
  };
}

function gridTarget(x: GridExperiment): Target {
  return {
    name: x.name,
    description: x.description,
    quickCuts() {
      const cuts = profileCuts(x.config("quick"), x.config("paper"));
      const online = x.online?.("quick").cuts;
      if (cuts.endsWith("on 2 seeds (paper 5)")) return online ? `${cuts}; online: ${online}` : undefined;
      return (x.quickWhy ? `${cuts} — ${x.quickWhy}` : cuts) + (online ? `; online: ${online}` : "");
    },
    async cost(profile, jobs) {
      const { runs } = await gridRuns(x.config(profile));
      const online = x.online ? onlineGridRuns(x.online(profile)) : [];
      return `~${formatDuration(estimateSeconds([...runs, ...online], jobs))}`;
    },
    async run(ctx) {
      const c = applyGridOverrides(x.config(ctx.profile), ctx.overrides);
      const { runs: offline, missing } = await gridRuns(c);
      const og = x.online ? onlineWithOverrides(x.online(ctx.profile), ctx.overrides) : null;
      const online = og ? onlineGridRuns(og) : [];
      const runs = [...offline, ...online];
      await Deno.mkdir(ctx.outDir, { recursive: true });
      await writeFileAtomic(
        join(ctx.outDir, "config.json"),
        JSON.stringify(
          { target: x.name, profile: ctx.profile, ...c, ...(og ? { online: og } : {}) },
          null,
          2,
        ) +
          "\n",
      );
      const est = estimateSeconds(runs, ctx.jobs);
      console.log(
        `${offline.length} runs (${
          gridColumns(c).length
        } columns × ${c.tasks.length} tasks × ${c.qualities.length} qualities × ${c.seeds} seeds` +
          (og
            ? ` + ${online.length} online runs (${og.columns.length} columns × ${og.tasks.length} tasks × ${og.seeds} seeds)`
            : "") +
          `${missing.length ? `, ${missing.length} cells without a ladder` : ""}); estimated ${
            formatDuration(est)
          } on ${ctx.jobs} core(s)` +
          ` (measured per-round costs, ${currentKernels()} kernels)` +
          (ctx.profile === "paper" ? "" : `\n${profileCuts(c, x.config("paper"))}`) +
          (og?.cuts ? `\nonline: ${og.cuts}` : ""),
      );
      let results: RunResult[];
      if (ctx.reportOnly) {
        const roots = [ctx.root, ...(ctx.mergeRoots ?? [])];
        const found = await collectResults(roots, { optional: [ctx.root] }); // the output may hold no runs
        const have = new Map(found.map((r) => [r.id, r]));
        const listed = await shardRuns(runs);
        const absent = listed.filter((r) => !have.has(r.id));
        if (absent.length && !(ctx.partial && absent.length < listed.length)) {
          throw new KitInputError(
            `${
              ctx.partial ? "report" : "merge"
            }: ${absent.length} of ${listed.length} runs have no result in ` +
              `${ctx.partial ? ctx.root : "the given folders"}`,
          );
        }
        results = listed.filter((r) => have.has(r.id)).map((r) => have.get(r.id)!);
        if (absent.length) {
          console.log(
            `partial report: ${results.length} of ${listed.length} runs finished; cells show their n`,
          );
        }
      } else {
        results = await runAll(runs, {
          root: ctx.root,
          jobs: ctx.jobs,
          estimate: (spec) => runSeconds(spec),
          shard: ctx.shard,
          onRunDone: (r, done, total) =>
            console.log(
              `[${done}/${total}] ${
                r.spec.label ?? r.spec.algo
              } ${r.spec.dataset.task}/${r.spec.dataset.quality} seed ${r.spec.seed}: ` +
                `${r.final.normalized?.toFixed(1) ?? r.final.score.toFixed(1)} (${r.seconds.toFixed(0)} s)`,
            ),
        });
        if (ctx.shard) {
          return `shard ${ctx.shard.index}/${ctx.shard.count}: ${results.length} runs done under ${ctx.root}; ` +
            `assemble with \`deno task reproduce merge ${x.name} DIR...\``;
        }
      }
      const title = `${x.title} — profile ${ctx.profile}` +
        (c.minibatches === "reseed" ? ", the authors' minibatch re-seed" : "") +
        (c.datasets === "authors" ? ", authors-matched datasets" : "") +
        (results.length < runs.length ? ` (partial: ${results.length} of ${runs.length} runs)` : "");
      const offlineResults = results.filter((r) => r.spec.kind !== "online");
      const parts = [await reportGrid(title, c, offlineResults, missing, ctx.outDir, x.paper, x.raw)];
      await writeProvenance(ctx, { target: x.name, listed: runs.length, results });
      if (og) {
        // the online runs' scores: the same table, quality "online", under online/
        const onlineConfig: GridConfig = {
          ...c,
          tasks: og.tasks,
          qualities: ["online"],
          algos: og.columns.map((col) => col.algo),
          columns: og.columns.map((col) => ({ ...col, options: col.options ?? {} })),
          seeds: og.seeds,
        };
        const onlineResults = results.filter((r) => r.spec.kind === "online");
        parts.push(
          await reportGrid(
            `${title} — online runs`,
            onlineConfig,
            onlineResults,
            [],
            join(ctx.outDir, "online"),
            null,
            true,
          ),
        );
      }
      for (const report of x.reports ?? []) {
        parts.push(
          await runReport(report, {
            results,
            roots: [ctx.root, ...(ctx.mergeRoots ?? [])],
            outDir: ctx.outDir,
            title: x.title,
            raw: x.raw,
            states: ctx.profile === "smoke" ? 32 : 256,
            batchSize: c.batchSize,
          }),
        );
      }
      return parts.join("\n\n");
    },
  };
}

/** Every target, built or planned, in the order `list` prints them. */
export const TARGETS: readonly Target[] = [
  {
    name: "references",
    description: "random / zero / scripted-rule scores per MPE task vs the original code and the paper",
    cost: (profile) => Promise.resolve({ smoke: "~2 s", quick: "~10 s", paper: "~1 min" }[profile]),
    async run(ctx) {
      const episodes = REFERENCE_EPISODES[ctx.profile];
      const bar = new Progress("references", 7);
      const rows = await measureReferences(episodes, { onRow: () => bar.tick() });
      bar.finish();
      await Deno.mkdir(ctx.outDir, { recursive: true });
      const csv = [
        "task,behaviour,episodes,mean,std,stderr,original_mean,original_std,paper",
        ...rows.map((r) =>
          [
            r.task,
            r.behaviour,
            r.episodes,
            r.mean,
            r.std,
            r.stderr,
            r.original?.mean ?? "",
            r.original?.std ?? "",
            r.paper ?? "",
          ]
            .join(",")
        ),
      ].join("\n") + "\n";
      await writeFileAtomic(join(ctx.outDir, "references.csv"), csv);
      await writeFileAtomic(
        join(ctx.outDir, "references.json"),
        JSON.stringify({ target: "references", profile: ctx.profile, episodes, rows }, null, 2) + "\n",
      );
      return referencesReport(rows, ctx.profile);
    },
  },
  ...GRID_EXPERIMENTS.map(gridTarget),
];

/** Looks a target up by name; an unknown name lists the valid ones. */
export function findTarget(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) {
    throw new KitInputError(
      `unknown target "${name}"; expected one of: list, plan, merge, ${
        TARGETS.map((x) => x.name).join(", ")
      }`,
    );
  }
  return t;
}
