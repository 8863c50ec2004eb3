// The task profiles (issue #17): the authors' facts in one place, checked against official-code.md §4.
import { assertEquals, assertThrows } from "./assert.ts";
import {
  authorsRounds,
  parseQuality,
  PROFILED_TASKS,
  qualityName,
  taskCoefficients,
  taskProfile,
  usesLadder,
} from "../lib/tasks/mod.ts";
import { envIdForTask, TASK_TO_ENV_ID } from "../lib/data/omar_layout.ts";
import { coefficients, taskSettings } from "../lib/algos/presets.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { onlinePreset } from "../lib/behaviour/online.ts";

Deno.test("task profiles: the authors' update rounds (num_steps / 100) per task and quality", () => {
  const rounds = (t: string) =>
    ["random", "medium-replay", "medium", "expert"].map((q) => authorsRounds(t, q));
  assertEquals(rounds("cooperative_navigation"), [6000, 2000, 2000, 2000]); // 6e5 for random, else 2e5
  assertEquals(rounds("predator_prey"), [2000, 1000, 2000, 2000]); // 1e5 for medium-replay
  assertEquals(rounds("world"), [1000, 1000, 1000, 1000]);
  assertEquals(rounds("halfcheetah_2x3"), [100_000, 100_000, 100_000, 100_000]);
  assertEquals([
    authorsRounds("maze2d_large_dense", "waypoint"),
    authorsRounds("spread_1d_n3", "medium-replay"),
  ], [
    100_000,
    1000,
  ]);
  assertEquals(authorsRounds("cooperative_navigation", "full-replay"), 2000); // medium-replay's
  assertThrows(() => authorsRounds("maze2d_umaze_dense", "expert"), KitInputError);
});

Deno.test("task profiles: env_config_map's (omar_coe, cql_alpha) and the presets built on them", () => {
  const row = (t: string) =>
    ["random", "medium-replay", "medium", "expert"].map((q) => Object.values(taskCoefficients(t, q)));
  assertEquals(row("cooperative_navigation"), [[1, 0.5], [1, 1], [1, 5], [1, 5]]);
  assertEquals(row("predator_prey"), [[0.9, 0.5], [0.9, 0.5], [0.7, 5], [0.9, 5]]);
  assertEquals(row("world"), [[1, 0.5], [0.7, 1], [0.1, 0.5], [0.9, 5]]);
  assertEquals(row("halfcheetah_2x3"), [[1, 1], [0.9, 5], [0.7, 1], [0.5, 5]]);
  assertEquals(row("spread_1d_independent_n4"), row("cooperative_navigation")); // Spread takes CN's row
  assertEquals(coefficients("world", "medium", "paper"), { tau: 0.7, cqlAlpha: 0.5 }); // the paper's τ, code's α
  assertEquals(taskSettings("maze2d_medium_dense").gamma, 0.99);
  assertEquals(taskSettings("world"), {});
});

Deno.test("task profiles: names, env ids and quality names", () => {
  assertEquals(TASK_TO_ENV_ID, {
    cooperative_navigation: "simple_spread",
    predator_prey: "simple_tag",
    world: "simple_world",
  });
  assertEquals([envIdForTask("world"), envIdForTask("spread_1d_n2")], ["simple_world", "spread_1d_n2"]);
  assertEquals(taskProfile("maze2d_umaze_dense").qualities, ["waypoint"]);
  assertEquals(taskProfile("spread_1d_n10").family, "spread_1d");
  for (const bad of ["spread_1d_n11", "maze2d_tiny_dense", "simple_tag"]) {
    assertThrows(() => taskProfile(bad), KitInputError);
  }
  assertEquals(parseQuality(qualityName("full-replay", 10)), { quality: "full-replay", fraction: 10 });
  assertEquals(qualityName("full-replay", 100), "full-replay");
  assertEquals(["random", "waypoint", "medium", "full-replay"].map(usesLadder), [false, false, true, true]);
});

Deno.test("task profiles: the behaviour learner's settings and the scripted rule follow the profile", () => {
  assertEquals(onlinePreset("halfcheetah_2x3").hidden, [256, 256]);
  assertEquals(onlinePreset("halfcheetah_2x3").critic, "centralized");
  for (const t of ["cooperative_navigation", "spread_1d_n3", "cooperative_navigation_n4"]) {
    assertEquals(onlinePreset(t), {}, t);
  }
  assertEquals(
    PROFILED_TASKS.filter((t) => taskProfile(t).scriptedRule === "goto_landmark"),
    ["cooperative_navigation"],
  );
});
