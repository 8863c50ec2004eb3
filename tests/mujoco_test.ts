// MuJoCo environments (lib/mujoco): the compiled models against the spec's constants (environments.md
// §4.2–4.3, numbers typed in here, not read back from the generator), steps checked by hand, seeding,
// episode limits, the waypoint controller and bad input.
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { assertClose } from "./assert.ts";
import {
  evaluateMujoco,
  HalfCheetahEnv,
  loadMujoco,
  makeMaze2d,
  MAZE2D_LAYOUTS,
  MujocoSim,
  planRoute,
  waypointPolicy,
} from "../lib/mujoco/mod.ts";
import { uniformRandomPolicy } from "../lib/envs/policy.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/rng.ts";

const f64 = (x: unknown): number[] => Array.from(x as Float64Array);

/** Runs `body` with a fresh env and always disposes it. */
async function withEnv<E extends { dispose(): void }>(
  make: Promise<E>,
  body: (env: E) => void,
): Promise<void> {
  const env = await make;
  try {
    body(env);
  } finally {
    env.dispose();
  }
}

// Spec §4.2's limb table: joint, range, stiffness, damping, capsule half-length, gear (actuator order).
const LIMBS: [string, number, number, number, number, number, number][] = [
  ["bthigh", -0.52, 1.05, 240, 6, 0.145, 120],
  ["bshin", -0.785, 0.785, 180, 4.5, 0.15, 90],
  ["bfoot", -0.4, 0.785, 120, 3, 0.094, 60],
  ["fthigh", -1, 0.7, 180, 4.5, 0.133, 120],
  ["fshin", -1.2, 0.87, 120, 3, 0.106, 60],
  ["ffoot", -0.5, 0.5, 60, 1.5, 0.07, 30],
];

Deno.test("mujoco-js loads once and is MuJoCo 3.3.8", async () => {
  const a = loadMujoco(), b = loadMujoco();
  assert(a === b, "the module promise is cached");
  assertEquals((await a).mj_version(), 338);
  await assertRejects(
    () => MujocoSim.fromXml("<mujoco><worldbody><geom size='x'/></worldbody></mujoco>", "bad"),
    KitInputError,
  );
});

Deno.test("HalfCheetah model: nq/nv/nu, timestep, gravity, total mass 14, joints and gears as the spec's table", () =>
  withEnv(HalfCheetahEnv.create(), (env) => {
    const sim = env.sim, m = sim.model;
    assertEquals([m.nq, m.nv, m.nu, m.njnt, m.nbody], [9, 9, 6, 9, 8]);
    assertEquals(sim.timestep, 0.01);
    assertEquals(sim.readOption((o) => f64(o.gravity)), [0, 0, -9.81]);
    assertClose(sim.totalMass(), 14, 1e-9, "settotalmass");
    const range = f64(m.jnt_range), stiff = f64(m.jnt_stiffness), damp = f64(m.dof_damping);
    const arm = f64(m.dof_armature), gear = f64(m.actuator_gear), size = f64(m.geom_size);
    const limited = Array.from(m.jnt_limited as Uint8Array);
    for (const [name, i] of [["rootx", 0], ["rootz", 1], ["rooty", 2]] as const) {
      assertEquals(sim.id("joint", name), i);
      assertEquals([limited[i], stiff[i], damp[i], arm[i]], [0, 0, 0, 0], `${name} is a free root joint`);
    }
    LIMBS.forEach(([name, lo, hi, k, d, half, g], a) => {
      const j = sim.id("joint", name);
      assertEquals(j, 3 + a, `${name} is qpos/qvel index ${3 + a}`);
      assertEquals([range[2 * j], range[2 * j + 1]], [lo, hi], `${name} range`);
      assertEquals(
        [limited[j], stiff[j], damp[j], arm[j]],
        [1, k, d, 0.1],
        `${name} limited/stiffness/damping/armature`,
      );
      assertEquals(sim.id("actuator", name), a, `actuator order`);
      assertEquals(gear[6 * a], g, `${name} gear`);
      const geom = sim.id("geom", name);
      assertEquals([size[3 * geom], size[3 * geom + 1]], [0.046, half], `${name} capsule`);
    });
    assertEquals(f64(m.actuator_ctrlrange), [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1]);
  }));

Deno.test("HalfCheetah step by hand: qfrc_actuator = clip(a)·gear, team reward from qpos[0], observation layout", () =>
  withEnv(HalfCheetahEnv.create(), (env) => {
    // At rest with zero velocity the motor forces are ctrl·gear (spec: (−120, 90, −60, 120, −60, 30)).
    env.sim.resetData();
    (env.sim.data.ctrl as Float64Array).set([-1, 1, -1, 1, -1, 1]);
    env.sim.forward();
    assertEquals(f64(env.sim.data.qfrc_actuator), [0, 0, 0, -120, 90, -60, 120, -60, 30]);

    env.reset(3);
    const x0 = f64(env.sim.data.qpos)[0];
    const { rewards, obs, done, timeout } = env.step([[-1, 0.5, -3], [2, -0.25, 0]]); // -3 and 2 get clipped
    const qpos = f64(env.sim.data.qpos), qvel = f64(env.sim.data.qvel);
    assertEquals(f64(env.lastAction), [-1, 0.5, -1, 1, -0.25, 0]);
    const gears = LIMBS.map((l) => l[6]);
    assertEquals(
      f64(env.sim.data.qfrc_actuator).slice(3),
      [-1, 0.5, -1, 1, -0.25, 0].map((a, i) => a * gears[i]),
    );
    const ctrlCost = 1 + 0.25 + 1 + 1 + 0.0625 + 0;
    const expected = (qpos[0] - x0) / 0.05 - 0.1 * ctrlCost;
    assertClose(rewards[0], expected, 1e-12, "team reward");
    assertEquals(rewards[1], rewards[0], "both agents get the team reward");
    assertEquals(
      f64(obs[0]),
      [qpos[5], qvel[5], qpos[4], qvel[4], qpos[3], qvel[3]],
      "agent 0: bfoot, bshin, bthigh",
    );
    assertEquals(
      f64(obs[1]),
      [qpos[8], qvel[8], qpos[7], qvel[7], qpos[6], qvel[6]],
      "agent 1: ffoot, fshin, fthigh",
    );
    assertEquals(f64(env.state), [...qpos.slice(1), ...qvel], "state = [qpos[1:9], qvel[0:9]]");
    assertEquals([done, timeout, env.t], [false, false, 1]);
    assertClose(env.sim.data.time, 0.05, 1e-12, "frame_skip 5 × 0.01");
  }));

Deno.test("HalfCheetah reset: qpos ∈ init ± 0.1, small qvel; same seed ⇒ identical trajectories", async () => {
  const a = await HalfCheetahEnv.create(), b = await HalfCheetahEnv.create();
  try {
    const run = (env: HalfCheetahEnv, seed: number): number[] => {
      env.reset(seed);
      const qpos = f64(env.sim.data.qpos), qvel = f64(env.sim.data.qvel);
      assert(qpos.every((q) => Math.abs(q) <= 0.1), `qpos within ±0.1: ${qpos}`);
      assert(qvel.every((v) => Math.abs(v) < 0.6) && qvel.some((v) => v !== 0), `qvel ~ 0.1 N(0,1): ${qvel}`);
      const rng = Rng.fromSeed(seed, "actions");
      const trace: number[] = [];
      for (let t = 0; t < 40; t++) {
        const act = [0, 1].map(() => [0, 1, 2].map(() => rng.uniformRange(-1, 1)));
        const r = env.step(act);
        trace.push(r.rewards[0], ...r.obs[0], ...r.obs[1]);
      }
      return trace;
    };
    const t1 = run(a, 7), t2 = run(b, 7), t3 = run(a, 8);
    assertEquals(t1, t2, "bit-identical");
    assert(t1[0] !== t3[0], "another seed, another trajectory");
    a.reset(Rng.fromSeed(7, "halfcheetah_2x3-reset"));
    b.reset(7);
    assertEquals(f64(a.state), f64(b.state), "a number seeds the stream (seed, '<name>-reset')");
  } finally {
    a.dispose();
    b.dispose();
  }
});

Deno.test("HalfCheetah episodes last 1000 steps and end by timeout only", () =>
  withEnv(HalfCheetahEnv.create(), (env) => {
    assertEquals(env.episodeLength, 1000);
    env.reset(0);
    const zero = [[0, 0, 0], [0, 0, 0]];
    for (let t = 1; t < 1000; t++) assertEquals(env.step(zero).done, false);
    const last = env.step(zero);
    assertEquals([last.done, last.timeout, env.t], [true, true, 1000]);
    assertThrows(() => env.step(zero), /episode ended after 1000 steps/);
    env.reset(1);
    assertEquals(env.t, 0);
  }));

Deno.test("bad actions and misuse give KitInputError with a clear message", async () => {
  await withEnv(HalfCheetahEnv.create(), (env) => {
    assertThrows(() => env.step([[0, 0, 0], [0, 0, 0]]), /call reset\(\) before step\(\)/);
    env.reset(0);
    assertThrows(() => env.step([[0, 0, 0]]), /expects 2 actions \(one per agent\), got 1/);
    assertThrows(() => env.step([[0, 0, 0], [0, 0]]), /agent 1's action must have 3 entries, got 2/);
    assertThrows(() => env.step([[0, NaN, 0], [0, 0, 0]]), /agent 0's action\[1\] is NaN/);
    assertThrows(() => env.step([[0, 0, 0], [Infinity, 0, 0]]), KitInputError);
    assertEquals(env.t, 0, "a rejected step changes nothing");
    assertThrows(() => env.reset(NaN), KitInputError);
  });
  await assertRejects(() => HalfCheetahEnv.create({ episodeLength: 0 }), KitInputError);
  await withEnv(makeMaze2d("umaze"), (env) => {
    env.reset(0);
    assertThrows(() => env.step([[0, 0, 0]]), /agent 0's action must have 2 entries, got 3/);
    assertThrows(() => env.step([new Float32Array([NaN, 0])]), KitInputError);
    assertThrows(() => env.setState([NaN, 1]), KitInputError);
  });
  await assertRejects(
    () => makeMaze2d("huge" as "umaze"),
    /unknown maze2d layout "huge"; expected one of: umaze, medium, large/,
  );
});

Deno.test("dispose frees the model once and blocks further use", async () => {
  const env = await HalfCheetahEnv.create();
  const model = env.sim.model, data = env.sim.data;
  env.reset(0);
  env.dispose();
  assert(model.isDeleted() && data.isDeleted(), "embind handles deleted");
  env.dispose(); // twice is harmless
  assertThrows(() => env.step([[0, 0, 0], [0, 0, 0]]), /disposed/);
});

Deno.test("Maze2D models: point mass 4.18879, Euler at 0.01 with 20 iterations, no gravity, wall boxes per layout", async () => {
  const walls = { umaze: 18, medium: 38, large: 62 }; // '#' cells counted by hand
  const horizons = { umaze: 300, medium: 600, large: 800 };
  for (const name of ["umaze", "medium", "large"] as const) {
    await withEnv(makeMaze2d(name), (env) => {
      const sim = env.sim, m = sim.model;
      assertEquals([m.nq, m.nv, m.nu], [2, 2, 2]);
      assertClose(
        f64(m.body_mass)[sim.id("body", "particle")],
        (1000 * 4 * Math.PI * 0.1 ** 3) / 3,
        1e-12,
        "mass",
      );
      assertClose(f64(m.body_mass)[1], 4.18879, 1e-5, "mass ≈ 4.18879");
      assertEquals(sim.timestep, 0.01);
      assertEquals(sim.readOption((o) => [o.integrator, o.iterations, ...f64(o.gravity)]), [0, 20, 0, 0, 0]);
      assertEquals(f64(m.actuator_gear).filter((_, i) => i % 6 === 0), [100, 100]);
      assertEquals(f64(m.dof_damping), [1, 1]);
      const types = Array.from(m.geom_type as Int32Array);
      assertEquals(types.filter((t) => t === 6).length, walls[name], `${name} wall boxes`); // mjGEOM_BOX
      const g = sim.id("geom", "wall_0_0"), pos = f64(m.geom_pos), size = f64(m.geom_size);
      assertEquals([...pos.slice(3 * g, 3 * g + 3), ...size.slice(3 * g, 3 * g + 3)], [
        1,
        1,
        0,
        0.5,
        0.5,
        0.2,
      ]);
      assertEquals([env.episodeLength, env.name, env.obsDims, env.actDims], [
        horizons[name],
        `maze2d_${name}_dense`,
        [4],
        [2],
      ]);
    });
  }
  assertEquals(MAZE2D_LAYOUTS.umaze.dense, { random: 68.537689, expert: 193.66285642381482 });
  assertEquals(MAZE2D_LAYOUTS.medium.dense, { random: 44.264742, expert: 297.4552547777125 });
  assertEquals(MAZE2D_LAYOUTS.large.dense, { random: 30.569041, expert: 303.4857382709002 });
});

Deno.test("Maze2D wall cell (i, j) spans qpos [i − 0.7, i + 0.3] × [j − 0.7, j + 0.3]: the ball (r 0.1) stops 0.1 short", () =>
  withEnv(makeMaze2d("umaze"), (env) => {
    // From the goal cell (1, 1): walls at (2, 1) (+x), (0, 1) (−x), (1, 0) (−y).
    const push = (a: [number, number]): number[] => {
      env.setState([1, 1], [0, 0]);
      env.restartClock();
      for (let t = 0; t < 150; t++) env.step([a]);
      return f64(env.obs[0]);
    };
    const tol = 0.005; // soft contact with margin 0.002
    assertClose(push([1, 0])[0], 2 - 0.7 - 0.1, tol, "+x stop at wall (2,1)'s lower edge");
    assertClose(push([-1, 0])[0], 0 + 0.3 + 0.1, tol, "−x stop at wall (0,1)'s upper edge");
    assertClose(push([0, -1])[1], 0 + 0.3 + 0.1, tol, "−y stop at wall (1,0)'s upper edge");
    assert(push([0, 1])[1] > 2, "+y passes into cell (1,2)");
  }));

Deno.test("Maze2D step by hand: Euler with implicit damping, qvel clipped to ±5 first, dense reward", () =>
  withEnv(makeMaze2d("umaze"), (env) => {
    const m = f64(env.sim.model.body_mass)[1], h = 0.01;
    env.setState([3, 1], [0.3, -0.2]); // open cell of the bottom corridor
    env.restartClock();
    const r = env.step([[0.5, 4]]); // 4 is clipped to 1
    assertEquals(f64(env.sim.data.qfrc_actuator), [50, 100]);
    // Euler integrates the joint damping (b = 1) implicitly: v1 = v0 + h (f − b v0) / (m + h b).
    const vx = 0.3 + (h * (50 - 0.3)) / (m + h), vy = -0.2 + (h * (100 + 0.2)) / (m + h);
    assertClose(r.obs[0][2], vx, 1e-12, "vx");
    assertClose(r.obs[0][3], vy, 1e-12, "vy");
    assertClose(r.obs[0][0], 3 + h * vx, 1e-12, "x uses the new velocity");
    assertClose(r.obs[0][1], 1 + h * vy, 1e-12, "y");
    const goal = [1, 1];
    assertClose(
      r.rewards[0],
      Math.exp(-Math.hypot(r.obs[0][0] - goal[0], r.obs[0][1] - goal[1])),
      1e-15,
      "dense",
    );
    env.setState([3, 1], [20, -20]);
    const c = env.step([[0, 0]]);
    assertClose(c.obs[0][2], 5 - (h * 5) / (m + h), 1e-12, "vx clipped to 5 before the step");
    assertClose(c.obs[0][3], -5 + (h * 5) / (m + h), 1e-12, "vy clipped to −5");
  }));

Deno.test("Maze2D reset: a reset cell ± 0.1, qvel 0.1·N(0,1); horizon ends the episode", () =>
  withEnv(makeMaze2d("medium"), (env) => {
    const cells = env.cells.resetCells;
    assertEquals(cells.length, 64 - 38);
    const seen = new Set<string>();
    for (let s = 0; s < 40; s++) {
      const [x, y, vx, vy] = env.reset(s)[0];
      const cell = cells.find(([i, j]) => Math.abs(x - i) <= 0.1 && Math.abs(y - j) <= 0.1);
      assert(cell !== undefined, `(${x}, ${y}) is within 0.1 of a reset cell`);
      seen.add(String(cell));
      assert(Math.abs(vx) < 0.5 && Math.abs(vy) < 0.5 && vx !== 0);
    }
    assert(seen.size > 15, `draws spread over the cells (${seen.size})`);
    assertEquals(f64(env.reset(5)[0]), f64(env.reset(5)[0]), "same seed, same start");
    for (let t = 1; t < 600; t++) assertEquals(env.step([[0, 0]]).done, false);
    assertEquals(env.step([[0, 0]]).timeout, true);
  }));

Deno.test("waypoint controller: Q-iteration route, reaches the umaze goal within the horizon from several seeds", async () => {
  // Hand-traced: from the bottom-left cell (3, 1) the only way to the goal (1, 1) is around the U.
  assertEquals(planRoute(MAZE2D_LAYOUTS.umaze, [3, 1], [1, 1]), [[3, 2], [3, 3], [2, 3], [1, 3], [1, 2], [
    1,
    1,
  ]]);
  const large = MAZE2D_LAYOUTS.large;
  const route = planRoute(large, [1, 1], [7, 9]);
  let prev: [number, number] = [1, 1];
  for (const [i, j] of route) {
    assertEquals(Math.abs(i - prev[0]) + Math.abs(j - prev[1]), 1, "one cell at a time");
    assert(large.rows[i][j] !== "#", "never through a wall");
    prev = [i, j];
  }
  assertEquals(prev, [7, 9]);
  await withEnv(makeMaze2d("umaze"), (env) => {
    const policy = waypointPolicy("umaze");
    const obs = [new Float32Array(4)], act = [new Float32Array(2)];
    for (const seed of [0, 2, 4, 6]) {
      policy.reset();
      env.reset(seed);
      let reachedAt = -1;
      for (let t = 0; t < env.episodeLength; t++) {
        obs[0].set(env.obs[0]);
        policy.act(obs, act);
        env.step(act);
        const d = Math.hypot(env.obs[0][0] - 1, env.obs[0][1] - 1);
        if (reachedAt < 0 && d < 0.1) reachedAt = t;
      }
      assert(reachedAt >= 0 && reachedAt < 200, `seed ${seed}: reached the goal at step ${reachedAt}`);
      assert(Math.hypot(env.obs[0][0] - 1, env.obs[0][1] - 1) < 0.05, `seed ${seed}: holds at the goal`);
      assertEquals(policy.route().at(-1), [1, 1], "the route ends at the target");
    }
  });
});

Deno.test("evaluateMujoco: waypoint ≫ random on umaze; noisy controller reproducible by seed", () =>
  withEnv(makeMaze2d("umaze"), (env) => {
    const random = evaluateMujoco(env, uniformRandomPolicy(Rng.fromSeed(0, "act")), { episodes: 4 });
    const expert = evaluateMujoco(env, waypointPolicy("umaze"), { episodes: 4 });
    assertEquals(random.scores.length, 4);
    assert(expert.mean > random.mean + 50, `waypoint ${expert.mean} vs random ${random.mean}`);
    assert(expert.mean > env.references.expert * 0.9, `waypoint ${expert.mean} near D4RL's expert reference`);
    const noisy = (seed: number) =>
      evaluateMujoco(env, waypointPolicy("umaze", { noise: Rng.fromSeed(seed, "noise") }), { episodes: 2 })
        .scores;
    assertEquals(Array.from(noisy(1)), Array.from(noisy(1)));
    assert(noisy(1)[0] !== noisy(2)[0]);
    assertThrows(() => evaluateMujoco(env, waypointPolicy("umaze"), { episodes: 0 }), KitInputError);
  }));
