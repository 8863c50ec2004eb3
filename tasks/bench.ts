/**
 * `deno task bench [env|train] …`: throughput.
 *
 *   env   [--task T] [--envs 1000] [--seconds 1] [--json]     env steps/s, single env and vectorized
 *         (T may be a SMAC-like task, e.g. smac_2s3z: random available actions, finished battles restart)
 *   train [--algo A|all] [--task cooperative_navigation|halfcheetah_2x3|…] [--critic decentralized|centralized]
 *         [--rounds 20] [--batch 1024] [--backend wasm|cpu] [--native on|off] [--loss-gradients fast|autograd]
 *         [--compare] [--json]
 *         update rounds/s (all learners); --compare runs the PyTorch reference of the authors' step
 *         (../shared/bench/omar_step_torch.py, one thread) right after each, in the same minute;
 *         --native off runs the network passes as tfjs ops instead of the native wasm kernels; the
 *         native kernels' large matrix products use OpenBLAS through FFI when it loads (--allow-ffi,
 *         libopenblas installed, OMAR_BLAS not 0; see lib/nn/blas.ts), and the header says which;
 *         --loss-gradients autograd differentiates every loss's expression with tfjs autograd instead of
 *         the built-in losses' hand-derived fast paths (lib/algos/losses.ts)
 *
 * @module
 */
import { join } from "node:path";
import { intFlag, numberFlag, parseFlags, runMain } from "../lib/util/cli.ts";
import { checkName, KitInputError } from "../lib/util/errors.ts";
import { benchEnv, type BenchEnvResult } from "../lib/envs/bench.ts";
import { benchSmac, isSmacTask, loadPrey, makeSmacTask, makeTask, MPE_TASKS } from "../lib/envs/mod.ts";
import { referenceDir } from "../lib/util/paths.ts";
import { REPO_ROOT } from "../lib/util/repo.ts";
import { ALGORITHMS } from "../lib/algos/registry.ts";
import { benchTrain } from "../lib/algos/bench.ts";
import { LOSS_GRADIENTS } from "../lib/algos/losses.ts";
import { loadTask } from "../lib/mujoco/tasks.ts";
import { type BackendName, initBackend } from "../lib/nn/backend.ts";
import { gemmBackend, nativeFma, setNativeKernels } from "../lib/nn/native.ts";
import { blasInfo } from "../lib/nn/blas.ts";

/** The original Python MPE's speed on one core of this machine kind (issue #2), for the printed ratio. */
const PYTHON_MPE_STEPS_PER_SECOND = 3300;

/** The task whose shapes the PyTorch reference (../shared/bench/omar_step_torch.py) builds. */
const TORCH_REFERENCE_TASK = "cooperative_navigation";

/** The PyTorch reference mode doing the closest workload to each kit algorithm. */
const TORCH_MODE: Record<string, string> = {
  itd3: "itd3",
  td3bc: "itd3",
  icq: "itd3",
  cql: "cql",
  omar: "omar",
  "omar-qnorm": "omar",
};

const USAGE = `usage:
  deno task bench env   [--task T] [--envs 1000] [--seconds 1] [--json]
  deno task bench train [--algo A|all] [--task cooperative_navigation] [--critic decentralized|centralized]
                        [--rounds 20] [--batch 1024] [--backend wasm|cpu] [--native on|off]
                        [--loss-gradients fast|autograd] [--compare] [--json]`;

async function torchReference(mode: string, batch: number, rounds: number): Promise<number | null> {
  const script = join(REPO_ROOT, "..", "shared", "bench", "omar_step_torch.py");
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        script,
        "--mode",
        mode,
        "--json",
        "--steps",
        String(rounds),
        "--batch",
        String(batch),
        "--n-data",
        "100000",
        "--no-grad-aux",
      ],
      env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) return null;
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
    return JSON.parse(line).steps_per_s as number;
  } catch {
    return null;
  }
}

runMain(async () => {
  const { flags, positionals } = parseFlags(Deno.args, {
    task: { type: "string" },
    envs: { type: "string" },
    seconds: { type: "string" },
    algo: { type: "string", default: "all" },
    critic: { type: "string", default: "decentralized" },
    rounds: { type: "string" },
    batch: { type: "string" },
    backend: { type: "string", default: "wasm" },
    native: { type: "string", default: "on" },
    "loss-gradients": { type: "string", default: "fast" },
    compare: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return console.log(USAGE);
  const target = checkName("bench target", positionals[0] ?? "env", ["env", "train"]);
  if (target === "train") {
    const rounds = intFlag(flags, "rounds", 20), batchSize = intFlag(flags, "batch", 1024);
    const backend = await initBackend(
      checkName("backend", flags.backend as string, ["wasm", "cpu"]) as BackendName,
    );
    setNativeKernels(checkName("native", flags.native as string, ["on", "off"]) === "on");
    const fma = nativeFma(), gemm = gemmBackend(), blas = blasInfo();
    const kernels = fma === null
      ? "tfjs ops"
      : `native kernels${fma ? " (fma)" : ""}, matmuls ${
        gemm === "openblas"
          ? `OpenBLAS via FFI (${blas?.config.split(" ").slice(0, 2).join(" ")})`
          : "wasm SIMD"
      }`;
    const algos = flags.algo === "all"
      ? [...ALGORITHMS]
      : [checkName("algorithm", flags.algo as string, ALGORITHMS)];
    const critic = checkName("critic", flags.critic as string, ["decentralized", "centralized"]);
    const lossGradients = checkName("loss gradients", flags["loss-gradients"] as string, LOSS_GRADIENTS);
    const task = await loadTask((flags.task as string | undefined) ?? TORCH_REFERENCE_TASK);
    const prey = "world" in task && task.prey !== null ? await loadPrey(task) : null;
    if (flags.compare && task.name !== TORCH_REFERENCE_TASK) {
      throw new KitInputError(`--compare needs --task ${TORCH_REFERENCE_TASK} (the reference's shapes)`);
    }
    if (!flags.json) {
      console.log(
        `update rounds/s, ${task.name}, ${task.learners.length} learners, B=${batchSize}, ${critic} critics, tfjs ${backend}, ${kernels}, ${lossGradients} loss gradients, one core`,
      );
      console.log(
        `algo         kit rounds/s   ms/round${flags.compare ? "   torch (mode)          ratio" : ""}`,
      );
    }
    for (const algo of algos) {
      const r = benchTrain(algo, task, { rounds, batchSize, prey, algorithm: { critic, lossGradients } });
      const torch = flags.compare ? await torchReference(TORCH_MODE[algo], batchSize, rounds) : null;
      if (flags.json) {
        console.log(
          JSON.stringify({
            ...r,
            backend,
            kernels,
            gemm,
            critic,
            lossGradients,
            torchStepsPerSecond: torch,
            torchMode: flags.compare ? TORCH_MODE[algo] : null,
          }),
        );
      } else {
        const cmp = flags.compare
          ? torch === null
            ? "   (PyTorch reference unavailable)"
            : `   ${torch.toFixed(2).padStart(7)} (${TORCH_MODE[algo]})`.padEnd(24) +
              `${(r.roundsPerSecond / torch).toFixed(2)}x`
          : "";
        console.log(
          `${algo.padEnd(12)} ${r.roundsPerSecond.toFixed(2).padStart(12)} ${
            r.msPerRound.toFixed(1).padStart(10)
          }${cmp}`,
        );
      }
    }
    return;
  }
  const numEnvs = intFlag(flags, "envs", 1000), seconds = numberFlag(flags, "seconds", 1, { above: 0 });
  const tasks = flags.task ? [flags.task as string] : [...MPE_TASKS, "spread_1d_n2"];
  const rows: BenchEnvResult[] = [];
  for (const id of tasks) {
    if (isSmacTask(id)) {
      rows.push(benchSmac(makeSmacTask(id), { numEnvs, seconds }));
      continue;
    }
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
    const smac = isSmacTask(r.task); // random available actions, no prey, no Python MPE to compare with
    const prey = smac ? "–" : r.preyNetwork ? "network" : "given";
    const ratio = smac
      ? "–".padStart(11)
      : `${(r.vectorized / PYTHON_MPE_STEPS_PER_SECOND).toFixed(0).padStart(10)}x`;
    console.log(
      `${r.task.padEnd(25)} ${prey.padEnd(10)} ${r.single.toFixed(0).padStart(12)} ${
        r.vectorized.toFixed(0).padStart(14)
      } (${r.numEnvs}) ${ratio}`,
    );
  }
});
