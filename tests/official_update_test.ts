// One predator-prey update of the kit's `official` MA-CQL and OMAR against the authors' own code
// (algorithms/maddpg.py of github.com/ling-pan/OMAR), recorded by tasks/official_update.py into
// fixtures/official_update/. Same starting networks (the authors' seeded init after a few warm-up rounds,
// targets apart from the online networks), same minibatch, same random draws (the recorder replays the
// kit's own Alea stream into the authors' two sampling calls, so the kit, started from the recorded
// stream state, draws the very same numbers: no test seam), one update round; the losses, the updated
// weights, Adam's first moments (0.1 × the clipped gradients), the actor's BatchNorm running statistics
// and the soft-updated targets must agree to float32 rounding.
//
// The kit's algorithm gets one learner: the authors' critics are decentralized (Q_i(o_i, a_i)), so
// predator 0's update reads nothing of the other agents, and a one-learner kit algorithm runs the same
// update. Without the fixture the test skips with one line (regenerate it with the recorder).
import { assert, assertEquals } from "./assert.ts";
import { initBackend } from "../lib/nn/backend.ts";
import { makeAlgorithm } from "../lib/algos/registry.ts";
import { fillNormal } from "../lib/algos/samplers.ts";
import type { AlgorithmState } from "../lib/algos/types.ts";
import type { Batch } from "../lib/data/sampler.ts";
import type { NetworkState } from "../lib/nn/state.ts";
import { decodeState, type EncodedState } from "../lib/nn/state.ts";
import { readJsonFile } from "../lib/util/fs.ts";
import { Rng, type RngState } from "../lib/util/rng.ts";

const FIXTURE = new URL("../fixtures/official_update/predator_prey_medium-replay.json", import.meta.url);

interface ModeRecord {
  metrics: Record<string, number>;
  intermediates: Record<string, Float32Array>;
  after: {
    actor: NetworkState;
    actorFirstMoment: Float32Array;
    critic: NetworkState | "same as cql";
    criticFirstMoment?: Float32Array;
  };
}

interface Fixture {
  task: string;
  quality: string;
  batch: number;
  obsDim: number;
  actDim: number;
  gamma: number;
  softUpdateRate: number;
  cqlAlpha: number;
  omarCoe: number;
  state: {
    rounds: number;
    rng: RngState;
    agents: Record<"actor" | "actorTarget" | "critic" | "criticTarget", NetworkState>[];
  };
  minibatch: Record<"obs" | "actions" | "rewards" | "nextObs" | "terminals", Float32Array>;
  draws: { cqlUniform: Float32Array; omarNormals: Float32Array[] };
  modes: Record<"cql" | "omar", ModeRecord>;
}

const raw = await readJsonFile<EncodedState>(FIXTURE.pathname);
const fx = raw === null ? null : decodeState<Fixture>(raw);
if (fx === null) {
  console.log(
    "skipping official-update tests: no fixtures/official_update/ (run tasks/official_update.py --omar-src <OMAR checkout>)",
  );
}
if (fx !== null) await initBackend("wasm");

/** max |a − b| over an array must stay within `rtol` of the reference's largest magnitude (float32 rounding). */
function mismatch(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-4): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  let scale = 0, worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  const tol = rtol * Math.max(scale, 1e-12);
  return worst <= tol ? null : `${what}: max |diff| ${worst.toExponential(3)} at ${at} ` +
    `(kit ${got[at]}, authors ${want[at]}), allowed ${tol.toExponential(3)}`;
}

function closeScalar(what: string, got: number, want: number, rtol = 1e-4): string | null {
  return Math.abs(got - want) <= rtol * Math.max(Math.abs(want), 1e-6)
    ? null
    : `${what}: kit ${got}, authors ${want}`;
}

function paramMismatches(what: string, got: NetworkState, want: NetworkState): string[] {
  const out: string[] = [];
  for (const [name, rec] of Object.entries(want.params)) {
    const g = got.params[name];
    if (g === undefined) out.push(`${what}.${name}: missing in the kit`);
    else out.push(mismatch(`${what}.${name}`, g.data, rec.data) ?? "");
  }
  return out.filter((s) => s !== "");
}

/** `target · (1 − rate) + online · rate` per parameter: what the authors' soft_update computes. */
function softUpdated(before: NetworkState, online: NetworkState, rate: number): NetworkState {
  const params: NetworkState["params"] = {};
  for (const [name, rec] of Object.entries(before.params)) {
    const o = online.params[name].data;
    params[name] = {
      shape: rec.shape,
      data: rec.data.map((t, i) => Math.fround(Math.fround(t * (1 - rate)) + Math.fround(o[i] * rate))),
    };
  }
  return { params, buffers: {}, numBatchesTracked: null };
}

function runKit(f: Fixture, mode: "cql" | "omar") {
  const algo = makeAlgorithm(mode, { obsDims: [f.obsDim], actDim: f.actDim }, {
    context: { task: f.task, quality: f.quality, preset: "official" },
  });
  const zeros = (net: NetworkState) =>
    new Float32Array(Object.values(net.params).reduce((n, r) => n + r.data.length, 0));
  const a = f.state.agents[0];
  algo.load({
    rounds: 0,
    rng: f.state.rng,
    agents: [{
      ...a,
      actorOpt: { step: 0, m: zeros(a.actor), v: zeros(a.actor) },
      criticOpt: { step: 0, m: zeros(a.critic), v: zeros(a.critic) },
    }],
  } as AlgorithmState);
  const B = f.batch, mb = f.minibatch;
  const batch: Batch = {
    obs: mb.obs,
    actions: mb.actions,
    rewards: mb.rewards,
    nextObs: mb.nextObs,
    terminals: mb.terminals,
    size: B,
    obsDim: f.obsDim,
    actDim: f.actDim,
  };
  const metrics = algo.update({ batches: [batch], nextActions: null });
  const s = algo.save() as {
    agents: (Record<"actor" | "actorTarget" | "critic" | "criticTarget", NetworkState> & {
      actorOpt: { m: Float32Array };
      criticOpt: { m: Float32Array };
    })[];
  };
  algo.dispose();
  return { metrics, after: s.agents[0] };
}

Deno.test({
  name: "official update: the recorded draws are the kit's own stream from the recorded state",
  ignore: fx === null,
  fn() {
    const f = fx!;
    const rng = Rng.fromState(f.state.rng);
    const uni = new Float32Array(f.draws.cqlUniform.length);
    rng.fillUniform(uni, -1, 1);
    assertEquals(uni, f.draws.cqlUniform);
    for (const [j, want] of f.draws.omarNormals.entries()) {
      const eps = new Float64Array(want.length);
      fillNormal(rng, eps);
      assertEquals(mismatch(`OMAR normals, iteration ${j}`, eps, want, 1e-6), null);
    }
    // and the recorded state is the kit's default algorithm stream for seed 0
    assertEquals(Rng.fromSeed(0, "algorithm").state(), f.state.rng);
  },
});

for (const mode of ["cql", "omar"] as const) {
  Deno.test({
    name: `official update: ${mode} on predator-prey agrees with the authors' MATD3 to float32 rounding`,
    ignore: fx === null,
    fn() {
      const f = fx!;
      const rec = f.modes[mode];
      const { metrics, after } = runKit(f, mode);
      const cqlRec = f.modes.cql;
      const criticWant =
        (rec.after.critic === "same as cql" ? cqlRec.after.critic : rec.after.critic) as NetworkState;
      const criticMomentWant = rec.after.criticFirstMoment ?? cqlRec.after.criticFirstMoment!;
      const problems = [
        closeScalar("critic loss", metrics.criticLoss, rec.metrics.criticLoss),
        closeScalar("CQL term", metrics.cqlTerm, rec.metrics.cqlTerm),
        closeScalar("mean Q1 on the data", metrics.qMean, rec.metrics.qMean),
        closeScalar("actor loss", metrics.actorLoss, rec.metrics.actorLoss),
        mode === "omar"
          ? closeScalar("rectified fraction", metrics.rectifiedFraction, rec.metrics.rectifiedFraction)
          : null,
        ...paramMismatches("critic", after.critic, criticWant),
        ...paramMismatches("actor", after.actor, rec.after.actor),
        mismatch("critic Adam first moment", after.criticOpt.m, criticMomentWant),
        mismatch("actor Adam first moment", after.actorOpt.m, rec.after.actorFirstMoment),
        mismatch(
          "actor BatchNorm running mean",
          after.actor.buffers["norm.running_mean"].data,
          rec.after.actor.buffers["norm.running_mean"].data,
        ),
        mismatch(
          "actor BatchNorm running variance",
          after.actor.buffers["norm.running_var"].data,
          rec.after.actor.buffers["norm.running_var"].data,
        ),
        ...paramMismatches(
          "actor target",
          after.actorTarget,
          softUpdated(f.state.agents[0].actorTarget, rec.after.actor, f.softUpdateRate),
        ),
        ...paramMismatches(
          "critic target",
          after.criticTarget,
          softUpdated(f.state.agents[0].criticTarget, criticWant, f.softUpdateRate),
        ),
      ].filter((p) => p !== null);
      assert(problems.length === 0, `kit ≠ authors' code:\n  ${problems.join("\n  ")}`);
    },
  });
}
