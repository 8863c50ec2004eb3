/**
 * `deno task behaviour …`: behaviour policies for the kit's datasets.
 *
 *   train TASK [--prey original|kit] [--updates N] [--critic decentralized|centralized] [--state-critic] [--seed S]
 *              [--snapshot-every N] [--checkpoint-dir DIR] [--out fixtures/behaviour]
 *        online ITD3 until N update rounds, a ladder of snapshots with their scores; resumable from the
 *        checkpoint folder (default cache/behaviour/<tag>_seed<S>_<hash of the settings>), which refuses a
 *        run with other settings or fewer updates than it holds
 *   train-prey TASK [--updates N] [--seed S]
 *        trains predators and prey together and freezes the prey as fixtures/prey/TASK.json
 *   show TASK [--prey original|kit]      prints a ladder
 *   thin TASK [--prey original|kit] --dense-until N --every K
 *        keeps every snapshot up to N updates, then one per K (and the last); rewrites the ladder
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { intFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { ensureWritableDir } from "../lib/util/fs.ts";
import { checkName, KitInputError } from "../lib/util/errors.ts";
import { Progress } from "../lib/util/progress.ts";
import { REPO_ROOT } from "../lib/util/repo.ts";
import { loadPrey, PREY_SOURCES, type PreySource } from "../lib/envs/mod.ts";
import { asEnvTask } from "../lib/envs/env_task.ts";
import { loadTask } from "../lib/mujoco/tasks.ts";
import { initBackend } from "../lib/nn/backend.ts";
import { type OnlineOptions, onlinePreset, onlineSettingsKey, trainOnline } from "../lib/behaviour/online.ts";
import { ladderPath, readLadder, writeLadder, writePrey } from "../lib/behaviour/store.ts";
import { thinLadder } from "../lib/behaviour/ladder.ts";
import { taskProfile } from "../lib/tasks/profiles.ts";

const USAGE = `usage:
  deno task behaviour train TASK [--prey original|kit] [--updates N] [--critic decentralized|centralized] [--state-critic]
                           [--seed 0] [--snapshot-every N] [--checkpoint-dir DIR] [--out fixtures/behaviour]
  deno task behaviour train-prey TASK [--updates N] [--seed 0]
  deno task behaviour show TASK [--prey original|kit]
  deno task behaviour thin TASK [--prey original|kit] --dense-until N --every K [--out fixtures/behaviour]`;

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    prey: { type: "string", default: "original" },
    updates: { type: "string" },
    critic: { type: "string" },
    "state-critic": { type: "boolean" },
    seed: { type: "string" },
    "snapshot-every": { type: "string" },
    "dense-until": { type: "string" },
    every: { type: "string" },
    "checkpoint-dir": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help || positionals.length === 0) return console.log(USAGE);
  const command = checkName("behaviour command", positionals[0], ["train", "train-prey", "show", "thin"]);
  if (positionals.length !== 2) throw new KitInputError(`${command} needs a task\n${USAGE}`);
  const anyTask = await loadTask(positionals[1]);
  const task = asEnvTask(anyTask);
  const preySource = task.prey === null
    ? null
    : checkName("prey source", flags.prey as string, PREY_SOURCES) as PreySource;
  if (command === "show") {
    const ladder = await readLadder(ladderPath(task.name, preySource, flags.out as string | undefined));
    console.log(`${ladder.task} (prey ${ladder.preySource ?? "–"}): ${ladder.snapshots.length} snapshots`);
    console.log("updates   env steps   score ± std");
    for (const s of ladder.snapshots) {
      console.log(
        `${String(s.updates).padStart(7)} ${String(s.envSteps).padStart(11)}   ${s.score.toFixed(1)} ± ${
          s.scoreStd.toFixed(1)
        }`,
      );
    }
    return;
  }
  if (command === "thin") {
    const denseUntil = intFlag(flags, "dense-until", 0, 0), every = intFlag(flags, "every", 1);
    const path = ladderPath(task.name, preySource, flags.out as string | undefined);
    const before = await readLadder(path);
    const ladder = thinLadder(before, { denseUntil, every });
    await writeLadder(path, ladder);
    return console.log(
      `${path}: kept ${ladder.snapshots.length} of ${before.snapshots.length} snapshots${indexHint(path)}`,
    );
  }
  const updates = intFlag(flags, "updates", taskProfile(task.name).behaviourUpdates);
  const seed = intFlag(flags, "seed", 0, 0);
  const snapshotEvery = intFlag(flags, "snapshot-every", Math.max(100, Math.round(updates / 30)));
  const trainPrey = command === "train-prey";
  if (trainPrey && task.prey === null) throw new KitInputError(`task ${task.name} has no prey to train`);
  const preset = onlinePreset(task.name);
  const stateCritic = (flags["state-critic"] as boolean | undefined) ?? preset.stateCritic ?? false;
  const critic = checkName(
    "critic",
    (flags.critic as string | undefined) ?? preset.critic ?? "decentralized",
    ["decentralized", "centralized"] as const,
  );
  const options: OnlineOptions = {
    ...preset,
    stateCritic,
    updates,
    critic,
    seed,
    snapshotEvery,
    trainPrey,
    prey: trainPrey || task.prey === null || !("world" in anyTask)
      ? null
      : await loadPrey(anyTask, { source: preySource! }),
    preySource,
  };
  // where the result goes, checked before training rather than after it
  const path = trainPrey
    ? join(REPO_ROOT, "fixtures", "prey", `${task.name}.json`)
    : ladderPath(task.name, preySource, flags.out as string | undefined);
  await ensureWritableDir(dirname(path), trainPrey ? "prey folder" : "--out");
  // the default checkpoint folder is named by a hash of every setting that shapes it, so runs with other
  // settings (critic kind, prey, network sizes, ...) never meet one another's checkpoints
  const base = trainPrey ? `${task.name}_prey` : preySource ? `${task.name}_${preySource}` : task.name;
  const tag = stateCritic ? `${base}_statecritic` : base;
  const checkpointDir = flags["checkpoint-dir"] !== undefined
    ? await ensureWritableDir(flags["checkpoint-dir"] as string, "--checkpoint-dir")
    : await ensureWritableDir(
      join("cache", "behaviour", `${tag}_seed${seed}_${await onlineSettingsKey(anyTask, options)}`),
      "checkpoint folder",
    );
  await initBackend();
  const bar = new Progress(`${command} ${tag}`, updates, { lineEverySeconds: 30 });
  let last = 0;
  const ladder = await trainOnline(anyTask, {
    ...options,
    checkpointDir,
    onUpdate: (n) => (bar.tick(n - last), last = n),
    onSnapshot: (s) =>
      console.log(
        `\nsnapshot: ${s.updates} updates, ${s.envSteps} env steps, score ${s.score.toFixed(1)} ± ${
          s.scoreStd.toFixed(1)
        }`,
      ),
  });
  bar.finish();
  if (trainPrey) {
    const final = ladder.snapshots[ladder.snapshots.length - 1];
    await writePrey(path, final.policies[task.prey!], {
      task: task.name,
      updates,
      seed,
      kitVersion: ladder.kitVersion,
    });
    console.log(`wrote the kit's prey to ${path}${indexHint(path)}`);
    return;
  }
  await writeLadder(path, ladder);
  console.log(`wrote ${ladder.snapshots.length} snapshots to ${path}${indexHint(path)}`);
});

/** A reminder to update the data index when a file of the repository's `fixtures/` changed. */
function indexHint(path: string): string {
  return resolve(path).startsWith(join(REPO_ROOT, "fixtures"))
    ? "\n(update fixtures/index.json: `deno task publish-check --write-index`)"
    : "";
}
