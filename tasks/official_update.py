#!/usr/bin/env python3
"""Record one update of the OMAR authors' own MATD3 on predator-prey, for tests/official_update_test.ts.

Builds `algorithms/maddpg.py: MATD3` of github.com/ling-pan/OMAR (commit 0e52ad6; a checkout is passed
with --omar-src, none of its code is copied here) for simple_tag (3 predators with 16-D observations and
2-D actions, the prey a frozen DDPGAgent that is never updated), with main.py's MPE defaults (lr 0.01,
soft update 0.01, 64-unit layers, gamma 0.95, K = 10 uniform CQL actions, OMAR sampler J = 3, K = 10,
mu0 = 0, sigma0 = 2) and its env_config_map coefficients for the chosen quality, in CQL mode
(--cql 1) and in OMAR mode (--omar 1). Then, for predator 0:

  1. weights: the authors' seeded initialisation (torch.manual_seed(seed) before init_from_env, as
     main.py), followed by --warmup update rounds of predator 0 on seeded synthetic minibatches with
     torch's own draws (so the weights, BatchNorm running statistics and targets are no longer at their
     initial values and the targets differ from the online networks); then fresh Adam optimizers.
     Both modes start from these same networks.
  2. one minibatch of B rows (seeded synthetic rows shaped like predator-prey data: the predator's
     16-D observation, actions in [-1, 1], the shared shaped predator reward, a few terminal rows).
  3. every random draw of the update replayed from the kit's own stream: the kit draws from
     seedrandom's Alea generator ("omar-kit:<seed>:algorithm", lib/util/rng.ts); this script re-implements
     Alea and the kit's order of draws (CQL's K*B*2 uniforms U(-1, 1) k-major, then per OMAR iteration
     B*K*2 standard normals by Marsaglia's polar method, state-major; lib/algos/cql.ts, samplers.ts) and
     monkeypatches the two sampling calls of MATD3.update to return exactly those values
     (`Tensor.uniform_(-1, 1)` of the CQL actions, `torch.distributions.Normal(mu, sigma).sample((K,))` of
     the OMAR sampler, whose sample is mu + sigma * eps in float64 rounded to float32, as the kit computes
     it). So the kit, started from the recorded Alea state, draws the very same numbers: no test seam.
  4. ONE `MATD3.update(sample, 0)` followed by `update_all_targets()`, as main.py's loop does.

Recorded (JSON, float32 arrays as {"f32": base64 of little-endian bytes}, the kit's lib/nn/state.ts
encoding; weights in the kit's names and layout, Linear weights transposed to [in, out]):
  * the starting state of predator 0 as a kit AlgorithmState (actor, critic, their targets; Adam moments
    are zero and left out), the Alea state, the minibatch, the draws;
  * per mode: critic loss (TD + alpha * CQL, the value MATD3.update backpropagates), the CQL term
    (sum over both heads), mean Q1 on the data, actor loss (with the 1e-3 action penalty), the rectified
    fraction (OMAR), a few intermediates (TD target y, Q1/Q2 on the data, log-sum-exps, pi(o), a_hat),
    and the networks after the update: actor and critic parameters, the actor's BatchNorm running
    statistics, and Adam's first moments (0.1 x the clipped gradient, a direct check of the gradients).
  * The soft-updated targets are not stored (size): the script checks that MATD3's targets after the
    update equal target * (1 - 0.01) + online * 0.01 (float32) of the recorded values, and the test
    checks the kit's targets against that formula.
  * The critic update is the same code in both modes (OMAR forces cql=True); the script asserts the
    two modes' critics agree bit for bit and stores the OMAR critic once, under "cql".

Deviations needed on CPU / torch 1.13 (as ../shared/duel/official_omar_eval.py): torch.cuda.FloatTensor
-> torch.FloatTensor, Tensor.cuda -> identity, distribution argument validation off, Tensor.view falls back
to reshape for the non-contiguous permuted samples (same values).

Usage:
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tasks/official_update.py --omar-src /path/to/OMAR \
      [--quality medium-replay] [--batch 64] [--seed 0] [--warmup 20] \
      [--out fixtures/official_update/predator_prey_medium-replay.json]
Needs only Debian's python3-torch and python3-numpy.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import base64
import json
import math
import subprocess
import sys
import warnings

import numpy as np

QUALITIES = ["random", "medium-replay", "medium", "expert"]
N_PREDATORS, PRED_OBS, PREY_OBS, ACT = 3, 16, 14, 2
# main.py defaults passed to MATD3.init_from_env on MPE (batch_size is set from --batch)
MAIN_DEFAULTS = dict(tau=0.01, lr=0.01, hidden_dim=64, lse_temp=1.0, num_sampled_actions=10,
                     omar_iters=3, omar_mu=0.0, omar_sigma=2.0, omar_num_samples=10, omar_num_elites=10)
K_CQL = 10
K_OMAR, J_OMAR = 10, 3


# ---------------------------------------------------------------- the kit's random stream (seedrandom Alea)

def _u32(x):
    return int(math.trunc(x)) % 4294967296


class Mash(object):
    """seedrandom's Mash (lib/alea.js), float64 arithmetic as JavaScript does it."""

    def __init__(self):
        self.n = float(0xefc8249d)

    def __call__(self, data):
        n = self.n
        for ch in str(data):
            n += ord(ch)
            h = 0.02519603282416938 * n
            n = float(_u32(h))
            h -= n
            h *= n
            n = float(_u32(h))
            h -= n
            n += h * 4294967296.0
        self.n = n
        return _u32(n) * 2.3283064365386963e-10


class Alea(object):
    """seedrandom's Alea; `double()` as its prng.double (53 random bits)."""

    def __init__(self, seed):
        mash = Mash()
        self.c = 1
        self.s0 = mash(" ")
        self.s1 = mash(" ")
        self.s2 = mash(" ")
        self.s0 -= mash(seed)
        if self.s0 < 0:
            self.s0 += 1
        self.s1 -= mash(seed)
        if self.s1 < 0:
            self.s1 += 1
        self.s2 -= mash(seed)
        if self.s2 < 0:
            self.s2 += 1

    def state(self):
        return {"c": self.c, "s0": self.s0, "s1": self.s1, "s2": self.s2}

    def next(self):
        t = 2091639 * self.s0 + self.c * 2.3283064365386963e-10
        self.s0 = self.s1
        self.s1 = self.s2
        self.c = int(t)  # t | 0 (0 <= t < 2^31)
        self.s2 = t - self.c
        return self.s2

    def double(self):
        a = self.next()
        return a + int(self.next() * 0x200000) * 1.1102230246251565e-16


def kit_uniforms(rng, n, lo=-1.0, hi=1.0):
    """Rng.fillUniform: lo + (hi - lo) * double(), in order (float64)."""
    return np.array([lo + (hi - lo) * rng.double() for _ in range(n)], dtype=np.float64)


def kit_normals(rng, n):
    """samplers.ts fillNormal with rng.uniform: Marsaglia's polar method, both outputs of a pair used."""
    out = np.zeros(n, dtype=np.float64)
    i = 0
    while i < n:
        while True:
            u = 2 * rng.double() - 1
            v = 2 * rng.double() - 1
            s = u * u + v * v
            if 0 < s < 1:
                break
        m = math.sqrt((-2 * math.log(s)) / s)
        out[i] = u * m
        if i + 1 < n:
            out[i + 1] = v * m
        i += 2
    return out


# ---------------------------------------------------------------- the authors' code

def import_authors(omar_src):
    if not os.path.isdir(os.path.join(omar_src, "algorithms")):
        sys.exit("--omar-src: %s has no algorithms/ (a checkout of github.com/ling-pan/OMAR)" % omar_src)
    sys.path.insert(0, os.path.abspath(omar_src))
    import torch

    warnings.filterwarnings("ignore")
    torch.cuda.FloatTensor = torch.FloatTensor
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.distributions.Distribution.set_default_validate_args(False)
    _view = torch.Tensor.view

    def view_or_reshape(self, *shape):
        try:
            return _view(self, *shape)
        except RuntimeError:
            if self.is_contiguous():
                raise
            return self.reshape(*shape)

    torch.Tensor.view = view_or_reshape
    import algorithms.maddpg as maddpg
    return torch, maddpg


class Box(object):
    def __init__(self, n):
        self.shape = (n,)
        self.high = np.ones(n, dtype=np.float32)
        self.low = -self.high


class TagSpaces(object):
    """What MATD3.init_from_env reads from main.py's env for simple_tag: 3 adversaries + 1 good agent."""

    def __init__(self):
        self.observation_space = [Box(PRED_OBS)] * N_PREDATORS + [Box(PREY_OBS)]
        self.action_space = [Box(ACT)] * (N_PREDATORS + 1)
        self.agent_types = ["adversary"] * N_PREDATORS + ["agent"]


def build(torch, maddpg, quality, mode, batch):
    return maddpg.MATD3.init_from_env(TagSpaces(), "simple_tag", quality, env_info=None,
                                      cql=1 if mode == "cql" else 0, omar=1 if mode == "omar" else 0,
                                      batch_size=batch, **MAIN_DEFAULTS)


def synthetic_batch(rs, B):
    """Rows shaped like a predator's predator-prey transitions (numpy float64, as ReplayBuffer holds them)."""
    obs = np.concatenate([
        rs.uniform(-1.0, 1.0, (B, 2)),   # own velocity
        rs.uniform(-1.2, 1.2, (B, 2)),   # own position
        rs.uniform(-2.0, 2.0, (B, 4)),   # 2 landmarks, relative
        rs.uniform(-2.0, 2.0, (B, 6)),   # 3 other agents (2 predators + prey), relative
        rs.uniform(-1.3, 1.3, (B, 2)),   # prey velocity
    ], axis=1)
    acs = rs.uniform(-1.0, 1.0, (B, ACT))
    next_obs = obs + rs.normal(0.0, 0.1, obs.shape)
    dist = rs.uniform(0.2, 2.0, B) * 3
    caught = rs.uniform(0, 1, B) < 0.1
    rews = -0.1 * dist + 10.0 * caught          # shared shaped predator reward
    dones = (rs.uniform(0, 1, B) < 0.05).astype(np.float64)  # MPE never ends an episode; exercises (1 - d)
    return obs, acs, rews, next_obs, dones


def as_sample(torch, rows):
    """MATD3.update's sample: per agent (3 predators + prey) lists of float32 tensors; only 0 is read."""
    obs, acs, rews, next_obs, dones = [torch.Tensor(x) for x in rows]
    n = N_PREDATORS + 1
    return ([obs] * n, [acs] * n, [rews] * n, [next_obs] * n, [dones] * n)


def fresh_optimizers(torch, agent, lr):
    agent.policy_optimizer = torch.optim.Adam(agent.policy.parameters(), lr=lr)
    agent.critic_optimizer = torch.optim.Adam(agent.critic.parameters(), lr=lr)


# ---------------------------------------------------------------- replaying the kit's draws

class Replay(object):
    """Monkeypatches MATD3.update's two sampling calls to return the kit's draws."""

    def __init__(self, torch, maddpg):
        self.torch, self.maddpg = torch, maddpg
        self.uniforms = None  # [K, B, d] float32 (kit order)
        self.normals = []     # per iteration [B, K, d] float64 (kit order)
        self.used = {"uniform": 0, "normal": 0}
        self.samples = []     # the OMAR candidates handed out, [K, B, d] float32

    def install(self):
        torch, rp = self.torch, self
        orig_uniform = torch.Tensor.uniform_

        def uniform_(t, lo=0.0, hi=1.0, **kw):
            if rp.uniforms is None:
                return orig_uniform(t, lo, hi, **kw)
            K, B, d = rp.uniforms.shape
            assert (lo, hi) == (-1, 1) and tuple(t.shape) == (B * K, d), (lo, hi, t.shape)
            # the code's rows are state-major (row b*K + k pairs with obs b repeated K times)
            t.copy_(torch.from_numpy(np.ascontiguousarray(rp.uniforms.transpose(1, 0, 2).reshape(B * K, d))))
            rp.used["uniform"] += 1
            rp.uniforms = None
            return t

        torch.Tensor.uniform_ = uniform_
        real_normal = torch.distributions.Normal

        class ReplayNormal(object):
            def __init__(self, loc, scale):
                self.loc, self.scale = loc, scale

            def sample(self, sample_shape=()):
                if not rp.normals:
                    return real_normal(self.loc, self.scale).sample(sample_shape)
                eps = rp.normals.pop(0)                       # [B, K, d]
                K = sample_shape[0]
                assert eps.shape == (self.loc.shape[0], K, self.loc.shape[1]), (eps.shape, sample_shape)
                mu = self.loc.detach().numpy().astype(np.float64)[:, None, :]
                sd = self.scale.detach().numpy().astype(np.float64)[:, None, :]
                x = (mu + sd * eps).astype(np.float32).transpose(1, 0, 2)  # [K, B, d], as Normal.sample
                rp.used["normal"] += 1
                rp.samples.append(np.clip(x, -1, 1))
                return torch.from_numpy(np.ascontiguousarray(x))

        self.maddpg.torch.distributions.Normal = ReplayNormal


def capture_update(ma, sample, agent_i):
    """Runs ma.update and returns its local variables at return (losses and intermediates)."""
    code = type(ma).update.__code__
    box = {}

    def prof(frame, event, arg):
        if event == "return" and frame.f_code is code:
            box.update(frame.f_locals)

    sys.setprofile(prof)
    try:
        ma.update(sample, agent_i)
    finally:
        sys.setprofile(None)
    return box


# ---------------------------------------------------------------- encoding in the kit's format

def f32(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    return {"f32": base64.b64encode(a.astype("<f4").tobytes()).decode("ascii")}


def rec(t, transpose=False):
    a = t.detach().cpu().numpy().astype(np.float32)
    if transpose:
        a = a.T
    return {"shape": list(a.shape), "data": f32(a.reshape(-1))}


def linear_names(kind):
    if kind == "actor":
        return [("layers.0", "fc1"), ("layers.1", "fc2"), ("layers.2", "fc3")]
    return [("q1.0", "fc1"), ("q1.1", "fc2"), ("q1.2", "fc3"), ("q2.0", "fc4"), ("q2.1", "fc5"), ("q2.2", "fc6")]


def network_state(net, kind, with_buffers=True):
    """The kit's NetworkState (lib/nn/state.ts) of MLPNetwork (actor) or DoubleMLPNetwork (critic)."""
    params = {"norm.weight": rec(net.in_fn.weight), "norm.bias": rec(net.in_fn.bias)}
    for kit, th in linear_names(kind):
        layer = getattr(net, th)
        params[kit + ".weight"] = rec(layer.weight, transpose=True)
        params[kit + ".bias"] = rec(layer.bias)
    out = {"params": params}
    if with_buffers:
        out["buffers"] = {"norm.running_mean": rec(net.in_fn.running_mean),
                          "norm.running_var": rec(net.in_fn.running_var)}
        out["numBatchesTracked"] = int(net.in_fn.num_batches_tracked)
    return out


def first_moments(net, opt, kind):
    """Adam's exp_avg, flat in the kit's parameter order (Linear weights transposed)."""
    order = [net.in_fn.weight, net.in_fn.bias]
    tr = [False, False]
    for _, th in linear_names(kind):
        layer = getattr(net, th)
        order += [layer.weight, layer.bias]
        tr += [True, False]
    parts = []
    for p, t in zip(order, tr):
        st = opt.state[p]
        assert int(st["step"]) == 1, "expected exactly one Adam step"
        m = st["exp_avg"].detach().numpy().astype(np.float32)
        parts.append((m.T if t else m).reshape(-1))
    return f32(np.concatenate(parts))


def params_of(net):
    return [p.detach().clone() for p in net.parameters()]


def check_soft_update(torch, before, online_after, target_after, tau):
    for b, o, t in zip(before, online_after, target_after):
        want = b * (1.0 - tau) + o * tau
        err = (want - t.detach()).abs().max().item()
        assert err <= 1e-6 * (1 + o.abs().max().item()), ("soft update differs from the formula", err)


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--omar-src", required=True, help="checkout of github.com/ling-pan/OMAR (commit 0e52ad6)")
    p.add_argument("--quality", default="medium-replay", choices=QUALITIES)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=0, help="torch/numpy seed and the kit's algorithm stream seed")
    p.add_argument("--warmup", type=int, default=20, help="update rounds of predator 0 before the recorded one")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    if a.batch < 2 or a.warmup < 0:
        p.error("--batch must be >= 2 and --warmup >= 0")
    if a.out is None:
        here = os.path.dirname(os.path.abspath(__file__))
        a.out = os.path.join(here, "..", "fixtures", "official_update", "predator_prey_%s.json" % a.quality)
    return a


def main(argv=None):
    args = parse_args(argv)
    torch, maddpg = import_authors(args.omar_src)
    torch.set_num_threads(1)
    B = args.batch
    rs = np.random.RandomState(args.seed)

    # 1. the starting networks: seeded init (main.py order) + warm-up rounds of predator 0, fresh Adam
    torch.manual_seed(args.seed)
    base = build(torch, maddpg, args.quality, "cql", B)
    base.prep_training(device="cpu")
    for _ in range(args.warmup):
        base.update(as_sample(torch, synthetic_batch(rs, B)), 0)
        base.update_all_targets()
    start = {n: getattr(base.agents[0], n).state_dict() for n in
             ("policy", "critic", "target_policy", "target_critic")}

    # 2. the minibatch; 3. the kit's draws
    rows = synthetic_batch(rs, B)
    stream = "omar-kit:%d:algorithm" % args.seed
    alea = Alea(stream)
    alea_state = alea.state()
    uniforms = kit_uniforms(alea, K_CQL * B * ACT).astype(np.float32).reshape(K_CQL, B, ACT)
    normals = [kit_normals(alea, B * K_OMAR * ACT).reshape(B, K_OMAR, ACT) for _ in range(J_OMAR)]

    replay = Replay(torch, maddpg)
    replay.install()
    out = {
        "about": "One update of predator 0 by the OMAR authors' MATD3 (algorithms/maddpg.py) on "
                 "predator-prey, recorded by tasks/official_update.py; checked by "
                 "tests/official_update_test.ts. Float32 arrays are {f32: base64}; weights in the kit's "
                 "names, Linear weights [in, out].",
        "source": {"repo": "github.com/ling-pan/OMAR", "commit": git_head(args.omar_src),
                   "torch": torch.__version__},
        "envId": "simple_tag", "task": "predator_prey", "quality": args.quality, "seed": args.seed,
        "batch": B, "obsDim": PRED_OBS, "actDim": ACT, "warmupRounds": args.warmup,
        "gamma": base.gamma, "softUpdateRate": base.tau, "lr": base.lr,
        "cqlAlpha": base.cql_alpha, "omarCoe": None,
        "rngStream": stream,
        "state": {
            "rounds": 0, "rng": {"alea": alea_state},
            "agents": [{
                "actor": network_state(base.agents[0].policy, "actor"),
                "actorTarget": network_state(base.agents[0].target_policy, "actor"),
                "critic": network_state(base.agents[0].critic, "critic"),
                "criticTarget": network_state(base.agents[0].target_critic, "critic"),
            }],
        },
        "minibatch": {"obs": f32(rows[0]), "actions": f32(rows[1]), "rewards": f32(rows[2]),
                      "nextObs": f32(rows[3]), "terminals": f32(rows[4])},
        "draws": {"cqlUniform": f32(uniforms), "omarNormals": [f32(e) for e in normals]},
        "modes": {},
    }

    critic_after = {}
    for mode in ("cql", "omar"):
        torch.manual_seed(args.seed + 1)
        ma = build(torch, maddpg, args.quality, mode, B)
        for n, sd in start.items():
            getattr(ma.agents[0], n).load_state_dict(sd)
        fresh_optimizers(torch, ma.agents[0], base.lr)
        ma.prep_training(device="cpu")
        ag = ma.agents[0]
        tp_before, tc_before = params_of(ag.target_policy), params_of(ag.target_critic)

        replay.uniforms = uniforms.copy()
        replay.normals = [e.copy() for e in normals] if mode == "omar" else []
        replay.used = {"uniform": 0, "normal": 0}
        replay.samples = []
        loc = capture_update(ma, as_sample(torch, rows), 0)
        assert replay.used == {"uniform": 1, "normal": J_OMAR if mode == "omar" else 0}, replay.used
        ma.update_all_targets()
        check_soft_update(torch, tp_before, params_of(ag.policy), list(ag.target_policy.parameters()), ma.tau)
        check_soft_update(torch, tc_before, params_of(ag.critic), list(ag.target_critic.parameters()), ma.tau)

        vf_loss = float(loc["vf_loss"].item())
        cql_term = float(loc["cql_term"].item())
        q1 = loc["actual_value1"].detach().numpy().reshape(-1)
        m = {
            "criticLoss": vf_loss,
            "cqlTerm": cql_term,
            "tdLoss": vf_loss - ma.cql_alpha * cql_term,
            "qMean": float(q1.astype(np.float64).mean()),
            "actorLoss": float(loc["pol_loss"].item()),
        }
        inter = {
            "y": f32(loc["target_value"].detach().numpy().reshape(-1)),
            "q1": f32(q1), "q2": f32(loc["actual_value2"].detach().numpy().reshape(-1)),
            "lse1": f32(loc["policy_qvals1"].detach().numpy().reshape(-1)),
            "lse2": f32(loc["policy_qvals2"].detach().numpy().reshape(-1)),
            "pi": f32(loc["curr_pol_out"].detach().numpy()),
        }
        if mode == "omar":
            m["rectifiedFraction"] = float((loc["max_inds"].reshape(-1) == 1).float().mean().item())
            inter["piQ1"] = f32(loc["pred_qvals"].detach().numpy().reshape(-1))
            inter["aHat"] = f32(loc["mimic_acs"].detach().numpy())
            inter["samplerBestQ"] = f32(loc["top_qvals"].detach().numpy().reshape(-1))
            inter["samplerBest"] = f32(loc["top_acs"].detach().numpy().reshape(B, ACT))
            out["omarCoe"] = ma.omar_coe
        res = {
            "metrics": m,
            "intermediates": inter,
            "after": {"actor": network_state(ag.policy, "actor"),
                      "actorFirstMoment": first_moments(ag.policy, ag.policy_optimizer, "actor")},
        }
        critic_after[mode] = [p.detach().clone() for p in ag.critic.parameters()]
        if mode == "cql":
            res["after"]["critic"] = network_state(ag.critic, "critic", with_buffers=False)
            res["after"]["criticFirstMoment"] = first_moments(ag.critic, ag.critic_optimizer, "critic")
        out["modes"][mode] = res
        print("%s: critic loss %.6f (TD %.6f, CQL term %.6f), actor loss %.6f%s" % (
            mode, m["criticLoss"], m["tdLoss"], m["cqlTerm"], m["actorLoss"],
            ", rectified %.3f" % m["rectifiedFraction"] if mode == "omar" else ""), file=sys.stderr)

    for a, b in zip(critic_after["cql"], critic_after["omar"]):
        assert torch.equal(a, b), "the critic update differs between CQL and OMAR modes"
    out["modes"]["omar"]["after"]["critic"] = "same as cql"

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)), file=sys.stderr)


def git_head(path):
    try:
        return subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"],
                                       stderr=subprocess.DEVNULL).decode().strip()
    except Exception:
        return None


if __name__ == "__main__":
    main()
