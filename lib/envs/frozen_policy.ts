/**
 * The frozen prey: a maddpg-pytorch `MLPNetwork` policy (BatchNorm1d in eval mode → 64 → ReLU → 64 →
 * ReLU → out → tanh, clamped to [−1, 1]) evaluated in float64, batched. Loads the JSON form of OMAR's
 * `pretrained_adv_model.pt` (shared/reference/pretrained/) — the project never ships those weights.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";

/** Weights of one frozen MLP policy; linear weights are `[out][in]` row-major as in torch. */
export interface FrozenMlpWeights {
  /** Input size. */
  numIn: number;
  /** Output size. */
  numOut: number;
  /** Hidden sizes of the two hidden layers. */
  hidden: [number, number];
  /** Whether the input BatchNorm applies (false for networks trained without one). Default true. */
  inputNorm?: boolean;
  /** BatchNorm scale `[numIn]`. */
  bnWeight: Float64Array;
  /** BatchNorm shift `[numIn]`. */
  bnBias: Float64Array;
  /** BatchNorm running mean `[numIn]`. */
  bnMean: Float64Array;
  /** BatchNorm running variance `[numIn]`. */
  bnVar: Float64Array;
  /** Layer weights `[h1, numIn]`, `[h2, h1]`, `[numOut, h2]`. */
  w: [Float64Array, Float64Array, Float64Array];
  /** Layer biases `[h1]`, `[h2]`, `[numOut]`. */
  b: [Float64Array, Float64Array, Float64Array];
}

/** A deterministic policy over a batch of float64 observations. */
export interface Float64Policy {
  /** Input size. */
  readonly obsDim: number;
  /** Output size. */
  readonly actDim: number;
  /** Writes actions `[batch, actDim]` for observations `[batch, obsDim]`. */
  act(obs: Float64Array, out: Float64Array, batch: number): void;
}

/** A frozen maddpg-pytorch policy network, float64 forward pass. */
export class FrozenMlpPolicy implements Float64Policy {
  /** Input size. */
  readonly obsDim: number;
  /** Output size. */
  readonly actDim: number;
  readonly #p: FrozenMlpWeights;
  readonly #scale: Float64Array;
  #h1 = new Float64Array(0);
  #h2 = new Float64Array(0);
  #x = new Float64Array(0);
  #y = new Float64Array(0);

  /** Wraps `weights`. */
  constructor(weights: FrozenMlpWeights) {
    this.#p = weights;
    this.obsDim = weights.numIn;
    this.actDim = weights.numOut;
    this.#scale = weights.bnVar.map((v) => Math.sqrt(v + 1e-5));
  }

  /** `a = clamp(tanh(W3 relu(W2 relu(W1 BN(x) + b1) + b2) + b3), −1, 1)` for each row. */
  act(obs: Float64Array, out: Float64Array, batch: number): void {
    const p = this.#p, nIn = p.numIn, [h1n, h2n] = p.hidden, nOut = p.numOut;
    // rows go through in blocks of R so each weight load serves R dot products (same summation order)
    if (this.#x.length < R * nIn) this.#x = new Float64Array(R * nIn);
    if (this.#h1.length < R * h1n) this.#h1 = new Float64Array(R * h1n);
    if (this.#h2.length < R * h2n) this.#h2 = new Float64Array(R * h2n);
    if (this.#y.length < R * nOut) this.#y = new Float64Array(R * nOut);
    const x = this.#x, h1 = this.#h1, h2 = this.#h2, y = this.#y;
    for (let r0 = 0; r0 < batch; r0 += R) {
      const rows = Math.min(R, batch - r0);
      x.fill(0);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < nIn; i++) {
          x[r * nIn + i] = p.inputNorm === false
            ? obs[(r0 + r) * nIn + i]
            : ((obs[(r0 + r) * nIn + i] - p.bnMean[i]) / this.#scale[i]) * p.bnWeight[i] +
              p.bnBias[i];
        }
      }
      denseBlock(p.w[0], p.b[0], x, h1, nIn, h1n, true);
      denseBlock(p.w[1], p.b[1], h1, h2, h1n, h2n, true);
      denseBlock(p.w[2], p.b[2], h2, y, h2n, nOut, false);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < nOut; o++) {
          out[(r0 + r) * nOut + o] = Math.min(1, Math.max(-1, Math.tanh(y[r * nOut + o])));
        }
      }
    }
  }
}

/** Rows per block in {@link FrozenMlpPolicy.act}. */
const R = 4;

/** `y[r] = (relu)(W x[r] + b)` for the R rows of a block; each sum runs bias first, then i = 0..nIn−1. */
function denseBlock(
  w: Float64Array,
  b: Float64Array,
  x: Float64Array,
  y: Float64Array,
  nIn: number,
  nOut: number,
  relu: boolean,
): void {
  for (let o = 0; o < nOut; o++) {
    let s0 = b[o], s1 = b[o], s2 = b[o], s3 = b[o];
    const row = o * nIn;
    for (let i = 0; i < nIn; i++) {
      const wi = w[row + i];
      s0 += wi * x[i];
      s1 += wi * x[nIn + i];
      s2 += wi * x[2 * nIn + i];
      s3 += wi * x[3 * nIn + i];
    }
    if (relu) {
      y[o] = s0 < 0 ? 0 : s0, y[nOut + o] = s1 < 0 ? 0 : s1;
      y[2 * nOut + o] = s2 < 0 ? 0 : s2, y[3 * nOut + o] = s3 < 0 ? 0 : s3;
    } else {
      y[o] = s0, y[nOut + o] = s1, y[2 * nOut + o] = s2, y[3 * nOut + o] = s3;
    }
  }
}

function vector(agent: Record<string, unknown>, key: string, length: number, where: string): Float64Array {
  const raw = agent[key];
  const flat = Array.isArray(raw) ? raw.flat(2) : null;
  if (!flat || flat.length !== length || !flat.every((v) => typeof v === "number" && Number.isFinite(v))) {
    throw new KitInputError(`${where}: "${key}" must hold ${length} finite numbers`);
  }
  return Float64Array.from(flat as number[]);
}

/**
 * Parses one agent of a maddpg policies JSON file (`shared/reference/pretrained/` format): keys
 * `num_in`, `num_out`, `in_fn.{weight,bias,running_mean,running_var}`, `fc{1,2,3}.{weight,bias}`.
 */
export function parseMaddpgPolicy(agent: Record<string, unknown>, where = "policy"): FrozenMlpWeights {
  const numIn = agent.num_in, numOut = agent.num_out;
  if (typeof numIn !== "number" || typeof numOut !== "number") {
    throw new KitInputError(`${where}: expected "num_in" and "num_out" numbers`);
  }
  const fc1b = agent["fc1.bias"], fc2b = agent["fc2.bias"];
  const h1 = Array.isArray(fc1b) ? fc1b.length : 0, h2 = Array.isArray(fc2b) ? fc2b.length : 0;
  if (h1 === 0 || h2 === 0) throw new KitInputError(`${where}: expected "fc1.bias" and "fc2.bias" arrays`);
  return {
    numIn,
    numOut,
    hidden: [h1, h2],
    bnWeight: vector(agent, "in_fn.weight", numIn, where),
    bnBias: vector(agent, "in_fn.bias", numIn, where),
    bnMean: vector(agent, "in_fn.running_mean", numIn, where),
    bnVar: vector(agent, "in_fn.running_var", numIn, where),
    w: [
      vector(agent, "fc1.weight", h1 * numIn, where),
      vector(agent, "fc2.weight", h2 * h1, where),
      vector(agent, "fc3.weight", numOut * h2, where),
    ],
    b: [
      vector(agent, "fc1.bias", h1, where),
      vector(agent, "fc2.bias", h2, where),
      vector(agent, "fc3.bias", numOut, where),
    ],
  };
}
