/**
 * D4RL's Maze2D datasets, regenerated: `scripts/generation/generate_maze2d_datasets.py` (D4RL's hdf5 files
 * are not reachable) with D4RL's own waypoint controller (`d4rl/pointmaze/waypoint_controller.py`) and
 * the reward relabelling of `scripts/generation/relabel_maze2d_rewards.py`, on the kit's {@link Maze2dEnv}
 * and seeded streams instead of NumPy's global generator.
 *
 * {@link d4rlWaypointController} is D4RL's controller as written, which differs from the kit's
 * `waypointPolicy` (a cleaned-up version for evaluation) in four ways that shape the data:
 * - it steers to the target's *cell* (`round(target)`), not to the exact target, and reports "done" when
 *   the ball is within 0.1 of that cell and moved less than 0.1 since the previous call;
 * - every waypoint before the target cell is jittered, `cell − 0.2·U(0, 1)²`;
 * - after planning, the "previous position" is the start cell, not unknown;
 * - it re-plans only when the target's cell changes (a target re-drawn in the same cell keeps the route).
 * Routes are shortest paths with D4RL's tie order ({@link d4rlRoute}).
 *
 * @module
 */
import type { AgentData, MultiAgentDataset } from "../data/dataset.ts";
import { checkName, KitInputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { KIT_VERSION } from "../util/version.ts";
import { Maze2dEnv, type Maze2dLayout, maze2dLayout, type Maze2dLayoutName, mazeCells } from "./maze2d.ts";

/** D4RL's `solve_thresh`: distance under which a waypoint or the target cell counts as reached. */
export const D4RL_SOLVE_THRESHOLD = 0.1;
/** D4RL's `vel_thresh`: bound on the ball's displacement since the previous call for that to count. */
export const D4RL_VELOCITY_THRESHOLD = 0.1;
/** D4RL's Q-iteration depth (`num_itrs=50`): a start more than 49 moves from the target gets no route. */
const Q_ITERATIONS = 50;
/** Gridcraft's moves in action order (UP, DOWN, LEFT, RIGHT as `[Δi, Δj]`); NOOP, action 0, wins only at the target. */
const D4RL_MOVES: readonly (readonly [number, number])[] = [[0, -1], [0, 1], [-1, 0], [1, 0]];

/** Python's `round()` on a float: to the nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * D4RL's route of cells from `start` to `target` (`_new_target`'s greedy roll-out of Q-iteration on the
 * grid, reward 1 in the target cell, discount 0.99, 50 iterations): a shortest path, ties between moves
 * broken in gridcraft's order −j, +j, −i, +i. Returns the cells after `start`, ending with `target`;
 * `[target]` when `start` is the target. `start` may be a wall cell (the ball's rounded position can fall
 * in one when it touches a wall); the route then leaves it to a free neighbour. Throws
 * {@link KitInputError} when `target` is not a free cell, `start` is off the grid, or the target is
 * unreachable or more than 49 moves away (D4RL's controller plans nothing there).
 */
export function d4rlRoute(
  layout: Maze2dLayoutName | Maze2dLayout,
  start: readonly [number, number],
  target: readonly [number, number],
): [number, number][] {
  const l = maze2dLayout(layout);
  const rows = l.rows, h = rows.length, w = rows[0].length;
  const inGrid = (i: number, j: number) =>
    Number.isInteger(i) && Number.isInteger(j) && i >= 0 && i < h && j >= 0 && j < w;
  const free = (i: number, j: number) => inGrid(i, j) && rows[i][j] !== "#";
  if (!free(target[0], target[1])) {
    throw new KitInputError(`d4rlRoute: target (${target}) must be a free cell of ${l.name}`);
  }
  if (!inGrid(start[0], start[1])) {
    throw new KitInputError(`d4rlRoute: start (${start}) must be a cell of ${l.name} (${h}×${w})`);
  }
  if (start[0] === target[0] && start[1] === target[1]) return [[target[0], target[1]]];
  // Breadth-first distances to the target over the free cells.
  const dist = new Int32Array(h * w).fill(-1);
  dist[target[0] * w + target[1]] = 0;
  const queue: number[] = [target[0] * w + target[1]];
  for (let q = 0; q < queue.length; q++) {
    const c = queue[q], i = Math.floor(c / w), j = c % w;
    for (const [di, dj] of D4RL_MOVES) {
      const ni = i + di, nj = j + dj;
      if (free(ni, nj) && dist[ni * w + nj] < 0) {
        dist[ni * w + nj] = dist[c] + 1;
        queue.push(ni * w + nj);
      }
    }
  }
  // Q(s, a) = γ·V(s') with V strictly decreasing in the distance, so argmax is the first legal move to the
  // nearest neighbour; after 50 iterations V is zero beyond 48 moves, where D4RL's roll-out would stall.
  const route: [number, number][] = [];
  let [i, j] = start;
  while (i !== target[0] || j !== target[1]) {
    let best = -1, bestD = Infinity;
    for (let a = 0; a < D4RL_MOVES.length; a++) {
      const ni = i + D4RL_MOVES[a][0], nj = j + D4RL_MOVES[a][1];
      const d = free(ni, nj) ? dist[ni * w + nj] : -1;
      if (d >= 0 && d < bestD) [best, bestD] = [a, d];
    }
    if (best < 0) {
      throw new KitInputError(`d4rlRoute: target (${target}) unreachable from (${start}) in ${l.name}`);
    }
    if (route.length === 0 && bestD > Q_ITERATIONS - 2) {
      throw new KitInputError(
        `d4rlRoute: (${start}) is ${bestD + 1} moves from (${target}) in ${l.name}; D4RL's ${Q_ITERATIONS} ` +
          `Q-iterations plan at most ${Q_ITERATIONS - 1}`,
      );
    }
    i += D4RL_MOVES[best][0];
    j += D4RL_MOVES[best][1];
    route.push([i, j]);
  }
  return route;
}

/** D4RL's `WaypointController` for one ball; see {@link d4rlWaypointController}. */
export interface D4rlWaypointController {
  /**
   * D4RL's `get_action(location, velocity, target)`: writes the action, `10·(waypoint − position) −
   * velocity` clipped to [−1, 1], to `out[0..1]` and returns D4RL's `done`: the ball is within 0.1 of the
   * target's cell and moved less than 0.1 since the previous call (it then steers at the target cell).
   */
  act(x: number, y: number, vx: number, vy: number, tx: number, ty: number, out: Float64Array): boolean;
  /** The current waypoints (qpos coordinates; the last is the target's cell); empty before the first call. */
  readonly waypoints: readonly (readonly [number, number])[];
  /** Index in {@link D4rlWaypointController.waypoints} of the waypoint steered at. */
  readonly waypointIndex: number;
  /** D4RL's `_target`: the target's cell, `null` before the first call. */
  readonly targetCell: readonly [number, number] | null;
}

/**
 * D4RL's waypoint controller (`waypoint_controller.py`) as written, gains 10 and −1, thresholds 0.1: when
 * the target's cell (`round(target)`) changes it plans {@link d4rlRoute} from the ball's cell, jitters
 * every waypoint but the last to `cell − 0.2·U(0, 1)²` (drawn from `jitter`, x then y per waypoint, where
 * D4RL uses NumPy's global generator) and sets the previous position to the start cell. Each call steers
 * at the current waypoint and moves on once the ball is within 0.1 of it and moved less than 0.1 since the
 * previous call.
 */
export function d4rlWaypointController(
  layout: Maze2dLayoutName | Maze2dLayout,
  jitter: Rng,
): D4rlWaypointController {
  const l = maze2dLayout(layout);
  mazeCells(l); // a malformed layout fails here, not at the first call
  const solve = D4RL_SOLVE_THRESHOLD, velThresh = D4RL_VELOCITY_THRESHOLD;
  let waypoints: [number, number][] = [];
  let index = 0;
  let target: [number, number] | null = null;
  let prevX = 0, prevY = 0; // D4RL's ZEROS, replaced at the first (always new) target

  const newTarget = (x: number, y: number, ti: number, tj: number) => {
    const si = roundHalfEven(x), sj = roundHalfEven(y);
    const cells = d4rlRoute(l, [si, sj], [ti, tj]);
    waypoints = cells.map(([i, j], k) =>
      k === cells.length - 1 ? [i, j] : [i - jitter.uniform() * 0.2, j - jitter.uniform() * 0.2]
    );
    index = 0;
    prevX = si;
    prevY = sj;
    target = [ti, tj];
  };

  return {
    act(x, y, vx, vy, tx, ty, out) {
      const ti = roundHalfEven(tx), tj = roundHalfEven(ty);
      if (target === null || target[0] !== ti || target[1] !== tj) newTarget(x, y, ti, tj);
      const [gx, gy] = target as [number, number];
      const dist = Math.sqrt((x - gx) ** 2 + (y - gy) ** 2);
      const velNorm = Math.sqrt((prevX - x) ** 2 + (prevY - y) ** 2);
      const notSolved = dist >= solve || velNorm >= velThresh;
      const [wx, wy] = notSolved ? waypoints[index] : [gx, gy];
      const ax = 10 * (wx - x) - vx, ay = 10 * (wy - y) - vy;
      if (
        notSolved && Math.sqrt((x - wx) ** 2 + (y - wy) ** 2) < solve && velNorm < velThresh &&
        index < waypoints.length - 1
      ) {
        index++;
      }
      prevX = x;
      prevY = y;
      out[0] = ax > 1 ? 1 : ax < -1 ? -1 : ax;
      out[1] = ay > 1 ? 1 : ay < -1 ? -1 : ay;
      return !notSolved;
    },
    get waypoints() {
      return waypoints;
    },
    get waypointIndex() {
      return index;
    },
    get targetCell() {
      return target;
    },
  };
}

/** Options of {@link maze2dDataset}. */
export interface Maze2dDatasetOptions {
  /** Transitions to generate (D4RL's `--num_samples`). Default 1,000,000. */
  samples?: number;
  /**
   * Seed of the streams `maze2d-data-reset` (the one reset), `maze2d-data-target` (targets),
   * `maze2d-data-noise` (action noise) and `maze2d-data-waypoint` (the controller's waypoint jitter).
   * Default 0.
   */
  seed?: number;
  /** Standard deviation of the Gaussian action noise (D4RL's `--noisy`: 0.5); 0 = no noise. Default 0.5. */
  sigma?: number;
  /**
   * Which reward each row stores. Default `"goal"`, as in D4RL's released `maze2d-*-v1` files (the generator
   * writes zeros; `relabel_maze2d_rewards.py` then labels every row against the layout's fixed goal cell,
   * the task the data is evaluated on, using the row's observation before the step): `exp(−‖obs[0..1] −
   * goal‖)` for a dense env, `1[‖obs[0..1] − goal‖ ≤ 0.5]` for a sparse one. `"target"`: what `env.step`
   * returned during generation, on the observation after the step against the target in force then.
   */
  rewardLabels?: "goal" | "target";
  /** Called every 10,000 rows and at the end with the rows written and `samples`. Default none. */
  onProgress?: (done: number, total: number) => void;
}

/** The reward labellings of {@link Maze2dDatasetOptions.rewardLabels}. */
export const MAZE2D_REWARD_LABELS: readonly ("goal" | "target")[] = ["goal", "target"];

const PROGRESS_EVERY = 10_000;

/**
 * D4RL's Maze2D data generation (`generate_maze2d_datasets.py`, with `--noisy` when `sigma > 0`) on `env`,
 * which the caller owns and disposes. One continuous run: a random target (a uniformly drawn empty or goal
 * cell + U(−0.1, 0.1)², as a reset), one reset, then per row:
 *
 * 1. the action of {@link d4rlWaypointController} at the current observation `s`, plus `N(0, sigma²)` per
 *    dimension, clipped to [−1, 1]; `done` = the controller reached the target's cell, or the episode has
 *    run `ts ≥ H` steps (`H` the layout's D4RL horizon, so a cut episode has H + 1 rows);
 * 2. the row stores `s`, the action, `timeouts = done` (terminals are all 0) and after the step its
 *    `nextObs`; the reward follows {@link Maze2dDatasetOptions.rewardLabels};
 * 3. on `done` a new target is drawn and `ts` restarts, and, D4RL's quirk, `s` is *not* advanced: the next
 *    row's observation repeats this row's although the ball moved on (its `nextObs`), so the row after a
 *    done row does not chain from the previous `nextObs`; otherwise `s` becomes `nextObs`.
 *
 * The ball is never reset, and the env's own time limit is restarted as needed. The env's target is
 * restored at the end; its ball is left where the run stopped (reset it before other use). Returns a
 * one-agent dataset (obs `[x, y, vx, vy]`, 2 actions) that passes `validateDataset`, with D4RL's
 * normalisation references. Throws {@link KitInputError} for bad options.
 */
export function maze2dDataset(env: Maze2dEnv, options: Maze2dDatasetOptions = {}): MultiAgentDataset {
  if (!(env instanceof Maze2dEnv)) {
    throw new KitInputError(`maze2dDataset: env must be a Maze2dEnv, got ${String(env)}`);
  }
  const samples = options.samples ?? 1_000_000;
  const seed = options.seed ?? 0;
  const sigma = options.sigma ?? 0.5;
  const labels = checkName(
    "maze2dDataset rewardLabels",
    options.rewardLabels ?? "goal",
    MAZE2D_REWARD_LABELS,
  );
  const onProgress = options.onProgress;
  if (!Number.isSafeInteger(samples) || samples < 1) {
    throw new KitInputError(`maze2dDataset: samples must be a positive integer, got ${samples}`);
  }
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new KitInputError(`maze2dDataset: seed must be a finite number, got ${seed}`);
  }
  if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma < 0) {
    throw new KitInputError(`maze2dDataset: sigma must be a finite number ≥ 0, got ${sigma}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new KitInputError(`maze2dDataset: onProgress must be a function, got ${typeof onProgress}`);
  }

  const layout = env.layout, horizon = layout.episodeLength;
  const resetCells = env.cells.resetCells, [goalX, goalY] = env.cells.goal;
  const dense = env.rewardType === "dense";
  const targetRng = Rng.fromSeed(seed, "maze2d-data-target");
  const noise = Rng.fromSeed(seed, "maze2d-data-noise");
  const controller = d4rlWaypointController(layout, Rng.fromSeed(seed, "maze2d-data-waypoint"));
  const drawTarget = () => {
    const [i, j] = resetCells[targetRng.int(resetCells.length)];
    env.setTarget(i + targetRng.uniformRange(-0.1, 0.1), j + targetRng.uniformRange(-0.1, 0.1));
  };

  const obs = new Float32Array(samples * 4), nextObs = new Float32Array(samples * 4);
  const actions = new Float32Array(samples * 2), rewards = new Float32Array(samples);
  const terminals = new Uint8Array(samples), timeouts = new Uint8Array(samples);
  const savedTarget = [env.target[0], env.target[1]] as const;
  let reached = 0, cuts = 0;
  try {
    drawTarget(); // D4RL: env.set_target() before env.reset()
    env.reset(Rng.fromSeed(seed, "maze2d-data-reset"));
    const s = Float64Array.from(env.obs[0]);
    const act = new Float64Array(2);
    const stepActions = [act];
    const target = env.target;
    let ts = 0;
    for (let k = 0; k < samples; k++) {
      let done = controller.act(s[0], s[1], s[2], s[3], target[0], target[1], act);
      if (done) reached++;
      if (sigma > 0) {
        act[0] += sigma * noise.normal();
        act[1] += sigma * noise.normal();
      }
      act[0] = act[0] > 1 ? 1 : act[0] < -1 ? -1 : act[0];
      act[1] = act[1] > 1 ? 1 : act[1] < -1 ? -1 : act[1];
      if (ts >= horizon) {
        if (!done) cuts++;
        done = true;
      }
      obs.set(s, 4 * k);
      actions[2 * k] = act[0];
      actions[2 * k + 1] = act[1];
      if (labels === "goal") {
        const d = Math.sqrt((s[0] - goalX) ** 2 + (s[1] - goalY) ** 2);
        rewards[k] = dense ? Math.exp(-d) : d <= 0.5 ? 1 : 0;
      }
      if (env.t >= env.episodeLength) env.restartClock();
      const r = env.step(stepActions);
      const next = r.obs[0];
      nextObs.set(next, 4 * k);
      if (labels === "target") rewards[k] = r.rewards[0];
      timeouts[k] = done ? 1 : 0;
      ts++;
      if (done) {
        drawTarget();
        ts = 0;
      } else {
        s.set(next);
      }
      if (onProgress && ((k + 1) % PROGRESS_EVERY === 0 || k + 1 === samples)) onProgress(k + 1, samples);
    }
  } finally {
    env.setTarget(savedTarget[0], savedTarget[1]);
  }

  const agent: AgentData = { obs, actions, rewards, nextObs, terminals, timeouts, obsDim: 4, actDim: 2 };
  const noiseText = sigma > 0 ? `N(0, ${sigma}²) action noise` : "no action noise";
  return {
    size: samples,
    agents: [agent],
    meta: {
      task: env.name,
      quality: "waypoint",
      seed,
      preySource: null,
      behaviourPolicy: `D4RL waypoint controller + ${noiseText}, targets re-drawn when reached or after ` +
        `${horizon} steps, one continuous run (generate_maze2d_datasets.py); rewards ${
          labels === "goal" ? "against the fixed goal (D4RL's relabelling)" : "against the moving target"
        }`,
      episodeLength: horizon,
      referenceScores: {
        random: env.references.random,
        expert: env.references.expert,
        source: "D4RL ref_min / ref_max",
      },
      kitVersion: KIT_VERSION,
      extra: {
        generator: "d4rl generate_maze2d_datasets.py",
        sigma,
        rewardLabels: labels,
        targetsReached: reached,
        horizonCuts: cuts,
      },
    },
  };
}
