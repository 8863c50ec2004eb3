/**
 * `deno task fidelity run|report …`: the kit against the authors' own code on the very same dataset files
 * (issue #15). `run` trains the authors' implementation (`../shared/duel/official_omar_eval.py`, their
 * `algorithms/maddpg.py` imported at run time from a checkout) on the datasets a paper-profile
 * `reproduce table1` cached, for each cell below, seed and minibatch mode; `report` sets those scores beside
 * the kit's own Table 1 runs of the same cells, seeds and modes (found in the same `--out`), and the paper's.
 *
 *   run    --out DIR --omar-src PATH [--seeds 2] [--duel ../shared/duel]   (resumable; one run at a time)
 *   report --out DIR [--json FILE]
 *
 * Both sides evaluate with `main.py`'s protocol (10 episodes of the seed's own NumPy stream, seed + 100,
 * every 10 rounds) and normalise with the references each dataset records; the kit also scores its final
 * policy on 1000 fresh episodes. Results of `run` go to `DIR/fidelity/<cell>_s<seed>_<mode>.json`.
 *
 * @module
 */
import { join } from "node:path";
import { intFlag, type ParsedArgs, parseFlags, runMain } from "../lib/util/cli.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { readJsonFile, writeFileAtomic } from "../lib/util/fs.ts";
import { taskProfile } from "../lib/tasks/profiles.ts";
import { NAMES, PAPER_TABLE1 } from "../lib/experiments/grid.ts";
import { REPO_ROOT } from "../lib/util/repo.ts";
import type { RunResult } from "../lib/experiments/runs.ts";

/** The cells issue #15 re-measures: where the kit and the authors' code first looked far apart. */
const CELLS = [
  { task: "world", quality: "random", algo: "omar" },
  { task: "predator_prey", quality: "random", algo: "omar" },
  { task: "predator_prey", quality: "medium-replay", algo: "omar" },
  { task: "world", quality: "medium-replay", algo: "cql" },
  { task: "world", quality: "medium-replay", algo: "omar" },
  { task: "predator_prey", quality: "medium-replay", algo: "cql" },
  { task: "cooperative_navigation", quality: "expert", algo: "omar" },
] as const;
type FidelityCell = (typeof CELLS)[number];
const MODES = ["reseed", "fresh"] as const;

const USAGE = `usage:
  deno task fidelity run    --out DIR --omar-src PATH [--seeds 2] [--duel ../shared/duel]
  deno task fidelity report --out DIR [--json FILE]`;

const cellName = (c: FidelityCell) => `${c.task}_${c.quality}_${c.algo}`;
const resultPath = (out: string, c: FidelityCell, seed: number, mode: string) =>
  join(out, "fidelity", `${cellName(c)}_s${seed}_${mode}.json`);

/** The folder holding `<env_id>/<quality>/seed_<k>_data` for a cell and seed among `DIR/datasets/*`. */
function datasetRoot(out: string, c: FidelityCell, seed: number): string {
  const envId = taskProfile(c.task).envId;
  const base = join(out, "datasets");
  const folders = (() => {
    try {
      return [...Deno.readDirSync(base)];
    } catch {
      return [];
    }
  })();
  for (const e of folders) {
    if (!e.isDirectory || !/^n1000000(-|$)/.test(e.name)) continue;
    try {
      Deno.statSync(join(base, e.name, envId, c.quality, `seed_${seed}_data`, "manifest.json"));
      return join(base, e.name);
    } catch { /* not in this folder */ }
  }
  throw new KitInputError(
    `no 1M-sample ${c.task} ${c.quality} dataset of seed ${seed} under ${base}: run ` +
      `\`deno task reproduce table1 --profile paper --out ${out}\` first (it caches the datasets)`,
  );
}

async function runAuthors(flags: ParsedArgs["flags"]): Promise<void> {
  const out = String(flags.out ?? "");
  const omarSrc = String(flags["omar-src"] ?? "");
  if (!out || !omarSrc) throw new KitInputError(`fidelity run needs --out and --omar-src\n${USAGE}`);
  const duel = String(flags.duel ?? join(REPO_ROOT, "..", "shared", "duel"));
  const seeds = intFlag(flags, "seeds", 2);
  // every dataset is found before anything is written
  const plan = [...Array(seeds).keys()].flatMap((seed) =>
    MODES.flatMap((mode) => CELLS.map((c) => ({ c, seed, mode, root: datasetRoot(out, c, seed) })))
  );
  await Deno.mkdir(join(out, "fidelity"), { recursive: true });
  for (const { c, seed, mode, root } of plan) {
    const path = resultPath(out, c, seed, mode);
    if (await readJsonFile(path) !== null) continue;
    const envId = taskProfile(c.task).envId;
    const manifest = JSON.parse(
      await Deno.readTextFile(join(root, envId, c.quality, `seed_${seed}_data`, "manifest.json")),
    );
    const refs = manifest.meta.referenceScores;
    console.log(
      `${new Date().toISOString()} authors' ${c.algo} on ${c.task} ${c.quality} seed ${seed} ${mode}`,
    );
    const r = await new Deno.Command("/usr/bin/python3", {
      args: [
        join(duel, "official_omar_eval.py"),
        ...["--omar-src", omarSrc, "--stub", join(duel, "stub"), "--dataset", root, "--task", envId],
        ...["--quality", c.quality, "--seed", String(seed), "--mode", c.algo, "--json"],
        ...["--ref-random", String(refs.random), "--ref-expert", String(refs.expert)],
        ...(mode === "fresh" ? ["--fresh-minibatches"] : []),
      ],
      env: { OPENBLAS_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!r.success) throw new Error(`the authors' run failed (exit ${r.code}) for ${path}`);
    const text = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1)!;
    await writeFileAtomic(path, text + "\n");
  }
}

interface Side {
  /** Score of the final policy on `main.py`'s 10 episodes, per seed (null where not run yet). */
  final: (number | null)[];
  /** The kit only: the same policy on 1000 fresh episodes. */
  many?: (number | null)[];
}

/** Every finished kit run of Table 1's paper profile, keyed by cell, seed and minibatch mode. */
async function kitRuns(out: string): Promise<Map<string, { final: number; many: number }>> {
  const found = new Map<string, { final: number; many: number }>();
  for await (const e of Deno.readDir(join(out, "runs"))) {
    const result = await readJsonFile<RunResult>(join(out, "runs", e.name, "result.json")).catch(() => null);
    const s = result?.spec;
    if (
      !result?.final.normalized || !result.finalMany?.normalized || s?.preset !== "official" ||
      s.dataset.samples !== 1_000_000 || s.budget.evaluation !== "authors" ||
      Object.keys(s.options ?? {}).some((k) => k !== "critic")
    ) continue;
    const key = `${s.dataset.task}_${s.dataset.quality}_${s.algo}_s${s.seed}_${
      s.budget.minibatches ?? "fresh"
    }`;
    found.set(key, { final: result.final.normalized, many: result.finalMany.normalized });
  }
  return found;
}

async function report(flags: ParsedArgs["flags"]): Promise<void> {
  const out = String(flags.out ?? "");
  if (!out) throw new KitInputError(`fidelity report needs --out\n${USAGE}`);
  const kit = await kitRuns(out);
  const rows = [];
  for (const c of CELLS) {
    const seeds = [0, 1];
    const sides: Record<string, Side> = {};
    for (const mode of MODES) {
      sides[`kit ${mode}`] = {
        final: seeds.map((k) => kit.get(`${cellName(c)}_s${k}_${mode}`)?.final ?? null),
        many: seeds.map((k) => kit.get(`${cellName(c)}_s${k}_${mode}`)?.many ?? null),
      };
      const authors = await Promise.all(
        seeds.map((k) => readJsonFile<{ final_normalized: number }>(resultPath(out, c, k, mode))),
      );
      sides[`authors ${mode}`] = { final: authors.map((a) => a?.final_normalized ?? null) };
    }
    const paper = PAPER_TABLE1[c.quality][c.task][NAMES[c.algo]];
    rows.push({ ...c, paper, sides });
  }
  const fmt = (xs: (number | null)[]) => xs.map((x) => x === null ? "–" : x.toFixed(1)).join(" / ");
  const columns = ["kit fresh", "authors fresh", "kit reseed", "authors reseed"];
  console.log(`| cell | ${columns.join(" | ")} | paper |`);
  console.log(`|${" --- |".repeat(columns.length + 2)}`);
  for (const r of rows) {
    const cells = columns.map((k) =>
      fmt(r.sides[k].final) + (r.sides[k].many ? ` (1000 ep.: ${fmt(r.sides[k].many!)})` : "")
    );
    console.log(
      `| ${r.task} ${r.quality}, ${NAMES[r.algo]} | ${cells.join(" | ")} | ${r.paper[0]} ± ${r.paper[1]} |`,
    );
  }
  if (flags.json) await writeFileAtomic(String(flags.json), JSON.stringify(rows, null, 1) + "\n");
}

if (import.meta.main) {
  await runMain(async () => {
    const { positionals, flags } = parseFlags(Deno.args, {
      out: { type: "string" },
      "omar-src": { type: "string" },
      duel: { type: "string" },
      seeds: { type: "string" },
      json: { type: "string" },
    });
    if (positionals[0] === "run") await runAuthors(flags);
    else if (positionals[0] === "report") await report(flags);
    else {throw new KitInputError(
        `fidelity: expected run or report, got ${JSON.stringify(positionals[0])}\n${USAGE}`,
      );}
  });
}
