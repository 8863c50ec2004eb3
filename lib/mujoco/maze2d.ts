/**
 * D4RL Maze2D (the dense v1 tasks of the paper's Fig. 8 and Table 4): a point mass pushed by two motors
 * through a maze of box walls, and D4RL's waypoint controller, the policy its datasets were made with.
 * Everything is written from the kit's spec (environments.md §4.3): the three layouts, the generated
 * MJCF, the step (`qvel` clipped to [−5, 5] before each step), the dense reward `exp(−‖qpos − goal‖)`,
 * the reset and D4RL's normalisation references.
 *
 * Coordinates: `qpos` is the ball's displacement from its body position (1.2, 1.2), so cell (i, j) of
 * the layout (row i, column j) is at `qpos = (i, j)`, while wall cell (i, j) occupies
 * `qpos ∈ [i − 0.7, i + 0.3] × [j − 0.7, j + 0.3]` (the walls sit 0.2 off the cell grid).
 *
 * @module
 */
import { checkName, KitInputError } from "../util/errors.ts";
import type { Rng } from "../util/rng.ts";
import {
  clipActions,
  type EpisodicPolicy,
  type MujocoEnv,
  type MujocoEnvState,
  type MujocoStep,
  resetStream,
} from "./env.ts";
import { loadMujoco, type MujocoModule, MujocoSim } from "./mujoco.ts";

/** The three mazes of the paper. */
export type Maze2dLayoutName = "umaze" | "medium" | "large";

/** The layout names, smallest first. */
export const MAZE2D_LAYOUT_NAMES: readonly Maze2dLayoutName[] = ["umaze", "medium", "large"];

/** A maze: its grid, goal, horizon and D4RL's reference scores. */
export interface Maze2dLayout {
  /** Layout name. */
  readonly name: Maze2dLayoutName;
  /** Rows of the grid, `#` wall, `O` empty, `G` goal; row index i is x, column index j is y. */
  readonly rows: readonly string[];
  /** D4RL's `max_episode_steps`. */
  readonly episodeLength: number;
  /** D4RL's normalisation references of the dense task (`ref_min_score`, `ref_max_score`). */
  readonly dense: { readonly random: number; readonly expert: number };
  /** The same for the sparse task. */
  readonly sparse: { readonly random: number; readonly expert: number };
}

/** D4RL's U_MAZE, MEDIUM_MAZE and LARGE_MAZE with their `-dense-v1` horizons and references. */
export const MAZE2D_LAYOUTS: Readonly<Record<Maze2dLayoutName, Maze2dLayout>> = {
  umaze: {
    name: "umaze",
    rows: ["#####", "#GOO#", "###O#", "#OOO#", "#####"],
    episodeLength: 300,
    dense: { random: 68.537689, expert: 193.66285642381482 },
    sparse: { random: 23.85, expert: 161.86 },
  },
  medium: {
    name: "medium",
    rows: ["########", "#OO##OO#", "#OO#OOO#", "##OOO###", "#OO#OOO#", "#O#OO#O#", "#OOO#OG#", "########"],
    episodeLength: 600,
    dense: { random: 44.264742, expert: 297.4552547777125 },
    sparse: { random: 13.13, expert: 277.39 },
  },
  large: {
    name: "large",
    rows: [
      "############",
      "#OOOO#OOOOO#",
      "#O##O#O#O#O#",
      "#OOOOOO#OOO#",
      "#O####O###O#",
      "#OO#O#OOOOO#",
      "##O#O#O#O###",
      "#OO#OOO#OGO#",
      "############",
    ],
    episodeLength: 800,
    dense: { random: 30.569041, expert: 303.4857382709002 },
    sparse: { random: 6.7, expert: 273.99 },
  },
};

/** The ball's body position in the world; `qpos` is measured from here. */
export const MAZE2D_BALL_ORIGIN: readonly [number, number] = [1.2, 1.2];
/** `qvel` is clipped to [−this, this] before every step. */
export const MAZE2D_MAX_SPEED = 5;

/** A layout by name or as given; throws {@link KitInputError} for an unknown name. */
export function maze2dLayout(layout: Maze2dLayoutName | Maze2dLayout): Maze2dLayout {
  if (typeof layout !== "string") return layout;
  return MAZE2D_LAYOUTS[checkName("maze2d layout", layout, MAZE2D_LAYOUT_NAMES)];
}

/** The parsed cells of a layout. */
export interface MazeCells {
  /** Wall cells `[i, j]`, row-major. */
  readonly walls: readonly (readonly [number, number])[];
  /** Empty cells, row-major (D4RL's sorted `reset_locations`). */
  readonly empty: readonly (readonly [number, number])[];
  /** The goal cell. */
  readonly goal: readonly [number, number];
  /** Reset cells: the empty cells, then the goal. */
  readonly resetCells: readonly (readonly [number, number])[];
}

/** Parses a layout's grid. Throws {@link KitInputError} unless it has exactly one goal and rectangular rows. */
export function mazeCells(layout: Maze2dLayout): MazeCells {
  const walls: [number, number][] = [], empty: [number, number][] = [], goals: [number, number][] = [];
  const width = layout.rows[0]?.length ?? 0;
  layout.rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new KitInputError(`maze ${layout.name}: rows must all have ${width} cells`);
    }
    for (let j = 0; j < row.length; j++) {
      const c = row[j];
      if (c === "#") walls.push([i, j]);
      else if (c === "O") empty.push([i, j]);
      else if (c === "G") goals.push([i, j]);
      else throw new KitInputError(`maze ${layout.name}: unknown cell "${c}" at (${i}, ${j})`);
    }
  });
  if (goals.length !== 1) {
    throw new KitInputError(`maze ${layout.name}: expected one goal, found ${goals.length}`);
  }
  return { walls, empty, goal: goals[0], resetCells: [...empty, goals[0]] };
}

/**
 * The Maze2D MJCF for `layout`: timestep 0.01, no gravity, Euler, 20 solver iterations; a ball of radius
 * 0.1 (density 1000) on slide joints `ball_x`, `ball_y` (damping 1) with motors of gear 100; one box of
 * half-size (0.5, 0.5, 0.2) at world (i + 1, j + 1, 0) per wall cell.
 */
export function maze2dXml(layout: Maze2dLayout): string {
  const { walls } = mazeCells(layout);
  const wallXml = walls.map(([i, j]) =>
    `    <geom name="wall_${i}_${j}" type="box" conaffinity="1" pos="${i + 1} ${
      j + 1
    } 0" size="0.5 0.5 0.2"/>`
  ).join("\n");
  const [bx, by] = MAZE2D_BALL_ORIGIN;
  return `<mujoco model="point_maze_${layout.name}">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option timestep="0.01" gravity="0 0 0" iterations="20" integrator="Euler"/>
  <default>
    <joint damping="1" limited="false"/>
    <geom friction=".5 .1 .1" density="1000" margin="0.002" condim="1" contype="2" conaffinity="1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="40 40 0.25" pos="0 0 -0.1" contype="1" conaffinity="0"/>
    <body name="particle" pos="${bx} ${by} 0">
      <geom name="particle_geom" type="sphere" size="0.1" contype="1"/>
      <joint name="ball_x" type="slide" pos="0 0 0" axis="1 0 0"/>
      <joint name="ball_y" type="slide" pos="0 0 0" axis="0 1 0"/>
    </body>
${wallXml}
  </worldbody>
  <actuator>
    <motor joint="ball_x" ctrlrange="-1 1" ctrllimited="true" gear="100"/>
    <motor joint="ball_y" ctrlrange="-1 1" ctrllimited="true" gear="100"/>
  </actuator>
</mujoco>
`;
}

/** Options of {@link Maze2dEnv.create}. */
export interface Maze2dOptions {
  /** `"dense"` (default): `exp(−‖qpos − target‖)`; `"sparse"`: `1[‖qpos − target‖ ≤ 0.5]`. */
  reward?: "dense" | "sparse";
  /** Steps per episode. Default the layout's D4RL horizon (300, 600, 800). */
  episodeLength?: number;
}

/** One Maze2D task: a single agent observing `[qpos(2), qvel(2)]` and pushing with 2 motors. */
export class Maze2dEnv implements MujocoEnv {
  /** Environment id, e.g. `maze2d_umaze_dense`. */
  readonly name: string;
  /** The maze. */
  readonly layout: Maze2dLayout;
  /** Its parsed cells. */
  readonly cells: MazeCells;
  /** Dense or sparse reward. */
  readonly rewardType: "dense" | "sparse";
  /** One agent. */
  readonly numAgents = 1;
  /** `[x, y, vx, vy]`. */
  readonly obsDims: readonly number[] = [4];
  /** Two motors. */
  readonly actDims: readonly number[] = [2];
  /** Two motors. */
  readonly actDim = 2;
  /** The state is the observation. */
  readonly stateDim = 4;
  /** Steps per episode. */
  readonly episodeLength: number;
  /** D4RL's normalisation references of this task (`random` = ref_min, `expert` = ref_max). */
  readonly references: { readonly random: number; readonly expert: number };
  /** The MuJoCo model and data. */
  readonly sim: MujocoSim;
  /** The current observation. */
  readonly obs: readonly Float64Array[] = [new Float64Array(4)];
  /** The target in qpos coordinates; the goal cell unless {@link Maze2dEnv.setTarget} moved it. */
  readonly target: Float64Array = new Float64Array(2);
  /** The clipped action of the last step. */
  readonly lastAction: Float64Array = new Float64Array(2);
  readonly #rewards = new Float64Array(1);
  #t = 0;
  #started = false;

  private constructor(sim: MujocoSim, layout: Maze2dLayout, options: Maze2dOptions) {
    this.sim = sim;
    this.layout = layout;
    this.cells = mazeCells(layout);
    this.rewardType = options.reward ?? "dense";
    this.name = `maze2d_${layout.name}_${this.rewardType}`;
    this.episodeLength = options.episodeLength ?? layout.episodeLength;
    this.references = layout[this.rewardType];
    this.target.set(this.cells.goal);
  }

  /** Compiles the maze's model (loading MuJoCo on first use). */
  static async create(
    layout: Maze2dLayoutName | Maze2dLayout,
    options: Maze2dOptions = {},
  ): Promise<Maze2dEnv> {
    maze2dLayout(layout); // a bad name fails before MuJoCo loads
    return Maze2dEnv.fromModule(await loadMujoco(), layout, options);
  }

  /** {@link Maze2dEnv.create} on a module already loaded (synchronous). */
  static fromModule(
    mujoco: MujocoModule,
    layout: Maze2dLayoutName | Maze2dLayout,
    options: Maze2dOptions = {},
  ): Maze2dEnv {
    const l = maze2dLayout(layout);
    if (options.reward !== undefined) checkName("maze2d reward", options.reward, ["dense", "sparse"]);
    const len = options.episodeLength;
    if (len !== undefined && (!Number.isInteger(len) || len < 1)) {
      throw new KitInputError(`maze2d: episodeLength must be a positive integer, got ${len}`);
    }
    return new Maze2dEnv(MujocoSim.compile(mujoco, maze2dXml(l), `point_maze_${l.name}`), l, options);
  }

  /** Steps taken since the last reset (or {@link Maze2dEnv.restartClock}). */
  get t(): number {
    return this.#t;
  }

  /** The state: the observation `[x, y, vx, vy]`. */
  get state(): Float64Array {
    return this.obs[0];
  }

  /** Moves the target (qpos coordinates); D4RL's data generation re-draws it when it is reached. */
  setTarget(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new KitInputError(`maze2d: target must be finite`);
    this.target[0] = x;
    this.target[1] = y;
  }

  /**
   * Starts a new time limit without touching the ball (D4RL's generator keeps the ball moving across
   * its "episodes"). Requires a reset before.
   */
  restartClock(): void {
    if (!this.#started) throw new KitInputError(`${this.name}: call reset() before restartClock()`);
    this.#t = 0;
  }

  /**
   * D4RL's reset: a uniformly drawn cell among the empty cells and the goal, `qpos = cell + U(−0.1,
   * 0.1)²`, `qvel = 0.1·N(0, 1)²`. The target is left where it is.
   */
  reset(source: number | Rng): readonly Float64Array[] {
    const rng = resetStream(this.name, source);
    const cells = this.cells.resetCells;
    const [ci, cj] = cells[rng.int(cells.length)];
    this.sim.resetData();
    const data = this.sim.data;
    const qpos = data.qpos as Float64Array;
    qpos[0] = ci + rng.uniformRange(-0.1, 0.1);
    qpos[1] = cj + rng.uniformRange(-0.1, 0.1);
    const qvel = data.qvel as Float64Array;
    qvel[0] = 0.1 * rng.normal();
    qvel[1] = 0.1 * rng.normal();
    this.sim.forward();
    this.#t = 0;
    this.#started = true;
    this.#observe();
    return this.obs;
  }

  /** Puts the ball at `qpos` with velocity `qvel` (D4RL's `set_state`); the clock is not touched. */
  setState(qpos: readonly [number, number], qvel: readonly [number, number] = [0, 0]): void {
    for (const v of [...qpos, ...qvel]) {
      if (!Number.isFinite(v)) {
        throw new KitInputError(`${this.name}: setState needs finite numbers, got ${v}`);
      }
    }
    const data = this.sim.data;
    (data.qpos as Float64Array).set(qpos);
    (data.qvel as Float64Array).set(qvel);
    this.sim.forward();
    this.#started = true;
    this.#observe();
  }

  /** One step: clip the action to [−1, 1], clip `qvel` to [−5, 5], one MuJoCo step, reward on the new `qpos`. */
  step(actions: readonly ArrayLike<number>[]): MujocoStep {
    if (!this.#started) throw new KitInputError(`${this.name}: call reset() before step()`);
    if (this.#t >= this.episodeLength) {
      throw new KitInputError(
        `${this.name}: the episode ended after ${this.episodeLength} steps; call reset()`,
      );
    }
    clipActions(this.name, actions, this.actDims, this.lastAction);
    const data = this.sim.data;
    const qvel = data.qvel as Float64Array;
    for (let i = 0; i < 2; i++) {
      qvel[i] = qvel[i] > MAZE2D_MAX_SPEED
        ? MAZE2D_MAX_SPEED
        : qvel[i] < -MAZE2D_MAX_SPEED
        ? -MAZE2D_MAX_SPEED
        : qvel[i];
    }
    (data.ctrl as Float64Array).set(this.lastAction);
    this.sim.step(1);
    this.#observe();
    const o = this.obs[0];
    const dist = Math.hypot(o[0] - this.target[0], o[1] - this.target[1]);
    this.#rewards[0] = this.rewardType === "dense" ? Math.exp(-dist) : dist <= 0.5 ? 1 : 0;
    this.#t++;
    const done = this.#t >= this.episodeLength;
    return { obs: this.obs, rewards: this.#rewards, done, timeout: done };
  }

  /** The simulation state, the clock and the target (see {@link MujocoEnvState}). */
  saveState(): MujocoEnvState {
    return { ...this.sim.saveState(), t: this.#t, target: Array.from(this.target) };
  }

  /** Restores {@link Maze2dEnv.saveState}'s output. */
  loadState(state: MujocoEnvState): void {
    this.sim.loadState(state);
    if (state.target) this.setTarget(state.target[0], state.target[1]);
    this.#t = state.t, this.#started = true;
    this.#observe();
  }

  #observe(): void {
    const data = this.sim.data;
    const qpos = data.qpos as Float64Array, qvel = data.qvel as Float64Array;
    const o = this.obs[0];
    o[0] = qpos[0];
    o[1] = qpos[1];
    o[2] = qvel[0];
    o[3] = qvel[1];
  }

  /** Frees the MuJoCo model and data. */
  dispose(): void {
    this.sim.dispose();
  }
}

/** Allocates a {@link Maze2dEnv} (loading MuJoCo on first use). */
export function makeMaze2d(
  layout: Maze2dLayoutName | Maze2dLayout,
  options: Maze2dOptions = {},
): Promise<Maze2dEnv> {
  return Maze2dEnv.create(layout, options);
}

// ---------------------------------------------------------------------------------------------------
// Waypoint controller

const MOVES: readonly (readonly [number, number])[] = [[1, 0], [-1, 0], [0, 1], [0, -1]];

/**
 * Plans a route of cells from `start` to `goal` by Q-iteration on the grid (moves ±x, ±y; a move into
 * a wall stays put; reward 1 on arriving at the goal, discount 0.99) and a greedy roll-out. Returns the
 * cells after `start`, ending with `goal` (empty when `start` is the goal). Throws when the goal cannot be
 * reached.
 */
export function planRoute(
  layout: Maze2dLayout,
  start: readonly [number, number],
  goal: readonly [number, number],
): [number, number][] {
  const rows = layout.rows, h = rows.length, w = rows[0].length;
  const free = (i: number, j: number) => i >= 0 && i < h && j >= 0 && j < w && rows[i][j] !== "#";
  if (!free(start[0], start[1]) || !free(goal[0], goal[1])) {
    throw new KitInputError(
      `planRoute: start (${start}) and goal (${goal}) must be free cells of ${layout.name}`,
    );
  }
  const next = (i: number, j: number, a: number): [number, number] => {
    const ni = i + MOVES[a][0], nj = j + MOVES[a][1];
    return free(ni, nj) ? [ni, nj] : [i, j];
  };
  const gamma = 0.99;
  const q = new Float64Array(h * w * MOVES.length);
  const v = new Float64Array(h * w);
  // Q(s, a) = r(s') + γ V(s'), V(s) = max_a Q(s, a), with r = 1 on reaching the goal; the goal is terminal.
  for (let iter = 0; iter < h * w + 1; iter++) {
    let change = 0;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        if (!free(i, j) || (i === goal[0] && j === goal[1])) continue;
        let best = -Infinity;
        for (let a = 0; a < MOVES.length; a++) {
          const [ni, nj] = next(i, j, a);
          const atGoal = ni === goal[0] && nj === goal[1];
          const val = atGoal ? 1 : gamma * v[ni * w + nj];
          q[(i * w + j) * MOVES.length + a] = val;
          if (val > best) best = val;
        }
        change = Math.max(change, Math.abs(best - v[i * w + j]));
        v[i * w + j] = best;
      }
    }
    if (change === 0) break;
  }
  const route: [number, number][] = [];
  let [i, j] = start;
  while (!(i === goal[0] && j === goal[1])) {
    if (route.length > h * w) {
      throw new KitInputError(`planRoute: goal (${goal}) unreachable in ${layout.name}`);
    }
    let bestA = 0;
    for (let a = 1; a < MOVES.length; a++) {
      if (q[(i * w + j) * MOVES.length + a] > q[(i * w + j) * MOVES.length + bestA]) bestA = a;
    }
    if (q[(i * w + j) * MOVES.length + bestA] <= 0) {
      throw new KitInputError(`planRoute: goal (${goal}) unreachable from (${start}) in ${layout.name}`);
    }
    [i, j] = next(i, j, bestA);
    route.push([i, j]);
  }
  return route;
}

/** Options of {@link waypointPolicy}. */
export interface WaypointOptions {
  /** Target in qpos coordinates. Default the layout's goal cell. */
  target?: readonly [number, number];
  /** Proportional gain. Default 10. */
  pGain?: number;
  /** Derivative gain on the velocity. Default −1 (so `a = 10·(waypoint − pos) − 1·vel`). */
  dGain?: number;
  /** Distance under which a waypoint (or the target) counts as reached. Default 0.1. */
  solveThreshold?: number;
  /** Bound on the ball's displacement since the previous call for a waypoint to count as reached. Default 0.1. */
  velocityThreshold?: number;
  /** Stream of the action noise; without one the controller is deterministic. */
  noise?: Rng;
  /** Standard deviation of the Gaussian action noise (added after the controller's clip, then clipped again). Default 0.5. */
  sigma?: number;
}

/** D4RL's waypoint controller as a policy; {@link WaypointPolicy.reset} forgets the route. */
export interface WaypointPolicy extends EpisodicPolicy {
  /** Moves the target; the route is re-planned at the next call. */
  setTarget(x: number, y: number): void;
  /** Per batch row, the waypoints of the current route (qpos coordinates; the last is the target). */
  route(row?: number): readonly (readonly [number, number])[];
}

/**
 * D4RL's waypoint controller (`waypoint_controller.py`, as the spec describes it): on a new target it
 * plans a route of cells by Q-iteration ({@link planRoute}) from the cell nearest the ball, ending at
 * the exact target; each call steers at the current waypoint with `a = 10·(waypoint − pos) − 1·vel`,
 * clipped to [−1, 1], and moves on once the ball is within 0.1 of it and moved less than 0.1 since the
 * previous call. Within 0.1 of the target it holds there. With `noise`, `N(0, 0.5²)` is added and the
 * action clipped again (D4RL's `--noisy` data). Works on a batch; every row keeps its own route.
 */
export function waypointPolicy(
  layout: Maze2dLayoutName | Maze2dLayout,
  options: WaypointOptions = {},
): WaypointPolicy {
  const l = maze2dLayout(layout);
  const cells = mazeCells(l);
  const target: [number, number] = options.target ? [options.target[0], options.target[1]] : [...cells.goal];
  const pGain = options.pGain ?? 10, dGain = options.dGain ?? -1;
  const solve = options.solveThreshold ?? 0.1, velThresh = options.velocityThreshold ?? 0.1;
  const sigma = options.sigma ?? 0.5, noise = options.noise ?? null;
  const freeCells = [...cells.resetCells];
  const isFree = (i: number, j: number) =>
    i >= 0 && i < l.rows.length && j >= 0 && j < l.rows[0].length && l.rows[i][j] !== "#";
  const nearestCell = (x: number, y: number): [number, number] => {
    const ri = Math.round(x), rj = Math.round(y);
    if (isFree(ri, rj)) return [ri, rj];
    let best = freeCells[0], bestD = Infinity;
    for (const c of freeCells) {
      const d = (c[0] - x) ** 2 + (c[1] - y) ** 2;
      if (d < bestD) [best, bestD] = [c, d];
    }
    return [best[0], best[1]];
  };

  interface RowState {
    waypoints: [number, number][];
    index: number;
    prev: [number, number] | null;
  }
  let rows: (RowState | null)[] = [];

  const plan = (x: number, y: number): RowState => {
    const start = nearestCell(x, y), goalCell = nearestCell(target[0], target[1]);
    const waypoints = planRoute(l, start, goalCell);
    if (waypoints.length === 0) waypoints.push([target[0], target[1]]);
    else waypoints[waypoints.length - 1] = [target[0], target[1]];
    return { waypoints, index: 0, prev: null };
  };

  const policy: WaypointPolicy = {
    act(obs: readonly Float32Array[], out: Float32Array[]): void {
      if (obs.length !== 1 || out.length !== 1) {
        throw new KitInputError(`waypointPolicy: expects one agent's observations, got ${obs.length}`);
      }
      const o = obs[0], a = out[0];
      const batch = o.length / 4;
      if (!Number.isInteger(batch) || a.length !== batch * 2) {
        throw new KitInputError(`waypointPolicy: observations must be [batch, 4] and actions [batch, 2]`);
      }
      if (rows.length !== batch) rows = new Array(batch).fill(null);
      for (let b = 0; b < batch; b++) {
        const x = o[4 * b], y = o[4 * b + 1], vx = o[4 * b + 2], vy = o[4 * b + 3];
        const s = rows[b] ??= plan(x, y);
        const moved = s.prev === null ? Infinity : Math.hypot(x - s.prev[0], y - s.prev[1]);
        const solved = Math.hypot(x - target[0], y - target[1]) < solve && moved < velThresh;
        const [wx, wy] = solved ? target : s.waypoints[s.index];
        let ax = pGain * (wx - x) + dGain * vx, ay = pGain * (wy - y) + dGain * vy;
        if (
          !solved && s.index < s.waypoints.length - 1 && Math.hypot(x - wx, y - wy) < solve &&
          moved < velThresh
        ) {
          s.index++;
        }
        s.prev = [x, y];
        ax = Math.min(1, Math.max(-1, ax));
        ay = Math.min(1, Math.max(-1, ay));
        if (noise !== null) {
          ax = Math.min(1, Math.max(-1, ax + sigma * noise.normal()));
          ay = Math.min(1, Math.max(-1, ay + sigma * noise.normal()));
        }
        a[2 * b] = ax;
        a[2 * b + 1] = ay;
      }
    },
    reset(): void {
      rows = [];
    },
    setTarget(x: number, y: number): void {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new KitInputError(`waypointPolicy: target must be finite`);
      }
      target[0] = x;
      target[1] = y;
      rows = [];
    },
    route(row = 0): readonly (readonly [number, number])[] {
      return rows[row]?.waypoints ?? [];
    },
  };
  return policy;
}
