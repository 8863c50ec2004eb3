import { assert, assertEquals, assertThrows } from "./assert.ts";
import { assertClose } from "./assert.ts";
import {
  applyHit,
  benchSmac,
  focusFireActions,
  formation,
  hitDamage,
  makeSmacTask,
  OUTCOME,
  randomActions,
  SMAC_MAPS,
  SMAC_TASKS,
  SmacBattle,
  type SmacMap,
  smacTask,
  UNIT_TYPES,
} from "../lib/envs/mod.ts";
import { loadTask } from "../lib/mujoco/tasks.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/rng.ts";

/** A battle of `map` without spawn jitter, every unit dead except `keep`, all of them told to stop. */
function scenario(map: keyof typeof SMAC_MAPS, keep: number[]): SmacBattle {
  const b = new SmacBattle(SMAC_MAPS[map], { spawnJitter: 0 });
  b.reset(Rng.fromSeed(0, "scenario"));
  for (let u = 0; u < b.numUnits; u++) {
    if (!keep.includes(u)) b.setUnit(u, { hp: 0 });
    b.setCommand(u, { kind: "stop" });
  }
  return b;
}

/** Ticks (1-based) at which `f()` changes over `n` ticks. */
function changes(b: SmacBattle, n: number, f: () => number): number[] {
  const out: number[] = [];
  let prev = f();
  for (let t = 1; t <= n; t++) {
    b.tick();
    const v = f();
    if (v !== prev) out.push(t);
    prev = v;
  }
  return out;
}

Deno.test("SMAC tasks: SMAC's observation, state and action sizes and episode limits", () => {
  assertEquals(SMAC_TASKS, ["smac_2s3z", "smac_3s5z", "smac_1c3s5z", "smac_2c_vs_64zg"]);
  const shapes = SMAC_TASKS.map((id) => {
    const t = makeSmacTask(id);
    return [t.numAgents, t.numEnemies, t.obsDims[0], t.stateDim, t.actDim, t.episodeLength];
  });
  // SMAC's get_env_info(): obs 80/128/162/332, state 120/216/270/342
  assertEquals(shapes, [
    [5, 5, 80, 120, 11, 120],
    [8, 8, 128, 216, 14, 150],
    [9, 9, 162, 270, 15, 180],
    [2, 64, 332, 342, 70, 400],
  ]);
  const t = makeSmacTask("smac_2s3z");
  assertEquals([t.learners, t.prey, t.discrete, t.name], [[0, 1, 2, 3, 4], null, true, "smac_2s3z"]);
  assertEquals(smacTask("2s3z", { spawnJitter: 0 }).name, "smac_2s3z_jitter0");
  assertThrows(
    () => makeSmacTask("smac_3m"),
    (e: Error) => e instanceof KitInputError && /smac_2s3z/.test(e.message),
  );
  assertThrows(() => smacTask("2s3z", { spawnJitter: -1 }), KitInputError);
  const bad: SmacMap = { ...SMAC_MAPS["2s3z"], name: "bad", enemies: ["marine" as "zealot"] };
  assertThrows(
    () => smacTask(bad),
    (e: Error) => e instanceof KitInputError && /unknown unit type "marine"/.test(e.message),
  );
});

Deno.test("SMAC tasks: loadTask refuses them with a message pointing at makeSmacTask", async () => {
  let message = "";
  try {
    await loadTask("smac_2s3z");
  } catch (e) {
    assert(e instanceof KitInputError);
    message = e.message;
  }
  assert(/makeSmacTask/.test(message), message);
});

Deno.test("SMAC damage by hand: shield first without armour, armour per hit, bonuses, hp floored at 0", () => {
  const { stalker, zealot, colossus, zergling } = UNIT_TYPES;
  assertEquals(hitDamage(stalker, stalker), 18); // 13 + 5 vs armored
  assertEquals(hitDamage(stalker, zealot), 13); // zealots are light, not armored
  assertEquals(hitDamage(colossus, zealot), 15); // 10 + 5 vs light
  assertEquals(hitDamage(colossus, zergling), 15);
  assertEquals(hitDamage(colossus, stalker), 10);
  assertEquals(hitDamage(zealot, stalker), 8);
  const hp = new Float64Array(1), sh = new Float64Array(1);
  const hit = (h: number, s: number, amount: number, armor: number) => {
    hp[0] = h, sh[0] = s;
    const dealt = applyHit(hp, sh, 0, amount, armor);
    return [dealt, hp[0], sh[0]];
  };
  assertEquals(hit(80, 80, 18, 1), [18, 80, 62]); // all absorbed, no armour on shields
  assertEquals(hit(80, 5, 18, 1), [5 + 12, 68, 0]); // 5 absorbed, 13 − 1 armour to hp
  assertEquals(hit(80, 12.5, 13, 1), [12.5, 80, 0]); // 0.5 left, below the armour: nothing reaches hp
  assertEquals(hit(3, 0, 18, 1), [3, 0, 0]); // floored at 0
  assertEquals(hit(0, 10, 18, 1), [0, 0, 10]); // the dead take nothing
  assertEquals(hit(35, 0, 15, 0), [15, 20, 0]); // zergling: no armour, no shield
});

Deno.test("SMAC damage in a battle: a zealot's two hits each pay armour; kills add 10, a win 200; scaled by max_reward/20", () => {
  // ally zealot 2 against enemy stalker 5 (shield 3): hit 1: 3 absorbed + (5 − 1); hit 2: 8 − 1
  const b = scenario("2s3z", [2, 5]);
  b.setUnit(2, { x: 12, y: 16 }), b.setUnit(5, { x: 13, y: 16, shield: 3, shieldCooldown: 10 }); // no regrowth this tick
  b.setCommand(2, { kind: "attack", target: 5 });
  assertEquals(b.tick(), 3 + 4 + 7);
  assertEquals([b.hp[5], b.shield[5]], [69, 0]);
  // a stalker's step reward: one shot in 8 ticks, 18 on the shield of an enemy stalker, / (1020 / 20)
  const s = scenario("2s3z", [0, 5]);
  s.setUnit(0, { x: 10, y: 16 }), s.setUnit(5, { x: 15, y: 16 });
  assertEquals(s.maxReward, 5 * 10 + 200 + 2 * 160 + 3 * 150);
  assertEquals(s.step([6 + 0, 0, 0, 0, 0]), 18 / (1020 / 20));
  assertEquals([s.shield[5], s.outcome], [62, OUTCOME.running]);
  // the killing shot: 5 hp left, no shield: 5 dealt + 10 kill + 200 win
  s.setUnit(5, { hp: 5, shield: 0 }), s.setUnit(0, { cooldown: 0 });
  assertEquals(s.step([6, 0, 0, 0, 0]), (5 + 10 + 200) / 51);
  assertEquals(s.outcome, OUTCOME.won);
});

Deno.test("SMAC cooldowns: attacks every ⌈cooldown·16⌉ ticks (stalker 22, zealot 14, colossus 18, zergling 8)", () => {
  const s = scenario("2s3z", [0, 5]);
  s.setUnit(0, { x: 10, y: 16 }), s.setUnit(5, { x: 15, y: 16 });
  s.setCommand(0, { kind: "attack", target: 5 });
  assertEquals(changes(s, 50, () => s.shield[5]), [1, 23, 45]);
  assertEquals(s.shield[5], 80 - 3 * 18);
  const z = scenario("2s3z", [2, 7]);
  z.setUnit(2, { x: 12, y: 16 }), z.setUnit(7, { x: 13, y: 16 });
  z.setCommand(2, { kind: "attack", target: 7 });
  assertEquals(changes(z, 45, () => z.shield[7] + z.hp[7]), [1, 15, 29, 43]);
  assertEquals([z.shield[7], z.hp[7]], [0, 100 - (6 - 1) - (8 - 1)]); // 50 − 3·16 = 2 left, then 2 + 5, 7
  const c = scenario("1c3s5z", [0, 9]); // colossus on colossus: 2 hits of 10 every 18 ticks
  c.setUnit(0, { x: 10, y: 16 }), c.setUnit(9, { x: 16, y: 16 });
  c.setCommand(0, { kind: "attack", target: 9 });
  assertEquals(changes(c, 40, () => c.shield[9]), [1, 19, 37]);
  assertEquals(c.shield[9], 150 - 3 * 20);
  // an attack is not spent on a target killed earlier in the same tick
  const k = scenario("2s3z", [0, 1, 7]);
  k.setUnit(0, { x: 10, y: 15 }),
    k.setUnit(1, { x: 10, y: 17 }),
    k.setUnit(7, { x: 14, y: 16, hp: 1, shield: 0, shieldCooldown: 10 });
  k.setCommand(0, { kind: "attack", target: 7 }), k.setCommand(1, { kind: "attack", target: 7 });
  assertEquals(k.tick(), 1 + 10);
  assertEquals([k.cooldown[0], k.cooldown[1]].sort(), [0, 1.34]);
  const g = scenario("2c_vs_64zg", [0, 2]);
  g.setUnit(0, { x: 16, y: 15 }), g.setUnit(2, { x: 16, y: 13.6 }); // 1.4 apart: within 0.1 + 1 + 0.375
  g.setCommand(2, { kind: "attack", target: 0 });
  assertEquals(changes(g, 20, () => g.shield[0]), [1, 9, 17]);
});

Deno.test("SMAC range: edge to edge (range + both radii) for attacks, centre distance ≤ 6 for the mask", () => {
  for (const [d, attacks] of [[7.12, true], [7.13, false]] as const) {
    const b = scenario("2s3z", [0, 7]); // stalker (r 0.625) on zealot (r 0.5): reach 6 + 1.125
    b.setUnit(0, { x: 10, y: 16 }), b.setUnit(7, { x: 10 + d, y: 16 });
    b.setCommand(0, { kind: "attack", target: 7 });
    b.tick();
    assertEquals(b.shield[7] < 50, attacks, `distance ${d}`);
    assertEquals(b.x[0] === 10, attacks, `stands when in range, walks otherwise (${d})`);
  }
  const z = scenario("2s3z", [2, 7]); // zealot on zealot: 0.1 + 0.5 + 0.5
  z.setUnit(2, { x: 10, y: 16 }), z.setUnit(7, { x: 11.11, y: 16 });
  z.setCommand(2, { kind: "attack", target: 7 });
  z.tick();
  assertEquals(z.shield[7], 50, "1.11 apart is out of melee reach");
  assert(z.x[2] > 10, "so it closes in");
  const m = scenario("2s3z", [0, 5, 6]);
  m.setUnit(0, { x: 10, y: 16 }), m.setUnit(5, { x: 16, y: 16 }), m.setUnit(6, { x: 10, y: 22.01 });
  const mask = new Uint8Array(11);
  m.availActions(0, mask, 0);
  assertEquals(Array.from(mask.subarray(6)), [1, 0, 0, 0, 0]); // 6.0 away: yes; 6.01: no; dead: no
});

Deno.test("SMAC splash: the colossus's 2.8 × 0.3 beam across the line of fire hits every zergling it touches", () => {
  // colossus 0 at (10, 16) fires along +x at zergling 2 at (15, 16); a second zergling 3 probes the beam at
  // (along, across) from the target; zergling radius 0.375, the beam reaches 1.408 from the target's centre
  const probes: [number, number, boolean][] = [
    [0, 1.3, true], // within the half-length 1.4
    [0, -1.3, true],
    [0, 1.45, false], // its circle touches the beam, but its centre is beyond the beam's reach
    [0.5, 0.7, true], // 0.35 beyond the half-thickness 0.15: within the radius
    [-0.5, 0.7, true],
    [0.6, 0.7, false], // 0.45 beyond: missed
    [0.3, 1.2, true],
  ];
  for (const [along, across, hit] of probes) {
    const b = scenario("2c_vs_64zg", [0, 2, 3]);
    b.setUnit(0, { x: 10, y: 16 }),
      b.setUnit(2, { x: 15, y: 16 }),
      b.setUnit(3, { x: 15 + along, y: 16 + across });
    b.setCommand(0, { kind: "attack", target: 2 });
    assertEquals(b.tick(), (hit ? 2 : 1) * 2 * 15, `probe (${along}, ${across})`); // 2 hits of 10 + 5 vs light
    assertEquals(b.hp[3] < 35, hit);
  }
  // no friendly fire: the other colossus 1.4 across the line takes nothing
  const f = scenario("2c_vs_64zg", [0, 1, 2]);
  f.setUnit(0, { x: 10, y: 16 }), f.setUnit(2, { x: 15, y: 16 }), f.setUnit(1, { x: 15, y: 14.6 });
  f.setCommand(0, { kind: "attack", target: 2 });
  assertEquals(f.tick(), 30);
  assertEquals(f.shield[1], 150);
  // a diagonal line of fire turns the beam with it
  const s = Math.SQRT1_2;
  for (const [along, across, hit] of [[0, 1.2, true], [0.6, 0.7, false], [0.5, -0.7, true]] as const) {
    const d = scenario("2c_vs_64zg", [0, 2, 3]);
    d.setUnit(0, { x: 10, y: 10 }), d.setUnit(2, { x: 14, y: 14 });
    d.setUnit(3, { x: 14 + (along - across) * s, y: 14 + (along + across) * s });
    d.setCommand(0, { kind: "attack", target: 2 });
    assertEquals(d.tick(), (hit ? 2 : 1) * 30, `diagonal probe (${along}, ${across})`);
  }
});

Deno.test("SMAC shields regrow 2/s from the 160th tick after the last hit; zerglings regrow hp 0.38/s", () => {
  const b = scenario("2s3z", [0]);
  b.setUnit(0, { shield: 50, shieldCooldown: 10 });
  assertEquals(changes(b, 170, () => b.shield[0])[0], 160);
  assertEquals(b.shield[0], 50 + 11 * 2 / 16);
  for (let t = 0; t < 16; t++) b.tick();
  assertEquals(b.shield[0], 50 + 27 * 2 / 16);
  b.setUnit(0, { shield: 79.9 });
  b.tick();
  assertEquals(b.shield[0], 80, "capped at the maximum");
  // a hit restarts the delay (the victim may count down once in the same tick, after the hit)
  const h = scenario("2s3z", [0, 7]);
  h.setUnit(0, { x: 10, y: 16, shield: 40 }), h.setUnit(7, { x: 11, y: 16 });
  h.setCommand(7, { kind: "attack", target: 0 });
  h.tick();
  assert([10, 10 - 1 / 16].includes(h.shieldCooldown[0]), `delay ${h.shieldCooldown[0]}`);
  assertEquals(h.shield[0], 40 - 16);
  const z = scenario("2c_vs_64zg", [2]);
  z.setUnit(2, { hp: 10 });
  for (let t = 0; t < 16; t++) z.tick();
  assertClose(z.hp[2], 10.38, 1e-12, "zergling hp after 1 s");
  assertEquals([z.shield[2], z.shieldCooldown[2]], [0, 0]);
});

Deno.test("SMAC masks: dead agents only no-op, no no-op for the living, moves onto walkable ground, bad actions refused before any battle moves", () => {
  const task = makeSmacTask("smac_2s3z");
  const vec = task.makeVecEnv(2);
  vec.reset([Rng.fromSeed(1), Rng.fromSeed(2)]);
  const b = vec.battles[1];
  b.setUnit(3, { hp: 0 }), b.setUnit(0, { y: 23.2 }); // the walkable band is 8 ≤ y < 24
  vec.refresh(); // recompute masks and observations
  const row = (e: number, a: number) =>
    Array.from(vec.availActions.subarray((e * 5 + a) * 11, (e * 5 + a + 1) * 11));
  assertEquals(row(1, 3), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(row(1, 0).slice(0, 6), [0, 1, 0, 1, 1, 1]); // north blocked
  assertEquals(
    Array.from(vec.obs[3].subarray(80, 160)).every((v) => v === 0),
    true,
    "a dead agent sees zeros",
  );
  const before = JSON.stringify(vec.saveState());
  const stop = () => Array.from({ length: 5 }, () => Int32Array.of(1, 1));
  const acts = stop();
  acts[3][1] = 1; // dead agent in env 1 must take 0
  assertThrows(
    () => vec.step(acts),
    (e: Error) => e instanceof KitInputError && /env 1 agent 3 cannot take action 1/.test(e.message),
  );
  const north = stop();
  north[3][1] = 0, north[0][1] = 2;
  assertThrows(() => vec.step(north), /env 1 agent 0 cannot take action 2 \(available: 1, 3, 4, 5\)/);
  assertEquals(JSON.stringify(vec.saveState()), before, "nothing moved");
  assertThrows(() => vec.step(stop().slice(0, 4)), /expects actions for 5 agents/);
  assertThrows(
    () => vec.step([...stop().slice(0, 4), new Int32Array(3)]),
    /\[2\] indices or \[2, 11\] scores/,
  );
  // scores pick their argmax: a one-hot of "stop" equals index 1
  const scores = Array.from({ length: 5 }, (_, a) => {
    const s = new Float64Array(22);
    s[1] = 1, s[11 + (a === 3 ? 0 : 1)] = 0.9;
    return s;
  });
  vec.step(scores);
  assertEquals(vec.actions[1], 1);
  assertEquals(vec.actions[(5 + 3) * 11 + 0], 1);
});

Deno.test("SMAC observations and state by hand at a fixed-formation reset", () => {
  const env = smacTask("2s3z", { spawnJitter: 0 }).makeEnv();
  const obs = env.reset(0);
  // formation: stalkers at (7.875, 15.45), (9.175, 15.45); zealots (10.35, 15.45), (7.75, 16.625), (8.8, 16.625)
  const b = env.battle;
  const expected = [[7.875, 15.45], [9.175, 15.45], [10.35, 15.45], [7.75, 16.625], [8.8, 16.625]];
  expected.forEach(([x, y], u) => {
    assertClose(b.x[u], x, 1e-12, `x of agent ${u}`);
    assertClose(b.y[u], y, 1e-12, `y of agent ${u}`);
  });
  assertEquals(formation(["colossus", "colossus"], 16, 16, false), [15, 15.975, 17.05, 15.975]);
  const o = obs[0];
  assertEquals(o.slice(0, 4), [1, 1, 1, 1]);
  assert(o.slice(4, 44).every((v) => v === 0), "enemies 14+ away are out of sight");
  const d = 9.175 - 7.875;
  assertEquals(
    o.slice(44, 52),
    [1, d / 9, d / 9, 0, 1, 1, 1, 0].map((v, k) => k === 1 || k === 2 ? o[44 + k] : v),
  );
  assertClose(o[45], d / 9, 1e-15, "distance / 9");
  assertClose(o[46], d / 9, 1e-15, "dx / 9"); // agent 1: a stalker, full hp and shield
  assertEquals(o.slice(76, 80), [1, 1, 1, 0]); // own hp, shield, stalker
  const s = env.state();
  assertEquals([s[0], s[1], s[4], s[5], s[6]], [1, 0, 1, 1, 0]);
  assertClose(s[2], (7.875 - 16) / 32, 1e-15, "state x");
  assertClose(s[3], (15.45 - 16) / 32, 1e-15, "state y");
  assertEquals(s.slice(65, 120).every((v) => v === 0), true, "no last actions yet");
  const r = env.step([1, 1, 1, 1, 1]);
  assertEquals([r.done, r.reward], [false, 0]);
  assertEquals(env.state().slice(65, 76), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(r.availActions[0][0], 0);
});

Deno.test("SMAC enemy AI: closest target within 5 + radius, retaliation on a distant attacker, else the attack point", () => {
  const b = scenario("2s3z", [0, 3, 5]);
  b.setCommand(5, { kind: "attack-move", x: 9, y: 16 });
  b.setUnit(5, { x: 20, y: 16 }), b.setUnit(0, { x: 13.4, y: 16 }), b.setUnit(3, { x: 14.4, y: 20 });
  b.tick(); // agent 0 is 6.6 away (beyond 5 + 0.625), zealot 3 is 6.9 away (beyond 5.5): none
  assertEquals(b.target[5], -1);
  assert(b.x[5] < 20, "walks to the attack point");
  b.setCommand(0, { kind: "attack", target: 5 }); // now agent 0 shoots it from out of scan range
  b.tick();
  assertEquals(b.target[5], 0, "retaliates");
  const c = scenario("2s3z", [0, 3, 5]);
  c.setCommand(5, { kind: "attack-move", x: 9, y: 16 });
  c.setUnit(5, { x: 20, y: 16 }), c.setUnit(0, { x: 15.5, y: 16 }), c.setUnit(3, { x: 16, y: 18 });
  c.tick(); // 4.5 and 4.47 away: the closer zealot 3
  assertEquals(c.target[5], 3);
});

Deno.test("SMAC terrain: on the ravine a zergling walks around the wall to a colossus instead of pressing into it", () => {
  const b = scenario("2c_vs_64zg", [0, 2]);
  b.setUnit(0, { x: 16, y: 16 }), b.setUnit(2, { x: 16, y: 10 });
  b.setCommand(2, { kind: "attack", target: 0 });
  let hitAt = -1;
  for (let t = 1; t <= 16 * 20 && hitAt < 0; t++) {
    b.tick();
    assert(b.walkable(b.x[2], b.y[2]), `tick ${t}: off the ground at (${b.x[2]}, ${b.y[2]})`);
    if (b.shield[0] < 150) hitAt = t;
  }
  // around the end of the wall at x = 4 or 28: ≥ 2·12 + 6 of path at 4.13/s, about 7 s
  assert(hitAt > 16 * 6 && hitAt < 16 * 10, `reached the colossus at tick ${hitAt}`);
});

Deno.test("SMAC outcomes: loss, draw and timeout end the episode; a finished battle waits with zero reward", () => {
  const task = makeSmacTask("smac_2s3z");
  const env = task.makeEnv();
  env.reset(3);
  for (let a = 0; a < 5; a++) env.battle.setUnit(a, { hp: 0 });
  let r = env.step([0, 0, 0, 0, 0]);
  assertEquals([r.done, r.outcome, r.won, r.truncated], [true, OUTCOME.lost, false, false]);
  env.reset(3);
  for (let u = 0; u < 10; u++) env.battle.setUnit(u, { hp: 0 });
  assertEquals(env.step([0, 0, 0, 0, 0]).outcome, OUTCOME.draw);
  env.reset(3);
  for (let u = 5; u < 10; u++) env.battle.setCommand(u, { kind: "stop" });
  for (let t = 0; t < 119; t++) assertEquals(env.step([1, 1, 1, 1, 1]).done, false);
  r = env.step([1, 1, 1, 1, 1]);
  assertEquals([r.done, r.outcome, r.truncated, env.vec.episodeSteps[0]], [true, OUTCOME.timeout, true, 120]);
  assertEquals(r.availActions.every((row) => row[0] === 1 && row.slice(1).every((v) => v === 0)), true);
  r = env.step([0, 0, 0, 0, 0]);
  assertEquals([r.reward, env.vec.episodeSteps[0]], [0, 120]);
});

function playOut(
  vec: ReturnType<ReturnType<typeof makeSmacTask>["makeVecEnv"]>,
  policy: "focus" | "random",
  rng: Rng,
) {
  while (!vec.allDone()) vec.step(policy === "focus" ? focusFireActions(vec) : randomActions(vec, rng));
  return vec.outcomes.filter((o) => o === OUTCOME.won).length;
}

Deno.test("SMAC 2s3z: scripted focus fire wins most of 50 seeded episodes, random play almost none", () => {
  const task = makeSmacTask("smac_2s3z");
  const seeds = () => Array.from({ length: 50 }, (_, e) => Rng.fromSeed(e, "smac-eval"));
  const focus = task.makeVecEnv(50);
  focus.reset(seeds());
  const focusWins = playOut(focus, "focus", Rng.fromSeed(0));
  const random = task.makeVecEnv(50);
  random.reset(seeds());
  const randomWins = playOut(random, "random", Rng.fromSeed(0, "policy"));
  assert(focusWins >= 35, `focus fire won ${focusWins}/50`);
  assert(randomWins <= 10, `random won ${randomWins}/50`);
  const meanReturn = (v: typeof focus) => v.scores.reduce((s, x) => s + x, 0) / 50;
  assert(meanReturn(focus) > 15 && meanReturn(random) < 8, `${meanReturn(focus)} vs ${meanReturn(random)}`);
  // seeded episodes differ (spawn jitter and tick orders), the same seed repeats
  assert(new Set(Array.from(random.episodeSteps)).size > 5);
  const again = task.makeVecEnv(50);
  again.reset(seeds());
  playOut(again, "random", Rng.fromSeed(0, "policy"));
  assertEquals(Array.from(again.scores), Array.from(random.scores));
});

Deno.test("SMAC vectorized = single, bit for bit, and saveState/loadState resumes exactly", () => {
  for (const id of ["smac_2s3z", "smac_2c_vs_64zg"]) {
    const task = makeSmacTask(id), E = 3, nA = task.numAgents, n = task.numActions;
    const vec = task.makeVecEnv(E);
    const singles = Array.from({ length: E }, () => task.makeEnv());
    vec.reset(Array.from({ length: E }, (_, e) => Rng.fromSeed(10 + e, "env-reset")));
    singles.forEach((s, e) => s.reset(10 + e));
    const pol = Array.from({ length: E }, (_, e) => Rng.fromSeed(e, "pol"));
    let saved: string | null = null;
    const log: Int32Array[][] = [];
    for (let t = 0; t < 40 && !vec.allDone(); t++) {
      if (t === 20) saved = JSON.stringify(vec.saveState());
      const acts = Array.from({ length: nA }, () => new Int32Array(E));
      singles.forEach((s, e) => {
        const avail = s.availActions();
        for (let a = 0; a < nA; a++) {
          assertEquals(
            Array.from(vec.availActions.subarray((e * nA + a) * n, (e * nA + a + 1) * n)),
            avail[a],
          );
          const ok = avail[a].flatMap((v, k) => (v ? [k] : []));
          acts[a][e] = ok[pol[e].int(ok.length)];
        }
        const d = task.obsDims[0];
        assertEquals(
          vec.obs.map((o) => Array.from(o.subarray(e * d, (e + 1) * d))),
          s.vec.obs.map((o) => Array.from(o)),
        );
        assertEquals(Array.from(vec.states.subarray(e * task.stateDim, (e + 1) * task.stateDim)), s.state());
      });
      vec.step(acts);
      if (t >= 20) log.push(acts);
      singles.forEach((s, e) => {
        const r = s.step(Array.from({ length: nA }, (_, a) => acts[a][e]));
        assertEquals([vec.rewards[e * nA], vec.outcomes[e], vec.scores[e]], [
          r.reward,
          r.outcome,
          s.vec.scores[0],
        ]);
      });
    }
    // a batch restored from step 20 and given the same actions ends where the original did
    assert(saved !== null && log.length > 0);
    const resumed = task.makeVecEnv(E);
    resumed.loadState(JSON.parse(saved));
    for (const acts of log) resumed.step(acts);
    assertEquals(JSON.stringify(resumed.saveState()), JSON.stringify(vec.saveState()));
    assertEquals(Array.from(resumed.obs[0]), Array.from(vec.obs[0]));
  }
});

Deno.test("SMAC bench: env steps per second are measured for both forms", () => {
  const r = benchSmac(makeSmacTask("smac_2s3z"), { numEnvs: 4, seconds: 0.05 });
  assert(r.single > 0 && r.vectorized > 0 && r.task === "smac_2s3z");
  assertThrows(() => benchSmac(makeSmacTask("smac_2s3z"), { numEnvs: 0 }), KitInputError);
});
