/**
 * Table 1: MA-ICQ, MA-TD3+BC, MA-CQL and OMAR on decentralized critics, for the three MPE tasks and
 * four dataset qualities; mean ± std over seeds of the final normalised score, the paper's beside.
 * Table 8 is the same grid on centralized critics (`critic: "centralized"`).
 *
 * @module
 */
import { join } from "node:path";
import { exists, sha256Hex, writeFileAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/repo.ts";
import { ladderPath } from "../behaviour/store.ts";
import { gridFigure } from "../plots/specs.ts";
import { writeFigure } from "../plots/render.ts";
import type { Profile } from "./profiles.ts";
import type { Evaluation, RunResult, RunSpec } from "./runs.ts";
import type { CurvePoint } from "../algos/train.ts";
import type { MinibatchMode } from "../algos/train.ts";
import type { DatasetVariant } from "../behaviour/authors_data.ts";

/** The qualities the `authors` dataset variant changes. */
const VARIANT_QUALITIES = ["medium", "medium-replay"];
import { makeTask } from "../envs/registry.ts";
import { isMujocoTask } from "../mujoco/tasks.ts";
import { parseQuality, qualityName, usesLadder } from "../tasks/qualities.ts";
import { authorsRounds } from "../tasks/profiles.ts";
import { defaultPreySource, type PreySource } from "../envs/prey.ts";

/** One column of a grid: an algorithm with options (e.g. OMAR with the CEM sampler, or τ = 0.3). */
export interface Column {
  /** Column header (and key of the paper's values). */
  label: string;
  /** Algorithm name. */
  algo: string;
  /** Options beyond the preset. */
  options?: Record<string, unknown>;
}

/** The grid and budget of a Table 1–style experiment; every field can be overridden by a flag. */
export interface GridConfig {
  /** Algorithms; the columns when `columns` is not given. */
  algos: string[];
  /** Explicit columns (ablations); `--algos` keeps those of the listed algorithms. */
  columns?: Column[];
  /** Tasks. */
  tasks: string[];
  /** Dataset qualities. */
  qualities: string[];
  /** Seeds (a dataset per seed, as the authors). */
  seeds: number;
  /** Transitions per random / medium / expert dataset. */
  samples: number;
  /** Update rounds; `null` means the authors' per-task counts. */
  rounds: number | null;
  /** Minibatch size. */
  batchSize: number;
  /** Rounds between evaluations. */
  evalEvery: number;
  /** Episodes per evaluation. */
  evalEpisodes: number;
  /** Evaluation episodes: `authors` (main.py's episodes per training seed; default) or `fixed` (kit 0.1's). */
  evaluation?: Evaluation;
  /** Fresh episodes that score each run's final policy besides (0: none). */
  finalEpisodes?: number;
  /** Option overrides for every column of an algorithm (or of all), applied last (`reproduce --set`). */
  set?: OptionOverride[];
  /** `decentralized` (Table 1) or `centralized` (Table 8). */
  critic: "decentralized" | "centralized";
  /** Hyper-parameter preset. */
  preset: "official" | "paper";
  /** Prey source of predator-prey and world. Default `original` where its weights are found, else `kit`. */
  prey?: "original" | "kit";
  /** How minibatches are drawn: `fresh` (default) or `reseed` (the authors' repetition between evaluations). */
  minibatches?: MinibatchMode;
  /** Dataset construction: `kit` (default) or `authors` (medium and medium-replay matched to the authors'). */
  datasets?: DatasetVariant;
}

/** One `--set` override: options (nested for the sampler) for the columns of `algo`, or of every column. */
export interface OptionOverride {
  /** The algorithm whose columns it applies to; absent: every column. */
  algo?: string;
  /** The options to set, e.g. `{ tau: 0.3 }` or `{ sampler: { iterations: 2 } }`. */
  options: Record<string, unknown>;
}

/** `b` over `a`, plain objects merged key by key (arrays and other values replaced). */
function mergeOptions(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const plain = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === "object" && !Array.isArray(x);
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = plain(v) && plain(out[k]) ? mergeOptions(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** The grid's columns (explicit, or one per algorithm with the grid's critic kind), with `--set` applied. */
export function gridColumns(c: GridConfig): Column[] {
  const cols: Column[] = c.columns ?? c.algos.map((algo) => ({ label: NAMES[algo] ?? algo, algo }));
  return cols.filter((col) => c.algos.includes(col.algo)).map((col) => ({
    ...col,
    options: (c.set ?? []).filter((o) => o.algo === undefined || o.algo === col.algo).reduce(
      (acc, o) => mergeOptions(acc, o.options),
      { critic: c.critic, ...col.options } as Record<string, unknown>,
    ),
  }));
}

/**
 * Profile defaults of the grid experiments. `paper` is the authors' protocol: 5 seeds (a dataset per
 * seed), 1M-sample datasets, their update rounds per task and quality, B = 1024, evaluation every 10
 * rounds on 10 episodes. `quick` is the same protocol on 2 seeds, so its runs are the paper profile's
 * seeds 0 and 1 (shared: running quick first makes paper that much shorter); budgets that stop before the
 * conservative learners start would mislead. `smoke` only checks that everything runs.
 */
export function gridDefaults(profile: Profile): GridConfig {
  const base = {
    algos: ["icq", "td3bc", "cql", "omar"],
    tasks: ["cooperative_navigation", "predator_prey", "world"],
    qualities: ["random", "medium-replay", "medium", "expert"],
    critic: "decentralized" as const,
    preset: "official" as const,
    evaluation: "authors" as const,
  };
  if (profile === "smoke") {
    return {
      ...base,
      seeds: 2,
      samples: 5_000,
      rounds: 10,
      batchSize: 64,
      evalEvery: 5,
      evalEpisodes: 3,
      finalEpisodes: 20,
    };
  }
  return {
    ...base,
    seeds: profile === "quick" ? 2 : 5,
    samples: 1_000_000,
    rounds: null,
    batchSize: 1024,
    evalEvery: 10,
    evalEpisodes: 10,
    finalEpisodes: 1000,
  };
}

/**
 * 16 hex digits of sha256 over the committed files a dataset is generated from (the behaviour ladder,
 * the kit's prey), so that retrained ladders give new dataset and run ids; undefined when none is used.
 */
export async function datasetSources(
  task: string,
  quality: string,
  prey: PreySource | undefined,
): Promise<string | undefined> {
  const files = [
    ...(usesLadder(quality) ? [ladderPath(task, prey ?? null)] : []),
    ...(prey === "kit" ? [join(REPO_ROOT, "fixtures", "prey", `${task}.json`)] : []),
  ];
  if (files.length === 0) return undefined;
  const parts = await Promise.all(files.map((f) => Deno.readFile(f)));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) all.set(p, off), off += p.length;
  return (await sha256Hex(all)).slice(0, 16);
}

/** The runs of a grid; cells whose task has no behaviour ladder (non-random qualities) are left out. */
export async function gridRuns(c: GridConfig): Promise<{ runs: RunSpec[]; missing: string[] }> {
  const runs: RunSpec[] = [];
  const missing: string[] = [];
  for (const task of c.tasks) {
    const t = isMujocoTask(task) ? null : makeTask(task);
    const prey = t === null || t.prey === null ? undefined : c.prey ?? defaultPreySource(t);
    const hasLadder = await exists(ladderPath(task, prey ?? null));
    // hashed once per task: the random data's sources and the ladder's
    const randomSources = await datasetSources(task, "random", prey);
    const ladderSources = hasLadder ? await datasetSources(task, "expert", prey) : undefined;
    for (const q of c.qualities) {
      const { quality, fraction } = parseQuality(q);
      const sources = usesLadder(quality) ? ladderSources : randomSources;
      if (usesLadder(quality) && !hasLadder) {
        missing.push(`${task}/${q}${prey ? ` (${prey} prey)` : ""}`);
        continue;
      }
      for (const col of gridColumns(c)) {
        for (let seed = 0; seed < c.seeds; seed++) {
          runs.push({
            algo: col.algo,
            label: col.label,
            preset: c.preset,
            options: col.options as RunSpec["options"],
            dataset: {
              task,
              quality,
              seed,
              samples: c.samples,
              prey,
              fraction,
              sources,
              // only the qualities the variant changes; absent for the kit's, so their ids stay
              ...(c.datasets === "authors" && VARIANT_QUALITIES.includes(quality)
                ? { variant: "authors" as const }
                : {}),
            },
            seed,
            budget: {
              rounds: c.rounds ?? authorsRounds(task, quality),
              batchSize: c.batchSize,
              evalEvery: c.evalEvery,
              evalEpisodes: c.evalEpisodes,
              ...(c.evaluation === "authors" ? { evaluation: "authors" as const } : {}),
              ...(c.finalEpisodes ? { finalEpisodes: c.finalEpisodes } : {}),
              // absent for fresh, so fresh runs keep the ids they had before the option existed
              ...(c.minibatches === "reseed" ? { minibatches: "reseed" as const } : {}),
            },
          });
        }
      }
    }
  }
  return { runs, missing };
}

type Cell = [number, number];
const T = (icq: Cell, td3bc: Cell, cql: Cell, omar: Cell) => ({
  "MA-ICQ": icq,
  "MA-TD3+BC": td3bc,
  "MA-CQL": cql,
  OMAR: omar,
});

/** The paper's Table 1 (normalised score, mean ± std over 5 seeds). */
export const PAPER_TABLE1: Record<string, Record<string, Record<string, Cell>>> = {
  random: {
    cooperative_navigation: T([6.3, 3.5], [9.8, 4.9], [24.0, 9.8], [34.4, 5.3]),
    predator_prey: T([2.2, 2.6], [5.7, 3.5], [5.0, 8.2], [11.1, 2.8]),
    world: T([1.0, 3.2], [2.8, 5.5], [0.6, 2.0], [5.9, 5.2]),
  },
  "medium-replay": {
    cooperative_navigation: T([13.6, 5.7], [15.4, 5.6], [20.0, 8.4], [37.9, 12.3]),
    predator_prey: T([34.5, 27.8], [28.7, 20.9], [24.8, 17.3], [47.1, 15.3]),
    world: T([12.0, 9.1], [17.4, 8.1], [29.6, 13.8], [42.9, 19.5]),
  },
  medium: {
    cooperative_navigation: T([29.3, 5.5], [29.3, 4.8], [34.1, 7.2], [47.9, 18.9]),
    predator_prey: T([63.3, 20.0], [65.1, 29.5], [61.7, 23.1], [66.7, 23.2]),
    world: T([71.9, 20.0], [73.4, 9.3], [58.6, 11.2], [74.6, 11.5]),
  },
  expert: {
    cooperative_navigation: T([104.0, 3.4], [108.3, 3.3], [98.2, 5.2], [114.9, 2.6]),
    predator_prey: T([113.0, 14.4], [115.2, 12.5], [93.9, 14.0], [116.2, 19.8]),
    world: T([109.5, 22.8], [110.3, 21.3], [71.9, 28.1], [110.4, 25.7]),
  },
};

/** Display names of the algorithms. */
export const NAMES: Record<string, string> = {
  icq: "MA-ICQ",
  td3bc: "MA-TD3+BC",
  cql: "MA-CQL",
  omar: "OMAR",
  itd3: "ITD3",
};

/** One cell of the kit's table. */
export interface TableCell {
  /** Quality. */
  quality: string;
  /** Task. */
  task: string;
  /** Column label (the algorithm's display name for plain grids). */
  algo: string;
  /** Mean final normalised score over seeds. */
  mean: number;
  /** Standard deviation over seeds. */
  std: number;
  /** Seeds. */
  n: number;
  /** The paper's value, when it has one. */
  paper: Cell | null;
  /** The same final policies scored on many fresh episodes each (mean ± std over seeds), when recorded. */
  many: { mean: number; std: number; episodes: number } | null;
}

/** Mean and (population) standard deviation. */
function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** Aggregates results into cells (final normalised score; raw score when no references). */
export function gridCells(results: RunResult[], paper: typeof PAPER_TABLE1 | null, raw = false): TableCell[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const ds = r.spec.dataset;
    const q = qualityName(ds.quality, ds.fraction);
    const key = `${q}|${ds.task}|${r.spec.label ?? r.spec.algo}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const [quality, task, algo] = key.split("|");
    const value = (p: CurvePoint) => (raw ? p.score : p.normalized ?? p.score);
    const { mean, std } = meanStd(rs.map((r) => value(r.final)));
    const withMany = rs.filter((r) => r.finalMany);
    const many = withMany.length === rs.length
      ? { ...meanStd(withMany.map((r) => value(r.finalMany!))), episodes: withMany[0].finalMany!.episodes }
      : null;
    return {
      quality,
      task,
      algo,
      mean,
      std,
      n: rs.length,
      paper: paper?.[quality]?.[task]?.[algo] ?? null,
      many,
    };
  });
}

/**
 * The printed table: a row per quality and task, a column per label, mean ± std (n when seeds are missing),
 * the paper's value in brackets, * on the row's best, then the count of rows keeping the paper's ordering.
 * `pick` chooses which numbers of a cell are shown.
 */
function tableLines(
  cells: TableCell[],
  c: GridConfig,
  cols: string[],
  pick: (x: TableCell) => TableCell,
): string[] {
  const at = (q: string, t: string, a: string) => {
    const x = cells.find((x) => x.quality === q && x.task === t && x.algo === a);
    return x && pick(x);
  };
  const qw = Math.max(14, ...c.qualities.map((q) => q.length + 2));
  const lines = [`${"quality".padEnd(qw)}${"task".padEnd(24)}` + cols.map((a) => a.padEnd(28)).join("")];
  let kept = 0, rows = 0;
  for (const q of c.qualities) {
    for (const t of c.tasks) {
      const row = cols.map((a) => at(q, t, a));
      const best = Math.max(...row.map((x) => x?.mean ?? -Infinity));
      lines.push(
        `${q.padEnd(qw)}${t.padEnd(24)}` + row.map((x) => {
          if (!x) return "n/a".padEnd(28);
          const p = x.paper ? ` [${x.paper[0]}±${x.paper[1]}]` : "";
          const n = x.n < c.seeds ? ` n=${x.n}` : ""; // a partial report: fewer seeds finished
          return `${x.mean === best ? "*" : " "}${x.mean.toFixed(1)}±${x.std.toFixed(1)}${n}${p}`.padEnd(28);
        }).join(""),
      );
      const m = (a: string) => at(q, t, a)?.mean;
      const [o, cq, bc, ic] = [m("OMAR"), m("MA-CQL"), m("MA-TD3+BC"), m("MA-ICQ")];
      if ([o, cq, bc, ic].every((v) => v !== undefined)) {
        rows++;
        if (o! > cq! && cq! > bc! && cq! > ic!) kept++;
      }
    }
  }
  if (rows > 0) {
    lines.push(`rows keeping the paper's ordering OMAR > MA-CQL > {MA-TD3+BC, MA-ICQ}: ${kept} of ${rows}`);
  }
  const far = cells.map(pick).filter((x) => x.paper && Math.abs(x.mean - x.paper[0]) > 2 * x.paper[1]);
  if (far.length > 0) {
    lines.push(
      `${far.length} of ${
        cells.filter((x) => x.paper).length
      } cells lie more than two of the paper's standard ` +
        `deviations from its mean: ${
          far.map((x) => `${x.quality}/${x.task}/${x.algo} ${x.mean.toFixed(1)} vs ${x.paper![0]}`).join("; ")
        }`,
    );
  }
  return lines;
}

/** A quality as a figure shows it: `full-replay-10pct` → `full-replay 10%`. */
const displayQuality = (q: string) => q.replace(/-([\d.]+)pct$/, " $1%");

/** Prints the table in the paper's layout, writes CSV, JSON and a figure; returns the printed text. */
export async function reportGrid(
  title: string,
  c: GridConfig,
  results: RunResult[],
  missing: string[],
  outDir: string,
  paper: typeof PAPER_TABLE1 | null,
  raw = false,
): Promise<string> {
  const cells = gridCells(results, paper, raw);
  const cols = gridColumns(c).map((col) => col.label);
  const lines = [
    title,
    `(${raw ? "raw" : "normalised"} score, final evaluation on ${c.evalEpisodes} episodes${
      c.evaluation === "authors" ? " (the authors' episodes of each seed)" : ""
    }, mean ± std over seeds; paper's in brackets; * best in row)`,
    ...tableLines(cells, c, cols, (x) => x),
  ];
  if (cells.length > 0 && cells.every((x) => x.many)) {
    lines.push(
      "",
      `The same final policies, each scored on ${
        cells[0].many!.episodes
      } fresh episodes (no 10-episode noise):`,
      ...tableLines(cells, c, cols, (x) => ({ ...x, ...x.many! })),
    );
  }
  if (missing.length) {
    lines.push(
      `n/a: ${missing.join(", ")} — no behaviour ladder yet (deno task behaviour train TASK [--prey kit])`,
    );
  }
  await Deno.mkdir(outDir, { recursive: true });
  const csv = ["quality,task,algo,mean,std,n,paper_mean,paper_std,many_mean,many_std,many_episodes"]
    .concat(
      cells.map((x) =>
        [
          x.quality,
          x.task,
          x.algo,
          x.mean,
          x.std,
          x.n,
          x.paper?.[0] ?? "",
          x.paper?.[1] ?? "",
          x.many?.mean ?? "",
          x.many?.std ?? "",
          x.many?.episodes ?? "",
        ].join(",")
      ),
    )
    .join("\n") + "\n";
  await writeFileAtomic(join(outDir, "table.csv"), csv);
  await writeFileAtomic(
    join(outDir, "table.json"),
    JSON.stringify({ title, config: c, cells, missing }, null, 2) + "\n",
  );
  await writeFileAtomic(join(outDir, "table.txt"), lines.join("\n") + "\n");
  if (cells.length > 0) {
    // Laid out as the paper's tables read: a panel per task, qualities along the axis, the paper's marks.
    const spec = gridFigure(
      cells.map((x) => ({
        panel: x.task,
        x: displayQuality(x.quality),
        series: x.algo,
        mean: x.mean,
        std: x.std,
        paper: x.paper,
      })),
      {
        title,
        yTitle: raw ? "score" : "normalised score",
        panels: c.tasks,
        xs: c.qualities.map(displayQuality),
        series: cols,
        // raw scores of different tasks (e.g. Spread with n agents) have different ranges
        independentY: raw,
      },
    );
    await writeFigure(join(outDir, "figure"), spec);
  }
  return lines.join("\n");
}
