/**
 * `deno task bench [env] [--task T] [--envs N] [--seconds S] [--json]`: environment throughput, env
 * steps/second for one env and for the vectorized form, with and without the prey's network.
 *
 * @module
 */
import { numberFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { checkName } from "../lib/util/errors.ts";
import { benchEnv, type BenchEnvResult } from "../lib/envs/bench.ts";
import { loadPrey, makeTask, MPE_TASKS } from "../lib/envs/mod.ts";
import { referenceDir } from "../lib/util/paths.ts";

/** The original Python MPE's speed on one core of this machine kind (issue #2), for the printed ratio. */
const PYTHON_MPE_STEPS_PER_SECOND = 3300;

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    task: { type: "string" },
    envs: { type: "string" },
    seconds: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    return console.log("usage: deno task bench [env] [--task T] [--envs 1000] [--seconds 1] [--json]");
  }
  checkName("bench target", positionals[0] ?? "env", ["env"]);
  const tasks = flags.task ? [flags.task as string] : [...MPE_TASKS, "spread_1d_n2"];
  const numEnvs = numberFlag(flags, "envs", 1000), seconds = numberFlag(flags, "seconds", 1);
  const rows: BenchEnvResult[] = [];
  for (const id of tasks) {
    const task = makeTask(id);
    rows.push(benchEnv(task, { numEnvs, seconds }));
    if (task.prey !== null && referenceDir()) {
      rows.push(benchEnv(task, { numEnvs, seconds, prey: await loadPrey(task) }));
    }
  }
  if (flags.json) return rows.forEach((r) => console.log(JSON.stringify(r)));
  console.log(
    `env steps/second (one core; ratio vs the original Python MPE's ~${PYTHON_MPE_STEPS_PER_SECOND}/s)`,
  );
  console.log("task                      prey        single env      vectorized (envs)    vec / python");
  for (const r of rows) {
    const prey = r.preyNetwork ? "network" : "given";
    console.log(
      `${r.task.padEnd(25)} ${prey.padEnd(10)} ${r.single.toFixed(0).padStart(12)} ${
        r.vectorized.toFixed(0).padStart(14)
      } (${r.numEnvs}) ${(r.vectorized / PYTHON_MPE_STEPS_PER_SECOND).toFixed(0).padStart(10)}x`,
    );
  }
});
