// D4RL's Maze2D data generator (lib/mujoco/maze2d_data.ts): determinism, D4RL's row layout and its
// stale-observation quirk, rewards recomputed independently (targets replayed from their stream), the
// controller's actions and noise replayed, routes, reaching targets, and bad options.
import { assert, assertClose, assertEquals, assertThrows } from "./assert.ts";
import { type AgentData, episodeStarts, validateDataset } from "../lib/data/dataset.ts";
import { makeMaze2d, MAZE2D_LAYOUTS, type Maze2dEnv, mazeCells, planRoute } from "../lib/mujoco/maze2d.ts";
import {
  d4rlRoute,
  d4rlWaypointController,
  maze2dDataset,
  type Maze2dDatasetOptions,
} from "../lib/mujoco/maze2d_data.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/rng.ts";
import { KIT_VERSION } from "../lib/util/version.ts";

/** Runs `body` with a fresh env and always disposes it. */
async function withEnv(
  layout: "umaze" | "medium" | "large",
  body: (env: Maze2dEnv) => void,
): Promise<void> {
  const env = await makeMaze2d(layout);
  try {
    body(env);
  } finally {
    env.dispose();
  }
}

const row = (a: Float32Array, k: number, dim: number) => Array.from(a.subarray(dim * k, dim * (k + 1)));

/** Per row, the target in force: the first draw of `maze2d-data-target`, then one more after each done row. */
function replayTargets(env: Maze2dEnv, a: AgentData, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed, "maze2d-data-target"), cells = env.cells.resetCells;
  const draw = (): [number, number] => {
    const [i, j] = cells[rng.int(cells.length)];
    return [i + rng.uniformRange(-0.1, 0.1), j + rng.uniformRange(-0.1, 0.1)];
  };
  const out = new Float64Array(a.timeouts.length * 2);
  let t = draw();
  for (let k = 0; k < a.timeouts.length; k++) {
    out.set(t, 2 * k);
    if (a.timeouts[k]) t = draw();
  }
  return out;
}

/** Per row, D4RL's `ts`: steps since the last done row. */
function stepsInEpisode(a: AgentData): Int32Array {
  const ts = new Int32Array(a.timeouts.length);
  for (let k = 1; k < ts.length; k++) ts[k] = a.timeouts[k - 1] ? 0 : ts[k - 1] + 1;
  return ts;
}

Deno.test("maze2dDataset: one agent, D4RL's meta and references, valid; same seed same arrays, other seed differs", () =>
  withEnv("umaze", (env) => {
    const goalBefore = Array.from(env.target);
    const ds = maze2dDataset(env, { samples: 2000, seed: 3 });
    assertEquals(Array.from(env.target), goalBefore, "the env's target is restored");
    validateDataset(ds, "maze2d");
    assertEquals(ds.size, 2000);
    assertEquals(ds.agents.length, 1);
    const a = ds.agents[0];
    assertEquals([a.obsDim, a.actDim, a.obs.length, a.actions.length], [4, 2, 8000, 4000]);
    const m = ds.meta;
    assertEquals(
      [m.task, m.quality, m.seed, m.preySource, m.episodeLength, m.kitVersion],
      ["maze2d_umaze_dense", "waypoint", 3, null, 300, KIT_VERSION],
    );
    assertEquals(m.referenceScores, {
      random: 68.537689,
      expert: 193.66285642381482,
      source: "D4RL ref_min / ref_max",
    });
    assertEquals(m.extra?.generator, "d4rl generate_maze2d_datasets.py");
    assertEquals([m.extra?.sigma, m.extra?.rewardLabels], [0.5, "goal"]);
    assert(m.behaviourPolicy.includes("N(0, 0.5²)"), m.behaviourPolicy);
    const again = maze2dDataset(env, { samples: 2000, seed: 3 });
    assertEquals(again.agents[0], a, "same seed, same arrays");
    const other = maze2dDataset(env, { samples: 2000, seed: 4 }).agents[0];
    for (const key of ["obs", "actions", "rewards", "nextObs"] as const) {
      assert(other[key].some((v, i) => v !== a[key][i]), `seed 4's ${key} differ from seed 3's`);
    }
  }));

Deno.test("rows chain: nextObs[k] = obs[k+1], except after a done row, whose obs repeats (D4RL's quirk) while the ball steps on from its nextObs", () =>
  withEnv("umaze", (env) => {
    const n = 4000;
    const a = maze2dDataset(env, { samples: n, seed: 1 }).agents[0];
    assert(a.terminals.every((v) => v === 0), "no terminals");
    const dones: number[] = [];
    for (let k = 0; k + 1 < n; k++) {
      if (a.timeouts[k]) {
        dones.push(k);
        assertEquals(row(a.obs, k + 1, 4), row(a.obs, k, 4), `row ${k + 1} repeats done row ${k}'s obs`);
      } else {
        assertEquals(row(a.obs, k + 1, 4), row(a.nextObs, k, 4), `row ${k + 1} starts where row ${k} ended`);
      }
    }
    assert(dones.length > 20, `several done rows (${dones.length})`);
    const starts = episodeStarts({ size: n, agents: [a], meta: null as never });
    for (let e = 1; e < starts.length; e++) {
      assert(starts[e] - starts[e - 1] <= 301, "an episode has at most H + 1 rows");
    }
    // The env was never reset: stepping from a done row's nextObs with the next row's action gives the next
    // row's nextObs (float32 states, hence the tolerance).
    for (const k of dones.slice(0, 8)) {
      const s = row(a.nextObs, k, 4);
      env.setState([s[0], s[1]], [s[2], s[3]]);
      env.restartClock();
      const next = env.step([row(a.actions, k + 1, 2)]).obs[0];
      row(a.nextObs, k + 1, 4).forEach((v, i) => assertClose(next[i], v, 1e-4, `row ${k + 1} nextObs[${i}]`));
    }
  }));

Deno.test("rewards: goal labels exp(−‖obs − goal‖) (D4RL's relabelling), target labels exp(−‖nextObs − target‖) with targets replayed; done rows reached the target's cell", () =>
  withEnv("medium", (env) => {
    const n = 3000, seed = 2;
    const goal = maze2dDataset(env, { samples: n, seed }).agents[0];
    const target = maze2dDataset(env, { samples: n, seed, rewardLabels: "target" }).agents[0];
    assertEquals([target.obs, target.actions, target.timeouts], [goal.obs, goal.actions, goal.timeouts]);
    const [gx, gy] = env.cells.goal;
    assertEquals([gx, gy], [6, 6]);
    const targets = replayTargets(env, target, seed), ts = stepsInEpisode(target);
    let reached = 0;
    for (let k = 0; k < n; k++) {
      const o = row(goal.obs, k, 4), no = row(target.nextObs, k, 4);
      const [tx, ty] = [targets[2 * k], targets[2 * k + 1]];
      assertClose(goal.rewards[k], Math.exp(-Math.hypot(o[0] - gx, o[1] - gy)), 1e-6, `goal reward row ${k}`);
      assertClose(
        target.rewards[k],
        Math.exp(-Math.hypot(no[0] - tx, no[1] - ty)),
        1e-6,
        `target reward ${k}`,
      );
      if (target.timeouts[k] && ts[k] < 600) {
        reached++;
        const d = Math.hypot(o[0] - Math.round(tx), o[1] - Math.round(ty));
        assert(d < 0.1, `done row ${k} (step ${ts[k]}) is ${d} from its target's cell`);
      }
    }
    assert(reached > 5, `targets reached in medium: ${reached}`);
    assert(goal.rewards.some((r, k) => r !== target.rewards[k]), "the two labellings differ");
  }));

Deno.test("actions: sigma 0 gives D4RL's controller's actions; sigma 0.5 adds the noise stream's N(0, 0.25), clipped", () =>
  withEnv("umaze", (env) => {
    const n = 3000, seed = 5;
    for (const sigma of [0, 0.5]) {
      const a = maze2dDataset(env, { samples: n, seed, sigma }).agents[0];
      assert(a.actions.every((v) => v >= -1 && v <= 1), "actions within [−1, 1]");
      const targets = replayTargets(env, a, seed);
      const ctrl = d4rlWaypointController("umaze", Rng.fromSeed(seed, "maze2d-data-waypoint"));
      const noise = Rng.fromSeed(seed, "maze2d-data-noise");
      const out = new Float64Array(2);
      let unclipped = 0, jittered = 0;
      for (let k = 0; k < n; k++) {
        const [x, y, vx, vy] = row(a.obs, k, 4);
        ctrl.act(x, y, vx, vy, targets[2 * k], targets[2 * k + 1], out);
        const expected = sigma === 0
          ? [out[0], out[1]]
          : [out[0] + sigma * noise.normal(), out[1] + sigma * noise.normal()].map((v) =>
            Math.max(-1, Math.min(1, v))
          );
        const got = row(a.actions, k, 2);
        assertClose(got[0], expected[0], 1e-5, `row ${k} action x (sigma ${sigma})`);
        assertClose(got[1], expected[1], 1e-5, `row ${k} action y (sigma ${sigma})`);
        if (sigma === 0 && Math.abs(got[0]) < 0.999 && Math.abs(got[1]) < 0.999) {
          // Independently of the controller's code: an unclipped a = 10·(w − pos) − vel steers at a waypoint w
          // that is a free cell (the target's) or one jittered by up to −0.2 per coordinate.
          unclipped++;
          const w = [x + (got[0] + vx) / 10, y + (got[1] + vy) / 10];
          const ok = mazeCells(MAZE2D_LAYOUTS.umaze).resetCells.some(([i, j]) =>
            w[0] <= i + 1e-5 && w[0] >= i - 0.2 - 1e-5 && w[1] <= j + 1e-5 && w[1] >= j - 0.2 - 1e-5
          );
          assert(ok, `row ${k}: the waypoint ${w} is not a (jittered) free cell`);
          if (w.every((v) => Math.abs(v - Math.round(v)) > 0.01)) jittered++;
        }
      }
      if (sigma === 0) {
        assert(unclipped > 100, `unclipped actions checked: ${unclipped}`);
        assert(jittered > 10, `actions steering at jittered waypoints: ${jittered}`);
      }
    }
  }));

Deno.test("d4rlRoute: shortest paths as planRoute's, D4RL's tie order (−j, +j, −i, +i), out of a wall cell; errors", () => {
  const medium = MAZE2D_LAYOUTS.medium, cells = mazeCells(medium).resetCells;
  for (const s of cells) {
    for (const t of cells) {
      const route = d4rlRoute(medium, s, t);
      const same = s[0] === t[0] && s[1] === t[1];
      assertEquals(route.length, same ? 1 : planRoute(medium, s, t).length, `route ${s} → ${t}`);
      assertEquals(route.at(-1), [t[0], t[1]]);
    }
  }
  assertEquals(d4rlRoute(medium, [1, 1], [2, 2]), [[1, 2], [2, 2]], "+j before +i");
  assertEquals(
    planRoute(medium, [1, 1], [2, 2]),
    [[2, 1], [2, 2]],
    "the kit's planner breaks the tie the other way",
  );
  assertEquals(d4rlRoute("umaze", [3, 1], [1, 1]), [[3, 2], [3, 3], [2, 3], [1, 3], [1, 2], [1, 1]]);
  assertEquals(d4rlRoute("umaze", [2, 2], [1, 1]), [[1, 2], [1, 1]], "from wall cell (2, 2)");
  assertThrows(() => d4rlRoute("umaze", [1, 1], [2, 2]), KitInputError, "target in a wall");
  assertThrows(() => d4rlRoute("umaze", [9, 1], [1, 1]), KitInputError, "start off the grid");
});

Deno.test("umaze, sigma 0: the ball reaches target after target, well before the 300-step horizon", () =>
  withEnv("umaze", (env) => {
    const progress: [number, number][] = [];
    const ds = maze2dDataset(env, {
      samples: 20_000,
      sigma: 0,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assertEquals(progress, [[10_000, 20_000], [20_000, 20_000]]);
    const a = ds.agents[0], ts = stepsInEpisode(a);
    const lengths: number[] = [];
    for (let k = 0; k < ds.size; k++) if (a.timeouts[k]) lengths.push(ts[k] + 1);
    lengths.sort((x, y) => x - y);
    assert(lengths.length > 150, `targets reached in 20k rows: ${lengths.length}`);
    assert(lengths.at(-1)! < 300, `every episode ended by reaching its target (longest ${lengths.at(-1)})`);
    assert(lengths[lengths.length >> 1] < 120, `median episode ${lengths[lengths.length >> 1]} steps`);
    assertEquals([ds.meta.extra?.targetsReached, ds.meta.extra?.horizonCuts], [lengths.length, 0]);
    assert(ds.meta.behaviourPolicy.includes("no action noise"));
  }));

Deno.test("noisy medium data: mean reward against the moving target well above uniform-random actions'", () =>
  withEnv("medium", (env) => {
    const n = 20_000, randomSteps = 60 * 600;
    const ds = maze2dDataset(env, { samples: n, seed: 0, rewardLabels: "target" });
    const mean = ds.agents[0].rewards.reduce((s, r) => s + r, 0) / n;
    // Uniform random actions under the same kind of targets: a random target and start per 600-step episode.
    const rng = Rng.fromSeed(0, "test-random"), cells = env.cells.resetCells;
    let sum = 0;
    for (let t = 0; t < randomSteps; t++) {
      if (t % 600 === 0) {
        const [i, j] = cells[rng.int(cells.length)];
        env.setTarget(i + rng.uniformRange(-0.1, 0.1), j + rng.uniformRange(-0.1, 0.1));
        env.reset(rng);
      }
      sum += env.step([[rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)]]).rewards[0];
    }
    const random = sum / randomSteps;
    assert(mean > 1.5 * random, `waypoint data ${mean.toFixed(4)} vs random ${random.toFixed(4)}`);
  }));

Deno.test("maze2dDataset: bad options throw KitInputError naming the option", () =>
  withEnv("umaze", (env) => {
    const bad: [Maze2dDatasetOptions, RegExp][] = [
      [{ samples: 0 }, /samples must be a positive integer, got 0/],
      [{ samples: 2.5 }, /samples/],
      [{ samples: -3 }, /samples/],
      [{ samples: NaN }, /samples/],
      [{ sigma: -0.1 }, /sigma must be a finite number ≥ 0, got -0.1/],
      [{ sigma: NaN }, /sigma/],
      [{ sigma: Infinity }, /sigma/],
      [{ seed: NaN }, /seed must be a finite number/],
      [{ rewardLabels: "next" as "goal" }, /rewardLabels "next"; expected one of: goal, target/],
      [{ onProgress: 3 as never }, /onProgress must be a function/],
    ];
    for (const [options, message] of bad) {
      assertThrows(
        () => maze2dDataset(env, options),
        (e: unknown) => e instanceof KitInputError && message.test(e.message),
      );
    }
    assertThrows(() => maze2dDataset({} as Maze2dEnv), KitInputError);
  }));

Deno.test("horizon: an episode that does not reach its target is cut at ts = H, so it has H + 1 rows", async () => {
  const env = await makeMaze2d({ ...MAZE2D_LAYOUTS.medium, episodeLength: 20 });
  try {
    const ds = maze2dDataset(env, { samples: 3000, seed: 0 });
    assertEquals(ds.meta.episodeLength, 20);
    const a = ds.agents[0], ts = stepsInEpisode(a);
    let cut = 0;
    for (let k = 0; k < ds.size; k++) {
      assert(ts[k] <= 20, `row ${k} is step ${ts[k]}`);
      if (ts[k] === 20) {
        assertEquals(a.timeouts[k], 1, `row ${k}, step 20, is a cut`);
        cut++;
      }
    }
    assert(cut > 50, `episodes cut: ${cut}`);
    const extra = ds.meta.extra!;
    assertEquals(
      (extra.horizonCuts as number) + (extra.targetsReached as number),
      a.timeouts.reduce((s, v) => s + v, 0),
    );
    assert((extra.horizonCuts as number) >= cut - 5 && (extra.horizonCuts as number) <= cut, "cuts counted");
  } finally {
    env.dispose();
  }
});
