import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { assertClose } from "./assert.ts";
import {
  boundPenalty,
  loadPrey,
  makeTask,
  MpePhysics,
  ParticleEnv,
  ParticleVecEnv,
  spread1d,
} from "../lib/envs/mod.ts";
import { logAddExp0 } from "../lib/envs/mpe/physics.ts";
import { benchEnv } from "../lib/envs/bench.ts";
import { KitInputError } from "../lib/util/errors.ts";

Deno.test("task dimensions match the original code", () => {
  assertEquals(makeTask("cooperative_navigation").obsDims, [18, 18, 18]);
  assertEquals(makeTask("predator_prey").obsDims, [16, 16, 16, 14]);
  assertEquals(makeTask("world").obsDims, [24, 24, 24, 22]);
  for (let n = 1; n <= 5; n++) assertEquals(makeTask(`spread_1d_n${n}`).obsDims, Array(n).fill(2 * n + 1));
  assertEquals(makeTask("predator_prey").learners, [0, 1, 2]);
  assertEquals(makeTask("world").prey, 3);
});

Deno.test("unknown task id names the valid ones", () => {
  assertThrows(() => makeTask("simple_spread"), KitInputError);
  assertThrows(
    () => makeTask("spread_1d_n0"),
    /expected one of: cooperative_navigation, predator_prey, world/,
  );
});

Deno.test("logaddexp(0, x) matches its definition on both branches", () => {
  for (const x of [-50, -3, -1e-9, 0, 1e-9, 2, 40]) {
    assertClose(logAddExp0(x), Math.log(1 + Math.exp(x)), 1e-12, `x=${x}`);
  }
  assertEquals(logAddExp0(0), Math.LN2);
  assertClose(logAddExp0(800), 800, 0, "no overflow");
});

Deno.test("1-D physics step by hand: damping, force 5a, contact push between overlapping agents", () => {
  const task = spread1d({ numAgents: 2 });
  const env = new ParticleEnv(task);
  env.reset({ pos: [[0], [0.2], [1], [-1]], vel: [[0.4], [0], [0], [0]] });
  env.step([[1], [0]]);
  const s = env.getState();
  // contact between agents 0 and 1 (radii 0.15 + 0.15 = 0.3, distance 0.2):
  // penetration = k·softplus(−(0.2 − 0.3)/k) = k·(100 + log1p(e^−100)) with k = 1e-3
  const penetration = 1e-3 * (100 + Math.log1p(Math.exp(-100)));
  const f = (100 * (0 - 0.2)) / 0.2 * penetration; // force on agent 0 (δ = p0 − p1)
  const v0 = 0.4 * 0.75 + (5 * 1 + f) * 0.1;
  const v1 = 0 * 0.75 + (0 - f) * 0.1;
  assertClose(s.vel[0][0], v0, 1e-15, "v0");
  assertClose(s.vel[1][0], v1, 1e-15, "v1");
  assertClose(s.pos[0][0], 0 + v0 * 0.1, 1e-15, "p0");
  assertClose(s.pos[1][0], 0.2 + v1 * 0.1, 1e-15, "p1");
  assertEquals(s.pos[2], [1]); // landmarks never move
});

Deno.test("2-D speed cap: a predator under full action never exceeds max speed 1", () => {
  const task = makeTask("predator_prey");
  const physics = new MpePhysics(task.world);
  const vec = new ParticleVecEnv(task, 1);
  vec.resetFromStates([{
    pos: [[-0.5, 0], [0.5, 0.5], [0.5, -0.5], [0.9, 0.9], [-0.9, 0.9], [-0.9, -0.9]],
    vel: Array(6).fill([0, 0]),
  }]);
  const actions = new Float64Array(4 * 2).fill(1);
  for (let t = 0; t < 10; t++) physics.step(vec.state, actions);
  const speed = Math.hypot(vec.state.vel[0], vec.state.vel[1]);
  assertClose(speed, 1.0, 1e-12, "predator speed");
  assertClose(Math.hypot(vec.state.vel[6], vec.state.vel[7]), 1.3, 1e-12, "prey speed");
});

Deno.test("cooperative 1-D Spread reward and observation by hand", () => {
  const task = spread1d({ numAgents: 2 });
  const env = new ParticleEnv(task);
  const obs = env.reset({ pos: [[0.5], [0.6], [0.5], [-0.25]], vel: [[0.1], [0], [0], [0]] });
  assertEquals(obs[0], [0.1, 0.5, 0, -0.75, 0.6 - 0.5]);
  assertEquals(obs[1].length, 5);
  // rewards on the state after a step: compute from the state itself
  const r = env.step([[0], [0]]);
  const s = env.getState();
  const x = s.pos.map((p) => p[0]);
  const cover = [2, 3].reduce(
    (acc, l) => acc + Math.min(1 / Math.min(Math.abs(x[0] - x[l]), Math.abs(x[1] - x[l])), 10),
    0,
  );
  const collide = Math.abs(x[0] - x[1]) < 0.3 ? 5 : 0;
  assertClose(r.rewards[0], cover - collide, 1e-12, "r0");
  assertClose(r.rewards[1], cover - collide, 1e-12, "r1");
  assertClose(r.scoreIncrement, cover - collide, 1e-12, "score");
});

Deno.test("independent 1-D Spread: each agent is rewarded for its own landmark only", () => {
  const task = spread1d({ numAgents: 2, cooperative: false, contactForces: false });
  assertEquals(task.name, "spread_1d_independent_n2_nocontact");
  const env = new ParticleEnv(task);
  env.reset({ pos: [[0.5], [0.5], [0.7], [-0.5]], vel: [[0], [0], [0], [0]] });
  const r = env.step([[0], [0]]);
  assertClose(r.rewards[0], 1 / 0.2, 1e-12, "agent 0 to landmark 0");
  assertClose(r.rewards[1], 1 / 1.0, 1e-12, "agent 1 to landmark 1");
  assertClose(r.scoreIncrement, (5 + 1) / 2, 1e-12, "mean");
});

Deno.test("reward caps: an agent on a landmark earns at most 10 per landmark", () => {
  const task = makeTask("cooperative_navigation");
  const env = new ParticleEnv(task);
  const pos = [[0, 0], [1, 1], [-1, -1], [0, 0], [1, 1], [-1, -1]];
  env.reset({ pos, vel: pos.map(() => [0, 0]) });
  const r = env.step([[0, 0], [0, 0], [0, 0]]);
  assertEquals(r.rewards, [30, 30, 30]);
});

Deno.test("predator-prey boundary penalty pieces", () => {
  assertEquals(boundPenalty(0.5), 0);
  assertClose(boundPenalty(0.95), 0.5, 1e-12);
  assertClose(boundPenalty(1.2), Math.exp(0.4), 1e-12);
  assertEquals(boundPenalty(5), 10);
});

Deno.test("the same seed gives the same episode; different seeds differ", () => {
  const task = makeTask("cooperative_navigation");
  const a = new ParticleEnv(task), b = new ParticleEnv(task);
  assertEquals(a.reset(42), b.reset(42));
  assert(JSON.stringify(a.reset(43)) !== JSON.stringify(b.reset(42)));
});

Deno.test("bad actions give clear errors: NaN, wrong count, wrong length, missing prey", () => {
  const cn = new ParticleVecEnv(makeTask("cooperative_navigation"), 2);
  cn.reset(
    new (class {
      uniformRange = (lo: number, hi: number) => (lo + hi) / 2 + 0.1;
    })(),
  );
  const ok = () => new Float64Array(4);
  assertThrows(
    () => cn.step([ok(), Float64Array.from([0, NaN, 0, 0]), ok()]),
    /agent 1 action is NaN in env 0/,
  );
  assertThrows(() => cn.step([ok(), ok()]), /expected actions for 3 learners or all 3 agents/);
  assertThrows(() => cn.step([ok(), ok(), new Float64Array(3)]), /must be \[2, 2\]/);
  const pp = new ParticleVecEnv(makeTask("predator_prey"), 1);
  assertThrows(
    () => pp.step([new Float64Array(2), new Float64Array(2), new Float64Array(2)]),
    /needs a prey policy/,
  );
  assertThrows(
    () => pp.resetFromStates([{ pos: [[0, 0]], vel: [[0, 0]] }]),
    /expected pos and vel for 6 entities/,
  );
});

Deno.test("actions are clipped to [-1, 1] at the env boundary", () => {
  const task = makeTask("cooperative_navigation");
  const a = new ParticleVecEnv(task, 1), b = new ParticleVecEnv(task, 1);
  const src = new (class {
    uniformRange = (lo: number, hi: number) => lo + (hi - lo) * 0.3;
  })();
  a.reset(src), b.reset(src);
  a.step([Float64Array.from([5, -7]), Float64Array.from([0.5, 2]), Float64Array.from([0, 0])]);
  b.step([Float64Array.from([1, -1]), Float64Array.from([0.5, 1]), Float64Array.from([0, 0])]);
  assertEquals(a.state.pos, b.state.pos);
});

Deno.test("prey loading: missing weights and the untrained kit prey say what to do", async () => {
  const task = makeTask("world");
  await assertRejects(() => loadPrey(task, { path: "/nonexistent/prey.json" }), /file not found/);
  const empty = await Deno.makeTempDir();
  await assertRejects(() => loadPrey(task, { source: "kit", kitDir: empty }), /has not been trained yet/);
  await Deno.remove(empty);
  const kit = await loadPrey(task, { source: "kit" }); // the committed one
  assertEquals([kit.obsDim, kit.actDim], [22, 2]);
  await assertRejects(() => loadPrey(makeTask("cooperative_navigation")), /has no prey/);
  const tmp = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(tmp, JSON.stringify({ agents: [{}, {}, {}, { num_in: 14, num_out: 2 }] }));
  await assertRejects(() => loadPrey(task, { path: tmp }), /fc1.bias/);
  await Deno.remove(tmp);
});

Deno.test("benchEnv: numEnvs and seconds are checked first, naming the option", () => {
  const task = makeTask("spread_1d_n1");
  for (
    const [options, expected] of [
      [{ numEnvs: 0 }, 'benchEnv: numEnvs expects a positive integer, got "0"'],
      [{ numEnvs: 2.5 }, "benchEnv: numEnvs expects a positive integer"],
      [{ seconds: 0 }, 'benchEnv: seconds expects a positive number, got "0"'],
      [{ seconds: -1 }, "benchEnv: seconds expects a positive number"],
    ] as const
  ) {
    assertThrows(
      () => benchEnv(task, options),
      (e: unknown) => e instanceof KitInputError && e.message.includes(expected),
    );
  }
  const r = benchEnv(task, { numEnvs: 2, seconds: 0.01 });
  assertEquals(r.numEnvs, 2);
  assert(r.vectorized > 0 && r.single > 0);
});
