// Fault injection at the command line for the dataset tools (issue #13, items 7, 10 and 11): broken
// datasets, directories where files should be, output paths that cannot be written and bad numbers for
// every numeric flag of `datasets`, `env-replay` and `bench env`. Every case must end in exactly one
// stderr line `error: …` naming the thing, exit code 2 for bad input (1 for an OS error), and no stack.
import { assert, assertEquals } from "./assert.ts";
import { assertOneLineError, generateArgs, runTask } from "./cli.ts";
import { join } from "node:path";
import { readNpy, writeNpy } from "../lib/data/mod.ts";

/** Runs `tasks/<script>` with `args` in a fresh Deno process. */
const cli = (script: string, ...args: string[]) => runTask(script, args);

const datasets = (...args: string[]) => cli("datasets.ts", ...args);

// One small kit dataset (500 transitions of cooperative navigation, 3 agents × obs 18, act 2) for all cases.
const TMP = await Deno.makeTempDir({ prefix: "faults_data_" });
const made = await runTask("datasets.ts", generateArgs(join(TMP, "generated"), "500"));
if (made.code !== 0) throw new Error(`datasets generate failed:\n${made.stderr}`);
const KIT = join(TMP, "generated", "simple_spread", "random", "seed_0_data");
let copies = 0;

/** A copy of the kit dataset under `<TMP>/cK/simple_spread/random/seed_0_data`, without its manifest unless asked. */
async function copy(keepManifest = false): Promise<string> {
  const dir = join(TMP, `c${copies++}`, "simple_spread", "random", "seed_0_data");
  await Deno.mkdir(dir, { recursive: true });
  for (const e of Deno.readDirSync(KIT)) {
    if (e.name === "manifest.json" && !keepManifest) continue;
    await Deno.copyFile(join(KIT, e.name), join(dir, e.name));
  }
  return dir;
}

async function removeAgent(dir: string, agent: number): Promise<void> {
  for (const f of ["obs", "acs", "rews", "next_obs", "dones"]) {
    await Deno.remove(join(dir, `${f}_${agent}.npy`));
  }
}

Deno.test({
  name: "faults (datasets validate/stats): broken datasets are named errors, not an ok or return_mean: null",
  sanitizeResources: false,
  fn: async (t) => {
    await t.step("the intact dataset validates against its task", async () => {
      const r = await datasets("validate", KIT);
      assertEquals(r.code, 0, r.stderr);
      assert(r.stdout.includes("3 agents") && r.stdout.includes("task cooperative_navigation"), r.stdout);
      assertEquals(r.stderr, "");
    });
    await t.step("3-agent task, the last agent's files removed, no manifest", async () => {
      const dir = await copy();
      await removeAgent(dir, 2);
      assertOneLineError(
        await datasets("validate", dir),
        2,
        join(dir, "obs_2.npy"),
        "agent 2 of 3",
        "cooperative_navigation",
      );
      const stats = await datasets("stats", dir);
      assertOneLineError(stats, 2, join(dir, "obs_2.npy"));
      assert(!stats.stdout.includes("return_mean"), stats.stdout);
    });
    await t.step("a middle agent's files removed, no manifest", async () => {
      const dir = await copy();
      await removeAgent(dir, 1);
      assertOneLineError(await datasets("validate", dir), 2, join(dir, "obs_1.npy"), "agent 1 of 3");
    });
    await t.step("observations with 17 columns where the task has 18", async () => {
      const dir = await copy();
      for (const f of ["obs_0.npy", "next_obs_0.npy"]) {
        const a = readNpy(await Deno.readFile(join(dir, f)));
        const n = a.shape[0];
        const cut = new Float32Array(n * 17);
        for (let k = 0; k < n; k++) cut.set((a.data as Float32Array).subarray(k * 18, k * 18 + 17), k * 17);
        await Deno.writeFile(join(dir, f), writeNpy({ dtype: "<f4", shape: [n, 17], data: cut }));
      }
      assertOneLineError(
        await datasets("validate", dir),
        2,
        join(dir, "obs_0.npy"),
        "17 observation columns",
        "has 18",
      );
    });
    await t.step("actions in [-5, 5]: validate and stats warn, naming the file and the range", async () => {
      const dir = await copy();
      const path = join(dir, "acs_1.npy");
      const a = readNpy(await Deno.readFile(path));
      const wide = Float32Array.from(a.data as Float32Array, (v) => v * 5);
      wide[0] = -5, wide[1] = 5;
      await Deno.writeFile(path, writeNpy({ dtype: "<f4", shape: a.shape, data: wide }));
      for (const command of ["validate", "stats"]) {
        const r = await datasets(command, dir);
        assertEquals(r.code, 0, r.stderr);
        const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
        assertEquals(lines.length, 1, r.stderr);
        assert(lines[0].startsWith("warning: "), r.stderr);
        for (const part of [path, "[-5, 5]", "outside [-1, 1]"]) assert(lines[0].includes(part), lines[0]);
      }
    });
    await t.step("a directory in place of obs_0.npy or manifest.json", async () => {
      const dir = await copy();
      await Deno.remove(join(dir, "obs_0.npy"));
      await Deno.mkdir(join(dir, "obs_0.npy"));
      assertOneLineError(await datasets("validate", dir), 2, join(dir, "obs_0.npy"), "a directory");
      const kit = await copy(true);
      await Deno.remove(join(kit, "manifest.json"));
      await Deno.mkdir(join(kit, "manifest.json"));
      assertOneLineError(await datasets("validate", kit), 2, join(kit, "manifest.json"), "a directory");
    });
    await t.step("stats with equal reference scores in the manifest: named, not Infinity", async () => {
      const dir = await copy(true);
      const path = join(dir, "manifest.json");
      const m = JSON.parse(await Deno.readTextFile(path));
      m.meta.referenceScores = { random: 1, expert: 1, source: "broken" };
      await Deno.writeTextFile(path, JSON.stringify(m));
      const r = await datasets("stats", dir);
      assertOneLineError(r, 2, dir, "expert and random are both 1");
      assert(!r.stdout.includes("Infinity") && !r.stdout.includes("null"), r.stdout);
    });
    await t.step("stats --figure under a regular file", async () => {
      const file = join(TMP, "plain-file");
      await Deno.writeTextFile(file, "not a folder\n");
      assertOneLineError(
        await datasets("stats", KIT, "--figure", join(file, "returns")),
        2,
        "--figure",
        file,
      );
    });
  },
});

Deno.test({
  name: "faults (datasets): bad numbers for every numeric flag and an --out under a file are named errors",
  sanitizeResources: false,
  fn: async (t) => {
    const generate = (...args: string[]) =>
      datasets(
        "generate",
        "--task",
        "cooperative_navigation",
        "--quality",
        "random",
        "--out",
        join(TMP, "never"),
        ...args,
      );
    const cases: [string[], string, string][] = [
      [["--seed=-1"], "--seed", "a non-negative integer"],
      [["--seed", "1.5"], "--seed", "a non-negative integer"],
      [["--seed", "abc"], "--seed", "a non-negative integer"],
      [["--seed", "0", "--samples", "0"], "--samples", "a positive integer"],
      [["--seed", "0", "--samples", "2.5"], "--samples", "a positive integer"],
      [["--seed", "0", "--fraction", "0"], "--fraction", "> 0"],
      [["--seed", "0", "--fraction", "101"], "--fraction", "≤ 100"],
      [["--seed", "0", "--fraction", "abc"], "--fraction", "a number"],
    ];
    for (const [args, flag, expects] of cases) {
      await t.step(`generate ${args.join(" ")}`, async () => {
        assertOneLineError(await generate(...args), 2, flag, expects);
      });
    }
    await t.step("no dataset was written by any of them", async () => {
      assert(!(await Deno.stat(join(TMP, "never")).then(() => true, () => false)));
    });
    await t.step("card --seed 1.5, --samples 0", async () => {
      assertOneLineError(await datasets("card", "--task", "world", "--seed", "1.5"), 2, "--seed", "1.5");
      assertOneLineError(await datasets("card", "--task", "world", "--samples", "0"), 2, "--samples");
    });
    await t.step("generate --out under a regular file", async () => {
      const file = join(TMP, "out-file");
      await Deno.writeTextFile(file, "x\n");
      assertOneLineError(await generate("--seed", "0", "--out", join(file, "sub")), 2, "--out", file);
    });
  },
});

Deno.test({
  name: "faults (env-replay, bench env): a directory, bad tolerance and --envs 0 are named errors",
  sanitizeResources: false,
  fn: async (t) => {
    await t.step("env-replay given a directory", async () => {
      assertOneLineError(await cli("env_replay.ts", TMP), 2, TMP, "a directory");
    });
    await t.step("env-replay --tolerance 0, -1, abc", async () => {
      for (const bad of ["0", "-1", "abc"]) {
        assertOneLineError(
          await cli("env_replay.ts", join(TMP, "missing.json"), `--tolerance=${bad}`),
          2,
          "--tolerance",
          "a positive number",
        );
      }
    });
    await t.step("bench env --envs 0, 1.5 and --seconds 0 name the flag", async () => {
      const envs0 = await cli("bench.ts", "env", "--task", "spread_1d_n1", "--envs", "0");
      assertOneLineError(envs0, 2, "--envs", "a positive integer");
      assert(!envs0.stderr.includes("agent 0"), envs0.stderr);
      assertOneLineError(await cli("bench.ts", "env", "--envs", "1.5"), 2, "--envs");
      assertOneLineError(await cli("bench.ts", "env", "--seconds", "0"), 2, "--seconds");
    });
  },
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(TMP, { recursive: true });
  } catch {
    // already gone
  }
});
