// The OpenBLAS path of the native kernels (lib/nn/blas.ts): it agrees with the wasm SIMD products to
// float32 rounding on every network pass and on whole algorithm updates, each path is deterministic on
// its own, and the kit falls back to wasm without --allow-ffi, with OMAR_BLAS=0 or without the library.
import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { Rng } from "../lib/util/rng.ts";
import { initBackend, Mlp, TwinCritic } from "../lib/nn/mod.ts";
import { gemmBackend, nativeKernels } from "../lib/nn/native.ts";
import { blasActive, blasInfo, setBlas } from "../lib/nn/blas.ts";
import { makeAlgorithm } from "../lib/algos/registry.ts";
import { Minibatcher } from "../lib/algos/train.ts";
import { collectDataset } from "../lib/behaviour/collect.ts";
import { makeTask, uniformRandomPolicy } from "../lib/envs/mod.ts";

await initBackend("wasm");

const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
const disabled = Deno.env.get("OMAR_BLAS") === "0";
/** Whether this machine has the library the loader looks for (then BLAS must load). */
const libraryPresent = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
  .some((dir) => {
    try {
      return Deno.statSync(`${dir}/libopenblas.so.0`).isFile;
    } catch {
      return false;
    }
  });
const skip = !nativeKernels() || !blasActive();

function randTensor(rng: Rng, shape: number[], lo = -1, hi = 1): tf.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillUniform(v, lo, hi);
  return tf.tensor(v, shape, "float32");
}

/** max |a − b| / max(max |b|, 1e-6). */
function relErr(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let diff = 0, scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/** `f` with the host BLAS on or off (back on afterwards). */
function withBlas<T>(on: boolean, f: () => T): T {
  setBlas(on);
  try {
    assertEquals(gemmBackend(), on ? "openblas" : "wasm");
    return f();
  } finally {
    setBlas(true);
  }
}

Deno.test("blas: OpenBLAS is in use where --allow-ffi and the library are there", () => {
  const info = blasInfo();
  if (ffi && !disabled && libraryPresent && nativeKernels()) {
    assert(info !== null, "libopenblas.so.0 is installed and --allow-ffi granted, but BLAS did not load");
    assert(/openblas/i.test(info.config), info.config);
    assertEquals(gemmBackend(), "openblas");
  }
  if (!ffi || disabled) {
    assertEquals(info, null);
    assertEquals(gemmBackend(), nativeKernels() ? "wasm" : "tfjs");
  }
});

// Every native pass: critic over K candidates (factored first layer, BatchNorm, both heads), its action
// and parameter gradients, the no-trace Q pass, an actor with input BatchNorm and tanh (forward, input and
// parameter gradients, predict) and the flat gradient of both heads. Widths 64 (the presets'), and
// odd ones (24, 40, 18-wide inputs) for the leading dimensions and the generic wasm kernels they replace.
for (const hidden of [[64, 64], [24, 40]]) {
  Deno.test({
    name: `blas: network passes with OpenBLAS equal the wasm kernels to float32 rounding (hidden ${hidden})`,
    ignore: skip,
    fn: () => {
      const rng = Rng.fromSeed(21, "data");
      const b = 256, k = 10;
      const obs = randTensor(rng, [b, 18], -2, 2) as tf.Tensor2D;
      const act = randTensor(rng, [k, b, 5]);
      const dq1 = randTensor(rng, [k, b]), dq2 = randTensor(rng, [k, b]);
      const dPi = randTensor(rng, [b, 5]) as tf.Tensor2D;
      const run = () =>
        tf.tidy(() => {
          const critic = new TwinCritic(18, 5, { rng: Rng.fromSeed(22, "init"), hidden, inputNorm: true });
          const actor = new Mlp(18, 5, {
            rng: Rng.fromSeed(22, "init"),
            hidden,
            outputActivation: "tanh",
            inputNorm: true,
          });
          const fw = critic.forwardTrace(obs, act);
          const bw = critic.backward(fw.trace, dq1, dq2, { actionGrad: true });
          const q = critic.q(obs, act, { updateStats: false });
          const af = actor.forwardTrace(obs);
          const ab = actor.backward(af.trace, dPi, { inputGrad: true });
          const pred = actor.predict(obs, { training: false });
          const flat = critic.backwardFlat(fw.trace, dq1, dq2);
          const out = [
            fw.q1,
            fw.q2 as tf.Tensor,
            bw.dAct as tf.Tensor,
            ...bw.grads,
            q.q1,
            q.q2 as tf.Tensor,
            af.out,
            ab.dx as tf.Tensor,
            ...ab.grads,
            pred,
            flat,
          ].map((t) => t.dataSync().slice() as Float32Array);
          critic.dispose(), actor.dispose();
          return out;
        });
      const blas = withBlas(true, run), wasm = withBlas(false, run), again = withBlas(true, run);
      let differs = 0;
      blas.forEach((x, i) => {
        const e = relErr(x, wasm[i]);
        assert(e <= 2e-5, `output ${i} (${x.length} values): OpenBLAS vs wasm relative error ${e}`);
        if (!bitEqual(x, wasm[i])) differs++;
        assert(bitEqual(x, again[i]), `output ${i}: OpenBLAS is not deterministic`);
      });
      // the products really went out: sums in another order round differently somewhere
      assert(differs > 0, "OpenBLAS and wasm agree bit for bit everywhere: was BLAS used at all?");
    },
  });
}

/** Every Float32Array of a saved state, in order (weights, targets, Adam moments). */
function arrays(state: unknown, out: Float32Array[] = []): Float32Array[] {
  if (state instanceof Float32Array) out.push(state.slice());
  else if (Array.isArray(state)) state.forEach((s) => arrays(s, out));
  else if (state !== null && typeof state === "object") Object.values(state).forEach((s) => arrays(s, out));
  return out;
}

const task = makeTask("cooperative_navigation");
const dataset = collectDataset(task, uniformRandomPolicy(Rng.fromSeed(0, "blas")), {
  samples: 3000,
  seed: 0,
  meta: {
    quality: "random",
    seed: 0,
    preySource: null,
    behaviourPolicy: "uniform_random",
    referenceScores: null,
    kitVersion: "test",
  },
});

function rounds(name: string, n: number): { metrics: Record<string, number>[]; state: Float32Array[] } {
  const spec = { obsDims: task.learners.map((i) => task.obsDims[i]), actDim: task.actDim };
  const algo = makeAlgorithm(name, spec, { seed: 5, context: { task: task.name, quality: "medium" } });
  const batches = new Minibatcher(algo, { dataset, task }, { batchSize: 256, seed: 1 });
  const metrics: Record<string, number>[] = [];
  for (let i = 0; i < n; i++) metrics.push(algo.update(batches.next()));
  const state = arrays(algo.save());
  algo.dispose();
  return { metrics, state };
}

for (const name of ["itd3", "omar"]) {
  Deno.test({
    name: `blas: ${name} update rounds with OpenBLAS equal the wasm kernels' (and repeat bit for bit)`,
    ignore: skip,
    fn: () => {
      const blas = withBlas(true, () => rounds(name, 3));
      const wasm = withBlas(false, () => rounds(name, 3));
      const again = withBlas(true, () => rounds(name, 3));
      assertEquals(again, blas, "two OpenBLAS runs differ");
      blas.metrics.forEach((m, r) => {
        for (const [key, v] of Object.entries(m)) {
          const w = wasm.metrics[r][key];
          const e = Math.abs(v - w) / Math.max(Math.abs(w), 1e-3);
          assert(e <= 1e-4, `round ${r} ${key}: OpenBLAS ${v} vs wasm ${w}`);
        }
      });
      assertEquals(blas.state.length, wasm.state.length);
      let total = 0, off = 0, worst = 0;
      blas.state.forEach((x, i) => {
        const y = wasm.state[i];
        let scale = 1e-6;
        for (let j = 0; j < y.length; j++) scale = Math.max(scale, Math.abs(y[j]));
        for (let j = 0; j < y.length; j++) {
          const e = Math.abs(x[j] - y[j]) / scale;
          worst = Math.max(worst, e);
          if (e > 1e-4) off++;
        }
        total += x.length;
      });
      // Adam turns a gradient entry that is zero up to rounding into a full ±lr step either way, so a
      // rare entry may differ; a wrong product would move most of them.
      assert(off <= total * 1e-3, `${off} of ${total} state values differ by > 1e-4 (worst ${worst})`);
    },
  });
}

/** Runs a small script in a fresh process with the given permission flags and environment. */
async function probe(flags: string[], env: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const lib = (p: string) => new URL(`../lib/${p}`, import.meta.url).href;
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import * as tf from "@tensorflow/tfjs";
import { initBackend, Mlp } from "${lib("nn/mod.ts")}";
import { gemmBackend } from "${lib("nn/native.ts")}";
import { Rng } from "${lib("util/rng.ts")}";
await initBackend("wasm");
const net = new Mlp(18, 5, { rng: Rng.fromSeed(1, "init"), hidden: [64, 64] });
const x = tf.ones([256, 18]) as tf.Tensor2D;
const { out, trace } = net.forwardTrace(x);
const g = net.backward(trace, tf.onesLike(out) as tf.Tensor2D).grads;
console.log(gemmBackend(), Number.isFinite(tf.sum(g[0]).dataSync()[0]));
`,
    );
    const config = fileURLToPath(new URL("../deno.json", import.meta.url));
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", "--config", config, ...flags, script],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout).trim();
    assert(r.success, `probe ${flags.join(" ")} failed:\n${new TextDecoder().decode(r.stderr)}`);
    return text;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("blas: without --allow-ffi, with OMAR_BLAS=0 or without the library, the wasm kernels run", async () => {
  const base = ["--allow-read", "--allow-env", "--allow-sys"];
  const [noFfi, off, missing] = await Promise.all([
    probe(base, {}),
    probe([...base, "--allow-ffi"], { OMAR_BLAS: "0" }),
    probe([...base, "--allow-ffi"], { OMAR_BLAS_LIB: "/nonexistent/libopenblas.so.0" }),
  ]);
  assertEquals(noFfi, "wasm true");
  assertEquals(off, "wasm true");
  assertEquals(missing, "wasm true");
  if (libraryPresent && !disabled) {
    assertEquals(await probe([...base, "--allow-ffi"], {}), "openblas true");
  }
});
