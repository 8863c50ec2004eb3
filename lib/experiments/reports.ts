/**
 * The reports a grid experiment lists beside its table ({@link GridReport}): learning curves with mean ± std
 * bands (Figs. 2a, 9), the improvement of a column over the behaviour policy or over another column, per task
 * (Figs. 2b, 3, 7), and the Q-landscape study of one trained run (Fig. 2c). A new kind of report is one more
 * case of {@link runReport}.
 *
 * @module
 */
import { join } from "node:path";
import { episodeReturns, meanOverAgents } from "../data/dataset.ts";
import { readOmarDataset } from "../data/omar_layout.ts";
import { writeFigure } from "../plots/render.ts";
import { barsWithErrors, curvesWithBands } from "../plots/specs.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { ensureDataset, loadRunModel, type RunResult } from "./runs.ts";
import { landscapeReport, landscapeStudy } from "../algos/landscape_study.ts";
import { makeTask } from "../envs/registry.ts";
import { KitInputError } from "../util/errors.ts";
import { landscapeChart } from "../plots/specs.ts";
import { NAMES } from "./grid.ts";
import { qualityName } from "../behaviour/generate.ts";

/** A report drawn from a grid experiment's finished runs, beside its table (which every grid has). */
export type GridReport =
  /** One learning-curve figure per task × quality (Fig. 9 style). */
  | { kind: "curves" }
  /** The improvement (%) over the behaviour policy or over a column; `onlineOver` for the online runs. */
  | { kind: "improvement"; over: "behaviour" | { over: string; onlineOver?: string } }
  /** The Q-landscape study (Fig. 2c) on the trained model of this run of the grid. */
  | { kind: "landscape"; task: string; algo: string; seed: number };

/** What every report is given. */
export interface ReportInput {
  /** The grid's finished runs, offline and online. */
  results: RunResult[];
  /** Results roots holding the runs and datasets (the first is the output's own). */
  roots: readonly string[];
  /** Where the report's files go. */
  outDir: string;
  /** The experiment's title. */
  title: string;
  /** Raw scores instead of normalised ones. */
  raw?: boolean;
  /** Dataset states the landscape study examines. */
  states: number;
  /** The grid's minibatch size. */
  batchSize: number;
}

/** Makes one report; returns its printed part. */
export async function runReport(report: GridReport, input: ReportInput): Promise<string> {
  const offline = input.results.filter((r) => r.spec.kind !== "online");
  switch (report.kind) {
    case "curves": {
      const files = await writeCurves(offline, input.outDir, { title: input.title, raw: input.raw });
      return `learning curves: ${files.length} figures in ${input.outDir}`;
    }
    case "improvement":
      return await improvementReport(input.results, report.over, {
        root: input.roots[0],
        outDir: input.outDir,
        title: input.title,
      });
    case "landscape":
      return await landscapeTarget(offline, report, {
        roots: input.roots,
        outDir: input.outDir,
        title: input.title.replace(/ \(.*\)$/, ""),
        states: input.states,
        batchSize: input.batchSize,
      });
  }
}

const label = (r: RunResult) => r.spec.label ?? r.spec.algo;
const value = (
  p: { normalized: number | null; score: number },
  raw: boolean,
) => (raw ? p.score : p.normalized ?? p.score);
const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
};

/** One learning-curve figure per task × quality (`curves_<task>_<quality>.*`); returns the files' base names. */
export async function writeCurves(
  results: RunResult[],
  outDir: string,
  options: { title: string; raw?: boolean },
): Promise<string[]> {
  const { title, raw = false } = options;
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${r.spec.dataset.task}_${qualityName(r.spec.dataset.quality, r.spec.dataset.fraction)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const names: string[] = [];
  for (const [k, rs] of groups) {
    const { task, quality, fraction } = rs[0].spec.dataset;
    const points = [];
    const series = new Map<string, RunResult[]>();
    for (const r of rs) series.set(label(r), [...(series.get(label(r)) ?? []), r]);
    for (const [name, runs] of series) {
      for (let i = 0; i < runs[0].curve.length; i++) {
        const { mean, std } = meanStd(runs.map((r) => value(r.curve[i], raw)));
        points.push({ series: name, x: runs[0].curve[i].round, mean, std });
      }
    }
    const base = `curves_${k}`;
    await writeFigure(
      join(outDir, base),
      curvesWithBands(points, {
        title: `${title}: ${task}, ${qualityName(quality, fraction)}`,
        xTitle: "update rounds",
        // normalised where the run has references (see `value`)
        yTitle: raw || rs.some((r) => r.curve.some((p) => p.normalized === null))
          ? "score"
          : "normalised score",
      }),
    );
    names.push(base);
  }
  return names;
}

/** The mean episode return of a run's dataset (the behaviour policy's score). */
async function behaviourScore(root: string, r: RunResult): Promise<number> {
  const ds = await readOmarDataset(await ensureDataset(root, r.spec.dataset));
  const returns = episodeReturns(ds, meanOverAgents());
  return returns.reduce((a, b) => a + b, 0) / returns.length;
}

/** "n = 3" for a task of n agents (`…_n3`), else the task itself: the x axis of Figs. 2(b), 3 and 7. */
function agentsLabel(task: string): string {
  const m = /_n(\d+)$/.exec(task);
  return m ? `n = ${m[1]}` : task;
}

/** One bar of an improvement report. */
interface ImprovementRow {
  task: string;
  /** `offline` or `online` runs. */
  setting: "offline" | "online";
  column: string;
  mean: number;
  std: number;
  /** Seeds. */
  n: number;
}

/**
 * The paper's claim on Fig. 3 (§3.2.1) next to what the kit measured: per number of agents, whether the
 * offline gain exceeds the online one, and both halves' means.
 */
function fig3Claim(rows: ImprovementRow[]): string[] {
  const off = rows.filter((r) => r.setting === "offline"), on = rows.filter((r) => r.setting === "online");
  if (off.length === 0 || on.length === 0) return [];
  const avg = (rs: ImprovementRow[]) => rs.reduce((a, r) => a + r.mean, 0) / rs.length;
  const both = off.filter((r) => on.some((o) => o.task === r.task));
  const larger = both.filter((r) => r.mean > on.find((o) => o.task === r.task)!.mean);
  const multi = (rs: ImprovementRow[]) => rs.filter((r) => !r.task.endsWith("_n1"));
  const single = (rs: ImprovementRow[]) => rs.filter((r) => r.task.endsWith("_n1"));
  const lines = [
    "paper (§3.2.1, Fig. 3): OMAR helps in all four quadrants, the offline gain ≫ the online gain, largest offline " +
    "multi-agent",
    `kit: offline gain > online gain at ${larger.length} of ${both.length} agent counts; mean gain offline ` +
    `${avg(off).toFixed(1)}%, online ${avg(on).toFixed(1)}%` +
    (multi(off).length && single(off).length
      ? `; offline multi-agent ${avg(multi(off)).toFixed(1)}% vs single-agent ${avg(single(off)).toFixed(1)}%`
      : "") +
    (multi(on).length && single(on).length
      ? `; online multi-agent ${avg(multi(on)).toFixed(1)}% vs single-agent ${avg(single(on)).toFixed(1)}%`
      : ""),
  ];
  return lines;
}

/**
 * Improvement in % of raw scores per task and column: over the behaviour policy (`100 (S − S_β) / |S_β|`, S_β the
 * dataset's mean return, seed by seed) or over another column (`100 (S − S_other) / |S_other|`, S seed by seed,
 * S_other the mean over seeds), the online runs (`RunSpec.kind`) over `onlineOver` (Fig. 3's lower half). Writes
 * `improvement.csv` and the figure `improvement.*` (one bar per number of agents and column; online and offline
 * side by side), and, with both halves, the paper's Fig. 3 claim beside the kit's.
 */
export async function improvementReport(
  results: RunResult[],
  over: "behaviour" | { over: string; onlineOver?: string },
  options: { root: string; outDir: string; title: string },
): Promise<string> {
  const rows: ImprovementRow[] = [];
  const settingOf = (r: RunResult) => (r.spec.kind === "online" ? "online" : "offline");
  const byTaskCol = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${settingOf(r)}|${r.spec.dataset.task}|${label(r)}`;
    byTaskCol.set(k, [...(byTaskCol.get(k) ?? []), r]);
  }
  for (const [k, rs] of byTaskCol) {
    const [setting, task, column] = k.split("|") as ["offline" | "online", string, string];
    if (over === "behaviour") {
      if (setting === "online") continue; // an online run has no dataset
      const xs = [];
      for (const r of rs) {
        const b = await behaviourScore(options.root, r);
        xs.push((100 * (r.final.score - b)) / Math.abs(b));
      }
      rows.push({ task, setting, column, ...meanStd(xs), n: xs.length });
    } else {
      const baseline = setting === "online" ? over.onlineOver : over.over;
      if (baseline === undefined || column === baseline) continue;
      const base = byTaskCol.get(`${setting}|${task}|${baseline}`);
      if (!base) continue;
      const b = meanStd(base.map((r) => r.final.score)).mean;
      const xs = rs.map((r) => (100 * (r.final.score - b)) / Math.abs(b));
      rows.push({ task, setting, column: `${column} over ${baseline}`, ...meanStd(xs), n: xs.length });
    }
  }
  rows.sort((a, b) =>
    a.setting !== b.setting
      ? (a.setting === "offline" ? -1 : 1)
      : a.task < b.task
      ? -1
      : a.task > b.task
      ? 1
      : a.column < b.column
      ? -1
      : 1
  );
  const lines = [
    `${options.title} — improvement (%), mean ± std over seeds`,
    "setting  task                              column                                 improvement %   seeds",
  ];
  for (const r of rows) {
    lines.push(
      `${r.setting.padEnd(8)} ${r.task.padEnd(33)} ${r.column.padEnd(38)} ${
        `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`.padEnd(15)
      } ${r.n}`,
    );
  }
  if (over !== "behaviour") lines.push(...fig3Claim(rows));
  await writeFileAtomic(
    join(options.outDir, "improvement.csv"),
    [
      "setting,task,column,mean,std,seeds",
      ...rows.map((r) => `${r.setting},${r.task},${r.column},${r.mean},${r.std},${r.n}`),
    ].join("\n") + "\n",
  );
  if (rows.length) {
    // both halves with one column each (Fig. 3): the series are the halves, the columns go in the title
    const settings = [...new Set(rows.map((r) => r.setting))];
    const columnsOf = (s: string) => [...new Set(rows.filter((r) => r.setting === s).map((r) => r.column))];
    const halves = settings.length === 2 && settings.every((s) => columnsOf(s).length === 1);
    const short = (c: string) => c.replaceAll(" (online)", "");
    await writeFigure(
      join(options.outDir, "improvement"),
      barsWithErrors(
        rows.map((r) => ({
          group: agentsLabel(r.task),
          series: halves ? r.setting : r.column,
          mean: r.mean,
          std: r.std,
        })),
        {
          title: halves
            ? `${options.title}: ${settings.map((s) => `${s} ${short(columnsOf(s)[0])}`).join(", ")}`
            : `${options.title}: improvement`,
          yTitle: "improvement (%)",
          xTitle: rows.every((r) => agentsLabel(r.task) !== r.task) ? "number of agents" : undefined,
        },
      ),
    );
  }
  return lines.join("\n");
}

/**
 * Fig. 2(c): the landscape study ({@link landscapeStudy}) on the trained model of the grid's run `which`;
 * writes `landscape.json` (summary and the drawn state's Q1 curve) and the figure `landscape.*`.
 */
export async function landscapeTarget(
  results: RunResult[],
  which: { task: string; algo: string; seed: number },
  options: { roots: readonly string[]; outDir: string; title: string; states: number; batchSize: number },
): Promise<string> {
  const run = results.find((r) =>
    r.spec.dataset.task === which.task && r.spec.algo === which.algo && r.spec.seed === which.seed
  );
  if (!run) {
    throw new KitInputError(
      `${options.title}: the landscape needs the ${which.algo} run on ${which.task} seed ${which.seed}, ` +
        "which this grid does not hold (were --tasks, --algos or --seeds narrowed?)",
    );
  }
  const trained = await loadRunModel(run, options.roots);
  try {
    const dataset = await readOmarDataset(await ensureDataset(options.roots[0], run.spec.dataset));
    const context = { task: which.task, quality: run.spec.dataset.quality, preset: run.spec.preset };
    const study = await landscapeStudy(trained, { dataset, task: makeTask(which.task) }, {
      states: options.states,
      batchSize: options.batchSize,
      algorithmOptions: { seed: run.spec.seed, context },
    });
    const s = study.states[study.shown];
    await writeFileAtomic(
      join(options.outDir, "landscape.json"),
      JSON.stringify(
        {
          run: run.id,
          summary: study.summary,
          shown: { ...s, grid: Array.from(study.grid), q1: Array.from(study.q1[s.index]) },
        },
        null,
        2,
      ) + "\n",
    );
    await writeFigure(
      join(options.outDir, "landscape"),
      landscapeChart(study, {
        title: `${options.title}(c): ${
          NAMES[which.algo] ?? which.algo
        }'s Q1 on ${which.task}, state ${s.index}`,
        labels: NAMES,
      }),
    );
    return `${options.title}(c) — Q landscape of ${
      NAMES[which.algo] ?? which.algo
    } (run ${run.id}, ${which.task}, ` +
      `seed ${which.seed}), one more update round from its weights\n${landscapeReport(study, NAMES)}`;
  } finally {
    trained.dispose();
  }
}
